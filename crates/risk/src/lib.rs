//! # risk — the risk engine (spec §7)
//!
//! Every order intent passes [`RiskEngine::evaluate`] and gets a [`Decision`]. Exits are never
//! blocked. Every non-approval names its [`Rule`] and the numbers behind it so the engine can
//! journal it.
//!
//! The risk engine is stateless between calls: the engine owns the day's state
//! ([`RiskState`]) and passes it in, so decisions are reproducible and property-testable.
//!
//! Rules, in evaluation order (all configurable, spec §7):
//! - session halted; kill switch ([`Rule::Paused`]); broker session invalid;
//! - trading day (holiday calendar), market hours 09:15–15:30, stale feed;
//! - max daily loss (absolute ₹ and % of capital, on realized + open P&L →
//!   [`Decision::HaltSession`]; [`RiskEngine::check_halt`] is also run on every tick);
//! - order rate (orders per second);
//! - locks ([`RiskEngine::locks`], each with a reason and an `until`): daily profit target
//!   (global), per-segment daily loss (segment, rest of day), consecutive losses (segment,
//!   `cooldown_minutes` or rest of day);
//! - entries only: entry window (default 09:20:00–15:00:00 inclusive, spec §3.1 rule 9), max
//!   open positions (per segment and global), max trades per day (per segment and global),
//!   entry throttle;
//! - per-trade risk sizing: [`Decision::Reduce`] to whole lots, or block below one lot.
//!
//! [`split_quantity`] splits an approved quantity at the exchange freeze limit.

use chrono::NaiveTime;
use domain::calendar::MarketCalendar;
use domain::time::IstDateTime;
use domain::{Decimal, Segment};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The rule behind a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Not a trading day (weekend/holiday).
    TradingDay,
    /// Outside 09:15–15:30.
    MarketHours,
    /// Outside the entry window.
    EntryWindow,
    /// Global open-position cap.
    MaxOpenPositions,
    /// Per-segment open-position cap.
    MaxOpenPositionsPerSegment,
    /// Per-segment daily trade cap.
    MaxTradesPerSegment,
    /// Global daily trade cap.
    MaxTradesGlobal,
    /// Entries per strategy per day, all segments (seed 001: each strategy once a day).
    MaxEntriesPerStrategy,
    /// Max daily loss (₹ or % of capital).
    MaxDailyLoss,
    /// The session is halted.
    SessionHalted,
    /// Per-segment daily loss limit: the segment is blocked for the day.
    SegmentDailyLoss,
    /// Consecutive losses: the segment is locked for the cool-down.
    ConsecutiveLosses,
    /// Daily profit target reached: no new entries.
    DailyProfitTarget,
    /// Per-trade risk sizing (reduce to whole lots, or block below one lot).
    PerTradeRisk,
    /// Minimum time between entries of a segment.
    EntryThrottle,
    /// Order rate limit (orders per second, all segments).
    OrderRate,
    /// Kill switch: entries paused by the trader.
    Paused,
    /// Entries stopped by the operator (console `stop-trading`, spec §12) or by the shutdown,
    /// until started again.
    EntriesStopped,
    /// No valid broker session/token.
    BrokerHealth,
    /// No tick for `feed_stale_seconds`.
    StaleFeed,
    /// The broker's orders or positions disagree with the engine's (spec §11 reconciliation):
    /// no entries until an operator adopts or flattens what does not match.
    Reconciliation,
}

