//! The session supervisor (spec §12): the process side of the console. It owns the running
//! session (its task, its command sender, its graceful-stop trigger) and the state sessions
//! publish, and implements [`console::backend::Backend`]: the console server takes an
//! `Arc<Supervisor>` and nothing else.
//!
//! - `start`: `enabled: false` stops entries; a running session and no parameters allows
//!   entries again ([`Command::StartEntries`]); otherwise the request is applied over the
//!   base configuration ([`apply_start`]), the running session is stopped gracefully
//!   (entries stopped, checkpoint written, positions left open) and a new session starts with
//!   the new configuration, warm-up included; it restores the positions from the checkpoint
//!   as a restart does (spec §11).
//! - `command`: through the link, applied on the engine's own step; 10 s without a reply is
//!   "engine busy".
//! - `metrics`: the `telemetry` metrics the sessions feed through [`Published`], rendered
//!   for `GET /metrics`.
//! - `history`: past days from the database store of the configuration ([`StoreHistory`],
//!   issue 14), for `?date=` on the console's trades and events, its summary and days.
//! - Sessions that end by themselves (the close, a failure) are reported on the
//!   [`SessionEnd`] channel given by [`Supervisor::new`].

use crate::auth::KiteAuth;
use crate::history::StoreHistory;
use crate::link::{CommandRequest, Published, SessionLink};
use crate::session::{
    SessionError, SessionOptions, SessionOutcome, Stop, kite_settings, run_session_with,
};
use crate::start::{apply_start, check_start_guardrails, has_parameters};
use async_trait::async_trait;
use broker_kite::KiteError;
use console::JournalMode;
use console::backend::{Auth, Backend, Health, StartError, StartReply, StartRequest, Update};
use engine::EventRecord;
use engine::control::{Command, CommandError, CommandReply, Snapshot};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long a command waits for the engine's reply.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// A session that ended by itself (market close, feed gone, failure) — not one replaced by a
/// console start.
#[derive(Debug)]
pub struct SessionEnd {
    /// How it ended.
    pub result: Result<SessionOutcome, SessionError>,
}

/// The running session.
struct Running {
    stop: Option<oneshot::Sender<Stop>>,
    replaced: Arc<AtomicBool>,
    monitor: JoinHandle<()>,
    options: SessionOptions,
}

/// Runs sessions for the console and implements its [`Backend`] port.
pub struct Supervisor {
    base: SessionOptions,
    published: Arc<Published>,
    running: tokio::sync::Mutex<Option<Running>>,
    commands: Mutex<Option<mpsc::Sender<CommandRequest>>>,
    ends: mpsc::UnboundedSender<SessionEnd>,
    auth: KiteAuth,
    history: StoreHistory,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("kind", &self.base.kind)
            .field("date", &self.base.date)
            .finish_non_exhaustive()
    }
}

/// A start refused only because nobody is logged in to Kite (no session file, an invalid
/// token): the console waits for a login.
pub fn needs_login(e: &SessionError) -> bool {
    match e {
        SessionError::Refused(m) => m.starts_with("Kite session invalid"),
        SessionError::Kite(KiteError::SessionInvalid(_)) => true,
        SessionError::Kite(KiteError::Setup(m)) => m.contains("login"),
        _ => false,
    }
}

fn start_error(e: SessionError) -> StartError {
    match e {
        SessionError::Refused(m) => StartError::Refused(m),
        e if needs_login(&e) => StartError::Refused(format!("not logged in to Kite: {e}")),
        other => StartError::Failed(other.to_string()),
    }
}

