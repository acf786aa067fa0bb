//! Kite orders, trades and positions in the engine's terms (kite-connect.md §3.4–§3.5, §6).
//!
//! Kite's `status` strings map onto the one order state machine of spec §10.2:
//!
//! | Kite `status` | [`OrderStatus`] |
//! | --- | --- |
//! | `OPEN` (nothing filled) | `OPEN` |
//! | `OPEN` with `0 < filled_quantity < quantity`, or a transient status with a new fill | `PARTIALLY_FILLED` |
//! | `TRIGGER PENDING` | `TRIGGER_PENDING` |
//! | `COMPLETE` | `COMPLETE` |
//! | `CANCELLED` (also `CANCELLED AMO`) | `CANCELLED` |
//! | `REJECTED` | `REJECTED` |
//! | `PUT ORDER REQ RECEIVED` / `PUT ORDER REQUEST RECEIVED`, `VALIDATION PENDING`, `OPEN PENDING`, `MODIFY VALIDATION PENDING`, `MODIFY PENDING`, `MODIFIED`, `CANCEL PENDING`, `AMO REQ RECEIVED`, anything else | no change (transient) |

use crate::convert::{ist_from_naive, money, rupees, units};
use domain::order::{OrderId, OrderStatus, OrderUpdate};
use domain::{IstDateTime, Side};
use rust_decimal::Decimal;
use serde::Serialize;

/// Kite's order status, a known set plus `Other` (kite-connect.md §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KiteStatus {
    /// `OPEN`.
    Open,
    /// `TRIGGER PENDING`.
    TriggerPending,
    /// `COMPLETE` (terminal).
    Complete,
    /// `CANCELLED` (terminal).
    Cancelled,
    /// `REJECTED` (terminal).
    Rejected,
    /// A transient status (`OPEN PENDING`, `MODIFIED`, …) or one not yet known.
    Transient(String),
}

impl KiteStatus {
    /// Parse Kite's `status` string.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "OPEN" => KiteStatus::Open,
            "TRIGGER PENDING" => KiteStatus::TriggerPending,
            "COMPLETE" => KiteStatus::Complete,
            "CANCELLED" | "CANCELLED AMO" => KiteStatus::Cancelled,
            "REJECTED" => KiteStatus::Rejected,
            other => KiteStatus::Transient(other.to_string()),
        }
    }

    /// `COMPLETE`, `CANCELLED` or `REJECTED`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            KiteStatus::Complete | KiteStatus::Cancelled | KiteStatus::Rejected
        )
    }
}

/// The engine status of a Kite order with `filled` of `quantity` units, or `None` for a
/// transient status that changes nothing (see the module table). `previously_filled` turns a
/// transient status with a new fill into `PARTIALLY_FILLED`.
pub fn map_status(
    status: &KiteStatus,
    filled: u32,
    quantity: u32,
    previously_filled: u32,
) -> Option<OrderStatus> {
    let partial = filled > 0 && filled < quantity;
    match status {
        KiteStatus::Complete => Some(OrderStatus::Complete),
        KiteStatus::Cancelled => Some(OrderStatus::Cancelled),
        KiteStatus::Rejected => Some(OrderStatus::Rejected),
        KiteStatus::Open if partial => Some(OrderStatus::PartiallyFilled),
        KiteStatus::Open if filled == 0 => Some(OrderStatus::Open),
        KiteStatus::TriggerPending => Some(OrderStatus::TriggerPending),
        KiteStatus::Transient(_) | KiteStatus::Open if partial && filled > previously_filled => {
            Some(OrderStatus::PartiallyFilled)
        }
        _ => None,
    }
}

/// The time of a Kite order row: the exchange update time, else the order time, IST.
pub fn order_time(o: &kiteconnect::Order) -> IstDateTime {
    ist_from_naive(
        o.exchange_update_timestamp
            .or(o.exchange_timestamp)
            .unwrap_or(o.order_timestamp),
    )
}

