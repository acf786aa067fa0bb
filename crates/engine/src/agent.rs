//! Segment agents (spec §3): one per enabled index, each with its own strategy, candles,
//! position, stops and day statistics.

use crate::candles::CandleAggregator;
use crate::config::SegmentParams;
use domain::order::OrderId;
use domain::time::IstDateTime;
use domain::{Decimal, Direction, ExitReason, OptionContract, Segment, Signal, Tick};
use serde::Serialize;
use strategy::exits::StopTracker;
use strategy::{SignalOrigin, Strategy};

/// Agent state (spec §3): `IDLE → WAITING_FOR_SIGNAL → IN_POSITION (→ back)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgentState {
    /// Not started (before warm-up / after the session).
    Idle,
    /// Flat, evaluating signals.
    WaitingForSignal,
    /// Holding (or entering/exiting) a position.
    InPosition,
}

/// An exit order in flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PendingExit {
    /// The exit order.
    pub order: OrderId,
    /// Why.
    pub reason: ExitReason,
    /// The index tick that triggered it (exit time and `index_exit_spot`).
    pub tick: Tick,
}

/// One order's contribution to the position: filled units and average price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    /// The order.
    pub order: OrderId,
    /// Filled units.
    pub filled: u32,
    /// Average fill price, ₹.
    pub average: Decimal,
}

/// An open (or opening/closing) position of an agent.
#[derive(Debug, Clone)]
pub struct Position {
    /// Long (CE) or short (PE) on the index.
    pub direction: Direction,
    /// The signal that opened it.
    pub signal: Signal,
    /// Fresh cross or re-entry.
    pub origin: SignalOrigin,
    /// The contract bought.
    pub contract: OptionContract,
    /// Index price at the entry tick.
    pub entry_spot: Decimal,
    /// Entry tick time, IST.
    pub entry_time: IstDateTime,
    /// Sequence number of the entry tick (exits start at the next tick, spec §3.1 rule 6).
    pub entry_seq: u64,
    /// Underlying-basis stops.
    pub stops: StopTracker,
    /// Buy legs (entry and pyramid adds).
    pub legs: Vec<Leg>,
    /// Sell legs (the exit).
    pub exit_legs: Vec<Leg>,
    /// Charges of all fills so far, ₹.
    pub charges: Decimal,
    /// Every fill so far had a real price.
    pub all_market: bool,
    /// Best premium move per unit seen, ₹.
    pub mfe: Decimal,
    /// Worst premium move per unit seen, ₹ (≤ 0).
    pub mae: Decimal,
    /// Exit in flight.
    pub exit: Option<PendingExit>,
    /// Reason of an exit that must be (re)tried at the next tick.
    pub exit_retry: Option<ExitReason>,
    /// Failed exit placements so far.
    pub exit_failures: u32,
    /// Last premium mark, ₹ per unit.
    pub last_mark: Option<Decimal>,
}

impl Position {
    /// Filled quantity, units.
    pub fn quantity(&self) -> u32 {
        self.legs.iter().map(|l| l.filled).sum()
    }

    /// Volume-weighted average entry premium, ₹ (0 before any fill).
    pub fn average_entry(&self) -> Decimal {
        average(&self.legs)
    }

    /// Open P&L at the last mark, ₹ (quantity × (mark − average entry); 0 without a mark).
    pub fn open_pnl(&self) -> Decimal {
        self.last_mark.map_or(Decimal::ZERO, |m| {
            (m - self.average_entry()) * Decimal::from(self.quantity())
        })
    }

    /// Average exit premium, ₹.
    pub fn average_exit(&self) -> Decimal {
        average(&self.exit_legs)
    }
}

fn average(legs: &[Leg]) -> Decimal {
    let q: u32 = legs.iter().map(|l| l.filled).sum();
    if q == 0 {
        return Decimal::ZERO;
    }
    legs.iter()
        .map(|l| l.average * Decimal::from(l.filled))
        .sum::<Decimal>()
        / Decimal::from(q)
}

/// A signal from a candle completed by the clock, executed at the next tick (spec §3.1 rule 3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PendingSignal {
    /// The signal.
    pub signal: Signal,
    /// Fresh or re-entry.
    pub origin: SignalOrigin,
    /// Start of the candle that produced it.
    pub candle_start: IstDateTime,
}

/// One segment's agent.
pub struct SegmentAgent {
    /// The index.
    pub segment: Segment,
    /// Resolved parameters.
    pub params: SegmentParams,
    /// Its strategy instance.
    pub strategy: Box<dyn Strategy>,
    /// Candle builder.
    pub candles: CandleAggregator,
    /// State.
    pub state: AgentState,
    /// Open position.
    pub position: Option<Position>,
    /// Signal waiting for the next tick.
    pub pending: Option<PendingSignal>,
    /// Last index tick seen.
    pub last_tick: Option<Tick>,
    /// Entries today.
    pub trades_today: u32,
    /// Completed trades today.
    pub closed_trades: u32,
}

impl SegmentAgent {
    /// A new idle agent.
    pub fn new(segment: Segment, params: SegmentParams, strategy: Box<dyn Strategy>) -> Self {
        let candles = CandleAggregator::new(strategy.timeframe());
        Self {
            segment,
            params,
            strategy,
            candles,
            state: AgentState::Idle,
            position: None,
            pending: None,
            last_tick: None,
            trades_today: 0,
            closed_trades: 0,
        }
    }
}