impl Rule {
    /// snake_case name used in journals.
    pub fn code(self) -> &'static str {
        match self {
            Rule::TradingDay => "trading_day",
            Rule::MarketHours => "market_hours",
            Rule::EntryWindow => "entry_window",
            Rule::MaxOpenPositions => "max_open_positions",
            Rule::MaxOpenPositionsPerSegment => "max_open_positions_per_segment",
            Rule::MaxTradesPerSegment => "max_trades_per_segment",
            Rule::MaxTradesGlobal => "max_trades_global",
            Rule::MaxEntriesPerStrategy => "max_entries_per_strategy_per_day",
            Rule::MaxDailyLoss => "max_daily_loss",
            Rule::SessionHalted => "session_halted",
            Rule::SegmentDailyLoss => "segment_daily_loss",
            Rule::ConsecutiveLosses => "consecutive_losses",
            Rule::DailyProfitTarget => "daily_profit_target",
            Rule::PerTradeRisk => "per_trade_risk",
            Rule::EntryThrottle => "entry_throttle",
            Rule::OrderRate => "order_rate",
            Rule::Paused => "paused",
            Rule::EntriesStopped => "entries_stopped",
            Rule::BrokerHealth => "broker_health",
            Rule::StaleFeed => "stale_feed",
            Rule::Reconciliation => "reconciliation",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The risk engine's answer (spec §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead as asked.
    Approve,
    /// Go ahead with a smaller quantity (units, whole lots).
    Reduce {
        /// Approved quantity, units.
        quantity: u32,
        /// Rule that reduced it.
        rule: Rule,
        /// The numbers.
        reason: String,
    },
    /// Not this order.
    Block {
        /// Rule that blocked it.
        rule: Rule,
        /// The numbers, e.g. `5 trades today, max 5`.
        reason: String,
    },
    /// No more entries this session.
    HaltSession {
        /// Rule that halted.
        rule: Rule,
        /// The numbers.
        reason: String,
    },
}

impl Decision {
    /// Whether the order may go (approved or reduced).
    pub fn allows(&self) -> bool {
        matches!(self, Decision::Approve | Decision::Reduce { .. })
    }
}

/// What kind of order the intent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntentKind {
    /// Opening a new position.
    Entry,
    /// Adding to a position (pyramiding).
    Add,
    /// Reducing/closing: never blocked.
    Exit,
}

/// An order the engine wants to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderIntent {
    /// Segment.
    pub segment: Segment,
    /// Entry, add or exit.
    pub kind: IntentKind,
    /// When (the tick time), IST.
    pub time: IstDateTime,
    /// Quantity, units (a whole number of lots).
    pub quantity: u32,
    /// Contract lot size, units.
    pub lot_size: u32,
    /// Loss per unit if the stop is hit, ₹ (premium terms; for an underlying stop
    /// `sl_points × |delta|`). Needed by per-trade risk sizing; `None` = unknown.
    pub risk_per_unit: Option<Decimal>,
    /// For an entry: the strategy whose signal it is (`None`: manual or unknown), for
    /// `max_entries_per_strategy_per_day`.
    pub strategy: Option<String>,
}

/// Per-segment day state the rules need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentRiskState {
    /// Open positions now.
    pub open_positions: u32,
    /// Entries taken today.
    pub trades_today: u32,
    /// Realized P&L of the segment today, net, ₹.
    pub realized_pnl: Decimal,
    /// Open P&L of the segment now, ₹.
    pub open_pnl: Decimal,
    /// Losing trades in a row (reset by a winner).
    pub consecutive_losses: u32,
    /// Exit time of the last losing trade.
    pub last_loss_at: Option<IstDateTime>,
    /// Time of the last entry.
    pub last_entry_at: Option<IstDateTime>,
}

/// The state the engine hands the risk engine with each intent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskState {
    /// Per segment.
    pub segments: BTreeMap<Segment, SegmentRiskState>,
    /// Realized P&L today, net of charges, ₹.
    pub realized_pnl: Decimal,
    /// Open (mark-to-market) P&L now, ₹.
    pub open_pnl: Decimal,
    /// The session was halted earlier.
    pub halted: bool,
    /// Kill switch engaged (spec §7).
    pub paused: bool,
    /// Entries stopped by the operator or the shutdown, with why (spec §12).
    pub stopped: Option<String>,
    /// The broker session is known to be invalid (token expired, 403).
    pub broker_unhealthy: bool,
    /// An unresolved reconciliation mismatch (spec §11): what does not match, empty when all
    /// matches.
    pub unreconciled: Option<String>,
    /// Time of the last market-data tick, any instrument.
    pub last_tick_at: Option<IstDateTime>,
    /// Orders sent in the second before the intent, all segments.
    pub orders_last_second: u32,
    /// Entries taken today per strategy name, all segments (a strategy set's member names,
    /// e.g. seed 001's `s8`).
    pub strategy_entries: BTreeMap<String, u32>,
}

/// A lock on entries: global or per segment, with its reason and end (spec §7, issue 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lock {
    /// `None` = all segments.
    pub segment: Option<Segment>,
    /// The rule.
    pub rule: Rule,
    /// The numbers.
    pub reason: String,
    /// Until when (exclusive); `None` = the rest of the day.
    #[serde(serialize_with = "ser_opt_ist")]
    pub until: Option<IstDateTime>,
}

fn ser_opt_ist<S: serde::Serializer>(t: &Option<IstDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&domain::time::fmt_iso(t)),
        None => s.serialize_none(),
    }
}

impl RiskState {
    fn seg(&self, s: Segment) -> SegmentRiskState {
        self.segments.get(&s).copied().unwrap_or_default()
    }
}

