//! `report.html`: one self-contained page from a [`ReportInput`]. Its sections, top to bottom:
//! totals, equity curve, drawdown, daily P&L, per-segment equity curves, P&L by hour of entry,
//! P&L by exit reason, `MARKET` vs `MODEL` premiums, the trade table, the configuration used.
//! Charts are inline SVG ([`crate::svg`]); the page has no script and its
//! Content-Security-Policy (`default-src 'none'`) forbids fetching anything.

use crate::ReportError;
use crate::load::DayJournal;
use crate::stats::{self, PremiumShare, Totals};
use crate::svg::{self, LineChart, PALETTE, Series, escape};
use domain::{Decimal, Trade};
use std::fmt::Write;
use std::path::Path;

/// What a report is drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    /// Page title, e.g. `Replay 2024-06-03 .. 2024-06-14`.
    pub title: String,
    /// The journal's mode directory (`replay`, `paper`, `live`).
    pub mode: String,
    /// The days, in date order ([`crate::load_days`]).
    pub days: Vec<DayJournal>,
    /// Where the configuration came from (a file path, or `built-in defaults`).
    pub config_source: String,
    /// The configuration's TOML text, shown as is.
    pub config_toml: String,
}

impl ReportInput {
    /// A report of `days` without a configuration (see [`ReportInput::with_config`]).
    pub fn new(title: impl Into<String>, mode: impl Into<String>, days: Vec<DayJournal>) -> Self {
        Self {
            title: title.into(),
            mode: mode.into(),
            days,
            config_source: String::new(),
            config_toml: String::new(),
        }
    }

    /// The configuration used: where it came from and its TOML text.
    pub fn with_config(mut self, source: impl Into<String>, toml: impl Into<String>) -> Self {
        self.config_source = source.into();
        self.config_toml = toml.into();
        self
    }
}

/// `v` as `f64` for plotting (the only place money leaves `Decimal`).
fn plot(v: Decimal) -> f64 {
    v.to_string().parse().unwrap_or(0.0)
}

