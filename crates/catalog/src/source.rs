//! [`DaySource`]: catalog days from somewhere other than the file tree (the database store of
//! issue 14), and [`Catalog::from_source`], a [`Catalog`] that reads them.
//!
//! A source-backed catalog answers every read of a file catalog the same way — `series`,
//! `bar_dates`, `tick_dates`, `has_bars`, `has_ticks`, `bars`, `bars_shared`, `ticks`,
//! `ticks_shared`, the replay edge ([`crate::replay`]) and [`Catalog::cached`] on top — so a
//! replay runs unchanged on it. What only files have ([`Catalog::day_file`],
//! [`Catalog::write_bars`], [`Catalog::write_ticks`]) fails with
//! [`CatalogError::NotFiles`]; [`Catalog::root`] is the source's [`DaySource::describe`].
//!
//! The catalog checks what a source returns with the files' rules: series names
//! ([`crate::naming::validate_series`]) before asking, and bars strictly increasing, ticks
//! non-decreasing, all on the date asked, OHLC consistent ([`crate::format::validate_bars`])
//! after; a breach is a [`CatalogError::Source`] naming the series, date, row and field. An
//! empty day is [`CatalogError::NoData`].
//!
//! ```
//! use catalog::{Catalog, CatalogError, DaySource, FileKind, TradeTick};
//! use chrono::NaiveDate;
//! use domain::Bar;
//! use std::sync::Arc;
//!
//! /// A source with nothing in it.
//! #[derive(Debug)]
//! struct Empty;
//!
//! impl DaySource for Empty {
//!     fn describe(&self) -> String {
//!         "memory://empty".into()
//!     }
//!     fn series(&self) -> Result<Vec<String>, CatalogError> {
//!         Ok(vec![])
//!     }
//!     fn dates(&self, series: &str, _: FileKind) -> Result<Vec<NaiveDate>, CatalogError> {
//!         Err(CatalogError::unknown_series_in(&self.describe(), series))
//!     }
//!     fn bars(&self, series: &str, date: NaiveDate) -> Result<Vec<Bar>, CatalogError> {
//!         Err(CatalogError::no_data_in(&self.describe(), series, date))
//!     }
//!     fn ticks(&self, series: &str, date: NaiveDate) -> Result<Vec<TradeTick>, CatalogError> {
//!         Err(CatalogError::no_data_in(&self.describe(), series, date))
//!     }
//! }
//!
//! let cat = Catalog::from_source(Arc::new(Empty)).cached();
//! let day = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
//! assert_eq!(cat.root().to_str(), Some("memory://empty"));
//! assert!(!cat.has_bars("NIFTY", day));
//! assert_eq!(
//!     cat.bars("NIFTY", day).unwrap_err().to_string(),
//!     "no data for NIFTY on 2024-06-03 in memory://empty"
//! );
//! ```

