//! # engine — one engine, three modes
//!
//! The event loop that ties the crates together through trait objects (spec §2, §3):
//! `dyn MarketData` (ticks) → [`candles`] → `dyn Strategy` (signals) → `RiskEngine` →
//! `dyn Broker` (orders, fills) → positions → `dyn Journal`. Replay, paper and live differ only
//! in which implementations are plugged in. The replay edge (feed, warm-up history, contracts,
//! premiums from the catalog) is `catalog::replay`; one replay day end to end is
//! `backtest::replay_day`.
//!
//! ## Where a rule lives
//! - [`engine`]: the [`Engine`], what it is built from ([`EngineParts`]), the day's lifecycle;
//! - [`tick`]: one tick in the four steps of spec §3.1 rule 6;
//! - [`orders`]: the [`orders::OrderManager`] (send, split at the freeze quantity, settle
//!   unknown placements, one `drain()` of outcomes) and how outcomes reach the positions;
//! - [`position`]: entry and sizing, [`position::exits::ExitPolicy`] (every exit of spec §4.4
//!   in priority order), pyramiding, trade rows;
//! - [`risk_glue`], [`controls`], [`checkpoint`], [`events`] ([`EngineEvent`]), [`settings`]
//!   ([`EngineSettings`]), [`agent`] (one per segment).
//!
//! ## Embedding
//! Embeddable: no `process::exit`, no global state; errors are returned. Build an
//! [`EngineSettings`] (by hand, or from the app's TOML with
//! `config::Config::engine_settings` in the crate above), register your strategy as its `strategy` factory (any
//! `strategy::Strategy`), plug your edges into [`EngineParts`] — a `dyn MarketData` feed, a
//! `dyn Broker` (e.g. `broker_paper::PaperBroker`), `dyn PremiumMarks`, `dyn ContractSource`,
//! a `dyn Journal` — then `Engine::new`, `start_day` (or `warm_up`) and `run(&mut feed)`; the
//! [`DayReport`] has the trades. `Engine::events` lists what happened as typed
//! [`EventRecord`]s. A complete program: `crates/engine/examples/embed.rs`
//! (`cargo run -p engine --example embed`).
//!
//! ```no_run
//! # async fn demo(feed: &mut dyn domain::ports::MarketData, parts: engine::EngineParts)
//! #     -> Result<(), Box<dyn std::error::Error>> {
//! let mut engine = engine::Engine::new(parts)?;
//! engine.start_day()?;
//! let report = engine.run(feed).await?;
//! println!("{} trades, net ₹{}", report.summary.total.trades, report.summary.total.net_pnl);
//! # Ok(()) }
//! ```
//!
//! Replaying a catalog day is `backtest::replay_day` (the crate above this one).

pub mod agent;
pub mod candles;
pub mod checkpoint;
pub mod clock;
pub mod control;
pub mod controls;
pub mod engine;
pub mod events;
pub mod orders;
pub mod position;
pub mod reconcile;
pub mod restore;
pub mod risk_glue;
pub mod settings;
pub mod tick;

pub use engine::{DayReport, Engine, EngineError, EngineParts};
pub use events::{EngineEvent, EventRecord};
pub use settings::{EngineSettings, Mode, StopBasis};
