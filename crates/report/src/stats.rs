//! The numbers behind the report's charts, in ₹ ([`Decimal`]) and IST: equity curve and
//! drawdown, daily P&L, P&L by hour of entry and by exit reason, the `MARKET`/`MODEL` premium
//! share and the totals. Conventions follow `summary.json` ([`journal::SegmentSummary`]):
//! trades in exit-time order, equity is cumulative net P&L starting at 0, drawdown is the fall
//! from the running peak (the peak starts at 0), a win is net P&L > 0.

use crate::load::DayJournal;
use chrono::{NaiveDate, Timelike};
use domain::time::IstDateTime;
use domain::{Decimal, Segment, Trade};
use std::collections::BTreeMap;

/// One point of an equity curve: after the trade that closed at `time`.
#[derive(Debug, Clone, PartialEq)]
pub struct EquityPoint {
    /// Exit time of the trade, IST.
    pub time: IstDateTime,
    /// Cumulative net P&L after the trade, ₹.
    pub equity: Decimal,
    /// Running peak of `equity` (≥ 0) minus `equity`, ₹, ≥ 0.
    pub drawdown: Decimal,
}

/// The equity curve of `trades` (any order in; sorted by exit time, ties keep input order).
pub fn equity_curve<'a>(trades: impl IntoIterator<Item = &'a Trade>) -> Vec<EquityPoint> {
    let mut v: Vec<&Trade> = trades.into_iter().collect();
    v.sort_by_key(|t| t.exit_time);
    let (mut cum, mut peak) = (Decimal::ZERO, Decimal::ZERO);
    v.into_iter()
        .map(|t| {
            cum += t.net_pnl;
            peak = peak.max(cum);
            EquityPoint {
                time: t.exit_time,
                equity: cum,
                drawdown: peak - cum,
            }
        })
        .collect()
}

/// Largest drawdown of a curve, ₹ (0 for an empty curve).
pub fn max_drawdown(curve: &[EquityPoint]) -> Decimal {
    curve
        .iter()
        .map(|p| p.drawdown)
        .max()
        .unwrap_or(Decimal::ZERO)
}

/// Net P&L per day, ₹, in date order (days without trades are 0).
pub fn daily_pnl(days: &[DayJournal]) -> Vec<(NaiveDate, Decimal)> {
    days.iter()
        .map(|d| (d.date, d.trades.iter().map(|t| t.net_pnl).sum()))
        .collect()
}

/// Trades and net P&L of a group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bucket {
    /// Trades in the group.
    pub trades: u32,
    /// Trades with net P&L > 0.
    pub wins: u32,
    /// Net P&L, ₹.
    pub net_pnl: Decimal,
}

impl Bucket {
    fn add(&mut self, t: &Trade) {
        self.trades += 1;
        if t.net_pnl > Decimal::ZERO {
            self.wins += 1;
        }
        self.net_pnl += t.net_pnl;
    }
}

/// Trades grouped by the IST hour of their entry (9 = 09:00–09:59), hours in order.
pub fn by_entry_hour<'a>(trades: impl IntoIterator<Item = &'a Trade>) -> BTreeMap<u32, Bucket> {
    let mut m: BTreeMap<u32, Bucket> = BTreeMap::new();
    for t in trades {
        m.entry(t.entry_time.hour()).or_default().add(t);
    }
    m
}

/// Trades grouped by exit reason (journal spelling: `SL`, `TSL`, `EOD`, ...), by name.
pub fn by_exit_reason<'a>(
    trades: impl IntoIterator<Item = &'a Trade>,
) -> BTreeMap<&'static str, Bucket> {
    let mut m: BTreeMap<&'static str, Bucket> = BTreeMap::new();
    for t in trades {
        m.entry(t.exit_reason.code()).or_default().add(t);
    }
    m
}

/// Where the premiums came from. A trade is `MARKET` when every one of its fills had a real
/// traded price (`trades.csv` `premium_source`); a fill is `MARKET` or `MODEL`
/// (`fills.csv` `premium_source`: the paper broker's model priced it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PremiumShare {
    /// Trades priced from the market only.
    pub trades_market: u32,
    /// Trades with at least one model-priced fill.
    pub trades_model: u32,
    /// Fills at a market premium.
    pub fills_market: u32,
    /// Fills at a model premium.
    pub fills_model: u32,
}

