//! One paper or live trading session on Kite market data (spec §1, §10, §10.6, §11).
//!
//! The same [`engine::Engine`] as `replay`, with different edges:
//! - market data: [`KiteFeed`] (real Kite or the simulator, by `[kite] ticker_url`); the
//!   engine's clock follows the ticks' exchange timestamps, so a day streamed fast behaves
//!   exactly like the real day; timers come from the feed only while it is silent;
//! - warm-up: [`broker_kite::KiteHistory`] (the previous `warmup_sessions` sessions of
//!   1-minute candles), or Breeze or the catalog by `[data] history` ([`crate::warmup`]);
//! - contracts: the day's instruments dump ([`InstrumentsMaster`]), checked against the
//!   configured lot sizes and strike steps before trading;
//! - execution: the paper broker on the feed's option prices (else Black-76, spec §8), or
//!   [`KiteBroker`] behind the [`GuardedBroker`] guardrails;
//! - journal: CSV under `<journal root>/<mode>/<date>/`, appended to (a restart loses nothing),
//!   and the checkpoint `<journal root>/checkpoints/<mode>_state_latest.json` rewritten
//!   atomically after every change.
//!
//! A ticker refused for an invalid session (HTTP 403) blocks entries and raises a critical
//! event; the runner then re-reads the session file every few seconds (run `login`) and, once
//! the session validates, starts a new feed and resubscribes. A graceful shutdown (Ctrl+C)
//! stops entries, optionally squares off, and writes a final checkpoint; positions are left
//! as they are unless asked.
//!
//! (Just over 600 lines: `session_body` is the one sequence of a session's start, loop and
//! end; the console's side of it lives in [`crate::link`].)

use crate::checkpoint::{
    Found, InflightTick, checkpoint_path, read_checkpoint, write_checkpoint_with,
};
use crate::guard::GuardedBroker;
use crate::link::{self, SessionLink, Socket};
use crate::storage::{self, SessionStore};
use crate::timing::{TickStamp, TimingBroker};
use broker_kite::{
    InstrumentsMaster, KiteBroker, KiteClient, KiteError, KiteFeed, KiteSettings, OrderFeed,
    QuoteBook, verify_index_tokens,
};
use broker_paper::pricer::{ModelParams, NoMarketPremiums, Pricer};
use broker_paper::{PaperBroker, PaperSettings};
use chrono::NaiveDate;
use config::Config;
use config::HistorySource;
use domain::calendar::MarketCalendar;
use domain::charges::ChargesSchedule;
use domain::ports::{Broker, Clock, MarketData};
use domain::{Exchange, Segment};
use engine::clock::WallClock;
use engine::{DayReport, Engine, EngineError, EngineEvent, EngineParts, Mode};
use journal::writer::WriterThread;
use journal::{CsvJournal, JournalError};
use serde_json::json;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the session file is re-read while the Kite session is invalid.
pub const RELOGIN_POLL: Duration = Duration::from_secs(2);

/// Which binary runs the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// `paper`: Kite data, paper fills.
    Paper,
    /// `live-bin`: Kite data, real Kite orders.
    Live,
}

impl SessionKind {
    /// The engine mode (journal folder and trade rows).
    pub fn mode(self) -> Mode {
        match self {
            SessionKind::Paper => Mode::Paper,
            SessionKind::Live => Mode::Live,
        }
    }
}

/// Everything a session is started with.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Paper or live.
    pub kind: SessionKind,
    /// Engine configuration, including its `[kite]` table.
    pub config: Config,
    /// Where the configuration came from (named in errors).
    pub config_path: PathBuf,
    /// Trading date (today in IST for real trading; the simulator's date against it).
    pub date: NaiveDate,
    /// Journal root (default: config `[journal] root`).
    pub journal_root: PathBuf,
    /// `--confirm-live` was given (required with [`SessionKind::Live`], spec §10.6).
    pub confirm_live: bool,
    /// Close open positions on a graceful shutdown (default: leave them).
    pub square_off_on_exit: bool,
    /// What to do with positions and open orders at the broker the engine does not know
    /// (`--resolve-unknown`); `None`: block entries until resolved (spec §11).
    pub resolve_unknown: Option<engine::reconcile::Resolve>,
}

