//! The recorder's fan-out and the catalog sink's spool and finish.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::catalog_sink::{CatalogSink, instruments_file};
use super::spool::spool_dir;
use super::*;
use catalog::Catalog;
use domain::time::{ist, ist_hms, session_close};
use std::sync::{Arc, Mutex};

fn d() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

fn shipped() -> Catalog {
    Catalog::open(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")).unwrap()
}

const OPTION: u32 = 12_345_678;
const SYMBOL: &str = "NIFTY2460623000CE";

fn symbols() -> Symbols {
    Box::new(|t| (t == OPTION).then(|| SYMBOL.to_string()))
}

/// A sink that writes down every call.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl RecordSink for Log {
    fn instruments(&mut self, date: NaiveDate, csv: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("instruments {date} {}", csv.len()));
    }
    fn tick(&mut self, series: &str, t: &TradeTick) {
        let at = domain::time::fmt_iso(&t.ts);
        self.0
            .lock()
            .unwrap()
            .push(format!("tick {series} {at} {}", t.last_price));
    }
    fn bar(&mut self, series: &str, b: &Bar) {
        let at = domain::time::fmt_iso(&b.ts);
        self.0
            .lock()
            .unwrap()
            .push(format!("bar {series} {at} {}", b.close));
    }
    fn finish(&mut self, date: NaiveDate) -> Result<(), String> {
        self.0.lock().unwrap().push(format!("finish {date}"));
        Err("log sink says no".into())
    }
}

fn tick(token: u32, ts: IstDateTime, price: i64, volume: Option<u64>) -> MarketEvent {
    MarketEvent::Tick(Tick {
        token,
        ts,
        price: Decimal::from(price),
        volume,
    })
}

#[test]
fn every_sink_gets_every_call_and_all_finish_even_after_a_failure() {
    let (a, b) = (Log::default(), Log::default());
    let mut r = Recorder::new(
        d(),
        symbols(),
        vec![Box::new(a.clone()), Box::new(b.clone())],
    );
    let nifty = domain::Index::Nifty.token();
    r.instruments("h\n1\n");
    r.event(&tick(nifty, ist_hms(d(), 9, 15, 0), 100, None));
    r.event(&tick(OPTION, ist_hms(d(), 9, 15, 1), 50, Some(75)));
    // A packet without a trade (same price, nothing traded) is not a tick.
    r.event(&tick(OPTION, ist_hms(d(), 9, 15, 2), 50, Some(0)));
    // An instrument the master does not know is not recorded.
    r.event(&tick(7, ist_hms(d(), 9, 15, 2), 1, Some(1)));
    // Another day's tick is not recorded.
    r.event(&tick(
        OPTION,
        ist_hms(d().succ_opt().unwrap(), 9, 15, 2),
        51,
        Some(1),
    ));
    r.event(&tick(nifty, ist_hms(d(), 9, 16, 0), 101, None));
    r.event(&MarketEvent::Timer(ist_hms(d(), 9, 17, 0)));
    r.event(&tick(nifty, ist_hms(d(), 9, 17, 5), 102, None));
    let err = r.finish(ist(d(), session_close())).unwrap_err();
    assert_eq!(err, "log sink says no; log sink says no");
    let expected = [
        "instruments 2024-06-03 4",
        "tick NIFTY2460623000CE 2024-06-03T09:15:01+05:30 50",
        "bar NIFTY 2024-06-03T09:15:00+05:30 100",
        "bar NIFTY 2024-06-03T09:16:00+05:30 101",
        "bar NIFTY 2024-06-03T09:17:00+05:30 102",
        "finish 2024-06-03",
    ];
    assert_eq!(*a.0.lock().unwrap(), expected);
    assert_eq!(*b.0.lock().unwrap(), expected);
}

/// Record `bars` (their replay ticks) and an option's ticks into `sink`, from minute `from`
/// to minute `to` (indices into the shipped day's bars).
fn record_into(sink: &mut CatalogSink, from: usize, to: usize) {
    let bars = shipped().bars("NIFTY", d()).unwrap();
    for (i, bar) in bars.iter().enumerate().take(to).skip(from) {
        for t in catalog::replay::ticks::synthesize_ticks(0, bar) {
            let tt = TradeTick {
                ts: t.ts,
                last_price: t.price / Decimal::from(100),
                volume: Some(50),
                oi: None,
            };
            sink.tick(SYMBOL, &tt);
        }
        if i + 1 < to {
            sink.bar("NIFTY", bar);
        }
    }
}

