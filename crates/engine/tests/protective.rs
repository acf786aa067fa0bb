//! The protective stop at the broker (spec §10.3) against a scripted broker that rests SL
//! orders: placed at the premium equivalent of the engine's stop once the entry filled,
//! modified after a pyramid add, cancelled before the engine's own exit, a broker fill closes
//! the position with reason BROKER_SL, never a second sell, and nothing at all when disabled.
//!
//! (About 700 lines in one file: every scenario drives the same scripted broker and run
//! harness defined at the top, and reads best next to them.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use catalog::replay::CalendarContracts;
use chrono::{NaiveDate, TimeDelta};
use config::Config;
use domain::calendar::{ExpiryCalendar, LotSizes, MarketCalendar};
use domain::charges::ChargesSchedule;
use domain::ports::{Broker, BrokerError, BrokerEvent, MarketEvent, OrderChange};
use domain::time::ist_hms;
use domain::{
    Candle, Decimal, ExitReason, Fill, IstDateTime, OrderKind, OrderRequest, OrderStatus,
    OrderUpdate, PremiumSource, Segment, Side, Signal, Tick, Timeframe,
};
use engine::settings::{EngineSettings, ProtectiveStopSettings, PyramidSettings};
use engine::{Engine, EngineEvent, EngineParts, Mode};
use journal::{MemoryJournal, SharedJournal};
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};
use strategy::exits::UnderlyingStops;
use strategy::{Evaluation, SignalOrigin, Strategy};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

fn at(h: u32, m: u32, s: u32) -> IstDateTime {
    ist_hms(day(), h, m, s)
}

/// Buys a call on the first completed 1-minute candle, then holds.
struct EnterOnce(bool);

impl Strategy for EnterOnce {
    fn name(&self) -> &'static str {
        "enter_once"
    }
    fn timeframe(&self) -> Timeframe {
        Timeframe::from_minutes(1).unwrap()
    }
    fn on_candle(&mut self, _: &Candle) -> Evaluation {
        let signal = if self.0 { Signal::Hold } else { Signal::BuyCe };
        self.0 = true;
        Evaluation {
            signal,
            origin: SignalOrigin::Fresh,
            indicators: vec![],
            stop_points: None,
        }
    }
}

/// An SL order resting at the scripted broker.
#[derive(Clone)]
struct Resting {
    broker_id: String,
    request: OrderRequest,
    quantity: u32,
}

/// The scripted broker's book: market orders fill at ₹100 at once; SL orders rest until the
/// test fires them.
#[derive(Default)]
struct Desk {
    placed: Vec<OrderRequest>,
    events: Vec<BrokerEvent>,
    resting: Vec<Resting>,
    modified: Vec<(String, OrderChange)>,
    cancels: Vec<String>,
    /// What the engine asked, in order: `place SL`, `place MARKET SELL`, `cancel B1`, ...
    log: Vec<String>,
    /// A cancel finds the SL order already executed (it fills, the cancel is refused).
    fill_on_cancel: bool,
    /// SL placements are rejected by the broker (RMS).
    reject_stops: bool,
    /// Modifications are refused.
    refuse_modify: bool,
    /// Units sold by SL orders.
    stop_sold: u32,
}

impl Desk {
    fn update(r: &OrderRequest, bid: &str, status: OrderStatus, filled: u32) -> BrokerEvent {
        BrokerEvent::Order(OrderUpdate {
            id: r.id,
            broker_order_id: Some(bid.to_string()),
            status,
            filled_quantity: filled,
            average_price: None,
            message: (status == OrderStatus::Rejected).then(|| "RMS: SL blocked".into()),
            ts: r.created,
        })
    }

    fn fill(
        &mut self,
        r: &OrderRequest,
        bid: &str,
        quantity: u32,
        price: Decimal,
        ts: IstDateTime,
    ) {
        self.events.push(BrokerEvent::Fill(Fill {
            order_id: r.id,
            fill_id: format!("{bid}-T"),
            ts,
            tradingsymbol: r.contract.tradingsymbol.clone(),
            side: r.side,
            quantity,
            price,
            reference_price: price,
            premium_source: PremiumSource::Market,
        }));
        self.events.push(BrokerEvent::Order(OrderUpdate {
            id: r.id,
            broker_order_id: Some(bid.to_string()),
            status: OrderStatus::Complete,
            filled_quantity: quantity,
            average_price: Some(price),
            message: None,
            ts,
        }));
    }

