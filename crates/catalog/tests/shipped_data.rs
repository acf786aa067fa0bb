//! Integration test: the shipped sample in the repository's `data/` reads cleanly through the
//! catalog and holds the facts `data/README.md` states.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::Catalog;
use chrono::{NaiveDate, NaiveTime, TimeDelta};
use rust_decimal_macros::dec;
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn cat() -> Catalog {
    Catalog::open(data_dir()).expect("the shipped data/ directory exists")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// A full regular session: 375 one-minute bars 09:15..15:29, one per minute.
fn assert_full_session(c: &Catalog, series: &str, date: NaiveDate) {
    let bars = c.bars(series, date).unwrap();
    assert_eq!(bars.len(), 375, "{series} {date}");
    for (i, b) in bars.iter().enumerate() {
        assert_eq!(
            b.ts.time(),
            hm(9, 15) + TimeDelta::minutes(i as i64),
            "{series} {date}"
        );
    }
}

#[test]
fn nifty_2024_06_03() {
    let c = cat();
    let day = d(2024, 6, 3);
    assert_full_session(&c, "NIFTY", day);
    let bars = c.bars("NIFTY", day).unwrap();
    assert_eq!(bars[0].ts.to_rfc3339(), "2024-06-03T09:15:00+05:30");
    assert_eq!(bars[0].open, dec!(23337.90));
    assert_eq!(bars[374].ts.time(), hm(15, 29));
    assert!(
        bars.iter().all(|b| b.volume.is_none()),
        "index bars carry no volume"
    );
    assert_full_session(&c, "BANKNIFTY", day);
}

#[test]
fn index_day_counts_and_quirks() {
    let c = cat();
    for s in ["NIFTY", "BANKNIFTY"] {
        let dates = c.bar_dates(s).unwrap();
        let in_year = |y: i32| {
            dates
                .iter()
                .filter(|x| x.format("%Y").to_string() == y.to_string())
                .count()
        };
        assert_eq!(in_year(2022), 21, "{s} Nov 2022 sessions");
        assert_eq!(in_year(2024), 153, "{s} 2024 sessions (after the hold-out)");
        assert_eq!(in_year(2025), 5, "{s} Dec 2025 days");
        // real trading days missing upstream
        for m in [
            d(2024, 2, 1),
            d(2024, 3, 4),
            d(2024, 4, 5),
            d(2024, 5, 7),
            d(2024, 7, 10),
        ] {
            assert!(!c.has_bars(s, m), "{s} {m} is missing upstream");
        }
        // 2024-01-20 (Saturday special session): post-close artefacts dropped
        assert_full_session(&c, s, d(2024, 1, 20));
        // DR-drill Saturdays kept as they are: 09:15-09:59 and 11:30-12:29
        for sat in [d(2024, 3, 2), d(2024, 5, 18)] {
            let bars = c.bars(s, sat).unwrap();
            assert_eq!(bars.len(), 105, "{s} {sat}");
            assert_eq!(bars[0].ts.time(), hm(9, 15));
            assert_eq!(bars[44].ts.time(), hm(9, 59));
            assert_eq!(bars[45].ts.time(), hm(11, 30));
            assert_eq!(bars[104].ts.time(), hm(12, 29));
        }
    }
    let sensex = c.bar_dates("SENSEX").unwrap();
    assert_eq!(
        sensex,
        [
            d(2025, 12, 19),
            d(2025, 12, 22),
            d(2025, 12, 23),
            d(2025, 12, 24),
            d(2025, 12, 26)
        ]
    );
    assert_full_session(&c, "SENSEX", d(2025, 12, 23));
    assert_eq!(
        c.bars("SENSEX", d(2025, 12, 19)).unwrap()[0].ts.time(),
        hm(13, 43)
    );
    // float32 artefacts rounded to paise: every price has exactly 2 decimals
    let b = c.bars("SENSEX", d(2025, 12, 19)).unwrap();
    assert_eq!(b[0].open, dec!(84954.72));
    assert!(b.iter().all(|b| b.close.scale() == 2));
}

#[test]
fn nifty_2022_11_18_labels_start_and_close() {
    let c = cat();
    let day = d(2022, 11, 18);
    assert_full_session(&c, "NIFTY", day);
    let bars = c.bars("NIFTY", day).unwrap();
    // The source labels candles by their END: its 09:16 row is our 09:15 bar.
    assert_eq!(bars[0].ts.time(), hm(9, 15));
    assert_eq!(bars[0].open, dec!(18385.05)); // source row `NIFTY,20221118,09:16,18385.05,…`
    assert_eq!(bars[1].open, dec!(18371.25)); // source row `…,09:17,18371.25,…`
    // The official close 18307.65 is NSE's closing price (the weighted average of the last
    // 30 minutes), which the source carries as a flat post-close bar labelled 15:32; it is not
    // a traded 1-minute candle and is dropped. The last regular bar (source label 15:30,
    // 15:29:00-15:29:59) closes at 18304.35.
    let last = bars.last().unwrap();
    assert_eq!(last.ts.time(), hm(15, 29));
    assert_eq!(last.open, dec!(18306.85));
    assert_eq!(last.close, dec!(18304.35));
    assert_ne!(last.close, dec!(18307.65));
    let bnf = c.bars("BANKNIFTY", day).unwrap();
    assert_eq!(bnf.last().unwrap().close, dec!(42422.65)); // official close 42437.45 (post-close)
}

#[test]
fn option_and_futures_ticks_of_2022_11_18() {
    let c = cat();
    let day = d(2022, 11, 18);
    assert!(c.has_ticks("NIFTY22NOV18300CE", day));
    assert!(
        !c.has_ticks("NIFTY22112418300CE", day),
        "raw file names are not series"
    );
    let t = c.ticks("NIFTY22NOV18300CE", day).unwrap();
    assert_eq!(t.len(), 20549);
    assert_eq!(t[0].ts.to_rfc3339(), "2022-11-18T09:15:00+05:30");
    assert_eq!(t[0].last_price, dec!(158.65));
    assert_eq!(t[0].oi, Some(3535400));
    assert_eq!(t.last().unwrap().ts.time(), hm(15, 30));
    let mut options = 0;
    for s in c.series().unwrap() {
        if (s.starts_with("NIFTY22NOV") || s.starts_with("BANKNIFTY22NOV")) && c.has_ticks(&s, day)
        {
            options += 1;
        }
    }
    assert_eq!(options, 84);
    for s in ["NIFTY-FUT", "NIFTY-FUT2", "BANKNIFTY-FUT", "BANKNIFTY-FUT2"] {
        assert!(!c.ticks(s, day).unwrap().is_empty(), "{s}");
    }
}

#[test]
fn non_one_minute_series() {
    let c = cat();
    assert_eq!(c.bar_timeframe("NIFTY").unwrap().minutes(), 1);
    assert_eq!(c.bar_timeframe("NIFTY22NOV18300CE").unwrap().minutes(), 1);
    for s in ["NIFTY-FUT_5m", "BANKNIFTY-FUT_5m", "SENSEX-FUT_5m"] {
        assert_eq!(c.bar_timeframe(s).unwrap().minutes(), 5);
        let full = c.bars(s, d(2024, 8, 1)).unwrap();
        assert_eq!(full.len(), 75, "{s}");
        assert_eq!(full[74].ts.time(), hm(15, 25));
    }
    let fut = c.bars("NIFTY-FUT_5m", d(2024, 7, 31)).unwrap();
    assert_eq!(fut[0].volume, Some(134050));
    assert_eq!(c.bar_timeframe("SENSEX_3m").unwrap().minutes(), 3);
    assert_eq!(c.bars("SENSEX_3m", d(2025, 9, 1)).unwrap().len(), 125);
    let o = c.bars("SENSEX2591180500CE_3m", d(2025, 9, 1)).unwrap();
    assert_eq!(o.len(), 125);
    assert_eq!(o[0].open, dec!(519.95));
    assert_eq!(o[0].volume, Some(3920));
    assert_eq!(
        c.bar_dates("SENSEX2591180500CE_3m").unwrap(),
        [d(2025, 9, 1), d(2025, 9, 2), d(2025, 9, 4), d(2025, 9, 5)]
    );
}

/// Every file of every series reads and validates; index and option series are named as
/// documented.
#[test]
fn whole_catalog_reads() {
    let c = cat();
    let series = c.series().unwrap();
    // as converted (data/README.md); more only if days were dropped in since
    assert!(series.len() >= 130, "{}", series.len());
    let (mut files, mut rows) = (0usize, 0usize);
    for s in &series {
        let tf = c.bar_timeframe(s).unwrap();
        for date in c.bar_dates(s).unwrap() {
            let bars = c.bars(s, date).unwrap();
            assert!(!bars.is_empty(), "{s} {date}");
            for b in &bars {
                assert_eq!(
                    tf.bucket_start(&b.ts),
                    b.ts,
                    "{s} {date}: bar off the {tf} grid"
                );
            }
            files += 1;
            rows += bars.len();
        }
        for date in c.tick_dates(s).unwrap() {
            rows += c.ticks(s, date).unwrap().len();
            files += 1;
        }
    }
    assert!(files >= 1418, "{files}");
    assert!(rows >= 1_709_291, "{rows}");
    // every day file name parses (nothing stray in the series folders)
    for s in &series {
        for e in std::fs::read_dir(c.root().join(s)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(
                catalog::naming::parse_file_name(&name).is_some(),
                "{s}/{name}"
            );
        }
    }
}
