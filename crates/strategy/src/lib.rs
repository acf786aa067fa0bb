//! # strategy — signals, option selection and exits
//!
//! - [`Strategy`]: completed candles in, [`Signal`]s out (spec §4); built by name from config
//!   through [`registry::build`].
//! - [`rsi_crossover::RsiCrossover`]: the primary strategy (spec §4.2, §3.1 rules 5 and 10).
//! - [`donchian_breakout::DonchianBreakout`]: seed 002's Donchian channel breakout.
//! - [`atr_breakout::AtrBreakout`]: seed 001's trend-filtered range breakout with an ATR
//!   stop (spec §4.3), long, short or both ([`atr_breakout::Directions`]).
//! - [`strategy_set::StrategySet`]: several named member strategies on their own timeframes
//!   as one strategy (first entry wins, [`Strategy::entry_strategy`] names the member).
//! - [`seed001`]: seed 001's five named strategies (s12, s8 on 15 minutes; s11, s10, s9 on 5)
//!   as the registry's `seed001` set.
//! - [`option_selection`]: ATM/ITM strike and contract choice (spec §5).
//! - [`exits`]: underlying-basis stop loss and trailing stop (spec §4.4, §3.1 rule 7).
//! - [`pyramid`]: pyramiding, adding lots to a winning position (spec §6).

pub mod atr_breakout;
pub mod donchian_breakout;
pub mod exits;
pub mod option_selection;
pub mod pyramid;
pub mod registry;
pub mod rsi_crossover;
pub mod seed001;
pub mod strategy_set;

use domain::{Candle, Direction, ExitReason, Signal, Timeframe};

/// Why a strategy emitted an entry signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SignalOrigin {
    /// A fresh crossover (or the strategy's primary rule).
    Fresh,
    /// Re-entry after a stop-loss exit (spec §4.2, §3.1 rule 10).
    ReEntry,
    /// Not a strategy's: a position the operator opened with a manual order (spec §12).
    Manual,
}

/// A strategy's answer to one completed candle.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The signal (HOLD when nothing).
    pub signal: Signal,
    /// Fresh or re-entry (meaningful for BUY_* only).
    pub origin: SignalOrigin,
    /// Indicator values after this candle, `(name, value)`; `None` = not ready yet.
    pub indicators: Vec<(&'static str, Option<f64>)>,
    /// For an entry taken on this signal: the strategy's own stop distance in underlying
    /// points (initial and trailing), overriding the configured `sl_points` /
    /// `trailing_stop_points` (e.g. `atr_breakout`: 1.5 × ATR(14)). `None` = use the config.
    pub stop_points: Option<domain::Decimal>,
}

/// A trading strategy for one segment (spec §4). Strategies see completed candles only
/// (no look-ahead, spec §3); the engine tells them about their positions' exits so rules like
/// re-entry after a stop (spec §3.1 rule 10) can live here.
pub trait Strategy: Send {
    /// Registry name, e.g. `rsi_crossover`.
    fn name(&self) -> &'static str;

    /// The candle timeframe it runs on.
    fn timeframe(&self) -> Timeframe;

    /// RSI period for the trade journal (0 when the strategy has no RSI).
    fn rsi_period(&self) -> u32 {
        0
    }

    /// Feed one completed candle (warm-up candles included) and get the signal.
    fn on_candle(&mut self, candle: &Candle) -> Evaluation;

    /// The name of the strategy whose entry signal the last [`Strategy::on_candle`] returned.
    /// The engine tags the entry order with it and risk counts its per-strategy-per-day cap
    /// by it (seed 001: "Max Strategy Use: 1 per day per strategy"). A single strategy is its
    /// own entry strategy (the default, [`Strategy::name`]); a
    /// [`strategy_set::StrategySet`] answers with the member whose entry it returned.
    fn entry_strategy(&self) -> &'static str {
        self.name()
    }

    /// The segment's position in `direction` closed with `reason`.
    fn on_position_closed(&mut self, _direction: Direction, _reason: ExitReason) {}

    /// Start of a trading day after warm-up: clear all per-day state (re-entry arming), keep
    /// indicators (spec §3.1 rule 4).
    fn start_day(&mut self) {}
}