    /// Every resting SL order triggers and fills at its limit price at `ts`.
    fn fire(&mut self, ts: IstDateTime) {
        for r in std::mem::take(&mut self.resting) {
            let OrderKind::StopLimit { price, .. } = r.request.kind else {
                unreachable!()
            };
            self.fill(&r.request, &r.broker_id, r.quantity, price, ts);
            self.stop_sold += r.quantity;
        }
    }
}

#[derive(Clone, Default)]
struct ScriptedBroker(Arc<Mutex<Desk>>);

#[async_trait]
impl Broker for ScriptedBroker {
    fn name(&self) -> &str {
        "scripted"
    }
    async fn place_order(&mut self, r: &OrderRequest) -> Result<String, BrokerError> {
        let mut d = self.0.lock().unwrap();
        let bid = format!("B{}", d.placed.len());
        d.placed.push(r.clone());
        match r.kind {
            OrderKind::StopLimit { .. } => {
                d.log.push("place SL".into());
                if d.reject_stops {
                    let ev = Desk::update(r, &bid, OrderStatus::Rejected, 0);
                    d.events.push(ev);
                } else {
                    let ev = Desk::update(r, &bid, OrderStatus::TriggerPending, 0);
                    d.events.push(ev);
                    d.resting.push(Resting {
                        broker_id: bid.clone(),
                        request: r.clone(),
                        quantity: r.quantity,
                    });
                }
            }
            _ => {
                d.log.push(format!("place MARKET {}", r.side.code()));
                let ev = Desk::update(r, &bid, OrderStatus::Open, 0);
                d.events.push(ev);
                d.fill(r, &bid, r.quantity, dec!(100), r.created);
            }
        }
        Ok(bid)
    }
    async fn cancel_order(&mut self, bid: &str) -> Result<(), BrokerError> {
        let mut d = self.0.lock().unwrap();
        d.cancels.push(bid.to_string());
        d.log.push(format!("cancel {bid}"));
        let Some(k) = d.resting.iter().position(|r| r.broker_id == bid) else {
            return Err(BrokerError::Rejected(format!("{bid} is not open")));
        };
        if d.fill_on_cancel {
            let ts = d.resting[k].request.created + TimeDelta::seconds(30);
            d.fire(ts);
            return Err(BrokerError::Rejected(format!("{bid} is already COMPLETE")));
        }
        let r = d.resting.remove(k);
        let ev = Desk::update(&r.request, bid, OrderStatus::Cancelled, 0);
        d.events.push(ev);
        Ok(())
    }
    async fn modify_order(&mut self, bid: &str, change: &OrderChange) -> Result<(), BrokerError> {
        let mut d = self.0.lock().unwrap();
        d.modified.push((bid.to_string(), *change));
        if d.refuse_modify {
            return Err(BrokerError::Rejected(
                "Maximum allowed order modifications exceeded".into(),
            ));
        }
        let Some(r) = d.resting.iter_mut().find(|r| r.broker_id == bid) else {
            return Err(BrokerError::Rejected(format!("{bid} is not open")));
        };
        r.quantity = change.quantity.unwrap_or(r.quantity);
        let r = r.clone();
        let ev = Desk::update(&r.request, bid, OrderStatus::TriggerPending, 0);
        d.events.push(ev);
        Ok(())
    }
    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        Ok(std::mem::take(&mut self.0.lock().unwrap().events))
    }
    async fn find_by_tag(&mut self, _: &str) -> Result<Option<String>, BrokerError> {
        Ok(None)
    }
}

/// Marks that follow the index one for one (delta 1): ₹100 + index − 23,000.
struct LinearMarks;

impl domain::ports::PremiumMarks for LinearMarks {
    fn mark(
        &mut self,
        _: &domain::OptionContract,
        underlying: Decimal,
        _: IstDateTime,
    ) -> Option<(Decimal, PremiumSource)> {
        // Market-like (the fills are market fills: a model mark never marks them).
        Some((underlying - dec!(23000) + dec!(100), PremiumSource::Market))
    }
}

