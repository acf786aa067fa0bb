//! The text a replay prints: the trades of a single day, and the per-day summary table with
//! the range total, per-segment totals and the skipped days. Built from [`DayRecord`]s in date
//! order, so a parallel run, a sequential run and a shard merge print the same bytes.

use crate::record::{DayOutcome, DayRecord};
use domain::{Decimal, Segment, Trade};
use journal::SegmentSummary;
use std::fmt::Write as _;
use std::path::Path;

/// The summary table of `days` (date order). `single`: one `--date` run (no per-segment rows,
/// skipped-day lines or journals line). `out`: the journal root named in the last line.
pub fn summary(
    o: &mut String,
    days: &[DayRecord<Trade>],
    segments: &[Segment],
    out: &Path,
    single: bool,
) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<12} {:>6} {:>5} {:>8} {:>13} {:>11} {:>13} {:>11}",
        "date", "trades", "wins", "win%", "gross ₹", "charges ₹", "net ₹", "max DD ₹"
    );
    let mut traded = 0usize;
    for d in days {
        if let DayOutcome::Traded { summary, .. } = &d.outcome {
            print_row(o, &d.date.to_string(), summary);
            traded += 1;
        }
    }
    let all: Vec<&Trade> = days.iter().flat_map(|d| d.trades()).collect();
    let total = SegmentSummary::from_trades(all.iter().copied());
    let _ = writeln!(o, "{}", "-".repeat(86));
    print_row(o, &format!("TOTAL {traded}d"), &total);
    if single {
        return;
    }
    for seg in segments {
        let s = SegmentSummary::from_trades(all.iter().copied().filter(|t| t.segment == *seg));
        print_row(o, &format!("  {seg}"), &s);
    }
    let non_trading = days
        .iter()
        .filter(|d| d.outcome == DayOutcome::NonTrading)
        .count();
    if non_trading > 0 {
        let _ = writeln!(o, "{non_trading} non-trading days in the range skipped");
    }
    let no_data: Vec<String> = days
        .iter()
        .filter(|d| d.outcome == DayOutcome::NoData)
        .map(|d| d.date.to_string())
        .collect();
    if !no_data.is_empty() {
        let _ = writeln!(
            o,
            "{} trading days without data skipped: {}",
            no_data.len(),
            no_data.join(", ")
        );
    }
    let _ = writeln!(o, "journals: {}/replay/<date>/", out.display());
}

fn print_row(o: &mut String, label: &str, s: &SegmentSummary) {
    let _ = writeln!(
        o,
        "{:<12} {:>6} {:>5} {:>8} {:>13} {:>11} {:>13} {:>11}",
        label, s.trades, s.wins, s.win_rate_pct, s.gross_pnl, s.charges, s.net_pnl, s.max_drawdown
    );
}

/// The trade table of a single day, with its net total.
pub fn trades(o: &mut String, trades: &[Trade]) {
    if trades.is_empty() {
        let _ = writeln!(o, "no trades");
        return;
    }
    let _ = writeln!(
        o,
        "{:<10} {:<7} {:<20} {:>5} {:<8} {:>10} {:<8} {:>10} {:<4} {:>8} {:>8} {:>10}",
        "segment",
        "signal",
        "option",
        "qty",
        "entry",
        "index",
        "exit",
        "index",
        "why",
        "prem in",
        "prem out",
        "net ₹"
    );
    for t in trades {
        let _ = writeln!(
            o,
            "{:<10} {:<7} {:<20} {:>5} {:<8} {:>10} {:<8} {:>10} {:<4} {:>8} {:>8} {:>10}",
            t.segment.code(),
            // CE/PE for an option bought; LONG/SHORT for a future or share traded itself.
            t.direction().trim_start_matches("BUY_"),
            t.option_symbol,
            t.quantity,
            t.entry_time.format("%H:%M:%S"),
            t.index_entry_spot,
            t.exit_time.format("%H:%M:%S"),
            t.index_exit_spot,
            t.exit_reason.code(),
            t.entry_price,
            t.exit_price,
            t.net_pnl
        );
    }
    let net: Decimal = trades.iter().map(|t| t.net_pnl).sum();
    // A hedged short's two leg rows are one trade.
    let n = trades.iter().filter(|t| !t.is_hedge_row()).count();
    let _ = writeln!(o, "{n} trades, net ₹{net}");
}
