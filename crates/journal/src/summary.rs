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
    /// Statistics of `trades` (taken in exit-time order). A hedged short's two rows are one
    /// trade ([`Trade::trade_key`]): its win or loss is the legs' combined net P&L.
    pub fn from_trades<'a>(trades: impl IntoIterator<Item = &'a Trade>) -> Self {
        let mut v: Vec<&Trade> = trades.into_iter().collect();
        v.sort_by_key(|t| t.exit_time);
        // One entry per trade, in the exit order of its first row: (gross, charges, net).
        let mut keys: Vec<&str> = Vec::new();
        let mut sums: BTreeMap<&str, (Decimal, Decimal, Decimal)> = BTreeMap::new();
        for t in &v {
            let e = sums.entry(t.trade_key()).or_insert_with(|| {
                keys.push(t.trade_key());
                Default::default()
            });
            e.0 += t.pnl_value;
            e.1 += t.charges;
            e.2 += t.net_pnl;
        }
        let mut s = SegmentSummary::default();
        let (mut cum, mut peak) = (Decimal::ZERO, Decimal::ZERO);
        for (gross, charges, net) in keys.iter().map(|k| sums[k]) {
            s.trades += 1;
            if net > Decimal::ZERO {
                s.wins += 1;
            } else {
                s.losses += 1;
            }
            s.gross_pnl += gross;
            s.charges += charges;
            s.net_pnl += net;
            cum += net;
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
