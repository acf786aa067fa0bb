//! Segment agents (spec §3): one per enabled index, each with its own strategy, candles,
//! position, stops and day statistics.

use crate::candles::CandleAggregator;
use crate::position::protective::ProtectiveOrder;
use crate::settings::SegmentSettings;
use domain::OrderState;
use domain::order::OrderId;
use domain::order::{OrderPurpose, OrderStatus};
use domain::ports::PremiumMarks;
use domain::time::IstDateTime;
use domain::{
    Candle, Decimal, Direction, ExitReason, OptionContract, PremiumSource, Segment, Side, Signal,
    Tick,
};
use risk::SegmentRiskState;
use serde::{Deserialize, Serialize};
use strategy::exits::StopTracker;
use strategy::{SignalOrigin, Strategy};

/// Agent state (spec §3): `IDLE → WAITING_FOR_SIGNAL → IN_POSITION (→ back)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgentState {
    /// Not started (before warm-up / after the session).
    Idle,
    /// Flat, evaluating signals.
    WaitingForSignal,
    /// Holding (or entering/exiting) a position.
    InPosition,
}

/// An exit in progress: why, and the index tick that triggered it (its time and price are the
/// trade's `exit_time` and `index_exit_spot`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PendingExit {
    /// Why.
    pub reason: ExitReason,
    /// The triggering index tick.
    pub tick: Tick,
}

/// One order of a position (entry, pyramid add or exit, possibly split at the freeze limit).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    /// The order.
    pub order: OrderId,
    /// The position's entry side (entry/add) or the opposite (exit).
    pub side: Side,
    /// Units asked.
    pub requested: u32,
    /// Units filled.
    pub filled: u32,
    /// Average fill price, ₹.
    pub average: Decimal,
    /// The order reached a terminal state.
    pub done: bool,
    /// It ended CANCELLED/REJECTED (any filled part stays).
    pub failed: bool,
}

/// An open (or opening/closing) position of an agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Position {
    /// Long (CE) or short (PE) on the index.
    pub direction: Direction,
    /// The signal that opened it.
    pub signal: Signal,
    /// Fresh cross or re-entry.
    pub origin: SignalOrigin,
    /// The contract traded: the option bought, or the underlying (future/equity) bought or
    /// sold short.
    pub contract: OptionContract,
    /// How the position was opened: `Buy` (every option entry; a long underlying) or `Sell`
    /// (a short underlying). Exits go the other way. Absent in checkpoints written before
    /// short positions existed: `Buy`.
    #[serde(default = "buy_side")]
    pub entry_side: Side,
    /// Index price at the entry tick.
    pub entry_spot: Decimal,
    /// Entry tick time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub entry_time: IstDateTime,
    /// Sequence number of the entry tick (exits start at the next tick, spec §3.1 rule 6).
    pub entry_seq: u64,
    /// Underlying-basis stops (also kept, unused, with an option-basis stop).
    pub stops: StopTracker,
    /// Every order of the position.
    pub legs: Vec<Leg>,
    /// Charges of all fills so far, ₹.
    pub charges: Decimal,
    /// Every fill so far had a real price.
    pub all_market: bool,
    /// Best premium move per unit seen in the position's favour, ₹.
    pub mfe: Decimal,
    /// Worst premium move per unit seen against the position, ₹ (≤ 0).
    pub mae: Decimal,
    /// The exit decision (set when the position moves to [`SegmentAgent::closing`]).
    pub exit: Option<PendingExit>,
    /// The exit orders failed or filled partly: send the rest again at the next tick.
    pub exit_retry: bool,
    /// Failed exit attempts so far.
    pub exit_failures: u32,
    /// Last premium mark, ₹ per unit.
    pub last_mark: Option<Decimal>,
    /// Pyramid adds done.
    pub adds: u32,
    /// A blocked pyramid add was journaled (once per position, not every tick).
    pub add_block_logged: bool,
    /// The protective stop at the broker once placed (spec §10.3,
    /// [`crate::position::protective`]); `None` while disabled or not placed yet. Its orders
    /// are legs too (their fills count as sold), but a resting one covers nothing.
    #[serde(default)]
    pub protective: Option<ProtectiveOrder>,
    /// A hedged short's hedge (spec §4.3, [`crate::position::spread`]): this position is then
    /// the short leg (`entry_side = Sell` on an option) and the hedge its long leg, bought
    /// first and sold last. `None` for every other position (and in older checkpoints).
    #[serde(default)]
    pub hedge: Option<Box<Position>>,
}

