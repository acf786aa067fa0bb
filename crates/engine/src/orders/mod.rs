//! Orders of the day: the [`OrderManager`] creates them (split at the freeze quantity, spec
//! §7), places them, settles placements whose outcome is unknown (spec §10.2) and turns what
//! the broker reports into [`OrderOutcome`]s through the order state machine — returned from
//! one [`OrderManager::drain`], never by calling back into the engine. The engine applies the
//! outcomes to its positions ([`sync`]).

pub mod sync;

use chrono::{NaiveDate, TimeDelta};
use domain::order::{Applied, OrderEvent, OrderPurpose};
use domain::ports::{Broker, BrokerError, BrokerEvent};
use domain::time::IstDateTime;
use domain::{
    Fill, OptionContract, OrderId, OrderKind, OrderRequest, OrderState, OrderStatus, OrderUpdate,
    Product, Side,
};
use std::collections::{BTreeMap, VecDeque};

/// Index of the segment agent an order belongs to.
pub type AgentIx = usize;

/// An order and whose it is.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrackedOrder {
    /// The agent (segment) of the order.
    pub agent: AgentIx,
    /// Its state machine.
    pub state: OrderState,
    /// Brokerage is per executed order: only its first fill pays it.
    pub charged_brokerage: bool,
}

/// What the broker's reports did to the orders, in arrival order.
#[derive(Debug, Clone)]
pub enum OrderOutcome {
    /// The machine took a status report: the order's state after it.
    Updated {
        /// The agent.
        agent: AgentIx,
        /// The order's state after the report.
        state: OrderState,
    },
    /// The machine took an execution; book its charges.
    Filled {
        /// The agent.
        agent: AgentIx,
        /// The execution.
        fill: Fill,
        /// The order's first fill (pays brokerage).
        first: bool,
        /// The contract.
        contract: OptionContract,
    },
    /// Something the machine refused, or a report for an order the engine does not know.
    Error {
        /// The order concerned.
        order: OrderId,
        /// What is wrong.
        message: String,
        /// The fill's id, for a refused fill.
        fill_id: Option<String>,
    },
}

/// The day's orders.
#[derive(Debug, Default)]
pub struct OrderManager {
    orders: BTreeMap<OrderId, TrackedOrder>,
    next_order: u64,
    /// Start of the day's session (0 = first): part of every new tag
    /// ([`OrderId::tag_in_run`]), so a restart never reuses a tag.
    run: u32,
    /// Engine-tagged orders of an earlier run that the broker has and the checkpoint does not
    /// (placed after the last checkpoint): a re-made decision with the same id, contract, side
    /// and quantity takes the broker's order instead of placing a second one.
    orphans: Vec<domain::ports::BookOrder>,
    /// Placement times (for the orders-per-second rule), oldest first.
    sent: VecDeque<IstDateTime>,
}

impl OrderManager {
    /// No orders yet; ids start at 1.
    pub fn new() -> Self {
        Self {
            orders: BTreeMap::new(),
            next_order: 1,
            run: 0,
            orphans: Vec::new(),
            sent: VecDeque::new(),
        }
    }

    /// The orders of a checkpoint: ids continue from `next_order`; new tags carry `run`.
    pub fn restore(orders: Vec<TrackedOrder>, next_order: u64, run: u32) -> Self {
        let max = orders
            .iter()
            .map(|o| o.state.request().id.0)
            .max()
            .unwrap_or(0);
        Self {
            orders: orders
                .into_iter()
                .map(|o| (o.state.request().id, o))
                .collect(),
            next_order: next_order.max(max + 1),
            run,
            orphans: Vec::new(),
            sent: VecDeque::new(),
        }
    }

    /// The session start number in new tags.
    pub fn run(&self) -> u32 {
        self.run
    }

    /// New tags use a run above `run` (a tag of that run exists at the broker).
    pub fn ensure_run_above(&mut self, run: u32) {
        if self.run <= run {
            self.run = run + 1;
        }
    }

