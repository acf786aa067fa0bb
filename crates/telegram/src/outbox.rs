//! The outbox: a bounded queue of messages for the one chat that never blocks the sender
//! (issue 12 "sending never blocks the engine").
//!
//! [`Outbox::push`] is synchronous and never waits. When the queue holds `capacity`
//! messages, room is made by moving queued [`Priority::Low`] messages into the *overflow*, which
//! is sent as one `N more events: ...` message; an incoming low (or a normal one when no low is
//! left to move) joins the overflow too. [`Priority::Critical`] messages are never dropped nor
//! merged: when nothing can be moved they go in beyond the capacity. [`Outbox::pop`] gives the
//! oldest critical message first, then the oldest other one, then the overflow.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;

/// How much a message matters when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Merged into the overflow message when the queue is full (stop updates, operator echoes).
    Low,
    /// Entries, exits, pyramid adds, replies.
    Normal,
    /// Failures a trader must hear about: never dropped.
    Critical,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Priority.
    pub priority: Priority,
    /// Text (plain, no parse mode).
    pub text: String,
}

impl Message {
    /// A message.
    pub fn new(priority: Priority, text: impl Into<String>) -> Self {
        Self {
            priority,
            text: text.into(),
        }
    }
}

/// How many merged one-liners the overflow message quotes.
const OVERFLOW_QUOTED: usize = 5;

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Message>,
    /// First lines of the merged messages (at most [`OVERFLOW_QUOTED`]) and their count.
    overflow: Vec<String>,
    overflow_count: usize,
    closed: bool,
}

/// The bounded, never-blocking queue (shared between producers and the sender task).
#[derive(Debug)]
pub struct Outbox {
    capacity: usize,
    state: Mutex<State>,
    ready: Notify,
}

impl Outbox {
    /// An empty outbox holding up to `capacity` (at least 2) messages before merging.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            state: Mutex::new(State::default()),
            ready: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queue `msg` without waiting (see the module doc for what happens when full).
    pub fn push(&self, msg: Message) {
        {
            let mut s = self.lock();
            if s.queue.len() >= self.capacity {
                // Move the oldest low message into the overflow, if any.
                if let Some(i) = s.queue.iter().position(|m| m.priority == Priority::Low)
                    && let Some(old) = s.queue.remove(i)
                {
                    merge(&mut s, &old.text);
                }
            }
            if s.queue.len() < self.capacity || msg.priority == Priority::Critical {
                s.queue.push_back(msg);
            } else {
                tracing::warn!(target: "telegram", "outbox full: a message merged into the overflow");
                merge(&mut s, &msg.text);
            }
        }
        self.ready.notify_one();
    }

    /// Take the next message: the oldest critical, else the oldest, else the overflow as one
    /// `N more events: ...` message (low priority).
    pub fn pop(&self) -> Option<Message> {
        let mut s = self.lock();
        if let Some(i) = s
            .queue
            .iter()
            .position(|m| m.priority == Priority::Critical)
        {
            return s.queue.remove(i);
        }
        if let Some(m) = s.queue.pop_front() {
            return Some(m);
        }
        if s.overflow_count == 0 {
            return None;
        }
        let n = std::mem::take(&mut s.overflow_count);
        let quoted = std::mem::take(&mut s.overflow);
        let more = n.saturating_sub(quoted.len());
        let mut text = format!("{n} more events: {}", quoted.join("; "));
        if more > 0 {
            text.push_str(&format!("; and {more} others"));
        }
        Some(Message::new(Priority::Low, text))
    }

    /// Messages waiting (the overflow counts as one).
    pub fn len(&self) -> usize {
        let s = self.lock();
        s.queue.len() + usize::from(s.overflow_count > 0)
    }

    /// Nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Critical messages waiting.
    pub fn critical_waiting(&self) -> usize {
        self.lock()
            .queue
            .iter()
            .filter(|m| m.priority == Priority::Critical)
            .count()
    }

    /// No more messages will be pushed: the sender drains and stops.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
    }

    /// [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Wait until something may be waiting (or the outbox closed).
    pub async fn wait(&self) {
        if !self.is_empty() || self.is_closed() {
            return;
        }
        self.ready.notified().await;
    }
}

fn merge(s: &mut State, text: &str) {
    s.overflow_count += 1;
    if s.overflow.len() < OVERFLOW_QUOTED {
        let first = text.lines().next().unwrap_or_default();
        s.overflow.push(first.chars().take(80).collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(p: Priority, t: &str) -> Message {
        Message::new(p, t)
    }

    fn drain(o: &Outbox) -> Vec<Message> {
        std::iter::from_fn(|| o.pop()).collect()
    }

    #[test]
    fn critical_first_then_fifo() {
        let o = Outbox::new(8);
        o.push(m(Priority::Normal, "a"));
        o.push(m(Priority::Low, "b"));
        o.push(m(Priority::Critical, "c"));
        o.push(m(Priority::Normal, "d"));
        let got: Vec<String> = drain(&o).into_iter().map(|m| m.text).collect();
        assert_eq!(got, ["c", "a", "b", "d"]);
    }

    #[test]
    fn full_queue_merges_low_and_keeps_critical() {
        let o = Outbox::new(3);
        o.push(m(Priority::Low, "low 1"));
        o.push(m(Priority::Normal, "entry"));
        o.push(m(Priority::Low, "low 2"));
        // Full: a critical evicts "low 1" into the overflow.
        o.push(m(Priority::Critical, "halt"));
        // Full again: a low evicts "low 2" into the overflow.
        o.push(m(Priority::Low, "low 3"));
        // Full: evicts "low 3"; full again with no low left: beyond the capacity.
        o.push(m(Priority::Critical, "exit failed"));
        o.push(m(Priority::Critical, "critical"));
        let got: Vec<String> = drain(&o).into_iter().map(|m| m.text).collect();
        assert_eq!(
            got,
            [
                "halt",
                "exit failed",
                "critical",
                "entry",
                "3 more events: low 1; low 2; low 3"
            ]
        );
        assert!(o.is_empty());
    }

    proptest! {
        /// Whatever arrives, every critical message comes out exactly once, the queue never
        /// holds more than the capacity plus the criticals, and every message is either sent
        /// or counted in the overflow.
        #[test]
        fn nothing_is_lost(prios in proptest::collection::vec(0u8..3, 0..60), cap in 2usize..10) {
            let o = Outbox::new(cap);
            let mut crit = 0;
            for (i, p) in prios.iter().enumerate() {
                let p = match p { 0 => Priority::Low, 1 => Priority::Normal, _ => Priority::Critical };
                crit += usize::from(p == Priority::Critical);
                o.push(m(p, &format!("m{i}")));
                prop_assert!(o.lock().queue.len() <= cap + crit);
            }
            let out = drain(&o);
            let sent_crit = out.iter().filter(|m| m.priority == Priority::Critical).count();
            prop_assert_eq!(sent_crit, crit);
            let merged: usize = out.iter().filter(|m| m.text.contains(" more events: "))
                .map(|m| m.text.split(' ').next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0)).sum();
            let plain = out.iter().filter(|m| !m.text.contains(" more events: ")).count();
            prop_assert_eq!(plain + merged, prios.len());
        }
    }
}
