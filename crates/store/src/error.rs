//! The store's errors: one line each, naming the database (password redacted) and, for bad
//! data read back, the table, column and value.

/// What went wrong talking to the database or reading its rows.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is neither `sqlite://PATH` nor `postgres://…`, or does not parse.
    #[error("store URL `{url}`: {reason}")]
    BadUrl {
        /// The URL, password redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// The database could not be opened or reached (at start: Kestrel refuses to run).
    #[error("store {url}: cannot connect: {message}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's message, on one line.
        message: String,
    },
    /// Applying the schema migrations failed.
    #[error("store {url}: migrations: {message}")]
    Migrate {
        /// The URL, password redacted.
        url: String,
        /// The driver's message, on one line.
        message: String,
    },
    /// A statement failed. `transient` is true when the connection failed (the database went
    /// away, a timeout): the writer retries those; other failures are bad data.
    #[error("store {url}: {what}: {message}")]
    Query {
        /// The URL, password redacted.
        url: String,
        /// What was being done (`insert into trades`, `read bars NIFTY 2024-06-03`).
        what: String,
        /// The driver's message, on one line.
        message: String,
        /// Connection-level failure (retry) rather than a rejected statement.
        transient: bool,
    },
    /// A value read back does not parse as its column's type.
    #[error("store {url}: table {table}, column {column}: bad value `{value}`: {reason}")]
    BadValue {
        /// The URL, password redacted.
        url: String,
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// The value as stored.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The background writer has stopped.
    #[error("store writer stopped")]
    WriterStopped,
}

impl StoreError {
    /// Whether retrying later can succeed (the connection failed, not the statement).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Query {
                transient: true,
                ..
            } | StoreError::Connect { .. }
        )
    }
}

/// A driver error on one line (sqlx messages can span lines).
pub(crate) fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a sqlx error is a connection-level failure.
pub(crate) fn transient(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
    ) || matches!(e, sqlx::Error::Database(d) if d.code().is_some_and(|c| {
        // PostgreSQL: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
        // class 08 connection exceptions; SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED.
        c.starts_with("08") || c.starts_with("57P") || c == "5" || c == "6"
    }))
}
