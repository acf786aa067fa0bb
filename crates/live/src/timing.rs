//! Latency on the real path (issue 12): a [`Broker`] decorator that times every order the
//! engine hands to the broker, and counts the broker's fills and errors.
//!
//! - **Tick-to-intent**: the session loop stamps a [`TickStamp`] with the `Instant` a tick
//!   came out of the feed (`KiteFeed::next_event`, after `broker-kite` decoded it and passed
//!   it over its channel: the frame decode itself is not in the figure) just before it feeds
//!   the engine, and clears it once the engine is done with that tick. The first
//!   [`Broker::place_order`] made while the stamp is set takes it and records `now − stamp`:
//!   the engine's decision on that tick (entry, exit, pyramid add, protective stop). A second
//!   order on the same tick (an exit then a reversal entry) records nothing: it waited for the
//!   first one's acknowledgement, a broker round trip, not the engine. Orders of an
//!   operator's command or of a reconciliation carry no tick and record nothing.
//! - **Order round trip**: from the call of `place_order` to its return with the broker's
//!   order id (the acknowledgement: Kite's `POST /orders` answer, kite-connect.md §3.1; the
//!   paper broker answers at once).
//! - Every failed call is counted by operation and error kind; fills as
//!   [`Broker::poll_events`] reports them.
//!
//! `std::time::Instant` is used here only, never in the engine (which keeps its `Clock`
//! port): this is the process's wall clock, for measurement.

use async_trait::async_trait;
use domain::order::OrderState;
use domain::ports::{Broker, BrokerBook, BrokerError, BrokerEvent, OrderChange};
use domain::{OrderRequest, Tick};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use telemetry::Metrics;

/// The receipt instant of the tick the engine is processing, shared between the session loop
/// (writer) and [`TimingBroker`] (reader). Lock-free: nanoseconds since the stamp's own
/// origin, 0 for "no tick".
#[derive(Debug)]
pub struct TickStamp {
    origin: Instant,
    nanos: AtomicU64,
}

impl Default for TickStamp {
    fn default() -> Self {
        Self::new()
    }
}

impl TickStamp {
    /// No tick stamped.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            nanos: AtomicU64::new(0),
        }
    }

    /// The engine is about to process a tick received at `at`.
    pub fn set(&self, at: Instant) {
        let ns = u64::try_from(at.saturating_duration_since(self.origin).as_nanos())
            .unwrap_or(u64::MAX)
            // 0 means "none": a tick at the origin itself is stamped 1 ns later.
            .max(1);
        self.nanos.store(ns, Ordering::Release);
    }

    /// The engine is done with the tick.
    pub fn clear(&self) {
        self.nanos.store(0, Ordering::Release);
    }

    /// Time since the stamped tick's receipt; `None` when no tick is stamped.
    pub fn elapsed(&self, now: Instant) -> Option<Duration> {
        self.since(self.nanos.load(Ordering::Acquire), now)
    }

    /// [`Self::elapsed`] and clear the stamp: only the first order of a tick is timed.
    pub fn take(&self, now: Instant) -> Option<Duration> {
        self.since(self.nanos.swap(0, Ordering::AcqRel), now)
    }

    fn since(&self, ns: u64, now: Instant) -> Option<Duration> {
        match ns {
            0 => None,
            ns => Some(
                now.saturating_duration_since(self.origin)
                    .saturating_sub(Duration::from_nanos(ns)),
            ),
        }
    }
}

/// The code of a broker error kind (the `kind` label of `kestrel_broker_errors_total`).
pub fn error_kind(e: &BrokerError) -> &'static str {
    match e {
        BrokerError::Rejected(_) => "rejected",
        BrokerError::Unknown(_) => "unknown",
        BrokerError::SessionInvalid(_) => "session_invalid",
        BrokerError::RateLimited(_) => "rate_limited",
        BrokerError::Unavailable(_) => "unavailable",
    }
}

/// A [`Broker`] that forwards every call to `inner` unchanged and records latency, fills and
/// errors into [`Metrics`] (see the module docs).
pub struct TimingBroker {
    inner: Box<dyn Broker>,
    stamp: Arc<TickStamp>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for TimingBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimingBroker")
            .field("inner", &self.inner.name())
            .finish_non_exhaustive()
    }
}

