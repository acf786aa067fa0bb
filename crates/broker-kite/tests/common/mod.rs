//! A loopback test double of Kite Connect (REST + WebSocket ticker) on 127.0.0.1, serving the
//! fixtures in `tests/fixtures/` (Zerodha's mocks; see the README and LICENSE there) and a
//! small scripted order book. Only loopback: no test touches the network.
#![allow(dead_code)]

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use broker_kite::KiteSettings;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const API_KEY: &str = "testkey";
pub const API_SECRET: &str = "SENTINEL-SECRET-7f3a";
pub const ACCESS_TOKEN: &str = "SENTINEL-ACCESS-91c2";

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// How `POST /orders/regular` behaves.
#[derive(Debug, Clone)]
pub enum PlaceMode {
    /// Accept at once.
    Accept,
    /// Book the order, then answer after `delay` (the client times out first).
    BookThenStall(Duration),
    /// Stall past the client timeout; book the order only after `delay`.
    BookLater(Duration),
    /// 400 InputException with this message.
    Reject(String),
    /// 429 NetworkException "Too many requests".
    RateLimit,
}

#[derive(Debug)]
pub enum WsCmd {
    Binary(Vec<u8>),
    Text(String),
    Drop,
}

#[derive(Debug, Default)]
pub struct SimState {
    pub token_valid: bool,
    pub place_mode: Option<PlaceMode>,
    /// Form fields of every `POST /orders/*` received.
    pub placed: Vec<HashMap<String, String>>,
    /// Order book rows.
    pub orders: Vec<Value>,
    pub trades: HashMap<String, Vec<Value>>,
    /// Answer this many more `GET /orders` with 429.
    pub orders_429: u32,
    /// Answer `POST /orders` with 429 this many more times (on top of `place_mode`).
    pub place_429: u32,
    /// (method, path, when) of every REST request.
    pub requests: Vec<(String, String, Instant)>,
    /// Text frames received on the socket, per connection index.
    pub ws_text: Vec<(usize, String)>,
    pub ws_connections: usize,
    pub ws_senders: Vec<mpsc::UnboundedSender<WsCmd>>,
    /// `(from, to)` of historical requests.
    pub historical: Vec<(String, String)>,
    pub next_id: u64,
    pub login_exchanges: u32,
}

#[derive(Clone)]
pub struct Sim {
    pub state: Arc<Mutex<SimState>>,
    pub base_url: String,
    pub ws_url: String,
}

impl Sim {
    pub async fn start() -> Sim {
        let state = Arc::new(Mutex::new(SimState {
            token_valid: true,
            place_mode: Some(PlaceMode::Accept),
            next_id: 1_900_000_000_000_000_000,
            ..SimState::default()
        }));
        let app = Router::new()
            .route("/", get(ws_handler))
            .route("/session/token", post(session_token))
            .route("/user/profile", get(profile))
            .route("/user/margins", get(margins))
            .route("/orders", get(orders))
            .route("/orders/{a}", get(order_history).post(place))
            .route(
                "/orders/{a}/{b}",
                get(order_trades).put(modify).delete(cancel),
            )
            .route("/trades", get(trades))
            .route("/portfolio/positions", get(positions))
            .route("/quote", get(quote))
            .route("/quote/ltp", get(ltp))
            .route("/instruments/{exchange}", get(instruments))
            .route(
                "/instruments/historical/{token}/{interval}",
                get(historical),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Sim {
            state,
            base_url: format!("http://{addr}"),
            ws_url: format!("ws://{addr}/"),
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap()
    }

    /// Settings pointing at this double, with short timeouts for fast tests.
    pub fn settings(&self) -> KiteSettings {
        let mut s = KiteSettings {
            api_base_url: self.base_url.clone(),
            ticker_url: self.ws_url.clone(),
            request_timeout_ms: 300,
            ..KiteSettings::default()
        };
        s.retry.min_delay_ms = 20;
        s.retry.max_delay_ms = 80;
        s.rate_limits.backoff_initial_ms = 150;
        s.rate_limits.backoff_max_ms = 600;
        s.orders.poll_interval_ms = 0;
        s.feed.timer_interval_ms = 0;
        s
    }

    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|(m, p, _)| m == method && p.starts_with(path_prefix))
            .count()
    }

