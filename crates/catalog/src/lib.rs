//! # catalog — the market-data catalog (spec §9)
//!
//! One canonical format the engine reads in replay, one file per series per trading day:
//!
//! ```text
//! <data-dir>/<series>/<YYYY-MM-DD>.csv[.gz]        bars:  timestamp,open,high,low,close,volume
//! <data-dir>/<series>/<YYYY-MM-DD>.ticks.csv[.gz]  ticks: timestamp,last_price,volume,oi
//! ```
//!
//! - `<series>`: `NIFTY`, `BANKNIFTY`, `SENSEX` (index), `NIFTY-FUT` (near-month futures),
//!   an option's Kite tradingsymbol (`NIFTY22NOV18300CE`), … Bars are 1-minute unless the
//!   series name ends in a timeframe suffix (`NIFTY-FUT_5m`, `SENSEX_3m`), see
//!   [`Catalog::bar_timeframe`] and [`naming`].
//! - Timestamps: ISO-8601 with offset, `2024-06-03T09:15:00+05:30`, read into IST
//!   ([`domain::time::IstDateTime`]); a bar is labelled by its **start**.
//! - Prices: decimals in ₹ (index points for an index), never floats. `volume` (units, not
//!   lots) and `oi` may be empty (index bars have no volume).
//! - Adding a day = dropping a file in. Plain and gzip-compressed files are read alike.
//!
//! The full format, the naming rules and the shipped sample are described in
//! `docs/data-catalog.md` and `data/README.md`. The [`convert`] module (and the `convert`
//! binary) turns the raw sources of `shared/data/` into this format. The [`replay`] module is
//! the replay edge: a day's ticks, warm-up history, contracts and premiums from the catalog.
//!
//! The same days can come from elsewhere: [`Catalog::from_source`] reads them from a
//! [`DaySource`] (the database store of issue 14) with the same methods and results, see
//! [`source`].
//!
//! ```no_run
//! use catalog::Catalog;
//! use chrono::NaiveDate;
//! let cat = Catalog::open("data")?;
//! let day = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
//! let bars = cat.bars("NIFTY", day)?; // 375 one-minute bars, 09:15..15:29 IST
//! assert_eq!(cat.bar_timeframe("NIFTY")?.minutes(), 1);
//! # Ok::<(), catalog::CatalogError>(())
//! ```

#![warn(missing_docs)]

pub mod cache;
pub mod convert;
mod error;
pub mod format;
pub mod naming;
pub mod replay;
pub mod source;
mod write;

pub use cache::DayCache;
pub use error::CatalogError;
pub use naming::{FileKind, series_name, series_timeframe};
pub use source::DaySource;

use chrono::NaiveDate;
use domain::time::IstDateTime;
use domain::{Bar, Decimal, Segment, Tick, Timeframe};
use std::collections::BTreeSet;
use std::fs;
#[cfg(test)]
use std::io::Write; // the unit tests (`tests.rs`) write gzip bytes
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One trade of an instrument as stored in a `.ticks.csv` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeTick {
    /// Exchange timestamp, IST (whole seconds in the shipped data; several trades can share
    /// one second, their file order is kept).
    pub ts: IstDateTime,
    /// Traded price, ₹.
    pub last_price: Decimal,
    /// Traded quantity of this trade in units (not lots), where the source has it.
    pub volume: Option<u64>,
    /// Open interest in units after this trade, where the source has it.
    pub oi: Option<u64>,
}

impl TradeTick {
    /// The engine's market-data tick for this trade, with the given Kite `instrument_token`.
    pub fn to_tick(&self, token: u32) -> Tick {
        Tick {
            token,
            ts: self.ts,
            price: self.last_price,
            volume: self.volume,
        }
    }
}

