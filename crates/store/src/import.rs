//! `catalog import` / `catalog export`: the file catalog (spec §9) into the store and back.

use crate::StoreError;
use crate::db::Store;
use catalog::Catalog;
use chrono::NaiveDate;
use std::time::{Duration, Instant};

/// Which series and days to copy.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these series (all when empty).
    pub series: Vec<String>,
    /// First day, inclusive.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
}

impl Selection {
    fn series_ok(&self, s: &str) -> bool {
        self.series.is_empty() || self.series.iter().any(|x| x == s)
    }

    fn date_ok(&self, d: NaiveDate) -> bool {
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CopyStats {
    /// Series touched.
    pub series: usize,
    /// Series-days of bars copied.
    pub bar_days: usize,
    /// Series-days of ticks copied.
    pub tick_days: usize,
    /// Bar rows copied.
    pub bars: u64,
    /// Tick rows copied.
    pub ticks: u64,
    /// Series-days skipped (export: the file exists already).
    pub skipped: usize,
    /// Wall time.
    pub elapsed: Duration,
}

impl CopyStats {
    /// Rows (bars + ticks) per second of wall time.
    pub fn rows_per_sec(&self) -> f64 {
        (self.bars + self.ticks) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Errors of a copy: the catalog side names file, line and field; the store side the URL.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Reading or writing the file catalog.
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    /// Reading or writing the store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copy the selected bars and ticks of `cat` into `store`, replacing days already stored
/// (one transaction per series-day, so an interrupted import leaves whole days).
/// `progress` is called after each series with its name and the totals so far.
pub async fn import_catalog(
    cat: &Catalog,
    store: &Store,
    sel: &Selection,
    mut progress: impl FnMut(&str, &CopyStats),
) -> Result<CopyStats, CopyError> {
    let start = Instant::now();
    let mut st = CopyStats::default();
    for series in cat.series()?.into_iter().filter(|s| sel.series_ok(s)) {
        st.series += 1;
        for d in cat
            .bar_dates(&series)?
            .into_iter()
            .filter(|d| sel.date_ok(*d))
        {
            let bars = cat.bars(&series, d)?;
            store.put_bars(&series, d, &bars).await?;
            st.bars += bars.len() as u64;
            st.bar_days += 1;
        }
        for d in cat
            .tick_dates(&series)?
            .into_iter()
            .filter(|d| sel.date_ok(*d))
        {
            let ticks = cat.ticks(&series, d)?;
            store.put_ticks(&series, d, &ticks).await?;
            st.ticks += ticks.len() as u64;
            st.tick_days += 1;
        }
        st.elapsed = start.elapsed();
        progress(&series, &st);
    }
    st.elapsed = start.elapsed();
    Ok(st)
}

/// Write the selected bars and ticks of `store` into the catalog `cat` (plain CSV, or gzip
/// when `gz`). An existing day file is kept unless `overwrite`.
pub async fn export_catalog(
    store: &Store,
    cat: &Catalog,
    sel: &Selection,
    gz: bool,
    overwrite: bool,
) -> Result<CopyStats, CopyError> {
    let start = Instant::now();
    let mut st = CopyStats::default();
    for series in store
        .series()
        .await?
        .into_iter()
        .filter(|s| sel.series_ok(s))
    {
        st.series += 1;
        for d in store
            .dates(&series, false)
            .await?
            .into_iter()
            .filter(|d| sel.date_ok(*d))
        {
            if !overwrite && cat.has_bars(&series, d) {
                st.skipped += 1;
                continue;
            }
            let bars = store.bars(&series, d).await?;
            cat.write_bars(&series, d, &bars, gz)?;
            st.bars += bars.len() as u64;
            st.bar_days += 1;
        }
        for d in store
            .dates(&series, true)
            .await?
            .into_iter()
            .filter(|d| sel.date_ok(*d))
        {
            if !overwrite && cat.has_ticks(&series, d) {
                st.skipped += 1;
                continue;
            }
            let ticks = store.ticks(&series, d).await?;
            cat.write_ticks(&series, d, &ticks, gz)?;
            st.ticks += ticks.len() as u64;
            st.tick_days += 1;
        }
    }
    st.elapsed = start.elapsed();
    Ok(st)
}
