//! # live — paper and live sessions on Kite market data
//!
//! Wires the same [`engine::Engine`] that `replay` uses to the Kite edges of `broker-kite`
//! (spec §1, §10): [`session::run_session`] runs one day; [`guard`] holds the live-order
//! guardrails of spec §10.6; [`checkpoint`] the atomic state file of spec §11; [`cli`] the
//! command line of the `paper` and `live-bin` binaries, which are thin wrappers over it.
//!
//! The console's backend (spec §12): [`supervisor::Supervisor`] runs sessions and implements
//! `console::backend::Backend`; [`link`] carries commands into a session and its snapshots,
//! events and health out; [`start`] applies a start request over the configuration; [`auth`]
//! is the Kite login from the console; [`timing`] times the orders the engine hands to the
//! broker (tick-to-intent, order round trip) for the `telemetry` metrics served at
//! `GET /metrics`; [`record`] records what a session receives (ticks, 1-minute bars, the
//! instruments dump) into the catalog so the day can be replayed (issue 14).
//!
//! Against the bundled simulator (`kite-sim`, spec §10.4) nothing real is at stake; against
//! real Kite, `live-bin` needs `mode = "live"` and `--confirm-live`.
#![warn(missing_docs)]

pub mod auth;
pub mod checkpoint;
pub mod cli;
pub mod guard;
pub mod history;
pub mod link;
pub mod notify;
pub mod params;
pub mod record;
pub mod report;
pub mod session;
pub mod start;
pub mod storage;
pub mod supervisor;
pub mod timing;
pub mod warmup;

pub use session::{
    SessionError, SessionKind, SessionOptions, SessionOutcome, Stop, run_session, run_session_with,
};
pub use supervisor::{SessionEnd, Supervisor};
