//! Restart safety in-process (issue 10, spec §11): replay 2024-06-03 and, at many points of the
//! day, drop the engine without any shutdown path after it has processed a few ticks past its
//! last checkpoint (orders it placed then are unknown to the checkpoint); a new engine
//! restores the checkpoint, reconciles with the same paper broker (its book survives, as
//! Kite's does), catches up from the day's candles up to the next minute boundary and takes
//! the rest of the day from the feed. The day's trades must equal the uninterrupted replay's,
//! no order may be placed twice, and every unit bought must be sold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod paper_day;

use paper_day::PaperDay;

use async_trait::async_trait;
use broker_paper::{PaperBroker, PaperSettings};
use catalog::replay::CatalogHistory;
use chrono::NaiveDate;
use domain::order::{OrderRequest, OrderState};
use domain::ports::{
    Broker, BrokerBook, BrokerError, BrokerEvent, Clock, HistoricalData, HistoryError, MarketEvent,
    OrderChange,
};
use domain::time::IstDateTime;
use domain::{Bar, Segment, Tick, Trade};
use engine::Engine;
use engine::checkpoint::Checkpoint;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The paper broker behind a lock: the engine is dropped, the broker (like Kite) is not.
#[derive(Clone)]
struct Kept(Arc<Mutex<PaperBroker>>, Arc<std::sync::Mutex<Vec<String>>>);

#[async_trait]
impl Broker for Kept {
    fn name(&self) -> &str {
        "kept-paper"
    }
    async fn place_order(&mut self, r: &OrderRequest) -> Result<String, BrokerError> {
        self.1.lock().unwrap().push(r.tag.clone());
        self.0.lock().await.place_order(r).await
    }
    async fn cancel_order(&mut self, id: &str) -> Result<(), BrokerError> {
        self.0.lock().await.cancel_order(id).await
    }
    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        self.0.lock().await.poll_events().await
    }
    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError> {
        self.0.lock().await.find_by_tag(tag).await
    }
    fn observe(&mut self, tick: &Tick) {
        if let Ok(mut b) = self.0.try_lock() {
            b.observe(tick);
        }
    }
    async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
        self.0.lock().await.book().await
    }
    fn resume(&mut self, state: &OrderState) {
        if let Ok(mut b) = self.0.try_lock() {
            b.resume(state);
        }
    }
    async fn modify_order(&mut self, id: &str, c: &OrderChange) -> Result<(), BrokerError> {
        self.0.lock().await.modify_order(id, c).await
    }
}

/// The catalog's day cut at the restart's clock (Kite serves the minutes completed so far).
struct CutHistory(CatalogHistory, IstDateTime);

#[async_trait]
impl HistoricalData for CutHistory {
    async fn sessions_before(
        &self,
        s: Segment,
        d: NaiveDate,
        n: usize,
    ) -> Result<Vec<Vec<Bar>>, HistoryError> {
        self.0.sessions_before(s, d, n).await
    }
    async fn session_so_far(&self, s: Segment, d: NaiveDate) -> Result<Vec<Bar>, HistoryError> {
        let bars = self.0.session_so_far(s, d).await?;
        Ok(bars
            .into_iter()
            .filter(|b| b.ts + chrono::TimeDelta::minutes(1) <= self.1)
            .collect())
    }
}

struct Day(PaperDay);

impl std::ops::Deref for Day {
    type Target = PaperDay;
    fn deref(&self) -> &PaperDay {
        &self.0
    }
}

impl Day {
    async fn new() -> Self {
        Self(PaperDay::new().await)
    }

    fn broker(&self) -> Kept {
        Kept(
            Arc::new(Mutex::new(PaperBroker::new(
                PaperSettings {
                    slippage_ticks: self.ctx.config.paper.slippage_ticks,
                },
                Box::new(self.pricer()),
            ))),
            Arc::default(),
        )
    }

    fn history(&self, until: IstDateTime) -> CutHistory {
        CutHistory(self.catalog_history(), until)
    }

    async fn engine(&self, broker: &Kept, until: IstDateTime) -> Engine {
        self.engine_with(
            Box::new(broker.clone()),
            Box::new(self.contracts()),
            &self.history(until),
        )
        .await
    }

    /// The whole day; with `kill = Some((k, extra))`: checkpoint after event `k`, process
    /// `extra` more events, drop the engine, restart from the checkpoint at the next minute.
    async fn run(&self, kill: Option<(usize, usize)>) -> (Vec<Trade>, Kept) {
        self.run_after(kill, 1).await
    }

