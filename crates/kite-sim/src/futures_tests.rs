//! Index futures on the simulator (shipped `NIFTY-FUT_5m` bars of 2024-08-12): the day streams
//! under the near-month future's token, not the index's; the future is quoted, filled at its
//! stream price long and short, in whole lots, shows in positions, and is margined.

use super::*;
use crate::market::near_month_future;
use crate::sim::Conn;
use crate::wire::Mode;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const NIFTY_INDEX: u32 = 256_265;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 8, 12).unwrap()
}

fn config() -> SimConfig {
    let mut market = SimMarket::default();
    let mut nifty = market.segment(Segment::Nifty);
    nifty.series = "NIFTY-FUT_5m".into();
    market.segments.insert(Segment::Nifty, nifty);
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data");
    SimConfig::new(date(), vec![Segment::Nifty], market, data)
}

fn form(side: &str, order_type: &str, qty: u32, product: &str) -> HashMap<String, String> {
    [
        ("exchange", "NFO"),
        ("tradingsymbol", "NIFTY24AUGFUT"),
        ("transaction_type", side),
        ("order_type", order_type),
        ("quantity", &qty.to_string()),
        ("product", product),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `(token, last price in paise, volume)` of each packet of a binary frame (quote/full mode).
fn packets(frame: &[u8]) -> Vec<(u32, u32, u32)> {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let n = usize::from(u16::from_be_bytes([frame[0], frame[1]]));
    let mut at = 2;
    let mut out = Vec::new();
    for _ in 0..n {
        let len = usize::from(u16::from_be_bytes([frame[at], frame[at + 1]]));
        let p = &frame[at + 2..at + 2 + len];
        out.push((be(&p[0..4]), be(&p[4..8]), be(&p[16..20])));
        at += 2 + len;
    }
    out
}

#[tokio::test]
async fn a_futures_series_streams_under_the_near_month_future_token() {
    let sim = Simulator::start(config()).await.unwrap();
    let fut = near_month_future(Segment::Nifty, date()).unwrap();
    assert_eq!(fut.tradingsymbol, "NIFTY24AUGFUT");
    let day = &sim.sh.day;
    assert!(day.streams_future(Segment::Nifty));
    assert_eq!(day.token(Segment::Nifty), fut.instrument_token);
    assert_eq!(
        day.segment_of_token(fut.instrument_token),
        Some(Segment::Nifty)
    );
    assert_eq!(day.segment_of_token(NIFTY_INDEX), None);
    assert_eq!(
        day.open[&Segment::Nifty],
        dec!(24355),
        "the future's 09:15 open"
    );
    let contract = sim.contract("NIFTY24AUGFUT").expect("listed");
    assert_eq!(contract.instrument_token, Some(fut.instrument_token));
    // A client subscribed to the future and to the index gets the future's packets only.
    let (tx, _rx) = mpsc::unbounded_channel();
    let frames = {
        let mut st = sim.sh.lock();
        let subs = [
            (fut.instrument_token, Mode::Full),
            (NIFTY_INDEX, Mode::Full),
        ];
        st.conns.insert(
            99,
            Conn {
                tx,
                subs: subs.into_iter().collect(),
            },
        );
        let fr: Vec<Vec<u8>> = day
            .groups
            .iter()
            .take(4)
            .flat_map(|g| sim.sh.build_frames(&mut st, g))
            .map(|(_, _, f)| f)
            .collect();
        st.conns.remove(&99);
        fr
    };
    assert_eq!(frames.len(), 4);
    let all: Vec<(u32, u32, u32)> = frames.iter().flat_map(|f| packets(f)).collect();
    assert!(
        all.iter().all(|(t, _, _)| *t == fut.instrument_token),
        "{all:?}"
    );
    assert_eq!(all[0].1, 2_435_500, "₹24355.00 in paise");
    assert!(
        all.iter().any(|(_, _, v)| *v > 0),
        "the future carries volume"
    );
    // Quotes answer the future; the index is not streamed, so its key is absent.
    let q = sim.sh.quotes(
        &["NFO:NIFTY24AUGFUT".to_string(), "NSE:NIFTY 50".to_string()],
        "ltp",
    );
    assert_eq!(
        q["NFO:NIFTY24AUGFUT"],
        json!({"instrument_token": fut.instrument_token, "last_price": 24355.0})
    );
    assert!(q.get("NSE:NIFTY 50").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn the_future_fills_at_its_stream_price_long_and_short_in_whole_lots() {
    let sim = Simulator::start(config()).await.unwrap();
    let sh = &sim.sh;
    let token = near_month_future(Segment::Nifty, date())
        .unwrap()
        .instrument_token;
    let (buy, _) = sh
        .place("regular", &form("BUY", "MARKET", 50, "MIS"))
        .unwrap();
    sim.advance_until(NaiveTime::from_hms_opt(11, 0, 0).unwrap())
        .await;
    let now = sim.premium(token).unwrap();
    assert_eq!(now, sh.index_price(&sh.lock(), Segment::Nifty));
    assert_ne!(now, dec!(24355), "the stream moved");
    let (sell, _) = sh
        .place("regular", &form("SELL", "MARKET", 50, "MIS"))
        .unwrap();
    // A SELL with no position opens a short (NRML).
    let (short, _) = sh
        .place("regular", &form("SELL", "MARKET", 25, "NRML"))
        .unwrap();
    assert_eq!(row_of(&sh.positions(), "NRML")["quantity"], -25, "short");
    // A marketable LIMIT fills at the stream price, no spread.
    let mut lim = form("BUY", "LIMIT", 25, "NRML");
    lim.insert("price".into(), (now + dec!(10)).to_string());
    let (limit, _) = sh.place("regular", &lim).unwrap();
    let book = sim.orders();
    let fill = |id: &str| {
        let o = book.iter().find(|o| o.order_id == id).unwrap();
        assert_eq!(o.status, "COMPLETE", "{o:?}");
        assert_eq!(o.exchange, "NFO");
        o.fills[0].price
    };
    assert_eq!(fill(&buy), dec!(24355));
    assert_eq!(fill(&sell), now);
    assert_eq!(fill(&short), now);
    assert_eq!(fill(&limit), now);
    let pos = sh.positions();
    let net = pos["net"].as_array().unwrap();
    let row = |product: &str| {
        net.iter()
            .find(|r| r["product"] == product && r["tradingsymbol"] == "NIFTY24AUGFUT")
            .unwrap()
            .clone()
    };
    let mis = row("MIS");
    assert_eq!(mis["quantity"], 0, "bought 50, sold 50: flat");
    assert_eq!(mis["exchange"], "NFO");
    assert_eq!(mis["instrument_token"], token);
    let pnl = (now - dec!(24355)) * dec!(50);
    assert!((mis["pnl"].as_f64().unwrap() - crate::orders::num(pnl)).abs() < 1e-6);
    assert_eq!(row("NRML")["quantity"], 0, "short 25 then bought 25");
    // A short alone shows a negative quantity.
    sh.place("regular", &form("SELL", "MARKET", 25, "MIS"))
        .unwrap();
    assert_eq!(row_of(&sh.positions(), "MIS")["quantity"], -25);
    // Whole lots only, Kite's message; SL-M allowed on NFO futures.
    let e = sh
        .place("regular", &form("BUY", "MARKET", 30, "MIS"))
        .unwrap_err();
    assert!(e.message.contains("multiple of the lot size 25"), "{e:?}");
    let mut slm = form("BUY", "SL-M", 25, "MIS");
    slm.insert("trigger_price".into(), (now + dec!(50)).to_string());
    let (id, _) = sh.place("regular", &slm).unwrap();
    let o = sim.orders().into_iter().find(|o| o.order_id == id).unwrap();
    assert_eq!(o.status, "TRIGGER PENDING");
    // Funds: the futures' open margin shows in `span`, no premium outflow.
    let m = sh.equity_margins();
    assert!(m["utilised"]["span"].as_f64().unwrap() > 0.0, "{m}");
    assert_eq!(m["utilised"]["option_premium"], 0.0);
    sim.shutdown().await;
}

fn row_of(pos: &Value, product: &str) -> Value {
    pos["net"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product"] == product)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_future_is_margined_on_its_notional() {
    let sim = Simulator::start(config()).await.unwrap();
    let order = |side: &str, product: &str| {
        json!({"exchange": "NFO", "tradingsymbol": "NIFTY24AUGFUT", "transaction_type": side,
               "variety": "regular", "product": product, "order_type": "MARKET", "quantity": 25})
    };
    let body = serde_json::to_vec(&json!([order("BUY", "NRML"), order("SELL", "MIS")])).unwrap();
    let v = sim.sh.order_margins(&body).unwrap();
    // 13 % of 24355 × 25 = 79153.75 (10 % SPAN + 3 % exposure), MIS = NRML.
    for m in v.as_array().unwrap() {
        assert_eq!(m["total"], 79153.75, "{m}");
        assert_eq!(m["span"], 60887.5);
        assert_eq!(m["exposure"], 18266.25);
        assert_eq!(m["tradingsymbol"], "NIFTY24AUGFUT");
    }
    let b = sim.sh.basket_margins(&body).unwrap();
    assert_eq!(
        b["final"]["total"], 158_307.5,
        "no netting of a long and a short"
    );
    assert_eq!(b["initial"]["total"], 158_307.5);
    let odd = serde_json::to_vec(
        &json!([{"exchange": "NFO", "tradingsymbol": "NIFTY24AUGFUT",
        "transaction_type": "BUY", "product": "NRML", "quantity": 10}]),
    )
    .unwrap();
    assert!(sim.sh.order_margins(&odd).is_err());
    sim.shutdown().await;
}
