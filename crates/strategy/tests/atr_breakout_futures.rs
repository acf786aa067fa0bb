//! `atr_breakout` (spec §4.3, seed 001) on the shipped real futures bars: `data/NIFTY-FUT_5m`
//! (and `data/BANKNIFTY-FUT_5m`), near-month futures, 5-minute bars with traded volume, from
//! the first shipped day (2024-07-30, from 14:10) through 2024-08-13, fed as one continuous
//! stream of completed candles with the default parameters.
//!
//! Every emitted signal is checked against a naive, independent recomputation of its four
//! conditions (range breakout, EMA 50/100/200 order, zero-lag MACD vs signal, volume vs its
//! SMA) and of its stop (1.5 × Wilder ATR(14)); conversely, for every date and direction the
//! signal must be on the first candle whose naive conditions hold (once a day per direction).
//! Run with `--nocapture` to see the signal list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::Catalog;
use chrono::NaiveDate;
use domain::{Candle, Signal, Timeframe};
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::path::PathBuf;
use strategy::Strategy;
use strategy::atr_breakout::{AtrBreakout, AtrBreakoutParams};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The 5-minute candles of `series` from its first shipped day through 2024-08-13.
fn candles(series: &str) -> Vec<Candle> {
    let cat = Catalog::open(data_dir()).expect("data catalog");
    let tf = cat.bar_timeframe(series).unwrap();
    assert_eq!(tf, Timeframe::from_minutes(5).unwrap());
    let last = NaiveDate::from_ymd_opt(2024, 8, 13).unwrap();
    let mut out = vec![];
    for date in cat.bar_dates(series).unwrap() {
        if date > last {
            continue;
        }
        for b in cat.bars(series, date).unwrap() {
            out.push(Candle {
                start: b.ts,
                timeframe: tf,
                open: b.open,
                high: b.high,
                low: b.low,
                close: b.close,
                volume: b.volume,
            });
        }
    }
    out
}

/// EMA(n) of `xs` (`None` entries are not yet defined inputs: the EMA starts at the first
/// defined one): SMA seed of the first n inputs, then `α·x + (1−α)·e`.
fn ema(xs: &[Option<f64>], n: usize) -> Vec<Option<f64>> {
    let a = 2.0 / (n as f64 + 1.0);
    let mut out = vec![None; xs.len()];
    let mut seed = vec![];
    let mut e: Option<f64> = None;
    for (i, x) in xs.iter().enumerate() {
        let Some(x) = *x else { continue };
        match e {
            Some(prev) => e = Some(a * x + (1.0 - a) * prev),
            None => {
                seed.push(x);
                if seed.len() == n {
                    e = Some(seed.iter().sum::<f64>() / n as f64);
                }
            }
        }
        out[i] = e;
    }
    out
}

/// ZLEMA(n): EMA(n) of `2·x − x[−lag]`, `lag = (n−1)/2`.
fn zlema(xs: &[f64], n: usize) -> Vec<Option<f64>> {
    let lag = (n - 1) / 2;
    let y: Vec<Option<f64>> = (0..xs.len())
        .map(|i| (i >= lag).then(|| 2.0 * xs[i] - xs[i - lag]))
        .collect();
    ema(&y, n)
}

#[test]
fn signals_on_real_nifty_futures_satisfy_all_four_conditions() {
    check_series("NIFTY-FUT_5m");
}

#[test]
fn signals_on_real_banknifty_futures_satisfy_all_four_conditions() {
    check_series("BANKNIFTY-FUT_5m");
}

