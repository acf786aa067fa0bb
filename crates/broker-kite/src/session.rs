//! The Kite session: credentials, the session file written by `login`, and the shared
//! "session valid" flag that blocks entries after a `TokenException` (spec §10.5, §7;
//! kite-connect.md §2).
//!
//! Secrets (`api_secret`, `access_token`) are held in `kiteconnect`'s redacting newtypes: their
//! `Debug` prints `<redacted>`, and nothing in this module formats them into a message.

use chrono::NaiveDate;
use domain::IstDateTime;
use kiteconnect::{AccessToken, ApiSecret};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "KITE_API_KEY";
/// Environment variable holding the API secret.
pub const ENV_API_SECRET: &str = "KITE_API_SECRET";
/// Environment variable holding an access token (overrides the session file's).
pub const ENV_ACCESS_TOKEN: &str = "KITE_ACCESS_TOKEN";
/// Environment variable overriding the session file path.
pub const ENV_SESSION_FILE: &str = "KESTREL_KITE_SESSION";

/// Errors reading or writing the session file. Never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No session file at the path.
    #[error("no Kite session at {0}: run `login` first")]
    Missing(PathBuf),
    /// The file exists but cannot be read or parsed.
    #[error("Kite session file {path} is unreadable: {reason}")]
    Unreadable {
        /// File.
        path: PathBuf,
        /// Why (no secret).
        reason: String,
    },
    /// Writing failed.
    #[error("cannot write Kite session file {path}: {reason}")]
    Write {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The path is inside a git work tree (secrets must live outside the repository).
    #[error("refusing to write secrets inside a git repository ({0}); choose a path outside it")]
    InsideRepository(PathBuf),
    /// A credential is missing.
    #[error("missing Kite credential: {0}")]
    MissingCredential(&'static str),
    /// A credential is malformed (blank, contains a line break).
    #[error("invalid Kite credential: {0}")]
    InvalidCredential(&'static str),
}

/// `~/.config/kestrel/kite_session.json` (spec §10.5), or `$KESTREL_KITE_SESSION`.
pub fn default_session_path() -> PathBuf {
    if let Some(p) = std::env::var_os(ENV_SESSION_FILE).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".config")
        .join("kestrel")
        .join("kite_session.json")
}

/// Expand a leading `~/` to `$HOME`.
pub fn expand_home(path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    path.to_path_buf()
}

/// The stored session (spec §10.5): what `login` writes, what the engine reads.
///
/// JSON on disk: `{"user_id", "user_name", "access_token", "login_time" ("YYYY-MM-DD HH:MM:SS"
/// IST as Kite sent it), "date" (IST date of the login), "api_key"?, "api_secret"?}`. The API key
/// and secret may live here instead of the environment; `login` keeps them when it rewrites the
/// file. `Debug` redacts the token and the secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionFile {
    /// Kite user id, e.g. `XX0000`.
    pub user_id: String,
    /// User's name (display only).
    #[serde(default)]
    pub user_name: String,
    /// The access token (valid until about 06:00 IST the next morning, kite-connect.md §2).
    pub access_token: Option<AccessToken>,
    /// Kite's `login_time`, IST wall clock, `YYYY-MM-DD HH:MM:SS`.
    #[serde(default)]
    pub login_time: String,
    /// IST date of the login.
    pub date: Option<NaiveDate>,
    /// API key (optional here; `KITE_API_KEY` wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// API secret (optional here; `KITE_API_SECRET` wins). Only `login` needs it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_secret"
    )]
    pub api_secret: Option<ApiSecret>,
}

/// Serde for an optional [`ApiSecret`] (the crate's newtype has no serde impls).
mod optional_secret {
    use kiteconnect::ApiSecret;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    #[allow(clippy::ref_option)] // serde's `with` passes `&Option<T>`
    pub(super) fn serialize<S: Serializer>(v: &Option<ApiSecret>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(secret) => s.serialize_some(secret.expose()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<ApiSecret>, D::Error> {
        Option::<String>::deserialize(d)?
            .filter(|s| !s.trim().is_empty())
            .map(|s| ApiSecret::new(s).map_err(|_| D::Error::custom("invalid api_secret")))
            .transpose()
    }
}

impl fmt::Debug for SessionFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionFile")
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("access_token", &self.access_token)
            .field("login_time", &self.login_time)
            .field("date", &self.date)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("api_secret", &self.api_secret)
            .finish()
    }
}

