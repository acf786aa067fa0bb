//! Past days (issue 14 "Reading"): the [`History`] port the backend offers when it keeps a
//! database store, and the routes that read it.
//!
//! - `GET /live/trades?date=YYYY-MM-DD[&mode=replay|paper|live]` and
//!   `GET /live/events?date=…[&mode=…][&from=N]` answer from the store for that day, in the
//!   shape of today's answers plus `date` and `mode`;
//! - `GET /live/summary?date=…[&mode=…]`: the day's `summary.json` ([`DaySummary`]);
//! - `GET /live/days[?mode=…]`: `{"mode": …, "days": ["YYYY-MM-DD", …]}`, the days with a
//!   journal.
//!
//! `mode` defaults to the process's own ([`History::own_mode`]). A bad `date` or `mode` is a
//! 400 naming the query field; no store (none configured, `[store] enabled = false`, or a
//! backend without one) is a 404; a store that cannot be read is a 503 with one line (the
//! URL's password redacted by the store).

use crate::error::ApiError;
use crate::server::{AppState, query_param};
use async_trait::async_trait;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use domain::Trade;
use engine::EventRecord;
use journal::DaySummary;
use serde_json::{Value, json};

/// A journal directory: which kind of run wrote the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JournalMode {
    /// `replay`.
    Replay,
    /// `paper`.
    Paper,
    /// `live`.
    Live,
}

impl JournalMode {
    /// `replay`, `paper` or `live` (the journal directory's name, the store's `journal_mode`).
    pub fn as_str(self) -> &'static str {
        match self {
            JournalMode::Replay => "replay",
            JournalMode::Paper => "paper",
            JournalMode::Live => "live",
        }
    }

    /// Parse `replay`, `paper` or `live` (case-insensitive); `None` otherwise.
    pub fn parse(s: &str) -> Option<JournalMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "replay" => Some(JournalMode::Replay),
            "paper" => Some(JournalMode::Paper),
            "live" => Some(JournalMode::Live),
            _ => None,
        }
    }
}

impl std::fmt::Display for JournalMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a past day could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// No store to read (404): none configured or enabled, or no database yet.
    #[error("{0}")]
    NoStore(String),
    /// The store has nothing of that kind for the day (404), e.g. no summary.
    #[error("{0}")]
    NotFound(String),
    /// The store could not be reached or read (503); one line, no password.
    #[error("{0}")]
    Store(String),
}

impl From<HistoryError> for ApiError {
    /// `NoStore` and `NotFound` 404, `Store` 503.
    fn from(e: HistoryError) -> Self {
        let status = match e {
            HistoryError::NoStore(_) | HistoryError::NotFound(_) => StatusCode::NOT_FOUND,
            HistoryError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, e.to_string(), None)
    }
}

/// Past days read from the database store (`live` implements it over `store::Store`).
#[async_trait]
pub trait History: Send + Sync {
    /// The journal mode of this process's sessions: the default of `mode`.
    fn own_mode(&self) -> JournalMode;
    /// The completed trades of `(mode, date)`, in the order journaled.
    async fn trades(&self, mode: JournalMode, date: NaiveDate) -> Result<Vec<Trade>, HistoryError>;
    /// The events of `(mode, date)`, oldest first.
    async fn events(
        &self,
        mode: JournalMode,
        date: NaiveDate,
    ) -> Result<Vec<EventRecord>, HistoryError>;
    /// The day's summary, `None` when the day wrote none.
    async fn summary(
        &self,
        mode: JournalMode,
        date: NaiveDate,
    ) -> Result<Option<DaySummary>, HistoryError>;
    /// The days with a journal of `mode`, in date order.
    async fn days(&self, mode: JournalMode) -> Result<Vec<NaiveDate>, HistoryError>;
}

/// The day a request asks for: `date` and `mode` (default the process's own) from the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayQuery {
    pub date: NaiveDate,
    pub mode: Option<JournalMode>,
}

/// `mode=` of the query, a 400 naming `mode` when it is not a journal mode.
fn mode_param(q: Option<&str>) -> Result<Option<JournalMode>, ApiError> {
    match query_param(q, "mode") {
        None => Ok(None),
        Some(v) => JournalMode::parse(&v).map(Some).ok_or_else(|| {
            ApiError::bad_request(
                "mode",
                format!("`{v}` is not a journal mode: replay, paper or live"),
            )
        }),
    }
}

