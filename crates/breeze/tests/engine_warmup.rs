//! Acceptance through the engine: 2024-06-03 replayed (`config/default.toml`, NIFTY and
//! BANKNIFTY, paper fills) once warmed up from the catalog and once from Breeze (the fake
//! serving the same catalog days) journals the same events — every candle's indicator values
//! included — and the same trades.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use backtest::ReplayContext;
use breeze::BreezeHistory;
use breeze_fake::FakeSettings;
use broker_paper::pricer::{ModelParams, Pricer};
use broker_paper::{PaperBroker, PaperSettings};
use catalog::replay::{CalendarContracts, CatalogHistory, CatalogPremiums, ReplayFeed, day_ticks};
use common::{client, day, fake, settings, shipped};
use domain::calendar::ExpiryCalendar;
use domain::ports::HistoricalData;
use engine::{Engine, EngineParts, Mode};
use journal::{MemoryJournal, SharedJournal};
use std::path::Path;

async fn replay(ctx: &ReplayContext, history: &dyn HistoricalData) -> MemoryJournal {
    let date = day("2024-06-03");
    let cfg = &ctx.config;
    let segments = cfg.engine.segments.clone();
    let series: Vec<_> = segments.iter().map(|s| (*s, ctx.series(*s))).collect();
    let ticks = day_ticks(&ctx.catalog, date, &series).unwrap();
    let pricer = || {
        Pricer::new(
            Box::new(CatalogPremiums::new(ctx.catalog.clone(), date)),
            ModelParams {
                iv: segments.iter().map(|s| (*s, cfg.segment(*s).iv)).collect(),
                default_iv: cfg.paper.default_iv,
                rate: cfg.paper.rate,
            },
            ctx.calendar.clone(),
        )
    };
    let broker = PaperBroker::new(
        PaperSettings {
            slippage_ticks: cfg.paper.slippage_ticks,
        },
        Box::new(pricer()),
    );
    let journal = SharedJournal::default();
    let mut engine = Engine::new(EngineParts {
        settings: cfg.engine_settings(),
        mode: Mode::Replay,
        date,
        broker: Box::new(broker),
        marks: Box::new(pricer()),
        contracts: Box::new(CalendarContracts::new(
            ExpiryCalendar::new(ctx.calendar.clone()),
            ctx.lots.clone(),
        )),
        journal: Box::new(journal.clone()),
        calendar: ctx.calendar.clone(),
        charges: ctx.charges.clone(),
        waits: None,
    })
    .unwrap();
    engine.warm_up(history).await.unwrap();
    engine
        .run(&mut ReplayFeed::from_ticks(date, &ticks))
        .await
        .unwrap();
    journal.snapshot()
}

#[tokio::test]
async fn a_day_warmed_up_from_breeze_journals_what_the_catalog_warm_up_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/default.toml");
    let ctx = ReplayContext::new(config::Config::load(&path).unwrap(), shipped()).unwrap();
    let f = fake(FakeSettings::default()).await;
    let from_breeze = replay(&ctx, &BreezeHistory::new(client(&f, settings(&f)))).await;
    let from_catalog = replay(&ctx, &CatalogHistory::new(shipped(), Default::default())).await;
    assert!(f.calls().historical > 0);
    // The day's first candle already has every indicator: the warm-up took effect.
    let first = from_catalog
        .events
        .iter()
        .find(|e| e.kind == "candle")
        .expect("a candle event");
    for k in ["rsi", "price_strength", "volume_strength"] {
        assert!(first.data[k].is_f64(), "{k}: {}", first.data);
    }
    assert_eq!(from_breeze.events.len(), from_catalog.events.len());
    for (a, b) in from_breeze.events.iter().zip(&from_catalog.events) {
        assert_eq!(
            (a.timestamp, a.segment, a.kind, &a.message, &a.data),
            (b.timestamp, b.segment, b.kind, &b.message, &b.data)
        );
    }
    assert!(!from_catalog.trades.is_empty(), "the day trades");
    assert_eq!(from_breeze.trades, from_catalog.trades);
    assert_eq!(from_breeze.fills.len(), from_catalog.fills.len());
}
