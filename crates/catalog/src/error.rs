//! The one error type of the catalog and the `convert` command.

use chrono::NaiveDate;
use std::path::PathBuf;

/// Everything that can go wrong reading, writing or converting catalog data.
///
/// Every variant about a file names it; row errors carry the 1-based line number of the row in
/// the (decompressed) file and, where one field is at fault, the field's name, e.g.
/// ``data/NIFTY/2024-06-03.csv:17: field `high`: invalid decimal "23x1"``.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// [`crate::Catalog::open`] on a directory that does not exist (or is not a directory).
    #[error("data directory {} does not exist", path.display())]
    MissingRoot {
        /// The directory asked for.
        path: PathBuf,
    },

    /// An I/O error on a file or directory (also a corrupt gzip stream).
    ///
    /// The message shows the underlying error; it is not also given as `source()`, so a
    /// printer of the cause chain shows it once.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error (shown in the message).
        error: std::io::Error,
    },

    /// A series name that cannot be a catalog directory (empty, contains a path separator,
    /// starts with `.`) or carries a malformed timeframe suffix (see `docs/data-catalog.md`).
    #[error("invalid series name {series:?}: {reason}")]
    InvalidSeries {
        /// The name asked for.
        series: String,
        /// Why it is rejected.
        reason: String,
    },

    /// A series with no directory in the catalog.
    #[error("no series {series} in the catalog (looked for directory {})", dir.display())]
    UnknownSeries {
        /// The series asked for.
        series: String,
        /// The directory looked for.
        dir: PathBuf,
    },

    /// No file for that series and day (neither plain nor gzip-compressed).
    #[error("no data for {series} on {date} (looked for {}[.gz])", path.display())]
    NoData {
        /// The series asked for.
        series: String,
        /// The trading date asked for.
        date: NaiveDate,
        /// The plain path looked for; the `.gz` variant was looked for too.
        path: PathBuf,
    },

    /// Both `X.csv` and `X.csv.gz` exist for one day: the catalog refuses to guess.
    #[error("{} and its .gz variant both exist; keep one", path.display())]
    Ambiguous {
        /// The plain path.
        path: PathBuf,
    },

    /// The header line is not the expected column list.
    #[error("{}:{line}: bad header: expected `{expected}`, found `{found}`", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// 1-based line of the header (normally 1).
        line: u64,
        /// The expected header.
        expected: String,
        /// The header found.
        found: String,
    },

    /// One field of a row is malformed or violates a rule (date, order, OHLC consistency).
    #[error("{}:{line}: field `{field}`: {message}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// 1-based line of the row.
        line: u64,
        /// The field's name (the column name of the file's format).
        field: String,
        /// What is wrong, quoting the offending value.
        message: String,
    },

    /// A row is malformed as a whole (wrong number of fields, invalid CSV).
    #[error("{}:{line}: {message}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line of the row.
        line: u64,
        /// What is wrong.
        message: String,
    },

    /// A whole file (or set of files) breaks a rule of its source format, e.g. a raw source
    /// folder without the expected files, or two sources giving the same series and day.
    #[error("{}: {message}", path.display())]
    File {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl CatalogError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CatalogError::Io {
            path: path.into(),
            error: source,
        }
    }

    /// A field error at `path:line`.
    pub(crate) fn field(
        path: impl Into<PathBuf>,
        line: u64,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        CatalogError::Field {
            path: path.into(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}
