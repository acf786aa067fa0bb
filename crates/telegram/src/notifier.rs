//! Notifications: follows `Backend::subscribe()` like the console's event stream and turns
//! events and snapshots into outbox messages (see [`crate::format`] for which).
//!
//! - Events are numbered (`seq`); on `RecvError::Lagged` the missed ones are read again from
//!   `Backend::events(next)` so none is lost or repeated.
//! - An `entry` event is held until its premium is known: the first snapshot whose position of
//!   that segment has an `entry_price`, or whose new trade of that segment carries it; a
//!   snapshot with neither position nor trade of the segment (the entry failed) sends it
//!   without premium.
//! - A trade appearing in the snapshot's `trades` gives the exit message (with its net P&L).
//! - The day's end (the engine's last `session` event) makes the next snapshot the daily
//!   summary. A new session (fewer events than seen) starts the count again.
//! - Feed stale: every few seconds the port's health is read; a running session whose last
//!   index tick is older than the threshold gets one critical message, and one "feed back"
//!   when ticks resume ([`FeedWatch`]). No tick yet (before the open) is not stale.

use crate::format;
use crate::outbox::{Message, Outbox, Priority};
use console::backend::{Backend, Health, Update};
use domain::Segment;
use engine::control::Snapshot;
use engine::{EngineEvent, EventRecord};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// The notification state of one bot.
pub struct Notifier {
    outbox: Arc<Outbox>,
    daily_summary: bool,
    /// Next event index expected.
    next_seq: usize,
    /// The session's event 0 (a different event 0 means a new session).
    first_event: Option<EventRecord>,
    /// Trades of the session already announced.
    trades_seen: usize,
    /// Entries waiting for their premium.
    pending: Vec<EventRecord>,
    summary_due: bool,
    summary_sent: bool,
    feed: Option<FeedWatch>,
}

/// The "feed stale" alarm's state: a threshold and whether the alarm is raised.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedWatch {
    after: std::time::Duration,
    raised: bool,
}

impl FeedWatch {
    /// An alarm raised when the last index tick is older than `after`.
    pub fn new(after: std::time::Duration) -> Self {
        Self {
            after,
            raised: false,
        }
    }

    /// The message to send for this health reading, if the alarm changes state: critical
    /// when a running session's feed goes stale, normal when ticks come back.
    pub fn check(&mut self, health: &Health) -> Option<Message> {
        let age = health.last_tick_age_secs.filter(|_| health.session_running);
        let stale = age.is_some_and(|a| a > self.after.as_secs_f64());
        match (stale, self.raised) {
            (true, false) => {
                self.raised = true;
                Some(Message::new(
                    Priority::Critical,
                    format::feed_stale(age.unwrap_or_default(), &health.socket),
                ))
            }
            (false, true) if age.is_some() || !health.session_running => {
                self.raised = false;
                health
                    .session_running
                    .then(|| Message::new(Priority::Normal, format::feed_back()))
            }
            _ => None,
        }
    }
}

impl Notifier {
    /// A notifier writing to `outbox`. It starts after the `backend`'s current events and
    /// trades (a bot started mid-session does not replay the morning).
    pub fn new(outbox: Arc<Outbox>, backend: &dyn Backend, daily_summary: bool) -> Self {
        let events = backend.events(0);
        Self {
            outbox,
            daily_summary,
            next_seq: events.len(),
            first_event: events.into_iter().next(),
            trades_seen: backend.snapshot().map_or(0, |s| s.trades.len()),
            pending: Vec::new(),
            summary_due: false,
            summary_sent: false,
            feed: None,
        }
    }

    /// Watch the feed: a critical message when no index tick came for `after` (`None`: off).
    pub fn with_feed_watch(mut self, after: Option<std::time::Duration>) -> Self {
        self.feed = after.map(FeedWatch::new);
        self
    }

    /// The daily summary was sent.
    pub fn summary_sent(&self) -> bool {
        self.summary_sent
    }

    /// Handle one update of the broadcast.
    pub fn on_update(&mut self, update: Update) {
        match update {
            Update::Event { seq, event } => {
                if seq == 0 && self.first_event.as_ref() != Some(&event) {
                    if self.next_seq > 0 {
                        self.new_session();
                    }
                    self.first_event = Some(event.clone());
                } else if seq < self.next_seq {
                    return; // already seen (a resync read it)
                }
                self.on_event(event);
                self.next_seq = seq + 1;
            }
            Update::Snapshot { snapshot } => self.on_snapshot(&snapshot),
        }
    }

    /// The broadcast lagged: read the missed events from the day list, then the latest
    /// snapshot.
    pub fn resync(&mut self, backend: &dyn Backend) {
        let missed = backend.events(self.next_seq);
        tracing::info!(target: "telegram", from = self.next_seq, missed = missed.len(), "event stream lagged: resynced");
        for e in missed {
            if self.next_seq == 0 {
                self.first_event = Some(e.clone());
            }
            self.on_event(e);
            self.next_seq += 1;
        }
        if let Some(s) = backend.snapshot() {
            self.on_snapshot(&s);
        }
    }

    fn new_session(&mut self) {
        self.next_seq = 0;
        self.trades_seen = 0;
        self.pending.clear();
        self.summary_due = false;
        self.summary_sent = false;
    }