/// NIFTY only, 1 lot, SL/TSL 40 points, the protective stop `enabled`.
fn settings(enabled: bool) -> EngineSettings {
    let mut c = Config::default();
    c.engine.segments = vec![Segment::Nifty];
    c.risk.max_daily_loss_pct = Decimal::ZERO;
    let mut s = c.engine_settings();
    s.strategy = Arc::new(|| Ok(Box::new(EnterOnce(false))));
    s.segments[0].initial_lots = 1;
    s.segments[0].pyramid = None;
    s.segments[0].stops = UnderlyingStops {
        sl_points: dec!(40),
        trailing_stop_points: dec!(40),
    };
    s.protective_stop = ProtectiveStopSettings {
        enabled,
        ..ProtectiveStopSettings::default()
    };
    s
}

struct Run {
    engine: Engine,
    desk: Arc<Mutex<Desk>>,
    journal: SharedJournal,
    rt: tokio::runtime::Runtime,
}

impl Run {
    fn new(settings: EngineSettings) -> Self {
        Self::with_desk(settings, Desk::default())
    }

    fn with_desk(settings: EngineSettings, desk: Desk) -> Self {
        let desk = Arc::new(Mutex::new(desk));
        let journal = SharedJournal::default();
        let cal = MarketCalendar::builtin();
        let mut engine = Engine::new(EngineParts {
            settings,
            mode: Mode::Live,
            date: day(),
            broker: Box::new(ScriptedBroker(desk.clone())),
            marks: Box::new(LinearMarks),
            contracts: Box::new(CalendarContracts::new(
                ExpiryCalendar::new(cal.clone()),
                LotSizes::builtin(),
            )),
            journal: Box::new(journal.clone()),
            calendar: cal,
            charges: ChargesSchedule::builtin(),
            waits: None,
        })
        .unwrap();
        engine.start_day().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        Self {
            engine,
            desk,
            journal,
            rt,
        }
    }

    fn send(&mut self, ev: MarketEvent) {
        self.rt.block_on(self.engine.handle(ev)).unwrap();
    }

    fn tick(&mut self, (h, m, s): (u32, u32, u32), price: i64) {
        self.send(MarketEvent::Tick(Tick {
            token: domain::Index::Nifty.token(),
            ts: at(h, m, s),
            price: Decimal::from(price),
            volume: None,
        }));
    }

    /// The entry: the 09:20 candle completes at 09:21:00 with NIFTY at 23,000 (the entry
    /// window opens at 09:20).
    fn enter(&mut self) {
        self.tick((9, 20, 0), 23000);
        self.tick((9, 21, 0), 23000);
    }

    fn end(&mut self) {
        self.send(MarketEvent::EndOfSession(at(15, 30, 0)));
    }

    fn journal(&self) -> MemoryJournal {
        self.journal.snapshot()
    }

    /// Every placement of the given kind: (side, quantity).
    fn placed(&self, stop: bool) -> Vec<(Side, u32)> {
        let d = self.desk.lock().unwrap();
        d.placed
            .iter()
            .filter(|r| matches!(r.kind, OrderKind::StopLimit { .. }) == stop)
            .map(|r| (r.side, r.quantity))
            .collect()
    }

    fn count(&self, e: EngineEvent) -> usize {
        self.engine.events().iter().filter(|r| r.event == e).count()
    }
}

/// The SL order's kind at the broker.
fn stop_kind(run: &Run) -> OrderKind {
    let d = run.desk.lock().unwrap();
    let r = d
        .placed
        .iter()
        .find(|r| r.side == Side::Sell && r.kind != OrderKind::Market)
        .expect("an SL order");
    assert_eq!(r.purpose, domain::order::OrderPurpose::Protect);
    r.kind
}

#[test]
fn entry_fill_places_one_sl_sell_at_the_premium_of_the_index_stop() {
    let mut run = Run::new(settings(true));
    run.enter();
    // Entry at NIFTY 23,000, ₹100; the stop at 22,960 is ₹60 on the marks (delta 1); the
    // limit 2 % below, rounded down to the tick.
    assert_eq!(run.placed(false), vec![(Side::Buy, 25)]);
    assert_eq!(run.placed(true), vec![(Side::Sell, 25)]);
    assert_eq!(
        stop_kind(&run),
        OrderKind::StopLimit {
            trigger: dec!(60),
            price: dec!(58.80)
        }
    );
    // Later ticks place nothing more.
    run.tick((9, 21, 30), 23005);
    run.tick((9, 22, 0), 23010);
    assert_eq!(run.placed(true).len(), 1);
    let j = run.journal();
    let row = j.orders.iter().rfind(|o| o.purpose == "PROTECT").unwrap();
    assert_eq!(
        (row.order_type, row.status, row.side),
        ("SL", "TRIGGER_PENDING", "SELL")
    );
    assert_eq!(row.price, Some(dec!(58.80)));
}

