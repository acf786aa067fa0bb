//! Seed 003's hedged short (`Instrument::HedgedShort`, `position/spread.rs`) against a
//! scripted broker that can hold an order OPEN or reject it, leg by leg. Checked:
//!
//! - entries stopped between the legs (kill switch, operator's stop) while the hedge's buy
//!   works: once the hedge fills no short is ever sold, the hedge is sold, the rows say
//!   `LEG_FAILED`;
//! - a rejected hedge: no short, no trade, the agent waits again and a later signal enters;
//!   a rejected short: the hedge is sold, `LEG_FAILED`;
//! - a restart from a checkpoint taken while the short's buy-back works: the restored
//!   engine sells the hedge only once the buy-back filled, two trade rows;
//! - on every broker call of every test: the units of the short that may be sold (filled,
//!   or working) never exceed the hedge's units bought and not (maybe) sold — never a naked
//!   short, even for an instant;
//! - a proptest of random days (each entry leg filled, held or rejected, exits held or not,
//!   the kill switch and a manual close at random ticks): the above, and in the end both legs
//!   flat at the broker, nothing working, the rows in `-H`/`-S` pairs (the `-H` row alone
//!   when no short was sold).
//!
//! The spread: NIFTY at 23,000, a `BUY_CE` view sells the 23,000 PE (the short, filled at
//! ₹100) and buys the 22,900 PE first (the hedge, 2 strikes lower, filled at ₹40).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use catalog::replay::CalendarContracts;
use chrono::NaiveDate;
use config::Config;
use domain::calendar::{ExpiryCalendar, LotSizes, MarketCalendar};
use domain::charges::ChargesSchedule;
use domain::order::OrderPurpose;
use domain::ports::{
    BookOrder, BookPosition, BookTrade, Broker, BrokerBook, BrokerError, BrokerEvent, MarketEvent,
};
use domain::time::ist_hms;
use domain::{
    Candle, Decimal, ExitReason, Fill, IstDateTime, OptionType, OrderRequest, OrderStatus,
    OrderUpdate, PremiumSource, Segment, Side, Signal, Tick, Timeframe, Trade,
};
use engine::checkpoint::Checkpoint;
use engine::control::Command;
use engine::settings::{EngineSettings, Instrument};
use engine::{Engine, EngineEvent, EngineParts, Mode};
use journal::SharedJournal;
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};
use strategy::{Evaluation, SignalOrigin, Strategy};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

fn at(h: u32, m: u32, s: u32) -> IstDateTime {
    ist_hms(day(), h, m, s)
}

const SHORT_STRIKE: Decimal = dec!(23000);
const HEDGE_STRIKE: Decimal = dec!(22900);
/// NIFTY's lot in June 2024.
const LOT: u32 = 25;

/// `BUY_CE` on the completed 1-minute candles starting at these minutes past 09:00, else
/// hold.
struct SignalsAt(Vec<u32>);

impl Strategy for SignalsAt {
    fn name(&self) -> &'static str {
        "signals_at"
    }
    fn timeframe(&self) -> Timeframe {
        Timeframe::from_minutes(1).unwrap()
    }
    fn on_candle(&mut self, c: &Candle) -> Evaluation {
        use chrono::Timelike;
        let hit = c.start.hour() == 9 && self.0.contains(&c.start.minute());
        Evaluation {
            signal: if hit { Signal::BuyCe } else { Signal::Hold },
            origin: SignalOrigin::Fresh,
            indicators: vec![],
            stop_points: None,
        }
    }
}

/// Which leg of the spread an order is on (by its strike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leg {
    Short,
    Hedge,
}

fn leg_of(r: &OrderRequest) -> Leg {
    assert_eq!(
        r.contract.option_type,
        OptionType::PE,
        "a BUY_CE view trades PEs: {}",
        r.contract.tradingsymbol
    );
    match r.contract.strike {
        s if s == SHORT_STRIKE => Leg::Short,
        s if s == HEDGE_STRIKE => Leg::Hedge,
        s => panic!(
            "an order on strike {s}, neither leg: {}",
            r.contract.tradingsymbol
        ),
    }
}

