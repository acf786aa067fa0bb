//! The indicator hot path: the `rsi_crossover` indicator set (RSI(9), EMA(3) of RSI, WMA(6) of
//! RSI; spec §4.2) updated once per 5-minute candle, ours beside TA-Lib's streaming API and the
//! `ta` crate; plus each of our indicators alone.
//!
//! Input: the 2024 NIFTY 5-minute closes (1-minute bars aggregated to 09:15-aligned candles,
//! located as in `crates/indicators/tests/common/mod.rs`), or, if that data is absent, a
//! deterministic synthetic random walk of the same length. Every contender is warmed up on the
//! first two sessions (150 candles) outside the measurement; one iteration then feeds all the
//! remaining candles, and criterion's throughput is candles per second.
//!
//! Run: `cargo bench -p indicators --bench indicators -- --warm-up-time 1 --measurement-time 3`.
//! Results: `docs/benchmarks.md`, section "Indicator hot path".

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_main};
use indicators::{
    Atr, Donchian, Ema, HighLow, Hlc, Indicator, Rsi, RsiCrossoverSet, Sma, Wma, ZeroLagMacd, Zlema,
};
use ta::Next;
use ta_lib::Core;

/// The repository root (this crate is `crates/indicators`).
fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Candles of warm-up before the measured part (two sessions of 75 five-minute candles).
const WARMUP: usize = 150;
/// Trailing window of the "recompute per candle" variant: the engine's warm-up plus one day.
const RECOMPUTE_WINDOW: usize = 225;
/// Candles measured in the "recompute per candle" variant (it is ~100× slower).
const RECOMPUTE_CANDLES: usize = 1_000;

struct Data {
    source: String,
    bars: Vec<Hlc>,
}

impl Data {
    fn closes(&self) -> Vec<f64> {
        self.bars.iter().map(|b| b.close).collect()
    }
}

fn load() -> Data {
    match common::nifty_5m(&repo_root()) {
        Ok((source, candles)) => Data {
            source: format!("NIFTY 2024 5-minute candles from the {source}"),
            bars: candles
                .iter()
                .map(|c| Hlc::new(c.high, c.low, c.close))
                .collect(),
        },
        Err(why) => {
            // Deterministic random walk around 22,000 (an LCG, no dependency).
            let mut state: u64 = 0x2024_0603;
            let mut next = || {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            };
            let mut close = 22_000.0;
            let bars = (0..11_367)
                .map(|_| {
                    let open = close;
                    close += 30.0 * next();
                    let high = open.max(close) + 10.0 * next().abs();
                    let low = open.min(close) - 10.0 * next().abs();
                    Hlc::new(high, low, close)
                })
                .collect();
            Data {
                source: format!("synthetic random walk ({why})"),
                bars,
            }
        }
    }
}