impl Supervisor {
    /// A supervisor over `base` (the CLI's options: config, date, journal root, flags); no
    /// session runs yet. Returns the receiver of [`SessionEnd`]s.
    ///
    /// # Errors
    /// An invalid `[kite]` table ([`SessionError::Settings`]).
    pub fn new(
        base: SessionOptions,
    ) -> Result<(Arc<Self>, mpsc::UnboundedReceiver<SessionEnd>), SessionError> {
        let settings = kite_settings(&base.config, &base.config_path)?;
        let published = Arc::new(Published::new());
        let (ends, ends_rx) = mpsc::unbounded_channel();
        let own = match base.kind {
            crate::session::SessionKind::Paper => JournalMode::Paper,
            crate::session::SessionKind::Live => JournalMode::Live,
        };
        let history = StoreHistory::new(&base.config, &base.journal_root, own);
        Ok((
            Arc::new(Self {
                auth: KiteAuth::new(settings, published.clone()),
                history,
                base,
                published,
                running: tokio::sync::Mutex::new(None),
                commands: Mutex::new(None),
                ends,
            }),
            ends_rx,
        ))
    }

    /// The base options (from the command line).
    pub fn base(&self) -> &SessionOptions {
        &self.base
    }

    /// What sessions publish (for tests and the CLI).
    pub fn published(&self) -> &Arc<Published> {
        &self.published
    }

    /// Start a session with `opts`, replacing the running one (stopped gracefully first,
    /// positions left for the new one to restore). Returns once the new session trades
    /// (warm-up, restore and reconciliation done, the feed subscribed).
    ///
    /// # Errors
    /// The new session's start failed (refused, Kite, journal): no session runs then.
    pub async fn start_session(&self, opts: SessionOptions) -> Result<(), SessionError> {
        let mut running = self.running.lock().await;
        if let Some(old) = running.take() {
            Self::replace(old).await;
        }
        let (mut link, tx) = SessionLink::new(self.published.clone());
        let trading = link.on_trading();
        let (stop_tx, stop_rx) = oneshot::channel::<Stop>();
        let stop = async move {
            match stop_rx.await {
                Ok(s) => s,
                // The supervisor is gone: the process is ending; run on until dropped.
                Err(_) => std::future::pending().await,
            }
        };
        let mut task = tokio::spawn(run_session_with(opts.clone(), stop, Some(link)));
        tokio::select! {
            ok = trading => {
                if ok.is_err() {
                    // The session dropped its link without trading: it ended; take its result.
                    return Err(match task.await {
                        Ok(Err(e)) => e,
                        Ok(Ok(_)) => SessionError::Refused("the session ended before trading".into()),
                        Err(e) => SessionError::Refused(format!("session task: {e}")),
                    });
                }
            }
            r = &mut task => {
                return Err(match r {
                    Ok(Err(e)) => e,
                    Ok(Ok(_)) => SessionError::Refused("the session ended before trading".into()),
                    Err(e) => SessionError::Refused(format!("session task: {e}")),
                });
            }
        }
        *self
            .commands
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
        let replaced = Arc::new(AtomicBool::new(false));
        let ends = self.ends.clone();
        let was_replaced = replaced.clone();
        let monitor = tokio::spawn(async move {
            let result = match task.await {
                Ok(r) => r,
                Err(e) => Err(SessionError::Refused(format!("session task: {e}"))),
            };
            if was_replaced.load(Ordering::SeqCst) {
                match &result {
                    Ok(_) => tracing::info!(target: "live", "session replaced by a console start"),
                    Err(e) => {
                        tracing::warn!(target: "live", error = %e, "replaced session ended with an error")
                    }
                }
            } else {
                let _ = ends.send(SessionEnd { result });
            }
        });
        *running = Some(Running {
            stop: Some(stop_tx),
            replaced,
            monitor,
            options: opts,
        });
        Ok(())
    }

    /// Stop `old` gracefully for a replacement and wait for its end.
    async fn replace(mut old: Running) {
        if old.monitor.is_finished() {
            return;
        }
        old.replaced.store(true, Ordering::SeqCst);
        if let Some(tx) = old.stop.take() {
            let _ = tx.send(Stop {
                reason: "rebuild requested from the console".into(),
                keep_positions: true,
            });
        }
        let _ = (&mut old.monitor).await;
    }

