//! Kite orders as the engine's [`Broker`] (spec §10.2, kite-connect.md §3.3–§3.4, §5.3, §6).
//!
//! Idempotency: every order carries the engine's unique `tag` (≤ 20 alphanumerics,
//! [`domain::OrderId::tag`]). The broker remembers every tag it has sent and **never sends a
//! tag twice**:
//! - a placement that times out, hits a connection reset or gets a 5xx is *not* a rejection:
//!   the tag is looked up in the order book at once (`GET /orders`); if Kite has the order,
//!   `place_order` returns its id; if not, `BrokerError::Unknown` and the tag stays pending —
//!   each later `poll_events` looks again, and an order that appears is adopted and reported;
//!   one still absent after `unknown_grace_secs` is reported `REJECTED` ("not received");
//! - calling `place_order` again with a tag already sent never sends it again: a placed tag
//!   returns its order id, an unsettled one is looked up, a rejected one repeats the rejection.
//!   Only a tag whose request provably never reached the OMS (session invalid, HTTP 429, the
//!   client-side rate limit, a Cloudflare block) may be sent again.
//!
//! Order updates come from the ticker's order frames (forwarded by [`crate::KiteFeed`]) and
//! from polling (order history of each open order; the order book after a reconnect or while a
//! placement is unsettled), de-duplicated through the shared [`OrderState`] machine: only
//! transitions the machine accepts reach the engine; anything else is logged, never a panic.
//!
//! This module holds the broker state and the [`Broker`] impl; by job: `params` (request to
//! Kite order params, MARKET pricing) and `updates` (tags, order updates, fills, polling).

use crate::client::KiteClient;
use crate::convert::{ist_now, to_wire_price};
use crate::error::KiteError;
use crate::feed::{OrderFeed, OrderFeedMsg, QuoteBook};
use crate::limits::EndpointClass;
use crate::orders::{BookOrder, BookPosition, BookTrade, BrokerSnapshot};
use async_trait::async_trait;
use domain::order::{OrderRequest, OrderState};
use domain::ports::{Broker, BrokerBook, BrokerError, BrokerEvent, OrderChange};
use domain::{OrderId, Tick};
use kiteconnect::{OrderParams, Variety};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;
use tokio::sync::mpsc;

pub mod book;
mod params;
mod updates;

/// What the broker knows about a tag it has sent.
#[derive(Debug, Clone)]
enum TagState {
    /// Kite returned this order id (or the order book showed it).
    Placed(String),
    /// The placement's outcome is unknown (timeout, 5xx): not re-sent, looked up by tag.
    Unknown {
        since: Instant,
        request: Box<OrderRequest>,
    },
    /// Kite (or local validation) refused it.
    Rejected(String),
    /// Provably never reached the OMS (session invalid, 429, local limiter): may be sent again.
    NotPlaced,
    /// Declared not received after the grace period; an appearance later is logged loudly.
    GaveUp,
}

#[derive(Debug)]
struct Tracked {
    state: OrderState,
    trades_seen: HashSet<String>,
    needs_trades: bool,
}

/// The Kite [`Broker`]. Build with [`KiteBroker::new`]; give [`KiteBroker::order_feed`] to
/// [`crate::KiteFeed::spawn`] so socket order updates reach it.
pub struct KiteBroker {
    client: KiteClient,
    quotes: QuoteBook,
    feed_tx: OrderFeed,
    feed_rx: mpsc::UnboundedReceiver<OrderFeedMsg>,
    tags: HashMap<String, TagState>,
    orders: HashMap<String, Tracked>,
    pending: VecDeque<BrokerEvent>,
    last_poll: Option<Instant>,
    force_poll: bool,
    fresh_fills: bool,
}

impl std::fmt::Debug for KiteBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KiteBroker")
            .field("tags", &self.tags.len())
            .field("orders", &self.orders.len())
            .finish_non_exhaustive()
    }
}

fn valid_tag(tag: &str) -> bool {
    (1..=20).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_alphanumeric())
}

impl KiteBroker {
    /// A broker on `client`, pricing marketable limits from `quotes` (share the feed's book).
    pub fn new(client: KiteClient, quotes: QuoteBook) -> Self {
        let (feed_tx, feed_rx) = mpsc::unbounded_channel();
        Self {
            client,
            quotes,
            feed_tx,
            feed_rx,
            tags: HashMap::new(),
            orders: HashMap::new(),
            pending: VecDeque::new(),
            last_poll: None,
            force_poll: false,
            fresh_fills: false,
        }
    }

    /// The sender the feed forwards socket order updates into.
    pub fn order_feed(&self) -> OrderFeed {
        self.feed_tx.clone()
    }