impl SessionFile {
    /// Read a session file. A missing file is [`SessionError::Missing`].
    pub fn load(path: &Path) -> Result<Self, SessionError> {
        let path = expand_home(path);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SessionError::Missing(path));
            }
            Err(e) => {
                return Err(SessionError::Unreadable {
                    path,
                    reason: e.kind().to_string(),
                });
            }
        };
        // serde_json errors quote no input values, only positions; still keep just the category.
        serde_json::from_str(&text).map_err(|e| SessionError::Unreadable {
            path,
            reason: format!(
                "not a session file (line {}, column {})",
                e.line(),
                e.column()
            ),
        })
    }

    /// Write atomically (temp file + rename) with mode 0600, creating the directory with mode
    /// 0700. Refuses a path inside a git work tree.
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        let path = expand_home(path);
        let write_err = |reason: String| SessionError::Write {
            path: path.clone(),
            reason,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        if let Some(repo) = enclosing_git_repo(&dir) {
            return Err(SessionError::InsideRepository(repo));
        }
        create_private_dir(&dir).map_err(|e| write_err(e.to_string()))?;
        let json = serde_json::to_vec_pretty(self).map_err(|e| write_err(e.to_string()))?;
        let file_name = path.file_name().map_or_else(
            || "kite_session.json".into(),
            |n| n.to_string_lossy().to_string(),
        );
        let tmp = dir.join(format!(".{file_name}.tmp{}", std::process::id()));
        let mut f = open_private(&tmp).map_err(|e| write_err(e.to_string()))?;
        f.write_all(&json)
            .and_then(|()| f.write_all(b"\n"))
            .and_then(|()| f.sync_all())
            .map_err(|e| write_err(e.to_string()))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            write_err(e.to_string())
        })?;
        set_private_mode(&path).map_err(|e| write_err(e.to_string()))?;
        Ok(())
    }

    /// The login time as IST, if it parses.
    pub fn login_time_ist(&self) -> Option<IstDateTime> {
        chrono::NaiveDateTime::parse_from_str(&self.login_time, "%Y-%m-%d %H:%M:%S")
            .ok()
            .map(crate::convert::ist_from_naive)
    }
}

/// The first ancestor of `dir` (itself included) holding a `.git` entry.
pub fn enclosing_git_repo(dir: &Path) -> Option<PathBuf> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(dir)
    };
    abs.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

#[cfg(unix)]
fn set_private_mode(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private_mode(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// API key and (for `login` only) secret. `Debug` redacts the secret.
#[derive(Clone)]
pub struct Credentials {
    /// The app's API key (not secret, but kept out of logs anyway).
    pub api_key: String,
    /// The API secret; `None` when only trading (the engine does not need it).
    pub api_secret: Option<ApiSecret>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &"<set>")
            .field("api_secret", &self.api_secret)
            .finish()
    }
}

impl Credentials {
    /// `KITE_API_KEY` / `KITE_API_SECRET` from the environment, else the session file's.
    pub fn resolve(file: Option<&SessionFile>) -> Result<Self, SessionError> {
        Self::resolve_with(file, |k| std::env::var(k).ok())
    }

    /// As [`Self::resolve`] with an explicit environment lookup (tests).
    pub fn resolve_with(
        file: Option<&SessionFile>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SessionError> {
        let api_key = env(ENV_API_KEY)
            .filter(|s| !s.trim().is_empty())
            .or_else(|| file.and_then(|f| f.api_key.clone()))
            .ok_or(SessionError::MissingCredential(
                "API key: set KITE_API_KEY or api_key in the session file",
            ))?;
        let api_secret = match env(ENV_API_SECRET).filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(
                ApiSecret::new(s)
                    .map_err(|_| SessionError::InvalidCredential("KITE_API_SECRET"))?,
            ),
            None => file.and_then(|f| f.api_secret.clone()),
        };
        Ok(Self {
            api_key: api_key.trim().to_string(),
            api_secret,
        })
    }

