//! What a conversion did: the per-source report (files, rows read/kept, rows dropped by a
//! documented rule, notes) and the per-series summary printed by the `convert` binary.

use crate::FileKind;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What one source contributed.
#[derive(Debug, Clone)]
pub struct SourceReport {
    /// The source: its folder under the raw data directory (a
    /// [`Source::dir_name`](super::Source::dir_name)) or the file converted (a Breeze export).
    pub source: String,
    /// Raw files read.
    pub files: usize,
    /// Data rows read (headers not counted).
    pub rows_read: u64,
    /// Rows kept (written as bars or ticks).
    pub rows_kept: u64,
    /// Rows dropped by a documented rule, with the rule (e.g. "outside 09:15..15:29 on 2024-01-20").
    pub dropped: BTreeMap<String, u64>,
    /// Other facts worth printing (symbol mappings, rounding).
    pub notes: Vec<String>,
}

impl SourceReport {
    pub(super) fn new(source: impl Into<String>) -> Self {
        SourceReport {
            source: source.into(),
            files: 0,
            rows_read: 0,
            rows_kept: 0,
            dropped: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    pub(super) fn drop_row(&mut self, rule: String) {
        *self.dropped.entry(rule).or_default() += 1;
    }
}

impl std::fmt::Display for SourceReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = &self.source;
        write!(
            f,
            "{name}: {} files, {} rows read, {} kept",
            self.files, self.rows_read, self.rows_kept
        )?;
        for (rule, n) in &self.dropped {
            write!(f, "\n    dropped {n} rows: {rule}")?;
        }
        for note in &self.notes {
            write!(f, "\n    {note}")?;
        }
        Ok(())
    }
}

/// Per-series totals of a conversion (for the summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSummary {
    /// Series name.
    pub series: String,
    /// Bars or ticks.
    pub kind: FileKind,
    /// Number of days (files).
    pub days: usize,
    /// Number of rows over all days.
    pub rows: usize,
    /// First day.
    pub first: NaiveDate,
    /// Last day.
    pub last: NaiveDate,
}
