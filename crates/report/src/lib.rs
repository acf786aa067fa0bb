//! # report — what a trader reads after a replay, a sweep or a paper session (issue 13)
//!
//! - [`load_days`] reads a journal root as `replay`/`paper`/`live` write it
//!   (`<root>/<mode>/<YYYY-MM-DD>/{trades.csv,fills.csv,summary.json}`, spec §11) into
//!   [`DayJournal`]s; errors name the file, line and field. [`DayJournal::from_rows`] makes
//!   the same from rows read elsewhere (the database store, issue 14: [`rows`]).
//! - [`write_html`] writes ONE self-contained `report.html` from a [`ReportInput`]: equity curve
//!   and drawdown, daily P&L bars, per-segment equity curves, P&L by hour of entry and by exit
//!   reason, the share of `MARKET` vs `MODEL` premiums, the trade table and the configuration
//!   used. Charts are inline SVG drawn here ([`svg`]); the page loads nothing (its
//!   Content-Security-Policy forbids every fetch and every script).
//! - [`write_sweep_html`] writes the sweep page from a `results.csv`: a heat map of net P&L
//!   over two parameters and the top parameter sets ([`sweep`]).
//! - [`compare()`] puts two journals of the same dates side by side (replay vs paper, seed 004
//!   §9): trades matched per day by segment and entry order/time, price and P&L differences,
//!   unmatched trades ([`Comparison`], printable as a text table; [`write_compare_html`] for a
//!   page).
//!
//! Money stays [`Decimal`](domain::Decimal) (₹) through the statistics ([`stats`]) and becomes
//! `f64` only at the plotting edge; times are IST.
//!
//! ```no_run
//! # fn demo() -> Result<(), report::ReportError> {
//! use std::path::Path;
//! let days = report::load_days(Path::new("/tmp/r"), "replay")?;
//! let input = report::ReportInput::new("Replay 2024-06-03..2024-06-14", "replay", days)
//!     .with_config("config/default.toml", "[engine]\n...");
//! report::write_html(&input, Path::new("/tmp/r/report.html"))?;
//! let cmp = report::compare(Path::new("/tmp/r"), "replay", Path::new("journal"), "paper")?;
//! println!("{cmp}");
//! # Ok(()) }
//! ```

mod columns;
pub mod compare;
pub mod html;
pub mod load;
pub mod rows;
pub mod stats;
pub mod svg;
pub mod sweep;

pub use compare::{
    Comparison, DayComparison, TradePair, compare, compare_days, render_compare_html,
    write_compare_html,
};
pub use html::{ReportInput, render_html, write_html};
pub use load::{DayJournal, FillRecord, load_days, read_fills, read_trades};
pub use rows::{TableRows, parse_rows};
pub use sweep::{SweepResults, SweepRow, read_sweep, render_sweep_html, write_sweep_html};

use std::path::PathBuf;

/// Why a report could not be read or written. Every variant names the file; CSV errors name
/// the line (1-based, the header is line 1) and the column.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading a file or directory, or writing the report, failed.
    #[error("{path}: {source}")]
    Io {
        /// File or directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A CSV row (or the header) does not have the expected shape.
    #[error("{path}:{line}: field `{field}`: {message}")]
    Csv {
        /// File.
        path: PathBuf,
        /// 1-based line of the record (0 when unknown).
        line: u64,
        /// Column name (or `-` when the row as a whole is wrong).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// `summary.json` (or another JSON file) does not parse.
    #[error("{path}: {message}")]
    Json {
        /// File.
        path: PathBuf,
        /// serde_json's message (with line and column).
        message: String,
    },
    /// The request does not fit the input (an unknown sweep parameter, no days...).
    #[error("{0}")]
    Input(String),
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReportError {
        let path = path.into();
        move |source| ReportError::Io { path, source }
    }
}
