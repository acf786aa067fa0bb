//! The session link (spec §12): how a running session talks to the console without ever
//! waiting for it.
//!
//! - In: operator [`Command`]s arrive on an `mpsc` channel with a `oneshot` for the reply
//!   ([`CommandRequest`]); the session applies each on the engine's own step
//!   (`Engine::command`) as one more arm of its `select!`.
//! - Out: after every step that moved `Engine::version` or added events, the session
//!   publishes ([`SessionLink::after_step`]) the new events into the shared day list and as
//!   [`Update::Event`], and the `Arc<Snapshot>` into a `watch` and as [`Update::Snapshot`].
//!   Every send is a `watch`/`broadcast` send: a lagging event-stream client loses old
//!   updates, never the engine's time.
//! - Health: the ticker socket's state (from the feed's `Feed(status)` events), the wall time
//!   of the last index tick, the reconnect count and the Kite session flag.
//! - Metrics (issue 12): [`Published::observe`] counts ticks per segment and reconnects;
//!   [`SessionLink::after_step`] counts the new events (candles, entries, exits, risk
//!   decisions by rule, order and broker errors...) and sets the book's gauges (orders by
//!   status, trades, realized and open P&L) from the snapshot it publishes anyway;
//!   [`Published::metrics_text`] renders them with the tick age computed at scrape.
//!
//! One [`Published`] outlives the sessions of a process (the supervisor owns it); each new
//! session [`Published::begin`]s it, replacing the previous session's events and snapshot.

use broker_kite::KiteClient;
use console::backend::{Health, Update};
use domain::Segment;
use domain::ports::{FeedStatus, MarketEvent};
use engine::control::{Command, CommandError, CommandReply, Snapshot};
use engine::{Engine, EngineEvent, EventRecord};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use telemetry::{BookFigures, Metrics};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// A command and where its reply goes.
pub type CommandRequest = (Command, oneshot::Sender<Result<CommandReply, CommandError>>);

/// Capacity of the update broadcast: a client further behind than this loses the oldest
/// updates (it can re-read `events(from)` and the snapshot).
pub const UPDATE_CAPACITY: usize = 1024;

/// Capacity of the command queue (commands are rare; a full queue answers "engine busy").
pub const COMMAND_CAPACITY: usize = 64;

/// The ticker socket as the health card shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Socket {
    /// No feed started yet.
    NotStarted,
    /// Connected and subscribed.
    Connected,
    /// Disconnected; the feed is reconnecting.
    Reconnecting,
    /// The feed stopped (ticker refused or gone).
    Down,
}

impl Socket {
    /// `connected`, `reconnecting`, `down` or `not_started` ([`Health::socket`]).
    pub fn code(self) -> &'static str {
        match self {
            Socket::NotStarted => "not_started",
            Socket::Connected => "connected",
            Socket::Reconnecting => "reconnecting",
            Socket::Down => "down",
        }
    }
}

#[derive(Debug)]
struct HealthState {
    running: bool,
    mode: Option<String>,
    socket: Socket,
    last_index_tick: Option<Instant>,
    /// The session's non-index agents' tokens (a scanner's shares): their ticks count as
    /// its market ticks like an index's.
    watched: HashMap<u32, Segment>,
    reconnects: u32,
    client: Option<KiteClient>,
}

