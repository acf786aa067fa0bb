//! Where the bot sends and whom it obeys: [`TelegramSettings`] from the `[telegram]` config
//! table and the secrets (bot token, chat id) from the environment or the 0600 secrets file.
//!
//! Secrets follow the Kite credentials' mechanism (`broker_kite::session`): the environment
//! wins (`TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID`), else a JSON file beside the Kite session
//! file, `~/.config/kestrel/telegram.json` (`{"bot_token": "...", "chat_id": 123}`), which must
//! not be readable by group or others (0600). It is a separate file because `login` rewrites
//! the Kite session file every morning. The token never reaches `Debug`, `Display` or a log.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable holding the bot token (BotFather's `123456:ABC...`).
pub const ENV_BOT_TOKEN: &str = "TELEGRAM_BOT_TOKEN";
/// Environment variable holding the authorised chat id (an integer, negative for groups).
pub const ENV_CHAT_ID: &str = "TELEGRAM_CHAT_ID";
/// Environment variable overriding the secrets file path.
pub const ENV_SECRETS_FILE: &str = "KESTREL_TELEGRAM_SECRETS";

/// A bot token. `Debug` and `Display` print `<redacted>`; only [`BotToken::expose`] gives it,
/// to build the Bot API URL (which is therefore never logged either).
#[derive(Clone, PartialEq, Eq)]
pub struct BotToken(String);

impl BotToken {
    /// A token; `Err` when blank or containing whitespace or `/` (it goes into a URL path).
    pub fn new(token: impl Into<String>) -> Result<Self, SettingsError> {
        let t = token.into();
        if t.trim().is_empty() || t.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(SettingsError::Invalid(
                "bot token: blank or contains whitespace or '/'",
            ));
        }
        Ok(Self(t))
    }

    /// The token itself (for the Bot API URL only).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why the settings could not be made. Never contains the token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// No token or no chat id anywhere.
    #[error("Telegram {0} missing: set {1} or add it to {2}")]
    Missing(&'static str, &'static str, String),
    /// A value is malformed.
    #[error("Telegram {0}")]
    Invalid(&'static str),
    /// The secrets file cannot be read, parsed, or is readable by others.
    #[error("Telegram secrets file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why (no secret).
        reason: String,
    },
}

/// Everything the bot needs.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// Bot API base URL without `/bot<token>`, e.g. `https://api.telegram.org`.
    pub api_url: String,
    /// The bot token (secret).
    pub token: BotToken,
    /// The one chat the bot reports to and obeys.
    pub chat_id: i64,
    /// Queue capacity before low-priority messages merge (at least 4).
    pub queue_capacity: usize,
    /// Least time between two sends to the chat (Telegram: about one message per second per
    /// chat).
    pub send_interval: Duration,
    /// Send the daily summary at session end.
    pub daily_summary: bool,
    /// Seconds a `/closeall` or `/close` waits for `/confirm`.
    pub confirm_window: Duration,
    /// `getUpdates` long-poll timeout, seconds.
    pub poll_timeout_secs: u32,
    /// No index tick for this long while a session runs → a critical "feed stale" message
    /// (`None`: off). Read from the console port's health (`last_tick_age_secs`).
    pub feed_stale_after: Option<Duration>,
}

impl TelegramSettings {
    /// Settings with the defaults: 1 message/s, 60 s confirmation window, 25 s long poll.
    pub fn new(api_url: impl Into<String>, token: BotToken, chat_id: i64) -> Self {
        Self {
            api_url: api_url.into().trim_end_matches('/').to_string(),
            token,
            chat_id,
            queue_capacity: 256,
            send_interval: Duration::from_secs(1),
            daily_summary: true,
            confirm_window: Duration::from_secs(60),
            poll_timeout_secs: 25,
            feed_stale_after: Some(Duration::from_secs(30)),
        }
    }

    /// From the `[telegram]` table and the secrets (environment, else the secrets file).
    pub fn from_config(section: &config::TelegramSection) -> Result<Self, SettingsError> {
        let (token, chat_id) = resolve_secrets(|k| std::env::var(k).ok(), &secrets_path())?;
        let mut s = Self::new(section.api_url.clone(), token, chat_id);
        s.queue_capacity = section.queue_capacity.max(4);
        s.daily_summary = section.daily_summary;
        s.feed_stale_after =
            (section.feed_stale_secs > 0).then(|| Duration::from_secs(section.feed_stale_secs));
        Ok(s)
    }

    /// `<api_url>/bot<token>`: the base of every Bot API method. Secret: never log it.
    pub fn bot_url(&self) -> String {
        format!("{}/bot{}", self.api_url, self.token.expose())
    }
}

