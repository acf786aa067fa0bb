//! The fake's two endpoints (see the crate docs for what each answers).

use crate::candles::{dates, day_candles};
use crate::{Request, Shared};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDateTime;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/breezeapi/api/v1/customerdetails", get(customerdetails))
        .route("/api/v2/historicalcharts", get(historicalcharts))
        .with_state(shared)
}

/// `{"Success": null, "Status": 500, "Error": message}` (HTTP 200).
fn error(message: &str) -> Response {
    axum::Json(json!({"Success": null, "Status": 500, "Error": message})).into_response()
}

fn ok(success: Value) -> Response {
    axum::Json(json!({"Success": success, "Status": 200, "Error": null})).into_response()
}

/// Take one injected failure, if any is left.
fn injected_failure(s: &Shared) -> Option<Response> {
    s.fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .ok()
        .map(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())
}

async fn customerdetails(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    s.customerdetails.fetch_add(1, Ordering::SeqCst);
    s.note_call();
    if let Some(r) = injected_failure(&s) {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error("Invalid JSON in request body.");
    };
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    if field("AppKey") != s.settings.api_key {
        return error("Public Key does not exist.");
    }
    if field("SessionToken") != s.settings.session_token {
        return error("Invalid session.");
    }
    ok(json!({
        "exg_trade_date": {"NSE": "", "BSE": "", "FNO": "", "NDX": ""},
        "exg_status": {"NSE": "Y", "BSE": "Y", "FNO": "Y", "NDX": "Y"},
        "segments_allowed": {"Trading": "Y", "Equity": "Y", "Derivatives": "Y", "Currency": "N"},
        "idirect_userid": s.settings.user_id,
        "session_token": s.issued_token(),
        "idirect_user_name": "FAKE BREEZE USER",
        "idirect_ORD_TYP": "",
        "idirect_lastlogin_time": "",
        "mf_holding_mode_popup_flg": "N",
        "commodity_exchange_status": "N",
        "commodity_trade_date": "",
        "commodity_allowed": "N",
    }))
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3fZ").ok()
}

async fn historicalcharts(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.historical.fetch_add(1, Ordering::SeqCst);
    s.note_call();
    if let Some(r) = injected_failure(&s) {
        return r;
    }
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    if header("apikey") != s.settings.api_key {
        return error("Public Key does not exist.");
    }
    if header("X-SessionToken") != s.issued_token() {
        return error("Invalid session.");
    }
    if s.expired.load(Ordering::SeqCst) {
        return error("Resource not available.");
    }
    let param = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if param("interval") != "1minute" {
        return error("The fake serves interval 1minute only.");
    }
    let (Some(from), Some(to)) = (parse_time(param("from_date")), parse_time(param("to_date")))
    else {
        return error("from_date and to_date must be YYYY-MM-DDTHH:MM:SS.000Z.");
    };
    let code = param("stock_code");
    let Some((exch, series)) = s.settings.instruments.get(code) else {
        return record(&s, &q, Vec::new());
    };
    if !param("exch_code").eq_ignore_ascii_case(exch) {
        return record(&s, &q, Vec::new());
    }
    let product = param("product_type");
    if !product.is_empty() && !product.eq_ignore_ascii_case("cash") {
        return record(&s, &q, Vec::new());
    }
    let mut out = Vec::new();
    for d in dates(from.date(), to.date()) {
        if out.len() >= s.settings.max_candles {
            break;
        }
        if !s.catalog.has_bars(series, d) {
            continue;
        }
        let bars = match s.catalog.bars(series, d) {
            Ok(b) => b,
            Err(e) => return error(&format!("catalog: {e}")),
        };
        out.extend(
            day_candles(&bars, code, exch)
                .into_iter()
                .filter(|(t, _)| *t >= from && *t <= to)
                .map(|(_, v)| v),
        );
    }
    out.truncate(s.settings.max_candles);
    record(&s, &q, out)
}

fn record(s: &Shared, q: &HashMap<String, String>, candles: Vec<Value>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    s.requests
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Request {
            stock_code: get("stock_code"),
            from_date: get("from_date"),
            to_date: get("to_date"),
            candles: candles.len(),
        });
    ok(Value::Array(candles))
}