impl Position {
    /// A new position opened at index `tick` (tick number `entry_seq`) on `signal`, its
    /// stops set from that tick: no orders yet, no fills, no exit. `entry_side` is `Buy` for
    /// every option and a long underlying, `Sell` for a short underlying.
    #[allow(clippy::too_many_arguments)]
    pub fn opened(
        direction: Direction,
        signal: Signal,
        origin: SignalOrigin,
        contract: OptionContract,
        entry_side: Side,
        tick: &Tick,
        entry_seq: u64,
        stops: StopTracker,
    ) -> Self {
        Self {
            direction,
            signal,
            origin,
            contract,
            entry_side,
            entry_spot: tick.price,
            entry_time: tick.ts,
            entry_seq,
            stops,
            legs: Vec::new(),
            charges: Decimal::ZERO,
            all_market: true,
            mfe: Decimal::ZERO,
            mae: Decimal::ZERO,
            exit: None,
            exit_retry: false,
            exit_failures: 0,
            last_mark: None,
            adds: 0,
            add_block_logged: false,
            protective: None,
            hedge: None,
        }
    }

    /// The position, or its hedge, that has a leg for `order`.
    pub fn leg_owner_mut(&mut self, order: OrderId) -> Option<&mut Position> {
        if self.legs.iter().any(|l| l.order == order) {
            return Some(self);
        }
        self.hedge
            .as_deref_mut()
            .filter(|h| h.legs.iter().any(|l| l.order == order))
    }

    /// Whether `order` is a leg of this position or of its hedge.
    pub fn has_order(&self, order: OrderId) -> bool {
        self.legs.iter().any(|l| l.order == order)
            || self
                .hedge
                .as_ref()
                .is_some_and(|h| h.legs.iter().any(|l| l.order == order))
    }

    fn sum(&self, side: Side, f: impl Fn(&Leg) -> u32) -> u32 {
        self.legs.iter().filter(|l| l.side == side).map(f).sum()
    }

    /// The side of the exit orders (the opposite of [`Self::entry_side`]).
    pub fn exit_side(&self) -> Side {
        self.entry_side.opposite()
    }

    /// Units entered (entry + adds), filled: bought for a long, sold for a short.
    pub fn entered(&self) -> u32 {
        self.sum(self.entry_side, |l| l.filled)
    }

    /// Units exited, filled: sold for a long, bought back for a short.
    pub fn exited(&self) -> u32 {
        self.sum(self.exit_side(), |l| l.filled)
    }

    /// Units held now (a short's units are owed, still counted positive).
    pub fn open_quantity(&self) -> u32 {
        self.entered().saturating_sub(self.exited())
    }

    /// Units still to be covered by new exit orders (held minus what live exit orders ask).
    /// A protective order at the broker covers only what it has sold (spec §10.3).
    pub fn unexited(&self) -> u32 {
        let covering = self.sum(self.exit_side(), |l| {
            if l.failed || self.is_protective(l.order) {
                l.filled
            } else {
                l.requested
            }
        });
        self.entered().saturating_sub(covering)
    }

