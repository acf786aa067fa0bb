//! Completed trades and exit reasons (spec §4.4, §11).

use crate::instrument::OptionType;
use crate::order::PremiumSource;
use crate::segment::Segment;
use crate::signal::Signal;
use crate::time::IstDateTime;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a position was closed (spec §4.4, in evaluation priority order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExitReason {
    /// The initial stop bound (a tie with the trail is `SL`, spec §3.1 rule 7).
    #[serde(rename = "SL")]
    StopLoss,
    /// The trailing stop bound.
    #[serde(rename = "TSL")]
    TrailingStop,
    /// Profit target reached.
    #[serde(rename = "TARGET")]
    Target,
    /// The strategy emitted `EXIT` (or an opposite signal with `exit_on_opposite_signal`).
    #[serde(rename = "SIGNAL")]
    Signal,
    /// `max_holding_minutes` elapsed.
    #[serde(rename = "MAX_HOLD")]
    MaxHold,
    /// End-of-day square-off (or the session's data ended).
    #[serde(rename = "EOD")]
    Eod,
    /// Closed by the trader (API/dashboard).
    #[serde(rename = "MANUAL")]
    Manual,
    /// Closed by the risk engine (halt with `close_on_halt`).
    #[serde(rename = "RISK")]
    Risk,
    /// The protective SL order resting at the broker filled (spec §10.3): the engine was down
    /// or lagging when the stop was hit.
    #[serde(rename = "BROKER_SL")]
    BrokerStop,
    /// A hedged short's legs reached their expiry day's exit time (`expiry_day_exit_time`,
    /// seed 003's "Wednesday exit", spec §4.3).
    #[serde(rename = "EXPIRY_DAY")]
    ExpiryDay,
    /// One leg of a hedged short could not be opened (the hedge or the short rejected or
    /// cancelled, or entries stopped between the two legs): what filled is closed, short
    /// first (spec §4.3).
    #[serde(rename = "LEG_FAILED")]
    LegFailed,
}

impl ExitReason {
    /// Journal spelling: `SL`, `TSL`, `TARGET`, `SIGNAL`, `MAX_HOLD`, `EOD`, `MANUAL`, `RISK`,
    /// `BROKER_SL`, `EXPIRY_DAY`, `LEG_FAILED`.
    pub fn code(self) -> &'static str {
        match self {
            ExitReason::StopLoss => "SL",
            ExitReason::TrailingStop => "TSL",
            ExitReason::Target => "TARGET",
            ExitReason::Signal => "SIGNAL",
            ExitReason::MaxHold => "MAX_HOLD",
            ExitReason::Eod => "EOD",
            ExitReason::Manual => "MANUAL",
            ExitReason::Risk => "RISK",
            ExitReason::BrokerStop => "BROKER_SL",
            ExitReason::ExpiryDay => "EXPIRY_DAY",
            ExitReason::LegFailed => "LEG_FAILED",
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Suffix of a hedged short's hedge row (the option bought) in `trade_id`:
/// `NIFTY-2022-11-18-1-H` (spec §4.3). One spread, two rows, counted as one trade.
pub const HEDGE_ROW_SUFFIX: &str = "-H";

/// Suffix of a hedged short's short row (the option sold) in `trade_id`:
/// `NIFTY-2022-11-18-1-S` beside its hedge's `…-1-H`.
pub const SHORT_ROW_SUFFIX: &str = "-S";

/// One completed trade: the `trades.csv` row (spec §11, seed 004 §7.1).
///
/// Premiums are ₹ per unit; `pnl_points` is the premium move per unit (exit − average entry);
/// `pnl_value = pnl_points × quantity` (gross ₹); `net_pnl = pnl_value − charges`;
/// `return_pct = 100 × pnl_value / (entry_price × quantity)`. Excursions are in premium ₹ per
/// unit, measured on the option price while the position was open (MFE ≥ 0 ≥ MAE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// Sequential id within the run, e.g. `NIFTY-2024-06-03-1`.
    pub trade_id: String,
    /// `REPLAY`, `PAPER` or `LIVE`.
    pub mode: String,
    /// Segment.
    pub segment: Segment,
    /// `NIFTY 50`, `NIFTY BANK`, `SENSEX`.
    pub index_symbol: String,
    /// Index price at entry (the entry tick's price).
    pub index_entry_spot: Decimal,
    /// Candle timeframe, e.g. `5m`.
    pub time_interval: String,
    /// RSI period of the strategy (0 when the strategy has none).
    pub rsi_period: u32,
    /// `BUY_CE` or `BUY_PE`.
    pub signal_type: Signal,
    /// Option tradingsymbol.
    pub option_symbol: String,
    /// CE or PE.
    pub option_type: OptionType,
    /// Strike, index points.
    pub strike_price: Decimal,
    /// Contract expiry.
    pub expiry: NaiveDate,
    /// Final number of lots (after pyramiding).
    pub lots: u32,
    /// Final quantity in units.
    pub quantity: u32,
    /// Entry tick time, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub entry_time: IstDateTime,
    /// Average entry premium, ₹ per unit.
    pub entry_price: Decimal,
    /// Stop distance in index points (underlying basis) or premium % (option basis).
    pub stop_loss_points: Decimal,
    /// Initial stop level (index price for underlying basis).
    pub initial_sl_price: Decimal,
    /// Trailing distance, index points.
    pub trailing_stop_points: Decimal,
    /// Exit tick time, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub exit_time: IstDateTime,
    /// Index price at exit.
    pub index_exit_spot: Decimal,
    /// Exit premium, ₹ per unit.
    pub exit_price: Decimal,
    /// Why it closed.
    pub exit_reason: ExitReason,
    /// Premium points per unit (exit − entry).
    pub pnl_points: Decimal,
    /// Gross P&L, ₹.
    pub pnl_value: Decimal,
    /// All charges of all its fills, ₹.
    pub charges: Decimal,
    /// `pnl_value − charges`, ₹.
    pub net_pnl: Decimal,
    /// Gross return on premium paid, %.
    pub return_pct: Decimal,
    /// Best open premium move per unit, ₹.
    pub max_favorable_excursion: Decimal,
    /// Worst open premium move per unit, ₹ (≤ 0).
    pub max_adverse_excursion: Decimal,
    /// `MARKET` if every fill had a real price, else `MODEL`.
    pub premium_source: PremiumSource,
}

impl Trade {
    /// This row is a hedged short's hedge leg ([`HEDGE_ROW_SUFFIX`]).
    pub fn is_hedge_row(&self) -> bool {
        self.trade_id.ends_with(HEDGE_ROW_SUFFIX)
    }

    /// This row is a hedged short's short leg, an option sold ([`SHORT_ROW_SUFFIX`]).
    pub fn is_short_row(&self) -> bool {
        self.trade_id.ends_with(SHORT_ROW_SUFFIX)
    }

    /// The trade this row belongs to: the id without a leg suffix (a spread's two rows share
    /// it).
    pub fn trade_key(&self) -> &str {
        let id = self.trade_id.as_str();
        id.strip_suffix(HEDGE_ROW_SUFFIX)
            .or_else(|| id.strip_suffix(SHORT_ROW_SUFFIX))
            .unwrap_or(id)
    }

    /// What the trader calls the position: the signal (`BUY_CE`/`BUY_PE`) for an option
    /// bought; `SELL_CE`/`SELL_PE` and `BUY_CE`/`BUY_PE` for a hedged short's sold and bought
    /// legs (the option's own type, spec §4.3); `LONG`/`SHORT` for a future or a share traded
    /// itself (issue 15: a bearish signal opened a short).
    pub fn direction(&self) -> &'static str {
        use crate::OptionType;
        match (self.option_type, self.signal_type) {
            (OptionType::CE, _) if self.is_short_row() => "SELL_CE",
            (OptionType::PE, _) if self.is_short_row() => "SELL_PE",
            (OptionType::CE, _) if self.is_hedge_row() => "BUY_CE",
            (OptionType::PE, _) if self.is_hedge_row() => "BUY_PE",
            (OptionType::CE | OptionType::PE, s) => s.code(),
            (_, Signal::BuyPe) => "SHORT",
            (_, _) => "LONG",
        }
    }
}
