//! Two journals of the same dates side by side (seed 004 §9: the backtest against the paper
//! session of the same period). Per day, trades are matched per segment in entry order: the
//! earliest unmatched trades of each side pair up when they are of the same option type (CE/PE)
//! and their entry times are within the match window ([`DEFAULT_WINDOW`]); otherwise the
//! earlier one is unmatched. For each pair: the entry delay, the entry and exit premium
//! differences and the net P&L difference (b − a). A day present on one side only lists all its
//! trades as unmatched.

use crate::ReportError;
use crate::load::{DayJournal, load_days};
use chrono::{Duration, NaiveDate};
use domain::{Decimal, Segment, Trade};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Largest entry-time difference for two trades to be the same trade: 10 minutes (two 5-minute
/// candles: a paper session may see a signal one candle later than the replay).
pub const DEFAULT_WINDOW: Duration = Duration::minutes(10);

/// Two trades taken as the same trade.
#[derive(Debug, Clone, PartialEq)]
pub struct TradePair {
    /// Side a's trade.
    pub a: Trade,
    /// Side b's trade.
    pub b: Trade,
}

impl TradePair {
    /// b's entry time − a's, seconds.
    pub fn entry_delay_secs(&self) -> i64 {
        (self.b.entry_time - self.a.entry_time).num_seconds()
    }
    /// b's average entry premium − a's, ₹/unit.
    pub fn entry_price_diff(&self) -> Decimal {
        self.b.entry_price - self.a.entry_price
    }
    /// b's exit premium − a's, ₹/unit.
    pub fn exit_price_diff(&self) -> Decimal {
        self.b.exit_price - self.a.exit_price
    }
    /// b's net P&L − a's, ₹.
    pub fn net_pnl_diff(&self) -> Decimal {
        self.b.net_pnl - self.a.net_pnl
    }
}

/// One date of a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DayComparison {
    /// Trading date.
    pub date: Option<NaiveDate>,
    /// Whether side a / side b journaled this date at all.
    pub present: (bool, bool),
    /// Matched trades, in a's entry order.
    pub matched: Vec<TradePair>,
    /// a's trades without a match.
    pub only_a: Vec<Trade>,
    /// b's trades without a match.
    pub only_b: Vec<Trade>,
}

impl DayComparison {
    /// Net P&L of side a and side b for the day, ₹.
    pub fn net(&self) -> (Decimal, Decimal) {
        let a = self.matched.iter().map(|p| p.a.net_pnl).sum::<Decimal>()
            + self.only_a.iter().map(|t| t.net_pnl).sum::<Decimal>();
        let b = self.matched.iter().map(|p| p.b.net_pnl).sum::<Decimal>()
            + self.only_b.iter().map(|t| t.net_pnl).sum::<Decimal>();
        (a, b)
    }
}

/// Journals a and b compared day by day.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Label of side a (e.g. `/tmp/r replay`).
    pub a_label: String,
    /// Label of side b.
    pub b_label: String,
    /// Every date of either side, in order.
    pub days: Vec<DayComparison>,
}

impl Comparison {
    /// Total net P&L of a and b, ₹.
    pub fn net(&self) -> (Decimal, Decimal) {
        self.days
            .iter()
            .fold((Decimal::ZERO, Decimal::ZERO), |acc, d| {
                let (a, b) = d.net();
                (acc.0 + a, acc.1 + b)
            })
    }
    /// Matched pairs, a's unmatched, b's unmatched.
    pub fn counts(&self) -> (usize, usize, usize) {
        self.days.iter().fold((0, 0, 0), |c, d| {
            (
                c.0 + d.matched.len(),
                c.1 + d.only_a.len(),
                c.2 + d.only_b.len(),
            )
        })
    }
}

