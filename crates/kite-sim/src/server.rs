//! HTTP and WebSocket: the Kite REST endpoints (kite-connect.md §3), the ticker (§7) and the
//! `/sim/*` control endpoints.

use crate::fault::Fault;
use crate::history::{Interval, aggregate, candle_json, parse_bound};
use crate::orders::kite_time;
use crate::sim::{ApiError, Cmd, Conn, Shared, USER_ID};
use crate::wire::HEARTBEAT;
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::TimeDelta;
use domain::Segment;
use domain::time::IST;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::mpsc;

type Sh = State<Arc<Shared>>;

/// The whole application: REST (gated), ticker, control.
pub fn router(sh: Arc<Shared>) -> Router {
    let rest = Router::new()
        .route("/session/token", post(session_token).delete(logout))
        .route("/user/profile", get(profile))
        .route("/user/margins", get(margins))
        .route("/user/margins/{segment}", get(segment_margins))
        .route("/instruments", get(instruments_all))
        .route("/instruments/{exchange}", get(instruments))
        .route(
            "/instruments/historical/{token}/{interval}",
            get(historical),
        )
        .route("/quote", get(quote_full))
        .route("/quote/ltp", get(quote_ltp))
        .route("/quote/ohlc", get(quote_ohlc))
        .route("/orders", get(orders))
        .route("/orders/{a}", get(order_history).post(place))
        .route(
            "/orders/{a}/{b}",
            get(order_trades).put(modify).delete(cancel),
        )
        .route("/trades", get(trades))
        .route("/portfolio/positions", get(positions))
        .route("/portfolio/holdings", get(holdings))
        .route("/margins/orders", post(order_margins))
        .route("/margins/basket", post(basket_margins))
        .layer(middleware::from_fn_with_state(sh.clone(), gate));
    let control = Router::new()
        .route("/sim/faults", post(sim_faults))
        .route("/sim/status", get(sim_status))
        .route("/sim/orders", get(sim_orders))
        .route("/sim/advance", post(sim_advance))
        .route("/ws", get(ws_handler))
        .route("/", get(ws_handler));
    rest.merge(control).fallback(not_found).with_state(sh)
}

/// Kite's error envelope (kite-connect.md §4).
pub fn error(status: u16, kind: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(
            json!({"status": "error", "message": message, "error_type": kind, "data": null}),
        ),
    )
        .into_response()
}

fn api_error(e: &ApiError) -> Response {
    error(e.status, e.kind, &e.message)
}

fn ok(data: Value) -> Response {
    axum::Json(json!({"status": "success", "data": data})).into_response()
}

async fn not_found() -> Response {
    error(404, "GeneralException", "Route not found")
}

/// Rate-limit fault, token expiry and the `Authorization: token key:token` check
/// (kite-connect.md §1). `/session/token` needs no token; the instruments dumps may come
/// without one (the `kiteconnect` client sends none there), but a wrong one is refused.
async fn gate(State(sh): Sh, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    {
        let mut st = sh.lock();
        st.requests.push(crate::SimRequest {
            method: req.method().as_str().to_string(),
            path: path.clone(),
            query: req.uri().query().unwrap_or("").to_string(),
            at: std::time::Instant::now(),
        });
        if st.rate_limit > 0 {
            st.rate_limit -= 1;
            st.rate_limited += 1;
            return error(429, "NetworkException", "Too many requests");
        }
        if path != "/session/token" && st.token_expired {
            return error(
                403,
                "TokenException",
                "Incorrect `api_key` or `access_token`.",
            );
        }
    }
    if path != "/session/token" {
        let public = path == "/instruments"
            || (path.starts_with("/instruments/") && !path.starts_with("/instruments/historical/"));
        let expected = format!("token {}:{}", sh.settings.api_key, sh.settings.access_token);
        let got = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let good = match got {
            None => public,
            Some(a) => a == expected,
        };
        if !good {
            return error(
                403,
                "TokenException",
                "Incorrect `api_key` or `access_token`.",
            );
        }
    }
    next.run(req).await
}

