//! # engine — one engine, three modes
//!
//! The event loop that ties the crates together through trait objects (spec §2, §3):
//! `dyn MarketData` (ticks) → [`candles`] → `dyn Strategy` (signals) → `RiskEngine` →
//! `dyn Broker` (orders, fills) → positions → `dyn Journal`. Replay, paper and live differ only
//! in which implementations are plugged in. The replay edge (feed, warm-up history, contracts,
//! premiums from the catalog) is `catalog::replay`; one replay day end to end is
//! `backtest::replay_day`.
//!
//! Embeddable: no `process::exit`, no global state; errors are returned.

pub mod agent;
pub mod candles;
pub mod clock;
pub mod config;
pub mod engine;

pub use config::{Config, Mode};
pub use engine::{DayReport, Engine, EngineError, EngineParts};
