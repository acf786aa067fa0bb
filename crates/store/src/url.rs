//! Store URLs: `sqlite://PATH` (embedded, created if missing) or `postgres://…` with an
//! optional `schema=NAME` query parameter (created if missing, then the `search_path`).

use crate::StoreError;
use std::path::PathBuf;

/// Which database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded (a file).
    Sqlite,
    /// PostgreSQL server (TimescaleDB hypertables when the extension is installed).
    Postgres,
}

/// A parsed store URL.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite://PATH`: `sqlite://artifacts/kestrel.db` (relative to the working directory),
    /// `sqlite:///var/lib/kestrel.db` (absolute).
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME&…]` (also `postgresql://`).
    Postgres {
        /// The URL without the `schema` parameter, as libpq/sqlx understand it.
        url: String,
        /// The schema to create and use (`search_path`), if given.
        schema: Option<String>,
    },
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The environment variable that overrides the configured store URL (a URL with a password
/// belongs here or in the config file, not on a command line other users can read).
pub const STORE_URL_ENV: &str = "KESTREL_STORE_URL";

impl StoreUrl {
    /// The store URL of a run: `flag` (`--store`), else the `KESTREL_STORE_URL` environment
    /// variable, else `configured` (`[store] url`, whose default is SQLite in the journal root).
    ///
    /// Errors: as [`StoreUrl::parse`].
    pub fn resolve(flag: Option<&str>, configured: &str) -> Result<StoreUrl, StoreError> {
        match flag {
            Some(u) => StoreUrl::parse(u),
            None => match std::env::var(STORE_URL_ENV) {
                Ok(u) if !u.is_empty() => StoreUrl::parse(&u),
                _ => StoreUrl::parse(configured),
            },
        }
    }

    /// Parse a store URL.
    ///
    /// Errors: [`StoreError::BadUrl`] for another scheme, an empty SQLite path, or a schema
    /// name that is not `[a-z_][a-z0-9_]*` (≤ 63 characters).
    pub fn parse(s: &str) -> Result<StoreUrl, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: redact(s),
            reason: reason.to_string(),
        };
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(bad("empty SQLite path (expected sqlite://PATH)"));
            }
            return Ok(StoreUrl::Sqlite { path: path.into() });
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            let (base, query) = match s.split_once('?') {
                Some((b, q)) => (b, q),
                None => (s, ""),
            };
            let mut schema = None;
            let mut rest = Vec::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("schema", v)) => schema = Some(v.to_string()),
                    _ => rest.push(pair),
                }
            }
            if let Some(name) = &schema
                && !valid_schema(name)
            {
                return Err(bad(
                    "schema must be [a-z_][a-z0-9_]*, at most 63 characters",
                ));
            }
            let url = if rest.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{}", rest.join("&"))
            };
            return Ok(StoreUrl::Postgres { url, schema });
        }
        Err(bad(
            "expected sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB",
        ))
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        match self {
            StoreUrl::Sqlite { .. } => Backend::Sqlite,
            StoreUrl::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The URL for messages and logs: a password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sqlite { path } => format!("sqlite://{}", path.display()),
            StoreUrl::Postgres { url, schema } => match schema {
                Some(s) => format!("{} (schema {s})", redact(url)),
                None => redact(url),
            },
        }
    }
}

fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`; anything else unchanged.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth_end, _) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth_end.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_sqlite_and_postgres() {
        assert_eq!(
            StoreUrl::parse("sqlite://artifacts/kestrel.db").unwrap(),
            StoreUrl::Sqlite {
                path: "artifacts/kestrel.db".into()
            }
        );
        let u = StoreUrl::parse("postgres://k:pw@127.0.0.1:5432/db?schema=t_1&sslmode=disable")
            .unwrap();
        assert_eq!(
            u,
            StoreUrl::Postgres {
                url: "postgres://k:pw@127.0.0.1:5432/db?sslmode=disable".into(),
                schema: Some("t_1".into())
            }
        );
        assert_eq!(u.backend(), Backend::Postgres);
    }

    #[test]
    fn passwords_never_show() {
        let u = StoreUrl::parse("postgres://k:s3cret@h/db").unwrap();
        assert!(!u.redacted().contains("s3cret"));
        assert!(!format!("{u:?} {u}").contains("s3cret"));
        let e = StoreUrl::parse("mysql://k:s3cret@h/db")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret") && e.contains("k:***@h"), "{e}");
        assert_eq!(redact("postgres://k@h/db"), "postgres://k@h/db");
    }

    #[test]
    fn rejects_bad_urls() {
        assert!(StoreUrl::parse("sqlite://").is_err());
        assert!(StoreUrl::parse("kestrel.db").is_err());
        assert!(StoreUrl::parse("postgres://h/db?schema=Bad-Name").is_err());
    }
}
