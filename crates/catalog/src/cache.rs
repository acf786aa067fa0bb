//! [`DayCache`]: parsed catalog files kept in memory and shared read-only between threads, so
//! that a multi-day replay or a parameter sweep (issue 13) parses each market-data file once.
//!
//! A [`crate::Catalog`] made with [`crate::Catalog::cached`] answers `bars`, `ticks`,
//! `bar_dates`, `has_bars` and `has_ticks` from here after the first call for the same
//! series and date. Files dropped in (or changed) after the first read are not seen: a cached
//! catalog is for one run over a catalog that does not change while it runs.
//!
//! Each key has its own lock: two threads asking for the same file at once parse it once (the
//! second waits for the first); different files are parsed in parallel. Errors are not kept
//! (the next call reads the file again and reports the same error).

use crate::{CatalogError, TradeTick};
use chrono::NaiveDate;
use domain::{Bar, Segment, Tick};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// One memo table: per key, a slot filled once with the parsed value.
struct Memo<K, V> {
    slots: Mutex<HashMap<K, Arc<Mutex<Option<V>>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    fn new() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key`, computed by `load` on the first successful call.
    fn get_or_load<E>(&self, key: &K, load: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let slot = {
            let mut slots = lock(&self.slots);
            Arc::clone(slots.entry(key.clone()).or_default())
        };
        let mut value = lock(&slot);
        if let Some(v) = value.as_ref() {
            return Ok(v.clone());
        }
        let v = load()?;
        *value = Some(v.clone());
        Ok(v)
    }

    fn len(&self) -> usize {
        lock(&self.slots).len()
    }
}

/// A poisoned lock only means another thread panicked while holding it; the memo stays
/// consistent (a slot is either empty or holds a whole value), so the data is still good.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A day and the (segment, series) pairs of its feed.
type FeedKey = (NaiveDate, Vec<(Segment, String)>);

/// Parsed bars and ticks by `(series, date)`, trading dates by series, file existence.
pub struct DayCache {
    bars: Memo<(String, NaiveDate), Arc<[Bar]>>,
    ticks: Memo<(String, NaiveDate), Arc<[TradeTick]>>,
    dates: Memo<String, Arc<[NaiveDate]>>,
    exists: Memo<(String, NaiveDate, bool), bool>,
    feeds: Memo<FeedKey, Arc<[Tick]>>,
    parsed: AtomicUsize,
}

impl std::fmt::Debug for DayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DayCache")
            .field("bar_files", &self.bars.len())
            .field("tick_files", &self.ticks.len())
            .field("parsed", &self.files_parsed())
            .finish()
    }
}

impl Default for DayCache {
    fn default() -> Self {
        Self {
            bars: Memo::new(),
            ticks: Memo::new(),
            dates: Memo::new(),
            exists: Memo::new(),
            feeds: Memo::new(),
            parsed: AtomicUsize::new(0),
        }
    }
}

impl DayCache {
    /// How many bar and tick files were parsed through this cache (each at most once; a read
    /// that failed is not counted, nor kept).
    pub fn files_parsed(&self) -> usize {
        self.parsed.load(Ordering::Relaxed)
    }

    pub(crate) fn bars(
        &self,
        series: &str,
        date: NaiveDate,
        load: impl FnOnce() -> Result<Vec<Bar>, CatalogError>,
    ) -> Result<Arc<[Bar]>, CatalogError> {
        self.bars.get_or_load(&(series.to_string(), date), || {
            let parsed = load()?;
            self.parsed.fetch_add(1, Ordering::Relaxed);
            Ok(Arc::from(parsed))
        })
    }

    pub(crate) fn ticks(
        &self,
        series: &str,
        date: NaiveDate,
        load: impl FnOnce() -> Result<Vec<TradeTick>, CatalogError>,
    ) -> Result<Arc<[TradeTick]>, CatalogError> {
        self.ticks.get_or_load(&(series.to_string(), date), || {
            let parsed = load()?;
            self.parsed.fetch_add(1, Ordering::Relaxed);
            Ok(Arc::from(parsed))
        })
    }

    pub(crate) fn bar_dates(
        &self,
        series: &str,
        load: impl FnOnce() -> Result<Vec<NaiveDate>, CatalogError>,
    ) -> Result<Arc<[NaiveDate]>, CatalogError> {
        self.dates
            .get_or_load(&series.to_string(), || load().map(Arc::from))
    }

    /// The replay ticks of a day for these (segment, series) pairs.
    pub(crate) fn feed_ticks(
        &self,
        date: NaiveDate,
        series: &[(Segment, String)],
        load: impl FnOnce() -> Result<Vec<Tick>, CatalogError>,
    ) -> Result<Arc<[Tick]>, CatalogError> {
        self.feeds
            .get_or_load(&(date, series.to_vec()), || load().map(Arc::from))
    }

    /// `ticks`: the ticks file (else the bars file).
    pub(crate) fn exists(
        &self,
        series: &str,
        date: NaiveDate,
        ticks: bool,
        load: impl FnOnce() -> bool,
    ) -> bool {
        self.exists
            .get_or_load(&(series.to_string(), date, ticks), || {
                Ok::<_, std::convert::Infallible>(load())
            })
            .unwrap_or_else(|never| match never {})
    }
}