    /// The access token: `KITE_ACCESS_TOKEN`, else the session file's.
    pub fn access_token(file: Option<&SessionFile>) -> Result<AccessToken, SessionError> {
        if let Some(t) = std::env::var(ENV_ACCESS_TOKEN)
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            return AccessToken::new(t)
                .map_err(|_| SessionError::InvalidCredential("KITE_ACCESS_TOKEN"));
        }
        file.and_then(|f| f.access_token.clone())
            .ok_or(SessionError::MissingCredential(
                "access token: run `login` (or set KITE_ACCESS_TOKEN)",
            ))
    }
}

/// Why the login exchange (kite-connect.md §2) failed. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The session file or a credential.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// No API secret in the environment or the session file.
    #[error("no API secret: set {ENV_API_SECRET} (or api_secret in {0})")]
    NoSecret(PathBuf),
    /// A blank request token.
    #[error("empty request_token")]
    EmptyToken,
    /// Kite refused the token (bad, late or reused token, wrong secret).
    #[error(
        "Kite refused the request token ({0}). It is single-use and expires within minutes; check the API secret and log in again"
    )]
    Refused(String),
    /// Kite could not be reached or answered an error.
    #[error(transparent)]
    Kite(crate::KiteError),
}

/// The session file at `path`, `None` when there is none.
///
/// # Errors
/// An unreadable file.
pub fn load_existing(path: &Path) -> Result<Option<SessionFile>, SessionError> {
    match SessionFile::load(path) {
        Ok(f) => Ok(Some(f)),
        Err(SessionError::Missing(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The credentials of a login at `path` (the session file there, if any, and the
/// environment): the API key and the secret the exchange needs.
///
/// # Errors
/// No API key, no API secret ([`LoginError::NoSecret`]), an unreadable file.
pub fn login_credentials(path: &Path) -> Result<(Credentials, ApiSecret), LoginError> {
    let existing = load_existing(path)?;
    let creds = Credentials::resolve(existing.as_ref())?;
    let secret = creds
        .api_secret
        .clone()
        .ok_or_else(|| LoginError::NoSecret(path.to_path_buf()))?;
    Ok((creds, secret))
}

/// Kite's login URL (`https://kite.zerodha.com/connect/login?v=3&api_key=…`) for the API key
/// of the environment or the session file at `path`.
///
/// # Errors
/// No API key; an unreadable session file; a bad base URL in `settings`.
pub fn login_url(settings: &crate::KiteSettings, path: &Path) -> Result<String, LoginError> {
    let existing = load_existing(path)?;
    let creds = Credentials::resolve(existing.as_ref())?;
    let client =
        crate::KiteClient::new(settings.clone(), &creds.api_key, None).map_err(LoginError::Kite)?;
    Ok(client.kite().login_url())
}

/// The login exchange (kite-connect.md §2): `POST /session/token` with
/// `checksum = SHA-256(api_key + request_token + api_secret)`, then the session written to
/// `path` (0600, atomically, outside any git repository) with the API key; the secret is kept
/// if the file had it and added with `save_secret`. Returns what was written.
///
/// # Errors
/// [`LoginError::EmptyToken`], [`LoginError::NoSecret`], [`LoginError::Refused`] for a
/// refused token, a transport error, a write error.
pub async fn complete_login(
    settings: crate::KiteSettings,
    path: &Path,
    request_token: &str,
    save_secret: bool,
) -> Result<SessionFile, LoginError> {
    let request_token = request_token.trim();
    if request_token.is_empty() {
        return Err(LoginError::EmptyToken);
    }
    let existing = load_existing(path)?;
    let (creds, secret) = login_credentials(path)?;
    let client =
        crate::KiteClient::new(settings, &creds.api_key, None).map_err(LoginError::Kite)?;
    let mut session = client
        .exchange_request_token(request_token, &secret)
        .await
        .map_err(|e| match e {
            crate::KiteError::SessionInvalid(m) => LoginError::Refused(m),
            other => LoginError::Kite(other),
        })?;
    // The API key (not a secret) is stored with its token so the engine needs only this file.
    session.api_key = Some(creds.api_key.clone());
    if let Some(old) = &existing {
        session.api_secret.clone_from(&old.api_secret);
    }
    if save_secret {
        session.api_secret = creds.api_secret.clone();
    }
    session.save(path)?;
    Ok(session)
}

/// Shared "is the Kite session usable" flag (spec §7 broker health: no valid session blocks
/// entries). Cloned into the broker, the feed and the engine; a `TokenException` anywhere marks
/// it invalid, and every later order/read fails fast without a request (no retry storm) until
/// a new token is installed with [`crate::KiteClient::set_access_token`].
#[derive(Debug, Clone, Default)]
pub struct SessionState {
    inner: Arc<Mutex<Option<String>>>,
}

impl SessionState {
    /// A valid session.
    pub fn new() -> Self {
        Self::default()
    }

    /// `true` until a `TokenException` (or a refused ticker handshake) is seen.
    pub fn is_valid(&self) -> bool {
        self.lock().is_none()
    }

    /// Why the session is invalid, if it is (sanitized Kite message).
    pub fn invalid_reason(&self) -> Option<String> {
        self.lock().clone()
    }

    /// Mark the session invalid. Logged once at error level (the alert).
    pub fn invalidate(&self, reason: &str) {
        let mut g = self.lock();
        if g.is_none() {
            tracing::error!(
                target: "kite",
                reason,
                "Kite session invalid (TokenException): entries blocked until a new login"
            );
            *g = Some(reason.to_string());
        }
    }

    /// Mark the session valid again (a new token was installed).
    pub fn revalidate(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SessionFile {
        SessionFile {
            user_id: "XX0000".into(),
            user_name: "Test".into(),
            access_token: Some(AccessToken::new("SENTINEL-TOKEN").unwrap()),
            login_time: "2021-01-01 16:15:14".into(),
            date: NaiveDate::from_ymd_opt(2021, 1, 1),
            api_key: Some("key".into()),
            api_secret: Some(ApiSecret::new("SENTINEL-SECRET").unwrap()),
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let s = format!("{:?}", sample());
        assert!(!s.contains("SENTINEL"), "{s}");
        let c = Credentials::resolve_with(Some(&sample()), |_| None).unwrap();
        assert!(!format!("{c:?}").contains("SENTINEL"));
    }

    #[cfg(unix)]
    #[test]
    fn save_is_private_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("kite_session.json");
        sample().save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = SessionFile::load(&path).unwrap();
        assert_eq!(back.user_id, "XX0000");
        assert_eq!(back.access_token.unwrap().expose(), "SENTINEL-TOKEN");
        assert_eq!(
            domain::time::fmt_iso(&sample().login_time_ist().unwrap()),
            "2021-01-01T16:15:14+05:30"
        );
        assert!(matches!(
            SessionFile::load(&dir.path().join("none.json")),
            Err(SessionError::Missing(_))
        ));
    }

    #[test]
    fn refuses_inside_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let err = sample().save(&dir.path().join("s.json")).unwrap_err();
        assert!(matches!(err, SessionError::InsideRepository(_)));
    }

    #[test]
    fn env_wins_over_file() {
        let c = Credentials::resolve_with(Some(&sample()), |k| {
            (k == ENV_API_KEY).then(|| "envkey".to_string())
        })
        .unwrap();
        assert_eq!(c.api_key, "envkey");
        assert!(c.api_secret.is_some());
        assert!(Credentials::resolve_with(None, |_| None).is_err());
    }

    #[test]
    fn session_state_flags() {
        let s = SessionState::new();
        let t = s.clone();
        assert!(s.is_valid());
        t.invalidate("expired");
        assert!(!s.is_valid());
        assert_eq!(s.invalid_reason().as_deref(), Some("expired"));
        s.revalidate();
        assert!(t.is_valid());
    }
}
