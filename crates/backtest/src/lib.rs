//! # backtest — one replay day end to end (spec §1, §9)
//!
//! Replay setup above the engine: [`ReplayContext`] holds the reference data shared by the days
//! of a replay (config, catalog, calendars, charges, lot sizes); [`replay_day`] assembles one day
//! from the catalog's replay edge (`catalog::replay`), the paper broker and the engine, and runs
//! it: warm-up, the day's ticks, paper fills, journal rows.
//!
//! Many days or many parameter sets over the same data (parallel replays and sweeps, issue 13):
//! give the context a [`Catalog::cached`] catalog, so each market-data file is parsed once and
//! shared read-only (`Arc`) by every day and every set; clone the catalog into one context per
//! parameter set. [`NullJournal`] drops the journal rows when only the [`DayReport`] is wanted.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use backtest::{ReplayContext, replay_day};
//! let ctx = ReplayContext::new(config::Config::default(), catalog::Catalog::open("data")?)?;
//! let date = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).ok_or("date")?;
//! let report = replay_day(&ctx, date, Box::new(journal::MemoryJournal::default())).await?;
//! println!("{} trades, net ₹{}", report.summary.total.trades, report.summary.total.net_pnl);
//! # Ok(()) }
//! ```

use broker_paper::pricer::{ModelParams, Pricer};
use broker_paper::{PaperBroker, PaperSettings};
use catalog::replay::{CalendarContracts, CatalogHistory, CatalogPremiums, ReplayFeed, day_ticks};
use catalog::{Catalog, CatalogError};
use chrono::{Datelike, NaiveDate};
use config::Config;
use domain::Segment;
use domain::calendar::{ExpiryCalendar, LotSizes, MarketCalendar};
use domain::charges::ChargesSchedule;
use engine::Mode;
use engine::{DayReport, Engine, EngineError, EngineParts};
use journal::{DaySummary, Event, FillRow, Journal, JournalError, OrderRow};
use std::collections::BTreeMap;

/// A journal that keeps nothing: for sweeps, where only the [`DayReport`] (trades and summary)
/// of each day is used and per-trade journals are off.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullJournal;

impl Journal for NullJournal {
    fn order(&mut self, _row: &OrderRow) -> Result<(), JournalError> {
        Ok(())
    }
    fn fill(&mut self, _row: &FillRow) -> Result<(), JournalError> {
        Ok(())
    }
    fn trade(&mut self, _trade: &domain::Trade) -> Result<(), JournalError> {
        Ok(())
    }
    fn event(&mut self, _event: &Event) -> Result<(), JournalError> {
        Ok(())
    }
    fn summary(&mut self, _summary: &DaySummary) -> Result<(), JournalError> {
        Ok(())
    }
}

/// Why a replay day could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Weekend or exchange holiday.
    #[error("{date} is not a trading day ({why})")]
    NotTradingDay {
        /// The date.
        date: NaiveDate,
        /// Weekend/holiday.
        why: String,
    },
    /// A trading day the catalog has no data for.
    #[error("{0}")]
    NoData(String),
    /// Reading the catalog failed (names file, line and field).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The engine stopped.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Reference data shared by the days of a replay (read-only while days run: one context can
/// serve days on several threads).
#[derive(Clone)]
pub struct ReplayContext {
    /// Configuration.
    pub config: Config,
    /// The data catalog.
    pub catalog: Catalog,
    /// Exchange calendar.
    pub calendar: MarketCalendar,
    /// Charges.
    pub charges: ChargesSchedule,
    /// Lot sizes.
    pub lots: LotSizes,
    /// The watched `instrument_token` of each stock segment (from the catalog's
    /// `instruments.csv`); indices use their own.
    pub stock_tokens: BTreeMap<Segment, u32>,
}