#[test]
fn a_configured_premium_pct_sets_the_trigger() {
    let mut s = settings(true);
    s.protective_stop.premium_pct = Some(dec!(25));
    s.protective_stop.limit_offset_pct = dec!(3);
    let mut run = Run::new(s);
    run.enter();
    assert_eq!(
        stop_kind(&run),
        OrderKind::StopLimit {
            trigger: dec!(75),
            price: dec!(72.75)
        }
    );
}

#[test]
fn the_freeze_quantity_splits_the_protective_stop() {
    let mut s = settings(true);
    s.segments[0].initial_lots = 3;
    s.segments[0].freeze_quantity_units = 50;
    let mut run = Run::new(s);
    run.enter();
    assert_eq!(run.placed(true), vec![(Side::Sell, 50), (Side::Sell, 25)]);
    run.end();
    // Both cancelled, then one exit per freeze slice, never more than held.
    let d = run.desk.lock().unwrap();
    assert_eq!(d.cancels, vec!["B2", "B3"]);
    drop(d);
    let sold: u32 = run
        .placed(false)
        .iter()
        .filter(|(s, _)| *s == Side::Sell)
        .map(|x| x.1)
        .sum();
    assert_eq!(sold, 75);
}

#[test]
fn pyramid_add_modifies_the_protective_quantity_and_the_tsl_exit_sells_once() {
    let mut s = settings(true);
    s.segments[0].pyramid = Some(PyramidSettings {
        step_rupees_per_unit: dec!(10),
        lots_per_add: 1,
        max_quantity: 50,
    });
    let mut run = Run::new(s);
    run.enter();
    // +20 points: open profit ₹20/unit ≥ ₹10 → one lot added, filled at once.
    run.tick((9, 21, 10), 23020);
    assert_eq!(run.placed(false), vec![(Side::Buy, 25), (Side::Buy, 25)]);
    {
        let d = run.desk.lock().unwrap();
        assert_eq!(d.modified.len(), 1);
        assert_eq!(d.modified[0].0, "B1");
        assert_eq!(d.modified[0].1.quantity, Some(50));
        assert_eq!(d.resting[0].quantity, 50);
    }
    assert_eq!(
        run.placed(true),
        vec![(Side::Sell, 25)],
        "modified, not re-placed"
    );
    let j = run.journal();
    let row = j.orders.iter().rfind(|o| o.purpose == "PROTECT").unwrap();
    assert_eq!(row.quantity, 50);
    // TSL at 22,980: the protective order is cancelled first, then one sell of 50.
    run.tick((9, 22, 0), 22975);
    let d = run.desk.lock().unwrap();
    assert_eq!(
        d.log,
        vec![
            "place MARKET BUY",
            "place SL",
            "place MARKET BUY",
            "cancel B1",
            "place MARKET SELL"
        ]
    );
    drop(d);
    assert_eq!(run.placed(false)[2], (Side::Sell, 50));
    let j = run.journal();
    assert_eq!(j.trades.len(), 1);
    assert_eq!(j.trades[0].exit_reason, ExitReason::TrailingStop);
    assert_eq!(j.trades[0].quantity, 50);
    let prot = j.orders.iter().rfind(|o| o.purpose == "PROTECT").unwrap();
    assert_eq!(prot.status, "CANCELLED");
    // Nothing more after the trade.
    run.end();
    assert_eq!(run.placed(false).len(), 3);
    assert_eq!(run.placed(true).len(), 1);
}

#[test]
fn eod_cancels_the_protective_first_and_sells_the_held_quantity_once() {
    let mut run = Run::new(settings(true));
    run.enter();
    run.tick((10, 0, 0), 23010);
    run.end();
    let d = run.desk.lock().unwrap();
    assert_eq!(
        d.log,
        vec![
            "place MARKET BUY",
            "place SL",
            "cancel B1",
            "place MARKET SELL"
        ]
    );
    drop(d);
    let j = run.journal();
    assert_eq!(j.trades.len(), 1);
    assert_eq!(j.trades[0].exit_reason, ExitReason::Eod);
    assert_eq!(run.placed(false), vec![(Side::Buy, 25), (Side::Sell, 25)]);
    assert!(!run.engine.has_outstanding());
}