/// `date=` (and `mode=`) of the query: `None` when neither is given (today's answer); a 400
/// naming `date` when it is not `YYYY-MM-DD` or `mode` comes without it.
pub(crate) fn day_query(q: Option<&str>) -> Result<Option<DayQuery>, ApiError> {
    let mode = mode_param(q)?;
    match query_param(q, "date") {
        Some(v) => {
            let date = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request("date", format!("`{v}` is not a date (YYYY-MM-DD)"))
            })?;
            Ok(Some(DayQuery { date, mode }))
        }
        None if mode.is_some() => Err(ApiError::bad_request(
            "date",
            "`mode` reads a past day from the store: give `date=YYYY-MM-DD` too",
        )),
        None => Ok(None),
    }
}

/// The backend's history, or the 404 of a backend without a store.
fn history(st: &AppState) -> Result<&dyn History, ApiError> {
    st.backend.history().ok_or_else(|| {
        HistoryError::NoStore("no store: this process keeps no past days".into()).into()
    })
}

/// `GET /live/trades?date=…`: `{"date", "mode", "trades"}`.
pub(crate) async fn trades(st: &AppState, q: DayQuery) -> Result<Json<Value>, ApiError> {
    let h = history(st)?;
    let mode = q.mode.unwrap_or_else(|| h.own_mode());
    let trades = h.trades(mode, q.date).await?;
    Ok(Json(
        json!({ "date": q.date, "mode": mode.as_str(), "trades": trades }),
    ))
}

/// `GET /live/events?date=…&from=N`: `{"date", "mode", "from", "next", "events"}`.
pub(crate) async fn events(
    st: &AppState,
    q: DayQuery,
    from: usize,
) -> Result<Json<Value>, ApiError> {
    let h = history(st)?;
    let mode = q.mode.unwrap_or_else(|| h.own_mode());
    let all = h.events(mode, q.date).await?;
    let events = all.get(from..).unwrap_or(&[]);
    let next = from + events.len();
    Ok(Json(json!({
        "date": q.date, "mode": mode.as_str(), "from": from, "next": next, "events": events
    })))
}

async fn summary(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let Some(day) = day_query(q.as_deref())? else {
        return Err(ApiError::bad_request(
            "date",
            "query parameter missing (YYYY-MM-DD)",
        ));
    };
    let h = history(&st)?;
    let mode = day.mode.unwrap_or_else(|| h.own_mode());
    match h.summary(mode, day.date).await? {
        Some(s) => Ok(Json(serde_json::to_value(s).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None)
        })?)),
        None => Err(HistoryError::NotFound(format!(
            "no {mode} summary for {} in the store",
            day.date
        ))
        .into()),
    }
}

async fn days(State(st): State<AppState>, RawQuery(q): RawQuery) -> Result<Json<Value>, ApiError> {
    let mode = mode_param(q.as_deref())?;
    let h = history(&st)?;
    let mode = mode.unwrap_or_else(|| h.own_mode());
    let days = h.days(mode).await?;
    Ok(Json(json!({ "mode": mode.as_str(), "days": days })))
}

/// `GET /live/summary` and `GET /live/days` (trades and events are in `routes`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/live/summary", get(summary))
        .route("/live/days", get(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_query_names_the_bad_field() {
        assert_eq!(day_query(None).unwrap(), None);
        assert_eq!(day_query(Some("from=3")).unwrap(), None);
        let q = day_query(Some("date=2024-06-03&mode=Replay"))
            .unwrap()
            .unwrap();
        assert_eq!(q.date, NaiveDate::from_ymd_opt(2024, 6, 3).unwrap());
        assert_eq!(q.mode, Some(JournalMode::Replay));
        for (query, field) in [
            ("date=2024-13-03", "date"),
            ("date=yesterday", "date"),
            ("date=2024-06-03&mode=backtest", "mode"),
            ("mode=paper", "date"),
        ] {
            let e = day_query(Some(query)).unwrap_err();
            assert_eq!(e.status, 400, "{query}");
            assert_eq!(e.field.as_deref(), Some(field), "{query}");
        }
    }

    #[test]
    fn history_errors_map_to_404_and_503() {
        assert_eq!(
            ApiError::from(HistoryError::NoStore("x".into())).status,
            404
        );
        assert_eq!(
            ApiError::from(HistoryError::NotFound("x".into())).status,
            404
        );
        assert_eq!(ApiError::from(HistoryError::Store("x".into())).status, 503);
        assert_eq!(JournalMode::parse(" LIVE "), Some(JournalMode::Live));
        assert_eq!(JournalMode::Paper.to_string(), "paper");
    }
}