/// Match one day's trades (see the module docs), window `window`.
pub fn match_trades(
    a: &[Trade],
    b: &[Trade],
    window: Duration,
) -> (Vec<TradePair>, Vec<Trade>, Vec<Trade>) {
    let mut by_seg: BTreeMap<Segment, (Vec<&Trade>, Vec<&Trade>)> = BTreeMap::new();
    for t in a {
        by_seg.entry(t.segment).or_default().0.push(t);
    }
    for t in b {
        by_seg.entry(t.segment).or_default().1.push(t);
    }
    let (mut pairs, mut only_a, mut only_b) = (Vec::new(), Vec::new(), Vec::new());
    for (_, (mut sa, mut sb)) in by_seg {
        sa.sort_by_key(|t| t.entry_time);
        sb.sort_by_key(|t| t.entry_time);
        let (mut i, mut j) = (0, 0);
        while i < sa.len() && j < sb.len() {
            let (ta, tb) = (sa[i], sb[j]);
            let gap = tb.entry_time - ta.entry_time;
            if gap.abs() <= window && ta.option_type == tb.option_type {
                pairs.push(TradePair {
                    a: ta.clone(),
                    b: tb.clone(),
                });
                i += 1;
                j += 1;
            } else if ta.entry_time <= tb.entry_time {
                only_a.push(ta.clone());
                i += 1;
            } else {
                only_b.push(tb.clone());
                j += 1;
            }
        }
        only_a.extend(sa[i..].iter().map(|t| (*t).clone()));
        only_b.extend(sb[j..].iter().map(|t| (*t).clone()));
    }
    pairs.sort_by_key(|p| p.a.entry_time);
    only_a.sort_by_key(|t| t.entry_time);
    only_b.sort_by_key(|t| t.entry_time);
    (pairs, only_a, only_b)
}

/// Compare loaded journals (window [`DEFAULT_WINDOW`]).
pub fn compare_days(
    a_label: &str,
    a: &[DayJournal],
    b_label: &str,
    b: &[DayJournal],
) -> Comparison {
    let mut dates: BTreeMap<NaiveDate, (Option<&DayJournal>, Option<&DayJournal>)> =
        BTreeMap::new();
    for d in a {
        dates.entry(d.date).or_default().0 = Some(d);
    }
    for d in b {
        dates.entry(d.date).or_default().1 = Some(d);
    }
    let days = dates
        .into_iter()
        .map(|(date, (da, db))| {
            let ta = da.map(|d| d.trades.as_slice()).unwrap_or(&[]);
            let tb = db.map(|d| d.trades.as_slice()).unwrap_or(&[]);
            let (matched, only_a, only_b) = match_trades(ta, tb, DEFAULT_WINDOW);
            DayComparison {
                date: Some(date),
                present: (da.is_some(), db.is_some()),
                matched,
                only_a,
                only_b,
            }
        })
        .collect();
    Comparison {
        a_label: a_label.to_string(),
        b_label: b_label.to_string(),
        days,
    }
}

/// Load `<a_root>/<a_mode>/` and `<b_root>/<b_mode>/` ([`load_days`]) and compare them.
///
/// Errors: as [`load_days`], for either side.
pub fn compare(
    a_root: &Path,
    a_mode: &str,
    b_root: &Path,
    b_mode: &str,
) -> Result<Comparison, ReportError> {
    let a = load_days(a_root, a_mode)?;
    let b = load_days(b_root, b_mode)?;
    Ok(compare_days(
        &format!("{} {a_mode}", a_root.display()),
        &a,
        &format!("{} {b_mode}", b_root.display()),
        &b,
    ))
}

fn hms(t: &Trade) -> String {
    t.entry_time.format("%H:%M:%S").to_string()
}

