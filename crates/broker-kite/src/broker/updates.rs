//! Order updates into the shared [`OrderState`] machine: adopting and settling tags, ingesting
//! ticker/polled orders, fetching fills, giving up on stale unknown placements, and polling
//! (kite-connect.md §3.4, §5.3).

use super::{KiteBroker, TagState, Tracked};
use crate::convert::{ist_from_naive, ist_now, rupees, units};
use crate::error::KiteError;
use crate::feed::OrderFeedMsg;
use crate::limits::EndpointClass;
use crate::orders::order_update;
use domain::order::{
    Fill, OrderEvent, OrderRequest, OrderState, OrderStatus, OrderUpdate, PremiumSource,
};
use domain::ports::BrokerEvent;
use std::collections::HashSet;
use std::time::{Duration, Instant};

impl KiteBroker {
    pub(super) fn adopt(&mut self, request: OrderRequest, broker_order_id: &str) {
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
    pub(super) async fn settle_tag(&mut self, tag: &str) -> Result<Option<String>, KiteError> {
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

    pub(super) fn settle_from_book(&mut self, book: &[kiteconnect::Order]) {
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
    pub(super) fn ingest(&mut self, o: &kiteconnect::Order) {
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

    pub(super) fn drain_feed(&mut self) {
        while let Ok(m) = self.feed_rx.try_recv() {
            match m {
                OrderFeedMsg::Update(o) => self.ingest(&o),
                OrderFeedMsg::Reconnected => self.force_poll = true,
            }
        }
    }

    pub(super) async fn fetch_fills(&mut self) -> Result<(), KiteError> {
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
                let fill = Fill {
                    order_id: t.state.request().id,
                    fill_id: tr.trade_id.clone(),
                    ts: ist_from_naive(tr.fill_timestamp),
                    tradingsymbol: tr.tradingsymbol.clone(),
                    side: t.state.request().side,
                    quantity: units(tr.quantity),
                    price,
                    reference_price: price,
                    premium_source: PremiumSource::Market,
                };
                // The broker's own view keeps the fill ids too (`order_state`, a checkpoint).
                if let Err(e) = t.state.apply_event(&OrderEvent::Fill(fill.clone())) {
                    tracing::warn!(target: "kite", error = %e, "fill not applied to the tracked order");
                }
                self.pending.push_back(BrokerEvent::Fill(fill));
            }
            // Keep asking while the trade book lags the order's filled quantity.
            t.needs_trades = got < t.state.filled_quantity();
        }
        Ok(())
    }

    pub(super) fn give_up_on_stale_unknowns(&mut self) {
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

    pub(super) async fn poll(&mut self) -> Result<(), KiteError> {
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

pub(super) fn order_has_tag(o: &kiteconnect::Order, tag: &str) -> bool {
    o.tag.as_deref() == Some(tag) || o.tags.iter().any(|t| t == tag)
}
