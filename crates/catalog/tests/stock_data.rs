//! Integration test: the shipped NSE stock series in `data/` (converted from
//! `shared/data/nse-stocks-1min/`) read back through the catalog's public API with the facts
//! `data/README.md` states, and a Breeze CSV export of real rows agrees with them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::Catalog;
use catalog::convert::Converted;
use catalog::convert::breeze::{BreezeOptions, StockCodes, convert_breeze_csv};
use chrono::{NaiveDate, NaiveTime, TimeDelta};
use domain::Decimal;
use rust_decimal_macros::dec;
use std::path::PathBuf;

fn cat() -> Catalog {
    Catalog::open(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

const STOCKS: [&str; 5] = ["RELIANCE", "TCS", "ICICIBANK", "BHARTIARTL", "BAJAJ-AUTO"];

/// Whether every price of `series` on `date` is a multiple of `tick`.
fn all_on(c: &Catalog, series: &str, date: NaiveDate, tick: Decimal) -> bool {
    c.bars(series, date)
        .unwrap()
        .iter()
        .flat_map(|b| [b.open, b.high, b.low, b.close])
        .all(|p| (p % tick).is_zero())
}

#[test]
fn one_minute_stocks_have_139_full_sessions_with_volume() {
    let c = cat();
    let reliance = c.bar_dates("RELIANCE").unwrap();
    assert_eq!(reliance.len(), 139);
    assert_eq!(reliance[0], d(2025, 1, 1));
    assert_eq!(*reliance.last().unwrap(), d(2025, 7, 24));
    // holidays absent, and the two real sessions missing upstream
    for missing in [
        d(2025, 2, 26),
        d(2025, 3, 14),
        d(2025, 4, 14),
        d(2025, 5, 1),
        d(2025, 5, 19),
        d(2025, 2, 1),
    ] {
        assert!(!c.has_bars("RELIANCE", missing), "{missing}");
    }
    for s in STOCKS {
        assert_eq!(c.bar_timeframe(s).unwrap().minutes(), 1);
        assert_eq!(c.bar_dates(s).unwrap(), reliance, "{s}: same sessions");
        for date in c.bar_dates(s).unwrap() {
            let bars = c.bars(s, date).unwrap();
            assert_eq!(bars.len(), 375, "{s} {date}");
            for (i, b) in bars.iter().enumerate() {
                assert_eq!(
                    b.ts.time(),
                    hm(9, 15) + TimeDelta::minutes(i as i64),
                    "{s} {date}"
                );
                assert!(
                    b.volume.is_some_and(|v| v > 0),
                    "{s} {date} {}: volume",
                    b.ts
                );
            }
        }
    }
}

#[test]
fn reliance_2025_01_02_as_in_the_source() {
    let c = cat();
    let b = c.bars("RELIANCE", d(2025, 1, 2)).unwrap();
    assert_eq!(b[0].ts.to_rfc3339(), "2025-01-02T09:15:00+05:30");
    // source line `02-01-2025,09:15:00,1221.25,1226.2,1221.25,1223.05,203325,…`
    assert_eq!(
        (b[0].open, b[0].high, b[0].low, b[0].close, b[0].volume),
        (
            dec!(1221.25),
            dec!(1226.2),
            dec!(1221.25),
            dec!(1223.05),
            Some(203325)
        )
    );
    assert_eq!(b[374].close, dec!(1240.8));
    let path = c
        .day_file("RELIANCE", d(2025, 1, 2), catalog::FileKind::Bars)
        .unwrap();
    assert!(
        path.to_string_lossy().ends_with(".csv.gz"),
        "stock bars ship compressed"
    );
}

/// NSE revised tick sizes from 2025-04-15: up to 2025-04-11 every price is on the 0.05 grid;
/// from 04-15 RELIANCE, TCS, ICICIBANK, BHARTIARTL move on 0.10 and BAJAJ-AUTO on 0.50.
#[test]
fn tick_size_change_on_2025_04_15_is_preserved_exactly() {
    let c = cat();
    let change = d(2025, 4, 15);
    for s in STOCKS {
        let new_tick = if s == "BAJAJ-AUTO" {
            dec!(0.50)
        } else {
            dec!(0.10)
        };
        let (mut before_off_new, mut after) = (0, 0);
        for date in c.bar_dates(s).unwrap() {
            if date < change {
                assert!(
                    all_on(&c, s, date, dec!(0.05)),
                    "{s} {date}: off the 0.05 grid"
                );
                if !all_on(&c, s, date, new_tick) {
                    before_off_new += 1;
                }
            } else {
                assert!(
                    all_on(&c, s, date, new_tick),
                    "{s} {date}: off the {new_tick} grid"
                );
                after += 1;
            }
        }
        // 70 sessions 2025-04-15..07-24 in the raw file (2025-05-19 missing upstream)
        assert_eq!(after, 70, "{s}: sessions from 2025-04-15");
        assert!(
            before_off_new > 60,
            "{s}: the old tick is visible before the change ({before_off_new} days)"
        );
    }
    // a value on the new grid, exactly as written in the source
    let b = c.bars("RELIANCE", change).unwrap();
    assert_eq!(
        (b[0].open, b[0].low, b[0].close),
        (dec!(1251), dec!(1241.4), dec!(1247.1))
    );
    assert_eq!(c.bars("BAJAJ-AUTO", change).unwrap()[0].low, dec!(7828.5));
}

#[test]
fn five_minute_stocks_rounded_to_the_tick_with_unknown_volume_empty() {
    let c = cat();
    for s in [
        "RELIANCE",
        "TCS",
        "INFY",
        "HDFCBANK",
        "ICICIBANK",
        "SBIN",
        "ITC",
        "HINDUNILVR",
        "BHARTIARTL",
        "LICI",
    ] {
        let series = format!("{s}_5m");
        assert_eq!(c.bar_timeframe(&series).unwrap().minutes(), 5);
        let dates = c.bar_dates(&series).unwrap();
        assert_eq!(dates.len(), 19, "{series}");
        let mut unknown_open = 0;
        for date in dates {
            let bars = c.bars(&series, date).unwrap();
            assert_eq!(bars.len(), 75, "{series} {date}");
            assert_eq!(bars[74].ts.time(), hm(15, 25));
            assert!(all_on(&c, &series, date, dec!(0.05)), "{series} {date}");
            assert!(
                bars.iter().all(|b| b.volume != Some(0)),
                "{series} {date}: 0 means unknown"
            );
            assert!(
                bars[1..74].iter().all(|b| b.volume.is_some()),
                "{series} {date}"
            );
            unknown_open += usize::from(bars[0].volume.is_none());
        }
        assert!(
            (15..=18).contains(&unknown_open),
            "{series}: {unknown_open}"
        );
    }
    // `2855.949951171875` in the source
    let b = c.bars("RELIANCE_5m", d(2024, 3, 20)).unwrap();
    assert_eq!(b[0].open.to_string(), "2855.95");
    assert_eq!(b[1].volume, Some(85598));
}

/// The Breeze export of real rows (`tests/data/README.md`) converts, and its closes equal the
/// shipped RELIANCE bars' (the data README's cross-check: closes identical for 2025-01-02).
#[test]
fn breeze_export_agrees_with_the_shipped_closes() {
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/breeze_RELIND_2025-01-02.csv");
    let opts = BreezeOptions {
        series: None,
        codes: StockCodes::builtin().unwrap(),
    };
    let mut conv = Converted::default();
    convert_breeze_csv(&fixture, &opts, &mut conv).unwrap();
    let day = d(2025, 1, 2);
    let breeze = conv.bars("RELIANCE", day).unwrap();
    assert_eq!(
        breeze.len(),
        4,
        "09:07 pre-open and 15:30 post-close dropped"
    );
    let shipped = cat().bars("RELIANCE", day).unwrap();
    for b in breeze {
        let s = shipped.iter().find(|s| s.ts == b.ts).unwrap();
        assert_eq!(b.close, s.close, "{}", b.ts);
    }
    // and it writes into a catalog that reads it back
    let tmp = tempfile::tempdir().unwrap();
    let out = Catalog::create(tmp.path()).unwrap();
    conv.write(&out, false, true).unwrap();
    assert_eq!(out.bars("RELIANCE", day).unwrap(), breeze);
}

/// `data/instruments.csv` records each stock series' NSE token as the source gives it.
#[test]
fn instruments_file_has_the_nse_tokens() {
    let rows =
        catalog::convert::instruments::read(&catalog::convert::instruments::path(cat().root()))
            .unwrap();
    // `symbolcode` of the marketmaya files (data README table)
    for (s, token) in [
        ("RELIANCE", 2885),
        ("TCS", 11536),
        ("ICICIBANK", 4963),
        ("BHARTIARTL", 10604),
        ("BAJAJ-AUTO", 16669),
    ] {
        let r = &rows[s];
        assert_eq!((r.symbol.as_str(), r.exchange_token), (s, Some(token)));
        assert_eq!(r.kite_instrument_token(), Some(token * 256 + 1));
    }
    assert_eq!(rows["RELIANCE"].kite_instrument_token(), Some(738561));
    let five: Vec<&String> = rows.keys().filter(|s| s.ends_with("_5m")).collect();
    assert_eq!(five.len(), 10);
    assert!(
        five.iter().all(|s| rows[*s].exchange_token.is_none()),
        "Yahoo has no token"
    );
}
