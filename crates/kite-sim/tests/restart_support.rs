//! What an engine restart needs from the simulator, through Zerodha's own `kiteconnect`
//! client on loopback (2024-06-03): the book, trades and positions outlive ticker clients
//! (a new client sees old orders and receives their later updates); `SL` rests, is modified
//! and cancelled, and triggers on the stream then fills as a limit; `SL-M` is refused as Kite
//! refuses it for index options; positions `net` and `day`; `GET /trades`; and advancing the
//! stream while nobody listens (`Simulator::advance_until`, `POST /sim/advance`), after which
//! it holds again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, NaiveTime};
use domain::{Decimal, Segment, Side};
use kite_sim::{SimConfig, SimMarket, Simulator};
use kiteconnect::{
    AccessToken, Exchange, KiteConnect, OrderParams, OrderType, Product, TickerEvent,
    TransactionType, Variety,
};
use std::path::PathBuf;
use std::time::Duration;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).unwrap()
}

async fn start() -> Simulator {
    let cfg = SimConfig::new(
        day(),
        vec![Segment::Nifty],
        SimMarket::default(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data"),
    );
    Simulator::start(cfg).await.unwrap()
}

fn kite(sim: &Simulator) -> KiteConnect {
    KiteConnect::builder(sim.api_key())
        .access_token(AccessToken::new(sim.access_token()).unwrap())
        .base_url(sim.base_url())
        .build()
        .unwrap()
}

/// A far out-of-the-money NIFTY call of the 6 June weekly (its premium falls through the day).
const SYMBOL: &str = "NIFTY2460624000CE";

fn premium(sim: &Simulator) -> Decimal {
    let c = sim.contract(SYMBOL).expect("listed");
    sim.premium(c.instrument_token.unwrap()).unwrap()
}

fn f(d: Decimal) -> f64 {
    d.to_string().parse().unwrap()
}

fn order(side: TransactionType, kind: OrderType, qty: i64) -> OrderParams {
    OrderParams::new()
        .exchange(Exchange::Nfo)
        .tradingsymbol(SYMBOL)
        .transaction_type(side)
        .order_type(kind)
        .quantity(qty)
        .product(Product::Mis)
}

/// A SELL `SL` 10 paise under the premium, limit at a fifth of the trigger (a gap through
/// the trigger still fills): (params, trigger, price).
fn stop(sim: &Simulator, qty: i64) -> (OrderParams, Decimal, Decimal) {
    let trigger = premium(sim) - Decimal::new(10, 2);
    let price = (trigger / Decimal::from(5)).round_dp(1);
    let p = order(TransactionType::Sell, OrderType::Sl, qty)
        .trigger_price(f(trigger))
        .price(f(price))
        .tag("STOP1");
    (p, trigger, price)
}

async fn connect(
    k: &KiteConnect,
    sim: &Simulator,
) -> (kiteconnect::KiteTicker, kiteconnect::TickerEvents) {
    let (t, mut ev) = k
        .ticker()
        .url(url::Url::parse(&sim.ticker_url()).unwrap())
        .spawn()
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(3), ev.recv())
        .await
        .unwrap()
    {
        Some(TickerEvent::Connected) => {}
        other => panic!("expected Connected, got {other:?}"),
    }
    (t, ev)
}

/// The next order update of `id` on `ev` (other events skipped), within 3 s.
async fn next_update(ev: &mut kiteconnect::TickerEvents, id: &str) -> kiteconnect::Order {
    tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match ev.recv().await {
                Some(TickerEvent::OrderUpdate(o)) if o.order_id == id => return *o,
                Some(TickerEvent::InvalidOrderUpdate { error, .. }) => panic!("{error}"),
                Some(_) => {}
                None => panic!("ticker ended"),
            }
        }
    })
    .await
    .expect("an order update")
}