    /// The mark to value this position at, given a premium `mark` of `source`. Units filled at
    /// market prices are never marked by the model: its premium can be far from the market's
    /// (IV), and a model mark would show a profit or loss that is not there and drive pyramid
    /// adds, loss limits and a spread's stop (live: the first ticks after an entry, before the
    /// option's own ticks arrive). The last market mark stands, else the average paid.
    pub fn usable_mark(&self, mark: Decimal, source: PremiumSource) -> Decimal {
        if source == PremiumSource::Model && self.all_market {
            self.last_mark.unwrap_or_else(|| self.average_entry())
        } else {
            mark
        }
    }

    /// Charges of all fills so far, its hedge's included, ₹.
    pub fn all_charges(&self) -> Decimal {
        self.charges + self.hedge.as_ref().map_or(Decimal::ZERO, |h| h.charges)
    }

    /// Units held by this position or its hedge (a spread whose short is not sold yet holds
    /// its hedge).
    pub fn held_any(&self) -> bool {
        self.open_quantity() > 0 || self.hedge.as_ref().is_some_and(|h| h.open_quantity() > 0)
    }

    /// Order `order` belongs to the protective stop at the broker.
    pub fn is_protective(&self, order: OrderId) -> bool {
        self.protective
            .as_ref()
            .is_some_and(|p| p.orders.contains(&order))
    }

    /// Some protective order still rests (or is being cancelled) at the broker.
    pub fn protective_working(&self) -> bool {
        self.legs
            .iter()
            .any(|l| !l.done && self.is_protective(l.order))
    }

    /// Some entry order (entry or add) is still working.
    pub fn entry_in_flight(&self) -> bool {
        self.legs
            .iter()
            .any(|l| l.side == self.entry_side && !l.done)
    }

    /// The position holds units or is entering them (an entry or add still working).
    pub fn is_live(&self) -> bool {
        self.open_quantity() > 0
            || self.entry_in_flight()
            || self.hedge.as_ref().is_some_and(|h| h.is_live())
    }

    /// Some exit order is still working (a resting protective order is not one, see
    /// [`Self::protective_working`]).
    pub fn exit_in_flight(&self) -> bool {
        let side = self.exit_side();
        self.legs
            .iter()
            .any(|l| l.side == side && !l.done && !self.is_protective(l.order))
    }

    /// The leg of an order.
    pub fn leg_mut(&mut self, order: OrderId) -> Option<&mut Leg> {
        self.legs.iter_mut().find(|l| l.order == order)
    }

    fn average(&self, side: Side) -> Decimal {
        let q = self.sum(side, |l| l.filled);
        if q == 0 {
            return Decimal::ZERO;
        }
        self.legs
            .iter()
            .filter(|l| l.side == side)
            .map(|l| l.average * Decimal::from(l.filled))
            .sum::<Decimal>()
            / Decimal::from(q)
    }

    /// Volume-weighted average entry price (premium or underlying), ₹ (0 before any fill).
    pub fn average_entry(&self) -> Decimal {
        self.average(self.entry_side)
    }

    /// Average exit price, ₹.
    pub fn average_exit(&self) -> Decimal {
        self.average(self.exit_side())
    }

    /// Gain per unit of a move from `from` to `to`, ₹: `to − from` for a long (every option),
    /// `from − to` for a short.
    pub fn gain_per_unit(&self, from: Decimal, to: Decimal) -> Decimal {
        // Subtraction, not a multiplication by ±1: keeps the scale (`0.00` stays `0.00`).
        match self.entry_side {
            Side::Buy => to - from,
            Side::Sell => from - to,
        }
    }

    /// Open P&L at the last mark, ₹ (held units × gain per unit from the average entry to the
    /// mark; 0 without a mark), its hedge's included.
    pub fn open_pnl(&self) -> Decimal {
        let own = self.last_mark.map_or(Decimal::ZERO, |m| {
            self.gain_per_unit(self.average_entry(), m) * Decimal::from(self.open_quantity())
        });
        own + self.hedge.as_ref().map_or(Decimal::ZERO, |h| h.open_pnl())
    }
}

