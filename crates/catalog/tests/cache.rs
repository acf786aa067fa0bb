//! The cached catalog (issue 13): the same answers as a plain catalog, each file parsed once
//! however many threads and clones ask, and the replay ticks of a day computed once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::Catalog;
use catalog::replay::{ReplayFeed, day_ticks};
use chrono::NaiveDate;
use domain::{Bar, Segment, Tick};
use std::sync::Arc;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, d).unwrap()
}

fn bar(date: NaiveDate, minute: u32, p: i64) -> Bar {
    Bar {
        ts: domain::time::ist_hms(date, 9, 15 + minute, 0),
        open: p.into(),
        high: (p + 3).into(),
        low: (p - 2).into(),
        close: (p + 1).into(),
        volume: None,
    }
}

/// A catalog with NIFTY and BANKNIFTY bars on two days.
fn catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::create(dir.path()).unwrap();
    for (series, base) in [("NIFTY", 23000), ("BANKNIFTY", 50000)] {
        for d in [3, 4] {
            let bars: Vec<Bar> = (0..30)
                .map(|m| bar(day(d), m, base + i64::from(m)))
                .collect();
            cat.write_bars(series, day(d), &bars, d == 4).unwrap();
        }
    }
    (dir, cat)
}

#[test]
fn a_cached_catalog_answers_as_the_plain_one_and_parses_each_file_once() {
    let (_dir, plain) = catalog();
    let cached = plain.clone().cached();
    assert_eq!(cached.cache().unwrap().files_parsed(), 0);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = cached.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    for s in ["NIFTY", "BANKNIFTY"] {
                        for d in [3, 4] {
                            c.bars(s, day(d)).unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(cached.cache().unwrap().files_parsed(), 4);
    for s in ["NIFTY", "BANKNIFTY"] {
        assert_eq!(cached.bar_dates(s).unwrap(), plain.bar_dates(s).unwrap());
        for d in [3, 4, 5] {
            assert_eq!(cached.has_bars(s, day(d)), plain.has_bars(s, day(d)));
            match (cached.bars(s, day(d)), plain.bars(s, day(d))) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{s} {d}: {a:?} vs {b:?}"),
            }
        }
    }
    assert!(
        Arc::ptr_eq(
            &cached.bars_shared("NIFTY", day(3)).unwrap(),
            &cached.bars_shared("NIFTY", day(3)).unwrap()
        ),
        "shared, not copied"
    );
    assert_eq!(cached.cache().unwrap().files_parsed(), 4);
}

#[test]
fn day_ticks_equal_the_feed_of_the_bars_and_are_shared_when_cached() {
    let (_dir, plain) = catalog();
    let cached = plain.clone().cached();
    let series = vec![
        (Segment::Nifty, "NIFTY".to_string()),
        (Segment::BankNifty, "BANKNIFTY".to_string()),
    ];
    let bars = vec![
        (Segment::Nifty, 256265, plain.bars("NIFTY", day(4)).unwrap()),
        (
            Segment::BankNifty,
            260105,
            plain.bars("BANKNIFTY", day(4)).unwrap(),
        ),
    ];
    let want: Vec<Tick> = ReplayFeed::ticks(&bars);
    assert_eq!(want.len(), 2 * 30 * 4);
    let a = day_ticks(&cached, day(4), &series).unwrap();
    let b = day_ticks(&cached, day(4), &series).unwrap();
    assert_eq!(&*a, want.as_slice());
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(
        &*day_ticks(&plain, day(4), &series).unwrap(),
        want.as_slice()
    );
    // Same instants and offsets as adding seconds to the bar's time.
    let first = &bars[0].2[0];
    assert_eq!(want[2].ts, first.ts + chrono::TimeDelta::seconds(15));
    assert_eq!(
        domain::time::fmt_iso(&want[2].ts),
        domain::time::fmt_iso(&(first.ts + chrono::TimeDelta::seconds(15)))
    );
    assert!(day_ticks(&cached, day(5), &series).is_err());
}
