//! The streamer (one task): the day's frames in order, paced by [`crate::Speed`], held while
//! no client listens ([`crate::SimConfig::hold_while_disconnected`]), paused by stalls, with
//! scheduled faults fired on the way; and the heartbeat task.

use crate::Speed;
use crate::fault::Fault;
use crate::sim::{Cmd, Shared};
use chrono::NaiveTime;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long subscriptions must stay unchanged before the next frame is built: the
/// `kiteconnect` client sends `subscribe` and then `mode` as two messages, and a frame built
/// in between would carry quote-mode packets (no exchange timestamp).
const SETTLE: Duration = Duration::from_millis(50);

/// Wait until the stream may send: not stalled, subscriptions settled and, with hold, a
/// client subscribed. `false` on shutdown.
async fn wait_ready(sh: &Shared, need_listener: bool) -> bool {
    let mut changes = sh.changes.subscribe();
    let mut shutdown = sh.shutdown.subscribe();
    loop {
        if *shutdown.borrow_and_update() {
            return false;
        }
        changes.borrow_and_update();
        let (stall, blocked) = {
            let st = sh.lock();
            let settle = st
                .subs_changed_at
                .map(|t| t + SETTLE)
                .filter(|t| *t > Instant::now());
            (
                st.stall_until.filter(|t| *t > Instant::now()).or(settle),
                need_listener && !st.any_subscribed(),
            )
        };
        if let Some(t) = stall {
            tokio::select! {
                () = tokio::time::sleep_until(t.into()) => {}
                r = changes.changed() => if r.is_err() { return false; },
                _ = shutdown.changed() => {}
            }
            continue;
        }
        if !blocked {
            return true;
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return false; },
            _ = shutdown.changed() => {}
        }
    }
}

/// Sleep `d` unless shut down first (`false` then).
async fn sleep(sh: &Shared, d: Duration) -> bool {
    if d.is_zero() {
        return !*sh.shutdown.borrow();
    }
    let mut shutdown = sh.shutdown.subscribe();
    tokio::select! {
        () = tokio::time::sleep(d) => !*shutdown.borrow_and_update(),
        _ = shutdown.changed() => false,
    }
}

/// Stream the day. `faults`: scheduled faults (IST time of the stream).
pub async fn run(sh: Arc<Shared>, mut faults: Vec<(NaiveTime, Fault)>) {
    faults.sort_by_key(|f| f.0);
    let mut faults: VecDeque<(NaiveTime, Fault)> = faults.into();
    // Streaming starts with the first subscription (the client warms up from history first).
    {
        let mut changes = sh.changes.subscribe();
        let mut shutdown = sh.shutdown.subscribe();
        loop {
            changes.borrow_and_update();
            if *shutdown.borrow_and_update() {
                return;
            }
            if sh.lock().started {
                break;
            }
            tokio::select! {
                r = changes.changed() => if r.is_err() { return; },
                _ = shutdown.changed() => {}
            }
        }
    }
    tracing::info!(target: "kite_sim", date = %sh.day.date, frames = sh.day.groups.len(), "streaming started");
    let hold = sh.settings.hold;
    let mut prev: Option<domain::time::IstDateTime> = None;
    for (i, g) in sh.day.groups.iter().enumerate() {
        if let (Speed::Times(x), Some(p)) = (sh.settings.speed, prev) {
            let gap = (g.ts - p).to_std().unwrap_or_default();
            if x > 0.0 && !sleep(&sh, gap.div_f64(x)).await {
                return;
            }
        }
        prev = Some(g.ts);
        while faults.front().is_some_and(|(t, _)| *t <= g.ts.time()) {
            if let Some((t, f)) = faults.pop_front() {
                tracing::info!(target: "kite_sim", at = %t, fault = %f, "scheduled fault");
                sh.inject(f);
            }
        }
        loop {
            if !wait_ready(&sh, hold).await {
                return;
            }
            let (targets, subscribed) = {
                let mut st = sh.lock();
                let t = sh.build_frames(&mut st, g);
                (t, st.any_subscribed())
            };
            if !subscribed && hold {
                continue;
            }
            if targets.is_empty() {
                break;
            }
            let mut acks = Vec::with_capacity(targets.len());
            let mut failed = Vec::new();
            for (id, tx, bytes) in targets {
                let (ack, rx) = oneshot::channel();
                if tx.send(Cmd::Frame(bytes, ack)).is_ok() {
                    acks.push((id, rx));
                } else {
                    failed.push(id);
                }
            }
            let mut delivered = 0u64;
            for (id, rx) in acks {
                match rx.await {
                    Ok(true) => delivered += 1,
                    _ => failed.push(id),
                }
            }
            {
                let mut st = sh.lock();
                for id in &failed {
                    st.conns.remove(id);
                }
                st.frames_sent += delivered;
                if delivered > 0 {
                    st.last_frame_at = Instant::now();
                }
            }
            if !failed.is_empty() {
                sh.bump();
            }
            if delivered > 0 || !hold {
                break;
            }
        }
        {
            let mut st = sh.lock();
            sh.commit(&mut st, g, i);
        }
        sh.bump();
    }
    {
        let mut st = sh.lock();
        st.finished = true;
    }
    for (t, f) in faults {
        tracing::warn!(target: "kite_sim", at = %t, fault = %f, "scheduled fault after the end of the day: not fired");
    }
    tracing::info!(target: "kite_sim", date = %sh.day.date, "day finished (closing frame delivered)");
    sh.finished.send_replace(true);
    sh.bump();
}

/// Heartbeats: a 1-byte frame to every connection each wall second without a frame, except
/// during a stall.
pub async fn heartbeats(sh: Arc<Shared>) {
    let mut shutdown = sh.shutdown.subscribe();
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        let mut st = sh.lock();
        if st.stalled() || st.last_frame_at.elapsed() < Duration::from_millis(900) {
            continue;
        }
        let mut n = 0;
        for c in st.conns.values() {
            if c.tx.send(Cmd::Heartbeat).is_ok() {
                n += 1;
            }
        }
        st.heartbeats_sent += n;
    }
}
