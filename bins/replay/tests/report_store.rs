//! `replay report --store URL` (issue 14 "Reading"): the report of a replay's journals read
//! back from the database store is the page `replay report DIR` makes of the CSV journals of
//! the same run, byte for byte; a range picks days; bad input is one line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::replay;
use std::process::Output;

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "replay failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    assert!(!o.status.success(), "expected a failure");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn report_from_the_store_equals_report_from_the_csv_journals() {
    let out = tempfile::tempdir().unwrap();
    let root = out.path().to_str().unwrap();
    ok(&replay(&[
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-05",
        "--out",
        root,
        "--quiet",
    ]));
    let db = format!("sqlite://{root}/kestrel.db");

    ok(&replay(&[
        "report",
        root,
        "--config",
        "config/default.toml",
    ]));
    let from_csv = std::fs::read_to_string(out.path().join("replay/report.html")).unwrap();
    assert!(from_csv.contains("2024-06-05"));

    let page = out.path().join("store.html");
    let stdout = ok(&replay(&[
        "report",
        "--store",
        &db,
        "--mode",
        "replay",
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-05",
        "--html",
        page.to_str().unwrap(),
        "--config",
        "config/default.toml",
    ]));
    assert!(stdout.contains("store.html"), "{stdout}");
    let from_store = std::fs::read_to_string(&page).unwrap();
    assert!(
        from_store == from_csv,
        "the store's page differs from the files'"
    );

    // Default place for a SQLite store: <db dir>/<mode>/report.html; one day only.
    std::fs::remove_file(out.path().join("replay/report.html")).unwrap();
    ok(&replay(&["report", "--store", &db, "--date", "2024-06-04"]));
    let one = std::fs::read_to_string(out.path().join("replay/report.html")).unwrap();
    assert!(
        one.contains("Replay 2024-06-04 .. 2024-06-04"),
        "title of one day"
    );
    assert!(one != from_csv);

    // Bad input: one line each.
    let e = err(&replay(&["report", "--store", &db, "--date", "2024-06-08"]));
    assert!(e.contains("no replay day") && e.lines().count() == 1, "{e}");
    let e = err(&replay(&["report", "--store", &db, "--mode", "paper"]));
    assert!(e.contains("no paper day"), "{e}");
    let e = err(&replay(&[
        "report",
        "--store",
        &format!("sqlite://{root}/none.db"),
    ]));
    assert!(e.contains("none.db") && e.lines().count() == 1, "{e}");
    let e = err(&replay(&[
        "report",
        "--store",
        "postgres://k:s3cret@127.0.0.1:1/db",
    ]));
    assert!(e.contains("--html") && !e.contains("s3cret"), "{e}");
    let e = err(&replay(&[
        "report",
        "--store",
        "postgres://k:s3cret@127.0.0.1:1/db",
        "--html",
        "x.html",
    ]));
    assert!(e.contains("k:***@") && !e.contains("s3cret"), "{e}");
}