/// An [`OrderUpdate`] for the engine order `id` from a Kite order row, or `None` when the row
/// is transient (nothing to report). `previously_filled` as in [`map_status`].
pub fn order_update(
    id: OrderId,
    o: &kiteconnect::Order,
    previously_filled: u32,
) -> Option<OrderUpdate> {
    let filled = units(o.filled_quantity);
    let status = map_status(
        &KiteStatus::parse(&o.status),
        filled,
        units(o.quantity),
        previously_filled,
    )?;
    Some(OrderUpdate {
        id,
        broker_order_id: Some(o.order_id.clone()),
        status,
        filled_quantity: filled,
        average_price: (filled > 0 && o.average_price > 0.0).then(|| rupees(o.average_price)),
        message: o
            .status_message
            .clone()
            .filter(|m| !m.trim().is_empty())
            .map(|m| kiteconnect::error::sanitize_error(&m)),
        ts: order_time(o),
    })
}

/// The side of a Kite `transaction_type`.
pub fn side_of(transaction_type: &str) -> Option<Side> {
    match transaction_type {
        "BUY" => Some(Side::Buy),
        "SELL" => Some(Side::Sell),
        _ => None,
    }
}

/// One order of the day's book, exact (`GET /orders`), for reconciliation and display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookOrder {
    /// Kite order id.
    pub order_id: String,
    /// The engine tag, if any.
    pub tag: Option<String>,
    /// Kite's raw status.
    pub kite_status: String,
    /// Engine status (transient Kite statuses map to `OPEN`/`PENDING_SUBMIT` for display:
    /// see [`BookOrder::status`]).
    pub status: OrderStatus,
    /// e.g. `NFO`.
    pub exchange: String,
    /// Tradingsymbol.
    pub tradingsymbol: String,
    /// Token.
    pub instrument_token: u32,
    /// `BUY`/`SELL`.
    pub transaction_type: String,
    /// `MARKET`, `LIMIT`, `SL`, `SL-M`.
    pub order_type: String,
    /// `MIS`, `NRML`, …
    pub product: String,
    /// Units.
    pub quantity: u32,
    /// Units filled.
    pub filled_quantity: u32,
    /// Units still pending.
    pub pending_quantity: u32,
    /// Limit price, ₹ (0 for market).
    pub price: Decimal,
    /// Trigger, ₹.
    pub trigger_price: Decimal,
    /// Average fill price, ₹.
    pub average_price: Decimal,
    /// Kite's message (rejection reason).
    pub status_message: Option<String>,
    /// Order time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub order_time: IstDateTime,
    /// Last exchange update, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub updated: IstDateTime,
}

impl From<&kiteconnect::Order> for BookOrder {
    fn from(o: &kiteconnect::Order) -> Self {
        let kite_status = KiteStatus::parse(&o.status);
        let q = units(o.quantity);
        let f = units(o.filled_quantity);
        let status = map_status(&kite_status, f, q, 0).unwrap_or(if f > 0 {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::PendingSubmit
        });
        Self {
            order_id: o.order_id.clone(),
            tag: o.tag.clone().or_else(|| o.tags.first().cloned()),
            kite_status: o.status.clone(),
            status,
            exchange: o.exchange.clone(),
            tradingsymbol: o.tradingsymbol.clone(),
            instrument_token: o.instrument_token,
            transaction_type: o.transaction_type.clone(),
            order_type: o.order_type.clone(),
            product: o.product.clone(),
            quantity: q,
            filled_quantity: f,
            pending_quantity: units(o.pending_quantity),
            price: rupees(o.price),
            trigger_price: rupees(o.trigger_price),
            average_price: rupees(o.average_price),
            status_message: o
                .status_message
                .clone()
                .map(|m| kiteconnect::error::sanitize_error(&m)),
            order_time: ist_from_naive(o.order_timestamp),
            updated: order_time(o),
        }
    }
}

/// One execution from the trade book (`GET /trades`, `GET /orders/{id}/trades`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookTrade {
    /// Kite trade id.
    pub trade_id: String,
    /// Kite order id.
    pub order_id: String,
    /// e.g. `NFO`.
    pub exchange: String,
    /// Tradingsymbol.
    pub tradingsymbol: String,
    /// Token.
    pub instrument_token: u32,
    /// `BUY`/`SELL`.
    pub transaction_type: String,
    /// Product.
    pub product: String,
    /// Units.
    pub quantity: u32,
    /// Fill price, ₹.
    pub price: Decimal,
    /// Fill time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub fill_time: IstDateTime,
}

impl From<&kiteconnect::Trade> for BookTrade {
    fn from(t: &kiteconnect::Trade) -> Self {
        Self {
            trade_id: t.trade_id.clone(),
            order_id: t.order_id.clone(),
            exchange: t.exchange.clone(),
            tradingsymbol: t.tradingsymbol.clone(),
            instrument_token: t.instrument_token,
            transaction_type: t.transaction_type.clone(),
            product: t.product.clone(),
            quantity: units(t.quantity),
            price: rupees(t.average_price),
            fill_time: ist_from_naive(t.fill_timestamp),
        }
    }
}