    pub fn ws_send(&self, cmd: WsCmd) {
        let g = self.lock();
        if let Some(tx) = g.ws_senders.last() {
            let _ = tx.send(cmd);
        }
    }

    /// Fill an order completely at `price` and push the update over the socket.
    pub fn fill(&self, order_id: &str, price: f64) {
        let mut g = self.lock();
        let row = g
            .orders
            .iter_mut()
            .find(|o| o["order_id"] == order_id)
            .expect("order in book");
        let q = row["quantity"].as_f64().unwrap();
        row["status"] = json!("COMPLETE");
        row["filled_quantity"] = json!(q);
        row["pending_quantity"] = json!(0);
        row["average_price"] = json!(price);
        row["exchange_update_timestamp"] = json!("2026-01-05 10:00:01");
        let trade = json!({
            "trade_id": format!("T{order_id}"),
            "order_id": order_id,
            "exchange_order_id": "1300000000000001",
            "exchange": row["exchange"],
            "tradingsymbol": row["tradingsymbol"],
            "instrument_token": row["instrument_token"],
            "product": row["product"],
            "average_price": price,
            "quantity": q,
            "transaction_type": row["transaction_type"],
            "fill_timestamp": "2026-01-05 10:00:01",
            "order_timestamp": "10:00:01",
            "exchange_timestamp": "2026-01-05 10:00:01"
        });
        let frame = json!({"type": "order", "data": row.clone()}).to_string();
        g.trades
            .entry(order_id.to_string())
            .or_default()
            .push(trade);
        if let Some(tx) = g.ws_senders.last() {
            let _ = tx.send(WsCmd::Text(frame));
        }
    }
}

fn rec(s: &Arc<Mutex<SimState>>, method: &str, path: &str) {
    s.lock()
        .unwrap()
        .requests
        .push((method.to_string(), path.to_string(), Instant::now()));
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"status": "error", "message": message, "error_type": kind, "data": null})),
    )
        .into_response()
}

fn ok(data: Value) -> Response {
    Json(json!({"status": "success", "data": data})).into_response()
}

/// `Some(403 TokenException)` unless the request carries the right token.
fn unauthorized(s: &Arc<Mutex<SimState>>, h: &HeaderMap) -> Option<Response> {
    let expected = format!("token {API_KEY}:{ACCESS_TOKEN}");
    let got = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if got == expected && s.lock().unwrap().token_valid {
        None
    } else {
        Some(error(
            StatusCode::FORBIDDEN,
            "TokenException",
            "Incorrect `api_key` or `access_token`.",
        ))
    }
}

fn fixture_data(name: &str) -> Value {
    fixture_json(name)["data"].clone()
}

pub fn checksum(api_key: &str, request_token: &str, secret: &str) -> String {
    let mut d = Sha256::new();
    d.update(api_key.as_bytes());
    d.update(request_token.as_bytes());
    d.update(secret.as_bytes());
    format!("{:x}", d.finalize())
}

async fn session_token(
    State(s): State<Arc<Mutex<SimState>>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    rec(&s, "POST", "/session/token");
    let key = f.get("api_key").cloned().unwrap_or_default();
    let rt = f.get("request_token").cloned().unwrap_or_default();
    let sum = f.get("checksum").cloned().unwrap_or_default();
    if key != API_KEY || sum != checksum(&key, &rt, API_SECRET) {
        return error(StatusCode::FORBIDDEN, "TokenException", "Invalid checksum");
    }
    s.lock().unwrap().login_exchanges += 1;
    let mut data = fixture_data("generate_session.json");
    data["access_token"] = json!(ACCESS_TOKEN);
    data["api_key"] = json!(API_KEY);
    ok(data)
}

async fn profile(State(s): State<Arc<Mutex<SimState>>>, h: HeaderMap) -> Response {
    rec(&s, "GET", "/user/profile");
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    ok(fixture_data("profile.json"))
}