fn dec(x: f64) -> Decimal {
    Decimal::try_from(x).unwrap().round_dp(2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_book_outlives_clients_and_stops_trigger_while_nobody_listens() {
    let sim = start().await;
    let k = kite(&sim);
    sim.advance_until(hms(9, 20, 0)).await;
    let (first, mut ev1) = connect(&k, &sim).await;
    // A position bought by hand (no tag), and a protective SL on it.
    let buy = sim.place_manual(SYMBOL, Side::Buy, 50).unwrap();
    assert_eq!(sim.orders()[0].tag, None);
    assert_eq!(next_update(&mut ev1, &buy).await.status, "OPEN");
    assert_eq!(next_update(&mut ev1, &buy).await.status, "COMPLETE");
    let (p, trigger, price) = stop(&sim, 50);
    let sl = k.place_order(Variety::Regular, p).await.unwrap().order_id;
    assert_eq!(next_update(&mut ev1, &sl).await.status, "TRIGGER PENDING");
    // SL-M is refused for index options, as Kite refuses it.
    let slm = order(TransactionType::Sell, OrderType::SlM, 50)
        .trigger_price(f(trigger))
        .market_protection(-1.0);
    let e = k.place_order(Variety::Regular, slm).await.unwrap_err();
    assert!(e.to_string().contains("SL-M"), "{e}");
    assert_eq!(sim.orders().len(), 2);

    // The client goes away; a new one (and new REST calls) see the old book.
    first.close();
    drop(ev1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.status().connections, 0);
    let k2 = kite(&sim);
    let (_second, mut ev2) = connect(&k2, &sim).await;
    let rows = k2.orders().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].status, "TRIGGER PENDING");
    assert_eq!(rows[1].tag.as_deref(), Some("STOP1"));
    assert_eq!(k2.trades().await.unwrap().len(), 1);

    // Modify the old SL: quantity, trigger and price; the new client gets the update.
    let (t2, p2) = (trigger - Decimal::new(5, 2), price - Decimal::new(5, 2));
    k2.modify_order(
        Variety::Regular,
        &sl,
        OrderParams::new()
            .quantity(25)
            .trigger_price(f(t2))
            .price(f(p2)),
    )
    .await
    .unwrap();
    let u = next_update(&mut ev2, &sl).await;
    assert_eq!(u.status, "TRIGGER PENDING");
    assert_eq!(
        (u.quantity, dec(u.trigger_price), dec(u.price)),
        (25.0, t2, p2)
    );

    // Nobody subscribed: advancing streams on anyway and the stop triggers and fills.
    let clock_before = sim.status().sim_time;
    let status = sim.advance_until(hms(15, 0, 0)).await;
    assert!(status.sim_time > clock_before);
    assert_eq!(status.sim_time.time(), hms(15, 0, 0));
    assert!(!status.started, "no client ever subscribed");
    let row = sim.orders().into_iter().find(|o| o.order_id == sl).unwrap();
    assert_eq!(row.status, "COMPLETE", "{row:?}");
    assert!(
        row.history.iter().any(|s| s == "OPEN"),
        "triggered first: {:?}",
        row.history
    );
    // A marketable limit: at the bid, never below its price.
    assert_eq!(row.fills.len(), 1);
    assert!(row.fills[0].price >= p2, "{row:?}");
    // The still-connected client received the fill (one update per matching pass).
    let u = next_update(&mut ev2, &sl).await;
    assert_eq!((u.status.as_str(), u.filled_quantity), ("COMPLETE", 25.0));

    // Positions net and day: 50 bought, 25 sold by the stop.
    let pos = k2.positions().await.unwrap();
    assert_eq!(pos.net.len(), 1);
    assert_eq!(pos.net[0].tradingsymbol, SYMBOL);
    assert_eq!(
        (
            pos.net[0].quantity,
            pos.net[0].buy_quantity,
            pos.net[0].sell_quantity
        ),
        (25, 50, 25)
    );
    assert_eq!(pos.day[0].quantity, 25);
    let trades = k2.trades().await.unwrap();
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[1].order_id, sl);
    assert_eq!(trades[1].transaction_type, "SELL");

    // After advancing, the stream holds again: the clock stays while nobody subscribes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.status().sim_time, status.sim_time);
}

#[tokio::test]
async fn sl_cancel_and_advance_over_http() {
    let sim = start().await;
    let k = kite(&sim);
    sim.place_manual(SYMBOL, Side::Buy, 25).unwrap();
    let (p, _, _) = stop(&sim, 25);
    let sl = k.place_order(Variety::Regular, p).await.unwrap().order_id;
    k.cancel_order(Variety::Regular, &sl, None).await.unwrap();
    let row = sim.orders().into_iter().find(|o| o.order_id == sl).unwrap();
    assert_eq!(row.status, "CANCELLED");
    // A SELL stop must trigger below the LTP.
    let bad = order(TransactionType::Sell, OrderType::Sl, 25)
        .trigger_price(f(premium(&sim) + Decimal::ONE))
        .price(1.0);
    k.place_order(Variety::Regular, bad).await.unwrap();
    assert_eq!(sim.orders().last().unwrap().status, "REJECTED");
    // A manual order that Kite would refuse.
    let e = sim.place_manual(SYMBOL, Side::Buy, 30).unwrap_err();
    assert!(e.to_string().contains("lot size"), "{e}");

    let (code, body) = http(&sim, "POST", "/sim/advance", r#"{"until":"10:30:00"}"#).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["data"]["sim_time"].as_str().unwrap(),
        "2024-06-03T10:30:00+05:30"
    );
    // Already there: returns at once; a bad time is refused.
    let (code, _) = http(&sim, "POST", "/sim/advance", r#"{"until":"10:00"}"#).await;
    assert_eq!(code, 200);
    assert_eq!(sim.status().sim_time.time(), hms(10, 30, 0));
    let (code, body) = http(&sim, "POST", "/sim/advance", r#"{"until":"25:00"}"#).await;
    assert_eq!(code, 400, "{body}");
    // To the end of the day: the closing frame is delivered.
    let end = sim.advance_until(hms(15, 30, 0)).await;
    assert!(end.finished);
    assert_eq!(end.frames_done, end.frames_total);
}

/// A minimal HTTP/1.1 client for the control endpoints (no auth, loopback).
async fn http(sim: &Simulator, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(sim.local_addr())
        .await
        .unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    let json = body
        .find('{')
        .and_then(|a| body.rfind('}').map(|b| &body[a..=b]))
        .unwrap_or("null");
    (
        status,
        serde_json::from_str(json).unwrap_or(serde_json::Value::Null),
    )
}
