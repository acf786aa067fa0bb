//! The engine against scripted brokers and random markets: order-flow guarantees of spec
//! §10.2 and the invariants of issue 4 (pyramiding, stop coverage, caps, halts).
//!
//! (About 700 lines in one file: every scenario shares the scripted brokers and the engine
//! builders at the top, and reads best next to them.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use catalog::replay::{CalendarContracts, ReplayFeed};
use chrono::{NaiveDate, TimeDelta};
use config::Config;
use domain::calendar::{ExpiryCalendar, LotSizes, MarketCalendar};
use domain::charges::ChargesSchedule;
use domain::ports::{Broker, BrokerError, BrokerEvent, HistoricalData, HistoryError};
use domain::time::ist_hms;
use domain::{Bar, Decimal, Fill, OrderRequest, OrderStatus, OrderUpdate, PremiumSource, Segment};
use engine::Mode;
use engine::{Engine, EngineParts};
use engine::{EngineEvent, EventRecord};
use journal::{Journal, JournalError, MemoryJournal, SharedJournal};
use proptest::prelude::*;
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

/// A day of 1-minute NIFTY bars from a path of minute-to-minute moves (index points).
fn bars(date: NaiveDate, start: i64, moves: &[i64]) -> Vec<Bar> {
    let mut p = start;
    moves
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let open = p;
            let close = p + m;
            p = close;
            Bar {
                ts: ist_hms(date, 9, 15, 0) + TimeDelta::minutes(i as i64),
                open: Decimal::from(open),
                high: Decimal::from(open.max(close) + 3),
                low: Decimal::from(open.min(close) - 3),
                close: Decimal::from(close),
                volume: None,
            }
        })
        .collect()
}

/// A zig-zag day that produces several crossovers.
fn zigzag() -> Vec<i64> {
    (0..375)
        .map(|i| if (i / 20) % 2 == 0 { 4 } else { -4 })
        .collect()
}

struct NoHistory;

#[async_trait]
impl HistoricalData for NoHistory {
    async fn sessions_before(
        &self,
        _: Segment,
        _: NaiveDate,
        _: usize,
    ) -> Result<Vec<Vec<Bar>>, HistoryError> {
        Ok(vec![])
    }
}

/// What the scripted broker does with each placement.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Script {
    /// Accept and fill at ₹100.
    Fill,
    /// Time out (outcome unknown) but the order exists at the broker and fills.
    TimeoutButPlaced,
    /// Reject entries (sells still fill).
    RejectBuys,
    /// Every placement fails with an invalid session (HTTP 403 TokenException).
    SessionExpired,
    /// Accept at once; updates and fills reach the engine only after this many further
    /// polls (a live broker whose socket lags the market feed by that many ticks).
    Late(u32),
}

#[derive(Default)]
struct Book {
    placed: Vec<OrderRequest>,
    events: Vec<BrokerEvent>,
    /// Events held back: (polls left, event).
    late: Vec<(u32, BrokerEvent)>,
}

#[derive(Clone)]
struct ScriptedBroker {
    script: Script,
    book: Arc<Mutex<Book>>,
}

impl ScriptedBroker {
    fn fill(book: &mut Book, req: &OrderRequest) {
        let id = format!("B{}", book.placed.len());
        let upd = |status, filled, avg| OrderUpdate {
            id: req.id,
            broker_order_id: Some(id.clone()),
            status,
            filled_quantity: filled,
            average_price: avg,
            message: None,
            ts: req.created,
        };
        book.events
            .push(BrokerEvent::Order(upd(OrderStatus::Open, 0, None)));
        book.events.push(BrokerEvent::Fill(Fill {
            order_id: req.id,
            fill_id: format!("{id}-1"),
            ts: req.created,
            tradingsymbol: req.contract.tradingsymbol.clone(),
            side: req.side,
            quantity: req.quantity,
            price: dec!(100),
            reference_price: dec!(100),
            premium_source: PremiumSource::Market,
        }));
        book.events.push(BrokerEvent::Order(upd(
            OrderStatus::Complete,
            req.quantity,
            Some(dec!(100)),
        )));
    }
}

