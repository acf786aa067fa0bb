//! Day statistics (`summary.json`) computed from the day's trades.

use chrono::NaiveDate;
use domain::{Decimal, Segment, Trade};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Statistics of a set of trades (one segment, or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    /// Completed trades.
    pub trades: u32,
    /// Trades with net P&L > 0.
    pub wins: u32,
    /// Trades with net P&L ≤ 0.
    pub losses: u32,
    /// `100 × wins / trades`, % (0 with no trades), two decimals.
    pub win_rate_pct: Decimal,
    /// Gross P&L, ₹.
    pub gross_pnl: Decimal,
    /// Charges, ₹.
    pub charges: Decimal,
    /// Net P&L, ₹.
    pub net_pnl: Decimal,
    /// Largest peak-to-trough fall of cumulative net P&L over the trades in exit order
    /// (starting from 0), ₹, ≥ 0.
    pub max_drawdown: Decimal,
}

impl SegmentSummary {
    /// Statistics of `trades` (taken in exit-time order).
    pub fn from_trades<'a>(trades: impl IntoIterator<Item = &'a Trade>) -> Self {
        let mut v: Vec<&Trade> = trades.into_iter().collect();
        v.sort_by_key(|t| t.exit_time);
        let mut s = SegmentSummary::default();
        let (mut cum, mut peak) = (Decimal::ZERO, Decimal::ZERO);
        for t in v {
            s.trades += 1;
            if t.net_pnl > Decimal::ZERO {
                s.wins += 1;
            } else {
                s.losses += 1;
            }
            s.gross_pnl += t.pnl_value;
            s.charges += t.charges;
            s.net_pnl += t.net_pnl;
            cum += t.net_pnl;
            peak = peak.max(cum);
            s.max_drawdown = s.max_drawdown.max(peak - cum);
        }
        if s.trades > 0 {
            s.win_rate_pct =
                (Decimal::from(s.wins) * Decimal::from(100) / Decimal::from(s.trades)).round_dp(2);
        }
        s
    }
}

/// `summary.json`: one day of one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySummary {
    /// Trading date.
    pub date: NaiveDate,
    /// `REPLAY`, `PAPER`, `LIVE`.
    pub mode: String,
    /// Strategy name.
    pub strategy: String,
    /// All segments together.
    pub total: SegmentSummary,
    /// Per segment.
    pub segments: BTreeMap<Segment, SegmentSummary>,
    /// Signals refused by the risk engine or because a position was open.
    pub signals_skipped: u32,
}

impl DaySummary {
    /// The summary of a day's trades.
    pub fn from_trades(
        date: NaiveDate,
        mode: &str,
        strategy: &str,
        segments: &[Segment],
        trades: &[Trade],
        signals_skipped: u32,
    ) -> Self {
        let per = segments
            .iter()
            .map(|s| {
                (
                    *s,
                    SegmentSummary::from_trades(trades.iter().filter(|t| t.segment == *s)),
                )
            })
            .collect();
        Self {
            date,
            mode: mode.to_string(),
            strategy: strategy.to_string(),
            total: SegmentSummary::from_trades(trades),
            segments: per,
            signals_skipped,
        }
    }
}
