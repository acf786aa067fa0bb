//! The port between the console and a running process (spec §12). `live` implements it over
//! its session supervisor; tests implement it with a fake.

use async_trait::async_trait;
use domain::Segment;
use engine::EventRecord;
use engine::control::{Command, CommandError, CommandReply, Snapshot};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::broadcast;

/// What the console needs from the process running sessions.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The latest snapshot of the running (or last) session; `None` before any session.
    fn snapshot(&self) -> Option<Arc<Snapshot>>;
    /// Today's events so far (the journal's `events.csv` rows), oldest first, from index
    /// `from` on (the SSE stream resumes with it).
    fn events(&self, from: usize) -> Vec<EventRecord>;
    /// New events as they are journaled (and snapshots as versions move: see [`Update`]).
    fn subscribe(&self) -> broadcast::Receiver<Update>;
    /// Broker session, socket and feed health.
    fn health(&self) -> Health;
    /// Apply a command at the engine's next step. `CommandError::Engine` when no session runs.
    async fn command(&self, cmd: Command) -> Result<CommandReply, CommandError>;
    /// Start (or rebuild, when one runs) the session with `req` applied over the process's
    /// configuration, warm-up included, exactly as the CLI would start it (seed 004 §6.1).
    async fn start(&self, req: StartRequest) -> Result<StartReply, StartError>;
    /// The parameters of the running session (else of the process's configuration) as the
    /// start request that gives them (`GET /live/params`: the page fills its form with them,
    /// so Start without changes resumes rather than rebuilds).
    async fn params(&self) -> StartRequest;
    /// The Kite login side (seed 003 "Daily Setup Process").
    fn auth(&self) -> &dyn Auth;
    /// The process's metrics in the Prometheus text format, version 0.0.4 (`GET /metrics`,
    /// issue 12); `None` (the default): the backend keeps none and the route answers 404.
    fn metrics(&self) -> Option<String> {
        None
    }
    /// Past days from the database store (`?date=` on trades and events, `GET /live/summary`,
    /// `GET /live/days`; issue 14); `None` (the default): the backend keeps none and those
    /// answers are 404.
    fn history(&self) -> Option<&dyn crate::history::History> {
        None
    }
}

/// Pushed to event-stream clients.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    /// A journaled event; `seq` is its index in [`Backend::events`].
    Event {
        /// Index of the event in the day's list.
        seq: usize,
        /// The event.
        event: EventRecord,
    },
    /// The state moved; the new snapshot.
    Snapshot {
        /// The snapshot.
        snapshot: Arc<Snapshot>,
    },
}

/// Health of the edges (spec §12 "health").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// A session runs.
    pub session_running: bool,
    /// `PAPER` or `LIVE` (of the running or last session).
    pub mode: Option<String>,
    /// The Kite session (access token) validates.
    pub broker_session_valid: bool,
    /// The ticker socket: `connected`, `reconnecting`, `down` or `not_started`.
    pub socket: String,
    /// Seconds since the last index tick, wall clock.
    pub last_tick_age_secs: Option<f64>,
    /// Ticker reconnects so far today.
    pub reconnects: u32,
}