    /// Orders of an earlier run found at the broker but not in the checkpoint (see the field).
    pub fn set_orphans(&mut self, orphans: Vec<domain::ports::BookOrder>) {
        self.orphans = orphans;
    }

    /// Whether the broker holds an order of an earlier run (tag of `date`) under the id the
    /// next order will get, on `side`: the decision about to be made was made before the crash
    /// and sent, so it is not a missed one (an entry of the interrupted tick after a long
    /// outage is made again and takes that order over).
    pub fn next_is_orphan(&self, date: NaiveDate, side: Side) -> bool {
        self.orphans.iter().any(|o| {
            o.side == side
                && o.tag
                    .as_deref()
                    .and_then(domain::order::EngineTag::parse)
                    .is_some_and(|t| t.is_of(date) && t.id == self.next_order % 1_000_000)
        })
    }

    /// Orphans no re-made decision took.
    pub fn orphans(&self) -> &[domain::ports::BookOrder] {
        &self.orphans
    }

    /// The order known by broker order id `id`.
    pub fn by_broker_id(&self, id: &str) -> Option<&TrackedOrder> {
        self.orders
            .values()
            .find(|o| o.state.broker_order_id() == Some(id))
    }

    /// The order known by `tag`.
    pub fn by_tag(&self, tag: &str) -> Option<&TrackedOrder> {
        self.orders.values().find(|o| o.state.request().tag == tag)
    }

    /// Net units per tradingsymbol the engine's orders have filled (buys − sells).
    pub fn net_filled(&self) -> BTreeMap<String, i64> {
        let mut net = BTreeMap::new();
        for o in self.orders.values() {
            let q = i64::from(o.state.filled_quantity());
            let signed = match o.state.request().side {
                Side::Buy => q,
                Side::Sell => -q,
            };
            *net.entry(o.state.request().contract.tradingsymbol.clone())
                .or_insert(0) += signed;
        }
        net
    }

    /// The next order id (tags continue from it after a restart).
    pub fn next_order_id(&self) -> u64 {
        self.next_order
    }

    /// Every order, by id.
    pub fn iter(&self) -> impl Iterator<Item = &TrackedOrder> {
        self.orders.values()
    }

    /// One order.
    pub fn get(&self, id: OrderId) -> Option<&TrackedOrder> {
        self.orders.get(&id)
    }

    /// Some order is not terminal yet.
    pub fn any_working(&self) -> bool {
        self.orders
            .values()
            .any(|o| !o.state.status().is_terminal())
    }

    /// Orders placed within the second before `now` (a pure read; spec §7 order-rate rule).
    pub fn sent_last_second(&self, now: IstDateTime) -> u32 {
        let old = self
            .sent
            .iter()
            .take_while(|t| now - **t >= TimeDelta::seconds(1))
            .count();
        (self.sent.len() - old) as u32
    }

    /// Create the orders for `quantity` units, split at `freeze` units per order, all in
    /// `PENDING_SUBMIT` (all exist before the first is sent, so a fill of the first never
    /// looks like the whole entry/exit). Returns them in sending order.
    #[allow(clippy::too_many_arguments)]
    pub fn create_split(
        &mut self,
        agent: AgentIx,
        date: NaiveDate,
        contract: &OptionContract,
        side: Side,
        quantity: u32,
        freeze: u32,
        product: Product,
        purpose: OrderPurpose,
        ts: IstDateTime,
    ) -> Vec<OrderState> {
        risk::split_quantity(quantity, contract.lot_size, freeze)
            .into_iter()
            .map(|q| {
                let id = OrderId(self.next_order);
                self.next_order += 1;
                let orphan = self.take_orphan(id, date, &contract.tradingsymbol, side, q);
                let mut state = OrderState::new(OrderRequest {
                    id,
                    tag: orphan
                        .as_ref()
                        .and_then(|o| o.tag.clone())
                        .unwrap_or_else(|| id.tag_in_run(date, self.run)),
                    contract: contract.clone(),
                    side,
                    quantity: q,
                    kind: OrderKind::Market,
                    product,
                    purpose,
                    created: ts,
                });
                if let Some(o) = orphan {
                    // The same decision as the earlier run's: its order, not a second one.
                    let _ = state.apply_event(&OrderEvent::Placed {
                        broker_order_id: o.broker_order_id,
                    });
                }
                self.orders.insert(
                    id,
                    TrackedOrder {
                        agent,
                        state: state.clone(),
                        charged_brokerage: false,
                    },
                );
                state
            })
            .collect()
    }