/// How a session ended.
#[derive(Debug, Clone)]
pub struct SessionOutcome {
    /// Trades and statistics.
    pub report: DayReport,
    /// The day's journal folder.
    pub journal_dir: PathBuf,
    /// The checkpoint file.
    pub checkpoint: PathBuf,
    /// Stopped by the shutdown signal before the session's end.
    pub interrupted: bool,
    /// Tick-to-intent and order round-trip p50/p99/max of the process so far (see
    /// [`crate::timing`]); also logged at the session's end.
    pub latency: telemetry::LatencyReport,
}

/// Why a session did not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A guardrail refused to start (live without confirmation, not a trading day, …).
    #[error("refused: {0}")]
    Refused(String),
    /// The `[kite]` table is invalid.
    #[error("{path}: [kite]: {message}")]
    Settings {
        /// Config file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Kite (session, instruments, feed).
    #[error("Kite: {0}")]
    Kite(#[from] KiteError),
    /// The engine stopped.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The journal could not be opened.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// The checkpoint could not be written.
    #[error("checkpoint {path}: {source}")]
    Checkpoint {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// Spec §10.6: live trading needs `mode = "live"` in the configuration **and** the explicit
/// confirmation flag. Paper and live both trade an index's near-month future (`instrument =
/// "underlying"`), a `[universe]` of stocks' NSE shares and seed 003's credit spreads
/// (`instrument = "hedged_short"`), besides options. An index future warms up from Kite's or
/// the catalog's candles of the future, never Breeze's (its historical charts are read for the
/// index cash series here), so `[data] history = "breeze"` with it is refused.
///
/// # Errors
/// [`SessionError::Refused`] saying what is missing or unsupported and how to fix it.
pub fn check_guardrails(
    kind: SessionKind,
    config: &Config,
    config_path: &Path,
    confirm_live: bool,
) -> Result<(), SessionError> {
    if config.data.history == HistorySource::Breeze
        && let Some(seg) = futures_segments(config).first()
    {
        return Err(SessionError::Refused(format!(
            "{}: {seg} trades its future (instrument = \"underlying\"), whose warm-up needs the future's own candles with volume; [data] history = \"breeze\" serves the index, so use history = \"kite\" or \"catalog\"",
            config_path.display()
        )));
    }
    if kind != SessionKind::Live {
        return Ok(());
    }
    if config.engine.mode != Mode::Live {
        return Err(SessionError::Refused(format!(
            "live-bin places real orders and needs `mode = \"live\"` under [engine] in the config; {} says mode = \"{}\" (spec §10.6)",
            config_path.display(),
            config.engine.mode.dir()
        )));
    }
    if !confirm_live {
        return Err(SessionError::Refused(
            "live-bin places REAL orders with real money: pass --confirm-live to start (spec §10.6)"
                .into(),
        ));
    }
    Ok(())
}

/// The loud banner printed before a live session starts.
pub fn live_banner(base_url: &str, user: &str, segments: &[Segment], date: NaiveDate) -> String {
    let segs: Vec<&str> = segments.iter().map(|s| s.code()).collect();
    let line = "!".repeat(72);
    format!(
        "{line}\n!!  LIVE TRADING: REAL ORDERS, REAL MONEY\n!!  broker {base_url}  user {user}\n!!  date {date}  segments {}\n!!  Ctrl+C stops entries and leaves positions open (unless --square-off-on-exit)\n{line}",
        segs.join(",")
    )
}

/// The `[kite]` table of the configuration as adapter settings (defaults when absent).
///
/// # Errors
/// [`SessionError::Settings`] naming the file and the bad or unknown key.
pub fn kite_settings(config: &Config, path: &Path) -> Result<KiteSettings, SessionError> {
    let table = config.kite.clone().unwrap_or_default();
    toml::Value::Table(table)
        .try_into::<KiteSettings>()
        .map_err(|e| SessionError::Settings {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })
}

pub(crate) fn segments_of(config: &Config) -> Vec<Segment> {
    let mut s = config.engine.segments.clone();
    s.sort();
    s.dedup();
    s
}

/// Write the engine's checkpoint when its version moved. The file is written (and fsynced)
/// on tokio's blocking pool, never on a runtime thread.
/// The last checkpoint written: the engine's version and its event count (an index tick
/// moves the version only: that write skips the fsync; an event makes it durable).
struct Written {
    version: u64,
    events: usize,
}

fn checkpoint(
    engine: &Engine,
    path: &Path,
    written: &mut Written,
) -> impl Future<Output = Result<(), SessionError>> + use<> {
    // The snapshot is taken now: the returned future borrows nothing of the engine (a failed
    // write ends the session, so the version is recorded up front).
    let due = (engine.version() != written.version).then(|| {
        let durable = engine.events().len() != written.events;
        written.version = engine.version();
        written.events = engine.events().len();
        (engine.checkpoint(), path.to_path_buf(), durable)
    });
    async move {
        match due {
            Some((cp, file, durable)) => write_off_thread(file, cp, durable).await,
            None => Ok(()),
        }
    }
}

async fn write_off_thread(
    path: PathBuf,
    cp: engine::checkpoint::Checkpoint,
    durable: bool,
) -> Result<(), SessionError> {
    let file = path.clone();
    tokio::task::spawn_blocking(move || write_checkpoint_with(&file, &cp, durable))
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(|source| SessionError::Checkpoint { path, source })
}

/// Why a running session is asked to stop (graceful: entries stopped, checkpoint written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Journaled as `entries stopped: <reason>`.
    pub reason: String,
    /// Leave positions open even with `--square-off-on-exit` (a console rebuild: the next
    /// session restores them from the checkpoint).
    pub keep_positions: bool,
}

impl Stop {
    /// Ctrl+C (the CLI's shutdown).
    pub fn ctrl_c() -> Self {
        Self {
            reason: "shutdown requested (Ctrl+C)".into(),
            keep_positions: false,
        }
    }
}

/// Run one session until the market closes (15:30 IST on the exchange clock), the feed ends,
/// or `shutdown` resolves (graceful stop, as Ctrl+C). No console link: see
/// [`run_session_with`].
///
/// # Errors
/// A refused start ([`check_guardrails`], a non-trading day, a contract mismatch), an invalid
/// session at start (run `login`), or an engine/journal failure.
pub async fn run_session(
    opts: SessionOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<SessionOutcome, SessionError> {
    run_session_with(
        opts,
        async {
            shutdown.await;
            Stop::ctrl_c()
        },
        None,
    )
    .await
}

/// [`run_session`] with a graceful [`Stop`] and an optional console [`SessionLink`]: commands
/// are applied on the engine's own step (checkpoint after, as after a tick) and the state is
/// published after every step that moved it (see [`crate::link`]). The link's published
/// state is marked ended however the session ends.
///
/// # Errors
/// As [`run_session`].
pub async fn run_session_with(
    opts: SessionOptions,
    shutdown: impl Future<Output = Stop>,
    mut link: Option<SessionLink>,
) -> Result<SessionOutcome, SessionError> {
    if let Some(l) = &link {
        l.published().begin(opts.kind.mode().code());
    }
    let out = session_body(opts, shutdown, &mut link).await;
    if let Some(l) = &link {
        l.published().end();
    }
    out
}

async fn session_body(
    opts: SessionOptions,
    shutdown: impl Future<Output = Stop>,
    link: &mut Option<SessionLink>,
) -> Result<SessionOutcome, SessionError> {
    let SessionOptions {
        kind,
        mut config,
        config_path,
        date,
        journal_root,
        confirm_live,
        square_off_on_exit,
        resolve_unknown,
    } = opts;
    check_guardrails(kind, &config, &config_path, confirm_live)?;
    // `[universe]` (seed 001's scanner): one stock agent per symbol of the list.
    config
        .expand_universe()
        .map_err(|e| SessionError::Refused(e.to_string()))?;
    let mode = kind.mode();
    let calendar = MarketCalendar::builtin();
    if !calendar.is_trading_day(date) {
        return Err(SessionError::Refused(format!(
            "{date} is not a trading day (weekend or exchange holiday)"
        )));
    }
    let settings = kite_settings(&config, &config_path)?;
    // The database store (issue 14): unreachable → the session does not start.
    let mut store = SessionStore::open(&config, &config_path, &journal_root, mode.dir()).await?;
    let base_url = settings.api_base_url.clone();
    let client = KiteClient::from_session(settings.clone())?;
    if let Some(l) = link.as_ref() {
        l.published().attach_client(&client);
    }
    let profile = client.validate_session().await.map_err(|e| match e {
        KiteError::SessionInvalid(m) => {
            SessionError::Refused(format!("Kite session invalid ({m}): run `login` first"))
        }
        other => SessionError::Kite(other),
    })?;
    let segments = segments_of(&config);
    if kind == SessionKind::Live {
        eprintln!(
            "{}",
            live_banner(&base_url, &profile.user_id, &segments, date)
        );
    }
    tracing::info!(target: "live", mode = mode.code(), %date, user = profile.user_id, "session starting");

    // Contracts: the day's dump, checked against the configuration (spec §5).
    let mut exchanges: Vec<Exchange> = segments.iter().map(|s| s.exchange()).collect();
    exchanges.sort_by_key(|e| format!("{e}"));
    exchanges.dedup();
    let master = InstrumentsMaster::load(&client, &exchanges, date)
        .await
        .map_err(|e| SessionError::Refused(format!("instruments: {e}")))?;
    for seg in &segments {
        master
            .check_config(*seg, date, config.options.skip_expiry_day, None)
            .map_err(|e| SessionError::Refused(format!("instruments: {e}")))?;
    }
    // The index tokens the agents watch (an index trading its future watches the future's).
    let on_futures = futures_segments(&config);
    let indices: Vec<Segment> = segments
        .iter()
        .copied()
        .filter(|s| s.index().is_some() && !on_futures.contains(s))
        .collect();
    if !indices.is_empty() {
        verify_index_tokens(&client, &indices)
            .await
            .map_err(|e| SessionError::Refused(format!("index tokens: {e}")))?;
    }
    // An agent watches what it trades when it trades the underlying: a stock its NSE share
    // (`check_config` above refused a share the dump does not list), an index with
    // `instrument = "underlying"` its near-month future (issue 15). Both tokens are the dump's.
    let watch_tokens = underlying_watch_tokens(&config, &master, &segments, date)?;
    // What the session receives is recorded for a later replay (issue 14, `[data] record`).
    let cache_dir = broker_kite::session::expand_home(&settings.instruments_cache_dir);
    let recorder = crate::record::thread::start(
        &config,
        &master,
        &watch_tokens,
        cache_dir,
        &exchanges,
        date,
        store.as_ref().map(SessionStore::writer),
    );

    // Prices for marks and paper fills: the feed's option LTPs, else Black-76 (spec §8).
    let model = ModelParams {
        iv: segments
            .iter()
            .map(|s| (*s, config.segment(*s).iv))
            .collect(),
        default_iv: config.paper.default_iv,
        rate: config.paper.rate,
    };
    let pricer = || Pricer::new(Box::new(NoMarketPremiums), model.clone(), calendar.clone());
    let quotes = QuoteBook::new();
    let (broker, order_feed): (Box<dyn Broker>, Option<OrderFeed>) = match kind {
        SessionKind::Paper => (
            Box::new(
                PaperBroker::new(
                    PaperSettings {
                        slippage_ticks: config.paper.slippage_ticks,
                    },
                    Box::new(pricer()),
                )
                .watching(watch_tokens.iter().copied()),
            ),
            None,
        ),
        SessionKind::Live => {
            let kb = KiteBroker::new(client.clone(), quotes.clone());
            let feed = kb.order_feed();
            (
                Box::new(GuardedBroker::new(
                    Box::new(kb),
                    client.clone(),
                    calendar.clone(),
                )),
                Some(feed),
            )
        }
    };
    // The checkpoint of an earlier run today is restored; one of another day is archived; a
    // corrupt one refuses the start (spec §11).
    let cp_path = checkpoint_path(&journal_root, mode.dir());
    let restore = match read_checkpoint(&cp_path, date) {
        Ok(Found::Today(cp)) => Some(cp),
        Ok(Found::Archived(to)) => {
            tracing::info!(target: "live", archived = %to.display(), "checkpoint of another day archived");
            None
        }
        Ok(Found::Nothing) => None,
        Err(e) => {
            return Err(SessionError::Refused(format!(
                "checkpoint {e}; refusing to start flat with positions possibly open at the broker: fix the file or move it away (after checking the broker's positions)"
            )));
        }
    };
    // Every order the engine hands over is timed from the tick that caused it (issue 12).
    let metrics = link
        .as_ref()
        .map(|l| l.published().metrics().clone())
        .unwrap_or_default();
    let stamp = Arc::new(TickStamp::new());
    let broker: Box<dyn Broker> =
        Box::new(TimingBroker::new(broker, stamp.clone(), metrics.clone()));
    let journal = CsvJournal::append(&journal_root, mode.dir(), date)?;
    let journal_dir = journal.dir().to_path_buf();
    let mut engine_settings = config.engine_settings();
    for s in &mut engine_settings.segments {
        if let Some((_, t)) = watch_tokens.iter().find(|(seg, _)| *seg == s.segment) {
            s.watch_token = Some(*t);
        }
    }
    // `[kite.protective_stop]` (spec §10.3): only where orders reach Kite.
    if kind == SessionKind::Live {
        let p = &settings.protective_stop;
        engine_settings.protective_stop = engine::settings::ProtectiveStopSettings {
            enabled: p.enabled,
            premium_pct: p.premium_pct,
            limit_offset_pct: p.limit_offset_pct,
        };
    }
    let mut engine = Engine::new(EngineParts {
        settings: engine_settings,
        mode,
        date,
        broker,
        marks: Box::new(pricer()),
        contracts: Box::new(master),
        // Journal rows are written on their own thread, off the runtime's threads.
        journal: Box::new(WriterThread::spawn(match &store {
            Some(st) => st.journal(Box::new(journal), mode.dir(), date),
            None => Box::new(journal),
        })?),
        calendar,
        charges: ChargesSchedule::builtin(),
        waits: Some(Arc::new(WallClock)),
    })?;
    // Seed 003's margin check before a hedged short (spec §4.3): Kite's basket margin against
    // the account's funds, where orders reach Kite. Paper fills on its own and checks none.
    if kind == SessionKind::Live {
        engine.set_margins(Arc::new(broker_kite::KiteMargins::new(client.clone())));
    }
    // `[data] history`: Kite (default), Breeze or the catalog (issue 15, crate::warmup).
    let history = crate::warmup::session_history(&config, &client, &watch_tokens)
        .map_err(SessionError::Refused)?;
    engine.warm_up(history.as_ref()).await?;
    let inflight_path = InflightTick::path(&journal_root, mode.dir());
    let inflight = match restore {
        Some(cp) => {
            engine.restore(*cp)?;
            InflightTick::read(&inflight_path, date)
        }
        None => None,
    };
    let mut inflight_log =
        InflightTick::open(&inflight_path).map_err(|source| SessionError::Checkpoint {
            path: inflight_path.clone(),
            source,
        })?;
    // Before any entry: missed order reports, the broker's book, the ticks missed while down
    // (the tick a crash interrupted first), then the book compared (entries blocked on a
    // mismatch), spec §11.
    engine.reconcile_start().await?;
    engine.catch_up_with(history.as_ref(), inflight).await?;
    match resolve_unknown {
        // Applied at the first index tick (an exchange time for the guard, an index price).
        Some(r) => engine.resolve_when_trading(r),
        None => {
            engine.check_book(None).await?;
        }
    }
    let mut written = Written {
        version: u64::MAX,
        events: 0,
    };
    checkpoint(&engine, &cp_path, &mut written).await?;
    link::after_step(link, &engine);

    // Every agent's watched token: the indices' own, the stocks' shares.
    let watched = engine.watched_tokens();
    link::watch(link, &engine);
    let mut feed = KiteFeed::spawn(&client, order_feed.clone(), quotes.clone())?;
    feed.subscribe(&watched)
        .await
        .map_err(|e| SessionError::Refused(format!("subscribe: {e}")))?;
    link::trading(link);

    tokio::pin!(shutdown);
    let mut stop = None;
    let mut interrupted = false;
    let mut report = None;
    'session: loop {
        tokio::select! {
            biased;
            s = &mut shutdown => {
                stop = Some(s);
                interrupted = true;
                break 'session;
            }
            h = storage::next_health(&mut store) => {
                // The database went away or came back: an event, trading goes on.
                storage::note_health(&mut engine, h)?;
                link::after_step(link, &engine);
            }
            (cmd, reply) = link::next_command(link) => {
                // On the engine's own step; the reply never waits for its reader.
                let _ = reply.send(engine.command(cmd).await);
                link::after_step(link, &engine);
                checkpoint(&engine, &cp_path, &mut written).await?;
            }
            ev = feed.next_event() => {
                // The tick-to-intent clock starts as the event leaves the feed.
                let received = Instant::now();
                let Some(ev) = ev else {
                    // The ticker stopped for good.
                    link::set_socket(link, Socket::Down);
                    if client.session().is_valid() {
                        engine.note(None, EngineEvent::Critical, "market data feed stopped for good; ending the session".into(), json!({}))?;
                        break 'session;
                    }
                    engine.set_broker_healthy(false);
                    let why = client.session().invalid_reason().unwrap_or_default();
                    engine.note(None, EngineEvent::Critical,
                        format!("Kite session invalid ({why}): ticker refused, entries blocked; waiting for `login` (session file re-read every {}s)", RELOGIN_POLL.as_secs()),
                        json!({"error": why}))?;
                    checkpoint(&engine, &cp_path, &mut written).await?;
                    link::after_step(link, &engine);
                    loop {
                        tokio::select! {
                            biased;
                            s = &mut shutdown => {
                                stop = Some(s);
                                interrupted = true;
                                break 'session;
                            }
                            (cmd, reply) = link::next_command(link) => {
                                let _ = reply.send(engine.command(cmd).await);
                                link::after_step(link, &engine);
                                checkpoint(&engine, &cp_path, &mut written).await?;
                            }
                            () = tokio::time::sleep(RELOGIN_POLL) => {
                                if let Err(e) = client.reload_session() {
                                    tracing::warn!(target: "live", error = %e, "session file not reloaded");
                                }
                                if client.validate_session().await.is_ok() {
                                    break;
                                }
                            }
                        }
                    }
                    feed = KiteFeed::spawn(&client, order_feed.clone(), quotes.clone())?;
                    let mut tokens = watched.clone();
                    tokens.extend(engine.subscribed_tokens());
                    feed.subscribe(&tokens)
                        .await
                        .map_err(|e| SessionError::Refused(format!("subscribe: {e}")))?;
                    engine.set_broker_healthy(true);
                    engine.note(None, EngineEvent::Session, "Kite session valid again: new feed subscribed, entries allowed".into(), json!({"tokens": tokens}))?;
                    engine.reconcile(None).await?;
                    link::after_step(link, &engine);
                    continue 'session;
                };
                link::observe(link, &ev);
                let reconnected = matches!(ev, domain::ports::MarketEvent::Feed(domain::ports::FeedStatus::Reconnected, _));
                if let domain::ports::MarketEvent::Tick(t) = &ev
                    && engine.segment_of(t.token).is_some()
                {
                    // Written before processing: a crash mid-tick is replayed (spec §11).
                    inflight_log.record(date, t).map_err(|source| SessionError::Checkpoint {
                        path: inflight_path.clone(),
                        source,
                    })?;
                }
                if matches!(ev, domain::ports::MarketEvent::Tick(_)) {
                    stamp.set(received);
                }
                let seen = recorder.is_some().then(|| ev.clone());
                let ended = engine.handle(ev).await;
                stamp.clear();
                // Recorded after the engine stepped it: one channel send.
                if let (Some(r), Some(ev)) = (&recorder, seen) {
                    r.event(ev);
                }
                let ended = ended?;
                link::after_step(link, &engine);
                if let Some(r) = ended {
                    report = Some(r);
                    break 'session;
                }
                if reconnected {
                    // Kite does not resend order updates missed while disconnected.
                    engine.reconcile(None).await?;
                }
                engine.subscribe_traded(&mut feed).await?;
                if !client.session().is_valid() {
                    engine.set_broker_healthy(false);
                }
                checkpoint(&engine, &cp_path, &mut written).await?;
                link::after_step(link, &engine);
            }
        }
    }

    let ended_by_itself = report.is_some();
    let report = match report {
        Some(r) => r,
        None if interrupted => {
            let stop = stop.unwrap_or_else(Stop::ctrl_c);
            engine.stop_entries(&stop.reason)?;
            if square_off_on_exit && !stop.keep_positions {
                engine.note(
                    None,
                    EngineEvent::Session,
                    "--square-off-on-exit: closing open positions".into(),
                    json!({}),
                )?;
                engine.square_off_now().await?;
            } else {
                engine.note(None, EngineEvent::Session, "shutdown: open positions left as they are (pass --square-off-on-exit to close them)".into(), json!({}))?;
            }
            engine.report()
        }
        None => {
            let now = engine.clock().now();
            engine.end_session(now).await?
        }
    };
    if !interrupted {
        // The session ended by itself (the close): the day's workbook beside the CSVs.
        match crate::report::write_day_workbook(&journal_dir, &report, engine.events()).await {
            Ok(p) => tracing::info!(target: "live", file = %p.display(), "day's workbook written"),
            Err(e) => tracing::warn!(target: "live", error = %e, "day's workbook not written"),
        }
    }
    checkpoint(&engine, &cp_path, &mut written).await?;
    link::after_step(link, &engine);
    feed.close();
    if let Some(r) = recorder {
        // Published at the close; stopped earlier, the spools wait for the day's next session.
        let close = domain::time::ist(date, domain::time::session_close());
        let over = (ended_by_itself || engine.clock().now() >= close).then_some(close);
        match r.finish(over).await {
            Ok(()) => tracing::info!(target: "live", published = over.is_some(), "recording ended"),
            Err(e) => {
                tracing::warn!(target: "live", error = %e, "recording incomplete (see the spool under .recording)")
            }
        }
    }
    if let Some(st) = store {
        st.finish().await;
    }
    let latency = metrics.latency();
    tracing::info!(target: "live", %latency, "session latency (exact samples)");
    Ok(SessionOutcome {
        report,
        journal_dir,
        checkpoint: cp_path,
        interrupted,
        latency,
    })
}

/// The index segments of `config` that trade their future (`instrument = "underlying"`).
fn futures_segments(config: &Config) -> Vec<Segment> {
    config
        .engine
        .segments
        .iter()
        .copied()
        .filter(|s| {
            s.index().is_some()
                && config.segment(*s).instrument == engine::settings::Instrument::Underlying
        })
        .collect()
}

/// `(segment, instrument_token)` of every agent that watches what it trades: a stock's NSE
/// `EQ` token, and for an index with `instrument = "underlying"` its near-month future's
/// ([`InstrumentsMaster::future_contract`]: the `FUT` row expiring first on or after `date`).
/// Index agents trading options watch the index token and are not listed.
///
/// # Errors
/// [`SessionError::Refused`] when the dump lists no such future (or its lot differs from
/// the configured one): the agent would have nothing to watch or trade.
fn underlying_watch_tokens(
    config: &Config,
    master: &InstrumentsMaster,
    segments: &[Segment],
    date: NaiveDate,
) -> Result<Vec<(Segment, u32)>, SessionError> {
    let mut out: Vec<(Segment, u32)> = segments
        .iter()
        .filter(|s| s.symbol().is_some())
        .filter_map(|s| master.watch_token(*s).map(|t| (*s, t)))
        .collect();
    for seg in futures_segments(config) {
        let c = master
            .future_contract(seg, date)
            .map_err(|e| SessionError::Refused(format!("instruments: {e}")))?;
        tracing::info!(target: "live", segment = %seg, future = %c.tradingsymbol, expiry = %c.expiry, lot = c.lot_size, "index agent watches and trades its near-month future");
        if let Some(t) = c.instrument_token {
            out.push((seg, t));
        }
    }
    Ok(out)
}