    /// Stop the running session gracefully (Ctrl+C): its end arrives on the [`SessionEnd`]
    /// channel. `false` when none runs.
    pub async fn stop(&self, stop: Stop) -> bool {
        let mut running = self.running.lock().await;
        match running.as_mut() {
            Some(r) if !r.monitor.is_finished() => {
                r.stop.take().is_some_and(|tx| tx.send(stop).is_ok())
            }
            _ => false,
        }
    }

    /// Whether a session runs.
    pub fn is_running(&self) -> bool {
        self.published.health().session_running
    }

    fn sender(&self) -> Option<mpsc::Sender<CommandRequest>> {
        self.commands
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .filter(|tx| !tx.is_closed())
    }

    fn reply_for(&self, message: String, resumed: bool) -> StartReply {
        let mode = self
            .published
            .health()
            .mode
            .unwrap_or_else(|| self.base.kind.mode().code().to_string());
        let segments = self
            .published
            .snapshot()
            .map(|s| s.segments.iter().map(|c| c.segment).collect())
            .unwrap_or_else(|| self.base.config.engine.segments.clone());
        StartReply {
            message,
            mode,
            segments,
            resumed,
        }
    }
}

#[async_trait]
impl Backend for Supervisor {
    async fn params(&self) -> StartRequest {
        let opts = self.current_options().await;
        let config = opts.as_ref().map_or(&self.base.config, |o| &o.config);
        crate::params::params_of(config, self.base.kind)
    }

    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.published.snapshot()
    }

    fn events(&self, from: usize) -> Vec<EventRecord> {
        self.published.events(from)
    }

    fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.published.subscribe()
    }

    fn health(&self) -> Health {
        self.published.health()
    }

    async fn command(&self, cmd: Command) -> Result<CommandReply, CommandError> {
        let no_session =
            || CommandError::Engine("no session running: POST /live/start-trading".into());
        let tx = self.sender().ok_or_else(no_session)?;
        let (reply_tx, reply_rx) = oneshot::channel();
        let busy = || CommandError::Engine("engine busy".into());
        match tx.try_send((cmd, reply_tx)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => return Err(busy()),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(no_session()),
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, reply_rx).await {
            Ok(Ok(r)) => r,
            // The session ended with the command unanswered.
            Ok(Err(_)) => Err(no_session()),
            Err(_) => Err(busy()),
        }
    }

    async fn start(&self, req: StartRequest) -> Result<StartReply, StartError> {
        let running = self.sender().is_some();
        if req.enabled == Some(false) {
            if !running {
                return Ok(self.reply_for("no session running: nothing to stop".into(), false));
            }
            let r = self
                .command(Command::StopEntries { close_all: false })
                .await
                .map_err(|e| StartError::Failed(e.to_string()))?;
            return Ok(self.reply_for(r.message, false));
        }
        if running && !has_parameters(&req) {
            let r = self
                .command(Command::StartEntries)
                .await
                .map_err(|e| StartError::Failed(e.to_string()))?;
            return Ok(self.reply_for(r.message, true));
        }
        let kind = self.base.kind;
        let config = apply_start(&self.base.config, &req, kind, self.base.date)?;
        check_start_guardrails(kind, &config, &self.base.config_path, &req)?;
        // The running session already trades with these parameters (the page sends its whole
        // form, filled from `GET /live/params`): allow entries, no rebuild.
        if running
            && let Some(cur) = self.current_options().await
            && crate::params::same_trading(&cur.config, &config)
        {
            let r = self
                .command(Command::StartEntries)
                .await
                .map_err(|e| StartError::Failed(e.to_string()))?;
            return Ok(self.reply_for(r.message, true));
        }
        let opts = SessionOptions {
            config,
            confirm_live: req.confirm_live,
            ..self.base.clone()
        };
        // What the session trades: the request's indices and a scanner's `[universe]` stocks
        // (an unreadable list fails the start below with its file and line).
        let mut traded = opts.config.clone();
        let segments = match traded.expand_universe() {
            Ok(()) => crate::session::segments_of(&traded),
            Err(_) => crate::session::segments_of(&opts.config),
        };
        self.start_session(opts).await.map_err(start_error)?;
        // A start is a start: an operator's stop restored from the checkpoint is lifted.
        if self.published.snapshot().is_some_and(|s| s.entries_stopped) {
            self.command(Command::StartEntries)
                .await
                .map_err(|e| StartError::Failed(format!("start entries: {e}")))?;
        }
        let codes: Vec<&str> = segments.iter().map(|s| s.code()).collect();
        Ok(StartReply {
            message: format!(
                "{} session {} for {}: {}",
                self.base.kind.mode().dir(),
                if running { "rebuilt" } else { "started" },
                self.base.date,
                codes.join(", ")
            ),
            mode: kind.mode().code().to_string(),
            segments,
            resumed: false,
        })
    }

    fn auth(&self) -> &dyn Auth {
        &self.auth
    }

    /// The process's `kestrel_*` metrics (they outlive sessions), tick age computed now.
    fn metrics(&self) -> Option<String> {
        Some(self.published.metrics_text())
    }

    /// Past days from the configured store, opened on the first read ([`StoreHistory`]).
    fn history(&self) -> Option<&dyn console::History> {
        Some(&self.history)
    }
}

