//! Shared by the simulator tests (`parity.rs`, `sim_faults.rs`): start `kite-sim` on a
//! shipped day, run a `paper` or `live-bin` session against it in-process (the binaries are
//! thin wrappers over `live::cli`), and compare trades. Loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use chrono::NaiveDate;
use domain::Trade;
use kestrel_support::{config, data_dir};
use kite_sim::{Fault, Simulator, Speed};
use live::{SessionKind, SessionOptions, SessionOutcome, run_session};
use std::path::Path;

/// The day of the parity test.
pub fn day() -> NaiveDate {
    kestrel_support::date(2024, 6, 3)
}

/// `config/default.toml` with pyramiding off. The simulator streams the day as fast as
/// possible, far ahead of the engine, so an option subscribed after an entry never gets its
/// own ticks in time and pyramid adds (which depend on the option's premium) cannot be
/// compared with replay's; the index-level trades can, trade for trade.
pub fn parity_config() -> config::Config {
    let mut c = config("config/default.toml");
    c.pyramiding.enabled = false;
    c
}

/// A simulator streaming `day()` as fast as possible, with scheduled `faults`.
pub async fn start_sim(faults: Vec<(chrono::NaiveTime, Fault)>) -> Simulator {
    let mut c = kite_sim_cli::sim_config(day(), &parity_config(), data_dir());
    c.speed = Speed::Max;
    c.faults = faults;
    Simulator::start(c).await.expect("simulator starts")
}

/// The catalog a session of [`options`] records into: `<dir>/catalog`.
pub fn recorded_catalog(dir: &Path) -> std::path::PathBuf {
    dir.join("catalog")
}

/// A simulator streaming `day()` at `times` × real time (no faults): traded options get their
/// own ticks while positions are open, which [`start_sim`]'s unpaced stream outruns.
pub async fn start_sim_paced(times: f64) -> Simulator {
    let mut c = kite_sim_cli::sim_config(day(), &parity_config(), data_dir());
    c.speed = Speed::Times(times);
    Simulator::start(c).await.expect("simulator starts")
}

/// Session options for `kind` against `sim`, journal, caches and the recorded catalog under
/// `dir`.
/// `kite_extra`: more `[kite]` keys (TOML), e.g. a short request timeout.
pub fn options(kind: SessionKind, sim: &Simulator, dir: &Path, kite_extra: &str) -> SessionOptions {
    session_options(
        kind,
        sim,
        dir,
        kite_extra,
        parity_config(),
        "config/default.toml",
        day(),
    )
}

/// [`options`] with any configuration `cfg` (read from `config_path`) and trading `date`.
pub fn session_options(
    kind: SessionKind,
    sim: &Simulator,
    dir: &Path,
    kite_extra: &str,
    mut cfg: config::Config,
    config_path: &str,
    date: NaiveDate,
) -> SessionOptions {
    let session = dir.join("kite_session.json");
    sim.write_session_file(&session).expect("session file");
    cfg.engine.mode = kind.mode();
    let kite = format!(
        "api_base_url = {:?}\nticker_url = {:?}\nsession_file = {:?}\ninstruments_cache_dir = {:?}\n{kite_extra}\n[orders]\nmarket_order_style = \"market\"\n",
        sim.base_url(),
        sim.ticker_url(),
        session.display().to_string(),
        dir.join("instruments").display().to_string(),
    );
    cfg.kite = Some(kite.parse().expect("kite table"));
    // The session records the day (issue 14) into the test's folder, never into `data/`.
    cfg.data.record_dir = Some(recorded_catalog(dir));
    SessionOptions {
        kind,
        config: cfg,
        config_path: config_path.into(),
        date,
        journal_root: dir.join("journal"),
        confirm_live: true,
        square_off_on_exit: false,
        resolve_unknown: None,
    }
}

/// Run a session to the end of the streamed day.
pub async fn run(opts: SessionOptions) -> SessionOutcome {
    let kind = opts.kind;
    tokio::time::timeout(
        std::time::Duration::from_secs(300),
        run_session(opts, std::future::pending()),
    )
    .await
    .unwrap_or_else(|_| panic!("{kind:?} session did not finish in 300 s"))
    .unwrap_or_else(|e| panic!("{kind:?} session: {e}"))
}

/// What parity compares (issue 5): segment, signal, entry/exit time and index price, exit
/// reason, option, strike, lots.
pub fn key(t: &Trade) -> String {
    format!(
        "{} {} {}@{} → {}@{} {} {} {} {} lots",
        t.segment.code(),
        t.signal_type.code(),
        domain::time::fmt_iso(&t.entry_time),
        t.index_entry_spot,
        domain::time::fmt_iso(&t.exit_time),
        t.index_exit_spot,
        t.exit_reason.code(),
        t.option_symbol,
        t.strike_price,
        t.lots
    )
}

/// The replay of `day()` with the default config (on a blocking thread: the replay runs its
/// own runtime).
pub async fn replay_day() -> journal::MemoryJournal {
    let j = tokio::task::spawn_blocking(|| kestrel_support::replay(parity_config(), day()))
        .await
        .expect("replay");
    assert!(!j.trades.is_empty(), "the replay of {} has trades", day());
    j
}

/// The replay's trades of `day()` with the default config, as keys.
pub async fn replay_keys() -> Vec<String> {
    replay_day().await.trades.iter().map(key).collect()
}

/// Keys of a session's trades.
pub fn keys(out: &SessionOutcome) -> Vec<String> {
    out.report.trades.iter().map(key).collect()
}

/// `orders.csv` rows of a journal folder as (tag, status) per row.
pub fn journal_orders(dir: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(dir.join("orders.csv")).expect("orders.csv");
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (tag, status) = (col("tag"), col("status"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[tag].to_string(), rec[status].to_string())
        })
        .collect()
}

/// `events.csv` rows as (kind, message).
pub fn journal_events(dir: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(dir.join("events.csv")).expect("events.csv");
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (kind, msg) = (col("kind"), col("message"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[kind].to_string(), rec[msg].to_string())
        })
        .collect()
}
