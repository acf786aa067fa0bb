//! # indicators — streaming technical indicators (spec §4.1)
//!
//! Every indicator here is a small state machine fed one input at a time through the
//! [`Indicator`] trait:
//!
//! - **`f64` throughout**: indicators run on the close in rupees (spec §3.1 rule 1); prices that
//!   decide trades stay `Decimal` elsewhere.
//! - **O(1) per update** (the Donchian channel: amortised O(1), see [`Donchian`]).
//! - **No heap allocation on the update path**: windows are fixed-capacity ring buffers
//!   allocated once, at construction. `update`, `value`, `reset` and `is_ready` never allocate.
//! - **"Ready" = enough input seen** (spec §4.1). Before that, `update` and `value` return
//!   `None`; there are no placeholder zeros.
//! - Inputs are expected to be finite. A NaN or infinity is not rejected on the hot path (debug
//!   builds assert); the state is meaningless from then on, until [`Indicator::reset`].
//!
//! | type | input | output | ready after | definition |
//! | --- | --- | --- | --- | --- |
//! | [`Sma`] | `f64` | `f64` | n inputs | mean of the last n |
//! | [`Ema`] | `f64` | `f64` | n inputs | α = 2/(n+1), seeded by the SMA of the first n |
//! | [`Wma`] | `f64` | `f64` | n inputs | weights 1…n, newest n |
//! | [`Rsi`] | close | 0–100 | n + 1 closes | Wilder |
//! | [`Atr`] | [`Hlc`] | price units | n bars | Wilder, first TR = h − l |
//! | [`Donchian`] | [`HighLow`] | [`DonchianChannel`] | n + 1 bars | previous n bars, current excluded |
//! | [`Zlema`] | `f64` | `f64` | (n−1)/2 + n inputs | EMA(n) of 2·x − x₋lag |
//! | [`ZeroLagMacd`] | `f64` | [`MacdValue`] | 46 inputs (12/26/9) | ZLEMA(12) − ZLEMA(26), EMA(9) signal |
//! | [`RsiCrossoverSet`] | close | [`RsiCrossoverValues`] | per line | RSI, EMA and WMA of RSI (spec §4.2) |
//!
//! The definitions were checked against TA-Lib (the `ta-lib` crate, the official Rust port) on
//! the 2024 NIFTY 5-minute closes, and against the acceptance file
//! `NIFTY_2024-06-03_indicators.csv`; see `tests/talib_reference.rs` and
//! `docs/decisions/0001-own-indicators.md`.
//!
//! ```
//! use indicators::{Indicator, Rsi};
//!
//! let mut rsi = Rsi::new(2);
//! assert_eq!(rsi.update(10.0), None); // 1 close: no change yet
//! assert_eq!(rsi.update(11.0), None); // 2 closes: 1 change
//! assert_eq!(rsi.update(10.5), Some(100.0 - 100.0 / (1.0 + 0.5 / 0.25))); // ready after n + 1
//! assert!(rsi.is_ready());
//! ```

#![warn(missing_docs)]

mod atr;
mod donchian;
mod ema;
mod error;
mod macd;
mod ring;
mod rsi;
mod rsi_crossover;
mod sma;
mod wma;
mod zlema;

pub use atr::{Atr, Hlc};
pub use donchian::{Donchian, DonchianChannel, HighLow};
pub use ema::Ema;
pub use error::PeriodError;
pub use macd::{MacdValue, ZeroLagMacd};
pub use rsi::Rsi;
pub use rsi_crossover::{RsiCrossoverSet, RsiCrossoverValues};
pub use sma::Sma;
pub use wma::Wma;
pub use zlema::Zlema;

/// A streaming indicator: one input in, at most one output out, in O(1) and without allocating.
///
/// Contract, for every implementation in this crate:
/// - [`update`](Indicator::update) consumes one input and returns the indicator's value *after*
///   that input, or `None` while it is not ready (not enough input seen, spec §4.1).
/// - [`value`](Indicator::value) returns what the last `update` returned (`None` before any).
/// - [`is_ready`](Indicator::is_ready) is `value().is_some()`; once ready, an indicator stays
///   ready until [`reset`](Indicator::reset).
/// - [`reset`](Indicator::reset) returns to the freshly constructed state (same parameters,
///   buffers kept: no allocation).
pub trait Indicator {
    /// What one update consumes (`f64` for a series, [`Hlc`] or [`HighLow`] for a bar).
    type Input: Copy;
    /// What the indicator produces once ready.
    type Output: Copy;

    /// Feeds one input; returns the value after it, or `None` while not ready.
    fn update(&mut self, input: Self::Input) -> Option<Self::Output>;

    /// The value after the last update, or `None` while not ready.
    fn value(&self) -> Option<Self::Output>;

    /// Forgets all input: back to the freshly constructed state.
    fn reset(&mut self);

    /// Whether enough input has been seen to produce a value.
    fn is_ready(&self) -> bool {
        self.value().is_some()
    }
}
