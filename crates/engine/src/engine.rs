//! The event loop (spec §3, §3.1): ticks in, candles, signals, risk, orders, fills,
//! positions and journal rows out — the same code in replay, paper and live.

use crate::agent::{AgentState, Leg, PendingExit, PendingSignal, Position, SegmentAgent};
use crate::candles::session_candles;
use crate::clock::EventClock;
use crate::config::{Config, Mode, StopBasis};
use chrono::{NaiveDate, TimeDelta};
use domain::calendar::MarketCalendar;
use domain::charges::ChargesSchedule;
use domain::order::{Applied, OrderEvent, OrderPurpose};
use domain::ports::{
    Broker, BrokerError, BrokerEvent, Clock, ContractSource, HistoricalData, MarketData,
    MarketEvent, PremiumMarks,
};
use domain::time::{IstDateTime, fmt_iso, ist, session_close};
use domain::{
    Candle, Decimal, Direction, ExitReason, OrderId, OrderKind, OrderRequest, OrderState,
    OrderStatus, PremiumSource, Segment, Side, Signal, Tick, Trade,
};
use journal::{DaySummary, Event, FillRow, Journal, JournalError, OrderRow};
use risk::{Decision, IntentKind, OrderIntent, RiskEngine, RiskState, Rule, SegmentRiskState};
use rust_decimal_macros::dec;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use strategy::SignalOrigin;
use strategy::exits::{StopTracker, UnderlyingStops};
use strategy::option_selection::select_contract;
use strategy::pyramid::pyramid_add;

/// Failed exit attempts before the session is halted with a critical alert (spec §10.2);
/// the engine keeps retrying the exit after that.
pub const EXIT_FAILURES_BEFORE_HALT: u32 = 3;

/// How long an order whose placement outcome is unknown may stay absent from the broker's
/// order book (looked up by tag) before the engine treats it as never placed, seconds of
/// exchange time. Until then it stays `PENDING_SUBMIT` and nothing is re-sent (spec §10.2).
pub const UNKNOWN_ORDER_GRACE_SECS: i64 = 60;

/// Longest wall-clock wait at session end for working orders to finish, seconds.
pub const SETTLE_TIMEOUT_SECS: u64 = 30;

/// The checkpoint (spec §11): what the engine holds, written atomically by the session
/// runner to `<journal root>/checkpoints/<mode>_state_latest.json`. Money in ₹, times IST.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checkpoint {
    /// `PAPER`, `LIVE`, `REPLAY`.
    pub mode: String,
    /// Trading date.
    pub date: NaiveDate,
    /// Engine clock when taken (exchange time).
    #[serde(with = "domain::time::serde_ist")]
    pub as_of: IstDateTime,
    /// Entries stopped (risk halt, exit failures or shutdown).
    pub halted: bool,
    /// Kill switch on.
    pub paused: bool,
    /// The next engine order id (tags continue from it after a restart).
    pub next_order_id: u64,
    /// Per segment.
    pub agents: Vec<CheckpointAgent>,
    /// Every order of the day with its last known state.
    pub orders: Vec<CheckpointOrder>,
    /// Trades completed.
    pub trades: usize,
    /// [`Engine::version`] when taken.
    pub version: u64,
}

/// One agent in a [`Checkpoint`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointAgent {
    /// Index.
    pub segment: Segment,
    /// Agent state.
    pub state: AgentState,
    /// Entries today.
    pub trades_today: u32,
    /// Completed trades today.
    pub closed_trades: u32,
    /// Realized net P&L, ₹.
    pub realized_pnl: Decimal,
    /// Losing trades in a row.
    pub consecutive_losses: u32,
    /// Open and closing positions.
    pub positions: Vec<CheckpointPosition>,
}

/// One position in a [`Checkpoint`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointPosition {
    /// Option held.
    pub tradingsymbol: String,
    /// Its Kite token when known.
    pub instrument_token: Option<u32>,
    /// Long (CE) or short (PE) on the index.
    pub direction: Direction,
    /// Entry signal.
    pub signal: Signal,
    /// Entry tick time.
    #[serde(with = "domain::time::serde_ist")]
    pub entry_time: IstDateTime,
    /// Index price at entry.
    pub entry_spot: Decimal,
    /// Units held now.
    pub held: u32,
    /// Average entry premium, ₹.
    pub average_entry: Decimal,
    /// Initial stop, index points level.
    pub initial_stop: Decimal,
    /// Trailing stop level.
    pub trailing_stop: Decimal,
    /// Exit decided (closing), with its reason.
    pub exit_reason: Option<ExitReason>,
}

/// One order in a [`Checkpoint`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointOrder {
    /// Engine order id.
    pub order_id: u64,
    /// Kite tag.
    pub tag: String,
    /// Broker's id once known.
    pub broker_order_id: Option<String>,
    /// Index.
    pub segment: Segment,
    /// Contract.
    pub tradingsymbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Entry, add or exit.
    pub purpose: OrderPurpose,
    /// Units asked.
    pub quantity: u32,
    /// Units filled.
    pub filled_quantity: u32,
    /// Average fill, ₹.
    pub average_price: Option<Decimal>,
    /// Last status.
    pub status: OrderStatus,
}

