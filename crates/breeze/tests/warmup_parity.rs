//! Acceptance (issue 15, "Done when"): a Breeze-sourced warm-up gives the same indicators as
//! the catalog's for the same candles. The fake serves the shipped catalog days the way
//! Breeze formats them (JSON numbers, 09:07 and 15:30 extras, index volume 0); the warm-up
//! sessions from `BreezeHistory::sessions_before` must equal `CatalogHistory`'s bar for bar,
//! and the engine's warm-up candles fed to `rsi_crossover` must give identical indicator
//! values (f64, compared exactly) and signals at every candle.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use breeze::BreezeHistory;
use breeze_fake::FakeSettings;
use catalog::replay::CatalogHistory;
use common::{client, day, fake, settings, shipped};
use domain::ports::HistoricalData;
use domain::{Bar, Segment, Signal};
use strategy::Strategy;
use strategy::rsi_crossover::{RsiCrossover, RsiCrossoverParams};

/// Every evaluation of a fresh `rsi_crossover` (spec defaults: 5-minute candles) over the
/// engine's warm-up candles of `sessions`: (candle start, signal, indicator values).
fn evaluations(seg: Segment, sessions: &[Vec<Bar>]) -> Vec<(String, Signal, Vec<Option<f64>>)> {
    let mut s = RsiCrossover::new(RsiCrossoverParams::default());
    let mut out = Vec::new();
    for bars in sessions {
        for c in engine::candles::session_candles(
            bars,
            s.timeframe(),
            seg.index_token().unwrap_or_default(),
        ) {
            let e = s.on_candle(&c);
            out.push((
                domain::time::fmt_iso(&c.start),
                e.signal,
                e.indicators.iter().map(|(_, v)| *v).collect(),
            ));
        }
    }
    out
}

async fn same_warm_up(seg: Segment, before: &str, sessions: usize) -> usize {
    let f = fake(FakeSettings::default()).await;
    let breeze = BreezeHistory::new(client(&f, settings(&f)));
    let catalog = CatalogHistory::new(shipped(), Default::default());
    let before = day(before);
    let from_breeze = breeze.sessions_before(seg, before, sessions).await.unwrap();
    let from_catalog = catalog
        .sessions_before(seg, before, sessions)
        .await
        .unwrap();
    assert_eq!(from_catalog.len(), sessions, "the catalog has the sessions");
    assert_eq!(
        from_breeze, from_catalog,
        "{seg:?} before {before}: bars differ"
    );
    let a = evaluations(seg, &from_breeze);
    let b = evaluations(seg, &from_catalog);
    assert_eq!(a, b);
    // The warm-up reaches ready indicators (RSI 9 on 5-minute candles).
    let ready = a
        .iter()
        .filter(|(_, _, v)| v.iter().all(Option::is_some))
        .count();
    assert!(ready > 0, "no candle with all indicators ready");
    a.len()
}

#[tokio::test]
async fn nifty_2024_06_03_two_sessions_before() {
    // 2024-05-30 and 2024-05-31: 2 × 75 five-minute candles.
    assert_eq!(same_warm_up(Segment::Nifty, "2024-06-03", 2).await, 150);
}

#[tokio::test]
async fn banknifty_five_sessions_across_a_holiday() {
    // Before 2024-05-22: 05-15 .. 05-21 with the 05-18 Saturday drill session (09:15–09:59
    // and 11:30–12:29) and the 05-20 holiday in between.
    let n = same_warm_up(Segment::BankNifty, "2024-05-22", 5).await;
    assert!(n > 4 * 75, "{n}");
}

#[tokio::test]
async fn sensex_on_bse_two_sessions_before() {
    // SENSEX (BSESEN on BSE): the 2025-12 sessions before 2025-12-26.
    let n = same_warm_up(Segment::Sensex, "2025-12-26", 2).await;
    assert!(n >= 2 * 70, "{n}");
}