/// A data catalog rooted at a directory (`data/` in the repository by default), or reading a
/// [`DaySource`] ([`Catalog::from_source`]).
///
/// Cheap to create and clone: it holds the root path (or the shared source) and, for a
/// [`Catalog::cached`] catalog, a shared [`DayCache`]. A plain catalog reads the file system
/// (or the source) on every call, so files dropped in while it exists are seen; a cached one
/// parses each file once and shares the result between its clones and threads (parallel
/// replays and sweeps, issue 13). Two catalogs are equal when their roots are and both read
/// files or both read a source.
#[derive(Debug, Clone)]
pub struct Catalog {
    root: PathBuf,
    source: Option<Arc<dyn DaySource>>,
    cache: Option<Arc<DayCache>>,
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root && self.source.is_some() == other.source.is_some()
    }
}

impl Eq for Catalog {}

impl Catalog {
    /// Open the catalog at `root`.
    ///
    /// Errors: [`CatalogError::MissingRoot`] if `root` does not exist or is not a directory.
    pub fn open(root: impl Into<PathBuf>) -> Result<Catalog, CatalogError> {
        let root = root.into();
        if root.is_dir() {
            Ok(Catalog {
                root,
                source: None,
                cache: None,
            })
        } else {
            Err(CatalogError::MissingRoot { path: root })
        }
    }

