//! A paper day in the database store (issue 14), against a real PostgreSQL of the test's own
//! (`pg_test::PrivateCluster`) and `kite-sim` streaming 2024-06-03 at 600× real time:
//! - the database is stopped a few seconds into the session and started again later: the
//!   outage is a critical event, trading and the CSV journals go on, and when the database is
//!   back the writer catches up — at the end the store holds every orders/fills/trades/events
//!   row of the CSV journals, in order, and the day's summary;
//! - the session records the day into the store: the index bars are the shipped bars, and a
//!   replay that reads its market data from the store (the recorded day plus the warm-up
//!   sessions imported) gives the session's trades.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_support;

use backtest::{ReplayContext, replay_day};
use catalog::Catalog;
use journal::SharedJournal;
use kestrel_support::data_dir;
use live::SessionKind;
use sim_support::*;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store::{Store, StoreDays, StoreUrl};

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_day_survives_the_database_going_away_and_replays_from_the_store() {
    let Some(mut pg) = pg_test::PrivateCluster::for_test("store_session") else {
        return;
    };
    let url = StoreUrl::parse(&pg.url()).unwrap();
    let sim = start_sim_paced(600.0).await;
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(SessionKind::Paper, &sim, dir.path(), "");
    opts.config.store.url = Some(pg.url());
    let config = opts.config.clone();

    // The outage: from 6 s to 14 s into the ~40 s day.
    let outage = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_secs(6));
        pg.stop().unwrap();
        std::thread::sleep(Duration::from_secs(8));
        pg.start_again().unwrap();
        pg
    });
    let paper = run(opts).await;
    let _pg = outage.await.unwrap();
    sim.shutdown().await;
    assert!(!paper.interrupted);
    assert!(!paper.report.trades.is_empty(), "the paper day has trades");

    // The outage is in the event log: critical while down, a note when back.
    let events = csv_rows(&paper.journal_dir.join("events.csv"));
    let down = events
        .iter()
        .position(|e| e[2] == "critical" && e[3].starts_with("store unreachable"))
        .unwrap_or_else(|| panic!("no critical store event in {events:?}"));
    assert!(
        events[down..]
            .iter()
            .any(|e| e[3].starts_with("store back after")),
        "no store-back event"
    );

    // Nothing lost: every CSV row is in the store, in order.
    let store = Store::connect(&url).await.unwrap();
    for (file, table) in [
        ("orders.csv", &store::tables::ORDERS),
        ("fills.csv", &store::tables::FILLS),
        ("trades.csv", &store::tables::TRADES),
        ("events.csv", &store::tables::EVENTS),
    ] {
        let want = csv_rows(&paper.journal_dir.join(file));
        let got = store.journal_rows(table, "paper", day()).await.unwrap();
        assert_eq!(got, want, "{file}");
    }
    let summary: journal::DaySummary =
        serde_json::from_slice(&std::fs::read(paper.journal_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(store.summary("paper", day()).await.unwrap(), Some(summary));

    // The recorded day: index bars as shipped, the instruments dump, traded options' ticks.
    let shipped = Catalog::open(data_dir()).unwrap();
    for series in ["NIFTY", "BANKNIFTY"] {
        let expected: Vec<domain::Bar> = shipped
            .bars(series, day())
            .unwrap()
            .into_iter()
            .filter(catalog::replay::ticks::in_session)
            .collect();
        assert_eq!(
            store.bars(series, day()).await.unwrap(),
            expected,
            "{series}"
        );
    }
    assert!(store.instruments(day(), "kite").await.unwrap().is_some());
    for t in &paper.report.trades {
        assert!(
            !store
                .ticks(&t.option_symbol, day())
                .await
                .unwrap()
                .is_empty(),
            "{}",
            t.option_symbol
        );
    }

    // Replay from the store: the recorded day plus the warm-up sessions imported.
    let before: Vec<_> = shipped
        .bar_dates("NIFTY")
        .unwrap()
        .into_iter()
        .filter(|d| *d < day())
        .collect();
    let warmup = &before[before.len() - config.engine.warmup_sessions as usize..];
    let sel = store::import::Selection {
        series: vec!["NIFTY".into(), "BANKNIFTY".into()],
        from: warmup.first().copied(),
        to: warmup.last().copied(),
    };
    store::import::import_catalog(&shipped, &store, &sel, |_, _| {})
        .await
        .unwrap();
    store.close().await;
    let replayed = tokio::task::spawn_blocking(move || {
        let cat = Catalog::from_source(Arc::new(StoreDays::open(&url).unwrap())).cached();
        let ctx = ReplayContext::new(config, cat).unwrap();
        let j = SharedJournal::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(replay_day(&ctx, day(), Box::new(j.clone())))
            .unwrap();
        j.snapshot()
    })
    .await
    .unwrap();
    let replay_keys: Vec<String> = replayed.trades.iter().map(key).collect();
    assert_eq!(replay_keys, keys(&paper), "replay from the store vs paper");
}

/// A wrong or unreachable store refuses the session at start, with one line and no password,
/// before anything is traded or journaled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_refuses_the_session_with_one_line() {
    let sim = start_sim(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(SessionKind::Paper, &sim, dir.path(), "");
    opts.config.store.url = Some("postgres://kestrel:hunter2@127.0.0.1:1/kestrel".into());
    let journal = opts.journal_root.clone();
    let err = live::session::run_session(opts, std::future::pending())
        .await
        .expect_err("the session is refused")
        .to_string();
    sim.shutdown().await;
    assert!(
        err.contains("store postgres://kestrel:***@127.0.0.1:1/kestrel: cannot connect"),
        "{err}"
    );
    assert!(!err.contains('\n') && !err.contains("hunter2"), "{err}");
    assert!(!journal.join("paper").exists(), "nothing journaled");
}
