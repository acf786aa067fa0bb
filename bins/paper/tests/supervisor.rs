//! The session supervisor (spec §12) in-process against `kite-sim` streaming 2024-06-03 at a
//! fast pace: a paper session started as the console starts it, then driven by the console's
//! commands — status cards change as the day trades; `StopEntries` blocks the next entry
//! (an event says why); `StartEntries` resumes; `ClosePosition`/`CloseAll` close with reason
//! `MANUAL`; a rebuild with a new `rsi_period` restores the open position; events arrive on
//! `subscribe()`. Loopback only; waits follow the published snapshots (a wall-clock cap only
//! guards against a hang).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use console::backend::{Backend, StartRequest, Update};
use domain::{ExitReason, Segment};
use engine::EngineEvent;
use engine::control::{Command, CommandError, Snapshot};
use kite_sim::{Simulator, Speed};
use live::{SessionKind, SessionOptions, Stop, Supervisor};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// 180× real time: the 09:15–15:30 session in about 2 minutes of wall time.
const SPEED: f64 = 180.0;

/// Longest any single wait may take.
const WALL_CAP: Duration = Duration::from_secs(240);

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

/// `config/default.toml` with pyramiding off: on this day pyramid adds stop out whole
/// pyramids and halt the day early (docs/pyramiding.md); the test needs entries until late.
fn options_config() -> config::Config {
    let mut c = kestrel_support::config("config/default.toml");
    c.pyramiding.enabled = false;
    c
}

async fn start_sim() -> Simulator {
    let mut c = kite_sim_cli::sim_config(day(), &options_config(), kestrel_support::data_dir());
    c.speed = Speed::Times(SPEED);
    Simulator::start(c).await.expect("simulator starts")
}

fn options(sim: &Simulator, dir: &Path) -> SessionOptions {
    let session = dir.join("kite_session.json");
    sim.write_session_file(&session).expect("session file");
    let mut cfg = options_config();
    cfg.engine.mode = SessionKind::Paper.mode();
    let kite = format!(
        "api_base_url = {:?}\nticker_url = {:?}\nsession_file = {:?}\ninstruments_cache_dir = {:?}\n[orders]\nmarket_order_style = \"market\"\n",
        sim.base_url(),
        sim.ticker_url(),
        session.display().to_string(),
        dir.join("instruments").display().to_string(),
    );
    cfg.kite = Some(kite.parse().expect("kite table"));
    // Sessions record the day (issue 14): into the test's folder, never into `data/`.
    cfg.data.record_dir = Some(dir.join("catalog"));
    SessionOptions {
        kind: SessionKind::Paper,
        config: cfg,
        config_path: "config/default.toml".into(),
        date: day(),
        journal_root: dir.join("journal"),
        confirm_live: false,
        square_off_on_exit: false,
        resolve_unknown: None,
    }
}

/// Wait for a published snapshot satisfying `pred`.
async fn wait_for(sup: &Supervisor, what: &str, pred: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let mut rx = sup.published().watch_snapshot();
    let deadline = tokio::time::Instant::now() + WALL_CAP;
    loop {
        if let Some(s) = rx.borrow_and_update().clone()
            && pred(&s)
        {
            return s;
        }
        let health = sup.health();
        assert!(
            health.session_running,
            "the session ended while waiting for {what}"
        );
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => panic!("snapshot channel closed waiting for {what}"),
            Err(_) => panic!("no snapshot with {what} within {WALL_CAP:?}"),
        }
    }
}

fn open_segments(s: &Snapshot) -> Vec<Segment> {
    s.segments
        .iter()
        .filter(|c| c.position.as_ref().is_some_and(|p| !p.closing))
        .map(|c| c.segment)
        .collect()
}

