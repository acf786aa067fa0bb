//! The replay and the database store (issue 14), through the binary as a user runs it:
//! - `replay --from 2024-06-03 --to 2024-06-14` stores the same orders, fills, trades, events
//!   and day summaries as its CSV journals, row by row, in SQLite (the default
//!   `<out>/kestrel.db`) and in PostgreSQL (`--store`, the CI's server, a schema of its own);
//! - the shipped catalog imported into the store, then `[data] source = "store"`, replays the
//!   153 shipped 2024 days to byte-identical `trades.csv` files;
//! - an unreachable database stops the run at start with one line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::NaiveDate;
use common::{replay, repo};
use std::path::Path;
use store::{Store, StoreUrl};

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn day_dirs(root: &Path) -> Vec<NaiveDate> {
    let mut v: Vec<NaiveDate> = std::fs::read_dir(root.join("replay"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    v.sort();
    v
}

/// Every journal row of every day under `out` equals the store's, and so do the summaries.
async fn assert_store_matches_csv(out: &Path, url: &StoreUrl) {
    let store = Store::connect(url).await.unwrap();
    let days = day_dirs(out);
    assert_eq!(days.len(), 10, "{url}: 10 trading days in 2024-06-03..14");
    assert_eq!(store.journal_days("replay").await.unwrap(), days, "{url}");
    let mut total = 0;
    for day in days {
        let dir = out.join("replay").join(day.to_string());
        for (file, table) in [
            ("orders.csv", &store::tables::ORDERS),
            ("fills.csv", &store::tables::FILLS),
            ("trades.csv", &store::tables::TRADES),
            ("events.csv", &store::tables::EVENTS),
        ] {
            let header: Vec<String> = csv::Reader::from_path(dir.join(file))
                .unwrap()
                .headers()
                .unwrap()
                .iter()
                .map(str::to_string)
                .collect();
            let cols: Vec<&str> = table.cols.iter().map(|(c, _)| *c).collect();
            assert_eq!(header, cols, "{file}: the store's columns are the CSV's");
            let want = csv_rows(&dir.join(file));
            let got = store.journal_rows(table, "replay", day).await.unwrap();
            assert_eq!(got.len(), want.len(), "{url} {day} {file}: row count");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{url} {day} {file} row {}", i + 2);
            }
            total += want.len();
        }
        let summary: journal::DaySummary =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        assert_eq!(
            store.summary("replay", day).await.unwrap(),
            Some(summary),
            "{url} {day}"
        );
        let trades = store.trades("replay", day).await.unwrap();
        assert_eq!(trades.len(), csv_rows(&dir.join("trades.csv")).len());
    }
    assert!(total > 1000, "{url}: only {total} rows compared");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_stores_what_it_journals_in_sqlite_and_postgres() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = replay(&[
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-14",
        "--out",
        o,
        "--quiet",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let sqlite = StoreUrl::parse(&format!("sqlite://{o}/kestrel.db")).unwrap();
    assert_store_matches_csv(out.path(), &sqlite).await;

    // A re-run replaces the days (no duplicate rows).
    let again = replay(&[
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-14",
        "--out",
        o,
        "--quiet",
        "--jobs",
        "1",
    ]);
    assert!(again.status.success());
    assert_store_matches_csv(out.path(), &sqlite).await;

    match pg_test::shared_url() {
        Some(base) => {
            let url = pg_test::schema_url(&base, "replay_stores");
            let pg_out = tempfile::tempdir().unwrap();
            let p = pg_out.path().to_str().unwrap();
            let run = replay(&[
                "--from",
                "2024-06-03",
                "--to",
                "2024-06-14",
                "--out",
                p,
                "--quiet",
                "--store",
                &url,
            ]);
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            assert!(
                !pg_out.path().join("kestrel.db").exists(),
                "--store replaces the SQLite default"
            );
            assert_store_matches_csv(pg_out.path(), &StoreUrl::parse(&url).unwrap()).await;
        }
        None => eprintln!("no KESTREL_PG_URL: the PostgreSQL half is skipped"),
    }
}

/// A config that reads the market data from `url`.
fn store_config(dir: &Path, url: &str) -> std::path::PathBuf {
    let path = dir.join("store.toml");
    let base = repo().join("config/default.toml");
    std::fs::write(
        &path,
        format!(
            "include = \"{}\"\n[data]\nsource = \"store\"\n[store]\nurl = \"{url}\"\n",
            base.display()
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_from_the_store_equals_replay_from_files_over_153_days() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/market.db", tmp.path().display());
    let store = Store::connect(&StoreUrl::parse(&url).unwrap())
        .await
        .unwrap();
    let cat = catalog::Catalog::open(repo().join("data")).unwrap();
    let st = store::import::import_catalog(&cat, &store, &Default::default(), |_, _| {})
        .await
        .unwrap();
    assert!(st.bars > 100_000, "{st:?}");
    store.close().await;

    let (a, b) = (tmp.path().join("files"), tmp.path().join("store"));
    let files = replay(&[
        "--from",
        "2024-01-01",
        "--to",
        "2024-08-20",
        "--out",
        a.to_str().unwrap(),
        "--quiet",
        "--no-store",
    ]);
    assert!(
        files.status.success(),
        "{}",
        String::from_utf8_lossy(&files.stderr)
    );
    let cfg = store_config(tmp.path(), &url);
    let from_store = replay(&[
        "--config",
        cfg.to_str().unwrap(),
        "--from",
        "2024-01-01",
        "--to",
        "2024-08-20",
        "--out",
        b.to_str().unwrap(),
        "--quiet",
        "--no-store",
    ]);
    assert!(
        from_store.status.success(),
        "{}",
        String::from_utf8_lossy(&from_store.stderr)
    );
    let days = day_dirs(&a);
    assert_eq!(days.len(), 153, "shipped 2024 trading days");
    assert_eq!(day_dirs(&b), days);
    for day in days {
        let f = |root: &Path| {
            std::fs::read(root.join("replay").join(day.to_string()).join("trades.csv")).unwrap()
        };
        assert!(
            f(&a) == f(&b),
            "{day}: trades.csv differs between files and store"
        );
    }
    let text =
        |o: &[u8], root: &Path| String::from_utf8_lossy(o).replace(root.to_str().unwrap(), "OUT");
    assert_eq!(
        text(&files.stdout, &a),
        text(&from_store.stdout, &b),
        "the printed summaries"
    );
}

#[test]
fn an_unreachable_database_stops_the_run_at_start_with_one_line() {
    let out = tempfile::tempdir().unwrap();
    let run = replay(&[
        "--date",
        "2024-06-03",
        "--out",
        out.path().to_str().unwrap(),
        "--store",
        "postgres://kestrel:hunter2@127.0.0.1:1/kestrel",
    ]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("postgres://kestrel:***@127.0.0.1:1/kestrel")
            && err.contains("cannot connect"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!out.path().join("replay").exists(), "nothing ran");
}
