//! The paper broker's book of the day ([`domain::ports::Broker::book`]): every order it filled
//! or had restored, every execution, and the net position per tradingsymbol and product.
//! Paper orders fill at once, so each has one execution.

use domain::order::{OrderKind, OrderRequest, OrderState, OrderStatus};
use domain::ports::{BookOrder, BookPosition, BookTrade, BrokerBook};
use domain::{Decimal, IstDateTime};

/// Kite's `order_type` of an engine order kind (`MARKET`, `LIMIT`, `SL`).
pub fn order_type(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Market => "MARKET",
        OrderKind::Limit { .. } => "LIMIT",
        OrderKind::StopLimit { .. } => "SL",
    }
}

fn trigger(kind: OrderKind) -> Option<Decimal> {
    match kind {
        OrderKind::StopLimit { trigger, .. } => Some(trigger),
        _ => None,
    }
}

/// Orders and executions, placement order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaperBook {
    orders: Vec<BookOrder>,
    trades: Vec<BookTrade>,
}

impl PaperBook {
    /// Book a paper order filled whole: `quantity` of `req` at `price` (₹) at `at` under
    /// `broker_order_id`, with execution `trade_id`.
    pub fn record_fill(
        &mut self,
        req: &OrderRequest,
        broker_order_id: &str,
        trade_id: &str,
        price: Decimal,
        at: IstDateTime,
    ) {
        self.orders.push(BookOrder {
            broker_order_id: broker_order_id.to_string(),
            tag: Some(req.tag.clone()),
            tradingsymbol: req.contract.tradingsymbol.clone(),
            side: req.side,
            order_type: order_type(req.kind).to_string(),
            product: req.product,
            quantity: req.quantity,
            filled_quantity: req.quantity,
            average_price: Some(price),
            trigger_price: trigger(req.kind),
            status: OrderStatus::Complete,
            message: None,
            updated: at,
        });
        self.trades.push(BookTrade {
            trade_id: trade_id.to_string(),
            broker_order_id: broker_order_id.to_string(),
            tradingsymbol: req.contract.tradingsymbol.clone(),
            side: req.side,
            quantity: req.quantity,
            price,
            ts: at,
        });
    }

    /// Book an order of an earlier run as `state` knows it (status, filled units, average).
    /// Its fills become one execution named by its fill id (paper orders have one; several
    /// ids, which a paper order never has, are joined with `+` into one execution of the
    /// total at the average). `false` (nothing booked) when the broker order id is already in
    /// the book or `state` has none.
    pub fn restore(&mut self, state: &OrderState) -> bool {
        let Some(id) = state.broker_order_id() else {
            return false;
        };
        if self.orders.iter().any(|o| o.broker_order_id == id) {
            return false;
        }
        let req = state.request();
        self.orders.push(BookOrder {
            broker_order_id: id.to_string(),
            tag: Some(req.tag.clone()),
            tradingsymbol: req.contract.tradingsymbol.clone(),
            side: req.side,
            order_type: order_type(req.kind).to_string(),
            product: req.product,
            quantity: req.quantity,
            filled_quantity: state.filled_quantity(),
            average_price: state
                .average_price()
                .filter(|_| state.filled_quantity() > 0),
            trigger_price: trigger(req.kind),
            status: state.status(),
            message: state.message().map(str::to_string),
            updated: state.updated(),
        });
        if let Some(price) = state.fills_average()
            && state.fills_quantity() > 0
        {
            self.trades.push(BookTrade {
                trade_id: state.fill_ids().join("+"),
                broker_order_id: id.to_string(),
                tradingsymbol: req.contract.tradingsymbol.clone(),
                side: req.side,
                quantity: state.fills_quantity(),
                price,
                ts: state.updated(),
            });
        }
        true
    }

    /// The book: orders, executions and the net position per (tradingsymbol, product) in
    /// first-traded order (bought − sold units; flat rows stay, as Kite shows them).
    pub fn snapshot(&self) -> BrokerBook {
        let mut positions: Vec<BookPosition> = Vec::new();
        for t in &self.trades {
            let product = self
                .orders
                .iter()
                .find(|o| o.broker_order_id == t.broker_order_id)
                .map(|o| o.product)
                .unwrap_or_default();
            let signed = i64::from(t.quantity) * if t.side == domain::Side::Buy { 1 } else { -1 };
            match positions
                .iter_mut()
                .find(|p| p.tradingsymbol == t.tradingsymbol && p.product == product)
            {
                Some(p) => p.quantity += signed,
                None => positions.push(BookPosition {
                    tradingsymbol: t.tradingsymbol.clone(),
                    product,
                    quantity: signed,
                }),
            }
        }
        BrokerBook {
            orders: self.orders.clone(),
            trades: self.trades.clone(),
            positions,
        }
    }
}