impl Supervisor {
    /// The options of the running (or last started) session.
    pub async fn current_options(&self) -> Option<SessionOptions> {
        self.running
            .lock()
            .await
            .as_ref()
            .map(|r| r.options.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionKind;

    fn base(dir: &std::path::Path) -> SessionOptions {
        let mut config = config::Config::default();
        config.engine.mode = config::Mode::Paper;
        let kite = format!(
            "api_base_url = \"http://127.0.0.1:9\"\nsession_file = {:?}\n",
            dir.join("missing_session.json").display().to_string()
        );
        config.kite = Some(kite.parse().unwrap());
        SessionOptions {
            kind: SessionKind::Paper,
            config,
            config_path: "x.toml".into(),
            date: chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            journal_root: dir.join("journal"),
            confirm_live: false,
            square_off_on_exit: false,
            resolve_unknown: None,
        }
    }

    #[tokio::test]
    async fn without_a_login_a_start_is_refused_and_nothing_runs() {
        let dir = tempfile::tempdir().unwrap();
        let (sup, _ends) = Supervisor::new(base(dir.path())).unwrap();
        let e = sup.start(StartRequest::default()).await.unwrap_err();
        assert!(
            matches!(&e, StartError::Refused(m) if m.contains("not logged in") && m.contains("login")),
            "{e:?}"
        );
        assert!(!sup.health().session_running);
        assert_eq!(
            sup.command(Command::Pause).await.unwrap_err(),
            CommandError::Engine("no session running: POST /live/start-trading".into())
        );
        // Stopping with nothing running is a no-op, not an error.
        let r = sup
            .start(StartRequest {
                enabled: Some(false),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(!r.resumed && r.message.contains("no session"), "{r:?}");
        // A bad field is refused before anything starts.
        let e = sup
            .start(StartRequest {
                timeframe: Some("7m".into()),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert!(matches!(&e, StartError::Invalid { field, .. } if field == "timeframe"));
        // The login URL needs an API key.
        let e = sup.auth().login_url().unwrap_err();
        assert!(
            matches!(&e, console::backend::AuthError::NotConfigured(m) if m.contains("API key")),
            "{e:?}"
        );
        let st = sup.auth().status().await;
        assert!(!st.authenticated && st.message.unwrap().contains("log in"));
    }

    #[test]
    fn login_errors_are_told_apart() {
        assert!(needs_login(&SessionError::Refused(
            "Kite session invalid (TokenException): run `login` first".into()
        )));
        assert!(needs_login(&SessionError::Kite(KiteError::Setup(
            "no Kite session at /x: run `login` first".into()
        ))));
        assert!(!needs_login(&SessionError::Refused(
            "2024-06-08 is not a trading day".into()
        )));
    }
}