/// Risk limits (spec §7 defaults). `[risk]` table of the config; unknown keys are an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// Entry window start, IST, inclusive (default 09:20:00).
    pub entry_window_start: NaiveTime,
    /// Entry window end, IST, inclusive (default 15:00:00).
    pub entry_window_end: NaiveTime,
    /// Max open positions across segments (default 3).
    pub max_open_positions: u32,
    /// Max open positions per segment (default 1).
    pub max_open_positions_per_segment: u32,
    /// Max entries per segment per day (default 5).
    pub max_trades_per_segment: u32,
    /// Max entries per day, all segments (default 40).
    pub max_trades_global: u32,
    /// Max entries per day of one strategy, counted over all segments (0 = off, the
    /// default; seed 001: 1, "Max Strategy Use: 1 per day per strategy").
    pub max_entries_per_strategy_per_day: u32,
    /// Max daily loss, ₹ (0 = off).
    pub max_daily_loss: Decimal,
    /// Max daily loss, % of capital (default 2; 0 = off).
    pub max_daily_loss_pct: Decimal,
    /// Close open positions when the session halts (reason `RISK`).
    pub close_on_halt: bool,
    /// Per-segment daily loss limit, ₹ (0 = off): that segment is blocked for the day.
    pub max_segment_daily_loss: Decimal,
    /// Losing trades in a row that lock a segment (0 = off).
    pub max_consecutive_losses: u32,
    /// Lock length after consecutive losses, minutes (0 = the rest of the day).
    pub cooldown_minutes: u32,
    /// Daily profit target, ₹ (0 = off): no new entries once realized + open P&L reaches it.
    pub daily_profit_target: Decimal,
    /// Per-trade risk, % of capital (0 = off; seed 000 uses 0.25): entry quantity reduced to
    /// whole lots so that risk per unit × quantity fits.
    pub per_trade_risk_pct: Decimal,
    /// Minimum seconds between two entries of a segment (0 = off).
    pub min_seconds_between_entries: u32,
    /// Maximum orders per second, all segments (spec §7: 10).
    pub max_orders_per_second: u32,
    /// A feed with no tick for this many seconds blocks entries (0 = off).
    pub feed_stale_seconds: u32,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            entry_window_start: domain::time::hms(9, 20, 0),
            entry_window_end: domain::time::hms(15, 0, 0),
            max_open_positions: 3,
            max_open_positions_per_segment: 1,
            max_trades_per_segment: 5,
            max_trades_global: 40,
            max_entries_per_strategy_per_day: 0,
            max_daily_loss: dec!(0),
            max_daily_loss_pct: dec!(2),
            close_on_halt: false,
            max_segment_daily_loss: dec!(0),
            max_consecutive_losses: 0,
            cooldown_minutes: 0,
            daily_profit_target: dec!(0),
            per_trade_risk_pct: dec!(0),
            min_seconds_between_entries: 0,
            max_orders_per_second: 10,
            feed_stale_seconds: 0,
        }
    }
}

/// The risk engine: configuration plus the exchange calendar; stateless between calls (the
/// engine owns the state and passes it in), so decisions are reproducible.
#[derive(Debug, Clone)]
pub struct RiskEngine {
    config: RiskConfig,
    capital: Decimal,
    calendar: MarketCalendar,
}

impl RiskEngine {
    /// A risk engine for `capital` ₹.
    pub fn new(config: RiskConfig, capital: Decimal, calendar: MarketCalendar) -> Self {
        Self {
            config,
            capital,
            calendar,
        }
    }