fn form_of(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body)
        .into_owned()
        .collect::<HashMap<_, _>>()
}

fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn profile_data() -> Value {
    json!({
        "user_id": USER_ID,
        "user_name": "Kestrel Simulator",
        "user_shortname": "Simulator",
        "user_type": "individual",
        "email": "sim@localhost",
        "broker": "ZERODHA",
        "exchanges": ["NSE", "BSE", "NFO", "BFO"],
        "products": ["MIS", "NRML", "CNC"],
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "avatar_url": null,
        "meta": {"demat_consent": "physical"}
    })
}

fn checksum(api_key: &str, request_token: &str, secret: &str) -> String {
    let mut d = Sha256::new();
    d.update(api_key.as_bytes());
    d.update(request_token.as_bytes());
    d.update(secret.as_bytes());
    format!("{:x}", d.finalize())
}

/// `POST /session/token` (kite-connect.md §2): any request token; the checksum is checked
/// when the simulator has an API secret. Clears an [`Fault::ExpireToken`] (a new login).
async fn session_token(State(sh): Sh, body: Bytes) -> Response {
    let f = form_of(&body);
    let key = f.get("api_key").map_or("", String::as_str);
    let rt = f.get("request_token").map_or("", String::as_str);
    let sum = f.get("checksum").map_or("", String::as_str);
    if key != sh.settings.api_key {
        return error(403, "TokenException", "Invalid `api_key`.");
    }
    if rt.is_empty() {
        return error(400, "InputException", "Missing `request_token`.");
    }
    if let Some(secret) = &sh.settings.api_secret
        && sum != checksum(key, rt, secret)
    {
        return error(403, "TokenException", "Invalid `checksum`.");
    }
    sh.lock().token_expired = false;
    let mut data = profile_data();
    if let Some(m) = data.as_object_mut() {
        m.insert("api_key".into(), json!(sh.settings.api_key));
        m.insert("access_token".into(), json!(sh.settings.access_token));
        m.insert("public_token".into(), json!("sim-public-token"));
        m.insert("enctoken".into(), json!("sim-enctoken"));
        m.insert("refresh_token".into(), json!(""));
        m.insert("silo".into(), json!(""));
        m.insert(
            "login_time".into(),
            json!(kite_time(&chrono::Utc::now().with_timezone(&IST))),
        );
    }
    tracing::info!(target: "kite_sim", "session token exchanged");
    ok(data)
}

async fn logout() -> Response {
    ok(json!(true))
}

async fn profile() -> Response {
    ok(profile_data())
}

async fn margins(State(sh): Sh) -> Response {
    let eq = sh.equity_margins();
    let zero = json!({
        "enabled": false, "net": 0,
        "available": {"adhoc_margin": 0, "cash": 0, "opening_balance": 0, "live_balance": 0, "collateral": 0, "intraday_payin": 0},
        "utilised": {"debits": 0, "exposure": 0, "m2m_realised": 0, "m2m_unrealised": 0, "option_premium": 0, "payout": 0, "span": 0, "holding_sales": 0, "turnover": 0, "liquid_collateral": 0, "stock_collateral": 0, "delivery": 0}
    });
    ok(json!({"equity": eq, "commodity": zero}))
}

async fn segment_margins(State(sh): Sh, Path(segment): Path<String>) -> Response {
    match segment.as_str() {
        "equity" => ok(sh.equity_margins()),
        "commodity" => margins(State(sh)).await,
        other => error(
            400,
            "InputException",
            &format!("Invalid segment `{other}`: equity or commodity."),
        ),
    }
}

fn csv(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/csv")], body).into_response()
}

async fn instruments_all(State(sh): Sh) -> Response {
    csv(sh.universe.csv(None))
}

async fn instruments(State(sh): Sh, Path(exchange): Path<String>) -> Response {
    csv(sh.universe.csv(Some(&exchange)))
}