impl ReplayContext {
    /// Built-in calendars and charges; `[[lot_sizes]]` entries of the config extend (override)
    /// the built-in lot-size schedule.
    ///
    /// Errors: an invalid `[[lot_sizes]]` entry ([`EngineError::Config`]).
    pub fn new(config: Config, catalog: Catalog) -> Result<Self, EngineError> {
        let mut lots = LotSizes::builtin();
        if !config.lot_sizes.is_empty() {
            lots.extend(config.lot_sizes.clone())
                .map_err(|e| EngineError::Config(format!("lot_sizes: {e}")))?;
        }
        let stocks: Vec<(Segment, String)> = config
            .engine
            .segments
            .iter()
            .filter(|s| s.symbol().is_some())
            .map(|s| (*s, config.series(*s)))
            .collect();
        let tokens = catalog
            .watch_tokens(&stocks)
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let stock_tokens = stocks.iter().map(|(s, _)| *s).zip(tokens).collect();
        Ok(Self {
            config,
            catalog,
            calendar: MarketCalendar::builtin(),
            charges: ChargesSchedule::builtin(),
            lots,
            stock_tokens,
        })
    }

    /// The catalog series driving `seg` ([`Config::series`]: `[segments.<CODE>] series`, a
    /// stock's `<SYMBOL><universe.series_suffix>`, default the code).
    pub fn series(&self, seg: Segment) -> String {
        self.config.series(seg)
    }

    /// The engine settings of the config, with each stock segment's watched token.
    pub fn engine_settings(&self) -> engine::settings::EngineSettings {
        let mut settings = self.config.engine_settings();
        for s in &mut settings.segments {
            if let Some(t) = self.stock_tokens.get(&s.segment) {
                s.watch_token = Some(*t);
            }
        }
        settings
    }

    /// Check that `date` can be replayed: a trading day with data for every enabled segment.
    pub fn check_date(&self, date: NaiveDate) -> Result<(), ReplayError> {
        if !self.calendar.is_trading_day(date) {
            let why = if matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
                format!("{}", date.format("%A"))
            } else {
                "exchange holiday".to_string()
            };
            return Err(ReplayError::NotTradingDay { date, why });
        }
        for seg in &self.config.engine.segments {
            let series = self.series(*seg);
            if !self.catalog.has_bars(&series, date) {
                return Err(ReplayError::NoData(format!(
                    "no data for {series} on {date} (looked for {}/{series}/{date}.csv[.gz])",
                    self.catalog.root().display(),
                )));
            }
        }
        Ok(())
    }
}

/// Replay one day end to end: warm-up, the day's ticks through the engine with paper fills,
/// journal rows into `journal`.
pub async fn replay_day(
    ctx: &ReplayContext,
    date: NaiveDate,
    journal: Box<dyn Journal>,
) -> Result<DayReport, ReplayError> {
    ctx.check_date(date)?;
    let cfg = &ctx.config;
    let mut segments = cfg.engine.segments.clone();
    segments.sort();
    segments.dedup();
    let series: Vec<(Segment, String)> = segments.iter().map(|s| (*s, ctx.series(*s))).collect();
    let ticks = day_ticks(&ctx.catalog, date, &series)?;
    let model = ModelParams {
        iv: segments.iter().map(|s| (*s, cfg.segment(*s).iv)).collect(),
        default_iv: cfg.paper.default_iv,
        rate: cfg.paper.rate,
    };
    let pricer = |c: &ReplayContext| {
        Pricer::new(
            Box::new(CatalogPremiums::new(c.catalog.clone(), date)),
            model.clone(),
            c.calendar.clone(),
        )
    };
    let broker = PaperBroker::new(
        PaperSettings {
            slippage_ticks: cfg.paper.slippage_ticks,
        },
        Box::new(pricer(ctx)),
    )
    .watching(ctx.stock_tokens.iter().map(|(s, t)| (*s, *t)));
    let contracts =
        CalendarContracts::new(ExpiryCalendar::new(ctx.calendar.clone()), ctx.lots.clone());
    let mut engine = Engine::new(EngineParts {
        settings: ctx.engine_settings(),
        mode: Mode::Replay,
        date,
        broker: Box::new(broker),
        marks: Box::new(pricer(ctx)),
        contracts: Box::new(contracts),
        journal,
        calendar: ctx.calendar.clone(),
        charges: ctx.charges.clone(),
        waits: None,
    })?;
    let history = CatalogHistory::new(
        ctx.catalog.clone(),
        segments.iter().map(|s| (*s, ctx.series(*s))).collect(),
    );
    engine.warm_up(&history).await?;
    let mut feed = ReplayFeed::from_ticks(date, &ticks);
    Ok(engine.run(&mut feed).await?)
}