    /// The client (session flag, settings).
    pub fn client(&self) -> &KiteClient {
        &self.client
    }

    /// Re-attach an order placed before a restart (from the checkpoint), so its updates and
    /// fills flow again. Its tag counts as sent (never sent again); the fills already in
    /// `state` (its `trade_id`s) are not reported again; the trade book is read at the next
    /// poll when `state` knows of more filled units than fills. The next poll reads the whole
    /// order book.
    pub fn track_existing(&mut self, state: OrderState, broker_order_id: &str) {
        self.tags.insert(
            state.request().tag.clone(),
            TagState::Placed(broker_order_id.to_string()),
        );
        let trades_seen: HashSet<String> = state.fill_ids().iter().cloned().collect();
        let needs_trades = state.fills_quantity() < state.filled_quantity();
        self.orders.insert(
            broker_order_id.to_string(),
            Tracked {
                state,
                trades_seen,
                needs_trades,
            },
        );
        self.force_poll = true;
    }

    /// The engine's view of an order this broker tracks.
    pub fn order_state(&self, broker_order_id: &str) -> Option<&OrderState> {
        self.orders.get(broker_order_id).map(|t| &t.state)
    }

    /// Orders, trades and positions for reconciliation at start (spec §11): `GET /orders`,
    /// `GET /trades`, `GET /portfolio/positions`, with retries.
    ///
    /// # Errors
    /// The mapped Kite error (nothing is changed at Kite).
    pub async fn snapshot(&self) -> Result<BrokerSnapshot, BrokerError> {
        let c = &self.client;
        let orders = c
            .read(EndpointClass::Other, "orders", |k| async move {
                k.orders().await
            })
            .await
            .map_err(KiteError::into_broker_error)?;
        let trades = c
            .read(EndpointClass::Other, "trades", |k| async move {
                k.trades().await
            })
            .await
            .map_err(KiteError::into_broker_error)?;
        let positions = c
            .read(EndpointClass::Other, "positions", |k| async move {
                k.positions().await
            })
            .await
            .map_err(KiteError::into_broker_error)?;
        Ok(BrokerSnapshot {
            orders: orders.iter().map(BookOrder::from).collect(),
            trades: trades.iter().map(BookTrade::from).collect(),
            net_positions: positions.net.iter().map(BookPosition::from).collect(),
            day_positions: positions.day.iter().map(BookPosition::from).collect(),
            taken_at: ist_now(),
        })
    }

    /// Money available to trade in the equity segment (`GET /user/margins`, `equity.net`), ₹.
    ///
    /// # Errors
    /// The mapped Kite error.
    pub async fn available_margin(&self) -> Result<Decimal, BrokerError> {
        let m = self
            .client
            .read(EndpointClass::Other, "margins", |k| async move {
                k.margins().await
            })
            .await
            .map_err(KiteError::into_broker_error)?;
        Ok(crate::convert::money(m.equity.net))
    }
}

#[async_trait]
impl Broker for KiteBroker {
    fn name(&self) -> &str {
        "kite"
    }