/// Historical candles of an index token or a streamed stock's token from the catalog (a
/// stock's candles carry its bars' volume): sessions before the simulated date, and the
/// simulated date's bars completed by the simulated clock (kite-connect.md §3.8).
async fn historical(
    State(sh): Sh,
    Path((token, interval)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(iv) = Interval::parse(&interval) else {
        return error(400, "InputException", "invalid interval");
    };
    let params: HashMap<String, String> = query_pairs(q.as_deref()).into_iter().collect();
    let (Some(from), Some(to)) = (
        params.get("from").and_then(|s| parse_bound(s, false)),
        params.get("to").and_then(|s| parse_bound(s, true)),
    ) else {
        return error(400, "InputException", "invalid from or to date");
    };
    if to < from {
        return error(400, "InputException", "from date is after to date");
    }
    if to - from > TimeDelta::days(iv.max_days()) {
        return error(
            400,
            "InputException",
            &format!("interval exceeds max limit: {} days", iv.max_days()),
        );
    }
    let Ok(token) = token.parse::<u32>() else {
        return error(400, "InputException", "invalid token");
    };
    let Some(seg) = sh.day.segment_of_token(token).or_else(|| {
        // An index whose series is its future's has no index candles here.
        Segment::from_index_token(token).filter(|s| {
            crate::market::futures_series_month(&sh.series_of(*s), s.option_name()).is_none()
        })
    }) else {
        if sh.universe.by_token(token).is_some() {
            return ok(json!({"candles": []}));
        }
        return error(400, "InputException", "invalid token");
    };
    let series = sh.series_of(seg);
    let (clock, finished) = {
        let st = sh.lock();
        (st.clock, st.finished)
    };
    let sim_date = sh.day.date;
    let dates: Vec<chrono::NaiveDate> = sh
        .catalog
        .bar_dates(&series)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| *d >= from.date() && *d <= to.date() && *d <= sim_date)
        .collect();
    let mut candles = Vec::new();
    for d in dates {
        let Some(bars) = sh.bars(&series, d) else {
            continue;
        };
        let visible: Vec<domain::Bar> = if d < sim_date || finished {
            bars.to_vec()
        } else {
            let len = TimeDelta::minutes(i64::from(catalog::replay::ticks::bar_minutes(&bars)));
            match clock {
                None => Vec::new(),
                Some(now) => bars.iter().filter(|b| b.ts + len <= now).copied().collect(),
            }
        };
        for c in aggregate(&visible, iv) {
            let t = c.ts.naive_local();
            let inside = match iv {
                Interval::Day => t.date() >= from.date() && t.date() <= to.date(),
                Interval::Minutes(_) => t >= from && t <= to,
            };
            if inside {
                candles.push(candle_json(&c));
            }
        }
    }
    ok(json!({ "candles": candles }))
}

fn keys(q: Option<&str>) -> Vec<String> {
    query_pairs(q)
        .into_iter()
        .filter(|(k, _)| k == "i")
        .map(|(_, v)| v)
        .collect()
}

async fn quote_full(State(sh): Sh, RawQuery(q): RawQuery) -> Response {
    ok(sh.quotes(&keys(q.as_deref()), "full"))
}

async fn quote_ltp(State(sh): Sh, RawQuery(q): RawQuery) -> Response {
    ok(sh.quotes(&keys(q.as_deref()), "ltp"))
}

async fn quote_ohlc(State(sh): Sh, RawQuery(q): RawQuery) -> Response {
    ok(sh.quotes(&keys(q.as_deref()), "ohlc"))
}

async fn orders(State(sh): Sh) -> Response {
    let st = sh.lock();
    ok(Value::Array(
        st.orders.iter().map(|r| r.row(USER_ID)).collect(),
    ))
}