fn buy_side() -> Side {
    Side::Buy
}

/// A signal from a candle completed by the clock, executed at the next tick (spec §3.1 rule 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSignal {
    /// The signal.
    pub signal: Signal,
    /// Fresh or re-entry.
    pub origin: SignalOrigin,
    /// Start of the candle that produced it.
    #[serde(with = "domain::time::serde_ist")]
    pub candle_start: IstDateTime,
    /// Strategy stop distance for an entry on it.
    pub stop_points: Option<Decimal>,
    /// The strategy whose signal it is ([`Strategy::entry_strategy`]: a member's name in a
    /// strategy set, e.g. seed 001's `s8`); empty in checkpoints written before sets.
    #[serde(default)]
    pub strategy: String,
}

/// What the end of one order (COMPLETE, CANCELLED or REJECTED) means for its position, as
/// decided by [`SegmentAgent::on_order_terminal`]; the engine journals it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStep {
    /// Nothing to report (more orders still work, or the order simply completed).
    Nothing,
    /// The closing position entered at this tick number is flat: book its trade.
    Flat(u64),
    /// An exit order failed or filled partly: the rest is sent again at the next tick.
    ExitRetry {
        /// Failed exit attempts so far.
        failures: u32,
    },
    /// The entry of a closing position failed with nothing bought: dropped, no trade.
    NothingBought,
    /// An entry or pyramid add failed; with `back_to_waiting` nothing is held and the agent
    /// is flat again.
    BuyFailed {
        /// The position was dropped and the agent waits for signals.
        back_to_waiting: bool,
    },
}

/// What an index tick of its segment leaves an agent to act on (step (b) of a tick).
#[derive(Debug, Clone, PartialEq)]
pub struct TickWork {
    /// The signal a candle completed by the clock left for this tick.
    pub pending: Option<PendingSignal>,
    /// The candle this tick completes.
    pub completed: Option<Candle>,
}

/// One input the strategy took today, in order: a restart feeds the same inputs to a fresh
/// strategy (after the warm-up) to rebuild its state (spec §11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StrategyInput {
    /// A completed candle.
    Candle(Candle),
    /// The segment's position closed ([`Strategy::on_position_closed`]).
    Closed {
        /// The position's direction.
        direction: Direction,
        /// Why it closed.
        reason: ExitReason,
    },
}

/// One segment's agent.
pub struct SegmentAgent {
    /// The index.
    pub segment: Segment,
    /// Resolved parameters.
    pub params: SegmentSettings,
    /// Its strategy instance.
    pub strategy: Box<dyn Strategy>,
    /// Candle builder.
    pub candles: CandleAggregator,
    /// State.
    pub state: AgentState,
    /// Open position (no exit decided yet).
    pub position: Option<Position>,
    /// Positions whose exit is decided (the trade's exit time, index price and reason are
    /// fixed) while their orders finish: the entry still filling, the exit working or being
    /// retried. The agent is flat for signals meanwhile, exactly as in replay where fills are
    /// immediate (spec §3.1 rule 6: an exit and a new entry may share a tick).
    pub closing: Vec<Position>,
    /// Signal waiting for the next tick.
    pub pending: Option<PendingSignal>,
    /// Last index tick seen.
    pub last_tick: Option<Tick>,
    /// Entries today.
    pub trades_today: u32,
    /// The strategy of each entry today, in order (seed 001's "each strategy once a day",
    /// risk rule `max_entries_per_strategy_per_day`).
    pub entry_strategies: Vec<String>,
    /// Completed trades today.
    pub closed_trades: u32,
    /// Realized net P&L today, ₹.
    pub realized_pnl: Decimal,
    /// Losing trades in a row.
    pub consecutive_losses: u32,
    /// Exit time of the last losing trade.
    pub last_loss_at: Option<IstDateTime>,
    /// Time of the last entry.
    pub last_entry_at: Option<IstDateTime>,
    /// The trader asked to close the position (reason `MANUAL`).
    pub close_requested: bool,
    /// Today's strategy inputs since the day started ([`StrategyInput`]).
    pub tape: Vec<StrategyInput>,
}