#[test]
fn a_broker_stop_fill_closes_with_broker_sl_and_no_engine_sell() {
    let mut run = Run::new(settings(true));
    run.enter();
    run.tick((9, 21, 10), 23002);
    // The engine lags: the broker's stop fills at its limit before the engine sees a stop.
    run.desk.lock().unwrap().fire(at(9, 21, 20));
    run.tick((9, 21, 30), 23001);
    let j = run.journal();
    assert_eq!(j.trades.len(), 1);
    let t = &j.trades[0];
    assert_eq!(t.exit_reason, ExitReason::BrokerStop);
    assert_eq!((t.exit_price, t.quantity), (dec!(58.80), 25));
    // Timed at the broker's fill; the index price is the last one the engine saw before it.
    assert_eq!(t.exit_time, at(9, 21, 20));
    assert_eq!(t.index_exit_spot, dec!(23002));
    assert!(
        run.engine
            .events()
            .iter()
            .any(|r| r.event == EngineEvent::Exit && r.message.starts_with("BROKER_SL"))
    );
    // No engine sell, now or at the end of the day.
    run.tick((9, 30, 0), 22900);
    run.end();
    assert_eq!(run.placed(false), vec![(Side::Buy, 25)]);
    assert_eq!(run.journal().trades.len(), 1);
    assert!(run.desk.lock().unwrap().cancels.is_empty());
}

#[test]
fn a_cancel_refused_because_the_stop_filled_never_sells_twice() {
    let desk = Desk {
        fill_on_cancel: true,
        ..Desk::default()
    };
    let mut run = Run::with_desk(settings(true), desk);
    run.enter();
    // Below the 22,960 stop: the engine decides SL and cancels, but the SL order already
    // executed at the broker.
    run.tick((9, 22, 0), 22950);
    assert_eq!(run.placed(false), vec![(Side::Buy, 25)], "no second sell");
    let j = run.journal();
    assert_eq!(j.trades.len(), 1);
    assert_eq!(j.trades[0].exit_reason, ExitReason::StopLoss);
    assert_eq!(j.trades[0].exit_price, dec!(58.80));
    assert!(
        run.engine
            .events()
            .iter()
            .any(|r| r.event == EngineEvent::OrderError
                && r.message.contains("cancel of protective order"))
    );
    run.end();
    assert_eq!(run.placed(false), vec![(Side::Buy, 25)]);
    assert_eq!(run.journal().trades.len(), 1);
}

#[test]
fn a_rejected_protective_stop_is_critical_once_and_the_engine_still_exits() {
    let desk = Desk {
        reject_stops: true,
        ..Desk::default()
    };
    let mut run = Run::with_desk(settings(true), desk);
    run.enter();
    run.tick((9, 21, 30), 23005);
    run.tick((9, 22, 0), 23010);
    assert_eq!(
        run.placed(true).len(),
        1,
        "not placed again after a rejection"
    );
    assert_eq!(run.count(EngineEvent::Critical), 1);
    run.end();
    assert_eq!(run.placed(false), vec![(Side::Buy, 25), (Side::Sell, 25)]);
    assert_eq!(run.journal().trades[0].exit_reason, ExitReason::Eod);
}

#[test]
fn disabled_by_default_nothing_changes() {
    assert!(!ProtectiveStopSettings::default().enabled);
    let path = |run: &mut Run| {
        run.enter();
        run.tick((9, 21, 10), 23020);
        run.tick((9, 22, 0), 22975);
        run.enter_again();
    };
    let mut off = Run::new(settings(false));
    path(&mut off);
    let mut on = Run::new(settings(true));
    path(&mut on);
    assert!(off.placed(true).is_empty());
    assert!(off.journal().orders.iter().all(|o| o.purpose != "PROTECT"));
    assert_eq!(off.count(EngineEvent::ProtectiveStop), 0);
    assert!(off.desk.lock().unwrap().cancels.is_empty());
    // The same trades either way (the protective stop never fired).
    assert_eq!(off.journal().trades, on.journal().trades);
    assert_eq!(off.placed(false), on.placed(false));
}

impl Run {
    /// The rest of the day after an exit: a few ticks, then the end.
    fn enter_again(&mut self) {
        self.tick((9, 23, 0), 22990);
        self.end();
    }
}

fn pyramid_settings() -> EngineSettings {
    let mut s = settings(true);
    s.segments[0].pyramid = Some(PyramidSettings {
        step_rupees_per_unit: dec!(10),
        lots_per_add: 1,
        max_quantity: 75,
    });
    s
}

