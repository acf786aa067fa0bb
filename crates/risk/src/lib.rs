//! # risk — the risk engine (spec §7)
//!
//! Every order intent passes [`RiskEngine::evaluate`] and gets a [`Decision`]. Exits are never
//! blocked. Every non-approval names its [`Rule`] and the numbers behind it so the engine can
//! journal it.
//!
//! Rules in force: trading day (holiday calendar), market hours 09:15–15:30, entry window
//! (default 09:20:00–15:00:00 inclusive, spec §3.1 rule 9), max open positions (global and per
//! segment), max trades per day (per segment and global), max daily loss (absolute ₹ and % of
//! capital, on realized + open P&L → [`Decision::HaltSession`]), and a halted session.

use chrono::NaiveTime;
use domain::calendar::MarketCalendar;
use domain::time::IstDateTime;
use domain::{Decimal, Segment};
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The rule behind a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// Max daily loss (₹ or % of capital).
    MaxDailyLoss,
    /// The session is halted.
    SessionHalted,
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
            Rule::MaxDailyLoss => "max_daily_loss",
            Rule::SessionHalted => "session_halted",
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderIntent {
    /// Segment.
    pub segment: Segment,
    /// Entry, add or exit.
    pub kind: IntentKind,
    /// When (the tick time), IST.
    pub time: IstDateTime,
    /// Quantity, units.
    pub quantity: u32,
    /// Contract lot size, units.
    pub lot_size: u32,
}

