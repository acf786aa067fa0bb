//! Typed engine settings: what the engine needs to trade a day, with units in the names,
//! built by the application from its configuration (`Config::engine_settings`). No TOML here.

use chrono::NaiveTime;
use domain::{Decimal, Product, Segment};
use risk::RiskConfig;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use strategy::Strategy;
use strategy::exits::UnderlyingStops;
use strategy::option_selection::SelectionParams;

/// Trading mode (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Historical data, paper fills, simulated clock.
    #[default]
    Replay,
    /// Live data, paper fills.
    Paper,
    /// Live data, real orders.
    Live,
}

impl Mode {
    /// `REPLAY`, `PAPER`, `LIVE` (journal spelling).
    pub fn code(self) -> &'static str {
        match self {
            Mode::Replay => "REPLAY",
            Mode::Paper => "PAPER",
            Mode::Live => "LIVE",
        }
    }

    /// Journal folder name: `replay`, `paper`, `live`.
    pub fn dir(self) -> &'static str {
        match self {
            Mode::Replay => "replay",
            Mode::Paper => "paper",
            Mode::Live => "live",
        }
    }
}

/// Stop basis (spec §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StopBasis {
    /// Index points from the index price at entry, with a trailing stop (rsi_crossover).
    #[default]
    Underlying,
    /// % of the option premium (seed 002): exit when premium ≤ entry × (1 − stop_loss_pct/100).
    Option,
}

/// What an agent trades (issue 15; config `instrument`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Instrument {
    /// An ITM option of the watched index (spec §5): every entry buys a CE or a PE.
    #[default]
    Option,
    /// The watched instrument itself (seed 001): a long buys it, a short sells it first.
    /// For an index segment its near-month future (`FUT`); the agent's series must then be
    /// that future's prices (e.g. `NIFTY-FUT_5m`), since the price the agent watches is the
    /// price it trades.
    Underlying,
    /// Seed 003's hedged option selling (spec §4.3, [`HedgeSettings`]): a credit spread per
    /// entry. A bullish signal sells the PE at the selected strike, a bearish one the CE; a
    /// hedge of the same type and expiry `hedge_offset` strikes further out of the money is
    /// bought first and sold last ([`crate::position::spread`]). Index segments only.
    #[serde(rename = "hedged_short")]
    HedgedShort,
}

/// Seed 003's hedged short (spec §4.3; config `[hedging]`): the hedge's distance and the
/// spread's own exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HedgeSettings {
    /// The hedge is this many strikes (of the segment's strike step) further out of the
    /// money than the short: below a short PE, above a short CE. At least 1.
    pub hedge_offset: u32,
    /// Stop: exit when the spread's value (short premium − hedge premium, ₹ per unit) rose
    /// this % above the entry credit (e.g. 50 → value ≥ 1.5 × credit). `None`: no stop.
    pub spread_stop_pct: Option<Decimal>,
    /// Target: exit when the spread's value fell this % below the entry credit (e.g. 50 →
    /// value ≤ 0.5 × credit). `None`: no target.
    pub spread_target_pct: Option<Decimal>,
    /// On the legs' expiry day, exit at this IST time (seed 003's "Wednesday exit": the
    /// weekday is the contract's expiry, never hard-coded). `None`: only the EOD square-off.
    pub expiry_day_exit_time: Option<NaiveTime>,
}

impl Default for HedgeSettings {
    /// 2 strikes out; stop at +50 % of the credit, target at −50 %; no expiry-day time.
    fn default() -> Self {
        Self {
            hedge_offset: 2,
            spread_stop_pct: Some(Decimal::from(50)),
            spread_target_pct: Some(Decimal::from(50)),
            expiry_day_exit_time: None,
        }
    }
}

