//! The [`Engine`]: what it is built from, its state, and the day's lifecycle (warm-up, start,
//! run/handle, end of session, settling working orders). The tick path is in
//! [`crate::tick`], orders in [`crate::orders`], positions in [`crate::position`], operator
//! controls in [`crate::controls`], risk in [`crate::risk_glue`].

use crate::agent::{AgentState, SegmentAgent};
use crate::clock::EventClock;
use crate::events::{EngineEvent, EventRecord};
use crate::orders::OrderManager;
use crate::position::exits::ExitPolicy;
use crate::settings::EngineSettings;
use crate::settings::Mode;
use chrono::NaiveDate;
use domain::calendar::MarketCalendar;
use domain::charges::ChargesSchedule;
use domain::ports::{
    Broker, BrokerError, Clock, ContractSource, HistoricalData, MarketData, MarketEvent,
    PremiumMarks,
};
use domain::time::{IstDateTime, fmt_iso, ist, session_close};
use domain::{ExitReason, Segment, Signal, Trade};
use journal::{DaySummary, Event, Journal, JournalError};
use risk::{RiskEngine, Rule};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Failed exit attempts before the session is halted with a critical alert (spec §10.2);
/// the engine keeps retrying the exit after that.
pub const EXIT_FAILURES_BEFORE_HALT: u32 = 3;

/// How long an order whose placement outcome is unknown may stay absent from the broker's
/// order book (looked up by tag) before the engine treats it as never placed, seconds of
/// exchange time. Until then it stays `PENDING_SUBMIT` and nothing is re-sent (spec §10.2).
pub const UNKNOWN_ORDER_GRACE_SECS: i64 = 60;

/// Longest wait at session end for working orders to finish, seconds of the waiting clock
/// ([`EngineParts::waits`]).
pub const SETTLE_TIMEOUT_SECS: u64 = 30;

/// How often working orders are polled while settling, milliseconds of the waiting clock.
pub const SETTLE_POLL_MS: u64 = 50;