/// `$KESTREL_TELEGRAM_SECRETS`, else `~/.config/kestrel/telegram.json` (beside the Kite
/// session file).
pub fn secrets_path() -> PathBuf {
    if let Some(p) = std::env::var_os(ENV_SECRETS_FILE).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".config").join("kestrel").join("telegram.json")
}

/// Whether a token is available (environment or secrets file) without reading it out.
pub fn token_present() -> bool {
    std::env::var(ENV_BOT_TOKEN).is_ok_and(|t| !t.trim().is_empty()) || secrets_path().is_file()
}

#[derive(Deserialize)]
struct SecretsFile {
    bot_token: Option<String>,
    chat_id: Option<ChatIdValue>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ChatIdValue {
    Int(i64),
    Text(String),
}

fn parse_chat_id(s: &str) -> Result<i64, SettingsError> {
    s.trim()
        .parse()
        .map_err(|_| SettingsError::Invalid("chat id: not an integer"))
}

/// Token and chat id: `env` first (`TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID`), else the file.
pub fn resolve_secrets(
    env: impl Fn(&str) -> Option<String>,
    file: &Path,
) -> Result<(BotToken, i64), SettingsError> {
    let env_token = env(ENV_BOT_TOKEN).filter(|s| !s.trim().is_empty());
    let env_chat = env(ENV_CHAT_ID).filter(|s| !s.trim().is_empty());
    let stored = if env_token.is_some() && env_chat.is_some() {
        None
    } else {
        read_file(file)?
    };
    let token = match env_token.or_else(|| stored.as_ref().and_then(|f| f.bot_token.clone())) {
        Some(t) => BotToken::new(t.trim())?,
        None => {
            return Err(SettingsError::Missing(
                "bot token",
                ENV_BOT_TOKEN,
                file.display().to_string(),
            ));
        }
    };
    let chat = match env_chat {
        Some(c) => parse_chat_id(&c)?,
        None => match stored.and_then(|f| f.chat_id) {
            Some(ChatIdValue::Int(i)) => i,
            Some(ChatIdValue::Text(s)) => parse_chat_id(&s)?,
            None => {
                return Err(SettingsError::Missing(
                    "chat id",
                    ENV_CHAT_ID,
                    file.display().to_string(),
                ));
            }
        },
    };
    Ok((token, chat))
}

fn read_file(path: &Path) -> Result<Option<SecretsFile>, SettingsError> {
    let err = |reason: String| SettingsError::File {
        path: path.to_path_buf(),
        reason,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e.to_string())),
    };
    check_private(path).map_err(err)?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        err(format!(
            "line {} column {}: invalid JSON ({})",
            e.line(),
            e.column(),
            e.classify_name()
        ))
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "a field has the wrong type",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "mode {:o} is readable by others: chmod 600 it",
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn token_is_never_printed() {
        let t = BotToken::new("123:SENTINEL").unwrap();
        assert_eq!(format!("{t} {t:?}"), "<redacted> <redacted>");
        let s = TelegramSettings::new("http://x/", t, 5);
        assert!(!format!("{s:?}").contains("SENTINEL"));
        assert_eq!(s.bot_url(), "http://x/bot123:SENTINEL");
        assert!(BotToken::new(" ").is_err());
        assert!(BotToken::new("a/b").is_err());
    }

    #[test]
    fn environment_wins_then_the_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("telegram.json");
        let none = env(&[]);
        assert!(matches!(
            resolve_secrets(&none, &file),
            Err(SettingsError::Missing("bot token", ..))
        ));
        std::fs::write(&file, r#"{"bot_token":"1:FILE","chat_id":"-42"}"#).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = resolve_secrets(&none, &file).unwrap_err().to_string();
            assert!(e.contains("chmod 600") && !e.contains("FILE"), "{e}");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let (t, c) = resolve_secrets(&none, &file).unwrap();
        assert_eq!((t.expose(), c), ("1:FILE", -42));
        let e = env(&[(ENV_BOT_TOKEN, "2:ENV"), (ENV_CHAT_ID, "7")]);
        let (t, c) = resolve_secrets(&e, &file).unwrap();
        assert_eq!((t.expose(), c), ("2:ENV", 7));
        let bad = env(&[(ENV_BOT_TOKEN, "2:ENV"), (ENV_CHAT_ID, "seven")]);
        assert_eq!(
            resolve_secrets(&bad, &file),
            Err(SettingsError::Invalid("chat id: not an integer"))
        );
        std::fs::write(&file, "{\"bot_token\": ").unwrap();
        let e = resolve_secrets(&none, &file).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("truncated"), "{e}");
    }
}