/// How an entry is sized (issue 15; config `[sizing]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sizing {
    /// `initial_lots` lots of the contract (spec §5; seed 004).
    #[default]
    Lots,
    /// Seed 001: `capital × alloc_pct % × leverage / entry price` units, rounded down to
    /// whole lots (a share's lot is 1); fewer than one lot skips the entry (`sizing`).
    Capital {
        /// Share of the capital per trade, % (seed 001: 30).
        alloc_pct: Decimal,
        /// Leverage multiple (seed 001's `leverage`, e.g. 5 for MIS equity).
        leverage: Decimal,
    },
}

impl Sizing {
    /// Units for one entry at `price` ₹ per unit, in whole lots of `lot` (`Lots`: `lots` lots).
    /// `None` when the result is below one lot or the price is not positive.
    pub fn quantity(&self, capital: Decimal, price: Decimal, lot: u32, lots: u32) -> Option<u32> {
        use rust_decimal::prelude::ToPrimitive;
        let lot = lot.max(1);
        match *self {
            Sizing::Lots => Some(lots * lot).filter(|q| *q > 0),
            Sizing::Capital {
                alloc_pct,
                leverage,
            } => {
                if price <= Decimal::ZERO {
                    return None;
                }
                let budget = capital * alloc_pct / Decimal::ONE_HUNDRED * leverage;
                let lots = (budget / (price * Decimal::from(lot))).floor().to_u32()?;
                Some(lots * lot).filter(|q| *q > 0)
            }
        }
    }
}

/// Builds one strategy instance per segment agent (the embedding program registers its own
/// strategy here). Errors are a message naming the bad parameter.
pub type StrategyFactory = Arc<dyn Fn() -> Result<Box<dyn Strategy>, String> + Send + Sync>;

/// Exit rules of spec §4.4 (read by [`crate::position::exits::ExitPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExitSettings {
    /// Index points (underlying) or % of premium (option).
    pub stop_basis: StopBasis,
    /// Option-basis stop, % of the average entry premium.
    pub stop_loss_pct: Decimal,
    /// Target, index points from the entry index price.
    pub target_index_points: Option<Decimal>,
    /// Target, % gain of the premium.
    pub profit_target_pct: Option<Decimal>,
    /// Close after this many minutes in the position.
    pub max_holding_minutes: Option<u32>,
    /// An opposite entry signal closes the position (reason `SIGNAL`) and enters the other way.
    pub exit_on_opposite_signal: bool,
}

/// Pyramiding amounts of one segment (spec §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyramidSettings {
    /// ₹ of open profit per unit held that triggers an add (threshold = held units × this);
    /// TOML key `pyramid_points`.
    pub step_rupees_per_unit: Decimal,
    /// Lots bought per add.
    pub lots_per_add: u32,
    /// Quantity cap, units.
    pub max_quantity: u32,
}

impl PyramidSettings {
    /// The strategy crate's parameter type.
    pub fn params(&self) -> strategy::pyramid::PyramidParams {
        strategy::pyramid::PyramidParams {
            pyramid_points: self.step_rupees_per_unit,
            lot_addition: self.lots_per_add,
            max_quantity: self.max_quantity,
        }
    }
}

/// Per-segment parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSettings {
    /// The index.
    pub segment: Segment,
    /// Underlying stops: `sl_points`/`trailing_stop_points` in index points.
    pub stops: UnderlyingStops,
    /// Contract selection (strike step, ITM offset in index points).
    pub selection: SelectionParams,
    /// Lots per entry.
    pub initial_lots: u32,
    /// Implied volatility for the premium model, annualised.
    pub iv: f64,
    /// Pyramiding, when enabled.
    pub pyramid: Option<PyramidSettings>,
    /// Max units per order (exchange freeze quantity, spec §7).
    pub freeze_quantity_units: u32,
    /// What the agent trades: an option (default) or the watched instrument (issue 15).
    pub instrument: Instrument,
    /// Kite `instrument_token` of the series the agent watches. `None` for an index: its own
    /// token ([`domain::Index::token`]); a stock segment needs it (the stock's `EQ` token, from
    /// the catalog's `instruments.csv` in replay), else [`crate::Engine::new`] refuses.
    pub watch_token: Option<u32>,
}

