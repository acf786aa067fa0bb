//! The statistics of one sweep parameter set over a date range (a `results.csv` row, issue 13).
//!
//! - `trades`, `win_rate` (wins / trades, a fraction 0..1, 4 decimals; a win is net P&L > 0,
//!   as in the journal's `summary.json`), `gross_pnl`, `charges`, `net_pnl` (₹, decimal text).
//! - `max_drawdown`: the largest fall of cumulative net P&L over the trades in exit order,
//!   from 0 (₹), as the replay's TOTAL row.
//! - `worst_day`: the lowest daily net P&L over the days that ran (₹; empty with none).
//! - `profit_factor`: Σ net P&L of winning trades / |Σ net P&L of losing trades|, 4 decimals;
//!   empty when there is no loss.
//! - `sharpe`: mean / sample standard deviation of the daily net P&L of the days that ran
//!   (a day without trades counts 0) × √252, 4 decimals; empty with fewer than two days or
//!   no variation. A ratio, so computed in f64; the money columns stay `Decimal`.

use crate::record::{DayOutcome, DayRecord, TradeLite};
use domain::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One set's figures; `None` is an empty cell.
#[derive(Debug, Clone, PartialEq)]
pub struct SetStats {
    /// Completed trades.
    pub trades: usize,
    /// Winning trades.
    pub wins: usize,
    /// Gross P&L, ₹.
    pub gross_pnl: Decimal,
    /// Charges, ₹.
    pub charges: Decimal,
    /// Net P&L, ₹.
    pub net_pnl: Decimal,
    /// Max drawdown of cumulative net P&L, ₹ (≥ 0).
    pub max_drawdown: Decimal,
    /// Lowest daily net P&L, ₹.
    pub worst_day: Option<Decimal>,
    /// Gross wins / |gross losses| (net of charges per trade).
    pub profit_factor: Option<Decimal>,
    /// Annualised daily Sharpe ratio.
    pub sharpe: Option<f64>,
}

impl SetStats {
    /// The figures of `days` (date order).
    pub fn of(days: &[DayRecord<TradeLite>]) -> Self {
        let mut all: Vec<&TradeLite> = days.iter().flat_map(|d| d.trades()).collect();
        // Stable, like `SegmentSummary::from_trades`: equal exit times keep booking order.
        all.sort_by_key(|t| t.exit_time);
        let (mut cum, mut peak, mut dd) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let (mut won, mut lost) = (Decimal::ZERO, Decimal::ZERO);
        let mut s = SetStats {
            trades: all.len(),
            wins: 0,
            gross_pnl: Decimal::ZERO,
            charges: Decimal::ZERO,
            net_pnl: Decimal::ZERO,
            max_drawdown: Decimal::ZERO,
            worst_day: None,
            profit_factor: None,
            sharpe: None,
        };
        for t in &all {
            s.gross_pnl += t.pnl_value;
            s.charges += t.charges;
            s.net_pnl += t.net_pnl;
            if t.net_pnl > Decimal::ZERO {
                s.wins += 1;
                won += t.net_pnl;
            } else {
                lost += t.net_pnl;
            }
            cum += t.net_pnl;
            peak = peak.max(cum);
            dd = dd.max(peak - cum);
        }
        s.max_drawdown = dd;
        if lost < Decimal::ZERO {
            s.profit_factor = Some((won / lost.abs()).round_dp(4));
        }
        let daily: Vec<Decimal> = days
            .iter()
            .filter(|d| matches!(d.outcome, DayOutcome::Traded { .. }))
            .map(|d| d.trades().iter().map(|t| t.net_pnl).sum())
            .collect();
        s.worst_day = daily.iter().min().copied();
        s.sharpe = sharpe(&daily);
        s
    }

    /// `wins / trades`, 4 decimals (0 with no trades).
    pub fn win_rate(&self) -> Decimal {
        if self.trades == 0 {
            return Decimal::ZERO;
        }
        (Decimal::from(self.wins) / Decimal::from(self.trades)).round_dp(4)
    }

    /// The row's cells after the parameter columns, in `results.csv` order.
    pub fn cells(&self) -> Vec<String> {
        let opt = |d: Option<Decimal>| d.map(|d| format!("{d:.4}")).unwrap_or_default();
        vec![
            self.trades.to_string(),
            format!("{:.4}", self.win_rate()),
            self.gross_pnl.to_string(),
            self.net_pnl.to_string(),
            self.charges.to_string(),
            self.max_drawdown.to_string(),
            self.worst_day.map(|d| d.to_string()).unwrap_or_default(),
            opt(self.profit_factor),
            self.sharpe.map(|x| format!("{x:.4}")).unwrap_or_default(),
        ]
    }
}

/// The column names of [`SetStats::cells`].
pub const COLUMNS: [&str; 9] = [
    "trades",
    "win_rate",
    "gross_pnl",
    "net_pnl",
    "charges",
    "max_drawdown",
    "worst_day",
    "profit_factor",
    "sharpe",
];

fn sharpe(daily: &[Decimal]) -> Option<f64> {
    if daily.len() < 2 {
        return None;
    }
    let xs: Vec<f64> = daily
        .iter()
        .map(|d| d.to_f64().unwrap_or(f64::NAN))
        .collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    (sd > 0.0 && sd.is_finite()).then(|| mean / sd * 252f64.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use domain::Segment;
    use domain::time::ist_hms;
    use rust_decimal::Decimal;

    fn day(d: u32, nets: &[i64]) -> DayRecord<TradeLite> {
        let date = NaiveDate::from_ymd_opt(2024, 6, d).unwrap();
        let trades = nets
            .iter()
            .enumerate()
            .map(|(i, n)| TradeLite {
                segment: Segment::Nifty,
                exit_time: ist_hms(date, 10, i as u32, 0),
                pnl_value: Decimal::from(*n + 10),
                charges: Decimal::from(10),
                net_pnl: Decimal::from(*n),
            })
            .collect();
        DayRecord {
            date,
            outcome: DayOutcome::Traded {
                summary: Default::default(),
                trades,
            },
        }
    }

    #[test]
    fn figures_of_two_days() {
        let s = SetStats::of(&[day(3, &[100, -50, -70]), day(4, &[40])]);
        assert_eq!((s.trades, s.wins), (4, 2));
        assert_eq!(s.net_pnl, Decimal::from(20));
        assert_eq!(s.gross_pnl, Decimal::from(60));
        assert_eq!(s.max_drawdown, Decimal::from(120));
        assert_eq!(s.worst_day, Some(Decimal::from(-20)));
        // 140 / 120
        assert_eq!(s.profit_factor, Some(Decimal::new(11667, 4)));
        // daily -20, 40: mean 10, sd √1800
        let want = 10.0 / 1800f64.sqrt() * 252f64.sqrt();
        assert!((s.sharpe.unwrap() - want).abs() < 1e-12);
        assert_eq!(s.cells()[1], "0.5000");
    }

    #[test]
    fn no_loss_and_one_day_leave_cells_empty() {
        let s = SetStats::of(&[day(3, &[5])]);
        assert_eq!(s.profit_factor, None);
        assert_eq!(s.sharpe, None);
        let c = s.cells();
        assert_eq!((c[7].as_str(), c[8].as_str()), ("", ""));
    }
}
