//! Breeze credentials: the app key (`BREEZE_API_KEY`), the secret key (`BREEZE_SECRET_KEY`,
//! needed only by the legacy v1 checksum, not by v2 historical candles) and the day's
//! `API_Session` from the login redirect (`BREEZE_SESSION_TOKEN`, breeze-api.md §1).
//!
//! Each comes from the environment, else from a credentials file (JSON, keys `api_key`,
//! `secret_key`, `session_token`) that must be private to its owner (mode 0600 on Unix: a
//! file readable by group or others is refused). `Debug` shows none of them.

use crate::error::BreezeError;
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// Environment variable holding the app key.
pub const ENV_API_KEY: &str = "BREEZE_API_KEY";
/// Environment variable holding the secret key.
pub const ENV_SECRET_KEY: &str = "BREEZE_SECRET_KEY";
/// Environment variable holding the day's `API_Session` (the login redirect's value).
pub const ENV_SESSION_TOKEN: &str = "BREEZE_SESSION_TOKEN";

/// A string that never prints: `Debug` and `Display` show `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The credentials of one Breeze app and the day's login.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The app key (`AppKey` / `apikey` header).
    pub api_key: Secret,
    /// The secret key (v1 checksum only; optional).
    pub secret_key: Option<Secret>,
    /// The day's `API_Session` (sent once, to `customerdetails`).
    pub session_token: Secret,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("session_token", &self.session_token)
            .finish()
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    api_key: Option<String>,
    secret_key: Option<String>,
    session_token: Option<String>,
}

impl Credentials {
    /// The environment first, then `file` (when given and present).
    ///
    /// # Errors
    /// [`BreezeError::Setup`] naming the missing variable or the file's problem (a file
    /// readable by others, not JSON, an unknown key); never a value.
    pub fn resolve(file: Option<&Path>) -> Result<Self, BreezeError> {
        Self::resolve_with(file, |k| std::env::var(k).ok())
    }

    /// As [`Self::resolve`] with an explicit environment lookup (tests).
    ///
    /// # Errors
    /// As [`Self::resolve`].
    pub fn resolve_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, BreezeError> {
        let from_file = match file {
            Some(p) if p.exists() => load(p)?,
            _ => CredentialsFile::default(),
        };
        let pick = |var: &str, from_file: Option<String>| {
            env(var)
                .filter(|s| !s.trim().is_empty())
                .or(from_file.filter(|s| !s.trim().is_empty()))
                .map(|s| Secret::new(s.trim()))
        };
        let where_ = file.map_or_else(
            || "no credentials file configured".to_string(),
            |p| format!("or its key in {}", p.display()),
        );
        let api_key = pick(ENV_API_KEY, from_file.api_key).ok_or_else(|| {
            BreezeError::Setup(format!("no app key: set {ENV_API_KEY} ({where_})"))
        })?;
        let session_token = pick(ENV_SESSION_TOKEN, from_file.session_token).ok_or_else(|| {
            BreezeError::Setup(format!(
                "no session token: log in at https://api.icicidirect.com/apiuser/login and set {ENV_SESSION_TOKEN} to the redirect's API_Session ({where_})"
            ))
        })?;
        Ok(Self {
            api_key,
            secret_key: pick(ENV_SECRET_KEY, from_file.secret_key),
            session_token,
        })
    }
}

fn load(path: &Path) -> Result<CredentialsFile, BreezeError> {
    let setup = |m: String| BreezeError::Setup(format!("{}: {m}", path.display()));
    check_private(path).map_err(setup)?;
    let text = std::fs::read_to_string(path).map_err(|e| setup(e.kind().to_string()))?;
    // serde_json errors name positions and keys, never values.
    serde_json::from_str(&text).map_err(|e| {
        setup(format!(
            "not a Breeze credentials file (line {}, column {}): {}",
            e.line(),
            e.column(),
            if e.is_data() {
                "expected the keys api_key, secret_key, session_token"
            } else {
                "not JSON"
            }
        ))
    })
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.kind().to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "mode {:o} lets others read the credentials: chmod 600 it",
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
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[cfg(unix)]
    fn write(path: &Path, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn file_must_be_private_and_env_wins() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("breeze.json");
        write(
            &p,
            r#"{"api_key":"FILE-KEY","session_token":"FILE-SESSION"}"#,
            0o644,
        );
        let e = Credentials::resolve_with(Some(&p), no_env).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert!(!e.to_string().contains("FILE-"), "{e}");
        write(
            &p,
            r#"{"api_key":"FILE-KEY","session_token":"FILE-SESSION"}"#,
            0o600,
        );
        let c = Credentials::resolve_with(Some(&p), no_env).unwrap();
        assert_eq!(c.api_key.expose(), "FILE-KEY");
        assert_eq!(c.session_token.expose(), "FILE-SESSION");
        assert!(c.secret_key.is_none());
        let c = Credentials::resolve_with(Some(&p), |k| {
            (k == ENV_SESSION_TOKEN).then(|| "ENV-SESSION".to_string())
        })
        .unwrap();
        assert_eq!(c.session_token.expose(), "ENV-SESSION");
        assert_eq!(c.api_key.expose(), "FILE-KEY");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("SESSION") && !shown.contains("KEY"),
            "{shown}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn bad_files_and_missing_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("breeze.json");
        write(&p, r#"{"api_key":"SENTINEL","token":"x"}"#, 0o600);
        let e = Credentials::resolve_with(Some(&p), no_env).unwrap_err();
        assert!(e.to_string().contains("breeze.json"), "{e}");
        assert!(!e.to_string().contains("SENTINEL"), "{e}");
        let e =
            Credentials::resolve_with(None, |k| (k == ENV_API_KEY).then(|| "SENTINEL".to_string()))
                .unwrap_err();
        assert!(e.to_string().contains(ENV_SESSION_TOKEN), "{e}");
        assert!(!e.to_string().contains("SENTINEL"), "{e}");
    }
}