use crate::naming::{self, FileKind};
use crate::{Catalog, CatalogError, TradeTick, format};
use chrono::NaiveDate;
use domain::Bar;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A read-only source of catalog days other than the file tree (the database store of
/// issue 14 implements it). Same shapes and rules as the files: bars sorted by start, ticks
/// in arrival order, all on `date`, IST.
///
/// Its `Debug` output is part of a [`Catalog`]'s, so it must not show secrets either (a
/// database password redacted as in `describe`).
pub trait DaySource: Send + Sync + std::fmt::Debug {
    /// A name for messages and `Catalog::root()`, e.g. `sqlite://artifacts/kestrel.db`
    /// (a password already redacted).
    fn describe(&self) -> String;
    /// All series, sorted.
    fn series(&self) -> Result<Vec<String>, CatalogError>;
    /// Sorted dates of `series` with bars (FileKind::Bars) or ticks (FileKind::Ticks);
    /// `CatalogError::UnknownSeries` when the series has nothing.
    fn dates(&self, series: &str, kind: FileKind) -> Result<Vec<NaiveDate>, CatalogError>;
    /// The day's bars; `CatalogError::NoData` when there are none.
    fn bars(&self, series: &str, date: NaiveDate) -> Result<Vec<Bar>, CatalogError>;
    /// The day's trade ticks; `CatalogError::NoData` when there are none.
    fn ticks(&self, series: &str, date: NaiveDate) -> Result<Vec<TradeTick>, CatalogError>;
}

impl Catalog {
    /// A catalog whose days come from `source` instead of files (see the [module
    /// docs](crate::source)). Its [`Catalog::root`] is `source.describe()`, asked once here.
    /// Like a file catalog it reads the source on every call until made [`Catalog::cached`].
    pub fn from_source(source: Arc<dyn DaySource>) -> Catalog {
        Catalog {
            root: PathBuf::from(source.describe()),
            source: Some(source),
            cache: None,
        }
    }

    /// The source of a [`Catalog::from_source`] catalog; `None` for a file catalog.
    pub fn day_source(&self) -> Option<&Arc<dyn DaySource>> {
        self.source.as_ref()
    }

    /// [`CatalogError::NotFiles`] for `operation` when this catalog reads a source.
    pub(crate) fn files_only(
        &self,
        operation: impl FnOnce() -> String,
    ) -> Result<(), CatalogError> {
        match &self.source {
            Some(_) => Err(CatalogError::NotFiles {
                source_name: self.root.display().to_string(),
                operation: operation(),
            }),
            None => Ok(()),
        }
    }
}

/// The source's series, sorted and without duplicates.
pub(crate) fn series(src: &dyn DaySource) -> Result<Vec<String>, CatalogError> {
    let mut all = src.series()?;
    all.sort();
    all.dedup();
    Ok(all)
}

/// The source's dates of `series` (a valid name), sorted and without duplicates.
pub(crate) fn dates(
    src: &dyn DaySource,
    series: &str,
    kind: FileKind,
) -> Result<Vec<NaiveDate>, CatalogError> {
    naming::validate_series(series)?;
    let mut all = src.dates(series, kind)?;
    all.sort();
    all.dedup();
    Ok(all)
}

/// Whether the source has `kind` rows of `series` on `date` (false for an invalid name or
/// any error).
pub(crate) fn exists(src: &dyn DaySource, series: &str, date: NaiveDate, kind: FileKind) -> bool {
    dates(src, series, kind).is_ok_and(|d| d.binary_search(&date).is_ok())
}

/// The source's bars of `series` on `date`, checked with the files' rules.
pub(crate) fn bars(
    src: &dyn DaySource,
    series: &str,
    date: NaiveDate,
) -> Result<Vec<Bar>, CatalogError> {
    naming::validate_series(series)?;
    let bars = src.bars(series, date)?;
    if bars.is_empty() {
        return Err(CatalogError::no_data_in(&src.describe(), series, date));
    }
    format::validate_bars(&bars, Path::new(""), date)
        .map_err(|e| rule_broken(src, series, date, "bar", e))?;
    Ok(bars)
}

/// The source's trade ticks of `series` on `date`, checked with the files' rules.
pub(crate) fn ticks(
    src: &dyn DaySource,
    series: &str,
    date: NaiveDate,
) -> Result<Vec<TradeTick>, CatalogError> {
    naming::validate_series(series)?;
    let ticks = src.ticks(series, date)?;
    if ticks.is_empty() {
        return Err(CatalogError::no_data_in(&src.describe(), series, date));
    }
    format::validate_ticks(&ticks, Path::new(""), date)
        .map_err(|e| rule_broken(src, series, date, "tick", e))?;
    Ok(ticks)
}

/// A validation error of the file format (line = row + 1) as a [`CatalogError::Source`]
/// naming the series, date and 1-based row.
fn rule_broken(
    src: &dyn DaySource,
    series: &str,
    date: NaiveDate,
    what: &str,
    e: CatalogError,
) -> CatalogError {
    let message = match e {
        CatalogError::Field {
            line,
            field,
            message,
            ..
        } => format!(
            "{series} on {date}, {what} {}: field `{field}`: {message}",
            line.saturating_sub(1)
        ),
        other => format!("{series} on {date}: {other}"),
    };
    CatalogError::source_failure(&src.describe(), message)
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
