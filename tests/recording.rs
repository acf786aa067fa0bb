//! Recording (issue 14): a paper session on `kite-sim` (2024-06-03 at 600× real time) records what it receives into a temporary catalog; then
//! (a) the recorded NIFTY and BANKNIFTY bars of the day equal the shipped `data/` bars the
//!     simulator streamed,
//! (b) the day's instruments dump is there and parses,
//! (c) replaying the recorded day (plus the shipped sessions before it that warm-up needs,
//!     copied in) gives the same trades as the paper session, premiums and P&L included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_support;

use backtest::{ReplayContext, replay_day};
use catalog::Catalog;
use chrono::NaiveDate;
use journal::{MemoryJournal, SharedJournal};
use kestrel_support::data_dir;
use live::SessionKind;
use sim_support::*;
use std::path::Path;

/// Replay `date` of the catalog at `root` with `config`.
fn replay_from(root: &Path, config: config::Config, date: NaiveDate) -> MemoryJournal {
    let ctx = ReplayContext::new(config, Catalog::open(root).unwrap()).unwrap();
    let j = SharedJournal::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(replay_day(&ctx, date, Box::new(j.clone())))
        .unwrap_or_else(|e| panic!("replay of the recorded {date}: {e}"));
    j.snapshot()
}

/// Copy the catalog tree at `from` into `to` (hidden folders excluded, as the catalog does).
fn copy_catalog(from: &Path, to: &Path) {
    for series in std::fs::read_dir(from).unwrap() {
        let series = series.unwrap();
        let name = series.file_name().into_string().unwrap();
        if name.starts_with('.') || !series.path().is_dir() {
            continue;
        }
        std::fs::create_dir_all(to.join(&name)).unwrap();
        for f in std::fs::read_dir(series.path()).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), to.join(&name).join(f.file_name())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_paper_day_replays_to_the_same_trades() {
    // Paced (the day in about 40 s), so traded options' ticks arrive while they are held.
    let sim = start_sim_paced(600.0).await;
    let dir = tempfile::tempdir().unwrap();
    let opts = options(SessionKind::Paper, &sim, dir.path(), "");
    let config = opts.config.clone();
    let paper = run(opts).await;
    sim.shutdown().await;
    assert!(!paper.interrupted);
    assert!(!paper.report.trades.is_empty(), "the paper day has trades");
    let recorded = Catalog::open(recorded_catalog(dir.path())).unwrap();
    let shipped = Catalog::open(data_dir()).unwrap();

    // (a) The index bars are the shipped ones, bar for bar.
    for series in ["NIFTY", "BANKNIFTY"] {
        let expected: Vec<domain::Bar> = shipped
            .bars(series, day())
            .unwrap()
            .into_iter()
            .filter(catalog::replay::ticks::in_session)
            .collect();
        assert_eq!(recorded.bars(series, day()).unwrap(), expected, "{series}");
    }
    // The traded options' ticks are recorded under their tradingsymbols.
    for t in &paper.report.trades {
        assert!(
            recorded.has_ticks(&t.option_symbol, day()),
            "no ticks of {}",
            t.option_symbol
        );
    }
    // Nothing is left in the spool once the day is published.
    assert!(!recorded_catalog(dir.path()).join(".recording").exists());

    // (b) The instruments dump: Kite's CSV with every traded option in it.
    let dump = recorded_catalog(dir.path())
        .join(".instruments")
        .join(format!("{}.csv", day()));
    let mut rdr = csv::Reader::from_path(&dump).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).expect(n);
    let (token, symbol) = (col("instrument_token"), col("tradingsymbol"));
    let mut symbols = std::collections::BTreeSet::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        rec[token].parse::<u32>().unwrap();
        symbols.insert(rec[symbol].to_string());
    }
    for t in &paper.report.trades {
        assert!(symbols.contains(&t.option_symbol), "{}", t.option_symbol);
    }

    // (c) Replay of the recorded day with the shipped warm-up sessions before it.
    let replay_root = dir.path().join("replay-catalog");
    copy_catalog(&recorded_catalog(dir.path()), &replay_root);
    let warmup = config.engine.warmup_sessions;
    for series in ["NIFTY", "BANKNIFTY"] {
        let before: Vec<NaiveDate> = shipped
            .bar_dates(series)
            .unwrap()
            .into_iter()
            .filter(|d| *d < day())
            .collect();
        for d in &before[before.len() - warmup as usize..] {
            let from = shipped
                .day_file(series, *d, catalog::FileKind::Bars)
                .unwrap();
            std::fs::copy(
                &from,
                replay_root.join(series).join(from.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    let root = replay_root.clone();
    let replayed = tokio::task::spawn_blocking(move || replay_from(&root, config, day()))
        .await
        .unwrap();
    let replay_keys: Vec<String> = replayed.trades.iter().map(key).collect();
    assert_eq!(
        replay_keys,
        keys(&paper),
        "replay of the recorded day vs paper"
    );
    // And the premiums: the exits are priced from the recorded option ticks (the session's
    // own LTPs), the entries (before the option was subscribed) from the same model.
    let prices = |t: &domain::Trade| {
        format!(
            "{} {} {} {} {:?}",
            t.option_symbol, t.entry_price, t.exit_price, t.net_pnl, t.premium_source
        )
    };
    let paper_prices: Vec<String> = paper.report.trades.iter().map(prices).collect();
    let replay_prices: Vec<String> = replayed.trades.iter().map(prices).collect();
    assert_eq!(replay_prices, paper_prices, "premiums and P&L");
}

/// A session stopped before the close publishes nothing and keeps its spool; the next session
/// of the day continues it and publishes the whole day at the close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_stopped_early_keeps_its_spool_for_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let cat_root = recorded_catalog(dir.path());
    let spool = cat_root.join(".recording").join(day().to_string());
    let shipped = Catalog::open(data_dir())
        .unwrap()
        .bars("NIFTY", day())
        .unwrap();

    let sim = start_sim_paced(600.0).await;
    let opts = options(SessionKind::Paper, &sim, dir.path(), "");
    let first = tokio::time::timeout(
        std::time::Duration::from_secs(300),
        live::run_session(opts, tokio::time::sleep(std::time::Duration::from_secs(12))),
    )
    .await
    .unwrap()
    .unwrap();
    sim.shutdown().await;
    assert!(first.interrupted);
    assert!(
        !cat_root.join("NIFTY").exists(),
        "published before the close"
    );
    let text = std::fs::read_to_string(spool.join("NIFTY.csv")).unwrap();
    let spooled = catalog::format::read_bars(text.as_bytes(), &spool, Some(day())).unwrap();
    assert!(!spooled.is_empty() && spooled.len() < shipped.len());
    assert_eq!(spooled[..], shipped[..spooled.len()], "spooled bars");

    // The next session of the day (a new simulator streams the day again from the open).
    let sim = start_sim_paced(600.0).await;
    let second = run(options(SessionKind::Paper, &sim, dir.path(), "")).await;
    sim.shutdown().await;
    assert!(!second.interrupted);
    let recorded = Catalog::open(&cat_root).unwrap();
    assert_eq!(recorded.bars("NIFTY", day()).unwrap(), shipped);
    assert!(!spool.exists(), "spool published and removed");
}