/// The premium of a leg, ₹ (fills and marks alike: the spread's value stays at its credit,
/// so no spread stop or target fires by itself).
fn premium(strike: Decimal) -> Decimal {
    if strike == SHORT_STRIKE {
        dec!(100)
    } else if strike == HEDGE_STRIKE {
        dec!(40)
    } else {
        dec!(10)
    }
}

/// An order as the scripted broker keeps it.
#[derive(Debug, Clone)]
struct BrokerOrder {
    bid: String,
    request: OrderRequest,
    leg: Leg,
    status: OrderStatus,
    filled: u32,
    updated: IstDateTime,
}

/// The scripted broker's book. Orders fill at once at their leg's premium unless their
/// `(leg, side)` is held (they stay OPEN until [`Desk::release`]) or rejected.
#[derive(Default)]
struct Desk {
    orders: Vec<BrokerOrder>,
    events: Vec<BrokerEvent>,
    hold: Vec<(Leg, Side)>,
    reject: Vec<(Leg, Side)>,
    /// Every call, in order: `place BUY ENTRY HEDGE -> B0 OPEN`, `fill B0`, ...
    log: Vec<String>,
}

impl Desk {
    fn update(o: &BrokerOrder) -> BrokerEvent {
        BrokerEvent::Order(OrderUpdate {
            id: o.request.id,
            broker_order_id: Some(o.bid.clone()),
            status: o.status,
            filled_quantity: o.filled,
            average_price: (o.filled > 0).then(|| premium(o.request.contract.strike)),
            message: (o.status == OrderStatus::Rejected).then(|| "RMS: rejected by script".into()),
            ts: o.updated,
        })
    }

    /// Order `k` fills in full at `ts`.
    fn fill(&mut self, k: usize, ts: IstDateTime) {
        let o = &mut self.orders[k];
        let quantity = o.request.quantity - o.filled;
        o.filled = o.request.quantity;
        o.status = OrderStatus::Complete;
        o.updated = ts;
        let o = o.clone();
        self.events.push(BrokerEvent::Fill(Fill {
            order_id: o.request.id,
            fill_id: format!("{}-T", o.bid),
            ts,
            tradingsymbol: o.request.contract.tradingsymbol.clone(),
            side: o.request.side,
            quantity,
            price: premium(o.request.contract.strike),
            reference_price: premium(o.request.contract.strike),
            premium_source: PremiumSource::Market,
        }));
        self.events.push(Self::update(&o));
        self.log.push(format!("fill {}", o.bid));
        self.check_invariant();
    }

    /// Every held order of `(leg, side)` fills at `ts`; holding that pair stops.
    fn release(&mut self, leg: Leg, side: Side, ts: IstDateTime) {
        self.hold.retain(|h| *h != (leg, side));
        let open: Vec<usize> = (0..self.orders.len())
            .filter(|k| {
                let o = &self.orders[*k];
                o.leg == leg && o.request.side == side && !o.status.is_terminal()
            })
            .collect();
        assert!(!open.is_empty(), "no {leg:?} {side:?} order is working");
        for k in open {
            self.fill(k, ts);
        }
    }

    /// Units of `leg` on `side` that may end up filled: all of a working order, what filled
    /// of a finished one (`worst`), or only what filled.
    fn units(&self, leg: Leg, side: Side, worst: bool) -> i64 {
        self.orders
            .iter()
            .filter(|o| o.leg == leg && o.request.side == side)
            .map(|o| {
                let q = if worst && !o.status.is_terminal() {
                    o.request.quantity
                } else {
                    o.filled
                };
                i64::from(q)
            })
            .sum()
    }

    /// Never a naked short: the short that may be sold (sells filled or working, less the
    /// buy-backs filled) is covered by the hedge that is surely held (buys filled, less the
    /// sells filled or working).
    fn check_invariant(&self) {
        let short =
            self.units(Leg::Short, Side::Sell, true) - self.units(Leg::Short, Side::Buy, false);
        let hedge =
            self.units(Leg::Hedge, Side::Buy, false) - self.units(Leg::Hedge, Side::Sell, true);
        assert!(
            short <= hedge,
            "naked short: {short} short units against {hedge} hedge units; broker calls: {:#?}",
            self.log
        );
    }