/// Errors that stop the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Writing the journal failed.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// Warm-up history could not be loaded.
    #[error("warm-up: {0}")]
    History(#[from] domain::ports::HistoryError),
    /// Configuration is unusable (e.g. the strategy factory refused its parameters).
    #[error("config: {0}")]
    Config(String),
    /// The broker failed in a way that stops the session.
    #[error("broker: {0}")]
    Broker(#[from] BrokerError),
    /// A checkpoint that cannot be restored into this session (spec §11).
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

/// Everything an engine is built from: typed settings and the edges as trait objects.
pub struct EngineParts {
    /// Settings (segments, exits, risk, the strategy factory).
    pub settings: EngineSettings,
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
    /// The clock the engine waits on while working orders settle (paper/live: the wall
    /// clock, [`crate::clock::WallClock`]); `None`: the engine's own event clock, which
    /// moves by the time waited at once (replay).
    pub waits: Option<Arc<dyn Clock>>,
}

/// The result of a day.
#[derive(Debug, Clone)]
pub struct DayReport {
    /// Completed trades in exit order.
    pub trades: Vec<Trade>,
    /// Statistics.
    pub summary: DaySummary,
}

/// The engine for one trading day.
pub struct Engine {
    pub(crate) settings: EngineSettings,
    pub(crate) exit_policy: ExitPolicy,
    pub(crate) mode: Mode,
    pub(crate) date: NaiveDate,
    pub(crate) agents: Vec<SegmentAgent>,
    /// Watched `instrument_token` → its segment (an index's token, a stock's EQ token).
    pub(crate) watch: HashMap<u32, Segment>,
    /// Watched `instrument_token` → index of its agent in `agents` (one hash lookup per
    /// tick instead of a scan: a 200-stock universe, docs/benchmarks.md).
    pub(crate) agent_of: HashMap<u32, usize>,
    pub(crate) broker: Box<dyn Broker>,
    pub(crate) marks: Box<dyn PremiumMarks>,
    pub(crate) contracts: Box<dyn ContractSource>,
    pub(crate) journal: Box<dyn Journal>,
    pub(crate) risk: RiskEngine,
    pub(crate) charges: ChargesSchedule,
    pub(crate) clock: Arc<EventClock>,
    pub(crate) waits: Arc<dyn Clock>,
    pub(crate) orders: OrderManager,
    pub(crate) tick_seq: u64,
    pub(crate) last_tick_at: Option<IstDateTime>,
    pub(crate) trades: Vec<Trade>,
    pub(crate) halted: bool,
    pub(crate) paused: bool,
    pub(crate) broker_unhealthy: bool,
    pub(crate) announced_locks: BTreeSet<(Option<Segment>, Rule)>,
    pub(crate) skipped: u32,
    pub(crate) ended: bool,
    pub(crate) subscriptions: Vec<u32>,
    pub(crate) subscribed: BTreeSet<u32>,
    pub(crate) foreign_days: BTreeSet<NaiveDate>,
    pub(crate) version: u64,
    pub(crate) events: Vec<EventRecord>,
    /// An unresolved reconciliation mismatch (spec §11): entries blocked while `Some`.
    pub(crate) unreconciled: Option<String>,
    /// Units per tradingsymbol the engine took over from the broker (+: adopted or flattened by
    /// the operator) or found sold outside it (−), with no engine order of their own.
    pub(crate) adopted: std::collections::BTreeMap<String, i64>,
    /// Open orders at the broker the operator adopted (left alone, never compared again).
    pub(crate) ignored_orders: BTreeSet<String>,
    /// While catching up after a restart: the last tick to catch up to (entries on older
    /// signals are skipped, [`crate::restore::CATCH_UP_ENTRY_MAX_AGE_SECS`]).
    pub(crate) catch_up_until: Option<IstDateTime>,
    /// An operator's resolution waiting for the first index tick (an exchange time for the
    /// broker's guard, an index price for an adopted position's stops).
    pub(crate) pending_resolve: Option<crate::reconcile::Resolve>,
    /// Entries stopped by an operator's command, with why (kept across a restart).
    pub(crate) operator_stop: Option<String>,
    /// Entries stopped for the shutdown, with why (not kept: a restart trades).
    pub(crate) shutting_down: Option<String>,
    /// Intraday equity, one point per minute with a change ([`crate::control::snapshot`]).
    pub(crate) equity: Vec<crate::control::EquityPoint>,
    /// Orders an operator placed by hand (shown as `MANUAL` in the snapshot).
    pub(crate) manual_orders: BTreeSet<domain::OrderId>,
    /// The broker's margin calculator, asked before a hedged short (spec §4.3); `None`
    /// (replay): no margin check.
    pub(crate) margins: Option<Arc<dyn domain::ports::MarginCalculator>>,
}

impl Engine {
    /// Build the engine: one agent per configured segment, in segment order.
    ///
    /// # Errors
    /// [`EngineError::Config`] when the strategy factory refuses.
    pub fn new(parts: EngineParts) -> Result<Self, EngineError> {
        let EngineParts {
            settings,
            mode,
            date,
            broker,
            marks,
            contracts,
            journal,
            calendar,
            charges,
            waits,
        } = parts;
        let mut segments = settings.segments.clone();
        segments.sort_by_key(|s| s.segment);
        segments.dedup_by_key(|s| s.segment);
        let mut agents = Vec::new();
        let mut watch = HashMap::new();
        let mut agent_of = HashMap::new();
        for seg in segments {
            let token = seg.token().ok_or_else(|| {
                EngineError::Config(format!(
                    "segment {}: no instrument_token to watch (a stock needs its EQ token)",
                    seg.segment
                ))
            })?;
            if let Some(other) = watch.insert(token, seg.segment) {
                return Err(EngineError::Config(format!(
                    "segments {other} and {} watch the same instrument_token {token}",
                    seg.segment
                )));
            }
            let strategy = (settings.strategy)().map_err(EngineError::Config)?;
            agent_of.insert(token, agents.len());
            agents.push(SegmentAgent::new(seg, strategy));
        }
        let risk = RiskEngine::new(settings.risk.clone(), settings.capital, calendar);
        let clock = Arc::new(EventClock::new(ist(date, domain::time::hms(9, 0, 0))));
        let waits = waits.unwrap_or_else(|| clock.clone());
        let exit_policy = ExitPolicy::new(settings.exits, settings.square_off_time)
            .with_hedging(settings.hedging);
        Ok(Self {
            settings,
            exit_policy,
            mode,
            date,
            agents,
            watch,
            agent_of,
            broker,
            marks,
            contracts,
            journal,
            risk,
            charges,
            clock,
            waits,
            orders: OrderManager::new(),
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
            events: Vec::new(),
            unreconciled: None,
            adopted: std::collections::BTreeMap::new(),
            ignored_orders: BTreeSet::new(),
            catch_up_until: None,
            pending_resolve: None,
            operator_stop: None,
            shutting_down: None,
            equity: Vec::new(),
            manual_orders: BTreeSet::new(),
            margins: None,
        })
    }

    /// Check a hedged short's margin with `margins` before its hedge is bought (spec §4.3,
    /// seed 003 "margin requirements for options selling"): an entry whose two legs would
    /// block more than the funds available, or whose margin cannot be computed, is skipped
    /// (`entry_skipped`, rule `margin`). Paper and live set Kite's calculator.
    pub fn set_margins(&mut self, margins: Arc<dyn domain::ports::MarginCalculator>) {
        self.margins = Some(margins);
    }

    /// The engine's clock (follows event timestamps).
    pub fn clock(&self) -> Arc<EventClock> {
        self.clock.clone()
    }

    /// Trades completed so far.
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// Every event emitted so far, in order (the journal's event lines, typed).
    pub fn events(&self) -> &[EventRecord] {
        &self.events
    }

    /// Agent states, in segment order.
    pub fn agent_states(&self) -> Vec<(Segment, AgentState)> {
        self.agents.iter().map(|a| (a.segment, a.state)).collect()
    }

    /// Whether the session is halted (no new entries).
    pub fn is_halted(&self) -> bool {
        self.halted
    }

    /// A counter that moves whenever journal-worthy state changes (write a checkpoint when it
    /// differs from the last one written).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Record and journal an event. A journal failure is returned.
    /// The segment whose watched series has Kite `instrument_token` `token` (an index's
    /// token, a stock's EQ token); `None` for an option's or an unknown token.
    pub fn segment_of(&self, token: u32) -> Option<Segment> {
        self.watch.get(&token).copied()
    }

    /// The watched `instrument_token` of `segment` (`None`: no agent for it).
    pub fn watch_token(&self, segment: Segment) -> Option<u32> {
        self.watch
            .iter()
            .find(|(_, s)| **s == segment)
            .map(|(t, _)| *t)
    }

    pub(crate) fn emit(
        &mut self,
        ts: IstDateTime,
        segment: Option<Segment>,
        event: EngineEvent,
        message: String,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
        self.version += 1;
        let kind = event.kind();
        tracing::debug!(target: "engine::event", ts = %fmt_iso(&ts), segment = ?segment, kind, %message);
        let line = Event {
            timestamp: ts,
            segment,
            kind,
            message,
            data,
        };
        let res = self.journal.event(&line);
        self.events.push(EventRecord {
            ts,
            segment: line.segment,
            event,
            message: line.message,
            data: line.data,
        });
        Ok(res?)
    }

    /// A journal write failed on the exit path: a loud critical event (kept in memory and
    /// logged at error level; the journal itself may be what is failing), never an error that
    /// would hold an exit back.
    pub(crate) fn journal_failed(&mut self, ts: IstDateTime, seg: Segment, e: &JournalError) {
        tracing::error!(target: "engine", segment = %seg, error = %e, "CRITICAL: journal write failed while exiting; the exit goes on");
        self.version += 1;
        self.events.push(EventRecord {
            ts,
            segment: Some(seg),
            event: EngineEvent::Critical,
            message: format!("journal write failed while exiting (the exit goes on): {e}"),
            data: json!({"error": e.to_string()}),
        });
    }

    /// Feed each agent the completed candles of the previous `warmup_sessions` sessions
    /// (spec §3, §3.1 rule 4); no signal is acted on. Then the day starts.
    pub async fn warm_up(&mut self, history: &dyn HistoricalData) -> Result<(), EngineError> {
        let n = self.settings.warmup_sessions;
        let now = self.clock.now();
        for i in 0..self.agents.len() {
            let agent = &mut self.agents[i];
            let seg = agent.segment;
            let sessions = history.sessions_before(seg, self.date, n).await?;
            let candles = agent.warm_up(&sessions);
            let found = sessions.len();
            if found < n {
                self.emit(
                    now,
                    Some(seg),
                    EngineEvent::Warning,
                    format!("warm-up found {found} of {n} sessions before {}", self.date),
                    json!({"sessions": found, "wanted": n}),
                )?;
            }
            self.emit(
                now,
                Some(seg),
                EngineEvent::Session,
                format!("warm-up: {found} sessions, {candles} candles"),
                json!({"sessions": found, "candles": candles}),
            )?;
        }
        self.start_day()
    }

    /// Start the trading day without warm-up (indicators start empty).
    pub fn start_day(&mut self) -> Result<(), EngineError> {
        self.agents.iter_mut().for_each(SegmentAgent::start_day);
        let now = self.clock.now();
        let segs: Vec<&str> = self.agents.iter().map(|a| a.segment.code()).collect();
        let message = format!(
            "{} day {} started: {}",
            self.mode.code(),
            self.date,
            segs.join(",")
        );
        let data = json!({"mode": self.mode.code(), "date": self.date, "segments": segs,
                   "strategy": self.settings.strategy_name});
        self.emit(now, None, EngineEvent::Session, message, data)
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
                self.emit(
                    ts,
                    None,
                    EngineEvent::Feed,
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
            self.emit(
                now,
                None,
                EngineEvent::Feed,
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

    /// Every agent's watched `instrument_token` (indices' own, stocks' NSE shares), in
    /// segment order: what a Kite feed subscribes at the start.
    pub fn watched_tokens(&self) -> Vec<u32> {
        let mut w: Vec<(Segment, u32)> = self.watch.iter().map(|(t, s)| (*s, *t)).collect();
        w.sort();
        w.into_iter().map(|(_, t)| t).collect()
    }

    /// Option tokens subscribed for traded contracts so far (to resubscribe a new feed).
    pub fn subscribed_tokens(&self) -> Vec<u32> {
        self.subscribed.iter().copied().collect()
    }

    /// Orders not yet in a terminal state, or positions still closing.
    pub fn has_outstanding(&self) -> bool {
        self.agents.iter().any(|a| !a.closing.is_empty()) || self.orders.any_working()
    }

    /// Wait (on the waiting clock, at most [`SETTLE_TIMEOUT_SECS`]) for working orders to
    /// finish and closing positions to become trades; a position still open after that is
    /// reported as a critical event and left as it is. With immediate fills (replay, paper)
    /// there is nothing to wait for.
    pub async fn settle_outstanding(&mut self, now: IstDateTime) -> Result<(), EngineError> {
        let deadline = self.waits.now() + chrono::TimeDelta::seconds(SETTLE_TIMEOUT_SECS as i64);
        while self.has_outstanding() && self.waits.now() < deadline {
            for i in 0..self.agents.len() {
                self.retry_exits(i, now).await?;
            }
            self.settle_unknown_orders().await?;
            self.sync_orders().await?;
            if self.has_outstanding() {
                self.waits
                    .sleep(std::time::Duration::from_millis(SETTLE_POLL_MS))
                    .await;
            }
        }
        let stuck: Vec<_> = self
            .agents
            .iter()
            .map(|a| (a.segment, a.stuck_positions()))
            .collect();
        for (seg, stuck) in stuck {
            if !stuck.is_empty() {
                self.emit(
                    now,
                    Some(seg),
                    EngineEvent::Critical,
                    format!("orders still working at session end: {}", stuck.join(", ")),
                    json!({"positions": stuck}),
                )?;
            }
        }
        Ok(())
    }

    /// The day so far (trades and statistics) without ending the session.
    pub fn report(&self) -> DayReport {
        DayReport {
            trades: self.trades.clone(),
            summary: self.summary(),
        }
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
                self.close_live(i, None, ExitReason::Eod).await?;
            }
            self.settle_outstanding(close).await?;
            // The last candles complete by the clock; the agents go idle.
            let last: Vec<_> = self
                .agents
                .iter_mut()
                .enumerate()
                .filter_map(|(i, a)| {
                    a.state = AgentState::Idle;
                    a.candles.complete_until(&close).map(|c| (i, a.segment, c))
                })
                .collect();
            for (i, seg, c) in last {
                let p = self.on_candle(i, &c)?;
                if p.signal != Signal::Hold {
                    self.skipped += 1;
                    self.emit(
                        close,
                        Some(seg),
                        EngineEvent::EntrySkipped,
                        format!(
                            "{} from the session's last candle: no tick left to execute it",
                            p.signal
                        ),
                        json!({"signal": p.signal.code(), "reason": "session_end"}),
                    )?;
                }
            }
            let summary = self.summary();
            self.journal.summary(&summary)?;
            self.emit(
                close,
                None,
                EngineEvent::Session,
                format!(
                    "day ended: {} trades, net ₹{}",
                    summary.total.trades, summary.total.net_pnl
                ),
                json!({"trades": summary.total.trades, "net_pnl": summary.total.net_pnl}),
            )?;
        }
        Ok(self.report())
    }

    fn summary(&self) -> DaySummary {
        let segs: Vec<Segment> = self.agents.iter().map(|a| a.segment).collect();
        DaySummary::from_trades(
            self.date,
            self.mode.code(),
            &self.settings.strategy_name,
            &segs,
            &self.trades,
            self.skipped,
        )
    }
}