    /// [`Day::run`], restarting `gap` minutes after the minute of the last event processed.
    async fn run_after(&self, kill: Option<(usize, usize)>, gap: i64) -> (Vec<Trade>, Kept) {
        let broker = self.broker();
        let start = self.ts(0);
        let mut engine = self.engine(&broker, start).await;
        let mut i = 0;
        let mut cp: Option<Checkpoint> = None;
        while i < self.events.len() {
            if let Some(r) = engine.handle(self.events[i].clone()).await.unwrap() {
                return (r.trades, broker);
            }
            if let Some((k, extra)) = kill {
                if i == k {
                    // Through the file format, as the session writes and reads it.
                    let json = serde_json::to_string(&engine.checkpoint()).unwrap();
                    cp = Some(serde_json::from_str(&json).unwrap());
                }
                if i == k + extra {
                    break;
                }
            }
            i += 1;
        }
        drop(engine);
        let cp = cp.expect("a checkpoint was taken");
        // The restart's clock: the next minute boundary after the last event processed.
        let last = self.ts(i);
        let cut = domain::time::ist(
            self.date,
            last.time()
                - chrono::TimeDelta::seconds(i64::from(chrono::Timelike::second(&last.time())))
                + chrono::TimeDelta::minutes(gap),
        );
        let mut engine = self.engine(&broker, cut).await;
        engine.restore(cp).unwrap();
        engine.reconcile_start().await.unwrap();
        engine.catch_up(&self.history(cut)).await.unwrap();
        let left = engine.check_book(None).await.unwrap();
        assert!(
            left.is_empty(),
            "mismatch after restart at event {i}: {left:?}"
        );
        let from = (0..self.events.len())
            .find(|j| self.ts(*j) >= cut)
            .unwrap_or(self.events.len());
        for ev in &self.events[from..] {
            if let Some(r) = engine.handle(ev.clone()).await.unwrap() {
                return (r.trades, broker);
            }
        }
        let now = engine.clock().now();
        (engine.end_session(now).await.unwrap().trades, broker)
    }
}

fn key(t: &Trade) -> String {
    format!(
        "{} {} {}@{} → {}@{} {} {} {} lots",
        t.segment.code(),
        t.signal_type.code(),
        domain::time::fmt_iso(&t.entry_time),
        t.index_entry_spot,
        domain::time::fmt_iso(&t.exit_time),
        t.index_exit_spot,
        t.exit_reason.code(),
        t.option_symbol,
        t.lots
    )
}

#[tokio::test(flavor = "current_thread")]
async fn dropped_anywhere_the_day_trades_like_an_uninterrupted_run() {
    let day = Day::new().await;
    let (expected, _) = day.run(None).await;
    assert!(!expected.is_empty());
    let expected: Vec<String> = expected.iter().map(key).collect();
    let n = day.events.len();
    let mut points = 0;
    for k in (40..n - 40).step_by(97) {
        for extra in [0, 3] {
            let (trades, broker) = day.run(Some((k, extra))).await;
            let keys: Vec<String> = trades.iter().map(key).collect();
            assert_eq!(keys, expected, "killed after event {k} (+{extra})");
            let tags = broker.1.lock().unwrap().clone();
            let mut unique = tags.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), tags.len(), "a tag was sent twice: {tags:?}");
            let book = broker.0.lock().await.book().await.unwrap();
            let open: BTreeMap<&str, i64> = book
                .positions
                .iter()
                .filter(|p| p.quantity != 0)
                .map(|p| (p.tradingsymbol.as_str(), p.quantity))
                .collect();
            assert!(open.is_empty(), "left open after kill at {k}: {open:?}");
            points += 1;
        }
    }
    assert!(points >= 20, "{points} kill points");
}

/// The crash lands between an entry order reaching the broker and the checkpoint that would
/// record it, and the engine stays down for 12 minutes. The entry is older than the catch-up
/// limit, but the broker holds its order: the decision is made again, takes that order over
/// (no second BUY: as many as without the crash), and the position is managed and closed as in an uninterrupted run.
#[tokio::test(flavor = "current_thread")]
async fn an_entry_sent_just_before_a_long_outage_is_taken_over() {
    let day = Day::new().await;
    let (expected, whole) = day.run(None).await;
    let first = expected.first().expect("a trade on 2024-06-03");
    assert!(
        (first.exit_time - first.entry_time).num_minutes() >= 1,
        "the first trade must outlive the entry minute: {}",
        key(first)
    );
    // The event of the first entry: the checkpoint is the one before it.
    let k = (0..day.events.len())
        .find(|j| {
            matches!(day.events[*j], MarketEvent::Tick(t)
                if t.ts == first.entry_time && Segment::from_index_token(t.token) == Some(first.segment))
        })
        .expect("the entry tick");
    let (trades, broker) = day.run_after(Some((k - 1, 1)), 12).await;
    let got = trades
        .iter()
        .find(|t| t.option_symbol == first.option_symbol && t.entry_time == first.entry_time)
        .unwrap_or_else(|| panic!("the in-flight entry {} has no trade", key(first)));
    assert_eq!(key(got), key(first));
    let tags = broker.1.lock().unwrap().clone();
    let mut unique = tags.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), tags.len(), "a tag was sent twice: {tags:?}");
    // As many BUYs of the contract (entry and pyramid adds) as the uninterrupted run's.
    let buys = |b: BrokerBook| {
        b.orders
            .iter()
            .filter(|o| o.tradingsymbol == first.option_symbol && o.side == domain::Side::Buy)
            .count()
    };
    let once = buys(whole.0.lock().await.book().await.unwrap());
    let after = buys(broker.0.lock().await.book().await.unwrap());
    assert!(once >= 1);
    assert_eq!(after, once, "BUYs of {}", first.option_symbol);
}
