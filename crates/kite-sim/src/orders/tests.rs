//! Unit tests of the simulator's order handling: order-form validation messages and fills at the touch.

use super::*;
use crate::market::Day;
use crate::market::Universe;
use chrono::NaiveDate;
use domain::Exchange;
use domain::calendar::{LotSizes, MarketCalendar};
use domain::time::ist_hms;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::collections::HashMap;

fn universe() -> Universe {
    let day = Day {
        date: NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        segments: vec![Segment::Nifty],
        series: BTreeMap::new(),
        groups: Vec::new(),
        open: [(Segment::Nifty, dec!(23337.90))].into_iter().collect(),
        prev_close: BTreeMap::new(),
        bar_minutes: BTreeMap::new(),
        tokens: BTreeMap::new(),
    };
    Universe::build(
        &day,
        &crate::settings::SimMarket::default(),
        &MarketCalendar::builtin(),
        &LotSizes::builtin(),
    )
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("tradingsymbol", "NIFTY2460623200CE"),
        ("exchange", "NFO"),
        ("transaction_type", "BUY"),
        ("order_type", "LIMIT"),
        ("quantity", "25"),
        ("product", "MIS"),
        ("price", "101.05"),
        ("validity", "DAY"),
        ("tag", "K240603000001"),
    ]
}

#[test]
fn validation_messages() {
    let u = universe();
    let freeze = |_| 1800;
    assert!(parse_place("regular", &form(&base()), &u, freeze).is_ok());
    let bad = |k: &str, v: &str| {
        let mut f = form(&base());
        f.insert(k.into(), v.into());
        parse_place("regular", &f, &u, freeze).unwrap_err()
    };
    assert!(bad("quantity", "30").contains("multiple of the lot size 25"));
    assert!(bad("quantity", "1825").contains("freeze"));
    assert!(bad("tradingsymbol", "NIFTY24JUN99999CE").contains("not in the instruments"));
    assert!(bad("exchange", "BFO").contains("not in the instruments"));
    assert!(bad("price", "101.02").contains("tick size"));
    assert!(bad("tag", "way-too-long-tag-with-dashes").contains("tag"));
    assert!(bad("product", "CNC").contains("product"));
    let mut m = form(&base());
    m.insert("order_type".into(), "MARKET".into());
    m.remove("price");
    let r = parse_place("regular", &m, &u, freeze).unwrap();
    assert_eq!((r.order_type, r.price), (OrderType::Market, Decimal::ZERO));
    assert!(parse_place("amo", &form(&base()), &u, freeze).is_err());
}

#[test]
fn fills_follow_the_touch() {
    let u = universe();
    let inst = u.by_symbol(Exchange::NFO, "NIFTY2460623200CE").unwrap();
    let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let at = ist_hms(d, 10, 0, 0);
    let mut n = 0;
    let mut ids = || {
        n += 1;
        format!("T{n}")
    };
    let mut req = parse_place("regular", &form(&base()), &u, |_| 1800).unwrap();
    // LIMIT BUY 101.05 vs LTP 101 (ask 101.05): fills at the ask.
    let mut r = OrderRec::new("1".into(), &req, inst, at);
    r.transition("OPEN", at, "SIM001");
    assert!(r.execute(dec!(101), at, "SIM001", &mut ids));
    assert_eq!(r.o.status, "COMPLETE");
    assert_eq!(r.o.average_price, Some(dec!(101.05)));
    // LTP 101.05 (ask 101.10): rests.
    let mut r2 = OrderRec::new("2".into(), &req, inst, at);
    r2.transition("OPEN", at, "SIM001");
    assert!(!r2.execute(dec!(101.05), at, "SIM001", &mut ids));
    assert_eq!(r2.pending(), 25);
    // SL-M SELL trigger 90: rests until LTP ≤ 90, then fills at the bid.
    req.side = Side::Sell;
    req.order_type = OrderType::SlM;
    req.trigger = dec!(90);
    let mut s = OrderRec::new("3".into(), &req, inst, at);
    s.transition("TRIGGER PENDING", at, "SIM001");
    assert!(!s.execute(dec!(90.05), at, "SIM001", &mut ids));
    assert!(s.execute(dec!(89.5), at, "SIM001", &mut ids));
    assert_eq!(s.o.history, ["TRIGGER PENDING", "OPEN", "COMPLETE"]);
    assert_eq!(s.o.fills[0].price, dec!(89.45));
    assert_eq!(touch(dec!(0.05)), (dec!(0.10), dec!(0.05)));
    let rows = s.rows.clone();
    assert_eq!(rows.len(), 3);
    let parsed: Vec<kiteconnect::Order> = serde_json::from_value(Value::Array(rows)).unwrap();
    assert_eq!(parsed[2].status, "COMPLETE");
    assert_eq!(parsed[2].average_price, 89.45);
    let trades: Vec<kiteconnect::Trade> =
        serde_json::from_value(Value::Array(s.trade_rows())).unwrap();
    assert_eq!(trades[0].quantity, 25.0);
    // Positions: bought 25 @ 101.05, sold 25 @ 89.45.
    let p = positions(&[r, s], &mut |_| dec!(95));
    let pos: kiteconnect::Positions = serde_json::from_value(p).unwrap();
    assert_eq!(pos.net.len(), 1);
    assert_eq!(pos.net[0].quantity, 0);
    assert_eq!(pos.net[0].pnl, -290.0);
}