    /// Open the catalog at `root`, creating the directory (and its parents) if missing.
    pub fn create(root: impl Into<PathBuf>) -> Result<Catalog, CatalogError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| CatalogError::io(&root, e))?;
        Catalog::open(root)
    }

    /// The catalog's root directory; for a [`Catalog::from_source`] catalog the source's
    /// [`DaySource::describe`] (e.g. `sqlite://artifacts/kestrel.db`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// This catalog with a new in-memory [`DayCache`]: from now on (in this value and its
    /// clones) each bars/ticks file (or source day) is parsed once and the file listing and
    /// existence checks are remembered. For a run over a catalog that does not change while
    /// it runs.
    pub fn cached(self) -> Catalog {
        Catalog {
            root: self.root,
            source: self.source,
            cache: Some(Arc::new(DayCache::default())),
        }
    }

    /// The Kite `instrument_token` of the ticks replayed for `segment` from `series`: an
    /// index's own token (kite-connect.md §8.3); for a stock, the series' `instrument_token` in
    /// `<root>/instruments.csv` ([`convert::instruments`]), which is also the traded `EQ`
    /// contract's token (a stock agent watches what it trades).
    ///
    /// Errors: the instruments file unreadable or malformed (file, line, field), or no token
    /// recorded for `series` ([`CatalogError::File`] naming the file and series).
    pub fn watch_token(&self, segment: Segment, series: &str) -> Result<u32, CatalogError> {
        let pair = [(segment, series.to_string())];
        Ok(self.watch_tokens(&pair)?[0])
    }

    /// [`Catalog::watch_token`] of each `(segment, series)` pair, in order, reading the
    /// instruments file at most once.
    pub fn watch_tokens(&self, series: &[(Segment, String)]) -> Result<Vec<u32>, CatalogError> {
        let path = convert::instruments::path(&self.root);
        let mut rows = None;
        let mut out = Vec::with_capacity(series.len());
        for (segment, name) in series {
            if let Some(t) = segment.index_token() {
                out.push(t);
                continue;
            }
            if rows.is_none() {
                rows = Some(convert::instruments::read(&path)?);
            }
            let token = rows
                .as_ref()
                .and_then(|r| r.get(name))
                .and_then(|i| i.kite_instrument_token())
                .ok_or_else(|| CatalogError::File {
                    path: path.clone(),
                    message: format!(
                        "no instrument_token for series {name} (stock {segment}): add its row (see `convert`)"
                    ),
                })?;
            out.push(token);
        }
        Ok(out)
    }

    /// The cache of a [`Catalog::cached`] catalog.
    pub fn cache(&self) -> Option<&DayCache> {
        self.cache.as_deref()
    }

    /// All series, i.e. the names of the root's subdirectories (hidden ones skipped), sorted
    /// (a source's series, sorted).
    pub fn series(&self) -> Result<Vec<String>, CatalogError> {
        if let Some(src) = &self.source {
            return source::series(src.as_ref());
        }
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(|e| CatalogError::io(&self.root, e))? {
            let entry = entry.map_err(|e| CatalogError::io(&self.root, e))?;
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if let Some(name) = entry.file_name().to_str()
                && !name.starts_with('.')
            {
                out.push(name.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Timeframe of the series' bars by the naming rule: a `_<n>m`/`_<n>h` suffix
    /// (`NIFTY-FUT_5m` → 5m, `SENSEX_3m` → 3m), otherwise 1 minute (`NIFTY`, option symbols).
    ///
    /// Errors: [`CatalogError::InvalidSeries`] for a malformed name or suffix.
    pub fn bar_timeframe(&self, series: &str) -> Result<Timeframe, CatalogError> {
        naming::validate_series(series)?;
        series_timeframe(series)
    }

    /// Sorted trading dates that have a bars file (`.csv` or `.csv.gz`) for `series`.
    ///
    /// Errors: [`CatalogError::UnknownSeries`] if the series has no directory.
    pub fn bar_dates(&self, series: &str) -> Result<Vec<NaiveDate>, CatalogError> {
        match &self.cache {
            Some(c) => Ok(c
                .bar_dates(series, || self.dates(series, FileKind::Bars))?
                .to_vec()),
            None => self.dates(series, FileKind::Bars),
        }
    }

    /// Sorted trading dates that have a ticks file (`.ticks.csv` or `.ticks.csv.gz`).
    ///
    /// Errors: [`CatalogError::UnknownSeries`] if the series has no directory.
    pub fn tick_dates(&self, series: &str) -> Result<Vec<NaiveDate>, CatalogError> {
        self.dates(series, FileKind::Ticks)
    }

    /// Whether a bars file exists for `series` on `date` (false for an invalid series name).
    pub fn has_bars(&self, series: &str, date: NaiveDate) -> bool {
        match &self.cache {
            Some(c) => c.exists(series, date, false, || {
                self.exists(series, date, FileKind::Bars)
            }),
            None => self.exists(series, date, FileKind::Bars),
        }
    }

    /// Whether a ticks file exists for `series` on `date` (false for an invalid series name).
    pub fn has_ticks(&self, series: &str, date: NaiveDate) -> bool {
        match &self.cache {
            Some(c) => c.exists(series, date, true, || {
                self.exists(series, date, FileKind::Ticks)
            }),
            None => self.exists(series, date, FileKind::Ticks),
        }
    }

    /// The existing file of `series` on `date` (plain or `.gz`).
    ///
    /// Errors: [`CatalogError::NoData`] if there is none, [`CatalogError::Ambiguous`] if both
    /// the plain and the `.gz` file exist, [`CatalogError::NotFiles`] for a
    /// [`Catalog::from_source`] catalog.
    pub fn day_file(
        &self,
        series: &str,
        date: NaiveDate,
        kind: FileKind,
    ) -> Result<PathBuf, CatalogError> {
        self.files_only(|| {
            let what = match kind {
                FileKind::Bars => "bars",
                FileKind::Ticks => "ticks",
            };
            format!("locate the {what} file of {series} on {date}")
        })?;
        naming::validate_series(series)?;
        let dir = self.root.join(series);
        let plain = dir.join(kind.file_name(date, false));
        let gz = dir.join(kind.file_name(date, true));
        match (plain.is_file(), gz.is_file()) {
            (true, true) => Err(CatalogError::Ambiguous { path: plain }),
            (true, false) => Ok(plain),
            (false, true) => Ok(gz),
            (false, false) => Err(CatalogError::NoData {
                series: series.to_string(),
                date,
                path: plain,
            }),
        }
    }

    /// The bars of `series` on `date`: all rows as stored, sorted by `ts` (bar start, IST).
    ///
    /// Errors: [`CatalogError::NoData`] for a missing day; [`CatalogError::Field`] /
    /// [`CatalogError::Row`] / [`CatalogError::Header`] naming file, line and field for a
    /// malformed row, a row not on `date`, a row not strictly after the previous one, or
    /// `high < max(open, close)` / `low > min(open, close)`; [`CatalogError::Io`].
    pub fn bars(&self, series: &str, date: NaiveDate) -> Result<Vec<Bar>, CatalogError> {
        match &self.cache {
            Some(_) => Ok(self.bars_shared(series, date)?.to_vec()),
            None => self.read_bars(series, date),
        }
    }

    /// [`Catalog::bars`] as a shared slice: from the cache of a [`Catalog::cached`] catalog
    /// without copying, else freshly read. Errors: as [`Catalog::bars`].
    pub fn bars_shared(&self, series: &str, date: NaiveDate) -> Result<Arc<[Bar]>, CatalogError> {
        match &self.cache {
            Some(c) => c.bars(series, date, || self.read_bars(series, date)),
            None => self.read_bars(series, date).map(Arc::from),
        }
    }

    fn read_bars(&self, series: &str, date: NaiveDate) -> Result<Vec<Bar>, CatalogError> {
        if let Some(src) = &self.source {
            return source::bars(src.as_ref(), series, date);
        }
        let path = self.day_file(series, date, FileKind::Bars)?;
        format::read_bars_file(&path, Some(date))
    }

    /// The trade ticks of `series` on `date`, in file order (non-decreasing `ts`, IST).
    ///
    /// Errors: as [`Catalog::bars`] (ticks may share a timestamp; there is no OHLC check).
    pub fn ticks(&self, series: &str, date: NaiveDate) -> Result<Vec<TradeTick>, CatalogError> {
        match &self.cache {
            Some(_) => Ok(self.ticks_shared(series, date)?.to_vec()),
            None => self.read_ticks(series, date),
        }
    }

    /// [`Catalog::ticks`] as a shared slice (see [`Catalog::bars_shared`]).
    pub fn ticks_shared(
        &self,
        series: &str,
        date: NaiveDate,
    ) -> Result<Arc<[TradeTick]>, CatalogError> {
        match &self.cache {
            Some(c) => c.ticks(series, date, || self.read_ticks(series, date)),
            None => self.read_ticks(series, date).map(Arc::from),
        }
    }

    fn read_ticks(&self, series: &str, date: NaiveDate) -> Result<Vec<TradeTick>, CatalogError> {
        if let Some(src) = &self.source {
            return source::ticks(src.as_ref(), series, date);
        }
        let path = self.day_file(series, date, FileKind::Ticks)?;
        format::read_ticks_file(&path, Some(date))
    }

    fn exists(&self, series: &str, date: NaiveDate, kind: FileKind) -> bool {
        if let Some(src) = &self.source {
            return source::exists(src.as_ref(), series, date, kind);
        }
        if naming::validate_series(series).is_err() {
            return false;
        }
        let dir = self.root.join(series);
        dir.join(kind.file_name(date, false)).is_file()
            || dir.join(kind.file_name(date, true)).is_file()
    }

    fn dates(&self, series: &str, kind: FileKind) -> Result<Vec<NaiveDate>, CatalogError> {
        if let Some(src) = &self.source {
            return source::dates(src.as_ref(), series, kind);
        }
        naming::validate_series(series)?;
        let dir = self.root.join(series);
        if !dir.is_dir() {
            return Err(CatalogError::UnknownSeries {
                series: series.to_string(),
                dir,
            });
        }
        let mut dates = BTreeSet::new();
        for entry in fs::read_dir(&dir).map_err(|e| CatalogError::io(&dir, e))? {
            let entry = entry.map_err(|e| CatalogError::io(&dir, e))?;
            if let Some(name) = entry.file_name().to_str()
                && let Some((date, k, _gz)) = naming::parse_file_name(name)
                && k == kind
                && entry.path().is_file()
            {
                dates.insert(date);
            }
        }
        Ok(dates.into_iter().collect())
    }
}

#[cfg(test)]
mod tests;