fn check_series(series: &str) {
    let candles = candles(series);
    assert!(candles.len() > 700, "{} candles", candles.len());
    let p = AtrBreakoutParams::default();
    let mut s = AtrBreakout::new(p.clone());

    // Run the strategy.
    let mut emitted = vec![]; // (index, signal, stop)
    for (i, c) in candles.iter().enumerate() {
        let e = s.on_candle(c);
        match e.signal {
            Signal::Hold => assert_eq!(e.stop_points, None),
            Signal::BuyCe | Signal::BuyPe => emitted.push((i, e.signal, e.stop_points)),
            Signal::Exit => panic!("atr_breakout never emits EXIT"),
        }
    }

    // Naive recomputation.
    let f = |d: domain::Decimal| d.to_f64().unwrap();
    let close: Vec<f64> = candles.iter().map(|c| f(c.close)).collect();
    let high: Vec<f64> = candles.iter().map(|c| f(c.high)).collect();
    let low: Vec<f64> = candles.iter().map(|c| f(c.low)).collect();
    let vol: Vec<u64> = candles
        .iter()
        .map(|c| c.volume.expect("futures bars carry volume"))
        .collect();
    let some: Vec<Option<f64>> = close.iter().map(|x| Some(*x)).collect();
    let (e50, e100, e200) = (
        ema(&some, p.ema_fast),
        ema(&some, p.ema_mid),
        ema(&some, p.ema_slow),
    );
    let (zf, zs) = (zlema(&close, p.macd_fast), zlema(&close, p.macd_slow));
    let macd: Vec<Option<f64>> = zf
        .iter()
        .zip(&zs)
        .map(|(a, b)| Some((*a)? - (*b)?))
        .collect();
    let macd_signal = ema(&macd, p.macd_signal);
    let mut atr: Vec<Option<f64>> = vec![None; candles.len()];
    let mut trs = vec![];
    for i in 0..candles.len() {
        let tr = if i == 0 {
            high[i] - low[i]
        } else {
            (high[i] - low[i])
                .max((high[i] - close[i - 1]).abs())
                .max((low[i] - close[i - 1]).abs())
        };
        trs.push(tr);
        let n = p.atr_period;
        atr[i] = if i + 1 < n {
            None
        } else if i + 1 == n {
            Some(trs.iter().sum::<f64>() / n as f64)
        } else {
            Some((atr[i - 1].unwrap() * (n as f64 - 1.0) + tr) / n as f64)
        };
    }
    let ready_from = p.ema_slow - 1; // EMA(200) is the last indicator to become ready
    // (long_ok, short_ok) per candle; None before everything is ready.
    let conds = |i: usize| -> Option<(bool, bool)> {
        if i < ready_from {
            return None;
        }
        let rb = p.range_bars;
        let hh = high[i - rb..i].iter().cloned().fold(f64::MIN, f64::max);
        let ll = low[i - rb..i].iter().cloned().fold(f64::MAX, f64::min);
        let (a, b, c) = (e50[i]?, e100[i]?, e200[i]?);
        let (m, sg) = (macd[i]?, macd_signal[i]?);
        let vp = p.volume_period as u64;
        let vsum: u64 = vol[i + 1 - p.volume_period..=i].iter().sum();
        let vol_ok = vol[i] * vp > vsum; // volume > SMA(volume, 20), exact in integers
        Some((
            close[i] > hh && a > b && b > c && m > sg && vol_ok,
            close[i] < ll && a < b && b < c && m < sg && vol_ok,
        ))
    };

    assert!(!emitted.is_empty(), "no signal on the real futures data");
    eprintln!("atr_breakout on {series}, 2024-07-30..2024-08-13 (defaults):");
    for (i, sig, stop) in &emitted {
        let (long, short) = conds(*i).expect("signal before the indicators were ready");
        match sig {
            Signal::BuyCe => assert!(
                long,
                "BUY_CE at {} fails the long conditions",
                candles[*i].start
            ),
            Signal::BuyPe => assert!(
                short,
                "BUY_PE at {} fails the short conditions",
                candles[*i].start
            ),
            _ => unreachable!(),
        }
        let stop = stop
            .expect("entry signals carry stop_points")
            .to_f64()
            .unwrap();
        let want = p.atr_multiplier * atr[*i].unwrap();
        assert!(
            (stop - want).abs() <= 0.005 + 1e-9,
            "stop {stop} vs 1.5·ATR {want}"
        );
        eprintln!(
            "  {} {} close {} stop_points {:.2}",
            candles[*i].start.format("%Y-%m-%d %H:%M"),
            sig,
            candles[*i].close,
            stop
        );
    }

    // Conversely: per date and direction, the signal is the first qualifying candle.
    let mut first: BTreeMap<(NaiveDate, &'static str), usize> = BTreeMap::new();
    for (i, c) in candles.iter().enumerate() {
        if let Some((long, short)) = conds(i) {
            let d = c.start.date_naive();
            if long {
                first.entry((d, Signal::BuyCe.code())).or_insert(i);
            }
            if short {
                first.entry((d, Signal::BuyPe.code())).or_insert(i);
            }
        }
    }
    let got: BTreeMap<(NaiveDate, &'static str), usize> = emitted
        .iter()
        .map(|(i, sig, _)| ((candles[*i].start.date_naive(), sig.code()), *i))
        .collect();
    assert_eq!(
        got.len(),
        emitted.len(),
        "a direction signalled twice on one date"
    );
    assert_eq!(got, first);
}
