//! What one replayed day leaves behind for the summary table, a sweep's statistics and a shard
//! merge: the day's status, its summary and its trades. Shard runs write these as JSON
//! (`<out>/shards/replay-<I>-of-<N>.json`, `<out>/sweep/<name>/<set>/record.json`) so that
//! `replay merge` rebuilds exactly what one run prints and writes.

use crate::shard::Shard;
use chrono::NaiveDate;
use domain::time::IstDateTime;
use domain::{Decimal, Segment, Trade};
use journal::SegmentSummary;
use serde::{Deserialize, Serialize};

/// How a date of the range went (spec §3.1 rule 4: days are independent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DayOutcome<T> {
    /// The day ran: its all-segment summary and its trades in exit order.
    Traded {
        /// All segments together.
        summary: SegmentSummary,
        /// Trades in the order the engine booked them.
        trades: Vec<T>,
    },
    /// Weekend or exchange holiday.
    NonTrading,
    /// A trading day without catalog data for an enabled segment.
    NoData,
}

/// One date of a run. `T` is [`Trade`] for a replay, [`TradeLite`] for a sweep set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRecord<T> {
    /// Trading date.
    pub date: NaiveDate,
    /// What happened.
    #[serde(flatten)]
    pub outcome: DayOutcome<T>,
}

impl<T> DayRecord<T> {
    /// The day's trades (none for a skipped day).
    pub fn trades(&self) -> &[T] {
        match &self.outcome {
            DayOutcome::Traded { trades, .. } => trades,
            _ => &[],
        }
    }
}

/// The part of a [`Trade`] a sweep's statistics need (kept per set instead of whole trades).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeLite {
    /// Segment.
    pub segment: Segment,
    /// Exit time, IST (drawdown order).
    #[serde(with = "domain::time::serde_ist")]
    pub exit_time: IstDateTime,
    /// Gross P&L, ₹.
    pub pnl_value: Decimal,
    /// Charges, ₹.
    pub charges: Decimal,
    /// Net P&L, ₹.
    pub net_pnl: Decimal,
}

impl From<&Trade> for TradeLite {
    fn from(t: &Trade) -> Self {
        Self {
            segment: t.segment,
            exit_time: t.exit_time,
            pnl_value: t.pnl_value,
            charges: t.charges,
            net_pnl: t.net_pnl,
        }
    }
}

/// The machine-readable output of `replay --shard I/N` over a date range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayShardFile {
    /// First date of the whole range.
    pub from: NaiveDate,
    /// Last date of the whole range.
    pub to: NaiveDate,
    /// Which share of the range this is.
    pub shard: Shard,
    /// The enabled segments (per-segment total rows).
    pub segments: Vec<Segment>,
    /// This shard's dates, in date order.
    pub days: Vec<DayRecord<Trade>>,
}

impl ReplayShardFile {
    /// File name of shard `s` inside `<out>/shards/`.
    pub fn file_name(s: Shard) -> String {
        format!("replay-{}-of-{}.json", s.index, s.count)
    }
}

/// The machine-readable result of one sweep parameter set (`<set>/record.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRecord {
    /// `set-0001`…, in cartesian order.
    pub set: String,
    /// Number of sets of the whole grid.
    pub total_sets: usize,
    /// The set's value of each grid key, TOML text, in grid-file order.
    pub values: Vec<String>,
    /// Every date of the range.
    pub days: Vec<DayRecord<TradeLite>>,
}