    /// The orphan of an earlier run with order id `id` (tag of `date`), when it is the same
    /// order (tradingsymbol, side, quantity).
    fn take_orphan(
        &mut self,
        id: OrderId,
        date: NaiveDate,
        tradingsymbol: &str,
        side: Side,
        quantity: u32,
    ) -> Option<domain::ports::BookOrder> {
        let k = self.orphans.iter().position(|o| {
            o.tag
                .as_deref()
                .and_then(domain::order::EngineTag::parse)
                .is_some_and(|t| t.is_of(date) && t.id == id.0 % 1_000_000)
                && o.tradingsymbol == tradingsymbol
                && o.side == side
                && o.quantity == quantity
        })?;
        Some(self.orphans.remove(k))
    }

    /// Place an order at the broker. `Ok` records the broker's id; the error is the broker's
    /// (an unknown outcome leaves the order `PENDING_SUBMIT` to be settled by tag). An order
    /// that already has a broker id (an orphan taken over) is not sent again: the broker
    /// resumes reporting it.
    pub async fn place(
        &mut self,
        broker: &mut dyn Broker,
        id: OrderId,
        now: IstDateTime,
    ) -> Result<(), BrokerError> {
        let Some(o) = self.orders.get(&id) else {
            return Ok(());
        };
        if o.state.broker_order_id().is_some() {
            broker.resume(&o.state);
            return Ok(());
        }
        let req = o.state.request().clone();
        while self
            .sent
            .front()
            .is_some_and(|t| now - *t >= TimeDelta::seconds(1))
        {
            self.sent.pop_front();
        }
        self.sent.push_back(req.created);
        let broker_order_id = broker.place_order(&req).await?;
        self.placed(id, broker_order_id);
        Ok(())
    }

    fn placed(&mut self, id: OrderId, broker_order_id: String) {
        if let Some(o) = self.orders.get_mut(&id) {
            // `Placed` is accepted in every status (module table of the machine).
            let _ = o.state.apply_event(&OrderEvent::Placed { broker_order_id });
        }
    }

    /// Orders whose placement outcome is unknown (`PENDING_SUBMIT`, no broker id): id, tag and
    /// creation time.
    pub fn unsettled(&self) -> Vec<(OrderId, String, IstDateTime)> {
        self.orders
            .iter()
            .filter(|(_, o)| {
                o.state.status() == OrderStatus::PendingSubmit
                    && o.state.broker_order_id().is_none()
            })
            .map(|(id, o)| {
                (
                    *id,
                    o.state.request().tag.clone(),
                    o.state.request().created,
                )
            })
            .collect()
    }

    /// The broker found an unsettled order by its tag.
    pub fn found_by_tag(&mut self, id: OrderId, broker_order_id: String) {
        self.placed(id, broker_order_id);
    }

    /// A placement definitively failed: the order is REJECTED locally with `msg`.
    pub fn reject_locally(
        &mut self,
        id: OrderId,
        msg: &str,
        ts: IstDateTime,
    ) -> Option<OrderOutcome> {
        let o = self.orders.get_mut(&id)?;
        let u = OrderUpdate {
            id,
            broker_order_id: o.state.broker_order_id().map(String::from),
            status: OrderStatus::Rejected,
            filled_quantity: o.state.filled_quantity(),
            average_price: o.state.average_price(),
            message: Some(msg.to_string()),
            ts,
        };
        o.state.apply(&u).ok().map(|()| OrderOutcome::Updated {
            agent: o.agent,
            state: o.state.clone(),
        })
    }

