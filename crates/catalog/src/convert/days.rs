//! Converted day files: [`DayData`] (bars or ticks of one series on one day) and the
//! per-source builder that appends rows in order, checking each against its raw file's line.

use crate::error::CatalogError;
use crate::format::{self, At};
use crate::{FileKind, TradeTick};
use chrono::NaiveDate;
use domain::Bar;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One converted day: bars or ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayData {
    /// OHLCV bars (1-minute unless the series name says otherwise).
    Bars(Vec<Bar>),
    /// Trade ticks.
    Ticks(Vec<TradeTick>),
}

impl DayData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            DayData::Bars(b) => b.len(),
            DayData::Ticks(t) => t.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bars or ticks.
    pub fn kind(&self) -> FileKind {
        match self {
            DayData::Bars(_) => FileKind::Bars,
            DayData::Ticks(_) => FileKind::Ticks,
        }
    }
}

/// Day files of one source under construction, with the raw file each came from.
#[derive(Debug, Default)]
pub(super) struct Days {
    pub(super) map: BTreeMap<(String, NaiveDate, FileKind), (DayData, PathBuf)>,
}

impl Days {
    /// Append a bar to its day, checking order and OHLC against the raw file's line.
    pub(super) fn push_bar(
        &mut self,
        series: &str,
        bar: Bar,
        path: &Path,
        line: u64,
        ts_field: &str,
    ) -> Result<(), CatalogError> {
        format::check_ohlc(&bar, path, line)?;
        let key = (series.to_string(), bar.ts.date_naive(), FileKind::Bars);
        let (data, _) = self
            .map
            .entry(key)
            .or_insert_with(|| (DayData::Bars(Vec::with_capacity(400)), path.to_path_buf()));
        let DayData::Bars(bars) = data else {
            unreachable!("keyed by kind")
        };
        let at = At {
            path,
            line,
            field: ts_field,
        };
        format::check_ts(&bar.ts, bars.last().map(|b| &b.ts), None, true, &at)?;
        bars.push(bar);
        Ok(())
    }

    /// Append a trade tick to its day, checking order against the raw file's line.
    pub(super) fn push_tick(
        &mut self,
        series: &str,
        tick: TradeTick,
        path: &Path,
        line: u64,
        ts_field: &str,
    ) -> Result<(), CatalogError> {
        let key = (series.to_string(), tick.ts.date_naive(), FileKind::Ticks);
        let (data, _) = self
            .map
            .entry(key)
            .or_insert_with(|| (DayData::Ticks(Vec::new()), path.to_path_buf()));
        let DayData::Ticks(ticks) = data else {
            unreachable!("keyed by kind")
        };
        let at = At {
            path,
            line,
            field: ts_field,
        };
        format::check_ts(&tick.ts, ticks.last().map(|t| &t.ts), None, false, &at)?;
        ticks.push(tick);
        Ok(())
    }
}
