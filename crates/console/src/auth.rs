//! The console's API token (spec §12 "the console is not open to anyone on the network"):
//! where it comes from, where it is kept, and the constant-time bearer check.
//!
//! The token is never logged, never printed and never answered: [`ApiToken`]'s `Debug` shows
//! `ApiToken(***)`. The binary prints the PATH of the token file ([`TokenSource::File`]).

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

/// Environment variable that, when set and non-empty, is the token.
pub const TOKEN_ENV: &str = "KESTREL_API_TOKEN";
/// Name of the token file under the state directory.
pub const TOKEN_FILE: &str = "api_token";

/// The bearer token every protected route needs (`Authorization: Bearer <token>`).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

/// Where [`ApiToken::from_env_or_file`] found (or put) the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// From `KESTREL_API_TOKEN`.
    Env,
    /// From (or newly written to) this 0600 file.
    File {
        /// The file, e.g. `<state>/api_token`.
        path: PathBuf,
        /// The file was created by this call (a fresh token).
        created: bool,
    },
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Reading, creating or writing the token file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The existing token file is readable by group/others (mode must be 0600).
    #[error(
        "{path}: mode {mode:o} is readable by others; it must be 0600 (chmod 600 it or delete it to get a new token)"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The existing token file holds no usable token (fewer than 16 characters, or whitespace
    /// inside).
    #[error("{path}: line 1: not a token (at least 16 non-blank characters expected)")]
    Malformed {
        /// The file.
        path: PathBuf,
    },
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// A token given in code is empty or has whitespace.
    #[error("API token: must be non-empty with no whitespace")]
    Invalid,
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

impl ApiToken {
    /// A token from a string (tests, embedding programs). Non-empty, no whitespace.
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        let t = token.into();
        if t.is_empty() || t.chars().any(char::is_whitespace) {
            return Err(TokenError::Invalid);
        }
        Ok(Self(t))
    }

    /// A fresh token: 32 random bytes from the OS, as 64 lowercase hex characters.
    pub fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// `KESTREL_API_TOKEN` when set and non-empty; else the token in the file `path` (which
    /// must be mode 0600; [`TOKEN_FILE`] is the usual name); else a fresh token written there
    /// with mode 0600 (created exclusively, so two processes never both write one). Its
    /// folder is created if missing. Returns where the token came from so the caller can
    /// print the path (never the token).
    pub fn from_env_or_file(path: &Path) -> Result<(Self, TokenSource), TokenError> {
        if let Ok(v) = std::env::var(TOKEN_ENV) {
            let v = v.trim().to_string();
            if !v.is_empty() {
                return Ok((Self::new(v)?, TokenSource::Env));
            }
        }
        Self::from_file(path)
    }

    /// As [`ApiToken::from_env_or_file`] without looking at the environment.
    pub fn from_file(path: &Path) -> Result<(Self, TokenSource), TokenError> {
        let path = path.to_path_buf();
        let dir = path.parent().unwrap_or(Path::new("."));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TokenError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let fresh = Self::generate()?;
        match create_new_private(&path) {
            Ok(mut f) => {
                f.write_all(fresh.0.as_bytes())
                    .and_then(|_| f.write_all(b"\n"))
                    .and_then(|_| f.sync_all())
                    .map_err(io(&path))?;
                Ok((
                    fresh,
                    TokenSource::File {
                        path,
                        created: true,
                    },
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let tok = read_private(&path)?;
                Ok((
                    tok,
                    TokenSource::File {
                        path,
                        created: false,
                    },
                ))
            }
            Err(source) => Err(TokenError::Io { path, source }),
        }
    }

    /// Whether `candidate` is this token, in time independent of where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        let a = self.0.as_bytes();
        let b = candidate.as_bytes();
        // Lengths are not secret (the generated token's length is public); contents are.
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }

    /// Whether an `Authorization` header value is `Bearer <this token>` (scheme
    /// case-insensitive, RFC 6750 §2.1).
    pub fn matches_header(&self, header: Option<&str>) -> bool {
        let Some(h) = header else { return false };
        let mut parts = h.trim().splitn(2, ' ');
        let scheme = parts.next().unwrap_or_default();
        let cred = parts.next().unwrap_or_default().trim();
        scheme.eq_ignore_ascii_case("bearer") && self.matches(cred)
    }

    /// The token itself, for a client that must send it (tests, the binary's own calls).
    /// Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(unix)]
fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

fn read_private(path: &Path) -> Result<ApiToken, TokenError> {
    let io = |source| TokenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata().map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(TokenError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let mut s = String::new();
    f.read_to_string(&mut s).map_err(io)?;
    let t = s.lines().next().unwrap_or_default().trim();
    if t.len() < 16 || t.chars().any(char::is_whitespace) {
        return Err(TokenError::Malformed {
            path: path.to_path_buf(),
        });
    }
    Ok(ApiToken(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_64_hex_and_differ() {
        let a = ApiToken::generate().unwrap();
        let b = ApiToken::generate().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "ApiToken(***)");
    }

    #[test]
    fn bearer_header_check() {
        let t = ApiToken::new("abcdefghijklmnopqrstuvwxyz").unwrap();
        assert!(t.matches_header(Some("Bearer abcdefghijklmnopqrstuvwxyz")));
        assert!(t.matches_header(Some("bearer abcdefghijklmnopqrstuvwxyz")));
        assert!(!t.matches_header(Some("Bearer abcdefghijklmnopqrstuvwxyZ")));
        assert!(!t.matches_header(Some("Bearer abcdefghijklmnopqrstuvwxy")));
        assert!(!t.matches_header(Some("Basic abcdefghijklmnopqrstuvwxyz")));
        assert!(!t.matches_header(Some("abcdefghijklmnopqrstuvwxyz")));
        assert!(!t.matches_header(None));
        assert!(ApiToken::new("").is_err());
        assert!(ApiToken::new("a b").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn file_is_created_0600_then_reused_and_a_loose_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (t1, src) = ApiToken::from_file(&dir.path().join(TOKEN_FILE)).unwrap();
        let path = dir.path().join(TOKEN_FILE);
        assert_eq!(
            src,
            TokenSource::File {
                path: path.clone(),
                created: true
            }
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (t2, src2) = ApiToken::from_file(&dir.path().join(TOKEN_FILE)).unwrap();
        assert_eq!(t1, t2);
        assert!(matches!(src2, TokenSource::File { created: false, .. }));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            ApiToken::from_file(&dir.path().join(TOKEN_FILE)),
            Err(TokenError::Permissions { mode: 0o644, .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_short_token_file_is_malformed_naming_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        std::fs::write(&path, "short\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = ApiToken::from_file(&dir.path().join(TOKEN_FILE)).unwrap_err();
        assert!(e.to_string().contains("api_token"), "{e}");
    }
}