fn manual_trades(s: &Snapshot, seg: Segment) -> usize {
    s.trades
        .iter()
        .filter(|t| t.segment == seg && t.exit_reason == ExitReason::Manual)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_drives_a_paper_session_against_the_simulator() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let (sup, mut ends) = Supervisor::new(options(&sim, dir.path())).unwrap();

    // Before any session: commands say how to start one; nothing is published.
    assert!(sup.snapshot().is_none());
    assert_eq!(sup.health().socket, "not_started");
    let e = sup.command(Command::CloseAll).await.unwrap_err();
    assert_eq!(
        e,
        CommandError::Engine("no session running: POST /live/start-trading".into())
    );

    // Every update from now on, counted in the background.
    let mut updates = sup.subscribe();
    let collector = tokio::spawn(async move {
        let mut events = Vec::new();
        loop {
            match updates.recv().await {
                Ok(Update::Event { seq, event }) => events.push((seq, event)),
                Ok(Update::Snapshot { .. }) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return events,
            }
        }
    });

    // The console's start: no parameters, no session → a session with the base config.
    let reply = sup.start(StartRequest::default()).await.unwrap();
    assert!(!reply.resumed, "{reply:?}");
    assert_eq!(reply.mode, "PAPER");
    assert_eq!(reply.segments, vec![Segment::Nifty, Segment::BankNifty]);
    assert!(reply.message.contains("2024-06-03"), "{}", reply.message);
    let h = sup.health();
    assert!(h.session_running && h.broker_session_valid, "{h:?}");
    assert_eq!(h.mode.as_deref(), Some("PAPER"));

    // Status cards change as the day trades: waiting, then in a position.
    let first = wait_for(&sup, "the cards", |s| !s.segments.is_empty()).await;
    assert!(
        first.segments.iter().all(|c| c.state != "IN_POSITION"),
        "{:?}",
        first.segments
    );
    let s = wait_for(&sup, "an open position", |s| !open_segments(s).is_empty()).await;
    let seg = open_segments(&s)[0];
    let card = s.segments.iter().find(|c| c.segment == seg).unwrap();
    assert_eq!(card.state, "IN_POSITION");
    assert!(card.index_ltp.is_some());
    let h = sup.health();
    assert_eq!(h.socket, "connected");
    assert!(h.last_tick_age_secs.is_some_and(|a| a < 30.0), "{h:?}");

    // ClosePosition: closed with reason MANUAL.
    let before = manual_trades(&s, seg);
    sup.command(Command::ClosePosition { segment: seg })
        .await
        .unwrap();
    wait_for(&sup, "a MANUAL exit", |s| manual_trades(s, seg) > before).await;

    // StopEntries blocks the next entry: no position opens, an event says why.
    let stopped_at = sup.events(0).len();
    sup.command(Command::StopEntries { close_all: false })
        .await
        .unwrap();
    let s = wait_for(&sup, "entries stopped", |s| s.entries_stopped).await;
    assert!(!s.entries_allowed);
    let trades_when_stopped = s.trades.len();
    let open_when_stopped = open_segments(&s);
    let blocked = || {
        sup.events(stopped_at)
            .into_iter()
            .filter(|e| e.data["rule"] == "entries_stopped")
            .map(|e| e.message)
            .collect::<Vec<String>>()
    };
    wait_for(&sup, "a blocked entry", |_| !blocked().is_empty()).await;
    let blocked = blocked();
    assert!(
        blocked.iter().all(|m| m.contains("stop")),
        "the event gives the reason: {blocked:?}"
    );
    let entries_after_stop = sup
        .events(stopped_at)
        .iter()
        .filter(|e| e.event == EngineEvent::Entry)
        .count();
    assert_eq!(entries_after_stop, 0, "an entry while stopped: {blocked:?}");
    let s = sup.snapshot().unwrap();
    for seg in open_segments(&s) {
        assert!(
            open_when_stopped.contains(&seg),
            "{seg} entered while entries were stopped ({blocked:?})"
        );
    }
    assert!(s.trades.len() >= trades_when_stopped);

    // StartEntries (a start without parameters on a running session) resumes.
    let reply = sup.start(StartRequest::default()).await.unwrap();
    assert!(reply.resumed, "{reply:?}");
    wait_for(&sup, "entries allowed", |s| !s.entries_stopped).await;
    let s = wait_for(&sup, "a position after resuming", |s| {
        !open_segments(s).is_empty()
    })
    .await;
    let seg = open_segments(&s)[0];
    let held = s
        .segments
        .iter()
        .find(|c| c.segment == seg)
        .and_then(|c| c.position.clone())
        .unwrap();

    // A rebuild with a new rsi_period: the old session stops (entries stopped, checkpoint
    // written, positions left), the new one restores the open position from the checkpoint.
    let reply = sup
        .start(StartRequest {
            rsi_period: Some(14),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!reply.resumed);
    assert!(reply.message.contains("rebuilt"), "{}", reply.message);
    let opts = sup.current_options().await.unwrap();
    assert_eq!(opts.config.strategy["rsi_period"].as_integer(), Some(14));
    // The new session's first snapshot (published after restore, before its first tick).
    let s = wait_for(&sup, "the new session's snapshot", |_| true).await;
    let restored = s
        .segments
        .iter()
        .find(|c| c.segment == seg)
        .and_then(|c| c.position.clone());
    match restored {
        Some(p) => {
            assert_eq!(p.option_symbol, held.option_symbol);
            assert_eq!(p.entry_time, held.entry_time);
            assert_eq!(p.quantity, held.quantity);
        }
        // Only if its stop hit in the instant between the observation and the rebuild.
        None => assert!(
            s.trades
                .iter()
                .any(|t| t.option_symbol == held.option_symbol
                    && t.entry_time == held.entry_time
                    && t.exit_reason != ExitReason::Manual),
            "position {} lost in the rebuild",
            held.option_symbol
        ),
    }
    assert!(
        sup.events(0)
            .iter()
            .all(|e| !e.message.contains("rebuild requested")),
        "the new session's events replace the old one's"
    );

    // CloseAll: every open position closes with reason MANUAL.
    let s = wait_for(&sup, "a position to close", |s| {
        !open_segments(s).is_empty()
    })
    .await;
    let open = open_segments(&s);
    let manual: Vec<usize> = open.iter().map(|g| manual_trades(&s, *g)).collect();
    sup.command(Command::CloseAll).await.unwrap();
    wait_for(&sup, "every position closed MANUAL", |s| {
        open.iter()
            .zip(&manual)
            .all(|(g, n)| manual_trades(s, *g) > *n)
    })
    .await;

    // Events arrived on subscribe(), numbered as in events().
    assert!(sup.stop(Stop::ctrl_c()).await);
    let end = tokio::time::timeout(WALL_CAP, ends.recv())
        .await
        .expect("session ends")
        .expect("an end");
    let out = end.result.unwrap();
    assert!(out.interrupted);
    assert!(!sup.health().session_running);
    drop(sup);
    let events = tokio::time::timeout(Duration::from_secs(5), collector)
        .await
        .map(|r| r.unwrap());
    let events = match events {
        Ok(e) => e,
        Err(_) => panic!("the update stream did not close"),
    };
    assert!(!events.is_empty(), "no event on subscribe()");
    sim.shutdown().await;
}
