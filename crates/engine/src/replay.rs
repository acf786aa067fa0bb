//! The replay edge (spec §1, §9): historical data from the catalog as a [`MarketData`] feed,
//! warm-up history, contracts from the expiry calendar, real option premiums where the catalog
//! has them — and [`replay_day`], one day end to end.

use crate::candles::{bar_minutes, in_session, synthesize_ticks_in};
use crate::config::{Config, Mode};
use crate::engine::{DayReport, Engine, EngineError, EngineParts};
use async_trait::async_trait;
use broker_paper::pricer::{MarketPremiums, ModelParams, Pricer};
use broker_paper::{PaperBroker, PaperSettings};
use catalog::{Catalog, CatalogError};
use chrono::{Datelike, NaiveDate};
use domain::calendar::{ExpiryCalendar, LotSizes, MarketCalendar};
use domain::charges::ChargesSchedule;
use domain::instrument::kite_option_symbol;
use domain::ports::{
    ContractError, ContractSource, HistoricalData, HistoryError, MarketData, MarketDataError,
    MarketEvent,
};
use domain::time::{IstDateTime, ist, session_close};
use domain::{Bar, Decimal, OptionContract, OptionType, Segment, Tick};
use journal::Journal;
use rust_decimal_macros::dec;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Replay ticks of one day for several segments: each 1-minute bar becomes four ticks
/// (spec §3.1 rule 2), merged in timestamp order with ties in segment order (spec §3), then
/// [`MarketEvent::EndOfSession`] at 15:30 IST.
pub struct ReplayFeed {
    events: VecDeque<MarketEvent>,
}

impl ReplayFeed {
    /// The feed for `date` from each segment's bars.
    pub fn new(date: NaiveDate, bars: &[(Segment, Vec<Bar>)]) -> Self {
        let mut ticks: Vec<(IstDateTime, Segment, Tick)> = Vec::new();
        for (seg, bars) in bars {
            let minutes = bar_minutes(bars);
            for bar in bars.iter().filter(|b| in_session(b)) {
                for t in synthesize_ticks_in(seg.index_token(), bar, minutes) {
                    ticks.push((t.ts, *seg, t));
                }
            }
        }
        // Stable: within a segment the bar order is kept.
        ticks.sort_by_key(|(ts, seg, _)| (*ts, *seg));
        let end = ticks
            .last()
            .map(|(ts, _, _)| *ts)
            .unwrap_or_else(|| ist(date, session_close()))
            .max(ist(date, session_close()));
        let mut events: VecDeque<MarketEvent> = ticks
            .into_iter()
            .map(|(_, _, t)| MarketEvent::Tick(t))
            .collect();
        events.push_back(MarketEvent::EndOfSession(end));
        Self { events }
    }

    /// Events left.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[async_trait]
impl MarketData for ReplayFeed {
    async fn subscribe(&mut self, _tokens: &[u32]) -> Result<(), MarketDataError> {
        Ok(())
    }
    async fn unsubscribe(&mut self, _tokens: &[u32]) -> Result<(), MarketDataError> {
        Ok(())
    }
    async fn next_event(&mut self) -> Option<MarketEvent> {
        self.events.pop_front()
    }
}

/// Warm-up history from the catalog: sessions are the dates present in the segment's series.
pub struct CatalogHistory {
    catalog: Catalog,
    series: BTreeMap<Segment, String>,
}

impl CatalogHistory {
    /// History over `catalog`; a segment reads the series named in `series` (default: its code).
    pub fn new(catalog: Catalog, series: BTreeMap<Segment, String>) -> Self {
        Self { catalog, series }
    }

