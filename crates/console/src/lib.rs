//! # console — the trader's console (spec §12; seeds 003, 004 §6)
//!
//! An HTTP server (axum) that `paper` and `live-bin` run beside the session. It never touches
//! the engine: it reads what the session publishes and sends commands through the
//! [`backend::Backend`] port, which the session runner implements (crate `live`).
//!
//! - [`backend`]: the port (snapshot, events, commands, start/stop, auth, health);
//! - [`auth`]: the API token (env or 0600 file) and the constant-time bearer check;
//! - [`server`]: [`ConsoleConfig`], [`Console`] (bind, then run), [`serve`], the guard (token,
//!   rate limit);
//! - [`error`]: the JSON error body and the status of each port error;
//! - [`extract`]: JSON bodies whose errors name the field;
//! - `routes`: the JSON routes (seed 003's paths);
//! - [`history`]: past days from the database store (`?date=`, `/live/summary`, `/live/days`);
//! - [`stream`]: `GET /live/stream`, Server-Sent Events of [`Update`]s, resumable;
//! - [`download`]: trades/events CSV (the journal's writers) and the Excel report;
//! - [`page`]: the Live Trader page (`assets/`), served at `/` and `/live_trading.html`.
//!
//! Every route, its body and answer: `docs/console.md`.

pub mod auth;
pub mod backend;
pub mod download;
pub mod error;
pub mod extract;
pub mod history;
pub mod page;
mod routes;
pub mod server;
pub mod stream;

pub use auth::{ApiToken, TokenError, TokenSource};
pub use backend::{
    Auth, AuthError, AuthStatus, Backend, Health, StartError, StartReply, StartRequest, Update,
};
pub use error::{ApiError, ConsoleError};
pub use history::{History, HistoryError, JournalMode};
pub use server::{Console, ConsoleConfig, serve};