async fn order_history(State(sh): Sh, Path(id): Path<String>) -> Response {
    let st = sh.lock();
    match st.orders.iter().find(|r| r.o.order_id == id) {
        Some(r) => ok(Value::Array(r.rows.clone())),
        None => error(400, "InputException", &format!("Invalid `order_id` {id}.")),
    }
}

async fn order_trades(State(sh): Sh, Path((id, what)): Path<(String, String)>) -> Response {
    if what != "trades" {
        return not_found().await;
    }
    let st = sh.lock();
    match st.orders.iter().find(|r| r.o.order_id == id) {
        Some(r) => ok(Value::Array(r.trade_rows())),
        None => error(400, "InputException", &format!("Invalid `order_id` {id}.")),
    }
}

async fn place(State(sh): Sh, Path(variety): Path<String>, body: Bytes) -> Response {
    let form = form_of(&body);
    sh.lock()
        .placement_forms
        .push(form.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    if let Some(d) = sh.take_book_later() {
        // Booked by a task of its own, so a client that gives up does not cancel it.
        tracing::info!(target: "kite_sim", ms = d.as_millis() as u64, "fault: placement booked late");
        let sh2 = sh.clone();
        let booking = tokio::spawn(async move {
            tokio::time::sleep(d).await;
            let r = sh2.place(&variety, &form);
            sh2.bump();
            r
        });
        return match booking.await {
            Ok(Ok((id, _))) => ok(json!({ "order_id": id })),
            Ok(Err(e)) => api_error(&e),
            Err(_) => error(500, "GeneralException", "placement task failed"),
        };
    }
    match sh.place(&variety, &form) {
        Ok((id, delay)) => {
            if let Some(d) = delay {
                tracing::info!(target: "kite_sim", order_id = id, ms = d.as_millis() as u64, "fault: placement answer delayed");
                tokio::time::sleep(d).await;
            }
            ok(json!({ "order_id": id }))
        }
        Err(e) => api_error(&e),
    }
}

async fn modify(
    State(sh): Sh,
    Path((variety, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if variety != "regular" {
        return error(400, "InputException", "Invalid variety.");
    }
    match sh.modify(&id, &form_of(&body)) {
        Ok(()) => ok(json!({ "order_id": id })),
        Err(e) => api_error(&e),
    }
}

async fn cancel(State(sh): Sh, Path((variety, id)): Path<(String, String)>) -> Response {
    if variety != "regular" {
        return error(400, "InputException", "Invalid variety.");
    }
    match sh.cancel(&id) {
        Ok(()) => ok(json!({ "order_id": id })),
        Err(e) => api_error(&e),
    }
}

async fn trades(State(sh): Sh) -> Response {
    let st = sh.lock();
    ok(Value::Array(
        st.orders.iter().flat_map(|r| r.trade_rows()).collect(),
    ))
}

async fn positions(State(sh): Sh) -> Response {
    ok(sh.positions())
}

async fn holdings() -> Response {
    ok(json!([]))
}

/// `POST /margins/orders` (kite-connect.md §3.9; the model: [`crate::margins`]).
async fn order_margins(State(sh): Sh, body: Bytes) -> Response {
    sh.order_margins(&body).map_or_else(|e| api_error(&e), ok)
}

/// `POST /margins/basket` (kite-connect.md §3.9; `consider_positions` is ignored).
async fn basket_margins(State(sh): Sh, body: Bytes) -> Response {
    sh.basket_margins(&body).map_or_else(|e| api_error(&e), ok)
}

/// `POST /sim/faults`: one fault object or an array of them.
async fn sim_faults(State(sh): Sh, body: Bytes) -> Response {
    let parsed: Result<Vec<Fault>, String> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(a)) => a
            .into_iter()
            .map(|v| serde_json::from_value::<Fault>(v).map_err(|e| e.to_string()))
            .collect(),
        Ok(v) => serde_json::from_value::<Fault>(v)
            .map(|f| vec![f])
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match parsed {
        Ok(faults) => {
            let names: Vec<String> = faults.iter().map(ToString::to_string).collect();
            for f in faults {
                sh.inject(f);
            }
            ok(json!({ "injected": names }))
        }
        Err(e) => error(400, "InputException", &format!("bad fault: {e}")),
    }
}

/// `POST /sim/advance {"until":"HH:MM:SS"}`: stream up to and including that IST time even
/// while no client listens; answers with the status when done (see
/// [`crate::Simulator::advance_until`]).
async fn sim_advance(State(sh): Sh, body: Bytes) -> Response {
    let until = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("until").and_then(Value::as_str).map(str::to_string));
    let Some(until) = until else {
        return error(400, "InputException", "expected {\"until\":\"HH:MM:SS\"}");
    };
    let Some(t) = chrono::NaiveTime::parse_from_str(&until, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(&until, "%H:%M"))
        .ok()
    else {
        return error(
            400,
            "InputException",
            &format!("bad `until` `{until}`: expected HH:MM:SS (IST)"),
        );
    };
    let status = crate::stream::advance(&sh, t).await;
    ok(serde_json::to_value(status).unwrap_or(Value::Null))
}

async fn sim_status(State(sh): Sh) -> Response {
    ok(serde_json::to_value(sh.status()).unwrap_or(Value::Null))
}

async fn sim_orders(State(sh): Sh) -> Response {
    let st = sh.lock();
    let orders: Vec<_> = st.orders.iter().map(|r| r.o.clone()).collect();
    ok(serde_json::to_value(orders).unwrap_or(Value::Null))
}

/// The ticker handshake (kite-connect.md §7.1): `api_key` and `access_token` in the query
/// must match, else HTTP 403 with Kite's JSON error (the `kiteconnect` client then stops
/// for good with an auth rejection).
async fn ws_handler(
    State(sh): Sh,
    RawQuery(q): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let params: BTreeMap<String, String> = query_pairs(q.as_deref()).into_iter().collect();
    let good = params.get("api_key") == Some(&sh.settings.api_key)
        && params.get("access_token") == Some(&sh.settings.access_token)
        && !sh.lock().token_expired;
    if !good {
        return error(
            403,
            "TokenException",
            "Invalid `access_token` or `api_key`.",
        );
    }
    let Ok(ws) = ws else {
        return error(
            400,
            "InputException",
            "This is the Kite ticker endpoint: connect with a WebSocket client.",
        );
    };
    ws.on_upgrade(move |socket| handle_socket(socket, sh))
}

async fn handle_socket(mut socket: WebSocket, sh: Arc<Shared>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut st = sh.lock();
        st.next_conn += 1;
        let id = st.next_conn;
        st.conns.insert(
            id,
            Conn {
                tx,
                subs: BTreeMap::new(),
            },
        );
        id
    };
    tracing::info!(target: "kite_sim", conn = id, "ticker client connected");
    sh.bump();
    let mut shutdown = sh.shutdown.subscribe();
    loop {
        tokio::select! {
            m = socket.recv() => match m {
                Some(Ok(Message::Text(t))) => sh.client_message(id, t.as_str()),
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            c = rx.recv() => match c {
                Some(Cmd::Frame(bytes, ack)) => {
                    let sent = socket.send(Message::Binary(bytes.into())).await.is_ok();
                    let _ = ack.send(sent);
                    if !sent {
                        break;
                    }
                }
                Some(Cmd::Heartbeat) => {
                    if socket.send(Message::Binary(HEARTBEAT.to_vec().into())).await.is_err() {
                        break;
                    }
                }
                Some(Cmd::Text(t)) => {
                    if socket.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                // Dropping the socket closes the TCP connection without a close frame.
                Some(Cmd::Drop) | None => break,
            },
            _ = shutdown.changed() => break,
        }
    }
    drop(socket);
    sh.lock().conns.remove(&id);
    tracing::info!(target: "kite_sim", conn = id, "ticker client gone");
    sh.bump();
}
