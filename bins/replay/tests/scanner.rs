//! Seed 001's stock scanner (issue 15): `config/scanner.toml` runs one agent per symbol of
//! `config/symbols/seed001.csv` (RELIANCE, TCS, ICICIBANK, BHARTIARTL, BAJAJ-AUTO) on the
//! shipped real 2025 1-minute bars with volume, with seed 001's five named strategies, and
//! trades the shares themselves (EQ, MIS), long and short. Checked from the journals the binary
//! writes, on real days where each seed 001 cap binds:
//!
//! - 2025-01-13: the 5-trades-a-day cap (`max_trades_global`) and "each strategy once a day"
//!   (`max_entries_per_strategy_per_day`, counted over all symbols) both refuse entries;
//! - 2025-01-16: the 3-open-positions cap (`max_open_positions`) refuses an entry;
//!
//! and on every day: at most 5 trades, never more than 3 open, each strategy at most once,
//! size = ₹2,00,000 × 30 % × 5 / entry price in whole shares, and `--jobs 1` equals `--jobs 2`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

mod common;
use common::{replay, repo, rows};

const STOCKS: [&str; 5] = ["RELIANCE", "TCS", "ICICIBANK", "BHARTIARTL", "BAJAJ-AUTO"];

fn run(out: &Path, jobs: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--config",
        "config/scanner.toml",
        "--out",
        out.to_str().unwrap(),
        "--no-store",
        "--quiet",
        "--jobs",
        jobs,
    ];
    args.extend_from_slice(extra);
    replay(&args)
}

/// The `data` JSON of every event of `kind` on that day.
fn events(day: &Path, kind: &str) -> Vec<serde_json::Value> {
    rows(day, "events.csv")
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| serde_json::from_str(&e["data"]).unwrap())
        .collect()
}

fn refused_by(day: &Path, rule: &str) -> bool {
    events(day, "entry_skipped")
        .iter()
        .any(|d| d["rule"] == rule)
}

#[test]
fn scanner_trades_real_stocks_and_honours_every_seed_001_cap() {
    let range = ["--from", "2025-01-13", "--to", "2025-01-16"];
    let a = tempfile::tempdir().unwrap();
    let o = run(a.path(), "1", &range);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let days = a.path().join("replay");
    let day = |d: &str| days.join(d);

    // Each cap binds on a real day.
    assert!(refused_by(&day("2025-01-13"), "max_trades_global"));
    assert!(refused_by(
        &day("2025-01-13"),
        "max_entries_per_strategy_per_day"
    ));
    assert!(refused_by(&day("2025-01-16"), "max_open_positions"));

    let mut total = 0;
    for d in ["2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16"] {
        let trades = rows(&day(d), "trades.csv");
        total += trades.len();
        assert!(trades.len() <= 5, "{d}: {} trades", trades.len());
        // Each strategy at most once a day (over all symbols).
        let used: Vec<String> = events(&day(d), "entry")
            .iter()
            .map(|e| e["strategy"].as_str().unwrap().to_string())
            .collect();
        let distinct: BTreeSet<&String> = used.iter().collect();
        assert_eq!(distinct.len(), used.len(), "{d}: {used:?}");
        assert!(
            used.iter()
                .all(|s| ["s8", "s9", "s10", "s11", "s12"].contains(&s.as_str()))
        );
        // Never more than 3 open: count open positions at every entry time.
        for t in &trades {
            let at = &t["entry_time"];
            let open = trades
                .iter()
                .filter(|u| &u["entry_time"] <= at && &u["exit_time"] > at)
                .count();
            assert!(open <= 3, "{d}: {open} open at {at}");
        }
        for t in &trades {
            assert!(STOCKS.contains(&t["segment"].as_str()), "{t:?}");
            assert_eq!(t["option_type"], "EQ");
            assert_eq!(t["option_symbol"], t["segment"]);
            // Seed 001 sizing: capital × 30 % × leverage 5 / price, whole shares.
            let spot: f64 = t["index_entry_spot"].parse().unwrap();
            let want = (200_000.0 * 0.30 * 5.0 / spot).floor() as u64;
            assert_eq!(t["quantity"].parse::<u64>().unwrap(), want, "{t:?}");
            assert!(
                t["exit_time"] <= format!("{d}T15:20:00+05:30"),
                "square-off 15:20"
            );
        }
    }
    assert!(total >= 15, "a real universe trades: {total}");

    // Two jobs write the same bytes.
    let b = tempfile::tempdir().unwrap();
    let o = run(b.path(), "2", &range);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for d in ["2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16"] {
        for f in ["trades.csv", "orders.csv", "fills.csv"] {
            let x = std::fs::read(days.join(d).join(f)).unwrap();
            let y = std::fs::read(b.path().join("replay").join(d).join(f)).unwrap();
            assert_eq!(x, y, "{d}/{f} differs between --jobs 1 and --jobs 2");
        }
    }
}

#[test]
fn symbols_and_max_symbols_override_the_list_and_bad_lists_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "Symbol\nTCS\nRELIANCE\nINFY\n").unwrap();
    let out = dir.path().join("out");
    let o = run(
        &out,
        "1",
        &[
            "--symbols",
            list.to_str().unwrap(),
            "--max-symbols",
            "2",
            "--date",
            "2025-01-13",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seen: BTreeSet<String> = rows(&out.join("replay/2025-01-13"), "events.csv")
        .into_iter()
        .map(|e| e["segment"].clone())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        seen,
        BTreeSet::from(["RELIANCE".to_string(), "TCS".to_string()])
    );

    // INFY has no 2025 1-minute series with a token: the error names instruments.csv.
    let o = run(
        &out,
        "1",
        &["--symbols", list.to_str().unwrap(), "--date", "2025-01-13"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("instruments.csv") && err.contains("INFY"),
        "{err}"
    );

    std::fs::write(&list, "Symbol\nTCS\nBAD SYMBOL\n").unwrap();
    let o = run(
        &out,
        "1",
        &["--symbols", list.to_str().unwrap(), "--date", "2025-01-13"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("list.csv") && err.contains("line 3"), "{err}");
    assert!(repo().join("config/symbols/seed001.csv").is_file());
}
