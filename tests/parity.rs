//! Replay/paper/live parity (issue 5, spec §10.4): `kite-sim` streams 2024-06-03 as fast as
//! possible; `paper` (paper fills) and `live-bin` (orders placed in the simulator) trade it;
//! both give the same trades as `replay --date 2024-06-03`, and the simulator's order book
//! holds exactly the orders live-bin journaled, each tag once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_support;

use live::SessionKind;
use sim_support::*;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_and_live_trade_the_streamed_day_like_replay() {
    let expected = replay_keys().await;
    let (paper_sim, live_sim) = (start_sim(vec![]).await, start_sim(vec![]).await);
    let (pdir, ldir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (paper, live) = tokio::join!(
        run(options(SessionKind::Paper, &paper_sim, pdir.path(), "")),
        run(options(SessionKind::Live, &live_sim, ldir.path(), "")),
    );
    assert!(!paper.interrupted && !live.interrupted);
    assert_eq!(keys(&paper), expected, "paper vs replay");
    assert_eq!(keys(&live), expected, "live vs replay");
    assert!(paper.report.trades.iter().all(|t| t.mode == "PAPER"));
    assert!(live.report.trades.iter().all(|t| t.mode == "LIVE"));
    // Paper fills never reach the simulator.
    assert!(
        paper_sim.orders().is_empty(),
        "paper placed orders at the broker"
    );

    // The simulator's book holds exactly the orders live-bin journaled, each tag once.
    let book = live_sim.orders();
    let book_tags: Vec<String> = book
        .iter()
        .map(|o| o.tag.clone().unwrap_or_default())
        .collect();
    let unique: BTreeSet<String> = book_tags.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        book_tags.len(),
        "an order was placed twice: {book_tags:?}"
    );
    let journaled: BTreeSet<String> = journal_orders(&live.journal_dir)
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    assert_eq!(unique, journaled, "simulator book vs live journal");
    assert_eq!(
        book.len(),
        2 * expected.len(),
        "one entry and one exit per trade"
    );
    assert!(book.iter().all(|o| o.status == "COMPLETE"), "{book:?}");

    // The final checkpoint is there and says the day's trades.
    let cp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&live.checkpoint).unwrap()).unwrap();
    assert_eq!(cp["trades"].as_array().map(Vec::len), Some(expected.len()));
    assert_eq!(cp["mode"], "LIVE");
    paper_sim.shutdown().await;
    live_sim.shutdown().await;
}