impl SegmentSettings {
    /// The watched token: [`SegmentSettings::watch_token`], else the index's own.
    pub fn token(&self) -> Option<u32> {
        self.watch_token.or(self.segment.index_token())
    }
}

/// The protective stop at the broker (spec §10.3, [`crate::position::protective`]): after an
/// entry fills, an SL sell order on the option rests at the broker so that the position is
/// closed even while the engine is down. The live session maps `[kite.protective_stop]` here;
/// replay never enables it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtectiveStopSettings {
    /// Place protective stops (default off).
    pub enabled: bool,
    /// Trigger at this % below the average entry premium (e.g. 30 → trigger = entry × 0.70);
    /// `None`: the premium equivalent of the engine's own stop distance (falling back to
    /// [`crate::position::protective::FALLBACK_PREMIUM_PCT`] without a usable mark).
    pub premium_pct: Option<Decimal>,
    /// The SL order's limit price sits this % below its trigger (rounded down to the tick,
    /// at least one tick below the trigger).
    pub limit_offset_pct: Decimal,
}

impl Default for ProtectiveStopSettings {
    /// Disabled; 2 % limit offset.
    fn default() -> Self {
        Self {
            enabled: false,
            premium_pct: None,
            limit_offset_pct: Decimal::TWO,
        }
    }
}

/// Everything the engine is configured with.
#[derive(Clone)]
pub struct EngineSettings {
    /// Enabled segments with their parameters (agents run in segment order).
    pub segments: Vec<SegmentSettings>,
    /// Capital, ₹.
    pub capital: Decimal,
    /// Sessions of warm-up before the trading date (spec §3).
    pub warmup_sessions: usize,
    /// EOD square-off time, IST.
    pub square_off_time: NaiveTime,
    /// Exit rules.
    pub exits: ExitSettings,
    /// Kite product of every order.
    pub product: Product,
    /// Risk rules (spec §7).
    pub risk: RiskConfig,
    /// Strategy name (journal and summary).
    pub strategy_name: String,
    /// One strategy instance per agent.
    pub strategy: StrategyFactory,
    /// The protective stop at the broker (spec §10.3; default off).
    pub protective_stop: ProtectiveStopSettings,
    /// How entries are sized (default `initial_lots` lots).
    pub sizing: Sizing,
    /// The hedged short's settings (used by segments with [`Instrument::HedgedShort`]).
    pub hedging: HedgeSettings,
}

impl fmt::Debug for EngineSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineSettings")
            .field("segments", &self.segments)
            .field("capital", &self.capital)
            .field("warmup_sessions", &self.warmup_sessions)
            .field("square_off_time", &self.square_off_time)
            .field("exits", &self.exits)
            .field("product", &self.product)
            .field("risk", &self.risk)
            .field("strategy_name", &self.strategy_name)
            .field("protective_stop", &self.protective_stop)
            .field("sizing", &self.sizing)
            .field("hedging", &self.hedging)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn capital_sizing_is_whole_lots_of_the_budget() {
        // Seed 001: ₹2,00,000 × 25 % × 10 = ₹5,00,000 of RELIANCE at ₹1,223.05 → 408 shares.
        let s = Sizing::Capital {
            alloc_pct: dec!(25),
            leverage: dec!(10),
        };
        assert_eq!(s.quantity(dec!(200000), dec!(1223.05), 1, 1), Some(408));
        // A NIFTY future (lot 25) at 24,000 with ₹10,00,000 × 30 % × 1: 300,000 / 600,000 → 0 lots.
        let s = Sizing::Capital {
            alloc_pct: dec!(30),
            leverage: dec!(1),
        };
        assert_eq!(s.quantity(dec!(1000000), dec!(24000), 25, 1), None);
        assert_eq!(s.quantity(dec!(1000000), Decimal::ZERO, 1, 1), None);
        assert_eq!(Sizing::Lots.quantity(dec!(1), dec!(100), 25, 2), Some(50));
    }
}