    /// Drain the broker's reports once and run them through the order machines: the outcomes
    /// in arrival order. A poll failure is returned as the error.
    pub async fn drain(
        &mut self,
        broker: &mut dyn Broker,
    ) -> Result<Vec<OrderOutcome>, BrokerError> {
        let events = broker.poll_events().await?;
        Ok(events.into_iter().map(|ev| self.apply(ev)).collect())
    }

    fn apply(&mut self, ev: BrokerEvent) -> OrderOutcome {
        match ev {
            BrokerEvent::Order(u) => {
                let Some(o) = self.orders.get_mut(&u.id) else {
                    return OrderOutcome::Error {
                        order: u.id,
                        message: format!("update for unknown order {}", u.id),
                        fill_id: None,
                    };
                };
                match o.state.apply(&u) {
                    Ok(()) => OrderOutcome::Updated {
                        agent: o.agent,
                        state: o.state.clone(),
                    },
                    Err(e) => OrderOutcome::Error {
                        order: u.id,
                        message: e.to_string(),
                        fill_id: None,
                    },
                }
            }
            BrokerEvent::Fill(f) => {
                let Some(o) = self.orders.get_mut(&f.order_id) else {
                    return OrderOutcome::Error {
                        order: f.order_id,
                        message: format!("fill {} for unknown order {}", f.fill_id, f.order_id),
                        fill_id: Some(f.fill_id),
                    };
                };
                // The fill is booked (charges, journal) only once the machine took it.
                match o.state.apply_event(&OrderEvent::Fill(f.clone())) {
                    Ok(Applied::Changed) => {
                        let first = !o.charged_brokerage;
                        o.charged_brokerage = true;
                        OrderOutcome::Filled {
                            agent: o.agent,
                            contract: o.state.request().contract.clone(),
                            fill: f,
                            first,
                        }
                    }
                    Ok(Applied::DuplicateFill) => OrderOutcome::Error {
                        order: f.order_id,
                        message: format!("fill {} reported twice: counted once", f.fill_id),
                        fill_id: Some(f.fill_id),
                    },
                    Err(e) => OrderOutcome::Error {
                        order: f.order_id,
                        message: e.to_string(),
                        fill_id: Some(f.fill_id),
                    },
                }
            }
        }
    }

    // --- For the protective stop at the broker (position/protective.rs, spec §10.3) ---

    /// Rewrite the request of order `id` while it has no fills (`change` edits a copy): a new
    /// protective order takes its SL kind; a resting one takes the quantity the broker
    /// accepted in a modification. The broker id and the status are kept. The state after it;
    /// `None` (nothing changed) when the order is unknown, has fills, or is in a cancel or
    /// modify transition.
    pub fn rewrite_request(
        &mut self,
        id: OrderId,
        change: impl FnOnce(&mut OrderRequest),
    ) -> Option<OrderState> {
        let o = self.orders.get_mut(&id)?;
        let old = &o.state;
        if old.filled_quantity() > 0 {
            return None;
        }
        let mut request = old.request().clone();
        change(&mut request);
        let mut state = OrderState::new(request);
        if let Some(bid) = old.broker_order_id() {
            state
                .apply_event(&OrderEvent::Placed {
                    broker_order_id: bid.to_string(),
                })
                .ok()?;
        }
        if old.status() != OrderStatus::PendingSubmit {
            state
                .apply(&OrderUpdate {
                    id,
                    broker_order_id: old.broker_order_id().map(String::from),
                    status: old.status(),
                    filled_quantity: 0,
                    average_price: None,
                    message: old.message().map(String::from),
                    ts: old.updated(),
                })
                .ok()?;
        }
        o.state = state.clone();
        Some(state)
    }