impl PremiumShare {
    /// Count the trades and fills of `days`.
    pub fn of(days: &[DayJournal]) -> Self {
        let mut s = PremiumShare::default();
        for d in days {
            for t in &d.trades {
                match t.premium_source {
                    domain::PremiumSource::Market => s.trades_market += 1,
                    domain::PremiumSource::Model => s.trades_model += 1,
                }
            }
            for f in &d.fills {
                if f.premium_source == "MARKET" {
                    s.fills_market += 1;
                } else {
                    s.fills_model += 1;
                }
            }
        }
        s
    }

    /// Percentage of `part` in `part + other` (0 when both are 0), one decimal.
    pub fn pct(part: u32, other: u32) -> Decimal {
        let total = part + other;
        if total == 0 {
            return Decimal::ZERO;
        }
        (Decimal::from(part) * Decimal::from(100) / Decimal::from(total)).round_dp(1)
    }
}

/// Totals of a set of trades, ₹.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Trades.
    pub trades: u32,
    /// Trades with net P&L > 0.
    pub wins: u32,
    /// Gross P&L (`pnl_value`), ₹.
    pub gross_pnl: Decimal,
    /// Charges, ₹.
    pub charges: Decimal,
    /// Net P&L, ₹.
    pub net_pnl: Decimal,
    /// Max drawdown of the equity curve, ₹.
    pub max_drawdown: Decimal,
    /// Worst day's net P&L, ₹ (0 without days).
    pub worst_day: Decimal,
    /// Best day's net P&L, ₹ (0 without days).
    pub best_day: Decimal,
}

impl Totals {
    /// Totals of every trade of `days`.
    pub fn of(days: &[DayJournal]) -> Self {
        let trades: Vec<&Trade> = days.iter().flat_map(|d| &d.trades).collect();
        let daily = daily_pnl(days);
        let mut t = Totals {
            max_drawdown: max_drawdown(&equity_curve(trades.iter().copied())),
            worst_day: daily.iter().map(|d| d.1).min().unwrap_or_default(),
            best_day: daily.iter().map(|d| d.1).max().unwrap_or_default(),
            ..Totals::default()
        };
        for tr in trades {
            t.trades += 1;
            if tr.net_pnl > Decimal::ZERO {
                t.wins += 1;
            }
            t.gross_pnl += tr.pnl_value;
            t.charges += tr.charges;
            t.net_pnl += tr.net_pnl;
        }
        t
    }
}

