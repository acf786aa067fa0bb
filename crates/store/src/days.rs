//! [`StoreDays`]: the store as a [`catalog::DaySource`], so `replay` with
//! `[data] source = "store"` reads the same bars and ticks from the database as from files.
//! The calls are synchronous (the catalog's API); each runs on a runtime owned by this value,
//! from a helper thread, so it works inside or outside an async runtime.

use crate::StoreError;
use crate::db::Store;
use crate::url::StoreUrl;
use catalog::source::DaySource;
use catalog::{CatalogError, FileKind, TradeTick};
use chrono::NaiveDate;
use domain::Bar;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

/// Market data read from a [`Store`], day by day; the list of series and days is read once
/// at [`StoreDays::open`] (a snapshot: days stored later are not seen). Wrap it in `catalog::Catalog::from_source`
/// and `.cached()` so each day is fetched once).
pub struct StoreDays {
    store: Store,
    rt: Option<tokio::runtime::Runtime>,
    /// Every series with its bar days and tick days, read once at open: the replay asks
    /// whether a day exists far more often than it reads one.
    listing: BTreeMap<String, (BTreeSet<NaiveDate>, BTreeSet<NaiveDate>)>,
}

impl std::fmt::Debug for StoreDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreDays")
            .field("url", self.store.url())
            .finish()
    }
}

impl StoreDays {
    /// Connect to `url` (see [`Store::connect`] for the errors).
    pub fn open(url: &StoreUrl) -> Result<StoreDays, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kestrel-store-read")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Connect {
                url: url.redacted(),
                message: e.to_string(),
            })?;
        let u = url.clone();
        let (store, listing) = on_thread(&rt, async move {
            let store = Store::connect(&u).await?;
            let listing = store.listing().await?;
            Ok::<_, StoreError>((store, listing))
        })?;
        Ok(StoreDays {
            store,
            rt: Some(rt),
            listing,
        })
    }

    /// The store read from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn block<T: Send>(&self, f: impl Future<Output = T> + Send) -> Result<T, CatalogError> {
        match &self.rt {
            Some(rt) => Ok(on_thread(rt, f)),
            None => Err(self.err("reader shut down".into())),
        }
    }

    fn err(&self, message: String) -> CatalogError {
        CatalogError::Source {
            source_name: self.describe(),
            message,
        }
    }

    fn map(&self, e: StoreError) -> CatalogError {
        self.err(e.to_string())
    }
}

/// Run `f` to completion on `rt` from a scoped helper thread (a runtime cannot be entered
/// from a thread that is already running one).
fn on_thread<T: Send>(rt: &tokio::runtime::Runtime, f: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|s| match s.spawn(|| rt.block_on(f)).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl Drop for StoreDays {
    fn drop(&mut self) {
        // Dropping a runtime blocks; from inside an async context only a background
        // shutdown is allowed.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl DaySource for StoreDays {
    fn describe(&self) -> String {
        self.store.url().redacted()
    }

    fn series(&self) -> Result<Vec<String>, CatalogError> {
        Ok(self.listing.keys().cloned().collect())
    }

    fn dates(&self, series: &str, kind: FileKind) -> Result<Vec<NaiveDate>, CatalogError> {
        let (bars, ticks) = self
            .listing
            .get(series)
            .ok_or_else(|| CatalogError::unknown_series_in(&self.describe(), series))?;
        let days = if kind == FileKind::Ticks { ticks } else { bars };
        Ok(days.iter().copied().collect())
    }

    fn bars(&self, series: &str, date: NaiveDate) -> Result<Vec<Bar>, CatalogError> {
        let (s, name) = (self.store.clone(), series.to_string());
        let bars = self
            .block(async move { s.bars(&name, date).await })?
            .map_err(|e| self.map(e))?;
        if bars.is_empty() {
            return Err(self.no_data(series, date));
        }
        Ok(bars)
    }

    fn ticks(&self, series: &str, date: NaiveDate) -> Result<Vec<TradeTick>, CatalogError> {
        let (s, name) = (self.store.clone(), series.to_string());
        let ticks = self
            .block(async move { s.ticks(&name, date).await })?
            .map_err(|e| self.map(e))?;
        if ticks.is_empty() {
            return Err(self.no_data(series, date));
        }
        Ok(ticks)
    }
}

impl StoreDays {
    fn no_data(&self, series: &str, date: NaiveDate) -> CatalogError {
        CatalogError::no_data_in(&self.describe(), series, date)
    }
}