/// Per-segment day state the rules need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentRiskState {
    /// Open positions now.
    pub open_positions: u32,
    /// Entries taken today.
    pub trades_today: u32,
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
    /// Max daily loss, ₹ (0 = off).
    pub max_daily_loss: Decimal,
    /// Max daily loss, % of capital (default 2; 0 = off).
    pub max_daily_loss_pct: Decimal,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            entry_window_start: NaiveTime::from_hms_opt(9, 20, 0).expect("valid"),
            entry_window_end: NaiveTime::from_hms_opt(15, 0, 0).expect("valid"),
            max_open_positions: 3,
            max_open_positions_per_segment: 1,
            max_trades_per_segment: 5,
            max_trades_global: 40,
            max_daily_loss: dec!(0),
            max_daily_loss_pct: dec!(2),
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

    /// Decide on one intent. Exits are always approved (spec §7).
    pub fn evaluate(&self, intent: &OrderIntent, state: &RiskState) -> Decision {
        if intent.kind == IntentKind::Exit {
            return Decision::Approve;
        }
        let block = |rule, reason: String| Decision::Block { rule, reason };
        let date = intent.time.date_naive();
        let time = intent.time.time();
        if state.halted {
            return block(Rule::SessionHalted, "session halted earlier today".into());
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
        if let Some(limit) = self.daily_loss_limit() {
            let pnl = state.realized_pnl + state.open_pnl;
            if pnl <= -limit {
                return Decision::HaltSession {
                    rule: Rule::MaxDailyLoss,
                    reason: format!("day P&L ₹{pnl} ≤ −₹{limit}"),
                };
            }
        }
        if intent.kind == IntentKind::Entry {
            let (ws, we) = (self.config.entry_window_start, self.config.entry_window_end);
            if time < ws || time > we {
                return block(
                    Rule::EntryWindow,
                    format!("{time} outside entry window {ws}–{we}"),
                );
            }
            let seg = state.seg(intent.segment);
            if seg.open_positions >= self.config.max_open_positions_per_segment {
                return block(
                    Rule::MaxOpenPositionsPerSegment,
                    format!(
                        "{} open in {}, max {}",
                        seg.open_positions,
                        intent.segment,
                        self.config.max_open_positions_per_segment
                    ),
                );
            }
            let open_all: u32 = state.segments.values().map(|s| s.open_positions).sum();
            if open_all >= self.config.max_open_positions {
                return block(
                    Rule::MaxOpenPositions,
                    format!("{open_all} open, max {}", self.config.max_open_positions),
                );
            }
            if seg.trades_today >= self.config.max_trades_per_segment {
                return block(
                    Rule::MaxTradesPerSegment,
                    format!(
                        "{} trades today in {}, max {}",
                        seg.trades_today, intent.segment, self.config.max_trades_per_segment
                    ),
                );
            }
            let trades_all: u32 = state.segments.values().map(|s| s.trades_today).sum();
            if trades_all >= self.config.max_trades_global {
                return block(
                    Rule::MaxTradesGlobal,
                    format!(
                        "{trades_all} trades today, max {}",
                        self.config.max_trades_global
                    ),
                );
            }
        }
        Decision::Approve
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use domain::time::ist_hms;
    use proptest::prelude::*;

    fn engine() -> RiskEngine {
        RiskEngine::new(
            RiskConfig::default(),
            dec!(1000000),
            MarketCalendar::builtin(),
        )
    }

    fn intent(kind: IntentKind, h: u32, m: u32, s: u32) -> OrderIntent {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        OrderIntent {
            segment: Segment::Nifty,
            kind,
            time: ist_hms(d, h, m, s),
            quantity: 25,
            lot_size: 25,
        }
    }

    #[test]
    fn entry_window_is_inclusive() {
        let e = engine();
        let st = RiskState::default();
        assert_eq!(
            e.evaluate(&intent(IntentKind::Entry, 9, 20, 0), &st),
            Decision::Approve
        );
        assert_eq!(
            e.evaluate(&intent(IntentKind::Entry, 15, 0, 0), &st),
            Decision::Approve
        );
        assert!(matches!(
            e.evaluate(&intent(IntentKind::Entry, 9, 19, 45), &st),
            Decision::Block {
                rule: Rule::EntryWindow,
                ..
            }
        ));
        assert!(matches!(
            e.evaluate(&intent(IntentKind::Entry, 15, 0, 15), &st),
            Decision::Block {
                rule: Rule::EntryWindow,
                ..
            }
        ));
    }

    #[test]
    fn holiday_blocks_and_loss_halts() {
        let e = engine();
        let d = NaiveDate::from_ymd_opt(2024, 6, 17).unwrap(); // Bakri Id
        let mut i = intent(IntentKind::Entry, 10, 0, 0);
        i.time = ist_hms(d, 10, 0, 0);
        assert!(matches!(
            e.evaluate(&i, &RiskState::default()),
            Decision::Block {
                rule: Rule::TradingDay,
                ..
            }
        ));
        let st = RiskState {
            realized_pnl: dec!(-15000),
            open_pnl: dec!(-5000),
            ..Default::default()
        };
        assert!(matches!(
            e.evaluate(&intent(IntentKind::Entry, 10, 0, 0), &st),
            Decision::HaltSession {
                rule: Rule::MaxDailyLoss,
                ..
            }
        ));
    }

    proptest! {
        /// Exits are always approved, whatever the state and time.
        #[test]
        fn exits_never_blocked(h in 0u32..24, m in 0u32..60, open in 0u32..5, trades in 0u32..50,
                               pnl in -100000i64..100000, halted in any::<bool>()) {
            let e = engine();
            let mut st = RiskState { realized_pnl: Decimal::from(pnl), halted, ..Default::default() };
            st.segments.insert(Segment::Nifty, SegmentRiskState { open_positions: open, trades_today: trades });
            prop_assert_eq!(e.evaluate(&intent(IntentKind::Exit, h, m, 0), &st), Decision::Approve);
        }

        /// An approved entry never exceeds the trade caps.
        #[test]
        fn approved_entry_respects_caps(trades in 0u32..10, open in 0u32..3) {
            let e = engine();
            let mut st = RiskState::default();
            st.segments.insert(Segment::Nifty, SegmentRiskState { open_positions: open, trades_today: trades });
            if e.evaluate(&intent(IntentKind::Entry, 10, 0, 0), &st).allows() {
                prop_assert!(trades < 5 && open < 1);
            }
        }
    }
}
