//! The store against real engines: SQLite in a temp dir and PostgreSQL (the CI's throwaway
//! server, `KESTREL_PG_URL`, one schema per test). Market data from the shipped catalog goes
//! in and comes back equal; journal rows come back as the CSV journal's cells; the writer
//! keeps order and numbering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::Catalog;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{DayKey, Record, RunInfo, Store, StoreJournal, StoreUrl, StoreWriter, SweepRow};

fn data() -> Catalog {
    Catalog::open(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The URLs to test on: SQLite always, PostgreSQL when the CI server is there.
fn urls(test: &str, dir: &tempfile::TempDir) -> Vec<StoreUrl> {
    let mut v = vec![StoreUrl::parse(&format!("sqlite://{}/k.db", dir.path().display())).unwrap()];
    match pg_test::shared_url() {
        Some(base) => v.push(StoreUrl::parse(&pg_test::schema_url(&base, test)).unwrap()),
        None => eprintln!("{test}: no KESTREL_PG_URL; PostgreSQL part skipped"),
    }
    v
}

#[tokio::test]
async fn catalog_days_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let cat = data();
    let day = d("2022-11-18");
    for url in urls("catalog_days_round_trip", &dir) {
        let store = Store::connect(&url).await.unwrap();
        for (series, day) in [("NIFTY", day), ("BANKNIFTY-FUT_5m", d("2024-07-30"))] {
            let bars = cat.bars(series, day).unwrap();
            store.put_bars(series, day, &bars).await.unwrap();
            assert_eq!(
                store.bars(series, day).await.unwrap(),
                bars,
                "{url} {series}"
            );
            // Replacing a day does not duplicate it.
            store.put_bars(series, day, &bars).await.unwrap();
            assert_eq!(store.bars(series, day).await.unwrap().len(), bars.len());
        }
        let opt = cat
            .series()
            .unwrap()
            .into_iter()
            .find(|s| cat.has_ticks(s, day))
            .unwrap();
        let ticks = cat.ticks(&opt, day).unwrap();
        store.put_ticks(&opt, day, &ticks).await.unwrap();
        assert_eq!(store.ticks(&opt, day).await.unwrap(), ticks, "{url} {opt}");
        assert_eq!(store.dates(&opt, true).await.unwrap(), vec![day]);
        assert!(store.series().await.unwrap().contains(&"NIFTY".to_string()));
        assert!(
            store
                .bars("NIFTY", d("2022-11-19"))
                .await
                .unwrap()
                .is_empty()
        );
        store
            .put_instruments(day, "kite", "instrument_token,tradingsymbol\n1,X\n")
            .await
            .unwrap();
        assert_eq!(
            store.instruments(day, "kite").await.unwrap().as_deref(),
            Some("instrument_token,tradingsymbol\n1,X\n")
        );
        store.close().await;
    }
}

fn event(i: i64) -> journal::Event {
    journal::Event {
        timestamp: domain::time::parse_iso("2024-06-03T09:20:00+05:30").unwrap()
            + chrono::Duration::seconds(i),
        segment: Some(domain::Segment::Nifty),
        kind: "SIGNAL",
        message: format!("signal {i}, with \"quotes\""),
        data: serde_json::json!({"i": i, "price": "101.50"}),
    }
}

#[test]
fn writer_keeps_rows_in_order_and_replaces_a_rerun_day() {
    let dir = tempfile::tempdir().unwrap();
    for url in urls("writer_keeps_rows", &dir) {
        let w = StoreWriter::spawn(&url, 1024, Arc::new(|h| panic!("health {h:?}"))).unwrap();
        let started = domain::time::parse_iso("2024-06-04T08:00:00+05:30").unwrap();
        let run = RunInfo::new(
            "replay",
            started,
            "replay --date 2024-06-03".into(),
            "".into(),
        );
        w.send(Record::Run(run.clone()));
        let key = DayKey {
            journal_mode: "replay".into(),
            date: d("2024-06-03"),
            run_id: run.run_id.clone(),
        };
        for pass in 0..2 {
            let mut j = StoreJournal::begin(&w, key.clone(), true);
            for i in 0..200 {
                journal::Journal::event(&mut j, &event(i + pass)).unwrap();
            }
        }
        assert!(w.flush(Duration::from_secs(20)), "{url}: flush");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let rows = rt.block_on(async {
            let s = Store::connect(&url).await.unwrap();
            s.journal_rows(&store::tables::EVENTS, "replay", d("2024-06-03"))
                .await
                .unwrap()
        });
        assert_eq!(rows.len(), 200, "{url}: the re-run replaced the first pass");
        assert_eq!(rows[0][0], "2024-06-03T09:20:01+05:30");
        assert_eq!(rows[0][1], "NIFTY");
        assert_eq!(rows[0][3], "signal 1, with \"quotes\"");
        assert_eq!(rows[0][4], r#"{"i":1,"price":"101.50"}"#);
        assert_eq!(w.dropped(), 0);
    }
}

#[tokio::test]
async fn sweep_results_sort_by_net() {
    let dir = tempfile::tempdir().unwrap();
    for url in urls("sweep_results_sort", &dir) {
        let s = Store::connect(&url).await.unwrap();
        let row = |id: &str, net: &str| SweepRow {
            set_id: id.into(),
            params: r#"{"exits.sl_points":50}"#.into(),
            cells: [
                "3".into(),
                "33.33".into(),
                "10".into(),
                net.into(),
                "1.5".into(),
                "4".into(),
                "-2".into(),
                "".into(),
                "0.8".into(),
            ],
        };
        s.put_sweep(
            "stops",
            &[
                row("s001", "9.5"),
                row("s002", "10.25"),
                row("s003", "-100"),
            ],
        )
        .await
        .unwrap();
        let got: Vec<String> = s
            .sweep("stops")
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.set_id)
            .collect();
        assert_eq!(got, ["s002", "s001", "s003"], "{url}");
        assert_eq!(s.sweep("stops").await.unwrap()[0].cells[7], "");
    }
}

#[tokio::test]
async fn a_wrong_url_fails_at_start_with_one_line() {
    let url = StoreUrl::parse("postgres://kestrel:secret@127.0.0.1:1/nowhere").unwrap();
    let e = Store::connect(&url).await.unwrap_err().to_string();
    assert!(
        e.starts_with("store postgres://kestrel:***@127.0.0.1:1/nowhere: cannot connect"),
        "{e}"
    );
    assert!(!e.contains('\n') && !e.contains("secret"), "{e}");
    let e = StoreUrl::parse("mysql://x").unwrap_err().to_string();
    assert!(e.contains("expected sqlite://PATH"), "{e}");
}