    fn series(&self, seg: Segment) -> &str {
        self.series.get(&seg).map_or(seg.code(), String::as_str)
    }
}

#[async_trait]
impl HistoricalData for CatalogHistory {
    async fn sessions_before(
        &self,
        segment: Segment,
        before: NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<Bar>>, HistoryError> {
        let series = self.series(segment);
        let dates = self
            .catalog
            .bar_dates(series)
            .map_err(|e| HistoryError::Source(e.to_string()))?;
        let prior: Vec<NaiveDate> = dates.into_iter().filter(|d| *d < before).collect();
        let from = prior.len().saturating_sub(sessions);
        prior[from..]
            .iter()
            .map(|d| {
                self.catalog
                    .bars(series, *d)
                    .map_err(|e| HistoryError::Source(e.to_string()))
            })
            .collect()
    }
}

/// Contracts from the expiry calendar and the lot-size schedule (replay; spec §5). Tick size
/// ₹0.05; no instrument token.
pub struct CalendarContracts {
    expiries: ExpiryCalendar,
    lots: LotSizes,
}

impl CalendarContracts {
    /// Contracts from these calendars.
    pub fn new(expiries: ExpiryCalendar, lots: LotSizes) -> Self {
        Self { expiries, lots }
    }
}

impl ContractSource for CalendarContracts {
    fn option_contract(
        &self,
        segment: Segment,
        trade_date: NaiveDate,
        strike: Decimal,
        option_type: OptionType,
        skip_expiry_day: bool,
    ) -> Result<OptionContract, ContractError> {
        let e = match self.expiries.next_expiry(segment, trade_date) {
            Some(e) if skip_expiry_day && e.date == trade_date => {
                self.expiries.next_expiry_after(segment, trade_date)
            }
            e => e,
        }
        .ok_or_else(|| ContractError::NotFound(format!("no {segment} expiry from {trade_date}")))?;
        Ok(OptionContract {
            segment,
            exchange: segment.exchange(),
            expiry: e.date,
            strike,
            option_type,
            lot_size: self.lots.lot_size(segment, trade_date),
            tick_size: dec!(0.05),
            tradingsymbol: kite_option_symbol(
                segment.option_name(),
                e.date,
                e.monthly,
                strike,
                option_type,
            ),
            instrument_token: None,
        })
    }
}

/// Real option prices from the catalog's tick files (or 1-minute bars, read as their replay
/// ticks) of the contract on the replayed date: the last price at or before `at`.
pub struct CatalogPremiums {
    catalog: Catalog,
    date: NaiveDate,
    /// Per tradingsymbol: its day's prices in time order, or `None` when the catalog has none.
    cache: HashMap<String, Option<PriceSeries>>,
}

/// `(time, price)` in time order.
type PriceSeries = Vec<(IstDateTime, Decimal)>;

impl CatalogPremiums {
    /// Premiums of `date` from `catalog`.
    pub fn new(catalog: Catalog, date: NaiveDate) -> Self {
        Self {
            catalog,
            date,
            cache: HashMap::new(),
        }
    }

    fn load(&self, symbol: &str) -> Option<PriceSeries> {
        if self.catalog.has_ticks(symbol, self.date) {
            let ticks = self.catalog.ticks(symbol, self.date).ok()?;
            return Some(ticks.into_iter().map(|t| (t.ts, t.last_price)).collect());
        }
        // Bars: 1-minute under the symbol itself, or another timeframe as `<symbol>_<n>m`.
        let series = std::iter::once(symbol.to_string())
            .chain(["3m", "5m", "15m"].map(|tf| format!("{symbol}_{tf}")))
            .find(|s| self.catalog.has_bars(s, self.date))?;
        let bars = self.catalog.bars(&series, self.date).ok()?;
        let minutes = bar_minutes(&bars);
        Some(
            bars.iter()
                .flat_map(|b| synthesize_ticks_in(0, b, minutes))
                .map(|t| (t.ts, t.price))
                .collect(),
        )
    }
}

impl MarketPremiums for CatalogPremiums {
    fn last_traded(&mut self, symbol: &str, at: IstDateTime) -> Option<Decimal> {
        if !self.cache.contains_key(symbol) {
            let loaded = self.load(symbol);
            self.cache.insert(symbol.to_string(), loaded);
        }
        let series = self.cache.get(symbol)?.as_ref()?;
        let n = series.partition_point(|(ts, _)| *ts <= at);
        (n > 0).then(|| series[n - 1].1)
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
    #[error("{0}")]
    Catalog(#[from] CatalogError),
    /// The engine stopped.
    #[error("{0}")]
    Engine(#[from] EngineError),
}

/// Reference data shared by the days of a replay.
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
        Ok(Self {
            config,
            catalog,
            calendar: MarketCalendar::builtin(),
            charges: ChargesSchedule::builtin(),
            lots,
        })
    }

    /// The catalog series driving `seg` (config `[segments.<CODE>] series`, default the code).
    pub fn series(&self, seg: Segment) -> String {
        self.config
            .segments
            .get(&seg)
            .and_then(|s| s.series.clone())
            .unwrap_or_else(|| seg.code().to_string())
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
    let mut bars = Vec::new();
    let mut segments = cfg.engine.segments.clone();
    segments.sort();
    segments.dedup();
    for seg in &segments {
        bars.push((*seg, ctx.catalog.bars(&ctx.series(*seg), date)?));
    }
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
    );
    let contracts =
        CalendarContracts::new(ExpiryCalendar::new(ctx.calendar.clone()), ctx.lots.clone());
    let mut engine = Engine::new(EngineParts {
        settings: cfg.engine_settings(),
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
    let mut feed = ReplayFeed::new(date, &bars);
    Ok(engine.run(&mut feed).await?)
}
