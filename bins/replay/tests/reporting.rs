//! `--report`, `replay report` and `replay compare` as a user runs them (issue 13): the pages
//! are written where the output says, hold the run's trades, and a journal compared with a
//! copy of itself matches trade for trade.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Output;

mod common;
use common::replay;

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Rows of a day's trades.csv (header excluded).
fn trade_rows(root: &Path, date: &str) -> usize {
    let text = std::fs::read_to_string(root.join("replay").join(date).join("trades.csv")).unwrap();
    text.lines().skip(1).filter(|l| !l.is_empty()).count()
}

#[test]
fn report_flag_report_command_and_compare() {
    let out = tempfile::tempdir().unwrap();
    let root = out.path().to_str().unwrap();
    let stdout = ok(&replay(&[
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-04",
        "--out",
        root,
        "--report",
        "--quiet",
    ]));
    let page = out.path().join("replay/report.html");
    assert!(
        stdout.contains(&format!("report: {}", page.display())),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<svg"), "charts are inline SVG");
    // Nothing is fetched: no external source, link or stylesheet (the configuration text shown
    // at the bottom may contain URLs, e.g. the Telegram API's, as plain text).
    for needle in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(needle), "nothing fetched: {needle}");
    }
    assert!(html.contains("2024-06-03") && html.contains("2024-06-04"));
    let trades = trade_rows(out.path(), "2024-06-03") + trade_rows(out.path(), "2024-06-04");
    assert!(trades > 0, "the range has trades");

    // The same page again from the journals alone.
    std::fs::remove_file(&page).unwrap();
    let stdout = ok(&replay(&[
        "report",
        root,
        "--config",
        "config/default.toml",
    ]));
    assert!(stdout.contains("report.html"), "{stdout}");
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("config/default.toml")
    );

    // A journal against a copy of itself: every trade matched, no difference.
    let copy = tempfile::tempdir().unwrap();
    for date in ["2024-06-03", "2024-06-04"] {
        let dir = copy.path().join("paper").join(date);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["trades.csv", "fills.csv"] {
            std::fs::copy(out.path().join("replay").join(date).join(f), dir.join(f)).unwrap();
        }
    }
    let cmp_page = copy.path().join("cmp.html");
    let stdout = ok(&replay(&[
        "compare",
        root,
        copy.path().to_str().unwrap(),
        "--html",
        cmp_page.to_str().unwrap(),
    ]));
    assert!(
        stdout.contains(&format!(
            "total: {trades} matched, 0 only in a, 0 only in b"
        )),
        "{stdout}"
    );
    assert!(cmp_page.is_file());
}

#[test]
fn sweep_report_draws_the_heat_map_over_the_chosen_keys() {
    let out = tempfile::tempdir().unwrap();
    let grid = out.path().join("g.toml");
    std::fs::write(
        &grid,
        "name = \"stops\"\n\"exits.sl_points\" = [30, 50]\n\"exits.trailing_stop_points\" = [40, 60]\n",
    )
    .unwrap();
    let stdout = ok(&replay(&[
        "--grid",
        grid.to_str().unwrap(),
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-03",
        "--out",
        out.path().to_str().unwrap(),
        "--report",
        "--heatmap",
        "exits.trailing_stop_points,exits.sl_points",
        "--quiet",
    ]));
    let page = out.path().join("sweep/stops/report.html");
    assert!(stdout.contains("report:"), "{stdout}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("exits.trailing_stop_points") && html.contains("<svg"));

    // A key that is not in the grid is an error naming it.
    let o = replay(&[
        "report",
        out.path().join("sweep/stops").to_str().unwrap(),
        "--heatmap",
        "exits.sl_points,strategy.rsi_period",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("strategy.rsi_period"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
