//! The margin calculators over HTTP on loopback (2024-06-03, NIFTY): `POST /margins/orders`
//! and `POST /margins/basket` answer in the shapes of Zerodha's fixtures (every key of
//! `order_margins.json` / `basket_margins.json` present with the same JSON type), a hedge
//! lowers the basket's `final`, bad input is an `InputException` naming the order and field,
//! and the faults make the calculation fail or the cash run short.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use domain::{Decimal, Segment};
use kite_sim::{Fault, SimConfig, SimMarket, Simulator};
use serde_json::{Value, json};
use std::path::PathBuf;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

async fn start(cash: Option<Decimal>) -> Simulator {
    let mut cfg = SimConfig::new(
        day(),
        vec![Segment::Nifty],
        SimMarket::default(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data"),
    );
    cfg.margins.available_cash = cash;
    Simulator::start(cfg).await.unwrap()
}

fn fixture(name: &str) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(dir.join("../broker-kite/tests/fixtures").join(name))
        .or_else(|_| std::fs::read_to_string(dir.join("../../../shared/fixtures/kite").join(name)))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A minimal authorised HTTP/1.1 request on loopback: (status, JSON body).
async fn http(sim: &Simulator, method: &str, path: &str, body: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(sim.local_addr())
        .await
        .unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: token {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sim.api_key(),
        sim.access_token(),
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `want` (recursively, arrays by their first element) is in `got` with the same
/// JSON type.
fn same_shape(want: &Value, got: &Value, at: &str) {
    assert_eq!(kind(want), kind(got), "{at}: {got}");
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let gv = g
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} missing in {got}"));
                same_shape(wv, gv, &format!("{at}.{k}"));
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if let (Some(w0), Some(g0)) = (w.first(), g.first()) {
                same_shape(w0, g0, &format!("{at}[0]"));
            }
        }
        _ => {}
    }
}

fn order(sim: &Simulator, strike: u32, side: &str) -> Value {
    let c = sim
        .contract(&format!("NIFTY24606{strike}CE"))
        .unwrap_or_else(|| panic!("NIFTY24606{strike}CE listed"));
    json!({
        "exchange": "NFO", "tradingsymbol": c.tradingsymbol, "transaction_type": side,
        "variety": "regular", "product": "MIS", "order_type": "MARKET",
        "quantity": c.lot_size, "price": 0, "trigger_price": 0
    })
}

fn total(v: &Value, key: &str) -> f64 {
    v["data"][key]["total"].as_f64().unwrap()
}

#[tokio::test]
async fn answers_have_the_fixtures_shapes_and_a_hedge_lowers_the_final_margin() {
    let sim = start(None).await;
    let short = order(&sim, 23300, "SELL");
    let hedge = order(&sim, 23500, "BUY");

    let (status, one) = http(&sim, "POST", "/margins/orders", &json!([short]).to_string()).await;
    assert_eq!(status, 200, "{one}");
    same_shape(&fixture("order_margins.json"), &one, "order_margins");
    let m = &one["data"][0];
    assert!(m["span"].as_f64().unwrap() > 0.0 && m["exposure"].as_f64().unwrap() > 0.0);
    let naked = m["total"].as_f64().unwrap();

    let (status, alone) = http(
        &sim,
        "POST",
        "/margins/basket?consider_positions=true",
        &json!([short]).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{alone}");
    same_shape(&fixture("basket_margins.json"), &alone, "basket_margins");
    assert_eq!(total(&alone, "final"), naked);

    let (status, pair) = http(
        &sim,
        "POST",
        "/margins/basket?consider_positions=true",
        &json!([hedge, short]).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    same_shape(&fixture("basket_margins.json"), &pair, "basket_margins");
    let hedge_premium = pair["data"]["orders"][0]["option_premium"]
        .as_f64()
        .unwrap();
    assert!(hedge_premium > 0.0, "{pair}");
    let lot = f64::from(sim.contract("NIFTY2460623300CE").unwrap().lot_size);
    assert!(
        (total(&pair, "initial") - (naked + hedge_premium)).abs() < 0.011,
        "{pair}"
    );
    // Spread width 200 points × one lot, plus the hedge's premium.
    assert!(
        (total(&pair, "final") - (200.0 * lot + hedge_premium)).abs() < 0.011,
        "{pair}"
    );
    assert!(total(&pair, "final") < total(&alone, "final"));
}

#[tokio::test]
async fn bad_orders_are_input_exceptions_naming_the_order_and_field() {
    let sim = start(None).await;
    let good = order(&sim, 23300, "SELL");
    let mut unknown = good.clone();
    unknown["tradingsymbol"] = json!("NIFTY2460699999CE");
    let mut odd = good.clone();
    odd["quantity"] = json!(7);
    let mut side = good.clone();
    side["transaction_type"] = json!("HOLD");
    for (body, needle) in [
        (
            json!([good, unknown]).to_string(),
            "order 2: `tradingsymbol`",
        ),
        (json!([odd]).to_string(), "order 1: `quantity` 7"),
        (json!([side]).to_string(), "order 1: `transaction_type`"),
        ("[]".to_string(), "no orders"),
        ("{\"a\":1}".to_string(), "JSON array"),
    ] {
        for path in ["/margins/orders", "/margins/basket"] {
            let (status, v) = http(&sim, "POST", path, &body).await;
            assert_eq!(status, 400, "{path} {body}: {v}");
            assert_eq!(v["error_type"], "InputException");
            let msg = v["message"].as_str().unwrap();
            assert!(msg.contains(needle), "{path}: {msg}");
        }
    }
}

#[tokio::test]
async fn faults_fail_the_calculation_and_set_the_cash() {
    let sim = start(Some(Decimal::new(250_000, 0))).await;
    let (_, m) = http(&sim, "GET", "/user/margins", "").await;
    assert_eq!(m["data"]["equity"]["net"].as_f64(), Some(250_000.0));
    let body = json!([order(&sim, 23300, "SELL")]).to_string();

    sim.inject(Fault::MarginError {
        count: 1,
        message: "calculator down".into(),
    });
    let (status, v) = http(&sim, "POST", "/margins/basket", &body).await;
    assert_eq!(status, 500, "{v}");
    assert_eq!(v["error_type"], "GeneralException");
    assert_eq!(v["message"], "calculator down");
    let (status, _) = http(&sim, "POST", "/margins/basket", &body).await;
    assert_eq!(status, 200, "one failure only");

    let (status, v) = http(
        &sim,
        "POST",
        "/sim/faults",
        r#"{"kind":"available_cash","rupees":"1000"}"#,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (_, m) = http(&sim, "GET", "/user/margins/equity", "").await;
    assert_eq!(m["data"]["net"].as_f64(), Some(1000.0));
    assert_eq!(m["data"]["available"]["cash"].as_f64(), Some(1000.0));
}