    /// Apply an engine-side event (a cancel or modification requested or refused) to order
    /// `id`: its state after it; `None` when the order is unknown or the machine refuses the
    /// event (the broker's reports still decide).
    pub fn apply_local(&mut self, id: OrderId, ev: &OrderEvent) -> Option<OrderState> {
        let o = self.orders.get_mut(&id)?;
        o.state.apply_event(ev).ok()?;
        Some(o.state.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use domain::instrument::OptionType;
    use domain::segment::{Exchange, Segment};
    use domain::time::ist_hms;
    use domain::{Decimal, PremiumSource};
    use rust_decimal_macros::dec;

    /// Accepts every order; reports what the test queued.
    struct Queued(Vec<BrokerEvent>);

    #[async_trait]
    impl Broker for Queued {
        fn name(&self) -> &str {
            "queued"
        }
        async fn place_order(&mut self, r: &OrderRequest) -> Result<String, BrokerError> {
            Ok(format!("B{}", r.id))
        }
        async fn cancel_order(&mut self, _: &str) -> Result<(), BrokerError> {
            Ok(())
        }
        async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
            Ok(std::mem::take(&mut self.0))
        }
        async fn find_by_tag(&mut self, _: &str) -> Result<Option<String>, BrokerError> {
            Ok(None)
        }
    }

    fn contract() -> OptionContract {
        OptionContract {
            segment: Segment::Nifty,
            exchange: Exchange::NFO,
            expiry: NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
            strike: dec!(23000),
            option_type: OptionType::CE,
            lot_size: 25,
            tick_size: dec!(0.05),
            tradingsymbol: "NIFTY2460623000CE".into(),
            instrument_token: None,
        }
    }

    fn fill(order: u64, id: &str, qty: u32) -> BrokerEvent {
        BrokerEvent::Fill(Fill {
            order_id: OrderId(order),
            fill_id: id.into(),
            ts: ist_hms(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(), 9, 20, 0),
            tradingsymbol: "NIFTY2460623000CE".into(),
            side: Side::Buy,
            quantity: qty,
            price: Decimal::from(100),
            reference_price: Decimal::from(100),
            premium_source: PremiumSource::Market,
        })
    }

    #[test]
    fn split_unknown_duplicate_and_overfill() {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let ts = ist_hms(d, 9, 20, 0);
        let mut m = OrderManager::new();
        let orders = m.create_split(
            0,
            d,
            &contract(),
            Side::Buy,
            100,
            50,
            Product::MIS,
            OrderPurpose::Entry,
            ts,
        );
        assert_eq!(
            orders
                .iter()
                .map(|o| o.request().quantity)
                .collect::<Vec<_>>(),
            vec![50, 50]
        );
        let mut b = Queued(vec![
            fill(1, "T1", 25),
            fill(1, "T1", 25),
            fill(2, "T2", 75),
            fill(9, "T3", 25),
        ]);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let out = rt.block_on(async {
            m.place(&mut b, OrderId(1), ts).await.unwrap();
            m.drain(&mut b).await.unwrap()
        });
        assert_eq!(m.sent_last_second(ts), 1);
        assert!(matches!(out[0], OrderOutcome::Filled { first: true, .. }));
        // The same trade id again, an overfill, a fill for an unknown order: errors, never
        // booked.
        for o in &out[1..] {
            assert!(matches!(o, OrderOutcome::Error { .. }), "{o:?}");
        }
        assert_eq!(m.get(OrderId(1)).unwrap().state.filled_quantity(), 25);
        assert_eq!(m.get(OrderId(2)).unwrap().state.filled_quantity(), 0);
        assert_eq!(
            m.get(OrderId(1)).unwrap().state.broker_order_id(),
            Some("B1")
        );
    }
}
