//! Embedding the engine in another program: its own strategy (registered through
//! `EngineSettings::strategy`), an in-memory feed (`dyn MarketData` over synthetic NIFTY
//! ticks), the paper broker pricing options with Black-76, and a journal in memory.
//!
//! Run: `cargo run -p engine --example embed`

use async_trait::async_trait;
use broker_paper::pricer::{ModelParams, NoMarketPremiums, Pricer};
use broker_paper::{PaperBroker, PaperSettings};
use catalog::replay::CalendarContracts;
use chrono::{NaiveDate, TimeDelta};
use domain::calendar::{ExpiryCalendar, LotSizes, MarketCalendar};
use domain::charges::ChargesSchedule;
use domain::ports::{MarketData, MarketDataError, MarketEvent};
use domain::time::{hms, ist};
use domain::{Candle, Decimal, Product, Segment, Signal, Tick, Timeframe};
use engine::settings::{ExitSettings, SegmentSettings};
use engine::{Engine, EngineParts, EngineSettings, Mode, StopBasis};
use risk::RiskConfig;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal_macros::dec;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use strategy::exits::UnderlyingStops;
use strategy::option_selection::SelectionParams;
use strategy::{Evaluation, SignalOrigin, Strategy};

/// The embedding program's own strategy: buy a call when a 5-minute candle closes above the
/// previous candle's high, never more than once a day.
struct BreakoutOnce {
    previous_high: Option<Decimal>,
    fired: bool,
}

impl Strategy for BreakoutOnce {
    fn name(&self) -> &'static str {
        "breakout_once"
    }

    fn timeframe(&self) -> Timeframe {
        Timeframe::from_minutes(5).unwrap_or_else(|_| unreachable!("5 minutes is valid"))
    }

    fn on_candle(&mut self, c: &Candle) -> Evaluation {
        let breakout = self.previous_high.is_some_and(|h| c.close > h);
        self.previous_high = Some(c.high);
        let signal = if breakout && !self.fired {
            self.fired = true;
            Signal::BuyCe
        } else {
            Signal::Hold
        };
        Evaluation {
            signal,
            origin: SignalOrigin::Fresh,
            indicators: vec![("previous_high", self.previous_high.and_then(|h| h.to_f64()))],
            stop_points: None,
        }
    }
}

/// A feed over ticks held in memory, then the end of the session.
struct MemoryFeed {
    events: VecDeque<MarketEvent>,
}

#[async_trait]
impl MarketData for MemoryFeed {
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

/// NIFTY every 15 s from 09:15 to 12:00: flat near 23,000, a climb from 10:00, a fall after.
fn synthetic_ticks(date: NaiveDate) -> VecDeque<MarketEvent> {
    let start = ist(date, hms(9, 15, 0));
    let mut events: VecDeque<MarketEvent> = (0..660)
        .map(|i: i64| {
            let minute = i / 4;
            let wiggle = [0, 3, -2, 1][(i % 4) as usize];
            let drift = match minute {
                0..45 => 0,
                45..90 => (minute - 45) * 2,
                _ => 90 - (minute - 90) * 3,
            };
            MarketEvent::Tick(Tick {
                token: domain::Index::Nifty.token(),
                ts: start + TimeDelta::seconds(15 * i),
                price: Decimal::from(23_000 + drift + wiggle),
                volume: None,
            })
        })
        .collect();
    events.push_back(MarketEvent::EndOfSession(ist(date, hms(15, 30, 0))));
    events
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let date = NaiveDate::from_ymd_opt(2024, 6, 5).ok_or("bad date")?;
    // Typed settings by hand (no configuration file): NIFTY only, 50-point SL and TSL, one
    // lot two strikes in the money, default risk rules, and our own strategy.
    let settings = EngineSettings {
        segments: vec![SegmentSettings {
            segment: Segment::Nifty,
            stops: UnderlyingStops {
                sl_points: dec!(50),
                trailing_stop_points: dec!(50),
            },
            selection: SelectionParams {
                strike_step: dec!(50),
                itm_offset: dec!(100),
                skip_expiry_day: false,
            },
            initial_lots: 1,
            iv: 0.15,
            pyramid: None,
            freeze_quantity_units: domain::Index::Nifty.default_freeze_quantity(),
            instrument: engine::settings::Instrument::Option,
            watch_token: None,
        }],
        capital: dec!(1000000),
        warmup_sessions: 0,
        square_off_time: hms(15, 15, 0),
        exits: ExitSettings {
            stop_basis: StopBasis::Underlying,
            stop_loss_pct: dec!(30),
            target_index_points: None,
            profit_target_pct: None,
            max_holding_minutes: None,
            exit_on_opposite_signal: false,
        },
        product: Product::MIS,
        risk: RiskConfig::default(),
        strategy_name: "breakout_once".into(),
        strategy: Arc::new(|| {
            Ok(Box::new(BreakoutOnce {
                previous_high: None,
                fired: false,
            }))
        }),
        protective_stop: Default::default(),
        sizing: engine::settings::Sizing::Lots,
        hedging: engine::settings::HedgeSettings::default(),
    };

    let calendar = MarketCalendar::builtin();
    let model = ModelParams {
        iv: BTreeMap::new(),
        default_iv: 0.15,
        rate: 0.065,
    };
    let pricer = || Pricer::new(Box::new(NoMarketPremiums), model.clone(), calendar.clone());
    let mut engine = Engine::new(EngineParts {
        settings,
        mode: Mode::Paper,
        date,
        broker: Box::new(PaperBroker::new(
            PaperSettings { slippage_ticks: 1 },
            Box::new(pricer()),
        )),
        marks: Box::new(pricer()),
        contracts: Box::new(CalendarContracts::new(
            ExpiryCalendar::new(calendar.clone()),
            LotSizes::builtin(),
        )),
        journal: Box::new(journal::MemoryJournal::default()),
        calendar: calendar.clone(),
        charges: ChargesSchedule::builtin(),
        waits: None,
    })?;
    engine.start_day()?;
    let mut feed = MemoryFeed {
        events: synthetic_ticks(date),
    };
    let report = engine.run(&mut feed).await?;
    for t in &report.trades {
        println!(
            "{} {} {} qty {} in {} @ ₹{} out {} @ ₹{} ({}) net ₹{}",
            t.trade_id,
            t.signal_type,
            t.option_symbol,
            t.quantity,
            t.entry_time.format("%H:%M:%S"),
            t.entry_price,
            t.exit_time.format("%H:%M:%S"),
            t.exit_price,
            t.exit_reason,
            t.net_pnl
        );
    }
    println!(
        "{} trade(s), net ₹{}",
        report.summary.total.trades, report.summary.total.net_pnl
    );
    if report.trades.is_empty() {
        return Err("the example expected at least one trade".into());
    }
    Ok(())
}