/// Ours, TA-Lib streaming, TA-Lib batch recomputation and the `ta` crate on the rsi_crossover
/// indicator set.
fn rsi_crossover_set(c: &mut Criterion, data: &Data) {
    let closes = data.closes();
    let (warmup, measured) = closes.split_at(WARMUP);
    let mut group = c.benchmark_group("rsi_crossover_set");
    group.throughput(Throughput::Elements(measured.len() as u64));

    // Ours.
    let mut ours = RsiCrossoverSet::default();
    for &x in warmup {
        ours.update(x);
    }
    assert!(ours.is_ready());
    group.bench_function("ours", |b| {
        b.iter_batched(
            || ours.clone(),
            |mut set| {
                for &x in measured {
                    black_box(set.update(black_box(x)));
                }
                set
            },
            BatchSize::SmallInput,
        )
    });

    // TA-Lib streaming handles, opened on the warm-up history.
    let core = Core::new();
    let (rsi, _) = core.rsi_open(warmup, 9).expect("rsi_open");
    let mut rsi_history = vec![0.0; warmup.len()];
    let range = core
        .rsi(0, warmup.len() - 1, warmup, 9, &mut rsi_history)
        .expect("rsi");
    let rsi_history = &rsi_history[..range.count];
    let (ema, _) = core.ema_open(rsi_history, 3).expect("ema_open");
    let (wma, _) = core.wma_open(rsi_history, 6).expect("wma_open");
    group.bench_function("ta-lib stream", |b| {
        b.iter_batched(
            || (rsi.clone(), ema.clone(), wma.clone()),
            |(mut rsi, mut ema, mut wma)| {
                for &x in measured {
                    let r = rsi.update(black_box(x)).expect("finite");
                    black_box(ema.update(r).expect("finite"));
                    black_box(wma.update(r).expect("finite"));
                }
                (rsi, ema, wma)
            },
            BatchSize::SmallInput,
        )
    });

    // The `ta` crate: RSI(9) and EMA(3) of it; it has no WMA in any release, so an SMA(6) of
    // the RSI stands in for the red line (same shape of work, different values).
    let mut ta_rsi = ta::indicators::RelativeStrengthIndex::new(9).unwrap();
    let mut ta_ema = ta::indicators::ExponentialMovingAverage::new(3).unwrap();
    let mut ta_sma = ta::indicators::SimpleMovingAverage::new(6).unwrap();
    for &x in warmup {
        let r = ta_rsi.next(x);
        ta_ema.next(r);
        ta_sma.next(r);
    }
    group.bench_function("ta crate (RSI + EMA + SMA stand-in for WMA)", |b| {
        b.iter_batched(
            || (ta_rsi.clone(), ta_ema.clone(), ta_sma.clone()),
            |(mut rsi, mut ema, mut sma)| {
                for &x in measured {
                    let r = rsi.next(black_box(x));
                    black_box(ema.next(r));
                    black_box(sma.next(r));
                }
                (rsi, ema, sma)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // Without a streaming API: TA-Lib's batch functions over a trailing window, per candle.
    let mut group = c.benchmark_group("rsi_crossover_set_recompute");
    group.throughput(Throughput::Elements(RECOMPUTE_CANDLES as u64));
    group.sample_size(20);
    group.bench_function("ta-lib batch over trailing 225 candles", |b| {
        let mut rsi_out = vec![0.0; RECOMPUTE_WINDOW];
        let mut ema_out = vec![0.0; RECOMPUTE_WINDOW];
        let mut wma_out = vec![0.0; RECOMPUTE_WINDOW];
        b.iter(|| {
            for end in WARMUP..WARMUP + RECOMPUTE_CANDLES {
                let window = &closes[end + 1 - RECOMPUTE_WINDOW.min(end + 1)..=end];
                let r = core
                    .rsi(0, window.len() - 1, window, 9, &mut rsi_out)
                    .expect("rsi");
                let rsi = &rsi_out[..r.count];
                let e = core
                    .ema(0, rsi.len() - 1, rsi, 3, &mut ema_out)
                    .expect("ema");
                let w = core
                    .wma(0, rsi.len() - 1, rsi, 6, &mut wma_out)
                    .expect("wma");
                black_box((ema_out[e.count - 1], wma_out[w.count - 1]));
            }
        })
    });
    group.finish();
}

fn bench_one<I: Indicator + Clone>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    mut indicator: I,
    warmup: &[I::Input],
    measured: &[I::Input],
) {
    for &x in warmup {
        indicator.update(x);
    }
    group.bench_function(name, |b| {
        b.iter_batched(
            || indicator.clone(),
            |mut ind| {
                for &x in measured {
                    black_box(ind.update(black_box(x)));
                }
                ind
            },
            BatchSize::SmallInput,
        )
    });
}

/// Each of our indicators alone, per candle.
fn single_indicators(c: &mut Criterion, data: &Data) {
    let closes = data.closes();
    let (warmup, measured) = closes.split_at(WARMUP);
    let (bars_warmup, bars_measured) = data.bars.split_at(WARMUP);
    let hl: Vec<HighLow> = data
        .bars
        .iter()
        .map(|b| HighLow::new(b.high, b.low))
        .collect();
    let (hl_warmup, hl_measured) = hl.split_at(WARMUP);

    let mut group = c.benchmark_group("ours");
    group.throughput(Throughput::Elements(measured.len() as u64));
    bench_one(&mut group, "Sma(20)", Sma::new(20), warmup, measured);
    bench_one(&mut group, "Ema(20)", Ema::new(20), warmup, measured);
    bench_one(&mut group, "Wma(20)", Wma::new(20), warmup, measured);
    bench_one(&mut group, "Rsi(9)", Rsi::new(9), warmup, measured);
    bench_one(
        &mut group,
        "Atr(14)",
        Atr::new(14),
        bars_warmup,
        bars_measured,
    );
    bench_one(
        &mut group,
        "Donchian(20)",
        Donchian::new(20),
        hl_warmup,
        hl_measured,
    );
    bench_one(&mut group, "Zlema(26)", Zlema::new(26), warmup, measured);
    bench_one(
        &mut group,
        "ZeroLagMacd(12,26,9)",
        ZeroLagMacd::default(),
        warmup,
        measured,
    );
    group.finish();
}

fn benches(c: &mut Criterion) {
    let data = load();
    eprintln!(
        "indicator bench input: {} ({} candles, {} warm-up, {} measured)",
        data.source,
        data.bars.len(),
        WARMUP,
        data.bars.len() - WARMUP
    );
    rsi_crossover_set(c, &data);
    single_indicators(c, &data);
}

/// The criterion group (a private module: the macro's `pub fn` is no public API).
mod group {
    criterion::criterion_group!(indicator_benches, super::benches);
}
criterion_main!(group::indicator_benches);
