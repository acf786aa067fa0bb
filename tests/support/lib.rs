//! Support code shared by the workspace's integration tests (`tests/`) and benches (`benches/`):
//! where the repository and its shipped data are, and a one-call replay of a shipped day.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use backtest::{ReplayContext, replay_day};
use chrono::NaiveDate;
use config::Config;
use journal::{MemoryJournal, SharedJournal};
use std::path::PathBuf;

/// The repository root (where the workspace `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped data catalog, `data/` at the repository root.
pub fn data_dir() -> PathBuf {
    repo_root().join("data")
}

/// The acceptance files copied from `../shared/golden/` into `tests/golden/`.
pub fn golden_dir() -> PathBuf {
    repo_root().join("tests").join("golden")
}

/// A config file of the repository, e.g. `config/default.toml`; panics if it does not load.
pub fn config(path: &str) -> Config {
    Config::load(&repo_root().join(path)).unwrap_or_else(|e| panic!("{e}"))
}

/// Replay `date` of the shipped catalog with `config` (as loaded: validated, then its
/// `[universe]` expanded as `replay` does) and return everything journaled; panics on any
/// error (tests only).
pub fn replay(mut config: Config, date: NaiveDate) -> MemoryJournal {
    config.validate().unwrap_or_else(|e| panic!("config: {e}"));
    config
        .expand_universe()
        .unwrap_or_else(|e| panic!("config: {e}"));
    let ctx = ReplayContext::new(config, catalog::Catalog::open(data_dir()).unwrap()).unwrap();
    let j = SharedJournal::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(replay_day(&ctx, date, Box::new(j.clone())))
        .unwrap_or_else(|e| panic!("replay {date}: {e}"));
    j.snapshot()
}

/// A date from `(year, month, day)`.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}
