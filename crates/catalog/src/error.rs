//! The one error type of the catalog and the `convert` command.

use chrono::NaiveDate;
use std::path::{Path, PathBuf};

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

    /// A series with no directory in the catalog, or with nothing in a
    /// [`crate::DaySource`] (see [`CatalogError::unknown_series_in`]).
    #[error("no series {series} {}", where_series(dir))]
    UnknownSeries {
        /// The series asked for.
        series: String,
        /// The directory looked for, or the [`crate::DaySource::describe`] name of a source
        /// (a `scheme://…` name, shown as `in <name>`).
        dir: PathBuf,
    },

    /// No file for that series and day (neither plain nor gzip-compressed), or no rows in a
    /// [`crate::DaySource`] (see [`CatalogError::no_data_in`]).
    #[error("no data for {series} on {date} {}", where_day(path))]
    NoData {
        /// The series asked for.
        series: String,
        /// The trading date asked for.
        date: NaiveDate,
        /// The plain path looked for (the `.gz` variant was looked for too), or the
        /// [`crate::DaySource::describe`] name of a source (a `scheme://…` name).
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

    /// A file operation (a day file's path, writing a day) asked of a catalog backed by a
    /// [`crate::DaySource`] (see [`crate::Catalog::from_source`]), which has no files.
    #[error("cannot {operation}: the catalog reads {source_name}, not files")]
    NotFiles {
        /// The source's [`crate::DaySource::describe`] name.
        source_name: String,
        /// What was asked, e.g. `write bars of NIFTY on 2024-06-03`.
        operation: String,
    },

    /// A failure of a [`crate::DaySource`] itself (a database error, or rows breaking the
    /// catalog's rules), e.g. `postgres://kestrel:***@db/kestrel: connection refused`.
    #[error("{source_name}: {message}")]
    Source {
        /// The source's [`crate::DaySource::describe`] name (any password redacted).
        source_name: String,
        /// What went wrong, on one line.
        message: String,
    },
}

/// Whether a `dir`/`path` field holds a source's `scheme://…` name rather than a file path.
fn is_source_name(path: &Path) -> bool {
    path.to_str().is_some_and(|s| {
        s.split_once("://").is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
    })
}

fn where_series(dir: &Path) -> String {
    if is_source_name(dir) {
        format!("in {}", dir.display())
    } else {
        format!("in the catalog (looked for directory {})", dir.display())
    }
}

fn where_day(path: &Path) -> String {
    if is_source_name(path) {
        format!("in {}", path.display())
    } else {
        format!("(looked for {}[.gz])", path.display())
    }
}

impl CatalogError {
    /// [`CatalogError::NoData`] of a [`crate::DaySource`] named `source_name` (its
    /// `describe()`, a `scheme://…` name): `no data for NIFTY on 2024-06-07 in sqlite://…`.
    pub fn no_data_in(source_name: &str, series: &str, date: NaiveDate) -> Self {
        CatalogError::NoData {
            series: series.to_string(),
            date,
            path: PathBuf::from(source_name),
        }
    }

    /// [`CatalogError::UnknownSeries`] of a [`crate::DaySource`] named `source_name`:
    /// `no series NIFTY in sqlite://…`.
    pub fn unknown_series_in(source_name: &str, series: &str) -> Self {
        CatalogError::UnknownSeries {
            series: series.to_string(),
            dir: PathBuf::from(source_name),
        }
    }

    /// [`CatalogError::Source`]: `source_name` failed with `message` (made one line).
    pub fn source_failure(source_name: &str, message: impl std::fmt::Display) -> Self {
        CatalogError::Source {
            source_name: source_name.to_string(),
            message: one_line(&message.to_string()),
        }
    }

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

/// `text` on one line: line breaks (and the indentation after them) become `; `.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
