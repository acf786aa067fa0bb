//! # broker-paper — simulated execution (spec §8)
//!
//! [`PaperBroker`] implements [`domain::ports::Broker`]: market orders fill immediately at the
//! option's current premium from a [`PremiumMarks`] source — the last real trade of the
//! contract when data exists ([`PremiumSource::Market`]), else Black-76 on the index
//! ([`PremiumSource::Model`], see [`pricer::Pricer`]) — moved against the order by
//! `slippage_ticks` ticks. Orders go through the same state machine as live
//! (`PENDING_SUBMIT → OPEN → COMPLETE`, spec §10.2), so code above cannot tell the difference.

pub mod black76;
pub mod book;
pub mod pricer;

use async_trait::async_trait;
use book::PaperBook;
use domain::order::OrderState;
use domain::ports::{Broker, BrokerBook, BrokerError, BrokerEvent, PremiumMarks};
use domain::{
    Decimal, Fill, OrderKind, OrderRequest, OrderStatus, OrderUpdate, PremiumSource, Segment, Side,
    Tick,
};
use std::collections::{BTreeMap, HashMap};

/// Paper execution settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaperSettings {
    /// Slippage in ticks against the order (buy higher, sell lower; tick = contract tick size).
    pub slippage_ticks: u32,
}

/// The paper broker.
pub struct PaperBroker {
    settings: PaperSettings,
    marks: Box<dyn PremiumMarks>,
    underlying: HashMap<Segment, Decimal>,
    /// Watched tokens of stock segments (indices are known by their own tokens).
    watch: HashMap<u32, Segment>,
    events: Vec<BrokerEvent>,
    by_tag: BTreeMap<String, String>,
    next_id: u64,
    book: PaperBook,
    /// Every report sent for an order this broker placed, by broker order id: re-sent to an
    /// engine that resumes the order knowing less of it (see [`Broker::resume`] below).
    reported: HashMap<String, Vec<BrokerEvent>>,
}

impl PaperBroker {
    /// A paper broker pricing fills from `marks`.
    pub fn new(settings: PaperSettings, marks: Box<dyn PremiumMarks>) -> Self {
        Self {
            settings,
            marks,
            underlying: HashMap::new(),
            watch: HashMap::new(),
            events: Vec::new(),
            by_tag: BTreeMap::new(),
            next_id: 1,
            book: PaperBook::default(),
            reported: HashMap::new(),
        }
    }

    /// Also follow these stock segments' prices: `(segment, watched instrument_token)` (a
    /// stock agent trades its share at the watched price, issue 15).
    pub fn watching(mut self, stocks: impl IntoIterator<Item = (Segment, u32)>) -> Self {
        self.watch
            .extend(stocks.into_iter().map(|(segment, token)| (token, segment)));
        self
    }

    fn fill_price(&self, reference: Decimal, side: Side, tick: Decimal) -> Decimal {
        let slip = tick * Decimal::from(self.settings.slippage_ticks);
        match side {
            Side::Buy => reference + slip,
            Side::Sell => (reference - slip).max(tick),
        }
    }
}

#[async_trait]
impl Broker for PaperBroker {
    fn name(&self) -> &str {
        "paper"
    }

