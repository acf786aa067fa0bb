//! The streamer (one task): the day's frames in order, paced by [`crate::Speed`], held while
//! no client listens ([`crate::SimConfig::hold_while_disconnected`]) unless advanced past
//! ([`advance`]), paused by stalls, with scheduled faults fired on the way; and the heartbeat
//! task.

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

/// Wait until the stream may send the frame at `ts`: not stalled, subscriptions settled and,
/// with `hold`, a client subscribed unless an advance covers `ts` (re-checked on every
/// change: an advance may come while the stream holds). `false` on shutdown.
async fn wait_ready(sh: &Shared, hold: bool, ts: domain::time::IstDateTime) -> bool {
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
                hold && !st.advancing(ts) && !st.any_subscribed(),
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
            {
                let st = sh.lock();
                if st.started || st.advance_to.is_some() {
                    break;
                }
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
        // Advancing to nobody: no pacing. Advancing with a listener: frames go to it, paced.
        let unpaced = {
            let st = sh.lock();
            st.advancing(g.ts) && !st.any_subscribed()
        };
        if let (Speed::Times(x), Some(p), false) = (sh.settings.speed, prev, unpaced) {
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
            if !wait_ready(&sh, hold, g.ts).await {
                return;
            }
            let need_listener = hold && !sh.lock().advancing(g.ts);
            let (targets, subscribed) = {
                let mut st = sh.lock();
                let t = sh.build_frames(&mut st, g);
                (t, st.any_subscribed())
            };
            if !subscribed && need_listener {
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
            if delivered > 0 || !need_listener {
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

/// Stream (to nobody if nobody listens, without pacing) every frame up to and including
/// `until` on the simulated date, then return the status; the stream then holds again until a
/// client subscribes (with hold). Resting orders are matched on the way, so an `SL` can
/// trigger while the engine is down. Returns at once when the clock is already there or the
/// day is over; early on shutdown.
pub async fn advance(sh: &Shared, until: NaiveTime) -> crate::SimStatus {
    let target = domain::time::ist(sh.day.date, until);
    {
        let mut st = sh.lock();
        st.advance_to = Some(st.advance_to.map_or(target, |t| t.max(target)));
    }
    tracing::info!(target: "kite_sim", until = %until, "advancing the stream");
    sh.bump();
    let mut changes = sh.changes.subscribe();
    let mut shutdown = sh.shutdown.subscribe();
    loop {
        changes.borrow_and_update();
        if *shutdown.borrow_and_update() {
            break;
        }
        let done = {
            let st = sh.lock();
            st.finished
                || sh
                    .day
                    .groups
                    .get(st.groups_done)
                    .is_none_or(|g| g.ts > target)
        };
        if done {
            break;
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { break; },
            _ = shutdown.changed() => {}
        }
    }
    sh.status()
}
