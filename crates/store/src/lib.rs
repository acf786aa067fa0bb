//! # store — the database of market data and journals (issue 14, spec §9)
//!
//! One schema in two engines, through sqlx with the migrations in `migrations/`:
//! - **SQLite**, embedded, the default: `sqlite://artifacts/kestrel.db` (created if missing);
//! - **PostgreSQL**: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]`; when the
//!   TimescaleDB extension is available, `bars` and `ticks` become hypertables.
//!
//! What it keeps ([`tables`]): 1-minute bars and trade ticks per series per day and the day's
//! instruments dump (the catalog's shapes, spec §9); runs, orders with every status change,
//! fills, trades, events and day summaries (the CSV journals' columns, spec §11); sweep
//! results (issue 13). Money is exact (NUMERIC / decimal text, never a float), times carry
//! their zone and read back in IST.
//!
//! How it is written: the [`StoreWriter`] thread, fed by a bounded queue that never blocks
//! the trading path, batches records into transactions and survives the database going away
//! ([`StoreHealth`]); [`StoreJournal`] is the engine's journal side of it. Whole days (import,
//! export, reads) go through [`Store`] directly. [`StoreDays`] lets the replay read its market
//! data from the store exactly as from the files.

#![warn(missing_docs)]

mod batch;
mod days;
mod db;
mod error;
pub mod import;
mod journal_rows;
mod market;
mod sink;
mod sql;
pub mod tables;
mod url;
mod writer;

pub use days::StoreDays;
pub use db::{CONNECT_TIMEOUT, Store};
pub use error::StoreError;
pub use journal_rows::{DayKey, RunInfo, SweepRow};
pub use sink::StoreJournal;
pub use url::{Backend, STORE_URL_ENV, StoreUrl, redact};
pub use writer::{HealthFn, Record, StoreHealth, StoreWriter};