    async fn place_order(&mut self, req: &OrderRequest) -> Result<String, BrokerError> {
        if self.by_tag.contains_key(&req.tag) {
            return Err(BrokerError::Rejected(format!("duplicate tag {}", req.tag)));
        }
        if req.quantity == 0 || !req.quantity.is_multiple_of(req.contract.lot_size.max(1)) {
            return Err(BrokerError::Rejected(format!(
                "quantity {} is not a whole number of lots of {}",
                req.quantity, req.contract.lot_size
            )));
        }
        let underlying = *self.underlying.get(&req.contract.segment).ok_or_else(|| {
            BrokerError::Rejected(format!("no {} price yet", req.contract.segment))
        })?;
        let (reference, source): (Decimal, PremiumSource) = self
            .marks
            .mark(&req.contract, underlying, req.created)
            .ok_or_else(|| {
                BrokerError::Rejected(format!("no premium for {}", req.contract.tradingsymbol))
            })?;
        let tick = req.contract.tick_size;
        let market_price = self.fill_price(reference, req.side, tick);
        let price = match req.kind {
            OrderKind::Market => market_price,
            // A marketable limit fills at the market price if the limit allows it.
            OrderKind::Limit { price } => {
                let ok = match req.side {
                    Side::Buy => price >= market_price,
                    Side::Sell => price <= market_price,
                };
                if !ok {
                    return Err(BrokerError::Rejected(format!(
                        "paper broker fills marketable orders only: limit {price} vs market {market_price}"
                    )));
                }
                market_price
            }
            OrderKind::StopLimit { .. } => {
                return Err(BrokerError::Rejected(format!(
                    "{}: the paper broker does not rest SL orders (the broker-side protective stop is for live trading)",
                    req.tag
                )));
            }
        };
        let broker_id = format!("PAPER{:08}", self.next_id);
        self.next_id += 1;
        self.by_tag.insert(req.tag.clone(), broker_id.clone());
        let update = |status, filled, avg| OrderUpdate {
            id: req.id,
            broker_order_id: Some(broker_id.clone()),
            status,
            filled_quantity: filled,
            average_price: avg,
            message: None,
            ts: req.created,
        };
        let first = self.events.len();
        self.events
            .push(BrokerEvent::Order(update(OrderStatus::Open, 0, None)));
        let fill_id = format!("{broker_id}-1");
        self.book
            .record_fill(req, &broker_id, &fill_id, price, req.created);
        self.events.push(BrokerEvent::Fill(Fill {
            order_id: req.id,
            fill_id,
            ts: req.created,
            tradingsymbol: req.contract.tradingsymbol.clone(),
            side: req.side,
            quantity: req.quantity,
            price,
            reference_price: reference,
            premium_source: source,
        }));
        self.events.push(BrokerEvent::Order(update(
            OrderStatus::Complete,
            req.quantity,
            Some(price),
        )));
        self.reported
            .insert(broker_id.clone(), self.events[first..].to_vec());
        Ok(broker_id)
    }

    async fn cancel_order(&mut self, broker_order_id: &str) -> Result<(), BrokerError> {
        Err(BrokerError::Rejected(format!(
            "{broker_order_id}: paper orders fill immediately; nothing to cancel"
        )))
    }

    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        Ok(std::mem::take(&mut self.events))
    }

    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError> {
        Ok(self.by_tag.get(tag).cloned())
    }

    fn observe(&mut self, tick: &Tick) {
        let seg =
            Segment::from_index_token(tick.token).or_else(|| self.watch.get(&tick.token).copied());
        if let Some(seg) = seg {
            self.underlying.insert(seg, tick.price);
        }
        self.marks.observe(tick);
    }

    /// The orders filled (and restored) this session, their executions and the net position
    /// per tradingsymbol ([`PaperBook::snapshot`]).
    async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
        Ok(self.book.snapshot())
    }

    /// Book a restored order ([`PaperBook::restore`]) so the book and
    /// [`Broker::find_by_tag`] know it; later paper ids continue past its `PAPER…` id. An
    /// order without a broker order id never reached the paper broker and is not booked.
    ///
    /// An order this broker placed whose `state` has fewer fills than the broker reported (an
    /// engine restarted from a checkpoint older than the order takes it over, as with Kite)
    /// gets its reports again: the fills `state` lacks and the status changes, under the
    /// resuming engine's order id.
    fn resume(&mut self, state: &OrderState) {
        let Some(id) = state.broker_order_id() else {
            return;
        };
        self.by_tag
            .entry(state.request().tag.clone())
            .or_insert_with(|| id.to_string());
        if let Some(n) = id.strip_prefix("PAPER").and_then(|n| n.parse::<u64>().ok()) {
            self.next_id = self.next_id.max(n.saturating_add(1));
        }
        if self.book.restore(state) || state.filled_quantity() >= state.request().quantity {
            return;
        }
        let known = state.fill_ids();
        let again: Vec<BrokerEvent> = self
            .reported
            .get(id)
            .into_iter()
            .flatten()
            .filter(|e| !matches!(e, BrokerEvent::Fill(f) if known.contains(&f.fill_id)))
            .cloned()
            .map(|e| match e {
                BrokerEvent::Order(mut u) => {
                    u.id = state.request().id;
                    BrokerEvent::Order(u)
                }
                BrokerEvent::Fill(mut f) => {
                    f.order_id = state.request().id;
                    BrokerEvent::Fill(f)
                }
            })
            .collect();
        self.events.extend(again);
    }
}

#[cfg(test)]
mod tests;
