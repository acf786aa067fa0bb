//! Live market data: the `kiteconnect` ticker as the engine's [`MarketData`] (spec §10,
//! kite-connect.md §7).
//!
//! The crate's ticker runs in its own task, decodes the binary frames, reconnects with
//! exponential backoff (1, 2, 4 … 30 s) and re-sends the whole subscription set after every
//! reconnect; it stops for good on a 400/401/403 handshake. [`KiteFeed`] adds:
//! - engine ticks: token, **IST exchange timestamp** (the packet's exchange time, else its last
//!   trade time, else the wall clock), exact ₹ price (paise ÷ 100, see [`crate::convert`]),
//!   traded quantity since the previous packet;
//! - `MarketEvent::Feed` on connect, drop and reconnect, and `MarketEvent::Timer` while silent;
//! - [`FeedHealth`]: connected, last tick time and age, reconnect count (spec §7 stale feed);
//! - the touch (best bid/ask, LTP) per token in a shared [`QuoteBook`], used to price
//!   marketable limit orders;
//! - order updates (`{"type":"order"}` text frames) forwarded to the [`crate::KiteBroker`];
//! - a refused handshake (expired token) marks the shared session invalid.

use crate::client::KiteClient;
use crate::convert::{ist_from_epoch, ist_now, rupees};
use crate::error::KiteError;
use crate::session::SessionState;
use async_trait::async_trait;
use domain::ports::{FeedStatus, MarketData, MarketDataError, MarketEvent};
use domain::{IstDateTime, Segment, Tick};
use kiteconnect::ticker::{CloseReason, KiteTicker, Mode, TickerEvent};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Best bid/ask and LTP of one instrument, ₹.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    /// Last traded price, ₹.
    pub ltp: Decimal,
    /// Best bid, ₹ (full-mode packets with a non-empty bid).
    pub bid: Option<Decimal>,
    /// Best ask, ₹.
    pub ask: Option<Decimal>,
    /// When received (monotonic).
    pub at: Instant,
}

/// Latest [`Touch`] per token, shared by the feed (writer) and the broker (reader).
#[derive(Debug, Clone, Default)]
pub struct QuoteBook {
    inner: Arc<Mutex<HashMap<u32, Touch>>>,
}