/// The segments that traded in `days`, in order.
pub fn segments(days: &[DayJournal]) -> Vec<Segment> {
    let mut v: Vec<Segment> = days
        .iter()
        .flat_map(|d| d.trades.iter().map(|t| t.segment))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use domain::time::ist_hms;
    use domain::{ExitReason, OptionType, PremiumSource, Signal};
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// A trade of `seg` entered at `entry` (h, m) and closed at `exit` (h, m) on 2024-06-03
    /// with net P&L `net`.
    pub(crate) fn trade(seg: Segment, entry: (u32, u32), exit: (u32, u32), net: Decimal) -> Trade {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        Trade {
            trade_id: format!("{}-{}-{}", seg.code(), entry.0, entry.1),
            mode: "REPLAY".into(),
            segment: seg,
            index_symbol: seg.index_symbol().into(),
            index_entry_spot: dec!(22500),
            time_interval: "5m".into(),
            rsi_period: 14,
            signal_type: Signal::BuyCe,
            option_symbol: "NIFTY24JUN22500CE".into(),
            option_type: OptionType::CE,
            strike_price: dec!(22500),
            expiry: d,
            lots: 1,
            quantity: 25,
            entry_time: ist_hms(d, entry.0, entry.1, 0),
            entry_price: dec!(100),
            stop_loss_points: dec!(30),
            initial_sl_price: dec!(22470),
            trailing_stop_points: dec!(20),
            exit_time: ist_hms(d, exit.0, exit.1, 0),
            index_exit_spot: dec!(22520),
            exit_price: dec!(100) + net / dec!(25),
            exit_reason: ExitReason::TrailingStop,
            pnl_points: net / dec!(25),
            pnl_value: net + dec!(50),
            charges: dec!(50),
            net_pnl: net,
            return_pct: dec!(0),
            max_favorable_excursion: dec!(0),
            max_adverse_excursion: dec!(0),
            premium_source: PremiumSource::Market,
        }
    }

    #[test]
    fn drawdown_is_the_fall_from_the_running_peak_starting_at_zero() {
        let n = Segment::Nifty;
        let ts = [
            trade(n, (9, 20), (9, 40), dec!(100)),
            trade(n, (10, 0), (10, 30), dec!(-250)),
            trade(n, (11, 0), (11, 30), dec!(50)),
            trade(n, (12, 0), (12, 30), dec!(300)),
        ];
        let c = equity_curve(&ts);
        let eq: Vec<Decimal> = c.iter().map(|p| p.equity).collect();
        let dd: Vec<Decimal> = c.iter().map(|p| p.drawdown).collect();
        assert_eq!(eq, [dec!(100), dec!(-150), dec!(-100), dec!(200)]);
        assert_eq!(dd, [dec!(0), dec!(250), dec!(200), dec!(0)]);
        assert_eq!(max_drawdown(&c), dec!(250));
        // A first losing trade is a drawdown from 0.
        let c = equity_curve(&ts[1..2]);
        assert_eq!(max_drawdown(&c), dec!(250));
        // Exit order, not input order.
        let rev: Vec<Trade> = ts.iter().rev().cloned().collect();
        assert_eq!(equity_curve(&rev), equity_curve(&ts));
    }

    #[test]
    fn hour_buckets_use_the_ist_entry_hour() {
        let n = Segment::Nifty;
        let ts = [
            trade(n, (9, 15), (10, 5), dec!(10)),
            trade(n, (9, 59), (10, 10), dec!(-4)),
            trade(n, (10, 0), (10, 20), dec!(7)),
            trade(n, (14, 45), (15, 15), dec!(1)),
        ];
        let m = by_entry_hour(&ts);
        let got: Vec<(u32, u32, u32, Decimal)> = m
            .iter()
            .map(|(h, b)| (*h, b.trades, b.wins, b.net_pnl))
            .collect();
        assert_eq!(
            got,
            [(9, 2, 1, dec!(6)), (10, 1, 1, dec!(7)), (14, 1, 1, dec!(1))]
        );
    }

    #[test]
    fn exit_reasons_group_by_journal_code() {
        let n = Segment::Nifty;
        let mut a = trade(n, (9, 20), (9, 40), dec!(5));
        a.exit_reason = ExitReason::StopLoss;
        let b = trade(n, (10, 0), (10, 30), dec!(-3));
        let m = by_exit_reason([&a, &b, &a]);
        assert_eq!(m["SL"].trades, 2);
        assert_eq!(m["SL"].net_pnl, dec!(10));
        assert_eq!(m["TSL"].net_pnl, dec!(-3));
    }

    #[test]
    fn percentages_of_the_premium_share() {
        assert_eq!(PremiumShare::pct(1, 3), dec!(25.0));
        assert_eq!(PremiumShare::pct(0, 0), dec!(0));
        assert_eq!(PremiumShare::pct(2, 1), dec!(66.7));
    }

    proptest! {
        /// Drawdown is never negative, is 0 at every new high, and equity − (−drawdown) is the
        /// running peak.
        #[test]
        fn drawdown_invariants(nets in proptest::collection::vec(-5000i64..5000, 0..60)) {
            let ts: Vec<Trade> = nets
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let m = i as u32;
                    trade(Segment::Nifty, (9 + m / 60, m % 60), (9 + m / 60, m % 60), Decimal::from(*n))
                })
                .collect();
            let c = equity_curve(&ts);
            let mut peak = Decimal::ZERO;
            for p in &c {
                prop_assert!(p.drawdown >= Decimal::ZERO);
                peak = peak.max(p.equity);
                prop_assert_eq!(p.equity + p.drawdown, peak);
            }
            let summary = journal::SegmentSummary::from_trades(&ts);
            prop_assert_eq!(max_drawdown(&c), summary.max_drawdown);
        }
    }
}