async fn margins(State(s): State<Arc<Mutex<SimState>>>, h: HeaderMap) -> Response {
    rec(&s, "GET", "/user/margins");
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    ok(fixture_data("margins.json"))
}

async fn orders(State(s): State<Arc<Mutex<SimState>>>, h: HeaderMap) -> Response {
    rec(&s, "GET", "/orders");
    {
        let mut g = s.lock().unwrap();
        if g.orders_429 > 0 {
            g.orders_429 -= 1;
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "NetworkException",
                "Too many requests",
            );
        }
    }
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let g = s.lock().unwrap();
    ok(Value::Array(g.orders.clone()))
}

async fn order_history(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    rec(&s, "GET", &format!("/orders/{id}"));
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let g = s.lock().unwrap();
    match g.orders.iter().find(|o| o["order_id"] == id.as_str()) {
        Some(o) => ok(json!([o])),
        None => ok(fixture_data("order_info.json")),
    }
}

async fn order_trades(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    Path((id, _trades)): Path<(String, String)>,
) -> Response {
    rec(&s, "GET", &format!("/orders/{id}/trades"));
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let g = s.lock().unwrap();
    ok(Value::Array(g.trades.get(&id).cloned().unwrap_or_default()))
}

fn book_row(id: &str, f: &HashMap<String, String>) -> Value {
    let num = |k: &str| f.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    json!({
        "placed_by": "XX0000",
        "order_id": id,
        "exchange_order_id": null,
        "parent_order_id": null,
        "status": "OPEN",
        "status_message": null,
        "status_message_raw": null,
        "order_timestamp": "2026-01-05 10:00:00",
        "exchange_update_timestamp": "2026-01-05 10:00:00",
        "exchange_timestamp": "2026-01-05 10:00:00",
        "variety": "regular",
        "modified": false,
        "exchange": f.get("exchange").cloned().unwrap_or_default(),
        "tradingsymbol": f.get("tradingsymbol").cloned().unwrap_or_default(),
        "instrument_token": 0,
        "order_type": f.get("order_type").cloned().unwrap_or_default(),
        "transaction_type": f.get("transaction_type").cloned().unwrap_or_default(),
        "validity": "DAY",
        "product": f.get("product").cloned().unwrap_or_default(),
        "quantity": num("quantity"),
        "disclosed_quantity": 0,
        "price": num("price"),
        "trigger_price": num("trigger_price"),
        "average_price": 0,
        "filled_quantity": 0,
        "pending_quantity": num("quantity"),
        "cancelled_quantity": 0,
        "market_protection": num("market_protection"),
        "meta": {},
        "tag": f.get("tag").cloned(),
        "tags": f.get("tag").map(|t| vec![t.clone()]).unwrap_or_default(),
        "guid": "g"
    })
}

async fn place(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    Path(variety): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    rec(&s, "POST", &format!("/orders/{variety}"));
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let (mode, id) = {
        let mut g = s.lock().unwrap();
        g.placed.push(f.clone());
        if g.place_429 > 0 {
            g.place_429 -= 1;
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "NetworkException",
                "Too many requests",
            );
        }
        g.next_id += 1;
        (
            g.place_mode.clone().unwrap_or(PlaceMode::Accept),
            g.next_id.to_string(),
        )
    };
    match mode {
        PlaceMode::Accept => {
            s.lock().unwrap().orders.push(book_row(&id, &f));
            ok(json!({"order_id": id}))
        }
        PlaceMode::BookThenStall(d) => {
            s.lock().unwrap().orders.push(book_row(&id, &f));
            tokio::time::sleep(d).await;
            ok(json!({"order_id": id}))
        }
        PlaceMode::BookLater(d) => {
            let s2 = s.clone();
            let row = book_row(&id, &f);
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                s2.lock().unwrap().orders.push(row);
            });
            tokio::time::sleep(Duration::from_secs(3)).await;
            ok(json!({"order_id": id}))
        }
        PlaceMode::Reject(m) => error(StatusCode::BAD_REQUEST, "InputException", &m),
        PlaceMode::RateLimit => error(
            StatusCode::TOO_MANY_REQUESTS,
            "NetworkException",
            "Too many requests",
        ),
    }
}