impl QuoteBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest touch of `token`.
    pub fn get(&self, token: u32) -> Option<Touch> {
        self.lock().get(&token).copied()
    }

    /// Record a price (from a tick); keeps bid/ask when `bid`/`ask` are `None`.
    pub fn update(&self, token: u32, ltp: Decimal, bid: Option<Decimal>, ask: Option<Decimal>) {
        let mut g = self.lock();
        let e = g.entry(token).or_insert(Touch {
            ltp,
            bid: None,
            ask: None,
            at: Instant::now(),
        });
        e.ltp = ltp;
        e.at = Instant::now();
        if bid.is_some() || ask.is_some() {
            e.bid = bid;
            e.ask = ask;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Touch>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A point-in-time view of the feed's health (spec §7 "stale feed blocks entries").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHealthSnapshot {
    /// The socket is up and subscribed.
    pub connected: bool,
    /// Why the ticker stopped for good (e.g. the token was refused); `None` while running.
    pub closed: Option<String>,
    /// Exchange time of the last tick, IST.
    pub last_tick_at: Option<IstDateTime>,
    /// Wall time since the last tick arrived.
    pub last_tick_age: Option<Duration>,
    /// Reconnects so far.
    pub reconnects: u32,
    /// The last disconnect reason (sanitized).
    pub last_error: Option<String>,
    /// Ticks received.
    pub ticks: u64,
    /// Subscribed tokens.
    pub subscribed: Vec<u32>,
}

impl FeedHealthSnapshot {
    /// Disconnected, or no tick for longer than `after`.
    pub fn is_stale(&self, after: Duration) -> bool {
        !self.connected || self.last_tick_age.is_none_or(|a| a > after)
    }
}

#[derive(Debug, Default)]
struct HealthState {
    connected: bool,
    closed: Option<String>,
    last_tick_at: Option<IstDateTime>,
    last_tick_instant: Option<Instant>,
    reconnects: u32,
    last_error: Option<String>,
    ticks: u64,
    subscribed: BTreeSet<u32>,
}

/// Cloneable handle on the feed's health, for the engine, the risk engine and the dashboard.
#[derive(Debug, Clone, Default)]
pub struct FeedHealth {
    inner: Arc<Mutex<HealthState>>,
}

impl FeedHealth {
    /// Current health.
    pub fn snapshot(&self) -> FeedHealthSnapshot {
        let g = self.lock();
        FeedHealthSnapshot {
            connected: g.connected,
            closed: g.closed.clone(),
            last_tick_at: g.last_tick_at,
            last_tick_age: g.last_tick_instant.map(|i| i.elapsed()),
            reconnects: g.reconnects,
            last_error: g.last_error.clone(),
            ticks: g.ticks,
            subscribed: g.subscribed.iter().copied().collect(),
        }
    }

    /// "Now" on the exchange clock: the last tick's exchange time plus the wall time since it
    /// arrived (the wall clock before the first tick).
    pub fn exchange_now(&self) -> IstDateTime {
        let g = self.lock();
        match (g.last_tick_at, g.last_tick_instant) {
            (Some(at), Some(i)) => {
                at + chrono::TimeDelta::from_std(i.elapsed()).unwrap_or(chrono::TimeDelta::zero())
            }
            _ => ist_now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HealthState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the feed forwards to the broker.
#[derive(Debug)]
pub enum OrderFeedMsg {
    /// An order update text frame (kite-connect.md §7.5).
    Update(Box<kiteconnect::Order>),
    /// The socket reconnected: updates sent while it was down are lost, re-read the book.
    Reconnected,
}

/// Sender half of the broker's order-update channel ([`crate::KiteBroker::order_feed`]).
pub type OrderFeed = mpsc::UnboundedSender<OrderFeedMsg>;

/// The Kite ticker as a [`MarketData`] source.
///
/// Subscriptions use `full` mode (the only mode whose packets carry the exchange timestamp,
/// kite-connect.md §7.4). Dropping the feed closes the ticker.
pub struct KiteFeed {
    ticker: KiteTicker,
    rx: mpsc::Receiver<MarketEvent>,
    health: FeedHealth,
    quotes: QuoteBook,
    timer: Option<Duration>,
}

impl std::fmt::Debug for KiteFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KiteFeed")
            .field("health", &self.health.snapshot())
            .finish_non_exhaustive()
    }
}

impl KiteFeed {
    /// Start the ticker (URL from `client.settings().ticker_url`, credentials from the client)
    /// on the current Tokio runtime. `orders`: where order-update frames go (the broker's
    /// [`crate::KiteBroker::order_feed`]); `quotes`: the touch book shared with the broker.
    ///
    /// # Errors
    /// [`KiteError::Setup`] without an access token or with a bad ticker URL.
    pub fn spawn(
        client: &KiteClient,
        orders: Option<OrderFeed>,
        quotes: QuoteBook,
    ) -> Result<Self, KiteError> {
        let url = client.ticker_url()?;
        let (ticker, events) = client
            .kite()
            .ticker()
            .url(url)
            .spawn()
            .map_err(KiteError::from)?;
        let (tx, rx) = mpsc::channel(8192);
        let health = FeedHealth::default();
        let settings = &client.settings().feed;
        let timer = (settings.timer_interval_ms > 0)
            .then(|| Duration::from_millis(settings.timer_interval_ms));
        tokio::spawn(pump(
            events,
            tx,
            Pump {
                health: health.clone(),
                quotes: quotes.clone(),
                orders,
                session: client.session().clone(),
                volumes: HashMap::new(),
            },
        ));
        Ok(Self {
            ticker,
            rx,
            health,
            quotes,
            timer,
        })
    }

    /// Subscribe the index of each segment (NIFTY 50 256265, NIFTY BANK 260105, SENSEX 265;
    /// confirm them first with [`crate::instruments::verify_index_tokens`]).
    ///
    /// # Errors
    /// The ticker task has stopped.
    pub async fn subscribe_segments(
        &mut self,
        segments: &[Segment],
    ) -> Result<(), MarketDataError> {
        // Indices only: a stock's token is its NSE share's, from the instruments dump
        // (`InstrumentsMaster::watch_token`); subscribe it with `subscribe`.
        let tokens: Vec<u32> = segments.iter().filter_map(|s| s.index_token()).collect();
        self.subscribe(&tokens).await
    }

    /// The health handle (clone it into the risk engine / dashboard).
    pub fn health(&self) -> FeedHealth {
        self.health.clone()
    }

    /// The touch book this feed writes.
    pub fn quotes(&self) -> QuoteBook {
        self.quotes.clone()
    }

    /// "Now" on the exchange clock: the last tick's exchange time plus the wall time since it
    /// arrived (the wall clock before the first tick). Live, this is the wall clock; against a
    /// simulator streaming a past day it stays on that day (spec §10.4 parity).
    pub fn exchange_now(&self) -> IstDateTime {
        self.health.exchange_now()
    }

    /// Stop the ticker; `next_event` then drains and returns `None`.
    pub fn close(&self) {
        self.ticker.close();
    }
}

impl Drop for KiteFeed {
    fn drop(&mut self) {
        self.ticker.close();
    }
}

#[async_trait]
impl MarketData for KiteFeed {
    async fn subscribe(&mut self, tokens: &[u32]) -> Result<(), MarketDataError> {
        if tokens.is_empty() {
            return Ok(());
        }
        self.ticker
            .subscribe(tokens, Mode::Full)
            .map_err(|e| MarketDataError::Subscribe(KiteError::from(e).to_string()))?;
        self.health.lock().subscribed.extend(tokens.iter().copied());
        Ok(())
    }

    async fn unsubscribe(&mut self, tokens: &[u32]) -> Result<(), MarketDataError> {
        if tokens.is_empty() {
            return Ok(());
        }
        self.ticker
            .unsubscribe(tokens)
            .map_err(|e| MarketDataError::Subscribe(KiteError::from(e).to_string()))?;
        let mut g = self.health.lock();
        for t in tokens {
            g.subscribed.remove(t);
        }
        Ok(())
    }

    async fn next_event(&mut self) -> Option<MarketEvent> {
        match self.timer {
            None => self.rx.recv().await,
            Some(every) => tokio::select! {
                ev = self.rx.recv() => ev,
                () = tokio::time::sleep(every) => Some(MarketEvent::Timer(self.exchange_now())),
            },
        }
    }
}

struct Pump {
    health: FeedHealth,
    quotes: QuoteBook,
    orders: Option<OrderFeed>,
    session: SessionState,
    volumes: HashMap<u32, u64>,
}

/// Convert a decoded ticker packet into an engine tick; `None` without a price.
///
/// `prev_volume`: the instrument's cumulative day volume from its previous packet; the tick's
/// `volume` is the difference (units traded since), `None` for indices and the first packet.
pub fn engine_tick(t: &kiteconnect::Tick, prev_volume: Option<u64>) -> Option<Tick> {
    // Kite prices are whole paise: keep two decimals, as the catalog and the journals do.
    let mut price = rupees(t.last_price?);
    if price.scale() < 2 {
        price.rescale(2);
    }
    let ts = t
        .exchange_time
        .or(t.last_trade_time)
        .filter(|s| *s > 0)
        .map_or_else(ist_now, ist_from_epoch);
    let volume = if t.is_index {
        None
    } else {
        match (t.volume, prev_volume) {
            (Some(v), Some(p)) if v >= p => Some(v - p),
            _ => None,
        }
    };
    Some(Tick {
        token: t.instrument_token,
        ts,
        price,
        volume,
    })
}

fn touch_of(t: &kiteconnect::Tick) -> (Option<Decimal>, Option<Decimal>) {
    let Some(d) = &t.depth else {
        return (None, None);
    };
    let best = |levels: &[kiteconnect::ticker::DepthEntry]| {
        levels
            .first()
            .filter(|l| l.quantity > 0 && l.price > 0.0)
            .map(|l| rupees(l.price))
    };
    (best(&d.buy), best(&d.sell))
}

async fn pump(mut events: kiteconnect::TickerEvents, tx: mpsc::Sender<MarketEvent>, mut p: Pump) {
    let mut ever_connected = false;
    let mut connected = false;
    while let Some(ev) = events.recv().await {
        let out: Vec<MarketEvent> = match ev {
            TickerEvent::Connected => {
                let status = if ever_connected {
                    FeedStatus::Reconnected
                } else {
                    FeedStatus::Connected
                };
                {
                    let mut g = p.health.lock();
                    g.connected = true;
                    if ever_connected {
                        g.reconnects += 1;
                    }
                }
                if ever_connected && let Some(o) = &p.orders {
                    let _ = o.send(OrderFeedMsg::Reconnected);
                }
                tracing::info!(target: "kite", ?status, "ticker connected; subscriptions (re)sent");
                ever_connected = true;
                connected = true;
                vec![MarketEvent::Feed(status, p.health.exchange_now())]
            }
            TickerEvent::Ticks(ticks) => {
                let mut out = Vec::with_capacity(ticks.len());
                for t in &ticks {
                    let prev = p.volumes.get(&t.instrument_token).copied();
                    if let Some(v) = t.volume {
                        p.volumes.insert(t.instrument_token, v);
                    }
                    let Some(tick) = engine_tick(t, prev) else {
                        continue;
                    };
                    let (bid, ask) = touch_of(t);
                    p.quotes.update(tick.token, tick.price, bid, ask);
                    {
                        let mut g = p.health.lock();
                        g.last_tick_at = Some(tick.ts);
                        g.last_tick_instant = Some(Instant::now());
                        g.ticks += 1;
                    }
                    out.push(MarketEvent::Tick(tick));
                }
                out
            }
            TickerEvent::OrderUpdate(order) => {
                if let Some(o) = &p.orders {
                    let _ = o.send(OrderFeedMsg::Update(order));
                }
                Vec::new()
            }
            TickerEvent::InvalidOrderUpdate { error, .. } => {
                tracing::warn!(target: "kite", error, "undecodable order update frame ignored");
                Vec::new()
            }
            TickerEvent::Reconnecting {
                attempt,
                delay,
                reason,
            } => {
                tracing::warn!(target: "kite", attempt, delay_ms = delay.as_millis() as u64, reason, "ticker disconnected, reconnecting");
                {
                    let mut g = p.health.lock();
                    g.connected = false;
                    g.last_error = Some(reason);
                }
                if connected {
                    connected = false;
                    vec![MarketEvent::Feed(
                        FeedStatus::Disconnected,
                        p.health.exchange_now(),
                    )]
                } else {
                    Vec::new()
                }
            }
            TickerEvent::Message(m) => {
                tracing::info!(target: "kite", message = m, "ticker message");
                Vec::new()
            }
            TickerEvent::Closed(reason) => {
                let text = reason.to_string();
                if matches!(
                    reason,
                    CloseReason::AuthRejected(_) | CloseReason::HandshakeRejected(_)
                ) {
                    p.session.invalidate(&text);
                }
                if !matches!(reason, CloseReason::Requested) {
                    tracing::error!(target: "kite", reason = text, "ticker stopped for good");
                }
                {
                    let mut g = p.health.lock();
                    g.connected = false;
                    g.closed = Some(text);
                }
                let _ = tx
                    .send(MarketEvent::Feed(
                        FeedStatus::Disconnected,
                        p.health.exchange_now(),
                    ))
                    .await;
                break;
            }
            _ => Vec::new(),
        };
        for ev in out {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_book_keeps_depth_until_replaced() {
        let q = QuoteBook::new();
        q.update(1, Decimal::ONE, Some(Decimal::ONE), Some(Decimal::TWO));
        q.update(1, Decimal::TWO, None, None);
        let t = q.get(1).unwrap();
        assert_eq!(
            (t.ltp, t.bid, t.ask),
            (Decimal::TWO, Some(Decimal::ONE), Some(Decimal::TWO))
        );
    }
}