/// One position (`GET /portfolio/positions`), exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookPosition {
    /// e.g. `NFO`.
    pub exchange: String,
    /// Tradingsymbol.
    pub tradingsymbol: String,
    /// Token.
    pub instrument_token: u32,
    /// Product.
    pub product: String,
    /// Signed units (negative = short).
    pub quantity: i64,
    /// Units carried from earlier days.
    pub overnight_quantity: i64,
    /// Average price, ₹.
    pub average_price: Decimal,
    /// Last price, ₹.
    pub last_price: Decimal,
    /// P&L, ₹.
    pub pnl: Decimal,
    /// Realised P&L, ₹.
    pub realised: Decimal,
    /// Unrealised P&L, ₹.
    pub unrealised: Decimal,
    /// Units bought.
    pub buy_quantity: i64,
    /// Units sold.
    pub sell_quantity: i64,
}

impl From<&kiteconnect::Position> for BookPosition {
    fn from(p: &kiteconnect::Position) -> Self {
        Self {
            exchange: p.exchange.clone(),
            tradingsymbol: p.tradingsymbol.clone(),
            instrument_token: p.instrument_token,
            product: p.product.clone(),
            quantity: p.quantity,
            overnight_quantity: p.overnight_quantity,
            average_price: rupees(p.average_price),
            last_price: rupees(p.last_price),
            pnl: money(p.pnl),
            realised: money(p.realised),
            unrealised: money(p.unrealised),
            buy_quantity: p.buy_quantity,
            sell_quantity: p.sell_quantity,
        }
    }
}

/// Everything the engine reconciles at start (spec §11): the day's orders and trades and the
/// net and day positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerSnapshot {
    /// `GET /orders`.
    pub orders: Vec<BookOrder>,
    /// `GET /trades`.
    pub trades: Vec<BookTrade>,
    /// `GET /portfolio/positions` → `net`.
    pub net_positions: Vec<BookPosition>,
    /// `GET /portfolio/positions` → `day`.
    pub day_positions: Vec<BookPosition>,
    /// When taken, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub taken_at: IstDateTime,
}

impl BrokerSnapshot {
    /// Orders carrying `tag`.
    pub fn orders_with_tag<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a BookOrder> + 'a {
        self.orders
            .iter()
            .filter(move |o| o.tag.as_deref() == Some(tag))
    }

    /// Net positions with a non-zero quantity.
    pub fn open_positions(&self) -> impl Iterator<Item = &BookPosition> {
        self.net_positions.iter().filter(|p| p.quantity != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        use OrderStatus as S;
        let t = |s: &str| KiteStatus::parse(s);
        assert_eq!(map_status(&t("OPEN"), 0, 50, 0), Some(S::Open));
        assert_eq!(map_status(&t("OPEN"), 25, 50, 0), Some(S::PartiallyFilled));
        assert_eq!(map_status(&t("COMPLETE"), 50, 50, 0), Some(S::Complete));
        assert_eq!(map_status(&t("CANCELLED"), 25, 50, 25), Some(S::Cancelled));
        assert_eq!(map_status(&t("REJECTED"), 0, 50, 0), Some(S::Rejected));
        assert_eq!(
            map_status(&t("TRIGGER PENDING"), 0, 50, 0),
            Some(S::TriggerPending)
        );
        for s in [
            "PUT ORDER REQ RECEIVED",
            "PUT ORDER REQUEST RECEIVED",
            "VALIDATION PENDING",
            "OPEN PENDING",
            "MODIFY VALIDATION PENDING",
            "MODIFY PENDING",
            "MODIFIED",
            "CANCEL PENDING",
            "AMO REQ RECEIVED",
            "SOMETHING NEW",
        ] {
            assert_eq!(map_status(&t(s), 0, 50, 0), None, "{s}");
        }
        assert_eq!(
            map_status(&t("MODIFIED"), 25, 50, 0),
            Some(S::PartiallyFilled)
        );
        assert_eq!(map_status(&t("MODIFIED"), 25, 50, 25), None);
        assert!(t("CANCELLED AMO").is_terminal());
    }
}