async fn modify(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    Path((_v, id)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    rec(&s, "PUT", &format!("/orders/{id}"));
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let mut g = s.lock().unwrap();
    if let Some(o) = g.orders.iter_mut().find(|o| o["order_id"] == id.as_str()) {
        if let Some(p) = f.get("price").and_then(|p| p.parse::<f64>().ok()) {
            o["price"] = json!(p);
        }
        o["modified"] = json!(true);
    }
    let _ = fixture_data("order_modify.json");
    ok(json!({"order_id": id}))
}

async fn cancel(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    Path((_v, id)): Path<(String, String)>,
) -> Response {
    rec(&s, "DELETE", &format!("/orders/{id}"));
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let mut g = s.lock().unwrap();
    if let Some(o) = g.orders.iter_mut().find(|o| o["order_id"] == id.as_str()) {
        o["status"] = json!("CANCELLED");
        o["cancelled_quantity"] = o["pending_quantity"].clone();
        o["pending_quantity"] = json!(0);
    }
    ok(json!({"order_id": id}))
}

async fn trades(State(s): State<Arc<Mutex<SimState>>>, h: HeaderMap) -> Response {
    rec(&s, "GET", "/trades");
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    ok(fixture_data("trades.json"))
}

async fn positions(State(s): State<Arc<Mutex<SimState>>>, h: HeaderMap) -> Response {
    rec(&s, "GET", "/portfolio/positions");
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    ok(fixture_data("positions.json"))
}

fn keys(q: Option<String>) -> Vec<String> {
    url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "i")
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// Serves `quote.json`'s instrument under each requested key.
async fn quote(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    rec(&s, "GET", "/quote");
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let template = fixture_data("quote.json")["NSE:INFY"].clone();
    let mut out = serde_json::Map::new();
    for k in keys(q) {
        out.insert(k, template.clone());
    }
    ok(Value::Object(out))
}

/// Index keys answer with the index tokens; `NSE:INFY` with `ltp.json`.
async fn ltp(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    rec(&s, "GET", "/quote/ltp");
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let mut out = serde_json::Map::new();
    for k in keys(q) {
        let token = match k.as_str() {
            "NSE:NIFTY 50" => 256_265,
            "NSE:NIFTY BANK" => 260_105,
            "BSE:SENSEX" => 265,
            "NSE:INFY" => {
                out.insert(k.clone(), fixture_data("ltp.json")["NSE:INFY"].clone());
                continue;
            }
            _ => continue,
        };
        out.insert(k, json!({"instrument_token": token, "last_price": 100.5}));
    }
    ok(Value::Object(out))
}

pub const NIFTY_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
13000002,50781,NIFTY2610625900CE,NIFTY,0.0,2026-01-06,25900.0,0.05,65,CE,NFO-OPT,NFO
13000258,50782,NIFTY2610625900PE,NIFTY,0.0,2026-01-06,25900.0,0.05,65,PE,NFO-OPT,NFO
13000514,50783,NIFTY2610625950CE,NIFTY,0.0,2026-01-06,25950.0,0.05,65,CE,NFO-OPT,NFO
13000770,50784,NIFTY2610626000CE,NIFTY,0.0,2026-01-06,26000.0,0.05,65,CE,NFO-OPT,NFO
13001026,50785,NIFTY2610626000PE,NIFTY,0.0,2026-01-06,26000.0,0.05,65,PE,NFO-OPT,NFO
13001282,50786,NIFTY2610626100PE,NIFTY,0.0,2026-01-06,26100.0,0.05,65,PE,NFO-OPT,NFO
13001538,50787,NIFTY26JAN26000CE,NIFTY,0.0,2026-01-27,26000.0,0.05,65,CE,NFO-OPT,NFO
13001794,50788,BANKNIFTY26JAN59000CE,BANKNIFTY,0.0,2026-01-27,59000.0,0.05,30,CE,NFO-OPT,NFO
13002050,50789,NIFTY26JANFUT,NIFTY,0.0,2026-01-27,0.0,0.1,65,FUT,NFO-FUT,NFO
";

async fn instruments(
    State(s): State<Arc<Mutex<SimState>>>,
    Path(exchange): Path<String>,
) -> Response {
    rec(&s, "GET", &format!("/instruments/{exchange}"));
    let body = match exchange.as_str() {
        "NFO" => {
            // The fixture's NFO rows plus current-style NIFTY rows.
            let fx = fixture("instruments_all.csv");
            let mut out = String::from(NIFTY_CSV);
            for line in fx.lines().skip(1).filter(|l| l.ends_with(",NFO")) {
                out.push_str(line);
                out.push('\n');
            }
            out
        }
        "NSE" => fixture("instruments_nse.csv"),
        _ => {
            fixture("instruments_all.csv")
                .lines()
                .next()
                .unwrap()
                .to_string()
                + "\n"
        }
    };
    ([("content-type", "text/csv")], body).into_response()
}

async fn historical(
    State(s): State<Arc<Mutex<SimState>>>,
    h: HeaderMap,
    Path((token, interval)): Path<(u32, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    rec(
        &s,
        "GET",
        &format!("/instruments/historical/{token}/{interval}"),
    );
    if let Some(r) = unauthorized(&s, &h) {
        return r;
    }
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    s.lock().unwrap().historical.push((
        params.get("from").cloned().unwrap_or_default(),
        params.get("to").cloned().unwrap_or_default(),
    ));
    if params.get("oi").map(String::as_str) == Some("1") {
        return ok(fixture_data("historical_oi.json"));
    }
    ok(fixture_data("historical_minute.json"))
}

async fn ws_handler(
    State(s): State<Arc<Mutex<SimState>>>,
    RawQuery(q): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let good = params.get("api_key").map(String::as_str) == Some(API_KEY)
        && params.get("access_token").map(String::as_str) == Some(ACCESS_TOKEN)
        && s.lock().unwrap().token_valid;
    if !good {
        return error(
            StatusCode::FORBIDDEN,
            "TokenException",
            "Invalid `access_token` or `api_key`.",
        );
    }
    ws.on_upgrade(move |socket| handle_socket(socket, s))
}

async fn handle_socket(mut socket: WebSocket, s: Arc<Mutex<SimState>>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let idx = {
        let mut g = s.lock().unwrap();
        g.ws_connections += 1;
        g.ws_senders.push(tx);
        g.ws_connections - 1
    };
    loop {
        tokio::select! {
            m = socket.recv() => match m {
                Some(Ok(Message::Text(t))) => s.lock().unwrap().ws_text.push((idx, t.to_string())),
                Some(Ok(_)) => {}
                _ => return,
            },
            c = rx.recv() => match c {
                Some(WsCmd::Binary(b)) => { if socket.send(Message::Binary(b.into())).await.is_err() { return; } }
                Some(WsCmd::Text(t)) => { if socket.send(Message::Text(t.into())).await.is_err() { return; } }
                Some(WsCmd::Drop) | None => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            }
        }
    }
}

/// A binary frame of one 32-byte index full packet (kite-connect.md §7.4).
pub fn index_full_frame(token: u32, ltp_paise: u32, epoch: u32) -> Vec<u8> {
    let mut p = Vec::new();
    for v in [
        token,
        ltp_paise,
        ltp_paise + 500,
        ltp_paise - 500,
        ltp_paise - 100,
        ltp_paise - 200,
        0,
        epoch,
    ] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    frame(&[&p])
}

pub fn frame(packets: &[&[u8]]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&u16::try_from(packets.len()).unwrap().to_be_bytes());
    for p in packets {
        f.extend_from_slice(&u16::try_from(p.len()).unwrap().to_be_bytes());
        f.extend_from_slice(p);
    }
    f
}

/// Wait until `f` holds, polling every 10 ms, at most `secs`.
pub async fn wait_until(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}
