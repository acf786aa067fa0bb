//! # engine — one engine, three modes
//!
//! The event loop that ties the crates together through trait objects (spec §2, §3):
//! `dyn MarketData` (ticks) → [`candles`] → `dyn Strategy` (signals) → `RiskEngine` →
//! `dyn Broker` (orders, fills) → positions → `dyn Journal`. Replay, paper and live differ only
//! in which implementations are plugged in; [`replay`] holds the replay edge.
//!
//! Embeddable: no `process::exit`, no global state; errors are returned.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use engine::{config::Config, replay::{ReplayContext, replay_day}};
//! let ctx = ReplayContext::new(Config::default(), catalog::Catalog::open("data")?)?;
//! let date = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
//! let report = replay_day(&ctx, date, Box::new(journal::MemoryJournal::default())).await?;
//! println!("{} trades, net ₹{}", report.summary.total.trades, report.summary.total.net_pnl);
//! # Ok(()) }
//! ```

pub mod agent;
pub mod candles;
pub mod checkpoint;
pub mod clock;
pub mod config;
pub mod controls;
pub mod engine;
pub mod events;
pub mod orders;
pub mod position;
pub mod replay;
pub mod risk_glue;
pub mod settings;
pub mod tick;

pub use config::{Config, Mode};
pub use engine::{DayReport, Engine, EngineError, EngineParts};
pub use events::{EngineEvent, EventRecord};
pub use settings::EngineSettings;
