//! The event loop (spec §3, §3.1): ticks in, candles, signals, risk, orders, fills,
//! positions and journal rows out — the same code in replay, paper and live.

use crate::agent::{AgentState, Leg, PendingExit, PendingSignal, Position, SegmentAgent};
use crate::candles::session_candles;
use crate::clock::EventClock;
use crate::config::{Config, Mode};
use chrono::NaiveDate;
use domain::calendar::MarketCalendar;
use domain::charges::ChargesSchedule;
use domain::order::OrderPurpose;
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
use risk::{Decision, IntentKind, OrderIntent, RiskEngine, RiskState, SegmentRiskState};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use strategy::SignalOrigin;
use strategy::exits::StopTracker;
use strategy::option_selection::select_contract;

/// Failed exit placements before the session is halted with a critical alert (spec §10.2);
/// the engine keeps retrying the exit after that.
pub const EXIT_FAILURES_BEFORE_HALT: u32 = 3;

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
    tick_seq: u64,
    trades: Vec<Trade>,
    realized: Decimal,
    halted: bool,
    skipped: u32,
    ended: bool,
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
            tick_seq: 0,
            trades: Vec::new(),
            realized: Decimal::ZERO,
            halted: false,
            skipped: 0,
            ended: false,
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

    fn event(
        &mut self,
        ts: IstDateTime,
        segment: Option<Segment>,
        kind: &'static str,
        message: String,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
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

    /// Run until the feed ends or reports the end of the session; then close the day.
    pub async fn run(&mut self, feed: &mut dyn MarketData) -> Result<DayReport, EngineError> {
        while let Some(ev) = feed.next_event().await {
            match ev {
                MarketEvent::Tick(t) => self.on_tick(t).await?,
                MarketEvent::Timer(now) => self.on_timer(now).await?,
                MarketEvent::Feed(status, ts) => {
                    self.event(
                        ts,
                        None,
                        "feed",
                        format!("feed {status:?}"),
                        json!({"status": format!("{status:?}")}),
                    )?;
                }
                MarketEvent::EndOfSession(ts) => {
                    return self.end_session(ts).await;
                }
            }
        }
        let now = self.clock.now();
        self.end_session(now).await
    }

    fn agent_index(&self, seg: Segment) -> Option<usize> {
        self.agents.iter().position(|a| a.segment == seg)
    }

    /// Process one tick (spec §3.1 rule 6): (a) exits of positions opened earlier, against the
    /// levels before this tick; (b) candle completion, signals, entry at this tick; (c) the
    /// tick joins its candle; (d) trailing stops and excursions move with it.
    pub async fn on_tick(&mut self, tick: Tick) -> Result<(), EngineError> {
        self.clock.advance(tick.ts);
        self.tick_seq += 1;
        self.broker.observe(&tick);
        self.marks.observe(&tick);
        self.settle_unknown_orders().await?;
        let Some(seg) = Segment::from_index_token(tick.token) else {
            return Ok(());
        };
        let Some(i) = self.agent_index(seg) else {
            return Ok(());
        };
        self.agents[i].last_tick = Some(tick);

        // (a) exits
        self.check_exits(i, &tick).await?;

        // (b) candles completed by this tick, and any signal left by the clock
        if let Some(p) = self.agents[i].pending.take() {
            self.act_on_signal(i, p.signal, p.origin, p.candle_start, &tick)
                .await?;
        }
        if let Some(c) = self.agents[i].candles.complete_until(&tick.ts) {
            let (signal, origin) = self.on_candle(i, &c)?;
            if signal != Signal::Hold {
                self.act_on_signal(i, signal, origin, c.start, &tick)
                    .await?;
            }
        }

        // (c) the tick joins its candle
        self.agents[i].candles.push(&tick);

        // (d) trail and excursions
        self.track_position(i, &tick)?;
        Ok(())
    }

    /// Time passed without ticks: complete candles by the clock; their signals wait for the
    /// next tick (spec §3, §3.1 rule 3).
    pub async fn on_timer(&mut self, now: IstDateTime) -> Result<(), EngineError> {
        self.clock.advance(now);
        self.settle_unknown_orders().await?;
        for i in 0..self.agents.len() {
            if let Some(c) = self.agents[i].candles.complete_until(&now) {
                let (signal, origin) = self.on_candle(i, &c)?;
                if signal != Signal::Hold {
                    self.agents[i].pending = Some(PendingSignal {
                        signal,
                        origin,
                        candle_start: c.start,
                    });
                }
            }
        }
        Ok(())
    }

    fn on_candle(&mut self, i: usize, c: &Candle) -> Result<(Signal, SignalOrigin), EngineError> {
        let ev = self.agents[i].strategy.on_candle(c);
        let seg = self.agents[i].segment;
        let mut data = json!({
            "candle_start": fmt_iso(&c.start),
            "open": c.open, "high": c.high, "low": c.low, "close": c.close,
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
        Ok((ev.signal, ev.origin))
    }

    async fn act_on_signal(
        &mut self,
        i: usize,
        signal: Signal,
        origin: SignalOrigin,
        candle_start: IstDateTime,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let origin_s = match origin {
            SignalOrigin::Fresh => "cross",
            SignalOrigin::ReEntry => "re-entry",
        };
        self.event(
            tick.ts,
            Some(seg),
            "signal",
            format!("{signal} ({origin_s}) from candle {}", fmt_iso(&candle_start)),
            json!({"signal": signal.code(), "origin": origin_s, "candle_start": fmt_iso(&candle_start), "index": tick.price}),
        )?;
        let Some(direction) = signal.direction() else {
            return Ok(());
        };
        if self.agents[i].position.is_some() {
            self.skipped += 1;
            return self.event(
                tick.ts,
                Some(seg),
                "signal_ignored",
                format!("{signal} ignored: in position"),
                json!({"signal": signal.code(), "reason": "in_position"}),
            );
        }
        self.try_enter(i, signal, direction, origin, tick).await
    }

    fn risk_state(&self) -> RiskState {
        let segments = self
            .agents
            .iter()
            .map(|a| {
                (
                    a.segment,
                    SegmentRiskState {
                        open_positions: a.position.is_some() as u32,
                        trades_today: a.trades_today,
                    },
                )
            })
            .collect();
        RiskState {
            segments,
            realized_pnl: self.realized,
            open_pnl: self.open_pnl(),
            halted: self.halted,
        }
    }

    /// Mark-to-market P&L of the open positions at their last marks, ₹ (before charges).
    fn open_pnl(&self) -> Decimal {
        self.agents
            .iter()
            .filter_map(|a| a.position.as_ref())
            .map(Position::open_pnl)
            .sum()
    }

    async fn try_enter(
        &mut self,
        i: usize,
        signal: Signal,
        direction: Direction,
        origin: SignalOrigin,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
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
        let quantity = params.initial_lots * contract.lot_size;
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Entry,
            time: tick.ts,
            quantity,
            lot_size: contract.lot_size,
        };
        let decision = self.risk.evaluate(&intent, &self.risk_state());
        let quantity = match decision {
            Decision::Approve => quantity,
            Decision::Reduce {
                quantity: q,
                rule,
                reason,
            } => {
                self.event(tick.ts, Some(seg), "risk", format!("reduce to {q}: {rule}: {reason}"),
                    json!({"decision": "REDUCE", "rule": rule.code(), "reason": reason, "quantity": q}))?;
                q
            }
            Decision::Block { rule, reason } => {
                self.event(
                    tick.ts,
                    Some(seg),
                    "risk",
                    format!("block: {rule}: {reason}"),
                    json!({"decision": "BLOCK", "rule": rule.code(), "reason": reason}),
                )?;
                return skip(self, "risk", rule.code(), reason);
            }
            Decision::HaltSession { rule, reason } => {
                self.halted = true;
                self.event(
                    tick.ts,
                    Some(seg),
                    "risk",
                    format!("HALT session: {rule}: {reason}"),
                    json!({"decision": "HALT", "rule": rule.code(), "reason": reason}),
                )?;
                return skip(self, "risk", rule.code(), reason);
            }
        };
        let stops = StopTracker::new(direction, tick.price, params.stops);
        let order = self.new_order(
            i,
            &contract,
            Side::Buy,
            quantity,
            OrderPurpose::Entry,
            tick.ts,
        )?;
        self.agents[i].position = Some(Position {
            direction,
            signal,
            origin,
            contract,
            entry_spot: tick.price,
            entry_time: tick.ts,
            entry_seq: self.tick_seq,
            stops,
            legs: vec![Leg {
                order,
                filled: 0,
                average: Decimal::ZERO,
            }],
            exit_legs: Vec::new(),
            charges: Decimal::ZERO,
            all_market: true,
            mfe: Decimal::ZERO,
            mae: Decimal::ZERO,
            exit: None,
            exit_retry: None,
            exit_failures: 0,
            last_mark: None,
        });
        self.agents[i].state = AgentState::InPosition;
        self.agents[i].trades_today += 1;
        let p = self.agents[i].position.as_ref().expect("just set");
        let (sym, s, t) = (
            p.contract.tradingsymbol.clone(),
            p.stops.initial_stop(),
            p.stops.trailing_stop(),
        );
        self.event(
            tick.ts,
            Some(seg),
            "entry",
            format!(
                "{signal} {sym} qty {quantity} at index {} (SL {s}, TSL {t})",
                tick.price
            ),
            json!({"signal": signal.code(), "tradingsymbol": sym, "quantity": quantity,
                   "index": tick.price, "sl": s, "tsl": t, "order_id": order.0}),
        )?;
        self.send(order).await
    }

    fn new_order(
        &mut self,
        i: usize,
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
        Ok(id)
    }

    /// Send a tracked order and process what the broker reports.
    async fn send(&mut self, id: OrderId) -> Result<(), EngineError> {
        let req = self.orders[&id].state.request.clone();
        match self.broker.place_order(&req).await {
            Ok(broker_id) => {
                if let Some(o) = self.orders.get_mut(&id) {
                    o.state.broker_order_id = Some(broker_id);
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
                self.on_order_failed(id, &e.to_string(), req.created)
                    .await?;
                if let BrokerError::SessionInvalid(_) = e {
                    self.halted = true;
                }
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
                o.state.status == OrderStatus::PendingSubmit && o.state.broker_order_id.is_none()
            })
            .map(|(id, o)| (*id, o.state.request.tag.clone()))
            .collect();
        for (id, tag) in pending {
            match self.broker.find_by_tag(&tag).await {
                Ok(Some(bid)) => {
                    if let Some(o) = self.orders.get_mut(&id) {
                        o.state.broker_order_id = Some(bid);
                    }
                }
                Ok(None) => {
                    let now = self.clock.now();
                    self.on_order_failed(id, "not found at the broker by tag", now)
                        .await?;
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
            broker_order_id: o.state.broker_order_id.clone(),
            status: OrderStatus::Rejected,
            filled_quantity: o.state.filled_quantity,
            average_price: o.state.average_price,
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
                            let terminal = o.state.status.is_terminal();
                            let (agent, filled, avg) =
                                (o.agent, o.state.filled_quantity, o.state.average_price);
                            self.journal.order(&row)?;
                            self.update_legs(agent, u.id, filled, avg);
                            if terminal {
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
                        continue;
                    };
                    let contract = o.state.request.contract.clone();
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
                    if let Some(p) = self.agents[agent].position.as_mut() {
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

    fn update_legs(&mut self, agent: usize, id: OrderId, filled: u32, avg: Option<Decimal>) {
        let Some(p) = self.agents[agent].position.as_mut() else {
            return;
        };
        let is_exit = p.exit.map(|e| e.order) == Some(id);
        let legs = if is_exit {
            &mut p.exit_legs
        } else {
            &mut p.legs
        };
        match legs.iter_mut().find(|l| l.order == id) {
            Some(l) => {
                l.filled = filled;
                l.average = avg.unwrap_or(l.average);
            }
            None if is_exit => legs.push(Leg {
                order: id,
                filled,
                average: avg.unwrap_or_default(),
            }),
            None => {}
        }
    }

    /// An order reached COMPLETE, CANCELLED or REJECTED.
    async fn on_terminal(&mut self, id: OrderId) -> Result<(), EngineError> {
        let Some(o) = self.orders.get(&id) else {
            return Ok(());
        };
        let (i, status, purpose, ts, msg) = (
            o.agent,
            o.state.status,
            o.state.request.purpose,
            o.state.updated,
            o.state.message.clone().unwrap_or_default(),
        );
        let seg = self.agents[i].segment;
        match purpose {
            OrderPurpose::Exit => {
                let Some(p) = self.agents[i].position.as_mut() else {
                    return Ok(());
                };
                let Some(pending) = p.exit else {
                    return Ok(());
                };
                let exited: u32 = p.exit_legs.iter().map(|l| l.filled).sum();
                if status == OrderStatus::Complete && exited >= p.quantity() {
                    self.close_trade(i)?;
                } else {
                    // Failed or partial exit: retry the rest at the next tick.
                    p.exit = None;
                    p.exit_retry = Some(pending.reason);
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
                        self.event(ts, Some(seg), "critical",
                            format!("exit failed {failures} times: session halted, still retrying the exit"),
                            json!({"failures": failures}))?;
                    }
                }
            }
            OrderPurpose::Entry | OrderPurpose::PyramidAdd => {
                if status != OrderStatus::Complete {
                    let Some(p) = self.agents[i].position.as_mut() else {
                        return Ok(());
                    };
                    let filled_any = p.quantity() > 0;
                    if purpose == OrderPurpose::Entry && !filled_any {
                        self.agents[i].position = None;
                        self.agents[i].state = AgentState::WaitingForSignal;
                        self.event(
                            ts,
                            Some(seg),
                            "entry_failed",
                            format!("entry order {id} {status}: {msg}; back to waiting"),
                            json!({"order_id": id.0, "status": status.code(), "message": msg}),
                        )?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn check_exits(&mut self, i: usize, tick: &Tick) -> Result<(), EngineError> {
        let square_off = self.config.engine.square_off_time;
        let seq = self.tick_seq;
        let Some(p) = self.agents[i].position.as_ref() else {
            return Ok(());
        };
        if p.exit.is_some() || p.quantity() == 0 || p.entry_seq >= seq {
            return Ok(());
        }
        let reason = p
            .exit_retry
            .or_else(|| p.stops.check(tick.price))
            .or_else(|| (tick.ts.time() >= square_off).then_some(ExitReason::Eod));
        if let Some(reason) = reason {
            self.exit_position(i, *tick, reason).await?;
        }
        Ok(())
    }

    /// Close agent `i`'s position at `tick` for `reason` (exits are never blocked).
    async fn exit_position(
        &mut self,
        i: usize,
        tick: Tick,
        reason: ExitReason,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let Some(p) = self.agents[i].position.as_ref() else {
            return Ok(());
        };
        let exited: u32 = p.exit_legs.iter().map(|l| l.filled).sum();
        let qty = p.quantity().saturating_sub(exited);
        let contract = p.contract.clone();
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Exit,
            time: tick.ts,
            quantity: qty,
            lot_size: contract.lot_size,
        };
        debug_assert_eq!(
            self.risk.evaluate(&intent, &self.risk_state()),
            Decision::Approve
        );
        let order = self.new_order(i, &contract, Side::Sell, qty, OrderPurpose::Exit, tick.ts)?;
        if let Some(p) = self.agents[i].position.as_mut() {
            p.exit = Some(PendingExit {
                order,
                reason,
                tick,
            });
            p.exit_retry = None;
        }
        self.event(
            tick.ts,
            Some(seg),
            "exit",
            format!("{reason} exit {} qty {qty} at index {}", contract.tradingsymbol, tick.price),
            json!({"reason": reason.code(), "tradingsymbol": contract.tradingsymbol, "quantity": qty,
                   "index": tick.price, "order_id": order.0}),
        )?;
        self.send(order).await
    }

    fn close_trade(&mut self, i: usize) -> Result<(), EngineError> {
        let a = &mut self.agents[i];
        let Some(p) = a.position.take() else {
            return Ok(());
        };
        let Some(exit) = p.exit else {
            a.position = Some(p);
            return Ok(());
        };
        a.state = AgentState::WaitingForSignal;
        a.closed_trades += 1;
        let seg = a.segment;
        let qty = p.quantity();
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
            stop_loss_points: a.params.stops.sl_points,
            initial_sl_price: p.stops.initial_stop(),
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
        a.strategy.on_position_closed(p.direction, exit.reason);
        self.realized += trade.net_pnl;
        self.journal.trade(&trade)?;
        self.trades.push(trade);
        Ok(())
    }

    fn track_position(&mut self, i: usize, tick: &Tick) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let Some(p) = self.agents[i].position.as_mut() else {
            return Ok(());
        };
        if p.exit.is_some() {
            return Ok(());
        }
        let moved = p.stops.trail_with(tick.price);
        if p.quantity() > 0
            && let Some((mark, _)) = self.marks.mark(&p.contract, tick.price, tick.ts)
        {
            let d = mark - p.average_entry();
            p.mfe = p.mfe.max(d);
            p.mae = p.mae.min(d);
            p.last_mark = Some(mark);
        }
        if let Some(level) = moved {
            let eff = p.stops.effective_stop();
            self.event(
                tick.ts,
                Some(seg),
                "stop_update",
                format!("TSL → {level} (effective stop {eff})"),
                json!({"tsl": level, "effective": eff, "index": tick.price}),
            )?;
        }
        Ok(())
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
                    .is_some_and(|p| p.exit.is_none() && p.quantity() > 0);
                if let (true, Some(t)) = (open, self.agents[i].last_tick) {
                    self.exit_position(i, t, ExitReason::Eod).await?;
                }
                if let Some(c) = self.agents[i].candles.complete_until(&close) {
                    let (signal, _) = self.on_candle(i, &c)?;
                    if signal != Signal::Hold {
                        self.skipped += 1;
                        let seg = self.agents[i].segment;
                        self.event(close, Some(seg), "entry_skipped",
                            format!("{signal} from the session's last candle: no tick left to execute it"),
                            json!({"signal": signal.code(), "reason": "session_end"}))?;
                    }
                }
                self.agents[i].state = AgentState::Idle;
            }
            let segs: Vec<Segment> = self.agents.iter().map(|a| a.segment).collect();
            let summary = DaySummary::from_trades(
                self.date,
                self.mode.code(),
                self.config.strategy_name(),
                &segs,
                &self.trades,
                self.skipped,
            );
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
        let segs: Vec<Segment> = self.agents.iter().map(|a| a.segment).collect();
        Ok(DayReport {
            trades: self.trades.clone(),
            summary: DaySummary::from_trades(
                self.date,
                self.mode.code(),
                self.config.strategy_name(),
                &segs,
                &self.trades,
                self.skipped,
            ),
        })
    }
}
