//! Downloads (seed 004 §7): today's trades and events as the journal's CSV files, and the
//! Excel report. The rows are written by the journal crate's own writers
//! ([`journal::write_trades_csv`], [`journal::write_events_csv`], [`journal::excel`]), so a
//! download has exactly the columns and formats of `trades.csv` / `events.csv`.
//!
//! Filenames (`Content-Disposition`): `live_trades_<date>.csv`, `live_events_<date>.csv`,
//! `live_report_<date>.xlsx`, `<date>` the snapshot's trading date (`YYYY-MM-DD`), or today
//! in IST before any session.

use crate::error::ApiError;
use crate::server::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use domain::{Segment, Trade};
use engine::{EngineEvent, EventRecord};
use journal::{DaySummary, Event};

/// MIME type of `.xlsx`.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/live/trades.csv", get(trades_csv))
        .route("/live/events.csv", get(events_csv))
        .route("/live/report.xlsx", get(report_xlsx))
}

/// What a download needs from the backend: date, mode, segments, trades, events.
struct Day {
    date: NaiveDate,
    mode: String,
    segments: Vec<Segment>,
    trades: Vec<Trade>,
    events: Vec<EventRecord>,
}

fn day(st: &AppState) -> Day {
    let snap = st.backend.snapshot();
    let events = st.backend.events(0);
    match snap.as_deref() {
        Some(s) => Day {
            date: s.date,
            mode: s.mode.clone(),
            segments: s.segments.iter().map(|c| c.segment).collect(),
            trades: s.trades.clone(),
            events,
        },
        None => Day {
            date: chrono::Utc::now()
                .with_timezone(&domain::time::IST)
                .date_naive(),
            mode: String::new(),
            segments: vec![],
            trades: vec![],
            events,
        },
    }
}

fn attachment(mime: &'static str, filename: String, body: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("{what}: {e}"),
        None,
    )
}

async fn trades_csv(State(st): State<AppState>) -> Result<Response, ApiError> {
    let d = day(&st);
    let mut buf = Vec::new();
    journal::write_trades_csv(&mut buf, &d.trades).map_err(|e| internal("trades.csv", e))?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!("live_trades_{}.csv", d.date.format("%Y-%m-%d")),
        buf,
    ))
}

async fn events_csv(State(st): State<AppState>) -> Result<Response, ApiError> {
    let d = day(&st);
    let rows: Vec<Event> = d.events.iter().map(EventRecord::to_journal).collect();
    let mut buf = Vec::new();
    journal::write_events_csv(&mut buf, &rows).map_err(|e| internal("events.csv", e))?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!("live_events_{}.csv", d.date.format("%Y-%m-%d")),
        buf,
    ))
}

/// Signals the day skipped, counted from its events (`signal_ignored`, `entry_skipped`), as
/// the engine counts them into `summary.json`'s `signals_skipped`.
fn signals_skipped(events: &[EventRecord]) -> u32 {
    let n = events
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                EngineEvent::SignalIgnored | EngineEvent::EntrySkipped
            )
        })
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

async fn report_xlsx(State(st): State<AppState>) -> Result<Response, ApiError> {
    let d = day(&st);
    let rows: Vec<Event> = d.events.iter().map(EventRecord::to_journal).collect();
    // The snapshot does not carry the strategy's name; the sheet leaves it blank.
    let summary = DaySummary::from_trades(
        d.date,
        &d.mode,
        "",
        &d.segments,
        &d.trades,
        signals_skipped(&d.events),
    );
    let bytes =
        tokio::task::spawn_blocking(move || journal::excel::workbook(&d.trades, &rows, &summary))
            .await
            .map_err(|e| internal("report.xlsx", e))?
            .map_err(|e| internal("report.xlsx", e))?;
    Ok(attachment(
        XLSX_MIME,
        format!("live_report_{}.xlsx", d.date.format("%Y-%m-%d")),
        bytes,
    ))
}