impl TimingBroker {
    /// Wrap `inner`; `stamp` is the session loop's.
    pub fn new(inner: Box<dyn Broker>, stamp: Arc<TickStamp>, metrics: Arc<Metrics>) -> Self {
        Self {
            inner,
            stamp,
            metrics,
        }
    }

    fn count<T>(&self, op: &str, r: Result<T, BrokerError>) -> Result<T, BrokerError> {
        if let Err(e) = &r {
            self.metrics.broker_error(op, error_kind(e));
        }
        r
    }
}

#[async_trait]
impl Broker for TimingBroker {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
        let start = Instant::now();
        if let Some(d) = self.stamp.take(start) {
            self.metrics.tick_to_intent(d);
        }
        self.metrics.order_request();
        let r = self.inner.place_order(request).await;
        if r.is_ok() {
            self.metrics.order_round_trip(start.elapsed());
        }
        self.count("place", r)
    }

    async fn cancel_order(&mut self, broker_order_id: &str) -> Result<(), BrokerError> {
        let r = self.inner.cancel_order(broker_order_id).await;
        self.count("cancel", r)
    }

    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        let r = self.inner.poll_events().await;
        if let Ok(events) = &r {
            let fills = events
                .iter()
                .filter(|e| matches!(e, BrokerEvent::Fill(_)))
                .count();
            if fills > 0 {
                self.metrics.fills(fills as u64);
            }
        }
        self.count("poll", r)
    }

    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError> {
        let r = self.inner.find_by_tag(tag).await;
        self.count("find_by_tag", r)
    }

    fn observe(&mut self, tick: &Tick) {
        self.inner.observe(tick);
    }

    async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
        let r = self.inner.book().await;
        self.count("book", r)
    }

    fn resume(&mut self, state: &OrderState) {
        self.inner.resume(state);
    }

    async fn modify_order(
        &mut self,
        broker_order_id: &str,
        change: &OrderChange,
    ) -> Result<(), BrokerError> {
        let r = self.inner.modify_order(broker_order_id, change).await;
        self.count("modify", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::order::{Fill, OrderId};
    use std::sync::Mutex;

    /// A broker that answers from a script and remembers what it was asked.
    #[derive(Default)]
    struct Scripted {
        placed: Arc<Mutex<Vec<String>>>,
        observed: Arc<Mutex<u32>>,
        fail_place: bool,
        fills: u32,
    }

    #[async_trait]
    impl Broker for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        async fn place_order(&mut self, r: &OrderRequest) -> Result<String, BrokerError> {
            if self.fail_place {
                return Err(BrokerError::Rejected("margin".into()));
            }
            self.placed.lock().unwrap().push(r.tag.clone());
            Ok(format!("B{}", r.tag))
        }
        async fn cancel_order(&mut self, _: &str) -> Result<(), BrokerError> {
            Err(BrokerError::Unavailable("down".into()))
        }
        async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
            Ok((0..self.fills)
                .map(|i| {
                    BrokerEvent::Fill(Fill {
                        order_id: OrderId(1),
                        fill_id: format!("F{i}"),
                        ts: t(9, 20),
                        tradingsymbol: "NIFTY2460623000CE".into(),
                        side: domain::Side::Buy,
                        quantity: 25,
                        price: rust_decimal_macros::dec!(100),
                        reference_price: rust_decimal_macros::dec!(100),
                        premium_source: domain::order::PremiumSource::Market,
                    })
                })
                .collect())
        }
        async fn find_by_tag(&mut self, _: &str) -> Result<Option<String>, BrokerError> {
            Ok(None)
        }
        fn observe(&mut self, _: &Tick) {
            *self.observed.lock().unwrap() += 1;
        }
    }

    fn t(h: u32, m: u32) -> domain::time::IstDateTime {
        domain::time::ist(
            chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            domain::time::hms(h, m, 0),
        )
    }

    fn request(tag: &str) -> OrderRequest {
        OrderRequest {
            id: domain::OrderId(7),
            tag: tag.into(),
            contract: domain::OptionContract {
                segment: domain::Segment::Nifty,
                exchange: domain::Exchange::NFO,
                expiry: chrono::NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
                strike: domain::Decimal::from(22_500),
                option_type: domain::OptionType::CE,
                lot_size: 25,
                tick_size: domain::Decimal::new(5, 2),
                tradingsymbol: "NIFTY2460622500CE".into(),
                instrument_token: None,
            },
            side: domain::Side::Buy,
            quantity: 25,
            kind: domain::OrderKind::Market,
            product: domain::Product::MIS,
            purpose: domain::order::OrderPurpose::Entry,
            created: t(10, 0),
        }
    }

    #[test]
    fn the_stamp_measures_from_the_tick_and_clears() {
        let s = TickStamp::new();
        let now = Instant::now();
        assert_eq!(s.elapsed(now), None);
        let at = now;
        s.set(at);
        let later = at + Duration::from_micros(42);
        let d = s.elapsed(later).unwrap();
        // Stored in whole nanoseconds since the origin: within 1 ns of the truth.
        assert!(
            d.abs_diff(Duration::from_micros(42)) <= Duration::from_nanos(1),
            "{d:?}"
        );
        s.clear();
        assert_eq!(s.elapsed(later), None);
        s.set(at);
        assert!(s.take(later).is_some());
        assert_eq!(s.take(later), None, "taken once");
    }

    #[tokio::test]
    async fn orders_on_a_tick_are_timed_and_everything_is_forwarded() {
        let metrics = Arc::new(Metrics::new());
        let stamp = Arc::new(TickStamp::new());
        let inner = Scripted {
            fills: 2,
            ..Default::default()
        };
        let placed = inner.placed.clone();
        let observed = inner.observed.clone();
        let mut b = TimingBroker::new(Box::new(inner), stamp.clone(), metrics.clone());
        assert_eq!(b.name(), "scripted");

        // An order with no tick stamped (an operator's command): round trip only.
        assert_eq!(b.place_order(&request("K1")).await.unwrap(), "BK1");
        let l = metrics.latency();
        assert_eq!(l.tick_to_intent, None);
        assert_eq!(l.order_round_trip.unwrap().count, 1);

        // Orders while a tick is stamped: the first is timed from the tick, the second (after
        // the first's round trip) is not.
        stamp.set(Instant::now());
        b.place_order(&request("K2")).await.unwrap();
        b.place_order(&request("K3")).await.unwrap();
        stamp.clear();
        let l = metrics.latency();
        assert_eq!(l.tick_to_intent.unwrap().count, 1);
        assert_eq!(l.order_round_trip.unwrap().count, 3);
        assert_eq!(*placed.lock().unwrap(), ["K1", "K2", "K3"]);

        // Fills counted, errors counted by op and kind, observe forwarded.
        assert_eq!(b.poll_events().await.unwrap().len(), 2);
        assert!(b.cancel_order("x").await.is_err());
        b.observe(&domain::Tick {
            token: 256265,
            ts: t(9, 20),
            price: rust_decimal_macros::dec!(22000),
            volume: None,
        });
        assert_eq!(*observed.lock().unwrap(), 1);
        let text = metrics.render();
        assert!(text.contains("kestrel_fills_total 2\n"), "{text}");
        assert!(text.contains("kestrel_order_requests_total 3\n"), "{text}");
        assert!(
            text.contains("kestrel_broker_errors_total{op=\"cancel\",kind=\"unavailable\"} 1\n"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_rejected_order_counts_an_error_and_no_round_trip() {
        let metrics = Arc::new(Metrics::new());
        let stamp = Arc::new(TickStamp::new());
        let mut b = TimingBroker::new(
            Box::new(Scripted {
                fail_place: true,
                ..Default::default()
            }),
            stamp.clone(),
            metrics.clone(),
        );
        stamp.set(Instant::now());
        let e = b.place_order(&request("K9")).await.unwrap_err();
        assert!(matches!(e, BrokerError::Rejected(_)));
        let l = metrics.latency();
        // The intent was handed over (timed); the broker never acknowledged it.
        assert_eq!(l.tick_to_intent.unwrap().count, 1);
        assert_eq!(l.order_round_trip, None);
        assert!(
            metrics
                .render()
                .contains("kestrel_broker_errors_total{op=\"place\",kind=\"rejected\"} 1\n")
        );
    }
}
