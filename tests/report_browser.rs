//! `report.html` in a real browser (issue 13): the report of 2024-06-03..2024-06-14 replayed
//! with `config/default.toml` (journaled by `journal::CsvJournal` as `replay --out` does,
//! read back with `report::load_days`) opened from a `file://` URL in headless Chromium
//! (Debian's `chromium` through `chromedriver`, the harness of `tests/browser.rs`). Every chart
//! is laid out with a drawn, non-empty path or bar, the trade table has one row per trade, and
//! the page fetched nothing (the Resource Timing list is empty). A screenshot goes to
//! `artifacts/report.png` (a copy is `docs/report.png`).
//!
//! Without the browser installed the test says it is skipped, unless `KESTREL_REQUIRE_BROWSER`
//! is set (`.ci/run` sets it after installing the packages).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser_support;

use backtest::{ReplayContext, replay_day};
use browser_support::{Browser, available};
use chrono::NaiveDate;
use kestrel_support::{config, data_dir, repo_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_in_headless_chromium() {
    if !available("the_report_in_headless_chromium") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let ctx = ReplayContext::new(
        config("config/default.toml"),
        catalog::Catalog::open(data_dir()).unwrap(),
    )
    .unwrap();
    let mut d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    while d <= NaiveDate::from_ymd_opt(2024, 6, 14).unwrap() {
        if ctx.check_date(d).is_ok() {
            let j = journal::CsvJournal::create(root.path(), "replay", d).unwrap();
            replay_day(&ctx, d, Box::new(j)).await.unwrap();
        }
        d = d.succ_opt().unwrap();
    }
    let days = report::load_days(root.path(), "replay").unwrap();
    let trades: usize = days.iter().map(|d| d.trades.len()).sum();
    let cfg = std::fs::read_to_string(repo_root().join("config/default.toml")).unwrap();
    let input = report::ReportInput::new("Replay 2024-06-03 .. 2024-06-14", "replay", days)
        .with_config("config/default.toml", cfg);
    let out = root.path().join("report.html");
    report::write_html(&input, &out).unwrap();

    let downloads = tempfile::tempdir().unwrap();
    let b = Browser::start(downloads.path()).await;
    b.client
        .goto(&format!("file://{}", out.display()))
        .await
        .expect("the report opens");

    // Each chart: its drawn marks and their laid-out size (width, height, path length).
    let js = r#"
        const id = arguments[0];
        const svg = document.getElementById(id);
        if (!svg) return null;
        const box = svg.getBoundingClientRect();
        const marks = [...svg.querySelectorAll('path.series, rect.bar')];
        const drawn = marks.filter(m => {
            const b = m.getBBox();
            const len = m.tagName === 'path' ? m.getTotalLength() : b.width + b.height;
            return len > 0 && (b.width > 0 || b.height > 0);
        }).length;
        return [box.width, box.height, marks.length, drawn];
    "#;
    for id in [
        "chart-equity",
        "chart-drawdown",
        "chart-daily",
        "chart-segments",
        "chart-hours",
        "chart-exits",
        "chart-premium-fills",
        "chart-premium-trades",
    ] {
        let v = b
            .client
            .execute(js, vec![serde_json::json!(id)])
            .await
            .expect("script runs");
        let v: Vec<f64> =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("#{id}: {v} ({e})"));
        assert!(v[0] > 300.0 && v[1] > 40.0, "#{id} laid out: {v:?}");
        assert!(v[2] > 0.0 && v[3] == v[2], "#{id} marks drawn: {v:?}");
    }
    let daily = b
        .client
        .execute(
            "return document.querySelectorAll('#chart-daily rect.bar').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(daily, serde_json::json!(10));
    let rows = b
        .client
        .execute(
            "return document.querySelectorAll('#trades-table tr.trade').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!(trades));
    assert!(trades > 5);
    // Nothing was fetched: no resource beyond the page itself.
    let fetched = b
        .client
        .execute(
            "return performance.getEntriesByType('resource').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fetched, serde_json::json!(0));
    let title = b.client.title().await.unwrap();
    assert!(title.contains("2024-06-03"), "{title}");

    b.screenshot(&repo_root().join("artifacts/report.png"))
        .await;
    b.close().await;
}