#[test]
fn a_restarted_day_continues_the_spool_and_finish_writes_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let shipped_bars = shipped().bars("NIFTY", d()).unwrap();
    // The first run records 09:15..09:44 and dies (dropped, nothing published).
    let mut first = CatalogSink::new(dir.path(), d());
    first.instruments(d(), "instrument_token,tradingsymbol\n1,X\n");
    record_into(&mut first, 0, 31);
    drop(first);
    let spool = spool_dir(dir.path(), d());
    assert!(spool.join("NIFTY.csv").is_file());
    assert!(!dir.path().join("NIFTY").exists(), "nothing published");
    // The restart the same day continues from 09:45 to the close and finishes.
    let mut second = CatalogSink::new(dir.path(), d());
    second.instruments(d(), "something else");
    record_into(&mut second, 30, shipped_bars.len() + 1);
    second.finish(d()).unwrap();

    let cat = Catalog::open(dir.path()).unwrap();
    assert_eq!(cat.bars("NIFTY", d()).unwrap(), shipped_bars);
    let ticks = cat.ticks(SYMBOL, d()).unwrap();
    // Minute 30 was recorded by both runs (its ticks twice, its bar once).
    assert_eq!(ticks.len(), 4 * (shipped_bars.len() + 1));
    assert!(ticks.windows(2).all(|w| w[0].ts <= w[1].ts));
    // The first run's dump is kept; the spool is gone, `series()` lists no hidden folder.
    let dump = std::fs::read_to_string(instruments_file(dir.path(), d())).unwrap();
    assert_eq!(dump, "instrument_token,tradingsymbol\n1,X\n");
    assert!(!spool.exists() && !dir.path().join(".recording").exists());
    assert_eq!(cat.series().unwrap(), ["NIFTY", SYMBOL]);
}

#[test]
fn finish_never_overwrites_a_catalog_day_file_and_keeps_the_spool() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::create(dir.path()).unwrap();
    let shipped_bars = shipped().bars("NIFTY", d()).unwrap();
    let existing = cat
        .write_bars("NIFTY", d(), &shipped_bars[..3], false)
        .unwrap();
    let before = std::fs::read(&existing).unwrap();
    let mut sink = CatalogSink::new(dir.path(), d());
    record_into(&mut sink, 0, 11);
    sink.finish(d()).unwrap();
    assert_eq!(
        std::fs::read(&existing).unwrap(),
        before,
        "day file untouched"
    );
    // The bars' spool stays (with all ten bars); the ticks had no file and went in.
    let kept = spool_dir(dir.path(), d()).join("NIFTY.csv");
    let text = super::spool::read_spool(&kept, catalog::FileKind::Bars).unwrap();
    assert_eq!(text.lines().count(), 1 + 10);
    assert!(
        !spool_dir(dir.path(), d())
            .join(format!("{SYMBOL}.ticks.csv"))
            .exists()
    );
    assert_eq!(cat.ticks(SYMBOL, d()).unwrap().len(), 44);
}

#[test]
fn rows_are_flushed_each_second_so_a_crash_loses_at_most_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = CatalogSink::new(dir.path(), d());
    let tt = |s: u32| TradeTick {
        ts: ist_hms(d(), 9, 15, s),
        last_price: Decimal::from(10),
        volume: None,
        oi: None,
    };
    sink.tick(SYMBOL, &tt(1));
    sink.tick(SYMBOL, &tt(1));
    sink.tick(SYMBOL, &tt(2));
    // Without dropping the sink (a crash keeps no buffer): second 1 is on disk.
    let file = spool_dir(dir.path(), d()).join(format!("{SYMBOL}.ticks.csv"));
    let on_disk = std::fs::read_to_string(&file).unwrap();
    assert_eq!(on_disk.lines().count(), 1 + 2, "{on_disk}");
    std::mem::forget(sink);
}
