//! The strategies of spec §4.3 replayed on shipped days with their example configs
//! (`config/donchian_breakout.toml`, `config/atr_breakout.toml`); assertions on the journal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::{ExitReason, Signal};
use engine::EngineEvent;
use journal::MemoryJournal;
use kestrel_support::{config, date};

fn replay(path: &str, d: (i32, u32, u32)) -> MemoryJournal {
    kestrel_support::replay(config(path), date(d.0, d.1, d.2))
}
use rust_decimal::Decimal;
use std::str::FromStr;

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| v.as_str().and_then(|s| s.parse().ok()).expect("number"))
}

/// Seed 002 on 1-minute NIFTY candles: every entry follows a candle that closed above the
/// upper Donchian band of the previous 20 candles; exits by premium stop/target, max holding
/// time, EXIT signal or EOD.
#[test]
fn donchian_breakout_day_2024_06_04() {
    let j = replay("config/donchian_breakout.toml", (2024, 6, 4));
    assert!(!j.trades.is_empty(), "no trade");
    for t in &j.trades {
        assert_eq!(t.signal_type, Signal::BuyCe);
        assert_eq!(t.time_interval, "1m");
        assert!(
            matches!(
                t.exit_reason,
                ExitReason::StopLoss
                    | ExitReason::Target
                    | ExitReason::MaxHold
                    | ExitReason::Signal
                    | ExitReason::Eod
            ),
            "{}: {}",
            t.trade_id,
            t.exit_reason
        );
        // The candle that gave the entry closed above its upper band.
        let candle = j
            .events
            .iter()
            .filter(|e| {
                EngineEvent::of(e) == Some(EngineEvent::Candle) && e.timestamp == t.entry_time
            })
            .find(|e| e.data["signal"] == "BUY_CE")
            .unwrap_or_else(|| panic!("no BUY_CE candle completing at {}", t.entry_time));
        let close = num(&candle.data["close"]);
        let upper = num(&candle.data["donchian_upper"]);
        assert!(close > upper, "{close} ≤ {upper}");
    }
    let stops = j
        .trades
        .iter()
        .filter(|t| t.exit_reason == ExitReason::StopLoss);
    for t in stops {
        // Premium stop: 30 % below entry (with one tick of slippage on each side).
        assert!(
            t.exit_price <= t.entry_price * Decimal::from_str("0.71").unwrap(),
            "{}",
            t.trade_id
        );
    }
}

/// Seed 001 on the shipped 5-minute futures bars: entries only when all four conditions hold,
/// with the strategy's ATR stop as the stop distance; square-off 15:20; max 5 trades.
#[test]
fn atr_breakout_day_2024_08_12() {
    let j = replay("config/atr_breakout.toml", (2024, 8, 12));
    assert!(!j.trades.is_empty(), "no trade");
    assert!(j.trades.len() <= 5);
    for t in &j.trades {
        let candle = j
            .events
            .iter()
            .filter(|e| {
                EngineEvent::of(e) == Some(EngineEvent::Candle) && e.segment == Some(t.segment)
            })
            .find(|e| e.timestamp == t.entry_time && e.data["signal"] == t.signal_type.code())
            .unwrap_or_else(|| panic!("no signal candle for {}", t.trade_id));
        let d = &candle.data;
        let (fast, mid, slow) = (num(&d["ema_fast"]), num(&d["ema_mid"]), num(&d["ema_slow"]));
        let (macd, sig) = (num(&d["zl_macd"]), num(&d["zl_signal"]));
        let volume = num(&d["volume"]);
        assert!(volume > num(&d["volume_sma"]));
        match t.signal_type {
            Signal::BuyCe => {
                assert!(num(&d["close"]) > num(&d["range_high"]));
                assert!(fast > mid && mid > slow && macd > sig);
            }
            _ => {
                assert!(num(&d["close"]) < num(&d["range_low"]));
                assert!(fast < mid && mid < slow && macd < sig);
            }
        }
        // Stop distance = 1.5 × ATR(14) at the signal candle.
        let atr = num(&d["atr"]);
        let dist: f64 = (t.index_entry_spot - t.initial_sl_price)
            .abs()
            .to_string()
            .parse()
            .unwrap();
        assert!((dist - 1.5 * atr).abs() < 0.01, "{dist} vs 1.5 × {atr}");
        assert!(t.exit_time.time() <= chrono::NaiveTime::from_hms_opt(15, 20, 0).unwrap());
    }
}
