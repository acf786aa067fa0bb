//! Seed 003's hedged short (`config/hedged_short.toml`, spec §4.3, issue 15) replayed on
//! 2022-11-18, the shipped day with real option ticks for both legs (`data/*22NOV*`). Checked
//! from the journals the binary writes:
//!
//! - each spread sells the ATM option the signal's view does not buy (bullish: PE, bearish:
//!   CE) and buys the same type `hedge_offset` = 2 strikes further out of the money, same
//!   expiry, same quantity;
//! - `orders.csv` has, per spread, the hedge's buy, then the short's sell, then the short's
//!   buy-back, then the hedge's sell; walking its fills, the short never holds more than its
//!   hedge (never a naked short);
//! - the exits act on the spread's combined premium: with a 10 % stop and a 15 % target both
//!   fire on real prices, and each fires where the legs' prices say it should;
//! - every row is priced from market ticks (`premium_source = MARKET`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

mod common;
use common::{replay, repo, rows};

type Row = BTreeMap<String, String>;

fn dec(r: &Row, k: &str) -> Decimal {
    Decimal::from_str(&r[k]).unwrap_or_else(|e| panic!("{k} = {:?}: {e}", r[k]))
}

/// Replay 2022-11-18 with `config` into `out`; the day's journal directory.
fn run(config: &Path, out: &Path) -> std::path::PathBuf {
    let o = replay(&[
        "--config",
        config.to_str().unwrap(),
        "--date",
        "2022-11-18",
        "--out",
        out.to_str().unwrap(),
        "--no-store",
        "--quiet",
    ]);
    assert!(
        o.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out.join("replay/2022-11-18")
}

/// The spreads of a day: (hedge row, short row) by trade key.
fn spreads(day: &Path) -> Vec<(Row, Row)> {
    let trades = rows(day, "trades.csv");
    let mut by_key: BTreeMap<String, (Option<Row>, Option<Row>)> = BTreeMap::new();
    for t in trades {
        let id = t["trade_id"].clone();
        if let Some(k) = id.strip_suffix("-H") {
            by_key.entry(k.to_string()).or_default().0 = Some(t);
        } else if let Some(k) = id.strip_suffix("-S") {
            by_key.entry(k.to_string()).or_default().1 = Some(t);
        } else {
            panic!("a hedged-short day has a row that is no leg: {id}");
        }
    }
    by_key
        .into_values()
        .map(|(h, s)| (h.expect("hedge row"), s.expect("short row")))
        .collect()
}

/// Every spread's legs are right, and the orders keep the leg order: the short's units never
/// exceed the hedge's at any fill, the hedge is bought before and sold after the short.
fn check_legs(day: &Path) -> Vec<(Row, Row)> {
    let spreads = spreads(day);
    assert!(!spreads.is_empty(), "no spread traded");
    let mut short_of = BTreeMap::new();
    for (h, s) in &spreads {
        let step = if h["segment"] == "NIFTY" {
            dec!(50)
        } else {
            dec!(100)
        };
        let (hk, sk) = (dec(h, "strike_price"), dec(s, "strike_price"));
        let bullish = s["signal_type"] == "BUY_CE";
        // The view's opposite option is sold, ATM (itm_offset = 0), hedge 2 steps further out.
        assert_eq!(s["option_type"], if bullish { "PE" } else { "CE" }, "{s:?}");
        assert_eq!(h["option_type"], s["option_type"]);
        let atm = (dec(s, "index_entry_spot") / step).round() * step;
        assert_eq!(sk, atm, "short strike is ATM: {s:?}");
        let width = if bullish { sk - hk } else { hk - sk };
        assert_eq!(width, step * dec!(2), "hedge 2 strikes out: {h:?}");
        assert_eq!(h["expiry"], s["expiry"]);
        assert_eq!(h["quantity"], s["quantity"]);
        assert_eq!(h["entry_time"], s["entry_time"]);
        assert_eq!(h["exit_reason"], s["exit_reason"]);
        for r in [h, s] {
            assert_eq!(r["premium_source"], "MARKET", "{r:?}");
        }
        short_of.insert(h["option_symbol"].clone(), s["option_symbol"].clone());
    }
    // Walk the fills in journal order: net units per symbol.
    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    let mut sequence: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in rows(day, "orders.csv") {
        if o["status"] != "COMPLETE" {
            continue;
        }
        let q: i64 = o["filled_quantity"].parse().unwrap();
        let sym = o["tradingsymbol"].clone();
        let signed = if o["side"] == "BUY" { q } else { -q };
        *held.entry(sym.clone()).or_default() += signed;
        let hedge = short_of
            .iter()
            .find(|(h, s)| **h == sym || **s == sym)
            .unwrap();
        let (hq, sq) = (
            held.get(hedge.0).copied().unwrap_or(0),
            held.get(hedge.1).copied().unwrap_or(0),
        );
        assert!(hq >= 0, "the hedge {} is never sold short ({hq})", hedge.0);
        assert!(
            -sq <= hq,
            "naked short: {} short {} with hedge {hq} after order {}",
            hedge.1,
            -sq,
            o["order_id"]
        );
        let leg = if sym == *hedge.0 { "H" } else { "S" };
        sequence
            .entry(hedge.0.clone())
            .or_default()
            .push(format!("{leg}{}{}", o["side"], o["purpose"]));
    }
    for (hedge, seq) in &sequence {
        // A symbol pair may trade more than one spread a day: each is these four in order.
        for four in seq.chunks(4) {
            assert_eq!(
                four,
                ["HBUYENTRY", "SSELLENTRY", "SBUYEXIT", "HSELLEXIT"],
                "leg order of {hedge}: {seq:?}"
            );
        }
    }
    assert!(held.values().all(|q| *q == 0), "flat at the end: {held:?}");
    spreads
}

#[test]
fn the_shipped_config_replays_2022_11_18_with_the_hedge_first_and_last() {
    let tmp = tempfile::tempdir().unwrap();
    let day = run(&repo().join("config/hedged_short.toml"), tmp.path());
    let spreads = check_legs(&day);
    // rsi_crossover's first signals: NIFTY bullish at 10:20 (a bull put spread), BANKNIFTY
    // bearish at 10:00 (a bear call spread), both held to the square-off.
    let legs: Vec<_> = spreads
        .iter()
        .map(|(h, s)| {
            (
                s["option_symbol"].as_str(),
                h["option_symbol"].as_str(),
                s["exit_reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        legs,
        [
            ("BANKNIFTY22NOV42500CE", "BANKNIFTY22NOV42700CE", "EOD"),
            ("NIFTY22NOV18300PE", "NIFTY22NOV18200PE", "EOD"),
        ]
    );
    // One spread is one trade in the day's summary.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(day.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["total"]["trades"], 2, "{summary}");
}

#[test]
fn the_combined_premium_stop_and_target_fire_on_real_prices() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("tight.toml");
    let base = repo().join("config/hedged_short.toml");
    std::fs::write(
        &config,
        format!(
            "include = {:?}\n[hedging]\nspread_stop_pct = 10\nspread_target_pct = 15\n",
            base.canonicalize().unwrap()
        ),
    )
    .unwrap();
    let day = run(&config, &tmp.path().join("out"));
    let spreads = check_legs(&day);
    let reasons: Vec<_> = spreads
        .iter()
        .map(|(_, s)| s["exit_reason"].clone())
        .collect();
    assert!(reasons.iter().any(|r| r == "SL"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r == "TARGET"), "{reasons:?}");
    // Fills pay one ₹0.05 tick of slippage per leg against the marks the exit was decided on.
    let slip = dec!(0.10);
    for (h, s) in &spreads {
        let credit = dec(s, "entry_price") - dec(h, "entry_price");
        let value = dec(s, "exit_price") - dec(h, "exit_price");
        match s["exit_reason"].as_str() {
            "SL" => assert!(
                value - slip >= credit * dec!(1.10) - dec!(0.01),
                "SL {credit} → {value}: {s:?}"
            ),
            "TARGET" => assert!(
                value - slip <= credit * dec!(0.85) + dec!(0.01),
                "TARGET {credit} → {value}: {s:?}"
            ),
            "EOD" => {}
            other => panic!("unexpected exit {other}"),
        }
    }
}
