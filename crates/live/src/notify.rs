//! The Telegram bot beside the console (issue 12, `docs/telegram.md`): `paper` and `live-bin`
//! start it when `[telegram] enabled = true`, as one more client of the [`Supervisor`]'s
//! `console::backend::Backend` port. It needs the supervisor, so not with `--no-http`.
//!
//! The startup line names the chat messages go to; the token is never printed.

use crate::Supervisor;
use console::backend::Backend;
use std::sync::Arc;
use std::time::Duration;
use telegram::TelegramSettings;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The running bot: [`Telegram::finish`] stops it and sends what is queued.
#[derive(Debug)]
pub struct Telegram {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Start the bot when `section.enabled` (`Ok(None)` when not). `Err` (for the CLI to print)
/// when enabled but the token or chat id is missing or malformed (the message names the env
/// variable and the secrets file, never a secret).
pub fn start(
    name: &str,
    section: &config::TelegramSection,
    supervisor: Arc<Supervisor>,
) -> Result<Option<Telegram>, String> {
    if !section.enabled {
        return Ok(None);
    }
    let settings = TelegramSettings::from_config(section).map_err(|e| e.to_string())?;
    Ok(Some(start_with(name, settings, supervisor)))
}

/// Start the bot with explicit settings (tests: a fake Bot API and a short send interval).
pub fn start_with(name: &str, settings: TelegramSettings, backend: Arc<dyn Backend>) -> Telegram {
    eprintln!(
        "{name}: Telegram notifications and commands: chat {} (via {})",
        settings.chat_id, settings.api_url
    );
    let (stop, rx) = oneshot::channel();
    let task = tokio::spawn(telegram::run(settings, backend, async {
        let _ = rx.await;
    }));
    Telegram { stop, task }
}

impl Telegram {
    /// Stop following the session, send the queued messages (critical first; the daily
    /// summary if the session ended), then return (at most about a minute).
    pub async fn finish(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(Duration::from_secs(90), self.task)
            .await
            .is_err()
        {
            tracing::warn!(target: "telegram", "Telegram bot did not finish in time");
        }
    }
}
