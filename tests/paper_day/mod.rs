//! One shipped day driven event by event through an [`Engine`] with paper fills (what
//! `replay` does, but with the test holding the engine between events): the day's feed events,
//! the paper pricer, the contracts and the warm-up history. Shared by `tests/restart.rs` and
//! `tests/control.rs`.

#![allow(dead_code)]

use backtest::ReplayContext;
use broker_paper::pricer::{ModelParams, Pricer};
use catalog::replay::{CalendarContracts, CatalogHistory, CatalogPremiums, ReplayFeed};
use chrono::NaiveDate;
use domain::Segment;
use domain::calendar::ExpiryCalendar;
use domain::ports::{Broker, ContractSource, HistoricalData, MarketData, MarketEvent};
use domain::time::IstDateTime;
use engine::{Engine, EngineParts, Mode};
use journal::MemoryJournal;
use kestrel_support::{config, data_dir};

/// A shipped day with `config/default.toml` (or another config).
pub struct PaperDay {
    /// Config and catalog.
    pub ctx: ReplayContext,
    /// The day.
    pub date: NaiveDate,
    /// Every feed event of the day, in order.
    pub events: Vec<MarketEvent>,
    /// Traded segments, sorted.
    pub segments: Vec<Segment>,
}

impl PaperDay {
    /// 2024-06-03 with `config/default.toml`.
    pub async fn new() -> Self {
        Self::with(
            config("config/default.toml"),
            kestrel_support::date(2024, 6, 3),
        )
        .await
    }

    /// `date` with `cfg`.
    pub async fn with(cfg: config::Config, date: NaiveDate) -> Self {
        let ctx = ReplayContext::new(cfg, catalog::Catalog::open(data_dir()).unwrap()).unwrap();
        let mut segments = ctx.config.engine.segments.clone();
        segments.sort();
        segments.dedup();
        let bars: Vec<_> = segments
            .iter()
            .map(|s| {
                let series = ctx.series(*s);
                let token = ctx.catalog.watch_token(*s, &series).unwrap();
                (*s, token, ctx.catalog.bars(&series, date).unwrap())
            })
            .collect();
        let mut feed = ReplayFeed::new(date, &bars);
        let mut events = Vec::new();
        while let Some(ev) = feed.next_event().await {
            events.push(ev);
        }
        Self {
            ctx,
            date,
            events,
            segments,
        }
    }

    /// The paper pricer: catalog premiums, else Black-76.
    pub fn pricer(&self) -> Pricer {
        let cfg = &self.ctx.config;
        let model = ModelParams {
            iv: self
                .segments
                .iter()
                .map(|s| (*s, cfg.segment(*s).iv))
                .collect(),
            default_iv: cfg.paper.default_iv,
            rate: cfg.paper.rate,
        };
        Pricer::new(
            Box::new(CatalogPremiums::new(self.ctx.catalog.clone(), self.date)),
            model,
            self.ctx.calendar.clone(),
        )
    }

    /// Contracts from the expiry calendar.
    pub fn contracts(&self) -> CalendarContracts {
        CalendarContracts::new(
            ExpiryCalendar::new(self.ctx.calendar.clone()),
            self.ctx.lots.clone(),
        )
    }

    /// The catalog's 1-minute history.
    pub fn catalog_history(&self) -> CatalogHistory {
        CatalogHistory::new(
            self.ctx.catalog.clone(),
            self.segments
                .iter()
                .map(|s| (*s, self.ctx.series(*s)))
                .collect(),
        )
    }

    /// A paper-mode engine on `broker` and `contracts`, warmed up from `history`.
    pub async fn engine_with(
        &self,
        broker: Box<dyn Broker>,
        contracts: Box<dyn ContractSource>,
        history: &dyn HistoricalData,
    ) -> Engine {
        let mut e = Engine::new(EngineParts {
            settings: self.ctx.config.engine_settings(),
            mode: Mode::Paper,
            date: self.date,
            broker,
            marks: Box::new(self.pricer()),
            contracts,
            journal: Box::new(MemoryJournal::default()),
            calendar: self.ctx.calendar.clone(),
            charges: self.ctx.charges.clone(),
            waits: None,
        })
        .unwrap();
        e.warm_up(history).await.unwrap();
        e
    }

    /// Time of event `i`.
    pub fn ts(&self, i: usize) -> IstDateTime {
        match self.events[i] {
            MarketEvent::Tick(t) => t.ts,
            MarketEvent::Timer(t) | MarketEvent::EndOfSession(t) | MarketEvent::Feed(_, t) => t,
        }
    }
}
