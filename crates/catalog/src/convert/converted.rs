//! [`Converted`]: the day files of one or more converted sources, merged (two sources for one
//! day are refused), queried, summarised and written into a [`Catalog`].

use super::Source;
use super::days::{DayData, Days};
use super::report::{SeriesSummary, SourceReport};
use super::stocks::StockInfo;
use crate::error::CatalogError;
use crate::{Catalog, FileKind, TradeTick};
use chrono::NaiveDate;
use domain::Bar;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};

/// The result of converting one or more sources: day files keyed by `(series, date, kind)`.
#[derive(Debug, Default)]
pub struct Converted {
    /// Each day with the raw file it came from and whether its bars are always written
    /// gzip-compressed (the stock sources: see [`Source::gzip_bars`]).
    days: BTreeMap<(String, NaiveDate, FileKind), (DayData, PathBuf, bool)>,
    /// Stock series → what the conversion learnt about the instrument (NSE token).
    stocks: BTreeMap<String, StockInfo>,
    /// Per-source reports, in conversion order.
    pub reports: Vec<SourceReport>,
}

impl Converted {
    /// Convert every source in `sources` from `raw_root`.
    pub fn from_sources(raw_root: &Path, sources: &[Source]) -> Result<Converted, CatalogError> {
        let mut out = Converted::default();
        for s in sources {
            s.convert(raw_root, &mut out)?;
        }
        Ok(out)
    }

    /// Add a converted source's days (bars gzip-compressed on writing if `gz`) and report.
    pub(super) fn merge(
        &mut self,
        days: Days,
        mut report: SourceReport,
        gz: bool,
    ) -> Result<(), CatalogError> {
        for (key, (data, path)) in days.map {
            report.rows_kept += data.len() as u64;
            match self.days.entry(key) {
                Entry::Vacant(v) => {
                    v.insert((data, path, gz));
                }
                Entry::Occupied(o) => {
                    let (series, date, _) = o.key();
                    return Err(CatalogError::File {
                        path,
                        message: format!(
                            "{series} on {date} is also given by {}; two sources for one day are not merged",
                            o.get().1.display()
                        ),
                    });
                }
            }
        }
        self.reports.push(report);
        Ok(())
    }

    /// Record what a source said about the instrument behind `series`.
    pub(super) fn add_stock(&mut self, series: String, info: StockInfo) {
        self.stocks.insert(series, info);
    }

    /// What the conversion learnt about the stock behind `series` (its NSE symbol and, where
    /// the source has it, its NSE scrip token), if `series` came from a stock source.
    pub fn stock(&self, series: &str) -> Option<&StockInfo> {
        self.stocks.get(series)
    }

    /// Every stock series converted, sorted by series name.
    pub fn stocks(&self) -> impl Iterator<Item = (&str, &StockInfo)> {
        self.stocks.iter().map(|(s, i)| (s.as_str(), i))
    }

    /// The converted days, keyed by `(series, date, kind)`.
    pub fn days(&self) -> impl Iterator<Item = (&str, NaiveDate, &DayData)> {
        self.days
            .iter()
            .map(|((s, d, _), (data, _, _))| (s.as_str(), *d, data))
    }

    /// The bars of `series` on `date`, if converted.
    pub fn bars(&self, series: &str, date: NaiveDate) -> Option<&[Bar]> {
        match self
            .days
            .get(&(series.to_string(), date, FileKind::Bars))
            .map(|(d, _, _)| d)
        {
            Some(DayData::Bars(b)) => Some(b),
            _ => None,
        }
    }

    /// The ticks of `series` on `date`, if converted.
    pub fn ticks(&self, series: &str, date: NaiveDate) -> Option<&[TradeTick]> {
        match self
            .days
            .get(&(series.to_string(), date, FileKind::Ticks))
            .map(|(d, _, _)| d)
        {
            Some(DayData::Ticks(t)) => Some(t),
            _ => None,
        }
    }

    /// Per-series totals, sorted by series then kind.
    pub fn summary(&self) -> Vec<SeriesSummary> {
        let mut out: Vec<SeriesSummary> = Vec::new();
        for ((series, date, kind), (data, _, _)) in &self.days {
            match out.last_mut() {
                Some(s) if s.series == *series && s.kind == *kind => {
                    s.days += 1;
                    s.rows += data.len();
                    s.last = *date;
                }
                _ => out.push(SeriesSummary {
                    series: series.clone(),
                    kind: *kind,
                    days: 1,
                    rows: data.len(),
                    first: *date,
                    last: *date,
                }),
            }
        }
        out
    }

    /// Write every day into `catalog`: bars plain `.csv` (or `.csv.gz` if `gz_bars` or the
    /// day's source always compresses, [`Source::gzip_bars`]), ticks `.ticks.csv.gz` (or plain
    /// if `!gz_ticks`); then, if stock series were converted, their rows of the catalog's
    /// [`instruments`](super::instruments) file. Returns the day files written.
    pub fn write(
        &self,
        catalog: &Catalog,
        gz_bars: bool,
        gz_ticks: bool,
    ) -> Result<Vec<PathBuf>, CatalogError> {
        let mut written = Vec::with_capacity(self.days.len());
        for ((series, date, _), (data, _, gz)) in &self.days {
            let path = match data {
                DayData::Bars(b) => catalog.write_bars(series, *date, b, gz_bars || *gz)?,
                DayData::Ticks(t) => catalog.write_ticks(series, *date, t, gz_ticks)?,
            };
            written.push(path);
        }
        if !self.stocks.is_empty() {
            super::instruments::update(&super::instruments::path(catalog.root()), self.stocks())?;
        }
        Ok(written)
    }
}