#[async_trait]
impl Broker for ScriptedBroker {
    fn name(&self) -> &str {
        "scripted"
    }
    async fn place_order(&mut self, req: &OrderRequest) -> Result<String, BrokerError> {
        let mut book = self.book.lock().unwrap();
        if self.script == Script::RejectBuys && req.side == domain::Side::Buy {
            return Err(BrokerError::Rejected("RMS: margin exceeds".into()));
        }
        if self.script == Script::SessionExpired {
            book.placed.push(req.clone());
            return Err(BrokerError::SessionInvalid("TokenException: 403".into()));
        }
        book.placed.push(req.clone());
        Self::fill(&mut book, req);
        if let Script::Late(n) = self.script {
            let evs = std::mem::take(&mut book.events);
            book.late.extend(evs.into_iter().map(|e| (n, e)));
        }
        match self.script {
            Script::TimeoutButPlaced => Err(BrokerError::Unknown("timed out after 7s".into())),
            _ => Ok(format!("B{}", book.placed.len() - 1)),
        }
    }
    async fn cancel_order(&mut self, _: &str) -> Result<(), BrokerError> {
        Ok(())
    }
    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        let mut book = self.book.lock().unwrap();
        let mut out = std::mem::take(&mut book.events);
        let late = std::mem::take(&mut book.late);
        for (n, e) in late {
            if n == 0 {
                out.push(e);
            } else {
                book.late.push((n - 1, e));
            }
        }
        Ok(out)
    }
    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError> {
        let book = self.book.lock().unwrap();
        Ok(book
            .placed
            .iter()
            .position(|r| r.tag == tag)
            .map(|i| format!("B{i}")))
    }
}

/// Marks that follow the index one for one (delta 1): ₹100 + index − 23,000, from the source
/// given.
struct LinearMarks(PremiumSource);

impl domain::ports::PremiumMarks for LinearMarks {
    fn mark(
        &mut self,
        _: &domain::OptionContract,
        underlying: Decimal,
        _: domain::IstDateTime,
    ) -> Option<(Decimal, PremiumSource)> {
        Some((
            (underlying - dec!(23000) + dec!(100)).max(dec!(0.05)),
            self.0,
        ))
    }
}

/// An engine for `day()` over the scripted `broker`, with marks that follow the index.
fn build(config: Config, broker: Box<dyn Broker>) -> (Engine, SharedJournal) {
    let j = SharedJournal::default();
    (build_with(config, broker, Box::new(j.clone())), j)
}

/// An engine for `day()` over `broker`, journaling to `journal`.
fn build_with(config: Config, broker: Box<dyn Broker>, journal: Box<dyn Journal>) -> Engine {
    // Market-like marks: the scripted fills are market fills (a model mark never marks units
    // bought at market, `SegmentAgent::track`).
    let source = PremiumSource::Market;
    let cal = MarketCalendar::builtin();
    Engine::new(EngineParts {
        settings: config.engine_settings(),
        mode: Mode::Replay,
        date: day(),
        broker,
        marks: Box::new(LinearMarks(source)),
        contracts: Box::new(CalendarContracts::new(
            ExpiryCalendar::new(cal.clone()),
            LotSizes::builtin(),
        )),
        journal,
        calendar: cal,
        charges: ChargesSchedule::builtin(),
        waits: None,
    })
    .unwrap()
}

/// Run the day on `engine`: its typed events.
fn run_engine(mut engine: Engine, moves: &[i64]) -> Vec<EventRecord> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        engine.warm_up(&NoHistory).await.unwrap();
        let mut feed = ReplayFeed::new(
            day(),
            &[(Segment::Nifty, 256265, bars(day(), 23000, moves))],
        );
        engine.run(&mut feed).await.unwrap();
    });
    engine.events().to_vec()
}

fn run_with_events(
    config: Config,
    broker: Box<dyn Broker>,
    moves: &[i64],
) -> (MemoryJournal, Vec<EventRecord>) {
    let (engine, j) = build(config, broker);
    let events = run_engine(engine, moves);
    (j.snapshot(), events)
}

fn run(config: Config, broker: Box<dyn Broker>, moves: &[i64]) -> MemoryJournal {
    run_with_events(config, broker, moves).0
}

/// A journal whose `exit` event lines fail to write.
struct ExitEventsFail(SharedJournal);

