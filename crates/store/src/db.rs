//! Opening the database: connect, apply the migrations of its engine, and on PostgreSQL make
//! the market-data tables TimescaleDB hypertables when that extension is available.

use crate::StoreError;
use crate::error::{one_line, transient};
use crate::url::{Backend, StoreUrl};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// How long a connection attempt (or a wait for a pooled connection) may take before the
/// database counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The pool of one engine.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run `$body` with `$p` bound to the pool of either engine (the code is the same text for
/// both: every value crosses as text, see [`crate::tables`]).
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// An open store: a connection pool with the schema applied. Cheap to clone (the pool is
/// shared). Reads and whole-day writes are `async`; the background
/// [`StoreWriter`](crate::StoreWriter) is the way to write from the trading path.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    url: StoreUrl,
    timescale: bool,
}

impl Store {
    /// Connect to `url`, creating a SQLite file (and its directory) or a PostgreSQL schema
    /// when missing, and apply the migrations.
    ///
    /// Errors: [`StoreError::Connect`] when the database cannot be reached within
    /// [`CONNECT_TIMEOUT`] (one line naming the URL, password redacted),
    /// [`StoreError::Migrate`] when the schema cannot be applied.
    pub async fn connect(url: &StoreUrl) -> Result<Store, StoreError> {
        let connect_err = |e: &dyn std::fmt::Display| StoreError::Connect {
            url: url.redacted(),
            message: one_line(e),
        };
        let pool = match url {
            StoreUrl::Sqlite { path } => {
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| connect_err(&e))?;
                }
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .disable_statement_logging();
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(opts)
                    .await
                    .map_err(|e| connect_err(&e))?;
                Pool::Sqlite(pool)
            }
            StoreUrl::Postgres { url: raw, schema } => {
                let mut opts = PgConnectOptions::from_str(raw).map_err(|e| StoreError::BadUrl {
                    url: url.redacted(),
                    reason: one_line(&e),
                })?;
                opts = opts.disable_statement_logging();
                if let Some(s) = schema {
                    opts = opts.options([("search_path", s.as_str())]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(opts)
                    .await
                    .map_err(|e| connect_err(&e))?;
                if let Some(s) = schema {
                    let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{s}\"");
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&pool)
                        .await
                        .map_err(|e| connect_err(&e))?;
                }
                Pool::Postgres(pool)
            }
        };
        let mut store = Store {
            pool,
            url: url.clone(),
            timescale: false,
        };
        store.migrate().await?;
        if url.backend() == Backend::Postgres {
            store.timescale = store.hypertables().await;
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let err = |e: sqlx::migrate::MigrateError| StoreError::Migrate {
            url: self.url.redacted(),
            message: one_line(&e),
        };
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite")
                .run(p)
                .await
                .map_err(err),
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres")
                .run(p)
                .await
                .map_err(err),
        }
    }

    /// TimescaleDB: when the extension is available, make `bars` and `ticks` hypertables on
    /// their time column. Returns whether they are; any failure leaves plain tables (logged).
    async fn hypertables(&self) -> bool {
        let Pool::Postgres(p) = &self.pool else {
            return false;
        };
        let available: Result<Option<String>, _> = sqlx::query_scalar(
            "SELECT name::text FROM pg_available_extensions WHERE name = 'timescaledb'",
        )
        .fetch_optional(p)
        .await;
        if !matches!(available, Ok(Some(_))) {
            return false;
        }
        for sql in [
            "CREATE EXTENSION IF NOT EXISTS timescaledb",
            "SELECT create_hypertable('bars', 'ts', if_not_exists => TRUE, migrate_data => TRUE)",
            "SELECT create_hypertable('ticks', 'ts', if_not_exists => TRUE, migrate_data => TRUE)",
        ] {
            if let Err(e) = sqlx::query(sql).execute(p).await {
                tracing::warn!(store = %self.url, error = %one_line(&e), "TimescaleDB available but not usable; plain tables");
                return false;
            }
        }
        true
    }

    /// The URL this store was opened with (display it: the password is redacted).
    pub fn url(&self) -> &StoreUrl {
        &self.url
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Whether `bars` and `ticks` are TimescaleDB hypertables.
    pub fn timescale(&self) -> bool {
        self.timescale
    }

    /// Close the pool (waits for connections to be returned).
    pub async fn close(&self) {
        with_pool!(&self.pool, p => p.close().await)
    }

    /// A [`StoreError::Query`] for a failed statement.
    pub(crate) fn query_err(&self, what: impl Into<String>, e: &sqlx::Error) -> StoreError {
        StoreError::Query {
            url: self.url.redacted(),
            what: what.into(),
            message: one_line(e),
            transient: transient(e),
        }
    }
}
