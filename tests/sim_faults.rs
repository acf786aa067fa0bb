//! Fault tests against the simulator (issue 5, spec §10.2, §10.4, §10.6): a socket drop in
//! the middle of a position, a placement that times out, a rejected entry, an expired token
//! (403) and rate limiting (429). `live-bin`'s session runs in-process against `kite-sim` on
//! 127.0.0.1; nothing leaves the machine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_support;

use chrono::{NaiveTime, TimeDelta};
use kite_sim::Fault;
use live::SessionKind;
use sim_support::*;
use std::collections::BTreeSet;
use std::time::Duration;

fn t(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).unwrap()
}

/// The socket drops while the first trade is open: the feed reconnects and resubscribes, the
/// simulator holds the day while nobody listens, and the stop fires on the same tick as in
/// replay (every trade equal).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_drop_mid_position_keeps_the_stop_on_time() {
    let replay = replay_day().await;
    let first = &replay.trades[0];
    let mid = first.entry_time + (first.exit_time - first.entry_time) / 2;
    assert!(mid > first.entry_time && mid < first.exit_time);
    let drop_at = (mid + TimeDelta::seconds(1)).time();
    let sim = start_sim(vec![(drop_at, Fault::DropSocket)]).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(options(SessionKind::Live, &sim, dir.path(), "")).await;
    assert_eq!(
        keys(&out),
        replay.trades.iter().map(key).collect::<Vec<_>>()
    );
    let events = journal_events(&out.journal_dir);
    assert!(
        events
            .iter()
            .any(|(k, m)| k == "feed" && m.contains("Reconnected")),
        "no reconnect journaled: {events:?}"
    );
    sim.shutdown().await;
}

/// A placement whose HTTP answer comes after the client's timeout is settled by its tag in
/// the order book: no duplicate order, the trade goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_timeout_places_no_duplicate() {
    let expected = replay_keys().await;
    let sim = start_sim(vec![(
        t(9, 15, 0),
        Fault::DelayPlacement {
            delay: Duration::from_millis(2500),
            count: 1,
        },
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(options(
        SessionKind::Live,
        &sim,
        dir.path(),
        "request_timeout_ms = 1000",
    ))
    .await;
    let book = sim.orders();
    let tags: Vec<String> = book
        .iter()
        .map(|o| o.tag.clone().unwrap_or_default())
        .collect();
    let unique: BTreeSet<String> = tags.iter().cloned().collect();
    assert_eq!(unique.len(), tags.len(), "duplicate order: {tags:?}");
    let journaled: BTreeSet<String> = journal_orders(&out.journal_dir)
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    assert_eq!(unique, journaled);
    assert_eq!(keys(&out), expected);
    sim.shutdown().await;
}

/// An entry the broker rejects is journaled, the agent goes back to waiting, and later
/// signals still trade.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_entry_is_logged_and_the_agent_waits_again() {
    let expected = replay_keys().await;
    let sim = start_sim(vec![(
        t(9, 15, 0),
        Fault::RejectOrders {
            count: 1,
            message: "RMS: margin exceeds (simulated)".into(),
        },
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(options(SessionKind::Live, &sim, dir.path(), "")).await;
    let events = journal_events(&out.journal_dir);
    assert!(
        events
            .iter()
            .any(|(k, m)| k == "entry_failed" && m.contains("back to waiting")),
        "{events:?}"
    );
    let rejected: Vec<_> = sim
        .orders()
        .into_iter()
        .filter(|o| o.status == "REJECTED")
        .collect();
    assert_eq!(rejected.len(), 1);
    let got = keys(&out);
    assert!(!got.contains(&expected[0]), "the rejected entry traded");
    assert!(!got.is_empty(), "no trade after the rejection");
    sim.shutdown().await;
}

/// The token expires (403) as the day starts: the ticker is refused, entries are blocked with
/// a critical event, nothing crashes; once the session validates again the runner starts a new
/// feed and the day trades exactly as in replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_blocks_then_recovers() {
    let expected = replay_keys().await;
    let sim = start_sim(vec![(t(9, 15, 0), Fault::ExpireToken)]).await;
    let dir = tempfile::tempdir().unwrap();
    let opts = options(SessionKind::Live, &sim, dir.path(), "");
    let session = tokio::spawn(run(opts));
    tokio::time::sleep(Duration::from_secs(6)).await;
    sim.inject(Fault::RestoreToken);
    let out = session.await.expect("no panic");
    let events = journal_events(&out.journal_dir);
    assert!(
        events.iter().any(|(k, m)| k == "critical"
            && m.contains("session invalid")
            && m.contains("entries blocked")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|(_, m)| m.contains("session valid again"))
    );
    assert_eq!(keys(&out), expected);
    sim.shutdown().await;
}

/// HTTP 429 on the requests around an entry: the client backs off, retries what is safe to
/// retry, and the day trades as in replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_backs_off_and_recovers() {
    let expected = replay_keys().await;
    let sim = start_sim(vec![(t(9, 15, 0), Fault::RateLimit { count: 2 })]).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(options(SessionKind::Live, &sim, dir.path(), "")).await;
    assert_eq!(keys(&out), expected);
    let events = journal_events(&out.journal_dir);
    assert!(
        !events.iter().any(|(k, _)| k == "entry_failed"),
        "{events:?}"
    );
    assert!(sim.status().rate_limited >= 2, "{:?}", sim.status());
    sim.shutdown().await;
}