/// Plain text: one line per matched pair (segment, entries, prices a→b, differences), one per
/// unmatched trade, a day line with both nets, and the totals.
impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "a = {}", self.a_label)?;
        writeln!(f, "b = {}", self.b_label)?;
        writeln!(
            f,
            "{:<10} {:<9} {:<4} {:>8} {:>8} {:>6} {:>9} {:>9} {:>8} {:>9} {:>9} {:>8} {:>10} {:>10} {:>9}",
            "date",
            "segment",
            "type",
            "entry a",
            "entry b",
            "Δs",
            "entry₹ a",
            "entry₹ b",
            "Δ",
            "exit₹ a",
            "exit₹ b",
            "Δ",
            "net₹ a",
            "net₹ b",
            "Δnet"
        )?;
        for d in &self.days {
            let date = d.date.map(|d| d.to_string()).unwrap_or_default();
            for p in &d.matched {
                writeln!(
                    f,
                    "{:<10} {:<9} {:<4} {:>8} {:>8} {:>6} {:>9} {:>9} {:>8} {:>9} {:>9} {:>8} {:>10} {:>10} {:>9}",
                    date,
                    p.a.segment.code(),
                    p.a.option_type,
                    hms(&p.a),
                    hms(&p.b),
                    p.entry_delay_secs(),
                    p.a.entry_price.round_dp(2),
                    p.b.entry_price.round_dp(2),
                    p.entry_price_diff().round_dp(2),
                    p.a.exit_price.round_dp(2),
                    p.b.exit_price.round_dp(2),
                    p.exit_price_diff().round_dp(2),
                    p.a.net_pnl.round_dp(2),
                    p.b.net_pnl.round_dp(2),
                    p.net_pnl_diff().round_dp(2),
                )?;
            }
            for (side, list) in [("a", &d.only_a), ("b", &d.only_b)] {
                for t in list {
                    writeln!(
                        f,
                        "{:<10} {:<9} {:<4} only in {side}: {} entry {} ₹{} exit ₹{} {} net ₹{}",
                        date,
                        t.segment.code(),
                        t.option_type,
                        t.trade_id,
                        hms(t),
                        t.entry_price.round_dp(2),
                        t.exit_price.round_dp(2),
                        t.exit_reason.code(),
                        t.net_pnl.round_dp(2),
                    )?;
                }
            }
            let (na, nb) = d.net();
            let missing = match d.present {
                (true, false) => " (no journal in b)",
                (false, true) => " (no journal in a)",
                _ => "",
            };
            writeln!(
                f,
                "{date:<10} day: net a ₹{} b ₹{} Δ ₹{}{missing}",
                na.round_dp(2),
                nb.round_dp(2),
                (nb - na).round_dp(2)
            )?;
        }
        let (m, oa, ob) = self.counts();
        let (na, nb) = self.net();
        writeln!(
            f,
            "total: {m} matched, {oa} only in a, {ob} only in b; net a ₹{} b ₹{} Δ ₹{}",
            na.round_dp(2),
            nb.round_dp(2),
            (nb - na).round_dp(2)
        )
    }
}

/// The comparison as an HTML page (same self-contained page shell as `report.html`): a day
/// table with both nets and counts, then one table of matched pairs and one of unmatched
/// trades.
pub fn render_compare_html(c: &Comparison) -> String {
    use crate::svg::escape;
    use std::fmt::Write as _;
    let r = |v: Decimal| format!("{:.2}", v.round_dp(2));
    let mut o = crate::html::head("Compare");
    let (m, oa, ob) = c.counts();
    let (na, nb) = c.net();
    let _ = write!(
        o,
        "<h1>Compare</h1><p>a = <code>{}</code><br>b = <code>{}</code></p>\
<p id=\"compare-totals\">{m} matched, {oa} only in a, {ob} only in b; net a ₹{} b ₹{} (b − a ₹{}).</p>\
<h2>Days</h2><table id=\"compare-days\"><tr><th class=\"l\">Date</th><th>Matched</th><th>Only a</th><th>Only b</th><th>Net a ₹</th><th>Net b ₹</th><th>b − a ₹</th></tr>",
        escape(&c.a_label),
        escape(&c.b_label),
        r(na),
        r(nb),
        r(nb - na)
    );
    for d in &c.days {
        let (da, db) = d.net();
        let _ = write!(
            o,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            d.date.map(|d| d.to_string()).unwrap_or_default(),
            d.matched.len(),
            d.only_a.len(),
            d.only_b.len(),
            r(da),
            r(db),
            r(db - da)
        );
    }
    o.push_str("</table><h2>Matched trades</h2><table id=\"compare-matched\"><tr><th class=\"l\">Segment</th><th class=\"l\">Type</th><th>Entry a (IST)</th><th>Entry b</th><th>Δ s</th><th>Entry ₹ a</th><th>Entry ₹ b</th><th>Exit ₹ a</th><th>Exit ₹ b</th><th>Net ₹ a</th><th>Net ₹ b</th><th>Δ net ₹</th></tr>");
    for p in c.days.iter().flat_map(|d| &d.matched) {
        let _ = write!(
            o,
            "<tr class=\"pair\"><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.a.segment.code(),
            p.a.option_type,
            p.a.entry_time.format("%Y-%m-%d %H:%M:%S"),
            hms(&p.b),
            p.entry_delay_secs(),
            r(p.a.entry_price),
            r(p.b.entry_price),
            r(p.a.exit_price),
            r(p.b.exit_price),
            r(p.a.net_pnl),
            r(p.b.net_pnl),
            r(p.net_pnl_diff())
        );
    }
    o.push_str("</table><h2>Unmatched trades</h2><table id=\"compare-unmatched\"><tr><th class=\"l\">Side</th><th class=\"l\">Trade</th><th class=\"l\">Segment</th><th>Entry (IST)</th><th>Entry ₹</th><th>Exit ₹</th><th class=\"l\">Reason</th><th>Net ₹</th></tr>");
    for d in &c.days {
        for (side, list) in [("a", &d.only_a), ("b", &d.only_b)] {
            for t in list {
                let _ = write!(
                    o,
                    "<tr class=\"unmatched\"><td class=\"l\">{side}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td></tr>",
                    escape(&t.trade_id),
                    t.segment.code(),
                    t.entry_time.format("%Y-%m-%d %H:%M:%S"),
                    r(t.entry_price),
                    r(t.exit_price),
                    t.exit_reason.code(),
                    r(t.net_pnl)
                );
            }
        }
    }
    o.push_str("</table></body></html>\n");
    o
}

