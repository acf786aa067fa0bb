//! # telemetry — Prometheus metrics of a trading session (issue 12, spec §12)
//!
//! One [`Metrics`] value (share it in an `Arc`) holds every `kestrel_*` family in its own
//! `prometheus_client` [`Registry`]: no global registry, so two engines in one process (the
//! tests) never mix their figures. The process side (`crates/live`) feeds it; the console
//! serves [`Metrics::render`] at `GET /metrics` with [`CONTENT_TYPE`].
//!
//! Families (the full table with units is in `docs/console.md`, "Metrics"):
//!
//! | name | type | labels | what |
//! | --- | --- | --- | --- |
//! | `kestrel_ticks_total` | counter | `segment` | index ticks received |
//! | `kestrel_option_ticks_total` | counter | | option (non-index) ticks received |
//! | `kestrel_candles_total` | counter | `segment` | candles completed |
//! | `kestrel_events_total` | counter | `event`, `segment` | engine events (journal kinds) |
//! | `kestrel_risk_decisions_total` | counter | `decision`, `rule` | risk decisions other than approve |
//! | `kestrel_order_requests_total` | counter | | orders handed to the broker |
//! | `kestrel_orders` | gauge | `status` | today's orders by status |
//! | `kestrel_fills_total` | counter | | executions reported by the broker |
//! | `kestrel_trades` | gauge | | completed trades today |
//! | `kestrel_realized_pnl_rupees` | gauge | | realized net P&L today, ₹ |
//! | `kestrel_open_pnl_rupees` | gauge | | open P&L, ₹ |
//! | `kestrel_broker_errors_total` | counter | `op`, `kind` | broker calls that failed |
//! | `kestrel_reconnects_total` | counter | | ticker reconnects |
//! | `kestrel_last_tick_age_seconds` | gauge | | wall seconds since the last index tick |
//! | `kestrel_tick_to_intent_seconds` | histogram | | tick receipt → order request |
//! | `kestrel_order_round_trip_seconds` | histogram | | order request → broker acknowledgement |
//!
//! A labelled family renders nothing until its first series exists (the text format has no
//! empty families). Money is `Decimal` until here; it becomes `f64` only at this exposition
//! edge.

mod samples;

