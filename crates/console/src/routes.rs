//! The JSON routes: seed 003's paths exactly, plus pause/resume, trades, events and health
//! (spec §12). Each handler turns a request into one [`Backend`](crate::Backend) call; the
//! guard in [`crate::server`] has already checked the token and the rate limit.

use crate::backend::{AuthStatus, Health, StartRequest};
use crate::error::ApiError;
use crate::extract::{JsonBody, JsonOrDefault};
use crate::server::{AppState, query_param};
use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use domain::Segment;
use engine::control::{Command, CommandReply, ManualOrder, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Every route of the console except the page, downloads and the stream (see
/// [`crate::server`] for which need the token).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/live/auth/login-url", get(login_url))
        .route(
            "/live/auth/complete",
            post(auth_complete_post).get(auth_complete_get),
        )
        .route("/live/auth/status", get(auth_status))
        .route("/live/start-trading", post(start_trading))
        .route("/live/stop-trading", post(stop_trading))
        .route("/live/pause", post(pause))
        .route("/live/resume", post(resume))
        .route("/live/status", get(status))
        .route("/live/health", get(health))
        .route("/live/params", get(params))
        .route("/live/positions", get(positions))
        .route("/live/close-position/{id}", post(close_position))
        .route("/live/close-all", post(close_all))
        .route("/live/place-order", post(place_order))
        .route("/live/test-order", post(test_order))
        .route("/live/orders", get(orders))
        .route("/live/cancel-order/{id}", post(cancel_order))
        .route("/live/trades", get(trades))
        .route("/live/events", get(events))
        .route("/live/test-connection", get(test_connection))
        .route("/live/websocket/status", get(websocket_status))
        .route("/metrics", get(metrics))
        .merge(crate::history::routes())
        .merge(crate::stream::routes())
        .merge(crate::download::routes())
        .merge(crate::page::routes())
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// `Content-Type` of `GET /metrics`: the Prometheus text exposition format, version 0.0.4.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics` (issue 12): the backend's metrics for a Prometheus scraper; public and
/// read-only (see [`crate::server`]); 404 when the backend keeps none.
async fn metrics(State(st): State<AppState>) -> Response {
    match st.backend.metrics() {
        Some(text) => (
            [(axum::http::header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
            text,
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "no metrics: this process keeps none",
            None,
        )
        .into_response(),
    }
}

async fn command(st: &AppState, cmd: Command) -> ApiResult<CommandReply> {
    tracing::info!(target: "console", command = ?cmd, "console command");
    Ok(Json(st.backend.command(cmd).await?))
}

async fn login_url(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let url = st.backend.auth().login_url()?;
    Ok(Json(json!({ "login_url": url })))
}

/// `POST /live/auth/complete` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    request_token: String,
}

async fn auth_complete_post(
    State(st): State<AppState>,
    JsonBody(body): JsonBody<CompleteBody>,
) -> ApiResult<AuthStatus> {
    if body.request_token.trim().is_empty() {
        return Err(ApiError::bad_request("request_token", "must not be empty"));
    }
    Ok(Json(
        st.backend
            .auth()
            .complete(body.request_token.trim())
            .await?,
    ))
}

/// Kite's redirect (`?request_token=...&action=login&status=success`): a small page, since
/// it opens in the trader's browser. Without a `request_token` (only reachable with the
/// token, see the guard) it is a 400 naming it.
async fn auth_complete_get(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let Some(token) = query_param(q.as_deref(), "request_token").filter(|t| !t.trim().is_empty())
    else {
        return ApiError::bad_request("request_token", "query parameter missing").into_response();
    };
    let (status, title, detail) = match st.backend.auth().complete(token.trim()).await {
        Ok(s) if s.authenticated => (
            StatusCode::OK,
            "Logged in to Kite",
            format!(
                "Kite session stored{}. You can close this tab and return to the Live Trader.",
                s.user_id.map(|u| format!(" for {u}")).unwrap_or_default()
            ),
        ),
        Ok(s) => (
            StatusCode::BAD_GATEWAY,
            "Not logged in",
            s.message
                .unwrap_or_else(|| "Kite did not accept the login".into()),
        ),
        Err(e) => {
            let a = ApiError::from(e);
            (a.status, "Not logged in", a.error)
        }
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1 id=\"login-result\">{t}</h1><p>{d}</p>\
         <p><a href=\"/live_trading.html\">Live Trader</a></p></body></html>",
        t = escape_html(title),
        d = escape_html(&detail)
    );
    (status, Html(page)).into_response()
}

/// Minimal HTML text escaping for the login page.
fn escape_html(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

async fn auth_status(State(st): State<AppState>) -> ApiResult<AuthStatus> {
    Ok(Json(st.backend.auth().status().await))
}

/// Seed 003's `start-trading`: `enabled: false` stops entries; `use_hedging: true` is
/// refused; anything else starts (or resumes) a session through the backend.
async fn start_trading(
    State(st): State<AppState>,
    JsonOrDefault(req): JsonOrDefault<StartRequest>,
) -> Result<Response, ApiError> {
    if req.use_hedging == Some(true) {
        return Err(ApiError::bad_request(
            "use_hedging",
            "hedged option selling is not supported by this engine (it buys CE/PE only)",
        ));
    }
    if req.enabled == Some(false) {
        let reply = command(&st, Command::StopEntries { close_all: false }).await?;
        return Ok(reply.into_response());
    }
    tracing::info!(target: "console", mode = ?req.mode, segments = ?req.segments, "console start-trading");
    let reply = st.backend.start(req).await?;
    Ok(Json(reply).into_response())
}

/// `POST /live/stop-trading` body (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StopBody {
    #[serde(default)]
    close_all: bool,
}

async fn stop_trading(
    State(st): State<AppState>,
    JsonOrDefault(b): JsonOrDefault<StopBody>,
) -> ApiResult<CommandReply> {
    command(
        &st,
        Command::StopEntries {
            close_all: b.close_all,
        },
    )
    .await
}

async fn pause(State(st): State<AppState>) -> ApiResult<CommandReply> {
    command(&st, Command::Pause).await
}

async fn resume(State(st): State<AppState>) -> ApiResult<CommandReply> {
    command(&st, Command::Resume).await
}

/// `GET /live/status`: `running`, `health`, then the snapshot's fields (absent before a
/// session).
#[derive(Serialize)]
struct StatusBody<'a> {
    running: bool,
    health: Health,
    #[serde(flatten)]
    snapshot: Option<&'a Snapshot>,
}

async fn status(State(st): State<AppState>) -> Response {
    let snap = st.backend.snapshot();
    let health = st.backend.health();
    Json(StatusBody {
        running: health.session_running,
        health,
        snapshot: snap.as_deref(),
    })
    .into_response()
}

async fn params(State(st): State<AppState>) -> Json<crate::backend::StartRequest> {
    Json(st.backend.params().await)
}

async fn health(State(st): State<AppState>) -> Json<Health> {
    Json(st.backend.health())
}

async fn positions(State(st): State<AppState>) -> Json<serde_json::Value> {
    let snap = st.backend.snapshot();
    let positions: Vec<_> = snap
        .iter()
        .flat_map(|s| s.segments.iter().filter_map(|c| c.position.as_ref()))
        .collect();
    Json(json!({ "positions": positions }))
}

async fn close_position(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<CommandReply> {
    // An index (`NIFTY`, `BANKNIFTY`, `SENSEX`, or an alias) or a stock of the session's
    // `[universe]` (`RELIANCE`); a segment without an open position is 404 from the engine.
    let segment: Segment = id.parse().map_err(|_| {
        ApiError::bad_request(
            "id",
            format!("`{id}` is neither an index (NIFTY, BANKNIFTY, SENSEX) nor an NSE symbol"),
        )
    })?;
    command(&st, Command::ClosePosition { segment }).await
}

async fn close_all(State(st): State<AppState>) -> ApiResult<CommandReply> {
    command(&st, Command::CloseAll).await
}

async fn place_order(
    State(st): State<AppState>,
    JsonBody(o): JsonBody<ManualOrder>,
) -> ApiResult<CommandReply> {
    command(&st, Command::PlaceOrder(o)).await
}

async fn test_order(
    State(st): State<AppState>,
    JsonBody(o): JsonBody<ManualOrder>,
) -> ApiResult<CommandReply> {
    command(&st, Command::TestOrder(o)).await
}

async fn orders(State(st): State<AppState>) -> Json<serde_json::Value> {
    let snap = st.backend.snapshot();
    let orders = snap.as_deref().map(|s| s.orders.as_slice()).unwrap_or(&[]);
    Json(json!({ "orders": orders }))
}

async fn cancel_order(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<CommandReply> {
    if id.trim().is_empty() {
        return Err(ApiError::bad_request("id", "order id must not be empty"));
    }
    command(&st, Command::CancelOrder { id }).await
}

/// Today's trades from the snapshot; with `?date=` (and `mode=`) a past day's from the store
/// ([`crate::history`]).
async fn trades(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    if let Some(day) = crate::history::day_query(q.as_deref())? {
        return crate::history::trades(&st, day).await;
    }
    let snap = st.backend.snapshot();
    let trades = snap.as_deref().map(|s| s.trades.as_slice()).unwrap_or(&[]);
    Ok(Json(json!({ "trades": trades })))
}

/// `?from=N` (default 0), a 400 naming `from` when not a whole number.
pub(crate) fn from_param(q: Option<&str>) -> Result<usize, ApiError> {
    match query_param(q, "from") {
        None => Ok(0),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ApiError::bad_request("from", format!("`{v}` is not a whole number"))),
    }
}

async fn events(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let from = from_param(q.as_deref())?;
    if let Some(day) = crate::history::day_query(q.as_deref())? {
        return crate::history::events(&st, day, from).await;
    }
    let events = st.backend.events(from);
    let next = from + events.len();
    Ok(Json(
        json!({ "from": from, "next": next, "events": events }),
    ))
}

async fn test_connection(State(st): State<AppState>) -> Json<serde_json::Value> {
    let auth = st.backend.auth().status().await;
    Json(json!({ "auth": auth, "health": st.backend.health() }))
}

async fn websocket_status(State(st): State<AppState>) -> Json<serde_json::Value> {
    let h = st.backend.health();
    Json(json!({
        "socket": h.socket,
        "connected": h.socket == "connected",
        "last_tick_age_secs": h.last_tick_age_secs,
        "reconnects": h.reconnects,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_param_parses_or_names_from() {
        assert_eq!(from_param(None).unwrap(), 0);
        assert_eq!(from_param(Some("from=7")).unwrap(), 7);
        assert_eq!(
            from_param(Some("from=x")).unwrap_err().field.as_deref(),
            Some("from")
        );
        assert_eq!(from_param(Some("from=-1")).unwrap_err().status, 400);
    }

    #[test]
    fn login_page_text_is_escaped() {
        assert_eq!(escape_html("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