    /// The placements, in order: (leg, side, purpose, quantity).
    fn placed(&self) -> Vec<(Leg, Side, OrderPurpose, u32)> {
        self.orders
            .iter()
            .map(|o| (o.leg, o.request.side, o.request.purpose, o.request.quantity))
            .collect()
    }

    fn book(&self) -> BrokerBook {
        let mut b = BrokerBook::default();
        for o in &self.orders {
            let r = &o.request;
            b.orders.push(BookOrder {
                broker_order_id: o.bid.clone(),
                tag: Some(r.tag.clone()),
                tradingsymbol: r.contract.tradingsymbol.clone(),
                side: r.side,
                order_type: "MARKET".into(),
                product: r.product,
                quantity: r.quantity,
                filled_quantity: o.filled,
                average_price: (o.filled > 0).then(|| premium(r.contract.strike)),
                trigger_price: None,
                status: o.status,
                message: None,
                updated: o.updated,
            });
            if o.filled > 0 {
                b.trades.push(BookTrade {
                    trade_id: format!("{}-T", o.bid),
                    broker_order_id: o.bid.clone(),
                    tradingsymbol: r.contract.tradingsymbol.clone(),
                    side: r.side,
                    quantity: o.filled,
                    price: premium(r.contract.strike),
                    ts: o.updated,
                });
                let sign = if r.side == Side::Buy { 1 } else { -1 };
                let q = sign * i64::from(o.filled);
                match b
                    .positions
                    .iter_mut()
                    .find(|p| p.tradingsymbol == r.contract.tradingsymbol)
                {
                    Some(p) => p.quantity += q,
                    None => b.positions.push(BookPosition {
                        tradingsymbol: r.contract.tradingsymbol.clone(),
                        product: r.product,
                        quantity: q,
                    }),
                }
            }
        }
        b
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
        let bid = format!("B{}", d.orders.len());
        let leg = leg_of(r);
        let pair = (leg, r.side);
        let status = if d.reject.contains(&pair) {
            OrderStatus::Rejected
        } else {
            OrderStatus::Open
        };
        d.orders.push(BrokerOrder {
            bid: bid.clone(),
            request: r.clone(),
            leg,
            status,
            filled: 0,
            updated: r.created,
        });
        d.log.push(format!(
            "place {} {} {leg:?} x{} -> {bid} {status:?}",
            r.side.code(),
            r.purpose.code(),
            r.quantity
        ));
        d.check_invariant();
        let o = d.orders.last().unwrap().clone();
        d.events.push(Desk::update(&o));
        if status == OrderStatus::Open && !d.hold.contains(&pair) {
            let k = d.orders.len() - 1;
            d.fill(k, r.created);
        }
        Ok(bid)
    }
    async fn cancel_order(&mut self, bid: &str) -> Result<(), BrokerError> {
        let mut d = self.0.lock().unwrap();
        d.log.push(format!("cancel {bid}"));
        let Some(o) = d
            .orders
            .iter_mut()
            .find(|o| o.bid == bid && !o.status.is_terminal())
        else {
            return Err(BrokerError::Rejected(format!("{bid} is not open")));
        };
        o.status = OrderStatus::Cancelled;
        let o = o.clone();
        d.events.push(Desk::update(&o));
        d.check_invariant();
        Ok(())
    }
    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        let mut d = self.0.lock().unwrap();
        d.check_invariant();
        Ok(std::mem::take(&mut d.events))
    }
    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError> {
        let d = self.0.lock().unwrap();
        Ok(d.orders
            .iter()
            .find(|o| o.request.tag == tag)
            .map(|o| o.bid.clone()))
    }
    async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
        let d = self.0.lock().unwrap();
        d.check_invariant();
        Ok(d.book())
    }
}

/// Each leg marked at its own premium.
struct LegMarks;

impl domain::ports::PremiumMarks for LegMarks {
    fn mark(
        &mut self,
        c: &domain::OptionContract,
        _: Decimal,
        _: IstDateTime,
    ) -> Option<(Decimal, PremiumSource)> {
        Some((premium(c.strike), PremiumSource::Market))
    }
}

