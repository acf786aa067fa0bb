//! Telegram for Kestrel (issue 12; `docs/telegram.md`): notifications to one chat and commands
//! from it. The bot is a client of the console's port [`console::backend::Backend`], exactly
//! like the web page: notifications follow `Backend::subscribe()`, commands go through
//! `Backend::command` and read `Backend::snapshot`, so chat, page and API never disagree.
//!
//! - [`settings`]: [`TelegramSettings`], the secret [`BotToken`] (env or 0600 file);
//! - [`outbox`]: the bounded, never-blocking queue with priorities and merging;
//! - [`send`]: pacing, 429 `retry_after`, retries (frankenstein's `sendMessage`);
//! - [`format`](mod@format): message texts; [`notifier`]: events/snapshots → messages;
//! - [`commands`]: chat commands and their confirmation.
//!
//! [`run`] runs it all until a shutdown future resolves.

pub mod commands;
pub mod format;
pub mod notifier;
pub mod outbox;
pub mod send;
pub mod settings;

pub use outbox::{Message, Outbox, Priority};
pub use settings::{BotToken, SettingsError, TelegramSettings};

use console::backend::Backend;
use frankenstein::AsyncTelegramApi;
use frankenstein::client_reqwest::Bot;
use frankenstein::methods::GetUpdatesParams;
use frankenstein::updates::UpdateContent;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The frankenstein client for `settings` (its URL holds the token: never log it). The HTTP
/// timeout outlasts the long poll.
pub fn client(settings: &TelegramSettings) -> Bot {
    let mut http = frankenstein::reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(
            u64::from(settings.poll_timeout_secs) + 15,
        ));
    if is_loopback(&settings.api_url) {
        // A local Bot API (tests, a self-hosted server) is never reached through a proxy.
        http = http.no_proxy();
    }
    let http = http.build().unwrap_or_default();
    Bot::builder()
        .api_url(settings.bot_url())
        .client(http)
        .build()
}

fn is_loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    host == "localhost"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Run notifications and commands until `shutdown` resolves; then send what is queued
/// (critical messages first), giving up after `drain_limit`.
pub async fn run(
    settings: TelegramSettings,
    backend: Arc<dyn Backend>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let bot = client(&settings);
    let outbox = Arc::new(Outbox::new(settings.queue_capacity));
    let sender = send::Sender::new(bot.clone(), settings.chat_id, settings.send_interval);
    let sending = tokio::spawn(sender.run(outbox.clone()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let polling = tokio::spawn(poll_commands(
        bot,
        settings.clone(),
        backend.clone(),
        outbox.clone(),
        stop_rx,
    ));
    let notifier =
        notifier::Notifier::new(outbox.clone(), backend.as_ref(), settings.daily_summary)
            .with_feed_watch(settings.feed_stale_after);
    notifier.run(backend, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = polling.await;
    outbox.close();
    // Critical messages go first; a sender stuck on a dead network is not waited forever.
    let drain = Duration::from_secs(30).max(settings.send_interval * (outbox.len() as u32 + 1));
    if tokio::time::timeout(drain, sending).await.is_err() {
        tracing::warn!(target: "telegram", left = outbox.len(), critical = outbox.critical_waiting(), "Telegram messages not sent before exit");
    }
}

/// Long-poll `getUpdates` (with the offset of the last update + 1) until `stop`; texts of the
/// authorised chat go to the [`commands::Commander`], replies into the outbox (normal
/// priority); other chats are logged by chat id and never answered.
pub async fn poll_commands(
    bot: Bot,
    settings: TelegramSettings,
    backend: Arc<dyn Backend>,
    outbox: Arc<Outbox>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut commander = commands::Commander::new(settings.confirm_window);
    let mut offset: Option<i64> = None;
    let mut failures: u32 = 0;
    loop {
        let params = GetUpdatesParams::builder()
            .maybe_offset(offset)
            .timeout(settings.poll_timeout_secs)
            .build();
        let got = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = bot.get_updates(&params) => r,
        };
        let updates = match got {
            Ok(r) => {
                failures = 0;
                r.result
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = send::retry_after(&e)
                    .unwrap_or_else(|| Duration::from_secs(u64::from(failures.min(30))));
                tracing::warn!(target: "telegram", error = %describe(&e), wait_secs = wait.as_secs(), "getUpdates failed");
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    () = tokio::time::sleep(wait) => continue,
                }
            }
        };
        for u in updates {
            offset = Some(i64::from(u.update_id) + 1);
            let UpdateContent::Message(m) = u.content else {
                continue;
            };
            let Some(text) = m.text.as_deref() else {
                continue;
            };
            if m.chat.id != settings.chat_id {
                tracing::warn!(target: "telegram", chat_id = m.chat.id, "message from an unauthorised chat ignored");
                continue;
            }
            let reply = commander
                .handle(backend.as_ref(), text, tokio::time::Instant::now())
                .await;
            outbox.push(Message::new(Priority::Normal, reply));
        }
    }
}

fn describe(e: &frankenstein::Error) -> String {
    match e {
        frankenstein::Error::Api(r) => format!("Bot API {}: {}", r.error_code, r.description),
        frankenstein::Error::HttpReqwest(h) => format!("HTTP: {h}"),
        other => other.to_string(),
    }
}