    /// The limits.
    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// The loss at which the session halts, ₹ (the tighter of the absolute and % limits);
    /// `None` when both are off.
    pub fn daily_loss_limit(&self) -> Option<Decimal> {
        let pct = (self.config.max_daily_loss_pct > Decimal::ZERO)
            .then(|| self.capital * self.config.max_daily_loss_pct / dec!(100));
        let abs =
            (self.config.max_daily_loss > Decimal::ZERO).then_some(self.config.max_daily_loss);
        match (pct, abs) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the day's loss calls for a halt now (checked on every tick by the engine, and
    /// on every entry): realized + open P&L ≤ −limit.
    pub fn check_halt(&self, state: &RiskState) -> Option<Decision> {
        let limit = self.daily_loss_limit()?;
        let pnl = state.realized_pnl + state.open_pnl;
        (pnl <= -limit).then(|| Decision::HaltSession {
            rule: Rule::MaxDailyLoss,
            reason: format!("day P&L ₹{pnl} ≤ −₹{limit}"),
        })
    }

    /// Entry locks in force at `now` (global and per segment), with reason and end.
    pub fn locks(&self, state: &RiskState, now: IstDateTime) -> Vec<Lock> {
        let c = &self.config;
        let mut out = Vec::new();
        if state.paused {
            out.push(Lock {
                segment: None,
                rule: Rule::Paused,
                reason: "kill switch engaged".into(),
                until: None,
            });
        }
        if state.halted {
            out.push(Lock {
                segment: None,
                rule: Rule::SessionHalted,
                reason: "session halted".into(),
                until: None,
            });
        }
        if let Some(why) = &state.stopped {
            out.push(Lock {
                segment: None,
                rule: Rule::EntriesStopped,
                reason: format!("entries stopped: {why}"),
                until: None,
            });
        }
        if c.daily_profit_target > Decimal::ZERO {
            let pnl = state.realized_pnl + state.open_pnl;
            if pnl >= c.daily_profit_target {
                out.push(Lock {
                    segment: None,
                    rule: Rule::DailyProfitTarget,
                    reason: format!("day P&L ₹{pnl} ≥ target ₹{}", c.daily_profit_target),
                    until: None,
                });
            }
        }
        for (seg, s) in &state.segments {
            if c.max_segment_daily_loss > Decimal::ZERO
                && s.realized_pnl + s.open_pnl <= -c.max_segment_daily_loss
            {
                out.push(Lock {
                    segment: Some(*seg),
                    rule: Rule::SegmentDailyLoss,
                    reason: format!(
                        "{seg} P&L ₹{} ≤ −₹{}",
                        s.realized_pnl + s.open_pnl,
                        c.max_segment_daily_loss
                    ),
                    until: None,
                });
            }
            if c.max_consecutive_losses > 0 && s.consecutive_losses >= c.max_consecutive_losses {
                let until = (c.cooldown_minutes > 0)
                    .then(|| {
                        s.last_loss_at
                            .map(|t| t + chrono::TimeDelta::minutes(c.cooldown_minutes as i64))
                    })
                    .flatten();
                if until.is_none_or(|u| now < u) {
                    out.push(Lock {
                        segment: Some(*seg),
                        rule: Rule::ConsecutiveLosses,
                        reason: format!(
                            "{} losses in a row in {seg}, max {}",
                            s.consecutive_losses, c.max_consecutive_losses
                        ),
                        until,
                    });
                }
            }
        }
        out
    }

    /// Decide on one intent. Exits are always approved (spec §7).
    pub fn evaluate(&self, intent: &OrderIntent, state: &RiskState) -> Decision {
        if intent.kind == IntentKind::Exit {
            return Decision::Approve;
        }
        let c = &self.config;
        let block = |rule, reason: String| Decision::Block { rule, reason };
        let date = intent.time.date_naive();
        let time = intent.time.time();
        if state.halted {
            return block(Rule::SessionHalted, "session halted earlier today".into());
        }
        if state.paused {
            return block(Rule::Paused, "kill switch engaged: entries paused".into());
        }
        if let Some(why) = &state.stopped {
            return block(Rule::EntriesStopped, format!("entries stopped: {why}"));
        }
        if state.broker_unhealthy {
            return block(Rule::BrokerHealth, "no valid broker session".into());
        }
        if let Some(what) = &state.unreconciled {
            return block(
                Rule::Reconciliation,
                format!(
                    "broker and engine disagree ({what}): resolve with --resolve-unknown adopt|flatten"
                ),
            );
        }
        if !self.calendar.is_trading_day(date) {
            return block(Rule::TradingDay, format!("{date} is not a trading day"));
        }
        let open = domain::time::session_open();
        let close = domain::time::session_close();
        if time < open || time >= close {
            return block(
                Rule::MarketHours,
                format!("{time} outside market hours {open}–{close}"),
            );
        }
        if c.feed_stale_seconds > 0 {
            let stale = state
                .last_tick_at
                .is_none_or(|t| (intent.time - t).num_seconds() > c.feed_stale_seconds as i64);
            if stale {
                return block(
                    Rule::StaleFeed,
                    format!("no tick for more than {}s", c.feed_stale_seconds),
                );
            }
        }
        if let Some(halt) = self.check_halt(state) {
            return halt;
        }
        if c.max_orders_per_second > 0 && state.orders_last_second >= c.max_orders_per_second {
            return block(
                Rule::OrderRate,
                format!(
                    "{} orders in the last second, max {}",
                    state.orders_last_second, c.max_orders_per_second
                ),
            );
        }
        if let Some(lock) = self
            .locks(state, intent.time)
            .into_iter()
            .find(|l| l.segment.is_none_or(|s| s == intent.segment))
        {
            let until = lock.until.map_or("the end of the day".to_string(), |u| {
                domain::time::fmt_iso(&u)
            });
            return block(lock.rule, format!("{} (locked until {until})", lock.reason));
        }
        let seg = state.seg(intent.segment);
        if intent.kind == IntentKind::Entry {
            let (ws, we) = (c.entry_window_start, c.entry_window_end);
            if time < ws || time > we {
                return block(
                    Rule::EntryWindow,
                    format!("{time} outside entry window {ws}–{we}"),
                );
            }
            if seg.open_positions >= c.max_open_positions_per_segment {
                return block(
                    Rule::MaxOpenPositionsPerSegment,
                    format!(
                        "{} open in {}, max {}",
                        seg.open_positions, intent.segment, c.max_open_positions_per_segment
                    ),
                );
            }
            let open_all: u32 = state.segments.values().map(|s| s.open_positions).sum();
            if open_all >= c.max_open_positions {
                return block(
                    Rule::MaxOpenPositions,
                    format!("{open_all} open, max {}", c.max_open_positions),
                );
            }
            if seg.trades_today >= c.max_trades_per_segment {
                return block(
                    Rule::MaxTradesPerSegment,
                    format!(
                        "{} trades today in {}, max {}",
                        seg.trades_today, intent.segment, c.max_trades_per_segment
                    ),
                );
            }
            let trades_all: u32 = state.segments.values().map(|s| s.trades_today).sum();
            if trades_all >= c.max_trades_global {
                return block(
                    Rule::MaxTradesGlobal,
                    format!("{trades_all} trades today, max {}", c.max_trades_global),
                );
            }
            if c.max_entries_per_strategy_per_day > 0
                && let Some(name) = &intent.strategy
            {
                let used = state.strategy_entries.get(name).copied().unwrap_or(0);
                if used >= c.max_entries_per_strategy_per_day {
                    return block(
                        Rule::MaxEntriesPerStrategy,
                        format!(
                            "strategy {name}: {used} entries today, max {}",
                            c.max_entries_per_strategy_per_day
                        ),
                    );
                }
            }
            if c.min_seconds_between_entries > 0
                && let Some(last) = seg.last_entry_at
            {
                let gap = (intent.time - last).num_seconds();
                if gap < c.min_seconds_between_entries as i64 {
                    return block(
                        Rule::EntryThrottle,
                        format!(
                            "{gap}s since the last {} entry, min {}s",
                            intent.segment, c.min_seconds_between_entries
                        ),
                    );
                }
            }
        }
        if c.per_trade_risk_pct > Decimal::ZERO
            && let Some(per_unit) = intent.risk_per_unit.filter(|r| *r > Decimal::ZERO)
        {
            let budget = self.capital * c.per_trade_risk_pct / dec!(100);
            let lot = intent.lot_size.max(1);
            let lots_fit = (budget / (per_unit * Decimal::from(lot))).floor();
            let fit = lots_fit.to_u32().unwrap_or(u32::MAX).saturating_mul(lot);
            if fit < lot {
                return block(
                    Rule::PerTradeRisk,
                    format!(
                        "one lot risks ₹{} > budget ₹{budget}",
                        per_unit * Decimal::from(lot)
                    ),
                );
            }
            if fit < intent.quantity {
                return Decision::Reduce {
                    quantity: fit,
                    rule: Rule::PerTradeRisk,
                    reason: format!(
                        "₹{per_unit}/unit × {} = ₹{} > budget ₹{budget}",
                        intent.quantity,
                        per_unit * Decimal::from(intent.quantity)
                    ),
                };
            }
        }
        Decision::Approve
    }
}

/// Split `quantity` (whole lots) into orders of at most `freeze_quantity` units each, every
/// one a whole number of lots (exchange freeze limit, spec §7). `freeze_quantity = 0` = no
/// split. A freeze limit below one lot still sends one lot per order.
pub fn split_quantity(quantity: u32, lot_size: u32, freeze_quantity: u32) -> Vec<u32> {
    let lot = lot_size.max(1);
    if freeze_quantity == 0 || quantity <= freeze_quantity {
        return vec![quantity];
    }
    let per = ((freeze_quantity / lot).max(1)) * lot;
    let mut left = quantity;
    let mut out = Vec::with_capacity((quantity / per + 1) as usize);
    while left > 0 {
        let q = left.min(per);
        out.push(q);
        left -= q;
    }
    out
}

#[cfg(test)]
mod tests;