/// NIFTY only, a hedged short of 1 lot at the ATM strike, no pyramid; `BUY_CE` on the
/// candles starting at `signals` minutes past 09:00.
fn settings(signals: &[u32]) -> EngineSettings {
    let mut c = Config::default();
    c.engine.segments = vec![Segment::Nifty];
    c.risk.max_daily_loss_pct = Decimal::ZERO;
    let mut s = c.engine_settings();
    let signals = signals.to_vec();
    s.strategy = Arc::new(move || Ok(Box::new(SignalsAt(signals.clone()))));
    s.segments[0].instrument = Instrument::HedgedShort;
    s.segments[0].initial_lots = 1;
    s.segments[0].pyramid = None;
    s.segments[0].selection.itm_offset = Decimal::ZERO;
    s
}

fn engine(settings: EngineSettings, desk: &Arc<Mutex<Desk>>, journal: &SharedJournal) -> Engine {
    let cal = MarketCalendar::builtin();
    let mut engine = Engine::new(EngineParts {
        settings,
        mode: Mode::Live,
        date: day(),
        broker: Box::new(ScriptedBroker(desk.clone())),
        marks: Box::new(LegMarks),
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
    engine
}

struct Run {
    engine: Engine,
    desk: Arc<Mutex<Desk>>,
    journal: SharedJournal,
    rt: tokio::runtime::Runtime,
}

impl Run {
    fn new(signals: &[u32], desk: Desk) -> Self {
        let desk = Arc::new(Mutex::new(desk));
        let journal = SharedJournal::default();
        let engine = engine(settings(signals), &desk, &journal);
        Self::with(engine, desk, journal)
    }

    fn with(engine: Engine, desk: Arc<Mutex<Desk>>, journal: SharedJournal) -> Self {
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

    fn tick(&mut self, (h, m, s): (u32, u32, u32)) {
        self.tick_at(at(h, m, s));
    }

    fn tick_at(&mut self, ts: IstDateTime) {
        let ev = MarketEvent::Tick(Tick {
            token: domain::Index::Nifty.token(),
            ts,
            price: dec!(23000),
            volume: None,
        });
        self.rt.block_on(self.engine.handle(ev)).unwrap();
    }

    /// The entry: the 09:20 candle completes at 09:21:00 (the entry window opens at 09:20).
    fn enter(&mut self) {
        self.tick((9, 20, 0));
        self.tick((9, 21, 0));
    }

    fn command(&mut self, c: Command) {
        self.rt.block_on(self.engine.command(c)).unwrap();
    }

    fn desk(&self) -> std::sync::MutexGuard<'_, Desk> {
        self.desk.lock().unwrap()
    }

    fn placed(&self) -> Vec<(Leg, Side, OrderPurpose, u32)> {
        self.desk().placed()
    }

    fn trades(&self) -> Vec<Trade> {
        let j = self.journal.snapshot().trades;
        assert_eq!(j, self.engine.report().trades, "journal and engine agree");
        j
    }

    fn state(&self) -> String {
        self.engine.snapshot().segments[0].state.clone()
    }

    fn events(&self, e: EngineEvent) -> Vec<String> {
        self.engine
            .events()
            .iter()
            .filter(|r| r.event == e)
            .map(|r| r.message.clone())
            .collect()
    }

    /// What went on, for failure messages.
    fn story(&self) -> String {
        let events: Vec<String> = self
            .engine
            .events()
            .iter()
            .map(|r| format!("{} {:?}: {}", r.ts.time(), r.event, r.message))
            .collect();
        format!("broker: {:#?}\nengine: {:#?}", self.desk().log, events)
    }
}

use Leg::{Hedge, Short};
use OrderPurpose::{Entry, Exit};
use Side::{Buy, Sell};

/// The legs' two rows of one spread: `(hedge, short)`.
fn rows(trades: &[Trade]) -> (Trade, Trade) {
    assert_eq!(trades.len(), 2, "two rows per spread: {trades:#?}");
    let h = trades
        .iter()
        .find(|t| t.trade_id.ends_with("-H"))
        .expect("a -H row");
    let s = trades
        .iter()
        .find(|t| t.trade_id.ends_with("-S"))
        .expect("an -S row");
    assert_eq!(
        h.trade_id.strip_suffix("-H"),
        s.trade_id.strip_suffix("-S"),
        "one spread"
    );
    (h.clone(), s.clone())
}

/// Entries stop (by `stop`) while the hedge's buy works; then it fills.
fn stopped_between_the_legs(stop: Command) -> Run {
    let desk = Desk {
        hold: vec![(Hedge, Buy)],
        ..Desk::default()
    };
    let mut run = Run::new(&[20], desk);
    run.enter();
    run.tick((9, 21, 10));
    assert_eq!(
        run.placed(),
        vec![(Hedge, Buy, Entry, LOT)],
        "{}",
        run.story()
    );
    run.command(stop);
    run.tick((9, 21, 20));
    run.desk().release(Hedge, Buy, at(9, 21, 25));
    for s in [30, 40, 50] {
        run.tick((9, 21, s));
    }
    run.tick((9, 22, 0));
    run.tick((9, 23, 0));
    run
}

fn assert_leg_failed_with_the_hedge_sold(run: &Run) {
    let story = run.story();
    assert_eq!(
        run.placed(),
        vec![(Hedge, Buy, Entry, LOT), (Hedge, Sell, Exit, LOT)],
        "the hedge sold, no short ever: {story}"
    );
    assert!(
        run.placed().iter().all(|o| o.0 != Short),
        "no order on the short leg: {story}"
    );
    let trades = run.trades();
    assert!(
        !trades.is_empty(),
        "the hedge's round trip is a trade: {story}"
    );
    assert!(
        trades
            .iter()
            .all(|t| t.exit_reason == ExitReason::LegFailed),
        "{trades:#?}"
    );
    let h = trades
        .iter()
        .find(|t| t.trade_id.ends_with("-H"))
        .expect("a hedge row");
    assert_eq!(
        (h.quantity, h.entry_price, h.exit_price),
        (LOT, dec!(40), dec!(40))
    );
    assert_eq!(h.strike_price, HEDGE_STRIKE);
    // No short was sold: the hedge's row is the spread's only row.
    assert_eq!(trades.len(), 1, "{trades:#?}");
    assert!(!run.engine.has_outstanding(), "{story}");
    assert!(
        run.events(EngineEvent::EntryFailed)
            .iter()
            .any(|m| m.contains("closing what filled")),
        "{story}"
    );
}

#[test]
fn the_kill_switch_between_the_legs_never_sells_the_short_and_sells_the_hedge() {
    let run = stopped_between_the_legs(Command::Pause);
    assert_leg_failed_with_the_hedge_sold(&run);
    assert!(
        run.events(EngineEvent::EntryFailed)
            .iter()
            .any(|m| m.contains("kill switch on")),
        "{}",
        run.story()
    );
}

#[test]
fn an_operator_stop_between_the_legs_never_sells_the_short_and_sells_the_hedge() {
    let run = stopped_between_the_legs(Command::StopEntries { close_all: false });
    assert_leg_failed_with_the_hedge_sold(&run);
}

#[test]
fn a_rejected_hedge_sells_no_short_and_the_agent_waits_for_the_next_signal() {
    let desk = Desk {
        reject: vec![(Hedge, Buy)],
        ..Desk::default()
    };
    // BUY_CE on the 09:20 and the 09:25 candles.
    let mut run = Run::new(&[20, 25], desk);
    run.enter();
    run.tick((9, 21, 10));
    run.tick((9, 22, 0));
    let story = run.story();
    assert_eq!(run.placed(), vec![(Hedge, Buy, Entry, LOT)], "{story}");
    assert!(run.trades().is_empty(), "{story}");
    assert_eq!(run.state(), "WAITING_FOR_SIGNAL", "{story}");
    assert!(run.engine.snapshot().segments[0].position.is_none());
    assert!(!run.engine.has_outstanding());
    // The next signal enters again, the whole spread this time.
    run.desk().reject.clear();
    run.tick((9, 25, 0));
    run.tick((9, 26, 0));
    run.tick((9, 26, 10));
    run.tick((9, 26, 20));
    let story = run.story();
    assert_eq!(
        run.placed(),
        vec![
            (Hedge, Buy, Entry, LOT),
            (Hedge, Buy, Entry, LOT),
            (Short, Sell, Entry, LOT)
        ],
        "{story}"
    );
    assert_eq!(run.state(), "IN_POSITION", "{story}");
    assert!(run.trades().is_empty());
}

#[test]
fn a_rejected_short_sells_the_hedge_with_leg_failed() {
    let desk = Desk {
        reject: vec![(Short, Sell)],
        ..Desk::default()
    };
    let mut run = Run::new(&[20], desk);
    run.enter();
    for s in [10, 20, 30, 40] {
        run.tick((9, 21, s));
    }
    run.tick((9, 22, 0));
    let story = run.story();
    assert_eq!(
        run.placed(),
        vec![
            (Hedge, Buy, Entry, LOT),
            (Short, Sell, Entry, LOT),
            (Hedge, Sell, Exit, LOT)
        ],
        "{story}"
    );
    let trades = run.trades();
    assert!(!trades.is_empty(), "{story}");
    assert!(
        trades
            .iter()
            .all(|t| t.exit_reason == ExitReason::LegFailed),
        "{trades:#?}"
    );
    let h = trades
        .iter()
        .find(|t| t.trade_id.ends_with("-H"))
        .expect("a hedge row");
    assert_eq!(h.quantity, LOT);
    // The rejected short sold nothing: the hedge's row is the spread's only row.
    assert_eq!(trades.len(), 1, "{trades:#?}");
    assert!(!run.engine.has_outstanding(), "{story}");
    assert_eq!(run.state(), "WAITING_FOR_SIGNAL", "{story}");
}

/// A whole spread with nothing held: hedge, short, then (at the close) the short bought
/// back and the hedge sold, two rows.
#[test]
fn a_closed_spread_orders_its_legs_hedge_short_short_hedge() {
    let mut run = Run::new(&[20], Desk::default());
    run.enter();
    run.tick((9, 21, 10));
    run.tick((9, 21, 20));
    run.command(Command::ClosePosition {
        segment: Segment::Nifty,
    });
    for s in [30, 40, 50] {
        run.tick((9, 21, s));
    }
    run.tick((9, 22, 0));
    let story = run.story();
    assert_eq!(
        run.placed(),
        vec![
            (Hedge, Buy, Entry, LOT),
            (Short, Sell, Entry, LOT),
            (Short, Buy, Exit, LOT),
            (Hedge, Sell, Exit, LOT)
        ],
        "{story}"
    );
    let (h, s) = rows(&run.trades());
    assert_eq!(
        (h.exit_reason, s.exit_reason),
        (ExitReason::Manual, ExitReason::Manual)
    );
    assert_eq!((h.quantity, s.quantity), (LOT, LOT));
    assert_eq!(
        (s.strike_price, h.strike_price),
        (SHORT_STRIKE, HEDGE_STRIKE)
    );
    assert!(!run.engine.has_outstanding());
}

#[test]
fn a_restart_while_the_short_is_bought_back_sells_the_hedge_only_after_the_buy_back() {
    let desk = Desk {
        hold: vec![(Short, Buy)],
        ..Desk::default()
    };
    let mut run = Run::new(&[20], desk);
    run.enter();
    run.tick((9, 21, 10));
    run.tick((9, 21, 20));
    run.command(Command::ClosePosition {
        segment: Segment::Nifty,
    });
    run.tick((9, 21, 30));
    run.tick((9, 21, 40));
    let story = run.story();
    let working = vec![
        (Hedge, Buy, Entry, LOT),
        (Short, Sell, Entry, LOT),
        (Short, Buy, Exit, LOT),
    ];
    assert_eq!(run.placed(), working, "the buy-back works: {story}");
    assert!(run.engine.has_outstanding());
    assert!(run.trades().is_empty());

    // The checkpoint, through its file format; the process ends.
    let json = serde_json::to_string(&run.engine.checkpoint()).unwrap();
    let Run { desk, .. } = run;
    let cp: Checkpoint = serde_json::from_str(&json).unwrap();

    // A new engine on the same broker account.
    let journal = SharedJournal::default();
    let mut engine = engine(settings(&[20]), &desk, &journal);
    let restored = engine.restore(cp).unwrap();
    assert_eq!((restored.positions, restored.working_orders), (1, 1));
    let mut run = Run::with(engine, desk, journal);
    let mismatches = run.rt.block_on(run.engine.reconcile(None)).unwrap();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    run.tick((9, 22, 0));
    run.tick((9, 22, 10));
    assert_eq!(
        run.placed(),
        working,
        "no hedge sell before the buy-back: {}",
        run.story()
    );
    run.desk().release(Short, Buy, at(9, 22, 15));
    run.tick((9, 22, 20));
    run.tick((9, 22, 30));
    run.tick((9, 22, 40));
    let story = run.story();
    let mut done = working.clone();
    done.push((Hedge, Sell, Exit, LOT));
    assert_eq!(run.placed(), done, "{story}");
    {
        let d = run.desk();
        let fill = d
            .log
            .iter()
            .position(|l| l == "fill B2")
            .expect("the buy-back fill");
        let sell = d
            .log
            .iter()
            .position(|l| l.starts_with("place SELL EXIT Hedge"))
            .expect("the hedge sell");
        assert!(fill < sell, "{story}");
    }
    let (h, s) = rows(&run.trades());
    assert_eq!(
        (h.exit_reason, s.exit_reason),
        (ExitReason::Manual, ExitReason::Manual)
    );
    assert_eq!((h.quantity, s.quantity), (LOT, LOT));
    assert_eq!((s.entry_price, s.exit_price), (dec!(100), dec!(100)));
    assert_eq!((h.entry_price, h.exit_price), (dec!(40), dec!(40)));
    assert!(!run.engine.has_outstanding(), "{story}");
    assert_eq!(run.state(), "WAITING_FOR_SIGNAL", "{story}");
}

/// The checker itself: a short sold with no hedge held is caught at the placement.
#[test]
#[should_panic(expected = "naked short")]
fn the_scripted_broker_catches_a_naked_short() {
    let desk = Arc::new(Mutex::new(Desk::default()));
    let journal = SharedJournal::default();
    let run = Run::with(engine(settings(&[]), &desk, &journal), desk, journal);
    let contracts = CalendarContracts::new(
        ExpiryCalendar::new(MarketCalendar::builtin()),
        LotSizes::builtin(),
    );
    let contract = domain::ports::ContractSource::option_contract(
        &contracts,
        Segment::Nifty,
        day(),
        SHORT_STRIKE,
        OptionType::PE,
        false,
    )
    .unwrap();
    let request = OrderRequest {
        id: domain::OrderId(1),
        tag: "T1".into(),
        contract,
        side: Sell,
        quantity: LOT,
        kind: domain::OrderKind::Market,
        product: domain::Product::MIS,
        purpose: Entry,
        created: at(9, 21, 0),
    };
    let mut broker = ScriptedBroker(run.desk.clone());
    run.rt.block_on(broker.place_order(&request)).unwrap();
}

/// What the scripted broker does with one `(leg, side)`: fill at once, hold OPEN, reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Fill,
    Hold,
    Reject,
}

fn script() -> impl proptest::strategy::Strategy<Value = Script> {
    proptest::prop_oneof![
        proptest::strategy::Just(Script::Fill),
        proptest::strategy::Just(Script::Hold),
        proptest::strategy::Just(Script::Reject),
    ]
}

impl Desk {
    /// Every working order fills at `ts`; nothing is held any more.
    fn release_all(&mut self, ts: IstDateTime) {
        self.hold.clear();
        let open: Vec<usize> = (0..self.orders.len())
            .filter(|k| !self.orders[*k].status.is_terminal())
            .collect();
        for k in open {
            self.fill(k, ts);
        }
    }
}

/// One random day: the entries' fate (`hedge_buy`, `short_sell`), the exits' orders held or
/// not, the kill switch, a manual close and the release of held orders at random ticks
/// (`None`: never); then everything is released and the position closed.
fn random_spread(
    hedge_buy: Script,
    short_sell: Script,
    hold_exits: (bool, bool),
    pause_at: Option<u32>,
    close_at: Option<u32>,
    release_at: u32,
) -> Run {
    let mut desk = Desk::default();
    for (pair, s) in [((Hedge, Buy), hedge_buy), ((Short, Sell), short_sell)] {
        match s {
            Script::Fill => {}
            Script::Hold => desk.hold.push(pair),
            Script::Reject => desk.reject.push(pair),
        }
    }
    if hold_exits.0 {
        desk.hold.push((Short, Buy));
    }
    if hold_exits.1 {
        desk.hold.push((Hedge, Sell));
    }
    let mut run = Run::new(&[20], desk);
    run.enter();
    let close = Command::ClosePosition {
        segment: Segment::Nifty,
    };
    for k in 0..12u32 {
        let t = at(9, 21, 10) + chrono::TimeDelta::seconds(10 * i64::from(k));
        if pause_at == Some(k) {
            run.desk().log.push("PAUSE".into());
            run.command(Command::Pause);
        }
        if close_at == Some(k) {
            // Nothing to close (no position, or closing already) is refused: fine.
            let _ = run.rt.block_on(run.engine.command(close.clone()));
        }
        if release_at == k {
            run.desk().release_all(t - chrono::TimeDelta::seconds(5));
        }
        run.tick_at(t);
    }
    run.desk().release_all(at(9, 23, 55));
    let _ = run.rt.block_on(run.engine.command(close));
    for s in [0, 10, 20, 30, 40, 50] {
        run.tick((9, 24, s));
    }
    run
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

    /// Whatever fills, waits or fails, whenever the kill switch or a close comes: never a
    /// naked short (checked at every broker call), no short sold once entries stopped before
    /// the hedge filled, none after a rejected hedge, and in the end both legs flat, nothing
    /// working, the rows in `-H`/`-S` pairs (the `-H` row alone when no short was sold).
    #[test]
    fn the_short_never_outruns_its_hedge(
        hedge_buy in script(),
        short_sell in script(),
        hold_exits in (proptest::bool::ANY, proptest::bool::ANY),
        pause_at in proptest::option::of(0u32..12),
        close_at in proptest::option::of(0u32..12),
        release_at in 0u32..12,
    ) {
        let run = random_spread(hedge_buy, short_sell, hold_exits, pause_at, close_at, release_at);
        let story = run.story();
        let d = run.desk();
        let short_placed = d.orders.iter().any(|o| o.leg == Short);
        if hedge_buy == Script::Reject {
            proptest::prop_assert!(!short_placed, "{}", story);
        }
        let paused = d.log.iter().position(|l| l == "PAUSE");
        let hedge_filled = d.log.iter().position(|l| l == "fill B0");
        if let (Some(p), Some(f)) = (paused, hedge_filled) && p < f {
            proptest::prop_assert!(!short_placed, "paused before the hedge filled: {}", story);
        }
        // Flat at the broker, nothing working.
        proptest::prop_assert!(d.orders.iter().all(|o| o.status.is_terminal()), "{}", story);
        proptest::prop_assert_eq!(
            d.units(Short, Sell, false), d.units(Short, Buy, false), "{}", story
        );
        proptest::prop_assert_eq!(
            d.units(Hedge, Buy, false), d.units(Hedge, Sell, false), "{}", story
        );
        let hedge_bought = d.units(Hedge, Buy, false);
        let short_sold = d.units(Short, Sell, false);
        drop(d);
        proptest::prop_assert!(!run.engine.has_outstanding(), "{}", story);
        let trades = run.trades();
        if hedge_bought == 0 {
            proptest::prop_assert!(trades.is_empty(), "{:#?} {}", trades, story);
        } else if short_sold > 0 {
            let (h, _) = rows(&trades);
            proptest::prop_assert_eq!(h.quantity, LOT);
        } else {
            // Closed before the short was sold: the hedge's row only.
            proptest::prop_assert_eq!(trades.len(), 1, "{:#?} {}", trades, story);
            proptest::prop_assert!(trades[0].trade_id.ends_with("-H"));
            proptest::prop_assert_eq!(trades[0].quantity, LOT);
        }
    }
}

/// The status card says what its LTP is the price of: the index for options and spreads, the
/// near-month future for an index agent trading its underlying (it watches the future).
#[test]
fn the_card_names_what_the_agent_watches() {
    let watches = |instrument| {
        let mut s = settings(&[]);
        s.segments[0].instrument = instrument;
        let desk = Arc::new(Mutex::new(Desk::default()));
        engine(s, &desk, &SharedJournal::default())
            .snapshot()
            .segments[0]
            .watches
    };
    assert_eq!(watches(Instrument::HedgedShort), "INDEX");
    assert_eq!(watches(Instrument::Option), "INDEX");
    assert_eq!(watches(Instrument::Underlying), "FUTURE");
}
