//! [`CatalogHistory`]: warm-up sessions from the catalog as [`HistoricalData`] (spec §3.1
//! rule 4).

use crate::Catalog;
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::ports::{HistoricalData, HistoryError};
use domain::{Bar, Segment};
use std::collections::BTreeMap;

/// Warm-up history from the catalog: sessions are the dates present in the segment's series.
pub struct CatalogHistory {
    catalog: Catalog,
    series: BTreeMap<Segment, String>,
}

impl CatalogHistory {
    /// History over `catalog`; a segment reads the series named in `series` (default: its code).
    pub fn new(catalog: Catalog, series: BTreeMap<Segment, String>) -> Self {
        Self { catalog, series }
    }

    fn series(&self, seg: Segment) -> String {
        self.series
            .get(&seg)
            .cloned()
            .unwrap_or_else(|| seg.code().to_string())
    }
}

#[async_trait]
impl HistoricalData for CatalogHistory {
    /// The last `sessions` catalog days of the segment's series before `before`, oldest
    /// first. Errors: [`HistoryError::Source`] naming the file, line and field.
    async fn sessions_before(
        &self,
        segment: Segment,
        before: NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<Bar>>, HistoryError> {
        let series = &self.series(segment);
        let dates = self
            .catalog
            .bar_dates(series)
            .map_err(|e| HistoryError::Source(e.to_string()))?;
        let prior: Vec<NaiveDate> = dates.into_iter().filter(|d| *d < before).collect();
        let from = prior.len().saturating_sub(sessions);
        prior[from..]
            .iter()
            .map(|d| {
                self.catalog
                    .bars(series, *d)
                    .map_err(|e| HistoryError::Source(e.to_string()))
            })
            .collect()
    }

    /// The whole day's bars of the segment's series (a catalog day is complete; a caller
    /// replaying a restart cuts it at its clock).
    async fn session_so_far(
        &self,
        segment: Segment,
        date: NaiveDate,
    ) -> Result<Vec<Bar>, HistoryError> {
        self.catalog
            .bars(&self.series(segment), date)
            .map_err(|e| HistoryError::Source(e.to_string()))
    }
}
