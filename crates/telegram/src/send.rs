//! The sender task: takes messages from the [`Outbox`] and sends them to the chat with
//! frankenstein's `sendMessage`, paced (at most one per `send_interval`, Telegram's "about one
//! message per second per chat"), honouring a 429's `retry_after`, retrying transient failures
//! with backon, then logging the failure with `tracing::warn!` (never the URL: it holds the
//! token; frankenstein strips it from its HTTP errors).

use crate::outbox::Outbox;
use backon::{ExponentialBuilder, Retryable};
use frankenstein::AsyncTelegramApi;
use frankenstein::client_reqwest::Bot;
use frankenstein::methods::SendMessageParams;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How many 429s in a row one message waits out before it is given up (logged).
const MAX_RATE_LIMITED: u32 = 20;

/// The seconds a 429 asks to wait (`parameters.retry_after`), if the error is one.
pub fn retry_after(e: &frankenstein::Error) -> Option<Duration> {
    match e {
        frankenstein::Error::Api(r) if r.error_code == 429 => Some(Duration::from_secs(
            r.parameters
                .as_ref()
                .and_then(|p| p.retry_after)
                .map_or(1, u64::from),
        )),
        _ => None,
    }
}

/// Worth trying again soon: network failures and 5xx (not 4xx: a wrong chat id stays wrong).
fn transient(e: &frankenstein::Error) -> bool {
    match e {
        frankenstein::Error::Api(r) => r.error_code >= 500,
        frankenstein::Error::HttpReqwest(_) => true,
        _ => false,
    }
}

/// A short description of a send failure without any URL.
fn describe(e: &frankenstein::Error) -> String {
    match e {
        frankenstein::Error::Api(r) => format!("Bot API {}: {}", r.error_code, r.description),
        frankenstein::Error::HttpReqwest(h) => format!("HTTP: {h}"),
        other => other.to_string(),
    }
}

/// Sends one chat's messages.
#[derive(Debug, Clone)]
pub struct Sender {
    bot: Bot,
    chat_id: i64,
    interval: Duration,
}

impl Sender {
    /// A sender to `chat_id` through `bot`, at most one message per `interval`.
    pub fn new(bot: Bot, chat_id: i64, interval: Duration) -> Self {
        Self {
            bot,
            chat_id,
            interval,
        }
    }

    /// Send one text: transient failures retried (3 times, exponential from 200 ms), each 429
    /// waited out for its `retry_after` (up to `MAX_RATE_LIMITED` times). `Err` is the last
    /// failure, described without URL.
    pub async fn send(&self, text: &str) -> Result<(), String> {
        let params = SendMessageParams::builder()
            .chat_id(self.chat_id)
            .text(text)
            .build();
        let mut limited = 0;
        loop {
            let attempt = || async { self.bot.send_message(&params).await };
            let r = attempt
                .retry(
                    ExponentialBuilder::default()
                        .with_min_delay(Duration::from_millis(200))
                        .with_max_times(3),
                )
                .when(transient)
                .await;
            match r {
                Ok(_) => return Ok(()),
                Err(e) => match retry_after(&e) {
                    Some(wait) if limited < MAX_RATE_LIMITED => {
                        limited += 1;
                        tracing::info!(target: "telegram", wait_secs = wait.as_secs(), "Bot API rate limit (429): waiting");
                        tokio::time::sleep(wait).await;
                    }
                    _ => return Err(describe(&e)),
                },
            }
        }
    }

    /// Run until `outbox` is closed and drained: pop, pace, send; a message that still fails
    /// is logged and dropped.
    pub async fn run(self, outbox: Arc<Outbox>) {
        let mut last: Option<Instant> = None;
        loop {
            outbox.wait().await;
            let Some(msg) = outbox.pop() else {
                if outbox.is_closed() {
                    return;
                }
                continue;
            };
            if let Some(t) = last {
                tokio::time::sleep_until(t + self.interval).await;
            }
            if let Err(e) = self.send(&msg.text).await {
                tracing::warn!(target: "telegram", chat_id = self.chat_id, priority = ?msg.priority, error = %e, "Telegram message not sent");
            }
            last = Some(Instant::now());
        }
    }
}
