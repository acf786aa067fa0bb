//! A fake Telegram Bot API on 127.0.0.1 for tests (issue 12): `POST /bot<token>/sendMessage`
//! and `POST /bot<token>/getUpdates` (long poll) with the real JSON shapes
//! (`{"ok":true,"result":...}` with `Message`/`Update` objects;
//! `{"ok":false,"error_code":429,"description":...,"parameters":{"retry_after":N}}`).
//!
//! The test injects incoming messages from any chat id ([`FakeBotApi::incoming`]), reads every
//! sent message with the time it arrived ([`FakeBotApi::sent`]), and can make the next K sends
//! answer 429 ([`FakeBotApi::rate_limit_next`]). A wrong token is a 401 as Telegram answers.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// One message the bot sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// `chat_id` of the request.
    pub chat_id: i64,
    /// `text` of the request.
    pub text: String,
    /// When the fake accepted it.
    pub at: Instant,
}

#[derive(Debug, Default)]
struct FakeState {
    sent: Vec<Sent>,
    /// Updates not yet confirmed by an offset: `(update_id, update JSON)`.
    updates: Vec<(i64, Value)>,
    next_update_id: i64,
    next_message_id: i64,
    rate_limited: u32,
    retry_after: u32,
    refused: u32,
}

#[derive(Debug)]
struct Shared {
    token: String,
    state: Mutex<FakeState>,
    incoming: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The running fake (the server stops when the test's runtime ends).
#[derive(Debug, Clone)]
pub struct FakeBotApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn api_error(code: u16, description: &str, parameters: Option<Value>) -> (StatusCode, Json<Value>) {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
        Json(body),
    )
}

impl FakeBotApi {
    /// Serve on a free loopback port for bot `token`.
    pub async fn start(token: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            token: token.to_string(),
            state: Mutex::new(FakeState {
                next_update_id: 1000,
                next_message_id: 1,
                ..FakeState::default()
            }),
            incoming: Notify::new(),
        });
        let app = Router::new()
            .route("/{bot}/{method}", post(method))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared })
    }

    /// The base URL to configure as `api_url` (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A text message from `chat_id` arrives (seen by the next `getUpdates`).
    pub fn incoming(&self, chat_id: i64, text: &str) {
        {
            let mut s = self.shared.lock();
            let (uid, mid) = (s.next_update_id, s.next_message_id);
            s.next_update_id += 1;
            s.next_message_id += 1;
            let update = json!({
                "update_id": uid,
                "message": {
                    "message_id": mid,
                    "from": {"id": chat_id, "is_bot": false, "first_name": "Trader"},
                    "chat": {"id": chat_id, "type": "private", "first_name": "Trader"},
                    "date": unix_now(),
                    "text": text,
                }
            });
            s.updates.push((uid, update));
        }
        self.shared.incoming.notify_waiters();
    }

    /// Answer the next `k` `sendMessage` calls with 429 and `retry_after` seconds.
    pub fn rate_limit_next(&self, k: u32, retry_after_secs: u32) {
        let mut s = self.shared.lock();
        s.rate_limited = k;
        s.retry_after = retry_after_secs;
    }

    /// Every message sent so far, in arrival order.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.lock().sent.clone()
    }

    /// How many sends were refused with 429.
    pub fn refused(&self) -> u32 {
        self.shared.lock().refused
    }

    /// Wait until a sent message satisfies `ok` (polling every 20 ms); `None` after `timeout`.
    pub async fn wait_sent(&self, timeout: Duration, ok: impl Fn(&Sent) -> bool) -> Option<Sent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.sent().into_iter().find(|s| ok(s)) {
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn method(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> (StatusCode, Json<Value>) {
    if bot.strip_prefix("bot") != Some(shared.token.as_str()) {
        return api_error(401, "Unauthorized", None);
    }
    let body = body.map(|Json(v)| v).unwrap_or(Value::Null);
    match method.as_str() {
        "sendMessage" => send_message(&shared, &body),
        "getUpdates" => get_updates(&shared, &body).await,
        _ => api_error(404, "Not Found: method not found", None),
    }
}

fn send_message(shared: &Shared, body: &Value) -> (StatusCode, Json<Value>) {
    let (Some(chat_id), Some(text)) = (body["chat_id"].as_i64(), body["text"].as_str()) else {
        return api_error(400, "Bad Request: chat_id and text are required", None);
    };
    if text.is_empty() {
        return api_error(400, "Bad Request: message text is empty", None);
    }
    let mut s = shared.lock();
    if s.rate_limited > 0 {
        s.rate_limited -= 1;
        s.refused += 1;
        let n = s.retry_after;
        return api_error(
            429,
            &format!("Too Many Requests: retry after {n}"),
            Some(json!({"retry_after": n})),
        );
    }
    let mid = s.next_message_id;
    s.next_message_id += 1;
    s.sent.push(Sent {
        chat_id,
        text: text.to_string(),
        at: Instant::now(),
    });
    (
        StatusCode::OK,
        Json(json!({"ok": true, "result": {
            "message_id": mid,
            "from": {"id": 1, "is_bot": true, "first_name": "Kestrel", "username": "kestrel_bot"},
            "chat": {"id": chat_id, "type": "private"},
            "date": unix_now(),
            "text": text,
        }})),
    )
}

async fn get_updates(shared: &Shared, body: &Value) -> (StatusCode, Json<Value>) {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0).min(50));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let waiting = shared.incoming.notified();
        {
            let mut s = shared.lock();
            // An offset confirms every update before it (Bot API `getUpdates`).
            s.updates.retain(|(id, _)| *id >= offset);
            if !s.updates.is_empty() {
                let result: Vec<Value> = s.updates.iter().map(|(_, u)| u.clone()).collect();
                return (StatusCode::OK, Json(json!({"ok": true, "result": result})));
            }
        }
        if tokio::time::timeout_at(deadline, waiting).await.is_err() {
            return (StatusCode::OK, Json(json!({"ok": true, "result": []})));
        }
    }
}
