//! Whole-day replay: 2024-06-03, NIFTY + BANKNIFTY, default config (warm-up, 3,000 ticks,
//! 150 candles, paper fills with Black-76 premiums, an in-memory journal).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use backtest::{ReplayContext, replay_day};
use chrono::NaiveDate;
use config::Config;
use criterion::{Criterion, criterion_main};
use kestrel_support::{data_dir, repo_root};

fn bench(c: &mut Criterion) {
    let cfg = Config::load(&repo_root().join("config/default.toml")).unwrap();
    let ctx = ReplayContext::new(cfg, catalog::Catalog::open(data_dir()).unwrap()).unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    c.bench_function("replay_day_2024_06_03_nifty_banknifty", |b| {
        b.iter(|| {
            rt.block_on(replay_day(
                &ctx,
                date,
                Box::new(journal::MemoryJournal::default()),
            ))
            .unwrap()
        })
    });
}

/// The criterion group (a private module: the macro's `pub fn` is no public API).
mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