impl Journal for ExitEventsFail {
    fn order(&mut self, row: &journal::OrderRow) -> Result<(), JournalError> {
        self.0.order(row)
    }
    fn fill(&mut self, row: &journal::FillRow) -> Result<(), JournalError> {
        self.0.fill(row)
    }
    fn trade(&mut self, trade: &domain::Trade) -> Result<(), JournalError> {
        self.0.trade(trade)
    }
    fn event(&mut self, event: &journal::Event) -> Result<(), JournalError> {
        if event.kind == EngineEvent::Exit.kind() {
            return Err(JournalError::WriterStopped);
        }
        self.0.event(event)
    }
    fn summary(&mut self, summary: &journal::DaySummary) -> Result<(), JournalError> {
        self.0.summary(summary)
    }
}

/// Send, then journal: a journal failing on the exit line never holds the exit back; it is a
/// critical event and every trade still closes through its exit orders.
#[test]
fn journal_failure_on_exit_is_critical_and_the_exit_goes_out() {
    let j = SharedJournal::default();
    let engine = build_with(
        nifty_config(),
        Box::new(ScriptedBroker {
            script: Script::Fill,
            book: Arc::new(Mutex::new(Book::default())),
        }),
        Box::new(ExitEventsFail(j.clone())),
    );
    let events = run_engine(engine, &zigzag());
    let j = j.snapshot();
    assert!(!j.trades.is_empty());
    let critical = events
        .iter()
        .filter(|r| r.event == EngineEvent::Critical && r.message.contains("journal write failed"))
        .count();
    assert_eq!(critical, j.trades.len());
    let sold: u32 = j
        .orders
        .iter()
        .filter(|o| o.side == "SELL" && o.status == "COMPLETE")
        .map(|o| o.filled_quantity)
        .sum();
    let bought: u32 = j.trades.iter().map(|t| t.quantity).sum();
    assert_eq!(sold, bought);
}

fn nifty_config() -> Config {
    let mut c = Config::default();
    c.engine.segments = vec![Segment::Nifty];
    c.risk.max_daily_loss_pct = Decimal::ZERO;
    c
}

/// Spec §10.2: a placement that times out is not a rejection and is never re-sent; the tag
/// lookup finds it and the position proceeds.
#[test]
fn timeout_is_settled_by_tag_without_a_second_order() {
    let book = Arc::new(Mutex::new(Book::default()));
    let broker = ScriptedBroker {
        script: Script::TimeoutButPlaced,
        book: book.clone(),
    };
    let (j, events) = run_with_events(nifty_config(), Box::new(broker), &zigzag());
    let placed = &book.lock().unwrap().placed;
    assert!(!placed.is_empty());
    let mut tags: Vec<&str> = placed.iter().map(|r| r.tag.as_str()).collect();
    let n = tags.len();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), n, "an order was sent twice");
    assert!(
        events
            .iter()
            .any(|e| e.event == EngineEvent::OrderError && e.message.contains("outcome unknown"))
    );
    // Every trade still opened and closed through orders the broker has.
    assert!(!j.trades.is_empty());
    assert_eq!(placed.len(), 2 * j.trades.len());
}

/// A rejected entry is journaled and the agent goes back to waiting for the next signal.
#[test]
fn rejected_entry_returns_to_waiting() {
    let book = Arc::new(Mutex::new(Book::default()));
    let broker = ScriptedBroker {
        script: Script::RejectBuys,
        book: book.clone(),
    };
    let (j, events) = run_with_events(nifty_config(), Box::new(broker), &zigzag());
    assert!(j.trades.is_empty());
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e.event == EngineEvent::EntryFailed)
        .collect();
    assert!(
        failed.len() >= 2,
        "each signal tried again: {}",
        failed.len()
    );
    assert!(
        j.orders
            .iter()
            .any(|o| o.status == "REJECTED" && o.message.contains("RMS"))
    );
}

/// What parity compares (issue 5): everything a trade takes from the index ticks.
fn tick_fields(j: &MemoryJournal) -> Vec<String> {
    j.trades
        .iter()
        .map(|t| {
            format!(
                "{} {} {} {} {} {} {} {} {} {}",
                t.segment.code(),
                t.signal_type.code(),
                domain::time::fmt_iso(&t.entry_time),
                t.index_entry_spot,
                domain::time::fmt_iso(&t.exit_time),
                t.index_exit_spot,
                t.exit_reason.code(),
                t.option_symbol,
                t.strike_price,
                t.lots
            )
        })
        .collect()
}