impl SegmentAgent {
    /// A new idle agent.
    pub fn new(params: SegmentSettings, strategy: Box<dyn Strategy>) -> Self {
        let segment = params.segment;
        let candles = CandleAggregator::new(strategy.timeframe());
        Self {
            segment,
            params,
            strategy,
            candles,
            state: AgentState::Idle,
            position: None,
            closing: Vec::new(),
            pending: None,
            last_tick: None,
            trades_today: 0,
            entry_strategies: Vec::new(),
            closed_trades: 0,
            realized_pnl: Decimal::ZERO,
            consecutive_losses: 0,
            last_loss_at: None,
            last_entry_at: None,
            close_requested: false,
            tape: Vec::new(),
        }
    }

    /// Give the strategy a completed candle of today (recorded on the tape).
    pub fn feed_candle(&mut self, c: &Candle) -> strategy::Evaluation {
        self.tape.push(StrategyInput::Candle(*c));
        self.strategy.on_candle(c)
    }

    /// Tell the strategy its position closed (recorded on the tape).
    pub fn position_closed(&mut self, direction: Direction, reason: ExitReason) {
        self.tape.push(StrategyInput::Closed { direction, reason });
        self.strategy.on_position_closed(direction, reason);
    }

    /// Feed a restored tape to the strategy (signals are not acted on): the strategy is where
    /// it was when the tape was written. Returns the number of inputs replayed.
    pub fn replay_tape(&mut self, tape: Vec<StrategyInput>) -> usize {
        for input in &tape {
            match input {
                StrategyInput::Candle(c) => {
                    self.strategy.on_candle(c);
                }
                StrategyInput::Closed { direction, reason } => {
                    self.strategy.on_position_closed(*direction, *reason);
                }
            }
        }
        let n = tape.len();
        self.tape = tape;
        n
    }

    /// The position (open or closing) that has a leg for `order`.
    /// For a hedged short this is the spread (its short leg, holding the hedge).
    pub fn position_with_order_mut(&mut self, order: OrderId) -> Option<&mut Position> {
        let has = |p: &Position| p.has_order(order);
        if self.position.as_ref().is_some_and(has) {
            return self.position.as_mut();
        }
        self.closing.iter_mut().find(|p| has(p))
    }

    /// The position (open or closing) entered at tick number `entry_seq`.
    pub fn position_by_seq_mut(&mut self, entry_seq: u64) -> Option<&mut Position> {
        if self
            .position
            .as_ref()
            .is_some_and(|p| p.entry_seq == entry_seq)
        {
            return self.position.as_mut();
        }
        self.closing.iter_mut().find(|p| p.entry_seq == entry_seq)
    }