    async fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
        if let Err(m) = Self::check_request(request) {
            return Err(BrokerError::Rejected(format!("not sent: {m}")));
        }
        let tag = request.tag.clone();
        match self.tags.get(&tag).cloned() {
            Some(TagState::Placed(id)) => {
                tracing::warn!(target: "kite", tag, order_id = id, "place_order repeated for a placed tag: not re-sent");
                return Ok(id);
            }
            Some(TagState::Rejected(m)) => return Err(BrokerError::Rejected(m)),
            Some(TagState::GaveUp) => {
                return Err(BrokerError::Rejected(format!(
                    "tag {tag} was declared not received; use a new order id"
                )));
            }
            Some(TagState::Unknown { .. }) => {
                return match self.settle_tag(&tag).await {
                    Ok(Some(id)) => Ok(id),
                    Ok(None) => Err(BrokerError::Unknown(format!(
                        "placement of tag {tag} still unsettled (not in the order book); not re-sent"
                    ))),
                    Err(e) => Err(BrokerError::Unknown(format!(
                        "placement of tag {tag} still unsettled ({e}); not re-sent"
                    ))),
                };
            }
            Some(TagState::NotPlaced) | None => {}
        }
        if let Some(r) = self.client.session().invalid_reason() {
            return Err(BrokerError::SessionInvalid(format!("not sent: {r}")));
        }
        let params = self.params_for(request).await?;
        if let Err(e) = self.client.limits().count_order(ist_now().date_naive()) {
            return Err(e.into_broker_error());
        }
        tracing::info!(target: "kite", tag, symbol = request.contract.tradingsymbol, side = request.side.code(), qty = request.quantity, "placing order");
        let result = self
            .client
            .send_once(EndpointClass::OrderPlace, move |k| {
                k.place_order(Variety::Regular, params)
            })
            .await;
        match result {
            Ok(resp) => {
                self.adopt(request.clone(), &resp.order_id);
                Ok(resp.order_id)
            }
            Err(e) if e.outcome_unknown() => {
                tracing::warn!(target: "kite", tag, error = %e, "placement outcome unknown: looking the tag up before anything is re-sent");
                self.tags.insert(
                    tag.clone(),
                    TagState::Unknown {
                        since: Instant::now(),
                        request: Box::new(request.clone()),
                    },
                );
                match self.settle_tag(&tag).await {
                    Ok(Some(id)) => Ok(id),
                    Ok(None) => Err(BrokerError::Unknown(format!(
                        "{e}; tag {tag} not in the order book yet: pending, not re-sent"
                    ))),
                    Err(le) => Err(BrokerError::Unknown(format!(
                        "{e}; order book lookup failed ({le}): pending, not re-sent"
                    ))),
                }
            }
            Err(KiteError::Rejected(m)) => {
                let m = format!("Kite rejected: {m}");
                self.tags.insert(tag, TagState::Rejected(m.clone()));
                Err(BrokerError::Rejected(m))
            }
            Err(e) => {
                self.tags.insert(tag, TagState::NotPlaced);
                Err(e.into_broker_error())
            }
        }
    }

    async fn cancel_order(&mut self, broker_order_id: &str) -> Result<(), BrokerError> {
        let id = broker_order_id.to_string();
        let r = self
            .client
            .read(EndpointClass::Other, "cancel", |k| {
                let id = id.clone();
                async move { k.cancel_order(Variety::Regular, &id, None).await }
            })
            .await;
        self.force_poll = true;
        r.map(|_| ()).map_err(KiteError::into_write_error)
    }

    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        self.drain_feed();
        let polled = self.poll().await;
        let events: Vec<BrokerEvent> = self.pending.drain(..).collect();
        match polled {
            Err(e) if events.is_empty() => {
                let be = e.into_broker_error();
                if matches!(be, BrokerError::SessionInvalid(_)) {
                    return Err(be);
                }
                tracing::warn!(target: "kite", error = %be, "order polling failed; will retry");
                Ok(events)
            }
            Err(e) => {
                tracing::warn!(target: "kite", error = %e, "order polling failed; will retry");
                Ok(events)
            }
            Ok(()) => Ok(events),
        }
    }

    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError> {
        if let Some(TagState::Placed(id)) = self.tags.get(tag) {
            return Ok(Some(id.clone()));
        }
        self.settle_tag(tag)
            .await
            .map_err(KiteError::into_broker_error)
    }

    fn observe(&mut self, tick: &Tick) {
        self.quotes.update(tick.token, tick.price, None, None);
    }

    /// [`KiteBroker::snapshot`] in the engine's terms ([`book::domain_book`]).
    async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
        let snap = self.snapshot().await?;
        book::domain_book(&snap)
    }

    /// [`KiteBroker::resume_order`].
    fn resume(&mut self, state: &OrderState) {
        self.resume_order(state);
    }

    /// `PUT /orders/regular/{id}` with the changed fields only (kite-connect.md §3.3; about
    /// 25 modifications per order, then cancel and re-place). Never retried: a lost answer is
    /// [`BrokerError::Unknown`] and the next poll shows the order's state.
    async fn modify_order(
        &mut self,
        broker_order_id: &str,
        change: &OrderChange,
    ) -> Result<(), BrokerError> {
        let mut p = OrderParams::new();
        if let Some(q) = change.quantity {
            p = p.quantity(i64::from(q));
        }
        if let Some(px) = change.price {
            p = p.price(to_wire_price(px));
        }
        if let Some(t) = change.trigger_price {
            p = p.trigger_price(to_wire_price(t));
        }
        let id = broker_order_id.to_string();
        let r = self
            .client
            .send_once(EndpointClass::Other, move |k| {
                k.modify_order(Variety::Regular, &id, p)
            })
            .await;
        self.force_poll = true;
        r.map(|_| ()).map_err(KiteError::into_write_error)
    }
}

/// The engine order id behind a tag this broker placed, if tracked.
impl KiteBroker {
    /// The engine id of a tracked Kite order.
    pub fn engine_id(&self, broker_order_id: &str) -> Option<OrderId> {
        self.orders
            .get(broker_order_id)
            .map(|t| t.state.request().id)
    }
}