/// An expired session (403) on an entry: a critical event, and no further entry is tried —
/// the broker-health rule blocks them (spec §7), nothing crashes.
#[test]
fn expired_session_blocks_entries_with_an_alert() {
    let book = Arc::new(Mutex::new(Book::default()));
    let (j, events) = run_with_events(
        nifty_config(),
        Box::new(ScriptedBroker {
            script: Script::SessionExpired,
            book: book.clone(),
        }),
        &zigzag(),
    );
    assert!(j.trades.is_empty());
    assert_eq!(
        book.lock().unwrap().placed.len(),
        1,
        "entries went on after the 403"
    );
    // The refused entry left nothing working: the agent is flat again at once.
    assert!(
        events
            .iter()
            .any(|e| e.event == EngineEvent::EntryFailed && e.message.contains("back to waiting"))
    );
    assert!(
        events
            .iter()
            .any(|e| e.event == EngineEvent::Critical && e.message.contains("session invalid"))
    );
    assert!(
        events
            .iter()
            .any(|e| e.event == EngineEvent::EntrySkipped && e.data["rule"] == "broker_health"),
        "{:?}",
        events
            .iter()
            .filter(|e| e.event == EngineEvent::EntrySkipped)
            .map(|e| e.data.to_string())
            .collect::<Vec<_>>()
    );
}