    /// Every position, open first, then closing ones.
    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.position.iter().chain(self.closing.iter())
    }

    /// Add a leg (an order just created on `tradingsymbol`) to the position entered at tick
    /// `entry_seq`: to its hedge when the order is on the hedge's contract.
    pub fn add_leg(
        &mut self,
        entry_seq: u64,
        tradingsymbol: &str,
        order: OrderId,
        side: Side,
        requested: u32,
    ) {
        if let Some(mut p) = self.position_by_seq_mut(entry_seq) {
            if let Some(h) = p.hedge.as_deref_mut()
                && h.contract.tradingsymbol == tradingsymbol
            {
                p = h;
            }
            p.legs.push(Leg {
                order,
                side,
                requested,
                filled: 0,
                average: Decimal::ZERO,
                done: false,
                failed: false,
            });
        }
    }

    /// Copy an order's state into its leg (filled units, average, done/failed): the one
    /// place a leg is written after it is created.
    pub fn update_leg(&mut self, o: &OrderState) {
        let id = o.request().id;
        if let Some(l) = self
            .position_with_order_mut(id)
            .and_then(|p| p.leg_owner_mut(id))
            .and_then(|p| p.leg_mut(id))
        {
            let status = o.status();
            l.filled = o.filled_quantity();
            l.average = o.average_price().unwrap_or(l.average);
            l.done = status.is_terminal();
            l.failed = matches!(status, OrderStatus::Cancelled | OrderStatus::Rejected);
        }
    }

    /// Book the charges of a fill of `order` (₹) on its position; a fill without a market
    /// price makes the trade's premium source `MODEL`.
    pub fn book_fill(&mut self, order: OrderId, charges: Decimal, source: PremiumSource) {
        if let Some(p) = self
            .position_with_order_mut(order)
            .and_then(|p| p.leg_owner_mut(order))
        {
            p.charges += charges;
            if source != PremiumSource::Market {
                p.all_market = false;
            }
        }
    }

    /// Mark-to-market P&L of the open and closing positions at their last marks, ₹.
    pub fn open_pnl(&self) -> Decimal {
        self.positions().map(Position::open_pnl).sum()
    }

    /// Holds or is closing a position (cheap: per-tick loops over a large universe skip the
    /// agents that hold nothing).
    pub fn holds_any(&self) -> bool {
        self.position.is_some() || !self.closing.is_empty()
    }

    /// This agent's part of the risk state (spec §7).
    pub fn risk_state(&self) -> SegmentRiskState {
        SegmentRiskState {
            open_positions: u32::from(self.position.is_some()),
            trades_today: self.trades_today,
            realized_pnl: self.realized_pnl,
            open_pnl: self
                .position
                .as_ref()
                .map_or(Decimal::ZERO, Position::open_pnl),
            consecutive_losses: self.consecutive_losses,
            last_loss_at: self.last_loss_at,
            last_entry_at: self.last_entry_at,
        }
    }

    /// The open position holds units or is buying them.
    pub fn has_live_position(&self) -> bool {
        self.position.as_ref().is_some_and(Position::is_live)
    }

    /// Start the trading day: the strategy's day state resets, the agent waits for signals.
    pub fn start_day(&mut self) {
        self.strategy.start_day();
        self.state = AgentState::WaitingForSignal;
    }

    /// Ask to close the open position at the next tick (reason `MANUAL`).
    pub fn request_close(&mut self) {
        if self.position.is_some() {
            self.close_requested = true;
        }
    }

    /// Book a completed trade's result (spec §7: consecutive losses, cool-down).
    pub fn book_trade(&mut self, net_pnl: Decimal, exit_time: IstDateTime) {
        self.realized_pnl += net_pnl;
        if net_pnl <= Decimal::ZERO {
            self.consecutive_losses += 1;
            self.last_loss_at = Some(exit_time);
        } else {
            self.consecutive_losses = 0;
        }
    }

    /// Feed the strategy the completed candles of earlier sessions (1-minute bars, oldest
    /// first; spec §3.1 rule 4): the number of candles fed. Signals are not acted on.
    pub fn warm_up(&mut self, sessions: &[Vec<domain::Bar>]) -> usize {
        let tf = self.strategy.timeframe();
        let mut candles = 0usize;
        for bars in sessions {
            for c in
                crate::candles::session_candles(bars, tf, self.params.token().unwrap_or_default())
            {
                self.strategy.on_candle(&c);
                candles += 1;
            }
        }
        candles
    }

    /// Take an index tick of the agent's segment (spec §3.1 rule 6): it becomes the last
    /// tick; the signal left by the clock and the candle the tick completes are handed back;
    /// then the tick joins its (new) candle.
    pub fn take_tick(&mut self, tick: &Tick) -> TickWork {
        self.last_tick = Some(*tick);
        let work = TickWork {
            pending: self.pending.take(),
            completed: self.candles.complete_until(&tick.ts),
        };
        self.candles.push(tick);
        work
    }

    /// Open `p` (spec §3 `IN_POSITION`): an entry of today by `strategy`, at its entry time.
    pub fn open_position(&mut self, p: Position, strategy: &str) {
        self.entry_strategies.push(strategy.to_string());
        self.last_entry_at = Some(p.entry_time);
        self.position = Some(p);
        self.state = AgentState::InPosition;
        self.trades_today += 1;
    }

    /// Step (d) of a tick for the open position (no exit decided): trail the stop and track
    /// the excursions at the premium mark; the new trailing level when it moved.
    pub fn track(&mut self, tick: &Tick, marks: &mut dyn PremiumMarks) -> Option<Decimal> {
        let p = self.position.as_mut()?;
        if p.exit.is_some() {
            return None;
        }
        let moved = p.stops.trail_with(tick.price);
        if p.open_quantity() > 0
            && let Some((mark, source)) = marks.mark(&p.contract, tick.price, tick.ts)
        {
            let mark = p.usable_mark(mark, source);
            let d = p.gain_per_unit(p.average_entry(), mark);
            p.mfe = p.mfe.max(d);
            p.mae = p.mae.min(d);
            p.last_mark = Some(mark);
        }
        moved
    }

    /// What the end of order `id` (its `status` and `purpose`) means for its position: exits
    /// retried (spec §10.2), a flat closing position, a failed entry dropped.
    pub fn on_order_terminal(
        &mut self,
        id: OrderId,
        status: OrderStatus,
        purpose: OrderPurpose,
    ) -> TerminalStep {
        let Some(p) = self.position_with_order_mut(id) else {
            return TerminalStep::Nothing;
        };
        if p.hedge.is_some() {
            // A hedged short: its legs' order (crate::position::spread).
            return self.on_spread_terminal(id, status, purpose);
        }
        let seq = p.entry_seq;
        let closing = p.exit.is_some();
        if purpose == OrderPurpose::Exit {
            if p.exit_in_flight() {
                return TerminalStep::Nothing;
            }
            // A protective order still working: its end decides (position/protective.rs).
            if p.exited() >= p.entered() && !p.entry_in_flight() && !p.protective_working() {
                return TerminalStep::Flat(seq);
            }
            if status == OrderStatus::Complete {
                // The exit covered what was held when it was sent; the rest follows when the
                // working entry/add completes.
                return TerminalStep::Nothing;
            }
            p.exit_retry = true;
            p.exit_failures += 1;
            return TerminalStep::ExitRetry {
                failures: p.exit_failures,
            };
        }
        if closing && !p.entry_in_flight() {
            // The exit was decided while this order worked: cover what it bought (sent by the
            // exit retry at the next tick).
            if p.unexited() > 0 {
                p.exit_retry = true;
                return TerminalStep::Nothing;
            }
            if !p.exit_in_flight() && p.entered() == 0 {
                self.closing.retain(|p| p.entry_seq != seq);
                return TerminalStep::NothingBought;
            }
            if !p.exit_in_flight() && !p.protective_working() && p.exited() >= p.entered() {
                return TerminalStep::Flat(seq);
            }
        }
        if status == OrderStatus::Complete {
            return TerminalStep::Nothing;
        }
        let back_to_waiting = p.entered() == 0 && !p.entry_in_flight() && !closing;
        if back_to_waiting {
            self.position = None;
            self.state = AgentState::WaitingForSignal;
        }
        TerminalStep::BuyFailed { back_to_waiting }
    }

    /// Closing positions whose orders still work: `tradingsymbol held N` each.
    pub fn stuck_positions(&self) -> Vec<String> {
        self.closing
            .iter()
            .map(|p| format!("{} held {}", p.contract.tradingsymbol, p.open_quantity()))
            .collect()
    }
}