pub use samples::{LatencySamples, LatencySummary, MAX_SAMPLES, human};

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// `Content-Type` of [`Metrics::render`]: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Upper bounds (seconds) of the latency histograms' buckets: 1, 2.5 and 5 per decade from
/// 1 µs to 5 s, then 10 s (22 buckets; `+Inf` is implicit). Tick-to-intent lives in the
/// µs decades, an order round trip to Kite in the ms ones. Literals, so the `le` labels
/// read `2.5e-06`, not a rounding artefact.
pub const LATENCY_BUCKETS: [f64; 22] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2,
    5e-2, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type L1 = [(&'static str, String); 1];
type L2 = [(&'static str, String); 2];

/// Every `kestrel_*` metric of one process (see the crate docs for the table).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    ticks: Family<L1, Counter>,
    option_ticks: Counter,
    candles: Family<L1, Counter>,
    events: Family<L2, Counter>,
    risk: Family<L2, Counter>,
    order_requests: Counter,
    orders: Family<L1, Gauge>,
    statuses: Mutex<BTreeSet<String>>,
    fills: Counter,
    trades: Gauge,
    realized_pnl: Gauge<f64, AtomicU64>,
    open_pnl: Gauge<f64, AtomicU64>,
    broker_errors: Family<L2, Counter>,
    reconnects: Counter,
    last_tick_age: Gauge<f64, AtomicU64>,
    tick_to_intent: Histogram,
    round_trip: Histogram,
    tick_to_intent_samples: LatencySamples,
    round_trip_samples: LatencySamples,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The book's figures from a snapshot ([`Metrics::set_book`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BookFigures {
    /// Orders of the day by status code (`COMPLETE`, `OPEN`, ...); a status seen before and
    /// missing here is set to 0.
    pub orders_by_status: Vec<(String, u64)>,
    /// Completed trades today.
    pub trades: u64,
    /// Realized net P&L today (after charges), ₹.
    pub realized_pnl: Decimal,
    /// Open P&L of the positions held, ₹.
    pub open_pnl: Decimal,
}

fn rupees(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Metrics {
    /// Every family registered, every value zero; `kestrel_last_tick_age_seconds` is `NaN`
    /// until the first [`Self::set_last_tick_age`] with a tick.
    pub fn new() -> Self {
        let m = Self {
            registry: Registry::with_prefix("kestrel"),
            ticks: Family::default(),
            option_ticks: Counter::default(),
            candles: Family::default(),
            events: Family::default(),
            risk: Family::default(),
            order_requests: Counter::default(),
            orders: Family::default(),
            statuses: Mutex::new(BTreeSet::new()),
            fills: Counter::default(),
            trades: Gauge::default(),
            realized_pnl: Gauge::default(),
            open_pnl: Gauge::default(),
            broker_errors: Family::default(),
            reconnects: Counter::default(),
            last_tick_age: Gauge::default(),
            tick_to_intent: Histogram::new(LATENCY_BUCKETS),
            round_trip: Histogram::new(LATENCY_BUCKETS),
            tick_to_intent_samples: LatencySamples::default(),
            round_trip_samples: LatencySamples::default(),
        };
        m.last_tick_age.set(f64::NAN);
        m.register()
    }

    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "ticks",
            "Index ticks received from the feed, by segment",
            self.ticks.clone(),
        );
        r.register(
            "option_ticks",
            "Option (non-index) ticks received from the feed",
            self.option_ticks.clone(),
        );
        r.register(
            "candles",
            "Candles completed by the engine, by segment",
            self.candles.clone(),
        );
        r.register(
            "events",
            "Engine events by journal kind (entry, exit, risk, order_error, ...) and segment (\"\" for session-wide)",
            self.events.clone(),
        );
        r.register(
            "risk_decisions",
            "Risk decisions other than approve (REDUCE, BLOCK, HALT) by rule (spec 7)",
            self.risk.clone(),
        );
        r.register(
            "order_requests",
            "Order requests handed to the broker",
            self.order_requests.clone(),
        );
        r.register(
            "orders",
            "Orders of the day by status (engine terms)",
            self.orders.clone(),
        );
        r.register(
            "fills",
            "Executions reported by the broker",
            self.fills.clone(),
        );
        r.register("trades", "Completed trades today", self.trades.clone());
        r.register(
            "realized_pnl_rupees",
            "Realized net P&L today after charges, rupees",
            self.realized_pnl.clone(),
        );
        r.register(
            "open_pnl_rupees",
            "Open P&L of the positions held, rupees",
            self.open_pnl.clone(),
        );
        r.register(
            "broker_errors",
            "Broker calls that failed, by operation and error kind",
            self.broker_errors.clone(),
        );
        r.register(
            "reconnects",
            "Ticker socket reconnects",
            self.reconnects.clone(),
        );
        r.register(
            "last_tick_age_seconds",
            "Wall-clock seconds since the last index tick, computed at scrape (NaN before the first)",
            self.last_tick_age.clone(),
        );
        r.register(
            "tick_to_intent_seconds",
            "Tick received from the feed to order request handed to the broker, seconds",
            self.tick_to_intent.clone(),
        );
        r.register(
            "order_round_trip_seconds",
            "Order request to the broker's acknowledgement (its order id), seconds",
            self.round_trip.clone(),
        );
        self
    }

    /// One index tick of `segment` (`NIFTY`, `BANKNIFTY`, `SENSEX`).
    pub fn index_tick(&self, segment: &str) {
        self.ticks
            .get_or_create(&[("segment", segment.to_string())])
            .inc();
    }

    /// One option (non-index) tick.
    pub fn option_tick(&self) {
        self.option_ticks.inc();
    }

    /// One completed candle of `segment`.
    pub fn candle(&self, segment: &str) {
        self.candles
            .get_or_create(&[("segment", segment.to_string())])
            .inc();
    }

    /// One engine event of journal kind `kind` (`entry`, `exit`, ...); `segment` `None` for
    /// a session-wide one (label `""`).
    pub fn event(&self, kind: &str, segment: Option<&str>) {
        self.events
            .get_or_create(&[
                ("event", kind.to_string()),
                ("segment", segment.unwrap_or_default().to_string()),
            ])
            .inc();
    }

    /// One risk decision (`REDUCE`, `BLOCK`, `HALT`) by `rule` code (spec §7).
    pub fn risk_decision(&self, decision: &str, rule: &str) {
        self.risk
            .get_or_create(&[
                ("decision", decision.to_string()),
                ("rule", rule.to_string()),
            ])
            .inc();
    }

    /// One order request handed to the broker.
    pub fn order_request(&self) {
        self.order_requests.inc();
    }

    /// `n` executions reported by the broker.
    pub fn fills(&self, n: u64) {
        self.fills.inc_by(n);
    }

    /// One failed broker call: `op` (`place`, `cancel`, `modify`, `poll`, `find_by_tag`,
    /// `book`) and error `kind` (`rejected`, `unknown`, `session_invalid`, `rate_limited`,
    /// `unavailable`).
    pub fn broker_error(&self, op: &str, kind: &str) {
        self.broker_errors
            .get_or_create(&[("op", op.to_string()), ("kind", kind.to_string())])
            .inc();
    }

    /// One ticker reconnect.
    pub fn reconnect(&self) {
        self.reconnects.inc();
    }

    /// The book's figures of the latest snapshot.
    pub fn set_book(&self, book: &BookFigures) {
        let mut seen = self.statuses.lock().unwrap_or_else(PoisonError::into_inner);
        for s in seen.iter() {
            if !book.orders_by_status.iter().any(|(k, _)| k == s) {
                self.orders.get_or_create(&[("status", s.clone())]).set(0);
            }
        }
        for (status, n) in &book.orders_by_status {
            seen.insert(status.clone());
            self.orders
                .get_or_create(&[("status", status.clone())])
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        drop(seen);
        self.trades
            .set(i64::try_from(book.trades).unwrap_or(i64::MAX));
        self.realized_pnl.set(rupees(book.realized_pnl));
        self.open_pnl.set(rupees(book.open_pnl));
    }

    /// Seconds since the last index tick (wall clock), `None` before the first (`NaN`).
    pub fn set_last_tick_age(&self, age: Option<f64>) {
        self.last_tick_age.set(age.unwrap_or(f64::NAN));
    }

    /// One tick-to-intent latency: from the tick's receipt to the order request.
    pub fn tick_to_intent(&self, d: Duration) {
        self.tick_to_intent.observe(secs(d));
        self.tick_to_intent_samples.record(d);
    }

    /// One order round trip: from the order request to the broker's acknowledgement.
    pub fn order_round_trip(&self, d: Duration) {
        self.round_trip.observe(secs(d));
        self.round_trip_samples.record(d);
    }

    /// Exact p50/p99/max of both latencies so far.
    pub fn latency(&self) -> LatencyReport {
        LatencyReport {
            tick_to_intent: self.tick_to_intent_samples.summary(),
            order_round_trip: self.round_trip_samples.summary(),
        }
    }

    /// Every family in the Prometheus text format (version 0.0.4, [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_text::encode(&mut out, &self.registry) {
            // Writing into a String cannot fail; an encoder error is reported in-band.
            out.push_str(&format!("# encoding error: {e}\n"));
        }
        out
    }
}

/// Exact latency figures ([`Metrics::latency`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyReport {
    /// Tick receipt → order request; `None` without an order.
    pub tick_to_intent: Option<LatencySummary>,
    /// Order request → broker acknowledgement; `None` without an order.
    pub order_round_trip: Option<LatencySummary>,
}

impl fmt::Display for LatencyReport {
    /// `tick-to-intent n=.. p50=.. p99=.. max=..; order round trip n=.. ...` (`none` when
    /// empty).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one =
            |s: &Option<LatencySummary>| s.map_or_else(|| "none".to_string(), |s| s.to_string());
        write!(
            f,
            "tick-to-intent {}; order round trip {}",
            one(&self.tick_to_intent),
            one(&self.order_round_trip)
        )
    }
}

#[cfg(test)]
mod tests;
