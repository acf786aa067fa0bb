//! Acceptance: the engine reproduces the independent implementation's `rsi_crossover` trades
//! on three real days (tests/golden/, copied from ../shared/golden/) exactly — segment,
//! signal, entry/exit time to the second, index prices to the paisa, exit reason — and the
//! NIFTY 2024-06-03 indicator dump to 1e-9.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use config::Config;
use domain::time::{fmt_iso, parse_iso};
use domain::{Decimal, Segment};
use engine::EngineEvent;
use journal::MemoryJournal;
use kestrel_support::golden_dir;
use std::str::FromStr;

/// The shipped default config with what the golden files do not model switched off
/// (tests/golden/README.md: index level only, no daily-loss rule, no pyramiding).
fn golden_config() -> Config {
    let mut cfg = kestrel_support::config("config/default.toml");
    cfg.pyramiding.enabled = false;
    cfg.risk.max_daily_loss = Decimal::ZERO;
    cfg.risk.max_daily_loss_pct = Decimal::ZERO;
    cfg.risk.max_trades_global = 1000;
    cfg
}

fn replay(date: NaiveDate) -> MemoryJournal {
    kestrel_support::replay(golden_config(), date)
}

#[derive(Debug, PartialEq)]
struct Row {
    segment: String,
    signal_type: String,
    entry_time: String,
    index_entry_spot: Decimal,
    exit_time: String,
    index_exit_spot: Decimal,
    exit_reason: String,
}

fn golden_rows(segment: &str, date: &str) -> Vec<Row> {
    let path = golden_dir().join(format!("{segment}_{date}.csv"));
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            Row {
                segment: rec[0].to_string(),
                signal_type: rec[1].to_string(),
                entry_time: fmt_iso(&parse_iso(&rec[2]).unwrap()),
                index_entry_spot: Decimal::from_str(&rec[3]).unwrap(),
                exit_time: fmt_iso(&parse_iso(&rec[4]).unwrap()),
                index_exit_spot: Decimal::from_str(&rec[5]).unwrap(),
                exit_reason: rec[6].to_string(),
            }
        })
        .collect()
}

fn check_day(date: &str) {
    let d = NaiveDate::from_str(date).unwrap();
    let j = replay(d);
    for seg in ["NIFTY", "BANKNIFTY"] {
        let want = golden_rows(seg, date);
        let mut got: Vec<Row> = j
            .trades
            .iter()
            .filter(|t| t.segment.code() == seg)
            .map(|t| Row {
                segment: t.segment.code().to_string(),
                signal_type: t.signal_type.code().to_string(),
                entry_time: fmt_iso(&t.entry_time),
                index_entry_spot: t.index_entry_spot,
                exit_time: fmt_iso(&t.exit_time),
                index_exit_spot: t.index_exit_spot,
                exit_reason: t.exit_reason.code().to_string(),
            })
            .collect();
        got.sort_by(|a, b| a.entry_time.cmp(&b.entry_time));
        assert_eq!(got, want, "{seg} {date}");
    }
}

#[test]
fn golden_2024_06_03() {
    check_day("2024-06-03");
}

#[test]
fn golden_2024_06_04() {
    check_day("2024-06-04");
}

#[test]
fn golden_2024_08_20() {
    check_day("2024-08-20");
}

#[test]
fn golden_indicators_nifty_2024_06_03() {
    let j = replay(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap());
    let path = golden_dir().join("NIFTY_2024-06-03_indicators.csv");
    let mut r = csv::Reader::from_path(&path).unwrap();
    let candles: Vec<&journal::Event> = j
        .events
        .iter()
        .filter(|e| {
            EngineEvent::of(e) == Some(EngineEvent::Candle) && e.segment == Some(Segment::Nifty)
        })
        .collect();
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let start = fmt_iso(&parse_iso(&rec[0]).unwrap());
        let ev = candles
            .iter()
            .find(|e| e.data["candle_start"] == start.as_str())
            .unwrap_or_else(|| panic!("no candle event for {start}"));
        for (col, name) in [(1, "open"), (2, "high"), (3, "low"), (4, "close")] {
            let got = Decimal::from_str(ev.data[name].as_str().unwrap()).unwrap();
            assert_eq!(got, Decimal::from_str(&rec[col]).unwrap(), "{start} {name}");
        }
        for (col, name) in [(5, "rsi"), (6, "price_strength"), (7, "volume_strength")] {
            let want: f64 = rec[col].parse().unwrap();
            let got = ev.data[name]
                .as_f64()
                .unwrap_or_else(|| panic!("{start} {name} missing"));
            assert!((got - want).abs() < 1e-9, "{start} {name}: {got} vs {want}");
        }
        assert_eq!(ev.data["signal"], &rec[8], "{start} signal");
        n += 1;
    }
    assert_eq!(n, 75, "a full day has 75 five-minute candles");
}