/// The zig-zag day with fills 6 polls late: same trades as immediate fills, and there are some.
#[test]
fn late_fills_on_a_zigzag_day() {
    let c = nifty_config();
    let now = run(
        c.clone(),
        Box::new(ScriptedBroker {
            script: Script::Fill,
            book: Arc::default(),
        }),
        &zigzag(),
    );
    let (late, late_events) = run_with_events(
        c,
        Box::new(ScriptedBroker {
            script: Script::Late(6),
            book: Arc::default(),
        }),
        &zigzag(),
    );
    assert!(!now.trades.is_empty());
    assert_eq!(tick_fields(&now), tick_fields(&late));
    assert!(late_events.iter().any(|e| e.event == EngineEvent::Exit));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Replay/live parity (spec §10.4): fills that reach the engine several ticks late (a live
    /// broker) give the same trades — entry and exit times, index prices, reasons, contracts,
    /// lots — as immediate fills; the exit still sells exactly what was bought.
    #[test]
    fn late_fills_give_the_same_trades(moves in proptest::collection::vec(-12i64..=12, 375), lag in 1u32..12) {
        let c = nifty_config();
        let now = run(c.clone(), Box::new(ScriptedBroker { script: Script::Fill, book: Arc::default() }), &moves);
        let book = Arc::new(Mutex::new(Book::default()));
        let late = run(c, Box::new(ScriptedBroker { script: Script::Late(lag), book: book.clone() }), &moves);
        prop_assert_eq!(tick_fields(&now), tick_fields(&late));
        for t in &late.trades {
            let sold: u32 = late.orders.iter().filter(|o| o.status == "COMPLETE" && o.side == "SELL"
                && o.tradingsymbol == t.option_symbol).map(|o| o.filled_quantity).sum();
            prop_assert!(sold >= t.quantity);
        }
        let mut tags: Vec<String> = book.lock().unwrap().placed.iter().map(|r| r.tag.clone()).collect();
        let n = tags.len();
        tags.sort();
        tags.dedup();
        prop_assert_eq!(tags.len(), n);
    }

    /// On any market path, with pyramiding on: the exit always sells exactly what was bought
    /// (the stop covers the whole quantity), quantities stay whole lots ≤ max_quantity,
    /// entries ≤ the trade cap, and nothing is entered after a halt.
    #[test]
    fn invariants_on_random_days(moves in proptest::collection::vec(-12i64..=12, 375), loss in 0u32..3000) {
        let mut c = nifty_config();
        c.pyramiding.enabled = true;
        c.risk.max_daily_loss = Decimal::from(loss);
        c.risk.close_on_halt = true;
        let book = Arc::new(Mutex::new(Book::default()));
        let (j, events) = run_with_events(c, Box::new(ScriptedBroker { script: Script::Fill, book }), &moves);
        prop_assert!(j.trades.len() <= 5);
        for t in &j.trades {
            prop_assert_eq!(t.quantity % 25, 0);
            prop_assert!(t.quantity <= 1500);
            let bought: u32 = j.orders.iter().filter(|o| o.status == "COMPLETE" && o.side == "BUY"
                && o.tradingsymbol == t.option_symbol && o.timestamp >= t.entry_time && o.timestamp <= t.exit_time)
                .map(|o| o.filled_quantity).sum();
            let sold: u32 = j.orders.iter().filter(|o| o.status == "COMPLETE" && o.side == "SELL"
                && o.tradingsymbol == t.option_symbol && o.timestamp == t.exit_time)
                .map(|o| o.filled_quantity).sum();
            prop_assert_eq!(bought, t.quantity);
            prop_assert_eq!(sold, t.quantity);
        }
        if let Some(h) = events.iter().find(|e| e.event == EngineEvent::Risk && e.data["decision"] == "HALT") {
            prop_assert!(j.trades.iter().all(|t| t.entry_time <= h.ts));
            prop_assert!(j.orders.iter().filter(|o| o.side == "BUY").all(|o| o.timestamp <= h.ts));
        }
    }
}

/// A dip then a steady rally: the CE position pyramids (spec §6) — each add its own order —
/// and the trade row carries the final lots and the average entry premium.
#[test]
fn pyramids_on_a_rally() {
    let mut c = nifty_config();
    c.pyramiding.enabled = true;
    let mut moves: Vec<i64> = (0..150).map(|i| if i % 3 == 0 { 2 } else { -3 }).collect();
    moves.extend((0..225).map(|i| if i % 4 == 0 { -1 } else { 6 }));
    let book = Arc::new(Mutex::new(Book::default()));
    let (j, events) = run_with_events(
        c,
        Box::new(ScriptedBroker {
            script: Script::Fill,
            book,
        }),
        &moves,
    );
    let adds: Vec<_> = j
        .orders
        .iter()
        .filter(|o| o.purpose == "PYRAMID_ADD" && o.status == "COMPLETE")
        .collect();
    assert!(
        !adds.is_empty(),
        "no add; events: {:?}",
        events.iter().map(|e| &e.message).collect::<Vec<_>>()
    );
    let t = j
        .trades
        .iter()
        .find(|t| t.lots > 1)
        .expect("a pyramided trade");
    assert!(t.quantity > 25 && t.quantity <= 1500);
    assert!(events.iter().any(|e| e.event == EngineEvent::PyramidAdd));
}

/// The rally of [`pyramids_on_a_rally`] marked by a model while the fills are market fills
/// (live: the ticks after an entry, before the option's own ticks arrive): the model's
/// premium is not the market's, so it never marks the position: no pyramid add, no excursion.
#[test]
fn a_model_premium_never_marks_units_bought_at_market() {
    let mut c = nifty_config();
    c.pyramiding.enabled = true;
    let mut moves: Vec<i64> = (0..150).map(|i| if i % 3 == 0 { 2 } else { -3 }).collect();
    moves.extend((0..225).map(|i| if i % 4 == 0 { -1 } else { 6 }));
    let (j, events) = run_with_marks(c, &moves, |_, _| {}, PremiumSource::Model);
    assert!(!j.trades.is_empty());
    assert!(!events.iter().any(|e| e.event == EngineEvent::PyramidAdd));
    assert!(j.trades.iter().all(|t| t.lots == 1
        && t.max_favorable_excursion == Decimal::ZERO
        && t.max_adverse_excursion == Decimal::ZERO));
}

/// Drive the engine event by event, calling `at(engine, tick_time)` before each tick: the
/// journal and the typed events.
fn run_with(
    config: Config,
    moves: &[i64],
    at: impl FnMut(&mut Engine, domain::IstDateTime),
) -> (MemoryJournal, Vec<EventRecord>) {
    run_with_marks(config, moves, at, PremiumSource::Market)
}

/// [`run_with`] with marks from `source`.
fn run_with_marks(
    config: Config,
    moves: &[i64],
    mut at: impl FnMut(&mut Engine, domain::IstDateTime),
    source: PremiumSource,
) -> (MemoryJournal, Vec<EventRecord>) {
    use domain::ports::{MarketData, MarketEvent};
    let j = SharedJournal::default();
    let cal = MarketCalendar::builtin();
    let book = Arc::new(Mutex::new(Book::default()));
    let mut engine = Engine::new(EngineParts {
        settings: config.engine_settings(),
        mode: Mode::Replay,
        date: day(),
        broker: Box::new(ScriptedBroker {
            script: Script::Fill,
            book,
        }),
        marks: Box::new(LinearMarks(source)),
        contracts: Box::new(CalendarContracts::new(
            ExpiryCalendar::new(cal.clone()),
            LotSizes::builtin(),
        )),
        journal: Box::new(j.clone()),
        calendar: cal,
        charges: ChargesSchedule::builtin(),
        waits: None,
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        engine.warm_up(&NoHistory).await.unwrap();
        let mut feed = ReplayFeed::new(
            day(),
            &[(Segment::Nifty, 256265, bars(day(), 23000, moves))],
        );
        while let Some(ev) = feed.next_event().await {
            match ev {
                MarketEvent::Tick(t) => {
                    at(&mut engine, t.ts);
                    engine.on_tick(t).await.unwrap();
                }
                MarketEvent::EndOfSession(ts) => {
                    engine.end_session(ts).await.unwrap();
                }
                _ => {}
            }
        }
    });
    (j.snapshot(), engine.events().to_vec())
}

/// Kill switch (spec §7): while paused no entry is taken and each refusal names the rule;
/// after resuming, entries come back.
#[test]
fn kill_switch_blocks_entries_until_resumed() {
    let noon = ist_hms(day(), 12, 0, 0);
    let (j, events) = run_with(nifty_config(), &zigzag(), |e, t| {
        e.set_paused(t < noon).unwrap();
    });
    assert!(
        j.trades.iter().all(|t| t.entry_time >= noon),
        "entry while paused"
    );
    assert!(
        j.trades.iter().any(|t| t.entry_time >= noon),
        "no entry after resume"
    );
    assert!(
        events
            .iter()
            .any(|e| e.event == EngineEvent::EntrySkipped && e.data["rule"] == "paused")
    );
    assert!(
        events
            .iter()
            .any(|e| e.event == EngineEvent::KillSwitch && e.data["paused"] == false)
    );
}

/// Manual close (spec §4.4): the position closes at the next tick with reason MANUAL.
#[test]
fn manual_close_at_next_tick() {
    let mut asked = None;
    let (j, _) = run_with(nifty_config(), &zigzag(), |e, t| {
        if asked.is_none()
            && e.agent_states()
                .iter()
                .any(|(_, s)| *s == engine::agent::AgentState::InPosition)
        {
            e.request_close(Some(Segment::Nifty));
            asked = Some(t);
        }
    });
    let asked = asked.expect("a position opened");
    let manual: Vec<_> = j
        .trades
        .iter()
        .filter(|t| t.exit_reason == domain::ExitReason::Manual)
        .collect();
    assert_eq!(manual.len(), 1);
    assert_eq!(manual[0].exit_time, asked);
}

/// `exit_on_opposite_signal` (spec §4.2): an opposite signal closes the position (reason
/// SIGNAL) and enters the other way on the same tick.
#[test]
fn opposite_signal_reverses_when_enabled() {
    let mut c = nifty_config();
    c.exits.exit_on_opposite_signal = true;
    c.exits.sl_points = dec!(500);
    c.exits.trailing_stop_points = Some(dec!(500));
    let (j, events) = run_with_events(
        c,
        Box::new(ScriptedBroker {
            script: Script::Fill,
            book: Default::default(),
        }),
        &zigzag(),
    );
    let reversed: Vec<_> = j
        .trades
        .iter()
        .filter(|t| t.exit_reason == domain::ExitReason::Signal)
        .collect();
    assert!(!reversed.is_empty(), "no SIGNAL exit");
    let mut reentries = 0;
    for t in &reversed {
        match j.trades.iter().find(|n| n.entry_time == t.exit_time) {
            Some(next) => {
                assert_ne!(next.signal_type, t.signal_type);
                reentries += 1;
            }
            // Otherwise the opposite entry was refused by a rule, and journaled.
            None => assert!(
                events
                    .iter()
                    .any(|e| e.event == EngineEvent::EntrySkipped && e.ts == t.exit_time),
                "{}: neither re-entered nor refused: {:?}",
                t.trade_id,
                events
                    .iter()
                    .filter(|e| e.ts == t.exit_time)
                    .map(|e| &e.message)
                    .collect::<Vec<_>>()
            ),
        }
    }
    assert!(reentries > 0, "never reversed");
}
