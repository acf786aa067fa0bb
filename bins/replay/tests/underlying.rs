//! `instrument = "underlying"` (issue 15): `config/futures.toml` runs seed 001's
//! `atr_breakout` on the shipped NIFTY/BANKNIFTY futures 5-minute bars (real volume,
//! 2024-07-31 .. 2024-08-13) and trades the near-month futures themselves, long and short,
//! sized by capital × allocation × leverage. Checked from the journals the binary writes:
//! every trade is a `FUT`, a short is sold first and bought back, P&L has the position's
//! sign, the stops are mirrored for shorts, the size follows the capital rule, charges follow
//! the futures schedule, and `--jobs 1` equals `--jobs 2`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

mod common;
use common::replay;

fn run(out: &Path, jobs: &str) {
    let o = replay(&[
        "--config",
        "config/futures.toml",
        "--from",
        "2024-08-01",
        "--to",
        "2024-08-13",
        "--out",
        out.to_str().unwrap(),
        "--no-store",
        "--quiet",
        "--jobs",
        jobs,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every row of every day's `name` CSV as header → cell maps.
fn rows(root: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut days: Vec<_> = std::fs::read_dir(root.join("replay"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join(name).is_file())
        .collect();
    days.sort();
    for day in days {
        let mut r = csv::Reader::from_path(day.join(name)).unwrap();
        let header = r.headers().unwrap().clone();
        for rec in r.records() {
            let rec = rec.unwrap();
            out.push(
                header
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, c)| (h.to_string(), c.to_string()))
                    .collect(),
            );
        }
    }
    out
}

/// Rounded to the paisa as the charges module rounds (half away from zero).
fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

fn dec(row: &BTreeMap<String, String>, k: &str) -> Decimal {
    Decimal::from_str(&row[k]).unwrap_or_else(|e| panic!("{k} = {:?}: {e}", row[k]))
}

#[test]
fn futures_are_traded_long_and_short_from_the_shipped_futures_bars() {
    let a = tempfile::tempdir().unwrap();
    run(a.path(), "1");
    let trades = rows(a.path(), "trades.csv");
    let orders = rows(a.path(), "orders.csv");
    let fills = rows(a.path(), "fills.csv");
    assert!(trades.len() >= 6, "only {} trades", trades.len());
    let (mut longs, mut shorts) = (0, 0);
    for t in &trades {
        let sym = &t["option_symbol"];
        assert_eq!(t["option_type"], "FUT", "{sym}");
        assert!(sym.ends_with("24AUGFUT"), "{sym}");
        assert_eq!(dec(t, "strike_price"), Decimal::ZERO);
        let (entry, exit, qty) = (
            dec(t, "entry_price"),
            dec(t, "exit_price"),
            dec(t, "quantity"),
        );
        let short = t["signal_type"] == "BUY_PE";
        // P&L per unit has the position's sign.
        let per_unit = if short { entry - exit } else { exit - entry };
        assert_eq!(dec(t, "pnl_points"), per_unit, "{}", t["trade_id"]);
        assert_eq!(dec(t, "pnl_value"), (per_unit * qty).round_dp(2));
        assert_eq!(dec(t, "net_pnl"), dec(t, "pnl_value") - dec(t, "charges"));
        // Mirrored stops: a short's initial stop is above the entry spot, a long's below.
        let (spot, sl) = (dec(t, "index_entry_spot"), dec(t, "initial_sl_price"));
        assert!(
            if short { sl > spot } else { sl < spot },
            "{}",
            t["trade_id"]
        );
        // Capital sizing: ₹10,00,000 × 30 % × 5 / (entry × lot), whole lots (NIFTY 25, BANKNIFTY 15).
        let lot = if t["segment"] == "NIFTY" { 25 } else { 15 };
        let budget = Decimal::from(1_500_000);
        let lots = (budget / (spot * Decimal::from(lot))).floor();
        assert_eq!(qty, lots * Decimal::from(lot), "{}", t["trade_id"]);
        if short {
            shorts += 1;
        } else {
            longs += 1;
        }
    }
    assert!(longs > 0 && shorts > 0, "longs {longs}, shorts {shorts}");
    // Orders: a short's entry is a SELL and its exit a BUY; a long's the other way round.
    for t in &trades {
        let day = &t["entry_time"][..10];
        let sides: Vec<(&str, &str)> = orders
            .iter()
            .filter(|o| {
                o["status"] == "COMPLETE"
                    && o["tradingsymbol"] == t["option_symbol"]
                    && &o["timestamp"][..10] == day
                    && o["timestamp"] >= t["entry_time"]
                    && o["timestamp"] <= t["exit_time"]
            })
            .map(|o| (o["purpose"].as_str(), o["side"].as_str()))
            .collect();
        let short = t["signal_type"] == "BUY_PE";
        let want = if short {
            vec![("ENTRY", "SELL"), ("EXIT", "BUY")]
        } else {
            vec![("ENTRY", "BUY"), ("EXIT", "SELL")]
        };
        assert_eq!(sides, want, "{}", t["trade_id"]);
    }
    // Futures charges (crates/domain/data/charges_futures.toml, Aug 2024): STT 0.0125 % on
    // the sell side only, stamp 0.002 % on the buy side only.
    for f in &fills {
        let turnover = dec(f, "price") * dec(f, "quantity");
        let (stt, stamp) = (dec(f, "stt"), dec(f, "stamp"));
        if f["side"] == "SELL" {
            assert_eq!(stt, paise(turnover * Decimal::new(125, 6)), "{f:?}");
            assert_eq!(stamp, Decimal::ZERO);
        } else {
            assert_eq!(stt, Decimal::ZERO);
            assert_eq!(stamp, paise(turnover * Decimal::new(2, 5)), "{f:?}");
        }
        assert_eq!(f["premium_source"], "MARKET");
    }
    // Two jobs write the same bytes.
    let b = tempfile::tempdir().unwrap();
    run(b.path(), "2");
    for name in ["trades.csv", "orders.csv", "fills.csv"] {
        assert_eq!(rows(a.path(), name), rows(b.path(), name), "{name}");
    }
}
