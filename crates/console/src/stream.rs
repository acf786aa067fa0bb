//! `GET /live/stream`: Server-Sent Events of [`Update`]s (spec §12 "live updates").
//!
//! On connect the stream sends the day's events from `?from=N` (or from the `Last-Event-ID`
//! header + 1, or 0), then the current snapshot, then each update as the backend publishes it.
//! Every SSE message's `data` is the [`Update`] as JSON (`{"type":"event","seq":N,"event":…}`
//! or `{"type":"snapshot","snapshot":…}`); event messages are named `event` and carry
//! `id: N` (their index in the day's list), snapshot messages are named `snapshot`. A client
//! that falls behind (the broadcast channel lagged) or sees a gap is caught up from
//! [`Backend::events`], so no event is lost or repeated. A comment
//! line is sent every 15 s while idle (keep-alive). The stream ends when the server shuts down.

use crate::backend::{Backend, Update};
use crate::error::ApiError;
use crate::routes::from_param;
use crate::server::{AppState, query_param};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// Keep-alive comment interval.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/live/stream", get(stream))
}

/// One SSE message of an update (`None` if it cannot be encoded, which a `Serialize` of plain
/// data never does).
fn message(u: &Update) -> Option<Event> {
    let data = serde_json::to_string(u).ok()?;
    Some(
        match u {
            Update::Event { seq, .. } => Event::default().event("event").id(seq.to_string()),
            Update::Snapshot { .. } => Event::default().event("snapshot"),
        }
        .data(data),
    )
}

struct Feed {
    backend: Arc<dyn Backend>,
    rx: broadcast::Receiver<Update>,
    /// Index of the next event to send.
    next: usize,
    pending: VecDeque<Event>,
    shutdown: watch::Receiver<bool>,
}

impl Feed {
    /// Queue the backend's events from `self.next` on.
    fn catch_up(&mut self) {
        let evs = self.backend.events(self.next);
        for event in evs {
            let u = Update::Event {
                seq: self.next,
                event,
            };
            self.pending.extend(message(&u));
            self.next += 1;
        }
    }

    fn queue_snapshot(&mut self) {
        if let Some(snapshot) = self.backend.snapshot() {
            self.pending.extend(message(&Update::Snapshot { snapshot }));
        }
    }

    fn on_update(&mut self, u: Result<Update, broadcast::error::RecvError>) -> bool {
        match u {
            Ok(Update::Event { seq, event }) => {
                if seq == self.next {
                    self.pending.extend(message(&Update::Event { seq, event }));
                    self.next += 1;
                } else if seq > self.next {
                    self.catch_up();
                }
                true
            }
            Ok(u @ Update::Snapshot { .. }) => {
                self.pending.extend(message(&u));
                true
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::debug!(target: "console", skipped = n, "event stream lagged; catching up");
                self.catch_up();
                self.queue_snapshot();
                true
            }
            Err(broadcast::error::RecvError::Closed) => false,
        }
    }
}

async fn next_message(mut f: Feed) -> Option<(Result<Event, Infallible>, Feed)> {
    loop {
        if let Some(ev) = f.pending.pop_front() {
            return Some((Ok(ev), f));
        }
        if *f.shutdown.borrow() {
            return None;
        }
        tokio::select! {
            changed = f.shutdown.changed() => {
                if changed.is_err() || *f.shutdown.borrow() {
                    return None;
                }
            }
            u = f.rx.recv() => {
                if !f.on_update(u) {
                    return None;
                }
            }
        }
    }
}

/// Where to resume: `?from=N`, else `Last-Event-ID` + 1, else 0.
fn resume_from(q: Option<&str>, headers: &HeaderMap) -> Result<usize, ApiError> {
    if query_param(q, "from").is_some() {
        return from_param(q);
    }
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match last {
        None => Ok(0),
        Some(v) => v.parse::<usize>().map(|n| n + 1).map_err(|_| {
            ApiError::bad_request("Last-Event-ID", format!("`{v}` is not a whole number"))
        }),
    }
}

async fn stream(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let from = resume_from(q.as_deref(), &headers)?;
    // Subscribe before reading the backlog so nothing falls between the two.
    let rx = st.backend.subscribe();
    let mut feed = Feed {
        backend: st.backend.clone(),
        rx,
        next: from,
        pending: VecDeque::new(),
        shutdown: st.shutdown.clone(),
    };
    feed.catch_up();
    feed.queue_snapshot();
    let s = futures_util::stream::unfold(feed, next_message);
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_point() {
        let mut h = HeaderMap::new();
        assert_eq!(resume_from(None, &h).unwrap(), 0);
        h.insert("last-event-id", "4".parse().unwrap());
        assert_eq!(resume_from(None, &h).unwrap(), 5);
        assert_eq!(resume_from(Some("from=2"), &h).unwrap(), 2);
        h.insert("last-event-id", "x".parse().unwrap());
        assert_eq!(
            resume_from(None, &h).unwrap_err().field.as_deref(),
            Some("Last-Event-ID")
        );
    }
}