/// ₹ amount with two decimals.
fn rupees(v: Decimal) -> String {
    format!("{:.2}", v.round_dp(2))
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1100px}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}\
svg.chart{width:100%;height:auto;background:#fcfcfc;border:1px solid #eee}\
.chart-title{font-size:13px;font-weight:600}.tick,.legend,.unit,.cell-value,.bar-label,.empty{font-size:11px;fill:#444}\
.bar-label{fill:#fff;font-weight:600}.grid{stroke:#e6e6e6}.zero{stroke:#999}.xtick{stroke:#999}\
table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}\
th{background:#f3f3f3}td.l,th.l{text-align:left}.neg{color:#c0392b}.pos{color:#2e8b57}\
.totals td{font-size:14px}pre{background:#f6f6f6;padding:10px;font-size:12px;overflow:auto}\
figcaption{font-size:12px;color:#666;margin:4px 0 0}";

/// The page's head: charset, the strict Content-Security-Policy, title and inline style.
pub(crate) fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>",
        escape(title)
    )
}

fn signed(v: Decimal) -> &'static str {
    if v < Decimal::ZERO { "neg" } else { "pos" }
}

fn totals_table(o: &mut String, t: &Totals, days: usize) {
    let win_rate = PremiumShare::pct(t.wins, t.trades - t.wins);
    let rows: [(&str, &str, String); 9] = [
        ("days", "Days", days.to_string()),
        ("trades", "Trades", t.trades.to_string()),
        ("win-rate", "Win rate, %", win_rate.to_string()),
        ("gross", "Gross P&L, ₹", rupees(t.gross_pnl)),
        ("charges", "Charges, ₹", rupees(t.charges)),
        ("net", "Net P&L, ₹", rupees(t.net_pnl)),
        ("max-dd", "Max drawdown, ₹", rupees(t.max_drawdown)),
        ("best-day", "Best day, ₹", rupees(t.best_day)),
        ("worst-day", "Worst day, ₹", rupees(t.worst_day)),
    ];
    o.push_str("<table class=\"totals\" id=\"totals\">");
    for (id, label, v) in rows {
        let _ = write!(
            o,
            "<tr><th class=\"l\">{}</th><td id=\"total-{id}\" data-value=\"{v}\">{v}</td></tr>",
            escape(label)
        );
    }
    o.push_str("</table>");
}

/// x labels at the first trade of each day, at most ~10 of them.
fn day_labels(trades: &[&Trade]) -> Vec<(f64, String)> {
    let mut firsts: Vec<(f64, String)> = Vec::new();
    let mut last = None;
    for (i, t) in trades.iter().enumerate() {
        let d = t.exit_time.date_naive();
        if last != Some(d) {
            firsts.push(((i + 1) as f64, d.format("%m-%d").to_string()));
            last = Some(d);
        }
    }
    let every = firsts.len().div_ceil(10).max(1);
    firsts.into_iter().step_by(every).collect()
}

fn figure(o: &mut String, svg: String, caption: &str) {
    let _ = write!(
        o,
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
}

fn bucket_table<K: std::fmt::Display>(
    o: &mut String,
    id: &str,
    key: &str,
    m: &std::collections::BTreeMap<K, stats::Bucket>,
) {
    let _ = write!(
        o,
        "<table id=\"{id}\"><tr><th class=\"l\">{key}</th><th>Trades</th><th>Wins</th><th>Net P&amp;L, ₹</th></tr>"
    );
    for (k, b) in m {
        let _ = write!(
            o,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&k.to_string()),
            b.trades,
            b.wins,
            signed(b.net_pnl),
            rupees(b.net_pnl)
        );
    }
    o.push_str("</table>");
}

fn trade_table(o: &mut String, trades: &[&Trade]) {
    o.push_str("<table id=\"trades-table\"><tr><th class=\"l\">Trade</th><th class=\"l\">Segment</th><th class=\"l\">Signal</th><th class=\"l\">Option</th><th>Lots</th><th>Qty</th><th>Entry (IST)</th><th>Entry ₹</th><th>Exit (IST)</th><th>Exit ₹</th><th class=\"l\">Reason</th><th>Gross ₹</th><th>Charges ₹</th><th>Net ₹</th><th class=\"l\">Premium</th></tr>");
    for t in trades {
        let _ = write!(
            o,
            "<tr class=\"trade\"><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"l\">{}</td></tr>",
            escape(&t.trade_id),
            t.segment.code(),
            t.signal_type.code(),
            escape(&t.option_symbol),
            t.lots,
            t.quantity,
            t.entry_time.format("%Y-%m-%d %H:%M:%S"),
            rupees(t.entry_price),
            t.exit_time.format("%H:%M:%S"),
            rupees(t.exit_price),
            t.exit_reason.code(),
            rupees(t.pnl_value),
            rupees(t.charges),
            signed(t.net_pnl),
            rupees(t.net_pnl),
            t.premium_source.code(),
        );
    }
    o.push_str("</table>");
}

/// The whole page as a string (see the module docs for its sections).
pub fn render_html(input: &ReportInput) -> String {
    let days = &input.days;
    let mut trades: Vec<&Trade> = days.iter().flat_map(|d| &d.trades).collect();
    trades.sort_by_key(|t| t.exit_time);
    let curve = stats::equity_curve(trades.iter().copied());
    let totals = Totals::of(days);
    let labels = day_labels(&trades);
    let mut o = head(&input.title);
    let range = match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!("{} .. {}", a.date, b.date),
        _ => "no days".to_string(),
    };
    let _ = write!(
        o,
        "<h1>{}</h1><p>Mode <b>{}</b>, {} day(s): {}. Amounts in ₹, times IST. Trades in exit order; equity is cumulative net P&amp;L (after charges) from 0.</p>",
        escape(&input.title),
        escape(&input.mode),
        days.len(),
        escape(&range)
    );
    o.push_str("<h2>Totals</h2>");
    totals_table(&mut o, &totals, days.len());

    o.push_str("<h2>Equity and drawdown</h2>");
    let pts = |f: &dyn Fn(&stats::EquityPoint) -> Decimal| -> Vec<(f64, f64)> {
        curve
            .iter()
            .enumerate()
            .map(|(i, p)| ((i + 1) as f64, plot(f(p))))
            .collect()
    };
    let equity = LineChart {
        id: "chart-equity".into(),
        title: "Equity curve (cumulative net P&L, ₹) by trade".into(),
        y_label: "₹".into(),
        series: vec![Series {
            name: "all segments".into(),
            color: PALETTE[0].into(),
            points: pts(&|p| p.equity),
        }],
        x_labels: labels.clone(),
        area: false,
    };
    figure(
        &mut o,
        svg::line_chart(&equity),
        "x: trade number, labelled with the date (MM-DD) of each day's first exit.",
    );
    let dd = LineChart {
        id: "chart-drawdown".into(),
        title: "Drawdown from the running peak, ₹".into(),
        series: vec![Series {
            name: "drawdown".into(),
            color: "#c0392b".into(),
            points: pts(&|p| -p.drawdown),
        }],
        area: true,
        ..equity.clone()
    };
    figure(
        &mut o,
        svg::line_chart(&dd),
        &format!("Max drawdown ₹{}.", rupees(totals.max_drawdown)),
    );

    o.push_str("<h2>Daily P&amp;L</h2>");
    let daily: Vec<(String, f64)> = stats::daily_pnl(days)
        .into_iter()
        .map(|(d, v)| (d.format("%m-%d").to_string(), plot(v)))
        .collect();
    figure(
        &mut o,
        svg::bar_chart("chart-daily", "Net P&L per day, ₹", "₹", &daily),
        "One bar per journaled day (days without trades are 0).",
    );

    o.push_str("<h2>Per-segment equity</h2>");
    let series: Vec<Series> = stats::segments(days)
        .into_iter()
        .enumerate()
        .map(|(k, seg)| {
            let mut cum = Decimal::ZERO;
            let points = trades
                .iter()
                .enumerate()
                .filter(|(_, t)| t.segment == seg)
                .map(|(i, t)| {
                    cum += t.net_pnl;
                    ((i + 1) as f64, plot(cum))
                })
                .collect();
            Series {
                name: seg.code().to_string(),
                color: PALETTE[k % PALETTE.len()].into(),
                points,
            }
        })
        .collect();
    let per_seg = LineChart {
        id: "chart-segments".into(),
        title: "Equity per segment, ₹".into(),
        series,
        ..equity.clone()
    };
    figure(
        &mut o,
        svg::line_chart(&per_seg),
        "Each segment's cumulative net P&L, on the same trade-number axis as the equity curve.",
    );

    o.push_str("<h2>P&amp;L by hour of entry</h2>");
    let hours = stats::by_entry_hour(trades.iter().copied());
    let bars: Vec<(String, f64)> = hours
        .iter()
        .map(|(h, b)| (format!("{h:02}:00"), plot(b.net_pnl)))
        .collect();
    figure(
        &mut o,
        svg::bar_chart("chart-hours", "Net P&L by IST hour of entry, ₹", "₹", &bars),
        "09:00 is entries from 09:00:00 to 09:59:59 IST.",
    );
    bucket_table(&mut o, "table-hours", "Hour (IST)", &hours);

    o.push_str("<h2>P&amp;L by exit reason</h2>");
    let reasons = stats::by_exit_reason(trades.iter().copied());
    let bars: Vec<(String, f64)> = reasons
        .iter()
        .map(|(r, b)| (r.to_string(), plot(b.net_pnl)))
        .collect();
    figure(
        &mut o,
        svg::bar_chart("chart-exits", "Net P&L by exit reason, ₹", "₹", &bars),
        "SL initial stop, TSL trailing stop, EOD square-off, SIGNAL strategy exit, MAX_HOLD, TARGET, RISK, MANUAL, BROKER_SL (spec §4.4).",
    );
    bucket_table(&mut o, "table-exits", "Exit reason", &reasons);

    o.push_str("<h2>Premium source: MARKET vs MODEL</h2>");
    let share = PremiumShare::of(days);
    let parts = |m: u32, n: u32| {
        vec![
            ("MARKET".to_string(), m, "#2e86c1".to_string()),
            ("MODEL".to_string(), n, "#e67e22".to_string()),
        ]
    };
    figure(
        &mut o,
        svg::share_bar(
            "chart-premium-fills",
            "Fills by premium source",
            &parts(share.fills_market, share.fills_model),
        ),
        "fills.csv premium_source: MARKET is a real traded premium, MODEL the paper broker's Black-76 price (no data for the contract).",
    );
    figure(
        &mut o,
        svg::share_bar(
            "chart-premium-trades",
            "Trades by premium source",
            &parts(share.trades_market, share.trades_model),
        ),
        "trades.csv premium_source: MARKET when every fill of the trade had a real price.",
    );
    let _ = write!(
        o,
        "<table id=\"premium-share\"><tr><th></th><th>MARKET</th><th>MODEL</th><th>MARKET, %</th></tr>\
<tr><th class=\"l\">Fills</th><td>{}</td><td>{}</td><td id=\"fills-market-pct\">{}</td></tr>\
<tr><th class=\"l\">Trades</th><td>{}</td><td>{}</td><td id=\"trades-market-pct\">{}</td></tr></table>",
        share.fills_market,
        share.fills_model,
        PremiumShare::pct(share.fills_market, share.fills_model),
        share.trades_market,
        share.trades_model,
        PremiumShare::pct(share.trades_market, share.trades_model),
    );

    let _ = write!(o, "<h2>Trades ({})</h2>", trades.len());
    trade_table(&mut o, &trades);

    o.push_str("<h2>Configuration</h2>");
    let source = if input.config_source.is_empty() {
        "not given"
    } else {
        &input.config_source
    };
    let _ = write!(
        o,
        "<p>Source: <code id=\"config-source\">{}</code></p><pre id=\"config\">{}</pre></body></html>",
        escape(source),
        escape(&input.config_toml)
    );
    o.push('\n');
    o
}

/// Write [`render_html`] of `input` to `out` (parent directories are created).
///
/// Errors: [`ReportError::Io`] naming `out`.
pub fn write_html(input: &ReportInput, out: &Path) -> Result<(), ReportError> {
    write_file(out, &render_html(input))
}

pub(crate) fn write_file(out: &Path, text: &str) -> Result<(), ReportError> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(ReportError::io(dir))?;
    }
    std::fs::write(out, text).map_err(ReportError::io(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tests::trade;
    use domain::Segment;
    use rust_decimal_macros::dec;

    fn day(trades: Vec<Trade>) -> DayJournal {
        DayJournal {
            date: chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            dir: "x".into(),
            trades,
            fills: vec![],
            summary: None,
        }
    }

    #[test]
    fn the_page_has_every_section_and_escapes_the_config() {
        let t = vec![
            trade(Segment::Nifty, (9, 20), (9, 40), dec!(100.5)),
            trade(Segment::BankNifty, (10, 0), (10, 30), dec!(-40.25)),
        ];
        let input = ReportInput::new("T", "replay", vec![day(t)])
            .with_config("cfg.toml", "name = \"<script>\"");
        let html = render_html(&input);
        for id in [
            "chart-equity",
            "chart-drawdown",
            "chart-daily",
            "chart-segments",
            "chart-hours",
            "chart-exits",
            "chart-premium-fills",
            "chart-premium-trades",
            "trades-table",
            "config",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("id=\"total-net\" data-value=\"60.25\""));
        assert!(html.contains("id=\"total-trades\" data-value=\"2\""));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script"));
        assert!(html.contains("default-src 'none'"));
        assert!(!html.contains(" src=") && !html.contains(" href="));
        assert_eq!(html.matches("<tr class=\"trade\">").count(), 2);
    }
}
