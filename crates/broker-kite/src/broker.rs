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

use crate::client::KiteClient;
use crate::convert::{
    ist_from_naive, ist_now, kite_exchange, kite_product, kite_side, round_down_to_tick,
    round_up_to_tick, rupees, to_wire_price, units,
};
use crate::error::KiteError;
use crate::feed::{OrderFeed, OrderFeedMsg, QuoteBook};
use crate::limits::EndpointClass;
use crate::orders::{BookOrder, BookPosition, BookTrade, BrokerSnapshot, order_update};
use crate::settings::MarketOrderStyle;
use async_trait::async_trait;
use domain::order::{
    Fill, OrderKind, OrderRequest, OrderState, OrderStatus, OrderUpdate, PremiumSource,
};
use domain::ports::{Broker, BrokerError, BrokerEvent};
use domain::{OrderId, Side, Tick};
use kiteconnect::{OrderParams, OrderType, Validity, Variety};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

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

/// Modification of an open order (`PUT /orders/regular/{id}`, kite-connect.md §3.3).
/// Each order can be modified about 25 times; past that cancel and re-place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modify {
    /// New quantity, units.
    pub quantity: Option<u32>,
    /// New limit price, ₹.
    pub price: Option<Decimal>,
    /// New trigger price, ₹ (SL orders).
    pub trigger_price: Option<Decimal>,
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
    /// fills flow again. Its tag counts as sent.
    pub fn track_existing(&mut self, state: OrderState, broker_order_id: &str) {
        self.tags.insert(
            state.request().tag.clone(),
            TagState::Placed(broker_order_id.to_string()),
        );
        self.orders.insert(
            broker_order_id.to_string(),
            Tracked {
                state,
                trades_seen: HashSet::new(),
                needs_trades: true,
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

    /// Modify an open order (no retry: a lost answer is [`BrokerError::Unknown`]; the next
    /// poll shows the order's state).
    ///
    /// # Errors
    /// Kite's rejection, session, rate-limit or unknown outcome.
    pub async fn modify_order(
        &mut self,
        broker_order_id: &str,
        m: Modify,
    ) -> Result<(), BrokerError> {
        let mut p = OrderParams::new();
        if let Some(q) = m.quantity {
            p = p.quantity(i64::from(q));
        }
        if let Some(px) = m.price {
            p = p.price(to_wire_price(px));
        }
        if let Some(t) = m.trigger_price {
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

    async fn price_for_market(&self, req: &OrderRequest) -> Result<Decimal, BrokerError> {
        let c = &req.contract;
        let max_age = Duration::from_millis(self.client.settings().orders.max_quote_age_ms);
        let fresh = c
            .instrument_token
            .and_then(|t| self.quotes.get(t))
            .filter(|t| t.at.elapsed() <= max_age);
        let (ltp, bid, ask) = match fresh {
            Some(t) => (t.ltp, t.bid, t.ask),
            None => {
                let key = format!("{}:{}", c.exchange, c.tradingsymbol);
                let q = self
                    .client
                    .read(EndpointClass::Quote, "quote", |k| {
                        let key = key.clone();
                        async move { k.quote(&[key.as_str()]).await }
                    })
                    .await
                    .map_err(|e| {
                        BrokerError::Unavailable(format!(
                            "no price for {} (order not sent): {e}",
                            c.tradingsymbol
                        ))
                    })?;
                let q = q.get(&key).ok_or_else(|| {
                    BrokerError::Unavailable(format!("no quote for {key} (order not sent)"))
                })?;
                let best = |v: &[kiteconnect::DepthItem]| {
                    v.first()
                        .filter(|l| l.quantity > 0 && l.price > 0.0)
                        .map(|l| rupees(l.price))
                };
                let (bid, ask) = q
                    .depth
                    .as_ref()
                    .map_or((None, None), |d| (best(&d.buy), best(&d.sell)));
                let ltp = rupees(q.last_price);
                if let Some(t) = c.instrument_token {
                    self.quotes.update(t, ltp, bid, ask);
                }
                (ltp, bid, ask)
            }
        };
        let pct = self.client.settings().orders.limit_buffer_pct / Decimal::ONE_HUNDRED;
        let price = match req.side {
            Side::Buy => round_up_to_tick(ask.unwrap_or(ltp) * (Decimal::ONE + pct), c.tick_size),
            Side::Sell => {
                round_down_to_tick(bid.unwrap_or(ltp) * (Decimal::ONE - pct), c.tick_size)
                    .max(c.tick_size)
            }
        };
        if price <= Decimal::ZERO {
            return Err(BrokerError::Unavailable(format!(
                "no usable price for {} (order not sent)",
                c.tradingsymbol
            )));
        }
        Ok(price)
    }

    async fn params_for(&self, req: &OrderRequest) -> Result<OrderParams, BrokerError> {
        let c = &req.contract;
        let mut p = OrderParams::new()
            .exchange(kite_exchange(c.exchange))
            .tradingsymbol(c.tradingsymbol.clone())
            .transaction_type(kite_side(req.side))
            .quantity(i64::from(req.quantity))
            .product(kite_product(req.product))
            .validity(Validity::Day)
            .tag(req.tag.clone());
        let o = &self.client.settings().orders;
        p = match req.kind {
            OrderKind::Market => match o.market_order_style {
                MarketOrderStyle::Limit => {
                    let px = self.price_for_market(req).await?;
                    p.order_type(OrderType::Limit).price(to_wire_price(px))
                }
                MarketOrderStyle::Market => p
                    .order_type(OrderType::Market)
                    .market_protection(f64::from(o.market_protection)),
            },
            OrderKind::Limit { price } => {
                // Never worse than asked: a BUY rounds down, a SELL up, to the tick.
                let px = match req.side {
                    Side::Buy => round_down_to_tick(price, c.tick_size),
                    Side::Sell => round_up_to_tick(price, c.tick_size),
                };
                p.order_type(OrderType::Limit).price(to_wire_price(px))
            }
            OrderKind::StopLimit { trigger, price } => p
                .order_type(OrderType::Sl)
                .trigger_price(to_wire_price(trigger))
                .price(to_wire_price(price)),
        };
        Ok(p)
    }

    fn check_request(req: &OrderRequest) -> Result<(), String> {
        if !valid_tag(&req.tag) {
            return Err(format!(
                "tag `{}` is not 1-20 alphanumeric characters (kite-connect.md §3.3)",
                req.tag
            ));
        }
        let lot = req.contract.lot_size;
        if req.quantity == 0 || lot == 0 || !req.quantity.is_multiple_of(lot) {
            return Err(format!(
                "quantity {} is not a positive multiple of the lot size {lot} of {}",
                req.quantity, req.contract.tradingsymbol
            ));
        }
        Ok(())
    }

    fn adopt(&mut self, request: OrderRequest, broker_order_id: &str) {
        self.tags.insert(
            request.tag.clone(),
            TagState::Placed(broker_order_id.to_string()),
        );
        self.orders
            .entry(broker_order_id.to_string())
            .or_insert_with(|| Tracked {
                state: OrderState::new(request),
                trades_seen: HashSet::new(),
                needs_trades: false,
            });
        self.force_poll = true;
    }

    /// Look `tag` up in the order book; adopt what is found for an unsettled tag.
    async fn settle_tag(&mut self, tag: &str) -> Result<Option<String>, KiteError> {
        let book = self
            .client
            .read(EndpointClass::Other, "orders", |k| async move {
                k.orders().await
            })
            .await?;
        self.settle_from_book(&book);
        Ok(match self.tags.get(tag) {
            Some(TagState::Placed(id)) => Some(id.clone()),
            _ => book
                .iter()
                .find(|o| order_has_tag(o, tag))
                .map(|o| o.order_id.clone()),
        })
    }

    fn settle_from_book(&mut self, book: &[kiteconnect::Order]) {
        let unknown: Vec<String> = self
            .tags
            .iter()
            .filter(|(_, s)| matches!(s, TagState::Unknown { .. }))
            .map(|(t, _)| t.clone())
            .collect();
        for tag in unknown {
            let found: Vec<&kiteconnect::Order> =
                book.iter().filter(|o| order_has_tag(o, &tag)).collect();
            if found.len() > 1 {
                tracing::error!(target: "kite", tag, count = found.len(), "several Kite orders carry one tag: adopting the first, check the order book");
            }
            if let Some(o) = found.first()
                && let Some(TagState::Unknown { request, .. }) = self.tags.get(&tag).cloned()
            {
                tracing::info!(target: "kite", tag, order_id = o.order_id, "unsettled placement found in the order book");
                self.adopt(*request, &o.order_id);
            }
        }
        for o in book {
            self.ingest(o);
        }
    }

    /// Apply one Kite order row (socket, history or book) to the tracked order. A row carrying
    /// the tag of an unsettled placement settles it (the order is adopted).
    fn ingest(&mut self, o: &kiteconnect::Order) {
        if !self.orders.contains_key(&o.order_id) {
            let tags = o.tag.iter().chain(o.tags.iter());
            let mut adopt = None;
            for tag in tags {
                match self.tags.get(tag) {
                    Some(TagState::Unknown { request, .. }) => {
                        adopt = Some((tag.clone(), request.clone()));
                        break;
                    }
                    Some(TagState::GaveUp) => {
                        tracing::error!(target: "kite", tag, order_id = o.order_id, status = o.status,
                            "an order declared not received has appeared at Kite: reconcile positions");
                        return;
                    }
                    _ => {}
                }
            }
            let Some((tag, request)) = adopt else { return };
            tracing::info!(target: "kite", tag, order_id = o.order_id, "unsettled placement settled by an order update");
            self.adopt(*request, &o.order_id);
        }
        let Some(t) = self.orders.get_mut(&o.order_id) else {
            return;
        };
        let prev = t.state.filled_quantity();
        let Some(u) = order_update(t.state.request().id, o, prev) else {
            return;
        };
        if u.status == t.state.status() && u.filled_quantity == prev {
            return;
        }
        match t.state.apply(&u) {
            Ok(()) => {
                if u.filled_quantity > prev {
                    t.needs_trades = true;
                    self.fresh_fills = true;
                }
                self.pending.push_back(BrokerEvent::Order(u));
            }
            Err(e) if t.state.status().is_terminal() => {
                tracing::debug!(target: "kite", error = %e, "stale order update ignored");
            }
            Err(e) => {
                tracing::warn!(target: "kite", error = %e, "order update rejected by the state machine")
            }
        }
    }

    fn drain_feed(&mut self) {
        while let Ok(m) = self.feed_rx.try_recv() {
            match m {
                OrderFeedMsg::Update(o) => self.ingest(&o),
                OrderFeedMsg::Reconnected => self.force_poll = true,
            }
        }
    }

    async fn fetch_fills(&mut self) -> Result<(), KiteError> {
        let ids: Vec<String> = self
            .orders
            .iter()
            .filter(|(_, t)| t.needs_trades)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            let oid = id.clone();
            let trades = self
                .client
                .read(EndpointClass::Other, "order_trades", |k| {
                    let oid = oid.clone();
                    async move { k.order_trades(&oid).await }
                })
                .await?;
            let Some(t) = self.orders.get_mut(&id) else {
                continue;
            };
            let mut got = 0u32;
            for tr in &trades {
                got = got.saturating_add(units(tr.quantity));
                if !t.trades_seen.insert(tr.trade_id.clone()) {
                    continue;
                }
                let price = rupees(tr.average_price);
                self.pending.push_back(BrokerEvent::Fill(Fill {
                    order_id: t.state.request().id,
                    fill_id: tr.trade_id.clone(),
                    ts: ist_from_naive(tr.fill_timestamp),
                    tradingsymbol: tr.tradingsymbol.clone(),
                    side: t.state.request().side,
                    quantity: units(tr.quantity),
                    price,
                    reference_price: price,
                    premium_source: PremiumSource::Market,
                }));
            }
            // Keep asking while the trade book lags the order's filled quantity.
            t.needs_trades = got < t.state.filled_quantity();
        }
        Ok(())
    }

    fn give_up_on_stale_unknowns(&mut self) {
        let grace = Duration::from_secs(self.client.settings().orders.unknown_grace_secs);
        let stale: Vec<(String, Box<OrderRequest>)> = self
            .tags
            .iter()
            .filter_map(|(tag, s)| match s {
                TagState::Unknown { since, request } if since.elapsed() >= grace => {
                    Some((tag.clone(), request.clone()))
                }
                _ => None,
            })
            .collect();
        for (tag, req) in stale {
            tracing::error!(target: "kite", tag, "placement outcome unknown and not in the order book after the grace period: reported REJECTED");
            self.tags.insert(tag, TagState::GaveUp);
            self.pending.push_back(BrokerEvent::Order(OrderUpdate {
                id: req.id,
                broker_order_id: None,
                status: OrderStatus::Rejected,
                filled_quantity: 0,
                average_price: None,
                message: Some(format!(
                    "not received by Kite: placement timed out and the order book showed no order with tag {} for {}s",
                    req.tag, grace.as_secs()
                )),
                ts: ist_now(),
            }));
        }
    }

    async fn poll(&mut self) -> Result<(), KiteError> {
        let open: Vec<String> = self
            .orders
            .iter()
            .filter(|(_, t)| !t.state.status().is_terminal())
            .map(|(id, _)| id.clone())
            .collect();
        let unknown = self
            .tags
            .values()
            .any(|s| matches!(s, TagState::Unknown { .. }));
        let fills_due = self.orders.values().any(|t| t.needs_trades);
        let every = Duration::from_millis(self.client.settings().orders.poll_interval_ms);
        let due = self.force_poll || self.last_poll.is_none_or(|t| t.elapsed() >= every);
        if due && (!open.is_empty() || unknown || self.force_poll) {
            self.last_poll = Some(Instant::now());
            if unknown || self.force_poll || open.len() > 3 {
                let book = self
                    .client
                    .read(EndpointClass::Other, "orders", |k| async move {
                        k.orders().await
                    })
                    .await?;
                self.settle_from_book(&book);
            } else {
                for id in open {
                    let oid = id.clone();
                    let history = self
                        .client
                        .read(EndpointClass::Other, "order_history", |k| {
                            let oid = oid.clone();
                            async move { k.order_history(&oid).await }
                        })
                        .await?;
                    // Rows are oldest first; the machine takes them in order (stale ones are no-ops).
                    for row in &history {
                        self.ingest(row);
                    }
                }
            }
            self.force_poll = false;
        }
        self.give_up_on_stale_unknowns();
        // Trades of a new fill at once; a lagging trade book again at the poll interval.
        if self.fresh_fills || (fills_due && due) {
            self.fresh_fills = false;
            self.fetch_fills().await?;
        }
        Ok(())
    }
}

fn order_has_tag(o: &kiteconnect::Order, tag: &str) -> bool {
    o.tag.as_deref() == Some(tag) || o.tags.iter().any(|t| t == tag)
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