/// Errors that stop the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Writing the journal failed.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// Warm-up history could not be loaded.
    #[error("warm-up: {0}")]
    History(#[from] domain::ports::HistoryError),
    /// Configuration is unusable.
    #[error("config: {0}")]
    Config(String),
    /// The broker failed in a way that stops the session.
    #[error("broker: {0}")]
    Broker(#[from] BrokerError),
}

/// Everything an engine is built from: configuration and the edges as trait objects.
pub struct EngineParts {
    /// Configuration.
    pub config: Config,
    /// Mode (journal folder and trade rows).
    pub mode: Mode,
    /// Trading date.
    pub date: NaiveDate,
    /// Execution.
    pub broker: Box<dyn Broker>,
    /// Option premium marks.
    pub marks: Box<dyn PremiumMarks>,
    /// Contract resolution.
    pub contracts: Box<dyn ContractSource>,
    /// Journal.
    pub journal: Box<dyn Journal>,
    /// Exchange calendar.
    pub calendar: MarketCalendar,
    /// Charges schedule.
    pub charges: ChargesSchedule,
}

/// The result of a day.
#[derive(Debug, Clone)]
pub struct DayReport {
    /// Completed trades in exit order.
    pub trades: Vec<Trade>,
    /// Statistics.
    pub summary: DaySummary,
}

struct TrackedOrder {
    agent: usize,
    state: OrderState,
    charged_brokerage: bool,
}

/// The engine for one trading day.
pub struct Engine {
    config: Config,
    mode: Mode,
    date: NaiveDate,
    agents: Vec<SegmentAgent>,
    broker: Box<dyn Broker>,
    marks: Box<dyn PremiumMarks>,
    contracts: Box<dyn ContractSource>,
    journal: Box<dyn Journal>,
    risk: RiskEngine,
    charges: ChargesSchedule,
    clock: Arc<EventClock>,
    orders: BTreeMap<OrderId, TrackedOrder>,
    next_order: u64,
    sent: VecDeque<IstDateTime>,
    tick_seq: u64,
    last_tick_at: Option<IstDateTime>,
    trades: Vec<Trade>,
    halted: bool,
    paused: bool,
    broker_unhealthy: bool,
    announced_locks: BTreeSet<(Option<Segment>, Rule)>,
    skipped: u32,
    ended: bool,
    subscriptions: Vec<u32>,
    subscribed: BTreeSet<u32>,
    foreign_days: BTreeSet<NaiveDate>,
    version: u64,
}

impl Engine {
    /// Build the engine: one agent per enabled segment, in segment order.
    pub fn new(parts: EngineParts) -> Result<Self, EngineError> {
        let EngineParts {
            config,
            mode,
            date,
            broker,
            marks,
            contracts,
            journal,
            calendar,
            charges,
        } = parts;
        let mut segments = config.engine.segments.clone();
        segments.sort();
        segments.dedup();
        let mut agents = Vec::new();
        for seg in segments {
            let strategy = config.build_strategy().map_err(EngineError::Config)?;
            agents.push(SegmentAgent::new(seg, config.segment(seg), strategy));
        }
        let risk = RiskEngine::new(config.risk.clone(), config.engine.capital, calendar);
        let clock = Arc::new(EventClock::new(ist(date, domain::time::hms(9, 0, 0))));
        Ok(Self {
            config,
            mode,
            date,
            agents,
            broker,
            marks,
            contracts,
            journal,
            risk,
            charges,
            clock,
            orders: BTreeMap::new(),
            next_order: 1,
            sent: VecDeque::new(),
            tick_seq: 0,
            last_tick_at: None,
            trades: Vec::new(),
            halted: false,
            paused: false,
            broker_unhealthy: false,
            announced_locks: BTreeSet::new(),
            skipped: 0,
            ended: false,
            subscriptions: Vec::new(),
            subscribed: BTreeSet::new(),
            foreign_days: BTreeSet::new(),
            version: 0,
        })
    }

    /// The engine's clock (follows event timestamps).
    pub fn clock(&self) -> Arc<EventClock> {
        self.clock.clone()
    }

    /// Trades completed so far.
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// Agent states, in segment order.
    pub fn agent_states(&self) -> Vec<(Segment, AgentState)> {
        self.agents.iter().map(|a| (a.segment, a.state)).collect()
    }

    /// Whether the session is halted (no new entries).
    pub fn is_halted(&self) -> bool {
        self.halted
    }

    /// Kill switch (spec §7): `true` blocks all entries and pyramid adds at once; exits go on.
    pub fn set_paused(&mut self, paused: bool) -> Result<(), EngineError> {
        if self.paused != paused {
            self.paused = paused;
            let now = self.clock.now();
            let what = if paused {
                "paused: entries blocked"
            } else {
                "resumed"
            };
            self.event(
                now,
                None,
                "kill_switch",
                what.to_string(),
                json!({"paused": paused}),
            )?;
        }
        Ok(())
    }

    /// Ask to close a segment's position (or all, with `None`) at its next tick, reason
    /// `MANUAL` (spec §4.4).
    pub fn request_close(&mut self, segment: Option<Segment>) {
        for a in &mut self.agents {
            if segment.is_none_or(|s| s == a.segment) && a.position.is_some() {
                a.close_requested = true;
            }
        }
    }

    /// The broker session is (in)valid: an invalid session blocks entries (spec §7).
    pub fn set_broker_healthy(&mut self, healthy: bool) {
        self.broker_unhealthy = !healthy;
    }

    fn event(
        &mut self,
        ts: IstDateTime,
        segment: Option<Segment>,
        kind: &'static str,
        message: String,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
        self.version += 1;
        tracing::debug!(target: "engine::event", ts = %fmt_iso(&ts), segment = ?segment, kind, %message);
        self.journal.event(&Event {
            timestamp: ts,
            segment,
            kind,
            message,
            data,
        })?;
        Ok(())
    }

    /// Feed each agent the completed candles of the previous `warmup_sessions` sessions
    /// (spec §3, §3.1 rule 4); no signal is acted on. Then the day starts.
    pub async fn warm_up(&mut self, history: &dyn HistoricalData) -> Result<(), EngineError> {
        let n = self.config.engine.warmup_sessions;
        for i in 0..self.agents.len() {
            let seg = self.agents[i].segment;
            let sessions = history.sessions_before(seg, self.date, n).await?;
            let tf = self.agents[i].strategy.timeframe();
            let mut candles = 0usize;
            for bars in &sessions {
                for c in session_candles(bars, tf, seg.index_token()) {
                    self.agents[i].strategy.on_candle(&c);
                    candles += 1;
                }
            }
            let now = self.clock.now();
            if sessions.len() < n {
                self.event(
                    now,
                    Some(seg),
                    "warning",
                    format!(
                        "warm-up found {} of {n} sessions before {}",
                        sessions.len(),
                        self.date
                    ),
                    json!({"sessions": sessions.len(), "wanted": n}),
                )?;
            }
            self.event(
                now,
                Some(seg),
                "session",
                format!("warm-up: {} sessions, {candles} candles", sessions.len()),
                json!({"sessions": sessions.len(), "candles": candles}),
            )?;
        }
        self.start_day()
    }

    /// Start the trading day without warm-up (indicators start empty).
    pub fn start_day(&mut self) -> Result<(), EngineError> {
        for a in &mut self.agents {
            a.strategy.start_day();
            a.state = AgentState::WaitingForSignal;
        }
        let now = self.clock.now();
        let segs: Vec<&str> = self.agents.iter().map(|a| a.segment.code()).collect();
        self.event(
            now,
            None,
            "session",
            format!(
                "{} day {} started: {}",
                self.mode.code(),
                self.date,
                segs.join(",")
            ),
            json!({"mode": self.mode.code(), "date": self.date, "segments": segs,
                   "strategy": self.config.strategy_name()}),
        )
    }

    /// Run until the feed ends or reports the end of the session (or a tick or timer reaches
    /// the session close, 15:30 IST); then close the day. Subscribes the feed to the option
    /// contracts the engine trades ([`Self::subscribe_traded`]).
    pub async fn run(&mut self, feed: &mut dyn MarketData) -> Result<DayReport, EngineError> {
        while let Some(ev) = feed.next_event().await {
            if let Some(report) = self.handle(ev).await? {
                return Ok(report);
            }
            self.subscribe_traded(feed).await?;
        }
        let now = self.clock.now();
        self.end_session(now).await
    }

    /// Process one market event; `Some(report)` when it ended the session (end of session,
    /// or a tick/timer at or after the 15:30 IST close, spec §3.1 rule 3).
    pub async fn handle(&mut self, ev: MarketEvent) -> Result<Option<DayReport>, EngineError> {
        let close = ist(self.date, session_close());
        match ev {
            MarketEvent::Tick(t) if t.ts >= close && t.ts.date_naive() == self.date => {
                self.end_session(t.ts).await.map(Some)
            }
            MarketEvent::Tick(t) => self.on_tick(t).await.map(|()| None),
            MarketEvent::Timer(now) if now >= close && now.date_naive() == self.date => {
                self.end_session(now).await.map(Some)
            }
            MarketEvent::Timer(now) => self.on_timer(now).await.map(|()| None),
            MarketEvent::Feed(status, ts) => {
                self.event(
                    ts,
                    None,
                    "feed",
                    format!("feed {status:?}"),
                    json!({"status": format!("{status:?}")}),
                )?;
                Ok(None)
            }
            MarketEvent::EndOfSession(ts) => self.end_session(ts).await.map(Some),
        }
    }

    /// Subscribe `feed` to the option contracts entered since the last call (their ticks give
    /// marks and the touch); a failure is journaled, not fatal.
    pub async fn subscribe_traded(&mut self, feed: &mut dyn MarketData) -> Result<(), EngineError> {
        let tokens = self.take_subscriptions();
        if tokens.is_empty() {
            return Ok(());
        }
        if let Err(e) = feed.subscribe(&tokens).await {
            let now = self.clock.now();
            self.event(
                now,
                None,
                "feed",
                format!("subscribe {tokens:?} failed: {e}"),
                json!({"tokens": tokens, "error": e.to_string()}),
            )?;
        }
        Ok(())
    }

    /// Option tokens the engine has started trading since the last call (their ticks give
    /// marks and the touch); the caller subscribes them on the live feed.
    pub fn take_subscriptions(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.subscriptions)
    }

    /// Orders not yet in a terminal state, or positions still closing.
    pub fn has_outstanding(&self) -> bool {
        self.agents.iter().any(|a| !a.closing.is_empty())
            || self
                .orders
                .values()
                .any(|o| !o.state.status().is_terminal())
    }

    /// Wait (wall clock, at most [`SETTLE_TIMEOUT_SECS`]) for working orders to finish and
    /// closing positions to become trades; a position still open after that is reported as a
    /// critical event and left as it is. With immediate fills (replay, paper) there is nothing
    /// to wait for.
    pub async fn settle_outstanding(&mut self, now: IstDateTime) -> Result<(), EngineError> {
        let deadline =
            std::time::Instant::now() + std::time::Duration::from_secs(SETTLE_TIMEOUT_SECS);
        while self.has_outstanding() && std::time::Instant::now() < deadline {
            for i in 0..self.agents.len() {
                self.retry_exits(i, now).await?;
            }
            self.settle_unknown_orders().await?;
            self.pump().await?;
            if self.has_outstanding() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        for i in 0..self.agents.len() {
            let seg = self.agents[i].segment;
            let stuck: Vec<String> = self.agents[i]
                .closing
                .iter()
                .map(|p| format!("{} held {}", p.contract.tradingsymbol, p.open_quantity()))
                .collect();
            if !stuck.is_empty() {
                self.event(
                    now,
                    Some(seg),
                    "critical",
                    format!("orders still working at session end: {}", stuck.join(", ")),
                    json!({"positions": stuck}),
                )?;
            }
        }
        Ok(())
    }

    /// Stop new entries and pyramid adds for the rest of the session (graceful shutdown,
    /// spec §10.6); exits and stops go on.
    pub fn stop_entries(&mut self, why: &str) -> Result<(), EngineError> {
        if !self.halted {
            self.halted = true;
            let now = self.clock.now();
            self.event(
                now,
                None,
                "session",
                format!("entries stopped: {why}"),
                json!({"reason": why}),
            )?;
        }
        Ok(())
    }

    /// A snapshot of the engine's state for the checkpoint file (spec §11).
    pub fn checkpoint(&self) -> Checkpoint {
        let orders = self
            .orders
            .values()
            .map(|o| CheckpointOrder {
                order_id: o.state.request().id.0,
                tag: o.state.request().tag.clone(),
                broker_order_id: o.state.broker_order_id().map(String::from),
                segment: self.agents[o.agent].segment,
                tradingsymbol: o.state.request().contract.tradingsymbol.clone(),
                side: o.state.request().side,
                purpose: o.state.request().purpose,
                quantity: o.state.request().quantity,
                filled_quantity: o.state.filled_quantity(),
                average_price: o.state.average_price(),
                status: o.state.status(),
            })
            .collect();
        let agents = self
            .agents
            .iter()
            .map(|a| CheckpointAgent {
                segment: a.segment,
                state: a.state,
                trades_today: a.trades_today,
                closed_trades: a.closed_trades,
                realized_pnl: a.realized_pnl,
                consecutive_losses: a.consecutive_losses,
                positions: a
                    .positions()
                    .map(|p| CheckpointPosition {
                        tradingsymbol: p.contract.tradingsymbol.clone(),
                        instrument_token: p.contract.instrument_token,
                        direction: p.direction,
                        signal: p.signal,
                        entry_time: p.entry_time,
                        entry_spot: p.entry_spot,
                        held: p.open_quantity(),
                        average_entry: p.average_entry(),
                        initial_stop: p.stops.initial_stop(),
                        trailing_stop: p.stops.trailing_stop(),
                        exit_reason: p.exit.map(|e| e.reason),
                    })
                    .collect(),
            })
            .collect();
        Checkpoint {
            mode: self.mode.code().to_string(),
            date: self.date,
            as_of: self.clock.now(),
            halted: self.halted,
            paused: self.paused,
            next_order_id: self.next_order,
            agents,
            orders,
            trades: self.trades.len(),
            version: self.version,
        }
    }

    /// Journal an event from outside the engine (the session runner: feed, session and
    /// shutdown notices), stamped with the engine clock.
    pub fn note(
        &mut self,
        segment: Option<Segment>,
        kind: &'static str,
        message: String,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        self.event(now, segment, kind, message, data)
    }

    /// Option tokens subscribed for traded contracts so far (to resubscribe a new feed).
    pub fn subscribed_tokens(&self) -> Vec<u32> {
        self.subscribed.iter().copied().collect()
    }

    /// Close every open position now, at its segment's last tick (reason `MANUAL`), and wait
    /// for the orders to finish (`--square-off-on-exit`, spec §10.6).
    pub async fn square_off_now(&mut self) -> Result<(), EngineError> {
        for i in 0..self.agents.len() {
            let open = self.agents[i]
                .position
                .as_ref()
                .is_some_and(Position::is_live);
            if let (true, Some(t)) = (open, self.agents[i].last_tick) {
                self.exit_position(i, t, ExitReason::Manual).await?;
            }
        }
        let now = self.clock.now();
        self.settle_outstanding(now).await
    }

    /// The day so far (trades and statistics) without ending the session.
    pub fn report(&self) -> DayReport {
        DayReport {
            trades: self.trades.clone(),
            summary: self.summary(),
        }
    }

    /// A counter that moves whenever journal-worthy state changes (write a checkpoint when it
    /// differs from the last one written).
    pub fn version(&self) -> u64 {
        self.version
    }

    fn agent_index(&self, seg: Segment) -> Option<usize> {
        self.agents.iter().position(|a| a.segment == seg)
    }

    /// Process one tick (spec §3.1 rule 6): (a) exits of positions opened earlier, against the
    /// levels before this tick; (b) candle completion, signals, entry at this tick; (c) the
    /// tick joins its candle; (d) trailing stops, excursions and pyramiding move with it.
    pub async fn on_tick(&mut self, tick: Tick) -> Result<(), EngineError> {
        let day = tick.ts.date_naive();
        if day != self.date {
            // Not this session's data (a stale pre-open packet, or a simulator on another day).
            if self.foreign_days.insert(day) {
                let now = self.clock.now();
                self.event(
                    now,
                    None,
                    "warning",
                    format!(
                        "ticks dated {day} ignored: the session is {}; against the simulator pass its date",
                        self.date
                    ),
                    json!({"tick_date": day, "session_date": self.date}),
                )?;
            }
            return Ok(());
        }
        self.clock.advance(tick.ts);
        self.tick_seq += 1;
        self.last_tick_at = Some(tick.ts);
        self.broker.observe(&tick);
        self.marks.observe(&tick);
        self.pump().await?;
        self.settle_unknown_orders().await?;
        let Some(seg) = Segment::from_index_token(tick.token) else {
            return Ok(());
        };
        let Some(i) = self.agent_index(seg) else {
            return Ok(());
        };
        self.agents[i].last_tick = Some(tick);
        for j in 0..self.agents.len() {
            self.retry_exits(j, tick.ts).await?;
        }

        // (a) exits, then the session-level loss check
        self.check_exits(i, &tick).await?;
        self.check_halt(&tick).await?;

        // (b) candles completed by this tick, and any signal left by the clock
        if let Some(p) = self.agents[i].pending.take() {
            self.act_on_signal(i, &p, &tick).await?;
        }
        if let Some(c) = self.agents[i].candles.complete_until(&tick.ts) {
            let p = self.on_candle(i, &c)?;
            if p.signal != Signal::Hold {
                self.act_on_signal(i, &p, &tick).await?;
            }
        }

        // (c) the tick joins its candle
        self.agents[i].candles.push(&tick);

        // (d) trail, excursions, pyramiding
        self.track_position(i, &tick).await
    }

    /// Time passed without ticks: complete candles by the clock; their signals wait for the
    /// next tick (spec §3, §3.1 rule 3).
    pub async fn on_timer(&mut self, now: IstDateTime) -> Result<(), EngineError> {
        if now.date_naive() != self.date {
            return Ok(());
        }
        self.clock.advance(now);
        self.pump().await?;
        self.settle_unknown_orders().await?;
        for i in 0..self.agents.len() {
            if let Some(c) = self.agents[i].candles.complete_until(&now) {
                let p = self.on_candle(i, &c)?;
                if p.signal != Signal::Hold {
                    self.agents[i].pending = Some(p);
                }
            }
        }
        Ok(())
    }

    fn on_candle(&mut self, i: usize, c: &Candle) -> Result<PendingSignal, EngineError> {
        let ev = self.agents[i].strategy.on_candle(c);
        let seg = self.agents[i].segment;
        let mut data = json!({
            "candle_start": fmt_iso(&c.start),
            "open": c.open, "high": c.high, "low": c.low, "close": c.close,
            "volume": c.volume,
            "signal": ev.signal.code(),
        });
        for (name, v) in &ev.indicators {
            data[*name] = v.map_or(serde_json::Value::Null, |x| json!(x));
        }
        self.event(
            c.end(),
            Some(seg),
            "candle",
            format!(
                "{} {} O{} H{} L{} C{} → {}",
                c.timeframe,
                fmt_iso(&c.start),
                c.open,
                c.high,
                c.low,
                c.close,
                ev.signal
            ),
            data,
        )?;
        Ok(PendingSignal {
            signal: ev.signal,
            origin: ev.origin,
            candle_start: c.start,
            stop_points: ev.stop_points,
        })
    }

    async fn act_on_signal(
        &mut self,
        i: usize,
        p: &PendingSignal,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let signal = p.signal;
        let origin_s = match p.origin {
            SignalOrigin::Fresh => "cross",
            SignalOrigin::ReEntry => "re-entry",
        };
        self.event(
            tick.ts,
            Some(seg),
            "signal",
            format!("{signal} ({origin_s}) from candle {}", fmt_iso(&p.candle_start)),
            json!({"signal": signal.code(), "origin": origin_s, "candle_start": fmt_iso(&p.candle_start), "index": tick.price}),
        )?;
        let held = self.agents[i]
            .position
            .as_ref()
            .map(|p| (p.direction, p.exit.is_some()));
        let ignore = |this: &mut Self, reason: &str| {
            this.skipped += 1;
            this.event(
                tick.ts,
                Some(seg),
                "signal_ignored",
                format!("{signal} ignored: {reason}"),
                json!({"signal": signal.code(), "reason": reason}),
            )
        };
        let Some(direction) = signal.direction() else {
            return match (signal, held) {
                (Signal::Exit, Some((_, false))) => {
                    self.exit_position(i, *tick, ExitReason::Signal).await
                }
                (Signal::Exit, _) => ignore(self, "flat"),
                _ => Ok(()),
            };
        };
        match held {
            None => self.try_enter(i, p, direction, tick).await,
            Some((d, false)) if d != direction && self.config.exits.exit_on_opposite_signal => {
                self.exit_position(i, *tick, ExitReason::Signal).await?;
                if self.agents[i].position.is_none() {
                    self.try_enter(i, p, direction, tick).await
                } else {
                    ignore(self, "exit_in_progress")
                }
            }
            Some(_) => ignore(self, "in_position"),
        }
    }

    fn risk_state(&mut self) -> RiskState {
        let now = self.clock.now();
        while self
            .sent
            .front()
            .is_some_and(|t| now - *t >= TimeDelta::seconds(1))
        {
            self.sent.pop_front();
        }
        let segments = self
            .agents
            .iter()
            .map(|a| {
                (
                    a.segment,
                    SegmentRiskState {
                        open_positions: a.position.is_some() as u32,
                        trades_today: a.trades_today,
                        realized_pnl: a.realized_pnl,
                        open_pnl: a
                            .position
                            .as_ref()
                            .map_or(Decimal::ZERO, Position::open_pnl),
                        consecutive_losses: a.consecutive_losses,
                        last_loss_at: a.last_loss_at,
                        last_entry_at: a.last_entry_at,
                    },
                )
            })
            .collect();
        RiskState {
            segments,
            realized_pnl: self.agents.iter().map(|a| a.realized_pnl).sum(),
            open_pnl: self.open_pnl(),
            halted: self.halted,
            paused: self.paused,
            broker_unhealthy: self.broker_unhealthy,
            last_tick_at: self.last_tick_at,
            orders_last_second: self.sent.len() as u32,
        }
    }

    /// Mark-to-market P&L of the open positions at their last marks, ₹ (before charges).
    fn open_pnl(&self) -> Decimal {
        self.agents
            .iter()
            .flat_map(SegmentAgent::positions)
            .map(Position::open_pnl)
            .sum()
    }

    /// Journal a risk decision that is not an approval; halts set the session halted (and
    /// close everything with `close_on_halt`).
    async fn on_decision(
        &mut self,
        seg: Segment,
        d: &Decision,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        match d {
            Decision::Approve => Ok(()),
            Decision::Reduce { quantity, rule, reason } => {
                self.event(tick.ts, Some(seg), "risk", format!("reduce to {quantity}: {rule}: {reason}"),
                    json!({"decision": "REDUCE", "rule": rule.code(), "reason": reason, "quantity": quantity}))
            }
            Decision::Block { rule, reason } => {
                self.event(tick.ts, Some(seg), "risk", format!("block: {rule}: {reason}"),
                    json!({"decision": "BLOCK", "rule": rule.code(), "reason": reason}))
            }
            Decision::HaltSession { rule, reason } => self.halt(*rule, reason, tick).await,
        }
    }

    async fn halt(&mut self, rule: Rule, reason: &str, tick: &Tick) -> Result<(), EngineError> {
        if self.halted {
            return Ok(());
        }
        self.halted = true;
        let close = self.config.risk.close_on_halt;
        self.event(tick.ts, None, "risk", format!("HALT session: {rule}: {reason}"),
            json!({"decision": "HALT", "rule": rule.code(), "reason": reason, "close_on_halt": close}))?;
        if close {
            for j in 0..self.agents.len() {
                let open = self.agents[j]
                    .position
                    .as_ref()
                    .is_some_and(Position::is_live);
                let at = if Some(self.agents[j].segment) == Segment::from_index_token(tick.token) {
                    Some(*tick)
                } else {
                    self.agents[j].last_tick
                };
                if let (true, Some(t)) = (open, at) {
                    self.exit_position(j, t, ExitReason::Risk).await?;
                }
            }
        }
        Ok(())
    }

    async fn check_halt(&mut self, tick: &Tick) -> Result<(), EngineError> {
        if self.halted {
            return Ok(());
        }
        // Only the day's P&L matters here: no need for the full state on every tick.
        let state = RiskState {
            realized_pnl: self.agents.iter().map(|a| a.realized_pnl).sum(),
            open_pnl: self.open_pnl(),
            ..RiskState::default()
        };
        if let Some(Decision::HaltSession { rule, reason }) = self.risk.check_halt(&state) {
            self.halt(rule, &reason, tick).await?;
        }
        Ok(())
    }

    /// Loss per unit if the stop is hit, ₹: the premium now minus the premium at the stop
    /// level (model or market marks); for an option-basis stop, premium × stop %.
    fn risk_per_unit(
        &mut self,
        contract: &domain::OptionContract,
        direction: Direction,
        stops: &UnderlyingStops,
        tick: &Tick,
    ) -> Option<Decimal> {
        let (now, _) = self.marks.mark(contract, tick.price, tick.ts)?;
        if self.config.exits.stop_basis == StopBasis::Option {
            return Some(now * self.config.exits.stop_loss_pct / dec!(100));
        }
        let at_stop = match direction {
            Direction::Long => tick.price - stops.sl_points,
            Direction::Short => tick.price + stops.sl_points,
        };
        let (then, _) = self.marks.mark(contract, at_stop, tick.ts)?;
        let d = now - then;
        // Market marks ignore the index level: fall back to |delta| ≈ 0.5.
        Some(if d > Decimal::ZERO {
            d
        } else {
            stops.sl_points * dec!(0.5)
        })
    }

    async fn try_enter(
        &mut self,
        i: usize,
        p: &PendingSignal,
        direction: Direction,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let signal = p.signal;
        let skip = |this: &mut Self, reason: &str, rule: &str, detail: String| {
            this.skipped += 1;
            this.event(
                tick.ts,
                Some(seg),
                "entry_skipped",
                format!("{signal} skipped: {detail}"),
                json!({"signal": signal.code(), "reason": reason, "rule": rule, "detail": detail}),
            )
        };
        if tick.ts.time() >= self.config.engine.square_off_time {
            let t = self.config.engine.square_off_time;
            return skip(
                self,
                "after_square_off",
                "square_off_time",
                format!("at or after square-off {t}"),
            );
        }
        let params = self.agents[i].params.clone();
        let contract = match select_contract(
            self.contracts.as_ref(),
            seg,
            direction,
            tick.price,
            self.date,
            &params.selection,
        ) {
            Ok(c) => c,
            Err(e) => return skip(self, "contract", "option_selection", e.to_string()),
        };
        let stops = match p.stop_points {
            Some(sp) => UnderlyingStops {
                sl_points: sp,
                trailing_stop_points: sp,
            },
            None => params.stops,
        };
        let quantity = params.initial_lots * contract.lot_size;
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Entry,
            time: tick.ts,
            quantity,
            lot_size: contract.lot_size,
            risk_per_unit: self.risk_per_unit(&contract, direction, &stops, tick),
        };
        let state = self.risk_state();
        let decision = self.risk.evaluate(&intent, &state);
        self.on_decision(seg, &decision, tick).await?;
        let quantity = match decision {
            Decision::Approve => quantity,
            Decision::Reduce { quantity, .. } => quantity,
            Decision::Block { rule, reason } | Decision::HaltSession { rule, reason } => {
                return skip(self, "risk", rule.code(), reason);
            }
        };
        let tracker = StopTracker::new(direction, tick.price, stops);
        self.agents[i].position = Some(Position {
            direction,
            signal,
            origin: p.origin,
            contract: contract.clone(),
            entry_spot: tick.price,
            entry_time: tick.ts,
            entry_seq: self.tick_seq,
            stops: tracker,
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
        });
        self.agents[i].state = AgentState::InPosition;
        self.agents[i].trades_today += 1;
        if let Some(token) = contract.instrument_token
            && self.subscribed.insert(token)
        {
            self.subscriptions.push(token);
        }
        self.agents[i].last_entry_at = Some(tick.ts);
        let (s, t) = (tracker.initial_stop(), tracker.trailing_stop());
        self.event(
            tick.ts,
            Some(seg),
            "entry",
            format!("{signal} {} qty {quantity} at index {} (SL {s}, TSL {t})", contract.tradingsymbol, tick.price),
            json!({"signal": signal.code(), "tradingsymbol": contract.tradingsymbol, "quantity": quantity,
                   "index": tick.price, "sl": s, "tsl": t, "strike": contract.strike, "expiry": contract.expiry}),
        )?;
        let seq = self.tick_seq;
        self.send_split(
            i,
            seq,
            &contract,
            Side::Buy,
            quantity,
            OrderPurpose::Entry,
            tick.ts,
        )
        .await
    }

    /// Create and send orders for `quantity` of agent `i`'s position entered at tick `pos`,
    /// split at the segment's freeze limit (spec §7).
    #[allow(clippy::too_many_arguments)]
    async fn send_split(
        &mut self,
        i: usize,
        pos: u64,
        contract: &domain::OptionContract,
        side: Side,
        quantity: u32,
        purpose: OrderPurpose,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        let freeze = self.agents[i].params.freeze_quantity;
        // All legs exist before the first is sent, so a fill of the first never looks like
        // the whole exit/entry.
        let ids = risk::split_quantity(quantity, contract.lot_size, freeze)
            .into_iter()
            .map(|q| self.new_order(i, pos, contract, side, q, purpose, ts))
            .collect::<Result<Vec<_>, _>>()?;
        for id in ids {
            self.send(id).await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn new_order(
        &mut self,
        i: usize,
        pos: u64,
        contract: &domain::OptionContract,
        side: Side,
        quantity: u32,
        purpose: OrderPurpose,
        ts: IstDateTime,
    ) -> Result<OrderId, EngineError> {
        let id = OrderId(self.next_order);
        self.next_order += 1;
        let request = OrderRequest {
            id,
            tag: id.tag(self.date),
            contract: contract.clone(),
            side,
            quantity,
            kind: OrderKind::Market,
            product: self.config.options.product,
            purpose,
            created: ts,
        };
        let state = OrderState::new(request);
        self.journal.order(&OrderRow::from_state(&state))?;
        self.orders.insert(
            id,
            TrackedOrder {
                agent: i,
                state,
                charged_brokerage: false,
            },
        );
        if let Some(p) = self.agents[i].position_by_seq_mut(pos) {
            p.legs.push(Leg {
                order: id,
                side,
                requested: quantity,
                filled: 0,
                average: Decimal::ZERO,
                done: false,
                failed: false,
            });
        }
        Ok(id)
    }

    /// Send a tracked order and process what the broker reports.
    async fn send(&mut self, id: OrderId) -> Result<(), EngineError> {
        let req = self.orders[&id].state.request().clone();
        self.sent.push_back(req.created);
        match self.broker.place_order(&req).await {
            Ok(broker_id) => {
                if let Some(o) = self.orders.get_mut(&id) {
                    let _ = o.state.apply_event(&OrderEvent::Placed {
                        broker_order_id: broker_id,
                    });
                }
            }
            Err(BrokerError::Unknown(msg)) => {
                // Not a rejection: the order stays PENDING_SUBMIT until the tag lookup settles it.
                self.event(
                    req.created,
                    Some(req.contract.segment),
                    "order_error",
                    format!(
                        "order {id} outcome unknown ({msg}); settling by tag {}",
                        req.tag
                    ),
                    json!({"order_id": id.0, "tag": req.tag, "error": msg}),
                )?;
            }
            Err(e) => {
                if let BrokerError::SessionInvalid(_) = e {
                    self.broker_unhealthy = true;
                    self.event(
                        req.created,
                        None,
                        "critical",
                        format!("broker session invalid: {e}; entries blocked"),
                        json!({"error": e.to_string()}),
                    )?;
                }
                self.on_order_failed(id, &e.to_string(), req.created)
                    .await?;
            }
        }
        self.pump().await
    }

    /// Orders whose placement outcome is unknown: look them up by tag (spec §10.2).
    async fn settle_unknown_orders(&mut self) -> Result<(), EngineError> {
        let pending: Vec<(OrderId, String)> = self
            .orders
            .iter()
            .filter(|(_, o)| {
                o.state.status() == OrderStatus::PendingSubmit
                    && o.state.broker_order_id().is_none()
            })
            .map(|(id, o)| (*id, o.state.request().tag.clone()))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        for (id, tag) in pending {
            match self.broker.find_by_tag(&tag).await {
                Ok(Some(bid)) => {
                    if let Some(o) = self.orders.get_mut(&id) {
                        let _ = o.state.apply_event(&OrderEvent::Placed {
                            broker_order_id: bid,
                        });
                    }
                }
                Ok(None) => {
                    let now = self.clock.now();
                    let created = self.orders[&id].state.request().created;
                    if now - created >= TimeDelta::seconds(UNKNOWN_ORDER_GRACE_SECS) {
                        let msg = format!(
                            "not found at the broker by tag {tag} {UNKNOWN_ORDER_GRACE_SECS}s after placement"
                        );
                        self.on_order_failed(id, &msg, now).await?;
                    }
                }
                Err(_) => {} // try again at the next event
            }
        }
        self.pump().await
    }

    /// A placement definitively failed: the order is REJECTED locally.
    async fn on_order_failed(
        &mut self,
        id: OrderId,
        msg: &str,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        let Some(o) = self.orders.get_mut(&id) else {
            return Ok(());
        };
        let u = domain::OrderUpdate {
            id,
            broker_order_id: o.state.broker_order_id().map(String::from),
            status: OrderStatus::Rejected,
            filled_quantity: o.state.filled_quantity(),
            average_price: o.state.average_price(),
            message: Some(msg.to_string()),
            ts,
        };
        if o.state.apply(&u).is_ok() {
            let row = OrderRow::from_state(&o.state);
            self.journal.order(&row)?;
        }
        self.on_terminal(id).await
    }

    /// Drain broker events: order updates through the state machine, fills with charges.
    async fn pump(&mut self) -> Result<(), EngineError> {
        let events = match self.broker.poll_events().await {
            Ok(e) => e,
            Err(e) => {
                let now = self.clock.now();
                return self.event(
                    now,
                    None,
                    "broker_error",
                    format!("poll failed: {e}"),
                    json!({"error": e.to_string()}),
                );
            }
        };
        for ev in events {
            match ev {
                BrokerEvent::Order(u) => {
                    let Some(o) = self.orders.get_mut(&u.id) else {
                        let now = self.clock.now();
                        self.event(
                            now,
                            None,
                            "order_error",
                            format!("update for unknown order {}", u.id),
                            json!({"order_id": u.id.0}),
                        )?;
                        continue;
                    };
                    match o.state.apply(&u) {
                        Ok(()) => {
                            let row = OrderRow::from_state(&o.state);
                            let (agent, status) = (o.agent, o.state.status());
                            let (filled, avg) =
                                (o.state.filled_quantity(), o.state.average_price());
                            self.journal.order(&row)?;
                            if let Some(l) = self.agents[agent]
                                .position_with_order_mut(u.id)
                                .and_then(|p| p.leg_mut(u.id))
                            {
                                l.filled = filled;
                                l.average = avg.unwrap_or(l.average);
                                l.done = status.is_terminal();
                                l.failed = matches!(
                                    status,
                                    OrderStatus::Cancelled | OrderStatus::Rejected
                                );
                            }
                            if status.is_terminal() {
                                self.on_terminal(u.id).await?;
                            }
                        }
                        Err(e) => {
                            let now = self.clock.now();
                            self.event(
                                now,
                                None,
                                "order_error",
                                e.to_string(),
                                json!({"order_id": u.id.0}),
                            )?;
                        }
                    }
                }
                BrokerEvent::Fill(f) => {
                    let Some(o) = self.orders.get_mut(&f.order_id) else {
                        let now = self.clock.now();
                        self.event(
                            now,
                            None,
                            "order_error",
                            format!("fill {} for unknown order {}", f.fill_id, f.order_id),
                            json!({"order_id": f.order_id.0, "fill_id": f.fill_id}),
                        )?;
                        continue;
                    };
                    // The fill is booked (charges, journal) only once the machine took it.
                    match o.state.apply_event(&OrderEvent::Fill(f.clone())) {
                        Ok(Applied::Changed) => {}
                        Ok(Applied::DuplicateFill) => continue,
                        Err(e) => {
                            let now = self.clock.now();
                            self.event(
                                now,
                                None,
                                "order_error",
                                e.to_string(),
                                json!({"order_id": f.order_id.0, "fill_id": f.fill_id}),
                            )?;
                            continue;
                        }
                    }
                    let contract = o.state.request().contract.clone();
                    let first = !o.charged_brokerage;
                    o.charged_brokerage = true;
                    let agent = o.agent;
                    let turnover = f.price * Decimal::from(f.quantity);
                    // Brokerage is per executed order: only the order's first fill pays it.
                    let c = if first {
                        self.charges.charges_for_fill(
                            self.date,
                            contract.exchange,
                            f.side,
                            turnover,
                        )
                    } else {
                        self.charges.charges_for_later_fill(
                            self.date,
                            contract.exchange,
                            f.side,
                            turnover,
                        )
                    };
                    self.journal.fill(&FillRow::new(&f, contract.segment, &c))?;
                    if let Some(p) = self.agents[agent].position_with_order_mut(f.order_id) {
                        p.charges += c.total;
                        if f.premium_source != PremiumSource::Market {
                            p.all_market = false;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// An order reached COMPLETE, CANCELLED or REJECTED.
    async fn on_terminal(&mut self, id: OrderId) -> Result<(), EngineError> {
        let Some(o) = self.orders.get(&id) else {
            return Ok(());
        };
        let (i, status, purpose, ts) = (
            o.agent,
            o.state.status(),
            o.state.request().purpose,
            o.state.updated(),
        );
        let msg = o.state.message().unwrap_or_default().to_string();
        let seg = self.agents[i].segment;
        let Some(p) = self.agents[i].position_with_order_mut(id) else {
            return Ok(());
        };
        if let Some(l) = p.leg_mut(id) {
            l.done = true;
            l.failed = status != OrderStatus::Complete;
        }
        let seq = p.entry_seq;
        let closing = p.exit.is_some();
        match purpose {
            OrderPurpose::Exit => {
                if p.sell_in_flight() {
                    return Ok(());
                }
                if p.sold() >= p.bought() && !p.buy_in_flight() {
                    return self.close_trade(i, seq);
                }
                if status == OrderStatus::Complete {
                    // The exit covered what was held when it was sent; the rest follows when
                    // the working entry/add completes.
                    return Ok(());
                }
                // A failed or partial exit: send the rest again at the next tick.
                p.exit_retry = true;
                p.exit_failures += 1;
                let failures = p.exit_failures;
                self.event(
                    ts,
                    Some(seg),
                    "order_error",
                    format!("exit order {id} {status}: {msg}; retrying ({failures} failures)"),
                    json!({"order_id": id.0, "status": status.code(), "failures": failures}),
                )?;
                if failures >= EXIT_FAILURES_BEFORE_HALT && !self.halted {
                    self.halted = true;
                    self.event(
                        ts,
                        Some(seg),
                        "critical",
                        format!(
                            "exit failed {failures} times: session halted, still retrying the exit"
                        ),
                        json!({"failures": failures}),
                    )?;
                }
            }
            OrderPurpose::Entry | OrderPurpose::PyramidAdd => {
                if closing && !p.buy_in_flight() {
                    // The exit was decided while this order worked: cover what it bought (sent
                    // by `retry_exits` as soon as this update has been processed).
                    if p.unexited() > 0 {
                        p.exit_retry = true;
                        return Ok(());
                    }
                    if !p.sell_in_flight() && p.bought() == 0 {
                        self.agents[i].closing.retain(|p| p.entry_seq != seq);
                        return self.event(
                            ts,
                            Some(seg),
                            "entry_failed",
                            format!("order {id} {status}: {msg}; nothing was bought, no trade"),
                            json!({"order_id": id.0, "status": status.code(), "message": msg}),
                        );
                    }
                    if !p.sell_in_flight() && p.sold() >= p.bought() {
                        return self.close_trade(i, seq);
                    }
                }
                if status == OrderStatus::Complete {
                    return Ok(());
                }
                let kind = if purpose == OrderPurpose::Entry {
                    "entry_failed"
                } else {
                    "pyramid_failed"
                };
                let nothing_held = p.bought() == 0 && !p.buy_in_flight();
                if nothing_held && !closing {
                    self.agents[i].position = None;
                    self.agents[i].state = AgentState::WaitingForSignal;
                }
                self.event(
                    ts,
                    Some(seg),
                    kind,
                    format!(
                        "order {id} {status}: {msg}{}",
                        if nothing_held && !closing {
                            "; back to waiting"
                        } else {
                            ""
                        }
                    ),
                    json!({"order_id": id.0, "status": status.code(), "message": msg}),
                )?;
            }
        }
        Ok(())
    }

    /// Send again the exits that failed or filled partly (spec §10.2: keep retrying).
    async fn retry_exits(&mut self, i: usize, ts: IstDateTime) -> Result<(), EngineError> {
        let due: Vec<(u64, u32, domain::OptionContract)> = self.agents[i]
            .closing
            .iter_mut()
            .filter(|p| p.exit_retry && !p.sell_in_flight())
            .map(|p| {
                p.exit_retry = false;
                (p.entry_seq, p.unexited(), p.contract.clone())
            })
            .collect();
        for (seq, qty, contract) in due {
            if qty > 0 {
                self.send_split(i, seq, &contract, Side::Sell, qty, OrderPurpose::Exit, ts)
                    .await?;
            }
        }
        Ok(())
    }

    /// Exits of spec §4.4 in priority order: stop loss, trailing stop, target, (strategy EXIT
    /// at candle completion), max holding time, EOD; plus manual close and retries.
    async fn check_exits(&mut self, i: usize, tick: &Tick) -> Result<(), EngineError> {
        let square_off = self.config.engine.square_off_time;
        let ex = self.config.exits;
        let seq = self.tick_seq;
        let manual = std::mem::take(&mut self.agents[i].close_requested);
        let Some(p) = self.agents[i].position.as_ref() else {
            return Ok(());
        };
        // Index-level exits do not wait for the entry's fill: a live fill that arrives a few
        // ticks late must not move the trade (replay/live parity, spec §10.4).
        if !p.is_live() {
            return Ok(());
        }
        if manual {
            return self.exit_position(i, *tick, ExitReason::Manual).await;
        }
        if p.entry_seq >= seq {
            return Ok(());
        }
        let filled = p.bought() > 0;
        let mark =
            if filled && (ex.stop_basis == StopBasis::Option || ex.profit_target_pct.is_some()) {
                let c = p.contract.clone();
                self.marks.mark(&c, tick.price, tick.ts).map(|m| m.0)
            } else {
                None
            };
        let p = self.agents[i].position.as_ref().expect("checked above");
        let entry_premium = p.average_entry();
        let stop = match ex.stop_basis {
            StopBasis::Underlying => p.stops.check(tick.price),
            StopBasis::Option => mark
                .filter(|m| *m <= entry_premium * (Decimal::ONE - ex.stop_loss_pct / dec!(100)))
                .map(|_| ExitReason::StopLoss),
        };
        let target = || {
            let index_hit = ex.target_points.is_some_and(|t| match p.direction {
                Direction::Long => tick.price >= p.entry_spot + t,
                Direction::Short => tick.price <= p.entry_spot - t,
            });
            let premium_hit = ex.profit_target_pct.is_some_and(|pct| {
                mark.is_some_and(|m| m >= entry_premium * (Decimal::ONE + pct / dec!(100)))
            });
            (index_hit || premium_hit).then_some(ExitReason::Target)
        };
        let max_hold = || {
            ex.max_holding_minutes
                .filter(|m| tick.ts - p.entry_time >= TimeDelta::minutes(*m as i64))
                .map(|_| ExitReason::MaxHold)
        };
        let reason = stop
            .or_else(target)
            .or_else(max_hold)
            .or_else(|| (tick.ts.time() >= square_off).then_some(ExitReason::Eod));
        match reason {
            Some(r) => self.exit_position(i, *tick, r).await,
            None => Ok(()),
        }
    }

    /// Close agent `i`'s open position at `tick` for `reason` (exits are never blocked): the
    /// decision fixes the trade's exit time, index price and reason, the strategy learns of it
    /// at once (re-entry, spec §3.1 rule 10) and the agent is flat for signals; the position
    /// waits in [`SegmentAgent::closing`] until its orders finish (an entry still working is
    /// covered when it fills).
    async fn exit_position(
        &mut self,
        i: usize,
        tick: Tick,
        reason: ExitReason,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let Some(mut p) = self.agents[i].position.take() else {
            return Ok(());
        };
        let qty = p.unexited();
        let contract = p.contract.clone();
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Exit,
            time: tick.ts,
            quantity: qty.max(contract.lot_size),
            lot_size: contract.lot_size,
            risk_per_unit: None,
        };
        let state = self.risk_state();
        debug_assert_eq!(self.risk.evaluate(&intent, &state), Decision::Approve);
        p.exit = Some(PendingExit { reason, tick });
        p.exit_retry = false;
        let (seq, direction, waiting) = (p.entry_seq, p.direction, p.buy_in_flight());
        let a = &mut self.agents[i];
        a.strategy.on_position_closed(direction, reason);
        a.state = AgentState::WaitingForSignal;
        a.closing.push(p);
        let when = if waiting {
            " (the working entry is covered when it fills)"
        } else {
            ""
        };
        self.event(
            tick.ts,
            Some(seg),
            "exit",
            format!("{reason} exit {} qty {qty} at index {}{when}", contract.tradingsymbol, tick.price),
            json!({"reason": reason.code(), "tradingsymbol": contract.tradingsymbol, "quantity": qty,
                   "index": tick.price, "awaiting_entry_fill": waiting}),
        )?;
        if qty == 0 {
            return Ok(());
        }
        self.send_split(
            i,
            seq,
            &contract,
            Side::Sell,
            qty,
            OrderPurpose::Exit,
            tick.ts,
        )
        .await
    }

    /// The closing position entered at tick `seq` is flat: journal its trade.
    fn close_trade(&mut self, i: usize, seq: u64) -> Result<(), EngineError> {
        let a = &mut self.agents[i];
        let Some(k) = a.closing.iter().position(|p| p.entry_seq == seq) else {
            return Ok(());
        };
        let p = a.closing.remove(k);
        let Some(exit) = p.exit else {
            return Ok(());
        };
        a.closed_trades += 1;
        let seg = a.segment;
        let qty = p.bought();
        let lots = qty / p.contract.lot_size.max(1);
        let entry = p.average_entry().round_dp(2);
        let exit_px = p.average_exit().round_dp(2);
        let pnl_points = exit_px - entry;
        let pnl_value = (pnl_points * Decimal::from(qty)).round_dp(2);
        let charges = p.charges.round_dp(2);
        let cost = entry * Decimal::from(qty);
        let return_pct = if cost > Decimal::ZERO {
            (pnl_value * Decimal::from(100) / cost).round_dp(2)
        } else {
            Decimal::ZERO
        };
        let stops = p.stops;
        let trade = Trade {
            trade_id: format!("{}-{}-{}", seg.code(), self.date, a.closed_trades),
            mode: self.mode.code().to_string(),
            segment: seg,
            index_symbol: seg.index_symbol().to_string(),
            index_entry_spot: p.entry_spot,
            time_interval: a.strategy.timeframe().to_string(),
            rsi_period: a.strategy.rsi_period(),
            signal_type: p.signal,
            option_symbol: p.contract.tradingsymbol.clone(),
            option_type: p.contract.option_type,
            strike_price: p.contract.strike,
            expiry: p.contract.expiry,
            lots,
            quantity: qty,
            entry_time: p.entry_time,
            entry_price: entry,
            stop_loss_points: (p.entry_spot - stops.initial_stop()).abs(),
            initial_sl_price: stops.initial_stop(),
            trailing_stop_points: a.params.stops.trailing_stop_points,
            exit_time: exit.tick.ts,
            index_exit_spot: exit.tick.price,
            exit_price: exit_px,
            exit_reason: exit.reason,
            pnl_points,
            pnl_value,
            charges,
            net_pnl: pnl_value - charges,
            return_pct,
            max_favorable_excursion: p.mfe.round_dp(2),
            max_adverse_excursion: p.mae.round_dp(2),
            premium_source: if p.all_market {
                PremiumSource::Market
            } else {
                PremiumSource::Model
            },
        };
        a.realized_pnl += trade.net_pnl;
        if trade.net_pnl <= Decimal::ZERO {
            a.consecutive_losses += 1;
            a.last_loss_at = Some(exit.tick.ts);
        } else {
            a.consecutive_losses = 0;
        }
        self.journal.trade(&trade)?;
        self.trades.push(trade);
        self.announce_locks(exit.tick.ts)
    }

    /// Journal every lock that has come into force (each once a day).
    fn announce_locks(&mut self, now: IstDateTime) -> Result<(), EngineError> {
        let state = self.risk_state();
        for lock in self.risk.locks(&state, now) {
            if self.announced_locks.insert((lock.segment, lock.rule)) {
                let until = lock.until.map_or("end of day".to_string(), |u| fmt_iso(&u));
                self.event(
                    now,
                    lock.segment,
                    "lock",
                    format!(
                        "entries locked: {}: {} (until {until})",
                        lock.rule, lock.reason
                    ),
                    serde_json::to_value(&lock).unwrap_or_default(),
                )?;
            }
        }
        Ok(())
    }

    async fn track_position(&mut self, i: usize, tick: &Tick) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let Some(p) = self.agents[i].position.as_mut() else {
            return Ok(());
        };
        if p.exit.is_some() {
            return Ok(());
        }
        let moved = p.stops.trail_with(tick.price);
        if p.open_quantity() > 0
            && let Some((mark, _)) = self.marks.mark(&p.contract, tick.price, tick.ts)
        {
            let d = mark - p.average_entry();
            p.mfe = p.mfe.max(d);
            p.mae = p.mae.min(d);
            p.last_mark = Some(mark);
        }
        if let Some(level) = moved
            && self.config.exits.stop_basis == StopBasis::Underlying
        {
            let eff = p.stops.effective_stop();
            self.event(
                tick.ts,
                Some(seg),
                "stop_update",
                format!("TSL → {level} (effective stop {eff})"),
                json!({"tsl": level, "effective": eff, "index": tick.price}),
            )?;
        }
        self.maybe_pyramid(i, tick).await
    }

    /// Spec §6: add `lot_addition` lots when open profit ≥ quantity × `pyramid_points`.
    async fn maybe_pyramid(&mut self, i: usize, tick: &Tick) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let Some(params) = self.agents[i].params.pyramid else {
            return Ok(());
        };
        let Some(p) = self.agents[i].position.as_ref() else {
            return Ok(());
        };
        if p.exit.is_some() || p.buy_in_flight() || p.sell_in_flight() || p.last_mark.is_none() {
            return Ok(());
        }
        let (held, lot) = (p.open_quantity(), p.contract.lot_size);
        let profit = p.open_pnl();
        let Some(add) = pyramid_add(held, lot, profit, &params) else {
            return Ok(());
        };
        let contract = p.contract.clone();
        let direction = p.direction;
        let stops = self.agents[i].params.stops;
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Add,
            time: tick.ts,
            quantity: add,
            lot_size: lot,
            risk_per_unit: self.risk_per_unit(&contract, direction, &stops, tick),
        };
        let state = self.risk_state();
        let decision = self.risk.evaluate(&intent, &state);
        let add = match &decision {
            Decision::Approve => add,
            Decision::Reduce { quantity, .. } => *quantity,
            _ => {
                // Journal a block once per position, not on every tick.
                let p = self.agents[i].position.as_mut().expect("checked");
                if std::mem::replace(&mut p.add_block_logged, true) {
                    return Ok(());
                }
                return self.on_decision(seg, &decision, tick).await;
            }
        };
        self.on_decision(seg, &decision, tick).await?;
        let p = self.agents[i].position.as_mut().expect("checked");
        p.adds += 1;
        let eff = p.stops.effective_stop();
        let seq = p.entry_seq;
        self.event(
            tick.ts,
            Some(seg),
            "pyramid_add",
            format!("pyramid add {add} units of {} (held {held}, open profit ₹{}, threshold ₹{}); stop {eff} covers {} units",
                contract.tradingsymbol, profit.round_dp(2), Decimal::from(held) * params.pyramid_points, held + add),
            json!({"add": add, "held": held, "open_profit": profit.round_dp(2),
                   "threshold": Decimal::from(held) * params.pyramid_points, "new_quantity": held + add,
                   "stop": eff}),
        )?;
        self.send_split(
            i,
            seq,
            &contract,
            Side::Buy,
            add,
            OrderPurpose::PyramidAdd,
            tick.ts,
        )
        .await
    }

    /// End of the session (spec §3.1 rules 3 and 8): open positions close at their last tick
    /// (reason EOD); the last candle completes by the clock at 15:30 and its signal is not
    /// executed; the summary is written.
    pub async fn end_session(&mut self, ts: IstDateTime) -> Result<DayReport, EngineError> {
        if !self.ended {
            self.ended = true;
            let close = ist(self.date, session_close()).max(ts);
            self.clock.advance(close);
            for i in 0..self.agents.len() {
                let open = self.agents[i]
                    .position
                    .as_ref()
                    .is_some_and(Position::is_live);
                if let (true, Some(t)) = (open, self.agents[i].last_tick) {
                    self.exit_position(i, t, ExitReason::Eod).await?;
                }
            }
            self.settle_outstanding(close).await?;
            for i in 0..self.agents.len() {
                if let Some(c) = self.agents[i].candles.complete_until(&close) {
                    let p = self.on_candle(i, &c)?;
                    if p.signal != Signal::Hold {
                        self.skipped += 1;
                        let seg = self.agents[i].segment;
                        self.event(
                            close,
                            Some(seg),
                            "entry_skipped",
                            format!(
                                "{} from the session's last candle: no tick left to execute it",
                                p.signal
                            ),
                            json!({"signal": p.signal.code(), "reason": "session_end"}),
                        )?;
                    }
                }
                self.agents[i].state = AgentState::Idle;
            }
            let summary = self.summary();
            self.journal.summary(&summary)?;
            self.event(
                close,
                None,
                "session",
                format!(
                    "day ended: {} trades, net ₹{}",
                    summary.total.trades, summary.total.net_pnl
                ),
                json!({"trades": summary.total.trades, "net_pnl": summary.total.net_pnl}),
            )?;
        }
        Ok(DayReport {
            trades: self.trades.clone(),
            summary: self.summary(),
        })
    }

    fn summary(&self) -> DaySummary {
        let segs: Vec<Segment> = self.agents.iter().map(|a| a.segment).collect();
        DaySummary::from_trades(
            self.date,
            self.mode.code(),
            self.config.strategy_name(),
            &segs,
            &self.trades,
            self.skipped,
        )
    }
}
