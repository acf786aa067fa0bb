//! Unit tests of the option universe: Kite-shaped tokens, symbols and dump rows.

use super::*;

#[test]
fn tokens_are_kite_shaped_and_symbols_follow_kite() {
    let day = Day {
        date: NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        segments: vec![Segment::Nifty, Segment::Sensex],
        series: BTreeMap::new(),
        groups: Vec::new(),
        open: [
            (Segment::Nifty, Decimal::new(2333790, 2)),
            (Segment::Sensex, Decimal::new(7600000, 2)),
        ]
        .into_iter()
        .collect(),
        prev_close: BTreeMap::new(),
        bar_minutes: BTreeMap::new(),
        tokens: BTreeMap::new(),
    };
    let u = Universe::build(
        &day,
        &SimMarket::default(),
        &MarketCalendar::builtin(),
        &LotSizes::builtin(),
    );
    assert!(!u.options.is_empty());
    for o in &u.options {
        let t = o.token();
        assert_eq!(t >> 8, o.exchange_token);
        assert_ne!(t & 0xFF, 9, "no index-segment tokens");
        assert!(Segment::from_index_token(t).is_none());
        assert_eq!(u.by_token(t).unwrap(), o);
    }
    // NIFTY on 2024-06-03: the weekly of Thursday 6 June, strikes ±10 % of 23337.90.
    let c = u
        .by_symbol(Exchange::NFO, "NIFTY2460623300CE")
        .expect("weekly ATM call");
    assert_eq!(c.contract.lot_size, 25);
    assert_eq!(
        c.contract.expiry,
        NaiveDate::from_ymd_opt(2024, 6, 6).unwrap()
    );
    assert!(u.by_symbol(Exchange::NFO, "NIFTY24JUN23300PE").is_some());
    // 0.9 × 23337.90 = 21004.11 → 21050; 1.1 × = 25671.69 → 25650.
    assert!(u.by_symbol(Exchange::NFO, "NIFTY2460621050CE").is_some());
    assert!(u.by_symbol(Exchange::NFO, "NIFTY2460621000CE").is_none());
    assert!(u.by_symbol(Exchange::NFO, "NIFTY2460625650PE").is_some());
    assert!(u.by_symbol(Exchange::NFO, "NIFTY2460625700PE").is_none());
    let csv = u.csv(Some("NFO"));
    assert!(
        csv.contains(",NIFTY2460623300CE,NIFTY,0.0,2024-06-06,23300.0,0.05,25,CE,NFO-OPT,NFO\n"),
        "{}",
        &csv[..400]
    );
    assert!(!csv.contains("BFO"));
    assert!(u.csv(Some("BFO")).contains(",BFO-OPT,BFO\n"));
    let all = u.csv(None);
    assert!(all.contains("256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\n"));
    assert!(all.contains("265,1,SENSEX,SENSEX,0.0,,0.0,0.0,0,EQ,INDICES,BSE\n"));
    assert_eq!(u.csv(Some("MCX")).lines().count(), 1);
}