/// What the sessions of a process publish for the console: the day's events, the latest
/// snapshot, the update stream and health. Shared (`Arc`) between the supervisor and the
/// running session.
#[derive(Debug)]
pub struct Published {
    snapshot: watch::Sender<Option<Arc<Snapshot>>>,
    events: Mutex<Vec<EventRecord>>,
    updates: broadcast::Sender<Update>,
    health: Mutex<HealthState>,
    metrics: Arc<Metrics>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Default for Published {
    fn default() -> Self {
        Self::new()
    }
}

impl Published {
    /// Nothing published yet: no snapshot, no events, socket `not_started`.
    pub fn new() -> Self {
        let (snapshot, _) = watch::channel(None);
        let (updates, _) = broadcast::channel(UPDATE_CAPACITY);
        Self {
            snapshot,
            events: Mutex::new(Vec::new()),
            updates,
            health: Mutex::new(HealthState {
                running: false,
                mode: None,
                socket: Socket::NotStarted,
                last_index_tick: None,
                watched: HashMap::new(),
                reconnects: 0,
                client: None,
            }),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// The process's metrics (counters live as long as the process, across sessions).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The metrics in the Prometheus text format, `kestrel_last_tick_age_seconds` computed
    /// now from the wall time of the last index tick (`GET /metrics`).
    pub fn metrics_text(&self) -> String {
        self.metrics.set_last_tick_age(
            lock(&self.health)
                .last_index_tick
                .map(|t| t.elapsed().as_secs_f64()),
        );
        self.metrics.render()
    }

    /// A new session starts (`mode` `PAPER`/`LIVE`): its events and snapshots replace the
    /// previous session's; socket `not_started` until its feed connects.
    pub fn begin(&self, mode: &str) {
        lock(&self.events).clear();
        self.snapshot.send_replace(None);
        let mut h = lock(&self.health);
        h.running = true;
        h.mode = Some(mode.to_string());
        h.socket = Socket::NotStarted;
        h.last_index_tick = None;
        h.watched.clear();
        h.reconnects = 0;
        h.client = None;
    }

    /// The running session's agents watch these `(instrument_token, segment)` besides the
    /// indices (seed 001's scanner: each stock's NSE share): their ticks stamp the feed's
    /// health and count per segment, as an index's do.
    pub fn watch(&self, tokens: impl IntoIterator<Item = (u32, Segment)>) {
        let mut h = lock(&self.health);
        h.watched = tokens
            .into_iter()
            .filter(|(t, _)| Segment::from_index_token(*t).is_none())
            .collect();
    }

    /// The session ended (its last snapshot and events stay readable).
    pub fn end(&self) {
        let mut h = lock(&self.health);
        h.running = false;
        h.socket = Socket::Down;
    }

    /// The running session's Kite client (its session flag is the health's
    /// `broker_session_valid`; a console login reloads it).
    pub fn attach_client(&self, client: &KiteClient) {
        lock(&self.health).client = Some(client.clone());
    }

    /// The running session's Kite client, if any.
    pub fn client(&self) -> Option<KiteClient> {
        let h = lock(&self.health);
        h.client.clone().filter(|_| h.running)
    }

    /// Set the socket state.
    pub fn set_socket(&self, socket: Socket) {
        lock(&self.health).socket = socket;
    }

    /// Note a market event before the engine sees it: `Feed(status)` moves the socket state
    /// (a `Reconnected` counts a reconnect); an agent's tick (an index, or a watched share,
    /// [`Published::watch`]) stamps the wall clock. Ticks (per segment for an agent's, else
    /// as option ticks) and reconnects are counted in the metrics.
    pub fn observe(&self, ev: &MarketEvent) {
        let mut h = lock(&self.health);
        match ev {
            MarketEvent::Feed(FeedStatus::Connected, _) => h.socket = Socket::Connected,
            MarketEvent::Feed(FeedStatus::Reconnected, _) => {
                h.socket = Socket::Connected;
                h.reconnects += 1;
                self.metrics.reconnect();
            }
            MarketEvent::Feed(FeedStatus::Disconnected, _) => h.socket = Socket::Reconnecting,
            MarketEvent::Tick(t) => match Segment::from_index_token(t.token)
                .or_else(|| h.watched.get(&t.token).copied())
            {
                Some(seg) => {
                    self.metrics.index_tick(seg.code());
                    h.last_index_tick = Some(Instant::now());
                    // Ticks flow: the socket is up even if no `Connected` was reported.
                    if h.socket == Socket::NotStarted {
                        h.socket = Socket::Connected;
                    }
                }
                None => self.metrics.option_tick(),
            },
            _ => {}
        }
    }

    /// Count one published event in the metrics: every event by kind and segment; a
    /// `candle` per segment; a `risk` decision by its `decision` and `rule` data fields.
    fn count_event(&self, e: &EventRecord) {
        let code = e.segment.map(|s| s.code().to_string());
        let seg = code.as_deref();
        self.metrics.event(e.event.kind(), seg);
        match e.event {
            EngineEvent::Candle => self.metrics.candle(seg.unwrap_or_default()),
            EngineEvent::Risk => {
                let field = |k: &str| e.data.get(k).and_then(|v| v.as_str()).unwrap_or("unknown");
                self.metrics.risk_decision(field("decision"), field("rule"));
            }
            _ => {}
        }
    }

    /// Set the book's gauges from a snapshot.
    fn count_book(&self, s: &Snapshot) {
        let mut by_status: Vec<(String, u64)> = Vec::new();
        for o in &s.orders {
            let code = o.status.code();
            match by_status.iter_mut().find(|(k, _)| k == code) {
                Some((_, n)) => *n += 1,
                None => by_status.push((code.to_string(), 1)),
            }
        }
        self.metrics.set_book(&BookFigures {
            orders_by_status: by_status,
            trades: u64::from(s.totals.trades),
            realized_pnl: s.totals.net_pnl,
            open_pnl: s.totals.open_pnl,
        });
    }

    /// Publish one more event: appended to the day list and broadcast with its index.
    fn push_event(&self, event: EventRecord) {
        let seq = {
            let mut list = lock(&self.events);
            list.push(event.clone());
            list.len() - 1
        };
        // No receiver is not an error: nobody is watching.
        let _ = self.updates.send(Update::Event { seq, event });
    }

    /// Publish a snapshot: the `watch` and the broadcast.
    pub fn push_snapshot(&self, snapshot: Snapshot) {
        let snapshot = Arc::new(snapshot);
        self.snapshot.send_replace(Some(snapshot.clone()));
        let _ = self.updates.send(Update::Snapshot { snapshot });
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.borrow().clone()
    }

    /// A `watch` of the latest snapshot.
    pub fn watch_snapshot(&self) -> watch::Receiver<Option<Arc<Snapshot>>> {
        self.snapshot.subscribe()
    }

    /// The day's events from index `from` on.
    pub fn events(&self, from: usize) -> Vec<EventRecord> {
        lock(&self.events)
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    /// New updates from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.updates.subscribe()
    }

    /// Health now (the tick age on the wall clock; the session flag read live).
    pub fn health(&self) -> Health {
        let h = lock(&self.health);
        Health {
            session_running: h.running,
            mode: h.mode.clone(),
            broker_session_valid: h.client.as_ref().is_some_and(|c| c.session().is_valid()),
            socket: h.socket.code().to_string(),
            last_tick_age_secs: h.last_index_tick.map(|t| t.elapsed().as_secs_f64()),
            reconnects: h.reconnects,
        }
    }
}

/// The session's end of the link: commands in, state out.
#[derive(Debug)]
pub struct SessionLink {
    commands: mpsc::Receiver<CommandRequest>,
    published: Arc<Published>,
    seen_events: usize,
    seen_version: u64,
    trading: Option<oneshot::Sender<()>>,
}

impl SessionLink {
    /// A link and the sender the supervisor keeps.
    pub fn new(published: Arc<Published>) -> (Self, mpsc::Sender<CommandRequest>) {
        let (tx, rx) = mpsc::channel(COMMAND_CAPACITY);
        (
            Self {
                commands: rx,
                published,
                seen_events: 0,
                seen_version: u64::MAX,
                trading: None,
            },
            tx,
        )
    }

    /// A receiver resolved when the session starts trading (warm-up, restore and
    /// reconciliation done, the feed subscribed); dropped unresolved when it fails first.
    pub fn on_trading(&mut self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.trading = Some(tx);
        rx
    }

    /// The shared published state.
    pub fn published(&self) -> &Arc<Published> {
        &self.published
    }

    /// The next command; pending forever once every sender is gone.
    pub async fn next_command(&mut self) -> CommandRequest {
        match self.commands.recv().await {
            Some(c) => c,
            None => std::future::pending().await,
        }
    }

    /// After a step: publish the events added since the last call and, when the version moved
    /// or events were added, a new snapshot. Never waits.
    pub fn after_step(&mut self, engine: &Engine) {
        let events = engine.events();
        // A restored engine may start with fewer events than seen (never in one session).
        let from = self.seen_events.min(events.len());
        let added = events.len() > from;
        for e in &events[from..] {
            self.published.count_event(e);
            self.published.push_event(e.clone());
        }
        self.seen_events = events.len();
        if added || engine.version() != self.seen_version {
            self.seen_version = engine.version();
            let snapshot = engine.snapshot();
            self.published.count_book(&snapshot);
            self.published.push_snapshot(snapshot);
        }
    }
}

/// The optional link of a session: `None` publishes nothing and takes no commands (the CLI
/// with `--no-http`, the tests of the runner).
pub(crate) async fn next_command(link: &mut Option<SessionLink>) -> CommandRequest {
    match link {
        Some(l) => l.next_command().await,
        None => std::future::pending().await,
    }
}

/// [`SessionLink::after_step`] when linked.
pub(crate) fn after_step(link: &mut Option<SessionLink>, engine: &Engine) {
    if let Some(l) = link {
        l.after_step(engine);
    }
}

/// The session is trading: resolve [`SessionLink::on_trading`].
pub(crate) fn trading(link: &mut Option<SessionLink>) {
    if let Some(tx) = link.as_mut().and_then(|l| l.trading.take()) {
        let _ = tx.send(());
    }
}

/// [`Published::observe`] when linked.
pub(crate) fn observe(link: &Option<SessionLink>, ev: &MarketEvent) {
    if let Some(l) = link {
        l.published.observe(ev);
    }
}

/// [`Published::watch`] when linked: the engine's non-index agents' tokens.
pub(crate) fn watch(link: &Option<SessionLink>, engine: &Engine) {
    if let Some(l) = link {
        l.published.watch(
            engine
                .watched_tokens()
                .into_iter()
                .filter_map(|t| engine.segment_of(t).map(|s| (t, s))),
        );
    }
}

/// [`Published::set_socket`] when linked.
pub(crate) fn set_socket(link: &Option<SessionLink>, socket: Socket) {
    if let Some(l) = link {
        l.published.set_socket(socket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_and_reconnects_follow_feed_events() {
        let p = Published::new();
        p.begin("PAPER");
        assert_eq!(p.health().socket, "not_started");
        assert!(p.health().session_running);
        let t = domain::time::ist(
            chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            domain::time::hms(9, 15, 0),
        );
        p.observe(&MarketEvent::Feed(FeedStatus::Connected, t));
        assert_eq!(p.health().socket, "connected");
        p.observe(&MarketEvent::Feed(FeedStatus::Disconnected, t));
        assert_eq!(p.health().socket, "reconnecting");
        p.observe(&MarketEvent::Feed(FeedStatus::Reconnected, t));
        let h = p.health();
        assert_eq!((h.socket.as_str(), h.reconnects), ("connected", 1));
        assert_eq!(h.last_tick_age_secs, None);
        assert!(!h.broker_session_valid, "no client attached");
        p.end();
        assert!(!p.health().session_running);
        assert_eq!(p.health().mode.as_deref(), Some("PAPER"));
    }

    #[test]
    fn ticks_reconnects_and_tick_age_reach_the_metrics() {
        let p = Published::new();
        p.begin("PAPER");
        let t = domain::time::ist(
            chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            domain::time::hms(9, 15, 0),
        );
        let text = p.metrics_text();
        assert!(
            text.contains("kestrel_last_tick_age_seconds NaN\n"),
            "{text}"
        );
        let tick = |token| {
            MarketEvent::Tick(domain::Tick {
                token,
                ts: t,
                price: rust_decimal_macros::dec!(22000),
                volume: None,
            })
        };
        p.observe(&tick(domain::Index::Nifty.token()));
        p.observe(&tick(domain::Index::Nifty.token()));
        p.observe(&tick(domain::Index::BankNifty.token()));
        p.observe(&tick(12_345_678));
        p.observe(&MarketEvent::Feed(FeedStatus::Reconnected, t));
        let text = p.metrics_text();
        for line in [
            "kestrel_ticks_total{segment=\"NIFTY\"} 2\n",
            "kestrel_ticks_total{segment=\"BANKNIFTY\"} 1\n",
            "kestrel_option_ticks_total 1\n",
            "kestrel_reconnects_total 1\n",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        let age: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("kestrel_last_tick_age_seconds "))
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..5.0).contains(&age), "{age}");
        // A scanner session's shares: their ticks are the feed's, per stock.
        let fresh = Published::new();
        fresh.begin("PAPER");
        fresh.watch([(738_561, "RELIANCE".parse::<Segment>().unwrap())]);
        fresh.observe(&tick(738_561));
        fresh.observe(&tick(12_345_678));
        let text = fresh.metrics_text();
        assert!(
            text.contains("kestrel_ticks_total{segment=\"RELIANCE\"} 1\n"),
            "{text}"
        );
        assert!(fresh.health().last_tick_age_secs.is_some());
        // Counters outlive a session: a new one does not reset them.
        p.begin("PAPER");
        assert!(p.metrics_text().contains("kestrel_reconnects_total 1\n"));
    }

    #[test]
    fn events_are_numbered_and_replaced_by_a_new_session() {
        let p = Published::new();
        let mut rx = p.subscribe();
        let t = domain::time::ist(
            chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            domain::time::hms(9, 15, 0),
        );
        for i in 0..3 {
            p.push_event(EventRecord {
                ts: t,
                segment: None,
                event: engine::EngineEvent::Session,
                message: format!("e{i}"),
                data: serde_json::json!({}),
            });
        }
        assert_eq!(p.events(1).len(), 2);
        assert_eq!(p.events(1)[0].message, "e1");
        assert!(p.events(9).is_empty());
        match rx.try_recv().unwrap() {
            Update::Event { seq, event } => assert_eq!((seq, event.message.as_str()), (0, "e0")),
            other => panic!("{other:?}"),
        }
        p.begin("LIVE");
        assert!(p.events(0).is_empty());
        assert!(p.snapshot().is_none());
    }
}
