//! # pg-test — a real PostgreSQL for Kestrel's tests (issue 14)
//!
//! No mock database: the store's tests run against a real server.
//!
//! - **The shared server** that `.ci/run` starts for the whole test run (a throwaway cluster
//!   on a loopback port): [`shared_url`] reads its URL from `KESTREL_PG_URL`, and
//!   [`schema_url`] gives each test its own schema on it (`?schema=t_<test>_<pid>_<n>`; the
//!   store creates the schema and sets `search_path`, this crate speaks no SQL).
//!   [`shared_schema_url`] does both and says on stderr why a test is skipped.
//! - **A private cluster** ([`PrivateCluster`]) for a test that stops and restarts the
//!   database: its own `initdb` in a temporary directory, on its own free loopback port, removed
//!   when dropped. [`PrivateCluster::for_test`] skips when the binaries are missing.
//!
//! Skipping: without a server (`KESTREL_PG_URL` unset) or without the binaries a test prints
//! why and passes — unless `KESTREL_REQUIRE_PG=1` (set by `.ci/run`), which turns both into a
//! panic, so CI cannot pass by skipping.
//!
//! A dev-dependency only; it depends on no Kestrel crate. The URLs it makes carry no password
//! (trust authentication on loopback).
//!
//! ```no_run
//! /// A test on the shared server, in a schema of its own.
//! fn store_roundtrip() {
//!     let Some(url) = pg_test::shared_schema_url("store_roundtrip") else { return };
//!     assert!(url.contains("?schema=t_store_roundtrip_"));
//! }
//!
//! /// A test that stops and restarts its own server.
//! fn writer_catches_up() -> Result<(), String> {
//!     let Some(mut pg) = pg_test::PrivateCluster::for_test("writer_catches_up") else {
//!         return Ok(());
//!     };
//!     let url = pg.url(); // postgres://postgres@127.0.0.1:<port>/postgres
//!     pg.stop()?;
//!     pg.start_again()?;
//!     Ok(())
//! }
//! ```

#![warn(missing_docs)]

mod bins;
mod cluster;

pub use bins::{available, bindir};
pub use cluster::PrivateCluster;

use std::sync::atomic::{AtomicU64, Ordering};

/// Env var with the URL of the shared test server (`.ci/run` sets it).
pub const URL_VAR: &str = "KESTREL_PG_URL";
/// Env var that makes a missing server or missing binaries a test failure when `1`.
pub const REQUIRE_VAR: &str = "KESTREL_REQUIRE_PG";
/// Env var naming the directory of the PostgreSQL server binaries (`initdb`, `pg_ctl`, …).
pub const BINDIR_VAR: &str = "KESTREL_PG_BINDIR";

/// PostgreSQL's longest identifier, in bytes.
const MAX_IDENT: usize = 63;

/// Whether `KESTREL_REQUIRE_PG=1`: a test must not skip for want of PostgreSQL.
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}

/// The shared test server's URL from `KESTREL_PG_URL` (e.g.
/// `postgres://postgres@127.0.0.1:55400/postgres`), or `None` when it is unset or empty
/// (the caller skips with an `eprintln!` saying why; see [`shared_schema_url`]).
///
/// # Panics
/// When the URL is missing and `KESTREL_REQUIRE_PG=1`.
pub fn shared_url() -> Option<String> {
    match shared_url_from(std::env::var(URL_VAR).ok(), required()) {
        Ok(url) => url,
        Err(message) => panic!("{message}"),
    }
}

/// [`shared_url`] on given values: the URL, or an error message when it is missing and
/// required.
fn shared_url_from(url: Option<String>, required: bool) -> Result<Option<String>, String> {
    match url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) {
        Some(url) => Ok(Some(url)),
        None if required => Err(format!(
            "{REQUIRE_VAR}=1 but {URL_VAR} is not set: start a PostgreSQL server and set \
             {URL_VAR}=postgres://postgres@127.0.0.1:<port>/postgres (.ci/run does both)"
        )),
        None => Ok(None),
    }
}