    fn on_event(&mut self, e: EventRecord) {
        if e.event == EngineEvent::Entry {
            self.pending.push(e);
            return;
        }
        if format::is_day_end(&e) {
            self.summary_due = self.daily_summary && !self.summary_sent;
            return;
        }
        if let Some(m) = format::event(&e) {
            self.outbox.push(m);
        }
    }

    fn flush_entry(&mut self, seg: Option<Segment>, s: &Snapshot, new_trades: &[domain::Trade]) {
        let mut keep = Vec::new();
        for e in std::mem::take(&mut self.pending) {
            if seg.is_some() && e.segment != seg {
                keep.push(e);
                continue;
            }
            let card = s.segments.iter().find(|c| Some(c.segment) == e.segment);
            let held = card.and_then(|c| c.position.as_ref());
            let traded = new_trades
                .iter()
                .find(|t| Some(t.segment) == e.segment && t.entry_time >= e.ts);
            let premium = held
                .and_then(|p| p.entry_price)
                .or_else(|| traded.map(|t| t.entry_price));
            if premium.is_some() || seg.is_some() || (held.is_none() && traded.is_none()) {
                self.outbox
                    .push(Message::new(Priority::Normal, format::entry(&e, premium)));
            } else {
                keep.push(e);
            }
        }
        self.pending = keep;
    }

    /// A new snapshot: pending entries, new trades (exits), the summary when due.
    pub fn on_snapshot(&mut self, s: &Snapshot) {
        if s.trades.len() < self.trades_seen {
            self.trades_seen = 0;
        }
        let new_trades = s.trades[self.trades_seen..].to_vec();
        self.flush_entry(None, s, &new_trades);
        for t in &new_trades {
            // An entry still pending for this segment goes before its exit.
            self.flush_entry(Some(t.segment), s, &new_trades);
            self.outbox
                .push(Message::new(Priority::Normal, format::exit(t)));
        }
        self.trades_seen = s.trades.len();
        if self.summary_due {
            self.finish(s);
        }
    }

    /// Send what is still held and the summary if due (the session ended).
    pub fn finish(&mut self, s: &Snapshot) {
        self.flush_entry(None, s, &[]);
        let pending = std::mem::take(&mut self.pending);
        for e in pending {
            self.outbox
                .push(Message::new(Priority::Normal, format::entry(&e, None)));
        }
        if self.summary_due && !self.summary_sent {
            self.outbox
                .push(Message::new(Priority::Critical, format::summary(s)));
            self.summary_sent = true;
            self.summary_due = false;
        }
    }

    /// Follow `backend` until `shutdown` resolves.
    pub async fn run(
        mut self,
        backend: Arc<dyn Backend>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Self {
        let mut rx = backend.subscribe();
        // Events journaled between `new` and `subscribe` are read from the list.
        self.resync(backend.as_ref());
        tokio::pin!(shutdown);
        let mut health_tick = tokio::time::interval(std::time::Duration::from_secs(5));
        health_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = health_tick.tick(), if self.feed.is_some() => {
                    let health = backend.health();
                    if let Some(msg) = self.feed.as_mut().and_then(|w| w.check(&health)) {
                        self.outbox.push(msg);
                    }
                }
                r = rx.recv() => match r {
                    Ok(u) => self.on_update(u),
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(target: "telegram", skipped = n, "notifications lagged");
                        self.resync(backend.as_ref());
                    }
                    Err(RecvError::Closed) => break,
                },
            }
        }
        // What arrived before the shutdown but was not read yet; a session stopped before its
        // end still gets its summary.
        self.resync(backend.as_ref());
        if let Some(s) = backend.snapshot() {
            self.summary_due = self.daily_summary && !self.summary_sent;
            self.finish(&s);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(running: bool, age: Option<f64>) -> Health {
        Health {
            session_running: running,
            mode: Some("PAPER".into()),
            broker_session_valid: true,
            socket: "connected".into(),
            last_tick_age_secs: age,
            reconnects: 0,
        }
    }

    #[test]
    fn feed_watch_raises_once_and_clears_when_ticks_resume() {
        let mut w = FeedWatch::new(std::time::Duration::from_secs(30));
        assert_eq!(
            w.check(&health(true, None)),
            None,
            "no tick yet: before the open"
        );
        assert_eq!(w.check(&health(true, Some(3.0))), None);
        let m = w.check(&health(true, Some(31.0))).unwrap();
        assert_eq!(m.priority, Priority::Critical);
        assert_eq!(w.check(&health(true, Some(45.0))), None, "raised once");
        let m = w.check(&health(true, Some(0.5))).unwrap();
        assert_eq!(m.priority, Priority::Normal);
        assert_eq!(w.check(&health(true, Some(0.5))), None);
        // A session that ended is not stale, and clears a raised alarm silently.
        assert_eq!(w.check(&health(false, Some(600.0))), None);
        w.check(&health(true, Some(40.0))).unwrap();
        assert_eq!(w.check(&health(false, Some(700.0))), None);
        assert_eq!(
            w.check(&health(true, Some(40.0))).map(|m| m.priority),
            Some(Priority::Critical)
        );
    }
}