/// `POST /live/start-trading` body: seed 004 §6.1's parameters over the configuration, and
/// seed 003's fields. Every field is optional; an unknown field is a 400 naming it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// `paper` or `live` (default: the binary's own). Live needs `mode = "live"` in the config
    /// and `confirm_live: true` here (spec §10.6), and the `live-bin` binary.
    pub mode: Option<String>,
    /// Segments to trade.
    pub segments: Option<Vec<Segment>>,
    /// Candle timeframe: `3m`, `5m`, `15m`, `30m`, `1h`.
    pub timeframe: Option<String>,
    /// RSI period.
    pub rsi_period: Option<u32>,
    /// Initial capital, ₹.
    pub capital: Option<Decimal>,
    /// Stop loss, index points.
    pub sl_points: Option<Decimal>,
    /// Trailing stop, index points.
    pub trailing_stop_points: Option<Decimal>,
    /// ATM → ITM distance, index points.
    pub itm_offset: Option<Decimal>,
    /// Lots of a new entry (seed 003's `num_lots`).
    pub num_lots: Option<u32>,
    /// Pyramiding on/off.
    pub pyramiding: Option<bool>,
    /// Per-segment pyramiding (seed 004 §4.2).
    pub pyramid: Option<BTreeMap<Segment, PyramidParams>>,
    /// Risk limits (seed 004 §6.1 "Risk / Session Parameters").
    pub risk: Option<RiskParams>,
    /// Explicit confirmation for live mode (as `--confirm-live`).
    #[serde(default)]
    pub confirm_live: bool,
    /// Seed 003: `false` means stop (same as `stop-trading`).
    pub enabled: Option<bool>,
    /// Seed 003: must equal the exchange lot size of every traded segment (lot sizes come from
    /// the instruments dump, not from the request).
    pub lot_size: Option<u32>,
    /// Seed 003: maximum open positions.
    pub max_positions: Option<u32>,
    /// Seed 003: hedged selling; `true` is refused (not supported by this engine yet).
    pub use_hedging: Option<bool>,
}

/// Pyramiding of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PyramidParams {
    /// Add when open profit ≥ quantity × this, ₹ per unit.
    pub pyramid_points: Option<Decimal>,
    /// Lots added each time.
    pub lot_addition: Option<u32>,
    /// Maximum units.
    pub max_quantity: Option<u32>,
}

/// Risk limits of a start request (config `[risk]` keys of the same names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskParams {
    /// Trades per segment per day.
    pub max_trades_per_segment: Option<u32>,
    /// Daily net loss that halts entries, ₹ (0 = off).
    pub max_daily_loss: Option<Decimal>,
    /// Daily profit target that stops entries, ₹ (0 = off).
    pub daily_profit_target: Option<Decimal>,
    /// Loss per segment per day, ₹ (0 = off).
    pub max_segment_daily_loss: Option<Decimal>,
    /// First entry time, `HH:MM` or `HH:MM:SS` IST.
    pub entry_window_start: Option<String>,
    /// Last entry time, `HH:MM` or `HH:MM:SS` IST.
    pub entry_window_end: Option<String>,
}

/// What a start did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartReply {
    /// One line, e.g. `paper session started for 2024-06-03: NIFTY, BANKNIFTY`.
    pub message: String,
    /// `PAPER` or `LIVE`.
    pub mode: String,
    /// Segments traded.
    pub segments: Vec<Segment>,
    /// A session was already running and only entries were allowed again (no rebuild).
    pub resumed: bool,
}

/// Why a start was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StartError {
    /// A field is invalid (400 naming it).
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as named in the body.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A guardrail refused (403): live without configuration or confirmation, not a trading
    /// day, not logged in.
    #[error("{0}")]
    Refused(String),
    /// Starting failed (500/502): Kite, instruments, journal.
    #[error("{0}")]
    Failed(String),
}

/// The Kite login flow (kite-connect.md §2; the `login` binary's, from the console).
#[async_trait]
pub trait Auth: Send + Sync {
    /// Kite's login URL for the configured API key.
    fn login_url(&self) -> Result<String, AuthError>;
    /// Exchange the redirect's `request_token` (checksum with the API secret), store the
    /// session 0600 as `login` does, and make running sessions use it.
    async fn complete(&self, request_token: &str) -> Result<AuthStatus, AuthError>;
    /// Whether the stored session validates now (`GET /user/profile`).
    async fn status(&self) -> AuthStatus;
}

/// Auth state, never with a token in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthStatus {
    /// The stored session validates.
    pub authenticated: bool,
    /// Kite user id, when authenticated.
    pub user_id: Option<String>,
    /// Why not, when not.
    pub message: Option<String>,
    /// When the stored session was created (login time), ISO 8601.
    pub login_time: Option<String>,
}

/// Why a login step failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    /// Bad input (400 naming the field), e.g. an empty `request_token`.
    #[error("{field}: {message}")]
    Invalid {
        /// Field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Not configured (API key or secret missing from env/secrets file).
    #[error("{0}")]
    NotConfigured(String),
    /// Kite refused (401/502).
    #[error("Kite: {0}")]
    Kite(String),
}