/// `base` with the query parameter `schema=<unique name>` appended (after `?`, or `&` when
/// `base` already has a query): the name is `t_<test>_<pid>_<n>`, `<test>` lowercased with
/// every character other than `a-z`, `0-9`, `_` made `_` and shortened so the whole name is at
/// most 63 bytes, `<n>` a counter of this process. Unique per process and call, so tests
/// running at once on one server never share a schema.
pub fn schema_url(base: &str, test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = schema_name(test, std::process::id(), n);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}schema={name}")
}

/// `t_<sanitised test>_<pid>_<n>`, at most [`MAX_IDENT`] bytes.
fn schema_name(test: &str, pid: u32, n: u64) -> String {
    let suffix = format!("_{pid}_{n}");
    let room = MAX_IDENT - "t_".len() - suffix.len();
    let clean: String = test
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .take(room)
        .collect();
    format!("t_{clean}{suffix}")
}

/// The shared server's URL with a fresh schema for `test` ([`schema_url`]), or `None` after
/// printing to stderr why `test` is skipped (no `KESTREL_PG_URL`).
///
/// # Panics
/// As [`shared_url`].
pub fn shared_schema_url(test: &str) -> Option<String> {
    match shared_url() {
        Some(base) => Some(schema_url(&base, test)),
        None => {
            eprintln!(
                "skipping {test}: {URL_VAR} is not set (no shared PostgreSQL; .ci/run starts \
                 one, or set {URL_VAR}=postgres://postgres@127.0.0.1:<port>/postgres)"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn shared_url_present_missing_and_required() {
        let url = "postgres://postgres@127.0.0.1:55400/postgres".to_string();
        assert_eq!(
            shared_url_from(Some(url.clone()), true),
            Ok(Some(url.clone()))
        );
        assert_eq!(
            shared_url_from(Some(format!(" {url}\n")), false),
            Ok(Some(url))
        );
        assert_eq!(shared_url_from(None, false), Ok(None));
        assert_eq!(shared_url_from(Some(String::new()), false), Ok(None));
        let e = shared_url_from(Some(" ".into()), true).unwrap_err();
        assert!(
            e.contains("KESTREL_REQUIRE_PG=1") && e.contains("KESTREL_PG_URL"),
            "{e}"
        );
    }

    fn schema_of(url: &str) -> &str {
        url.rsplit_once("schema=").unwrap().1
    }

    #[test]
    fn schema_url_appends_a_unique_valid_name() {
        let base = "postgres://postgres@127.0.0.1:5432/postgres";
        let a = schema_url(base, "Store::round_trip (bars)");
        let b = schema_url(base, "Store::round_trip (bars)");
        assert!(
            a.starts_with(&format!("{base}?schema=t_store__round_trip__bars__")),
            "{a}"
        );
        assert_ne!(a, b);
        let pid = std::process::id().to_string();
        for url in [&a, &b] {
            let name = schema_of(url);
            assert!(name.contains(&pid), "{name}");
            assert!(
                name.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
                "{name}"
            );
        }
        let c = schema_url(&format!("{base}?sslmode=disable"), "x");
        assert!(
            c.starts_with(&format!("{base}?sslmode=disable&schema=t_x_")),
            "{c}"
        );
    }

    #[test]
    fn schema_names_fit_postgres_identifiers() {
        let long = "ÄÖ-".repeat(60);
        let name = schema_name(&long, u32::MAX, u64::MAX);
        assert_eq!(name.len(), MAX_IDENT, "{name}");
        assert!(name.ends_with(&format!("_{}_{}", u32::MAX, u64::MAX)));
        assert!(name.is_ascii());
        let short = schema_name("a", 7, 0);
        assert_eq!(short, "t_a_7_0");
    }
}
