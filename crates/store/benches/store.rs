//! The store's two numbers of issue 14, on each engine: **import throughput** (the shipped
//! 2024 NIFTY and BANKNIFTY 1-minute bars, `catalog import`'s code path, rows per second) and
//! **query time of one day's trades** (`Store::trades("replay", 2024-06-03)` after the replay
//! of 2024-06-03..14 was journaled into the store through the background writer).
//!
//! SQLite always (a file in a temp dir); PostgreSQL when `KESTREL_PG_URL` is set (a schema of
//! its own). Run:
//! `KESTREL_PG_URL=postgres://postgres@127.0.0.1:55432/postgres cargo bench -p store --bench store`.
//! Results: `docs/benchmarks.md`, section "Database store".

#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::Catalog;
use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_main};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::import::{Selection, import_catalog};
use store::{DayKey, Store, StoreJournal, StoreUrl, StoreWriter};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn urls(dir: &tempfile::TempDir) -> Vec<(&'static str, StoreUrl)> {
    let mut v = vec![(
        "sqlite",
        StoreUrl::parse(&format!("sqlite://{}/bench.db", dir.path().display())).unwrap(),
    )];
    if let Ok(base) = std::env::var("KESTREL_PG_URL") {
        let schema = format!("bench_{}", std::process::id());
        v.push((
            "postgres",
            StoreUrl::parse(&format!("{base}?schema={schema}")).unwrap(),
        ));
    }
    v
}

/// Journal the replay of 2024-06-03..14 into the store at `url`.
fn journal_replays(url: &StoreUrl) {
    let config = config::Config::load(&repo().join("config/default.toml")).unwrap();
    let cat = Catalog::open(repo().join("data")).unwrap().cached();
    let ctx = backtest::ReplayContext::new(config, cat).unwrap();
    let writer = StoreWriter::spawn(url, 1 << 20, Arc::new(|_| {})).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for day in d("2024-06-03")
        .iter_days()
        .take_while(|x| *x <= d("2024-06-14"))
    {
        if ctx.check_date(day).is_err() {
            continue;
        }
        let key = DayKey {
            journal_mode: "replay".into(),
            date: day,
            run_id: "bench".into(),
        };
        let j = StoreJournal::begin(&writer, key, true);
        rt.block_on(backtest::replay_day(&ctx, day, Box::new(j)))
            .unwrap();
    }
    assert!(writer.flush(Duration::from_secs(120)));
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cat = Catalog::open(repo().join("data")).unwrap();
    let sel = Selection {
        series: vec!["NIFTY".into(), "BANKNIFTY".into()],
        from: Some(d("2024-01-01")),
        to: Some(d("2024-12-31")),
    };
    for (name, url) in urls(&dir) {
        let store = rt.block_on(Store::connect(&url)).unwrap();
        let rows = rt
            .block_on(import_catalog(&cat, &store, &sel, |_, _| {}))
            .unwrap()
            .bars;
        let mut g = c.benchmark_group(format!("store/{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(rows));
        g.bench_function("import 2024 NIFTY+BANKNIFTY bars", |b| {
            b.iter(|| {
                rt.block_on(import_catalog(&cat, &store, &sel, |_, _| {}))
                    .unwrap()
            })
        });
        g.finish();

        journal_replays(&url);
        let mut g = c.benchmark_group(format!("store/{name}"));
        let n = rt
            .block_on(store.trades("replay", d("2024-06-03")))
            .unwrap()
            .len();
        assert!(n > 0);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("trades of one day", |b| {
            b.iter(|| {
                rt.block_on(store.trades("replay", d("2024-06-03")))
                    .unwrap()
            })
        });
        g.finish();
        rt.block_on(store.close());
    }
}

fn main_benches() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
}

criterion_main!(main_benches);
