//! # console — the trader's console (spec §12; seeds 003, 004 §6)
//!
//! An HTTP server (axum) that `paper` and `live-bin` run beside the session. It never touches
//! the engine: it reads what the session publishes and sends commands through the
//! [`backend::Backend`] port, which the session runner implements (crate `live`).
//!
//! - [`backend`]: the port (snapshot, events, commands, start/stop, auth, health).

pub mod backend;