/// Write [`render_compare_html`] of `c` to `out` (parent directories are created).
///
/// Errors: [`ReportError::Io`] naming `out`.
pub fn write_compare_html(c: &Comparison, out: &Path) -> Result<(), ReportError> {
    crate::html::write_file(out, &render_compare_html(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tests::trade;
    use domain::OptionType;
    use rust_decimal_macros::dec;

    #[test]
    fn trades_match_per_segment_in_entry_order_within_the_window() {
        let n = Segment::Nifty;
        let bn = Segment::BankNifty;
        let a = vec![
            trade(n, (9, 20), (9, 40), dec!(100)),
            trade(n, (10, 0), (10, 30), dec!(-50)),
            trade(bn, (11, 0), (11, 30), dec!(10)),
            trade(n, (13, 0), (13, 30), dec!(5)),
        ];
        let mut late = trade(n, (9, 25), (9, 45), dec!(80));
        late.entry_price = dec!(101.5);
        let mut pe = trade(n, (13, 0), (13, 20), dec!(7));
        pe.option_type = OptionType::PE;
        let b = vec![
            late,
            // 10:00 in a has no partner: b's next NIFTY trade is 10:45 (outside 10 minutes).
            trade(n, (10, 45), (11, 0), dec!(1)),
            trade(bn, (11, 5), (11, 30), dec!(12)),
            pe,
        ];
        let (pairs, only_a, only_b) = match_trades(&a, &b, DEFAULT_WINDOW);
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].entry_delay_secs(), 300);
        assert_eq!(pairs[0].entry_price_diff(), dec!(1.5));
        assert_eq!(pairs[0].net_pnl_diff(), dec!(-20));
        assert_eq!(pairs[1].a.segment, bn);
        let ids = |v: &[Trade]| v.iter().map(hms).collect::<Vec<_>>();
        assert_eq!(ids(&only_a), ["10:00:00", "13:00:00"]);
        assert_eq!(ids(&only_b), ["10:45:00", "13:00:00"]);
    }

    #[test]
    fn a_journal_against_itself_matches_everything_and_a_missing_day_is_unmatched() {
        let n = Segment::Nifty;
        let d3 = DayJournal {
            date: NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            dir: "a".into(),
            trades: vec![
                trade(n, (9, 20), (9, 40), dec!(100)),
                trade(n, (9, 45), (10, 30), dec!(-50)),
            ],
            fills: vec![],
            summary: None,
        };
        let mut d4 = d3.clone();
        d4.date = NaiveDate::from_ymd_opt(2024, 6, 4).unwrap();
        let c = compare_days("A", &[d3.clone(), d4], "B", &[d3]);
        assert_eq!(c.counts(), (2, 2, 0));
        assert_eq!(c.days[0].matched[0].net_pnl_diff(), dec!(0));
        assert_eq!(c.net(), (dec!(100), dec!(50)));
        let text = c.to_string();
        assert!(
            text.contains("2024-06-04 day: net a ₹50 b ₹0 Δ ₹-50 (no journal in b)"),
            "{text}"
        );
        assert!(text.contains("only in a"), "{text}");
        assert!(
            text.contains("total: 2 matched, 2 only in a, 0 only in b"),
            "{text}"
        );
    }
}
