//! Restart support (spec §11): the day's book in the engine's terms
//! ([`domain::ports::Broker::book`]) and re-attaching orders of an earlier run
//! ([`domain::ports::Broker::resume`]).

use super::{KiteBroker, TagState};
use crate::orders::{BrokerSnapshot, side_of};
use domain::order::{OrderState, Product};
use domain::ports::{BookOrder, BookPosition, BookTrade, BrokerBook, BrokerError};
use rust_decimal::Decimal;
use std::time::Instant;

impl KiteBroker {
    /// Re-attach an order of an earlier run of the day (restored from the checkpoint or
    /// adopted from the book), reported under `state`'s engine id from now on:
    /// - with a broker order id: [`KiteBroker::track_existing`]: the tag counts as placed
    ///   (`place_order`/`find_by_tag` of it answer that id, nothing is sent), the fills in
    ///   `state` are not reported again, and the next `poll_events` reads the order book, so
    ///   status changes and fills missed while nobody was watching arrive as ordinary
    ///   [`domain::ports::BrokerEvent`]s (once: through the one [`OrderState`] machine); an
    ///   order already tracked is left as it is (a second `resume` reports nothing again);
    /// - without one (the placement's outcome was unknown when the run stopped): the tag is
    ///   pending as after a placement timeout: looked up in the order book at each poll,
    ///   adopted when found, reported `REJECTED` ("not received") after
    ///   `orders.unknown_grace_secs`, never re-sent.
    pub fn resume_order(&mut self, state: &OrderState) {
        let tag = state.request().tag.clone();
        match state.broker_order_id() {
            Some(id) if self.orders.contains_key(id) => {
                // Already tracked (resumed twice, or placed by this run): the live view wins.
                tracing::debug!(target: "kite", tag, order_id = id, "resume of an order already tracked ignored");
            }
            Some(id) => {
                tracing::info!(target: "kite", tag, order_id = id, status = state.status().code(), "order of an earlier run re-attached");
                let id = id.to_string();
                self.track_existing(state.clone(), &id);
            }
            None if state.status().is_terminal() => {
                tracing::info!(target: "kite", tag, status = state.status().code(), "order of an earlier run never reached Kite: its tag stays used");
                self.tags.insert(tag, TagState::GaveUp);
            }
            None => {
                tracing::warn!(target: "kite", tag, "order of an earlier run with an unknown placement outcome: looked up by tag, not re-sent");
                self.tags.insert(
                    tag,
                    TagState::Unknown {
                        since: Instant::now(),
                        request: Box::new(state.request().clone()),
                    },
                );
                self.force_poll = true;
            }
        }
    }
}

fn product(what: &str, row: &str, p: &str) -> Option<Product> {
    match p {
        "MIS" => Some(Product::MIS),
        "NRML" => Some(Product::NRML),
        other => {
            // The engine trades index options (MIS/NRML) only; CNC/MTF rows are equity.
            tracing::debug!(target: "kite", what, row, product = other, "book row of another product skipped");
            None
        }
    }
}

fn side(what: &str, row: &str, t: &str) -> Result<domain::Side, BrokerError> {
    side_of(t).ok_or_else(|| {
        BrokerError::Unavailable(format!(
            "{what} {row}: `transaction_type` `{t}` is neither BUY nor SELL"
        ))
    })
}

fn positive(d: Decimal) -> Option<Decimal> {
    (d > Decimal::ZERO).then_some(d)
}

/// The engine's [`BrokerBook`] from a Kite snapshot: orders (status mapped as in
/// [`crate::orders`]; `average_price` `None` while nothing is filled, `trigger_price` `None`
/// when 0), trades and **net** positions. Rows of products other than MIS/NRML (equity CNC)
/// are left out.
///
/// # Errors
/// [`BrokerError::Unavailable`] naming the row and field when a `transaction_type` is neither
/// `BUY` nor `SELL`.
pub fn domain_book(s: &BrokerSnapshot) -> Result<BrokerBook, BrokerError> {
    let mut book = BrokerBook::default();
    for o in &s.orders {
        let Some(product) = product("order", &o.order_id, &o.product) else {
            continue;
        };
        book.orders.push(BookOrder {
            broker_order_id: o.order_id.clone(),
            tag: o.tag.clone(),
            tradingsymbol: o.tradingsymbol.clone(),
            side: side("order", &o.order_id, &o.transaction_type)?,
            order_type: o.order_type.clone(),
            product,
            quantity: o.quantity,
            filled_quantity: o.filled_quantity,
            average_price: positive(o.average_price).filter(|_| o.filled_quantity > 0),
            trigger_price: positive(o.trigger_price),
            status: o.status,
            message: o.status_message.clone().filter(|m| !m.trim().is_empty()),
            updated: o.updated,
        });
    }
    for t in &s.trades {
        if product("trade", &t.trade_id, &t.product).is_none() {
            continue;
        }
        book.trades.push(BookTrade {
            trade_id: t.trade_id.clone(),
            broker_order_id: t.order_id.clone(),
            tradingsymbol: t.tradingsymbol.clone(),
            side: side("trade", &t.trade_id, &t.transaction_type)?,
            quantity: t.quantity,
            price: t.price,
            ts: t.fill_time,
        });
    }
    for p in &s.net_positions {
        let Some(product) = product("position", &p.tradingsymbol, &p.product) else {
            continue;
        };
        book.positions.push(BookPosition {
            tradingsymbol: p.tradingsymbol.clone(),
            product,
            quantity: p.quantity,
        });
    }
    Ok(book)
}