#[test]
fn a_refused_modification_places_another_protective_order_for_the_added_units() {
    let desk = Desk {
        refuse_modify: true,
        ..Desk::default()
    };
    let mut run = Run::with_desk(pyramid_settings(), desk);
    run.enter();
    run.tick((9, 21, 10), 23020);
    // Held 50: the 25-unit SL could not be modified, a second one covers the add.
    assert_eq!(run.placed(true), vec![(Side::Sell, 25), (Side::Sell, 25)]);
    assert_eq!(run.count(EngineEvent::OrderError), 1);
    run.end();
    let d = run.desk.lock().unwrap();
    assert_eq!(d.cancels.len(), 2);
    assert!(d.resting.is_empty());
    drop(d);
    let sold: u32 = run
        .placed(false)
        .iter()
        .filter(|x| x.0 == Side::Sell)
        .map(|x| x.1)
        .sum();
    assert_eq!(sold, 50);
}

/// One scripted day: NIFTY moves by `moves` (points per 10 s from 09:21:10), the broker's
/// SL fires after tick `fire` (if any), cancels may find the SL already executed.
fn random_day(moves: &[i64], fire: Option<usize>, fill_on_cancel: bool) -> Run {
    let desk = Desk {
        fill_on_cancel,
        ..Desk::default()
    };
    let mut run = Run::with_desk(pyramid_settings(), desk);
    run.enter();
    let mut price = 23000;
    for (k, m) in moves.iter().enumerate() {
        price += m;
        let t = at(9, 21, 10) + TimeDelta::seconds(10 * k as i64);
        run.send(MarketEvent::Tick(Tick {
            token: domain::Index::Nifty.token(),
            ts: t,
            price: Decimal::from(price),
            volume: None,
        }));
        if fire == Some(k) {
            run.desk.lock().unwrap().fire(t + TimeDelta::seconds(5));
        }
    }
    run.end();
    run
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever the path, whenever the broker's stop fires and however cancels race: every
    /// unit bought is sold exactly once (engine sells + SL fills), one trade, nothing rests.
    #[test]
    fn every_unit_bought_is_sold_exactly_once(
        moves in proptest::collection::vec(-25i64..=25, 1..30),
        fire in proptest::option::of(0usize..30),
        fill_on_cancel in proptest::bool::ANY,
    ) {
        let run = random_day(&moves, fire, fill_on_cancel);
        let placed = run.placed(false);
        let bought: u32 = placed.iter().filter(|x| x.0 == Side::Buy).map(|x| x.1).sum();
        let engine_sold: u32 = placed.iter().filter(|x| x.0 == Side::Sell).map(|x| x.1).sum();
        let d = run.desk.lock().unwrap();
        proptest::prop_assert_eq!(engine_sold + d.stop_sold, bought);
        proptest::prop_assert!(d.resting.is_empty());
        let j = run.journal();
        proptest::prop_assert_eq!(j.trades.len(), 1);
        proptest::prop_assert_eq!(j.trades[0].quantity, bought);
        // Fired with a tick still to come: that tick's drain books it as the broker's stop.
        // (Fired after the last tick, the EOD exit is decided first: its cancel is refused,
        // nothing more is sold, the trade keeps EOD.)
        let tick_after_fire = fire.is_some_and(|k| k + 1 < moves.len());
        if d.stop_sold > 0 && !fill_on_cancel && tick_after_fire {
            proptest::prop_assert_eq!(j.trades[0].exit_reason, ExitReason::BrokerStop);
        }
        proptest::prop_assert!(!run.engine.has_outstanding());
    }
}

/// The broker's stop fills after the last tick: the engine decides EOD before it sees the
/// fill, its cancel is refused, and the fill closes the position without a second sell.
#[test]
fn a_stop_fill_seen_only_at_the_eod_exit_is_not_sold_again() {
    let run = random_day(&[0, 0, 0], Some(2), false);
    assert_eq!(run.placed(false), vec![(Side::Buy, 25)]);
    assert_eq!(run.desk.lock().unwrap().stop_sold, 25);
    let j = run.journal();
    assert_eq!(j.trades.len(), 1);
    assert_eq!(j.trades[0].exit_reason, ExitReason::Eod);
    assert_eq!(j.trades[0].exit_price, dec!(58.80));
}
