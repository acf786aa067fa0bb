//! The report of a real replay: 2024-06-03..2024-06-14 of the shipped catalog with
//! `config/default.toml`, journaled by `journal::CsvJournal` into a temporary root exactly as
//! `replay --out` writes it, read back with `report::load_days`. The page has every chart with
//! something drawn, one table row per trades.csv row, and totals equal to the sums of the
//! trades.csv columns (read here with plain csv, independently of the report's reader).
//! The comparison of the journal with itself matches every trade; a corrupted trades.csv is
//! reported with its file, line and column.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use backtest::{ReplayContext, replay_day};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Replay the trading days of 2024-06-03..=2024-06-14 into `<root>/replay/<date>/`.
fn replay_into(root: &Path) -> (Vec<NaiveDate>, String) {
    let cfg_path = repo().join("config/default.toml");
    let text = std::fs::read_to_string(&cfg_path).unwrap();
    let cfg = config::Config::load(&cfg_path).unwrap();
    let ctx =
        ReplayContext::new(cfg, catalog::Catalog::open(repo().join("data")).unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut dates = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    while d <= NaiveDate::from_ymd_opt(2024, 6, 14).unwrap() {
        if ctx.check_date(d).is_ok() {
            let j = journal::CsvJournal::create(root, "replay", d).unwrap();
            rt.block_on(replay_day(&ctx, d, Box::new(j))).unwrap();
            dates.push(d);
        }
        d = d.succ_opt().unwrap();
    }
    (dates, text)
}

/// Column `name` of every trades.csv row of the journal, summed; and the row count.
fn csv_sum(root: &Path, dates: &[NaiveDate], name: &str) -> (Decimal, usize) {
    let (mut sum, mut rows) = (Decimal::ZERO, 0);
    for d in dates {
        let p = root.join("replay").join(d.to_string()).join("trades.csv");
        let text = std::fs::read_to_string(&p).unwrap();
        if text.is_empty() {
            continue;
        }
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let col = r.headers().unwrap().iter().position(|h| h == name).unwrap();
        for rec in r.records() {
            sum += rec.unwrap()[col].parse::<Decimal>().unwrap();
            rows += 1;
        }
    }
    (sum, rows)
}

fn value_of<'a>(html: &'a str, id: &str) -> &'a str {
    let key = format!("id=\"{id}\" data-value=\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("no #{id}")) + key.len();
    &html[at..at + html[at..].find('"').unwrap()]
}

/// The `<svg id="...">...</svg>` element of `id`.
fn svg_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("<svg id=\"{id}\""))
        .unwrap_or_else(|| panic!("no svg #{id}"));
    &html[at..at + html[at..].find("</svg>").unwrap()]
}

#[test]
fn the_report_of_two_replayed_weeks() {
    let root = tempfile::tempdir().unwrap();
    let (dates, cfg_text) = replay_into(root.path());
    assert_eq!(dates.len(), 10, "{dates:?}");

    let days = report::load_days(root.path(), "replay").unwrap();
    assert_eq!(days.iter().map(|d| d.date).collect::<Vec<_>>(), dates);
    let input = report::ReportInput::new("Replay 2024-06-03 .. 2024-06-14", "replay", days)
        .with_config("config/default.toml", cfg_text.clone());
    let out = root.path().join("report.html");
    report::write_html(&input, &out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();

    // Totals equal the trades.csv columns.
    let (net, rows) = csv_sum(root.path(), &dates, "net_pnl");
    let (gross, _) = csv_sum(root.path(), &dates, "pnl_value");
    let (charges, _) = csv_sum(root.path(), &dates, "charges");
    assert!(rows > 5, "{rows} trades in two weeks");
    assert_eq!(value_of(&html, "total-trades"), rows.to_string());
    assert_eq!(
        value_of(&html, "total-net"),
        format!("{:.2}", net.round_dp(2))
    );
    assert_eq!(
        value_of(&html, "total-gross"),
        format!("{:.2}", gross.round_dp(2))
    );
    assert_eq!(
        value_of(&html, "total-charges"),
        format!("{:.2}", charges.round_dp(2))
    );
    assert_eq!(value_of(&html, "total-days"), "10");
    assert_eq!(html.matches("<tr class=\"trade\">").count(), rows);

    // Every chart is there and has drawn something.
    for id in ["chart-equity", "chart-drawdown", "chart-segments"] {
        let svg = svg_of(&html, id);
        assert!(svg.contains("class=\"series\""), "{id}");
        assert!(svg.contains("d=\"M"), "{id}");
    }
    assert_eq!(
        svg_of(&html, "chart-daily")
            .matches("class=\"bar\"")
            .count(),
        10
    );
    for id in [
        "chart-hours",
        "chart-exits",
        "chart-premium-fills",
        "chart-premium-trades",
    ] {
        assert!(svg_of(&html, id).contains("class=\"bar\""), "{id}");
    }
    // Both configured segments have their own curve.
    let seg = svg_of(&html, "chart-segments");
    assert!(seg.contains("data-name=\"NIFTY\"") && seg.contains("data-name=\"BANKNIFTY\""));
    // The configuration used, verbatim (escaped).
    let first_line = cfg_text.lines().find(|l| l.starts_with('[')).unwrap();
    assert!(html.contains(first_line), "{first_line}");
    // Self-contained: nothing to fetch, no script.
    assert!(html.contains("Content-Security-Policy"));
    for bad in ["<script", " src=", " href=", "<link", "@import", "url("] {
        assert!(!html.contains(bad), "{bad}");
    }

    // The journal against itself: everything matched, no difference.
    let cmp = report::compare(root.path(), "replay", root.path(), "replay").unwrap();
    assert_eq!(cmp.counts(), (rows, 0, 0));
    assert!(
        cmp.days
            .iter()
            .flat_map(|d| &d.matched)
            .all(|p| p.net_pnl_diff().is_zero())
    );
    assert_eq!(cmp.net(), (net, net));
    let text = cmp.to_string();
    assert!(
        text.contains(&format!("total: {rows} matched, 0 only in a, 0 only in b")),
        "{text}"
    );

    let page = root.path().join("compare.html");
    report::write_compare_html(&cmp, &page).unwrap();
    let page = std::fs::read_to_string(page).unwrap();
    assert_eq!(page.matches("<tr class=\"pair\">").count(), rows);
    assert!(!page.contains("<tr class=\"unmatched\">"));

    // A corrupted value: file, line and column.
    let day = dates.iter().find(|d| {
        let p = root.path().join(format!("replay/{d}/trades.csv"));
        std::fs::read_to_string(p).unwrap().lines().count() >= 2
    });
    let p = root
        .path()
        .join(format!("replay/{}/trades.csv", day.unwrap()));
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let col = lines[0].split(',').position(|h| h == "exit_price").unwrap();
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    cells[col] = "12..5";
    lines[1] = cells.join(",");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let e = report::load_days(root.path(), "replay")
        .unwrap_err()
        .to_string();
    assert!(e.contains("trades.csv:2: field `exit_price`"), "{e}");
}
