//! Orders, the one order state machine shared by every broker (spec §10.2), and fills (spec §8).
//!
//! Transition table (anything else is a [`TransitionError`], logged by the caller, never a panic):
//!
//! | from \ to        | OPEN | TRIGGER_PENDING | PARTIALLY_FILLED | COMPLETE | CANCELLED | REJECTED |
//! |------------------|------|-----------------|------------------|----------|-----------|----------|
//! | PENDING_SUBMIT   | ✓    | ✓               | ✓                | ✓        | ✓         | ✓        |
//! | TRIGGER_PENDING  | ✓    | (same)          | ✓                | ✓        | ✓         | ✓        |
//! | OPEN             | (same)| –              | ✓                | ✓        | ✓         | ✓        |
//! | PARTIALLY_FILLED | –    | –               | (same)           | ✓        | ✓         | –        |
//! | COMPLETE, CANCELLED, REJECTED: terminal, no way out                                           |
//!
//! "(same)" means a repeated status (e.g. an OPEN update after a modification) is accepted as a
//! no-op transition. Kite may report a market order COMPLETE without an OPEN update first, and
//! may reject an OPEN order (e.g. RMS checks after validation), hence those edges.

use crate::instrument::OptionContract;
use crate::time::IstDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The engine's own order id: unique within a run (mode + date), monotonically increasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrderId(pub u64);

impl OrderId {
    /// The Kite `tag` for this order (≤ 20 characters, alphanumeric; spec §10.2): `K` + a
    /// run prefix (`YYMMDD`) + the id, e.g. `K240603000017`.
    pub fn tag(self, run_date: chrono::NaiveDate) -> String {
        format!("K{}{:06}", run_date.format("%y%m%d"), self.0 % 1_000_000)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    /// `BUY`.
    #[serde(rename = "BUY")]
    Buy,
    /// `SELL`.
    #[serde(rename = "SELL")]
    Sell,
}

impl Side {
    /// `BUY` or `SELL` (Kite `transaction_type`).
    pub fn code(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// Kite product: `MIS` (intraday, auto squared off by the broker) or `NRML` (carry forward).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Product {
    /// Intraday.
    #[default]
    MIS,
    /// Normal (overnight).
    NRML,
}

/// Order type and its prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderKind {
    /// Market order (for options, Kite requires `market_protection`, kite-connect.md §5.3).
    Market,
    /// Limit order at `price` (₹).
    Limit {
        /// Limit price, ₹.
        price: Decimal,
    },
    /// Stop-loss limit: triggers at `trigger` and rests at `price` (₹).
    StopLimit {
        /// Trigger price, ₹.
        trigger: Decimal,
        /// Limit price after trigger, ₹.
        price: Decimal,
    },
}

/// Why the engine sends the order; carried to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderPurpose {
    /// Opening a position.
    Entry,
    /// Adding to an open position (spec §6).
    PyramidAdd,
    /// Closing a position.
    Exit,
}

/// What the engine asks a broker to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The engine's id.
    pub id: OrderId,
    /// Unique Kite tag derived from `id` (≤ 20 chars).
    pub tag: String,
    /// The option contract.
    pub contract: OptionContract,
    /// Buy or sell.
    pub side: Side,
    /// Quantity in units (a whole number of lots).
    pub quantity: u32,
    /// Market/limit/SL-limit.
    pub kind: OrderKind,
    /// MIS or NRML.
    pub product: Product,
    /// Why.
    pub purpose: OrderPurpose,
    /// When the engine created it, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub created: IstDateTime,
}

/// Order status (spec §10.2; Kite `status` values map onto these, kite-connect.md §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Created by the engine, sent or about to be sent, not yet confirmed by the broker.
    PendingSubmit,
    /// Resting at the exchange.
    Open,
    /// SL order waiting for its trigger.
    TriggerPending,
    /// Partly executed.
    PartiallyFilled,
    /// Fully executed (terminal).
    Complete,
    /// Cancelled (terminal; any filled part stays filled).
    Cancelled,
    /// Rejected by broker/exchange (terminal).
    Rejected,
}

impl OrderStatus {
    /// Journal spelling, e.g. `PENDING_SUBMIT`.
    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::PendingSubmit => "PENDING_SUBMIT",
            OrderStatus::Open => "OPEN",
            OrderStatus::TriggerPending => "TRIGGER_PENDING",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Complete => "COMPLETE",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Rejected => "REJECTED",
        }
    }

    /// COMPLETE, CANCELLED or REJECTED.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Complete | OrderStatus::Cancelled | OrderStatus::Rejected
        )
    }

    /// Whether the state machine allows `self → to` (see the module table).
    pub fn can_transition_to(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        match (self, to) {
            (PendingSubmit, PendingSubmit) => false,
            (PendingSubmit, _) => true,
            (
                TriggerPending,
                TriggerPending | Open | PartiallyFilled | Complete | Cancelled | Rejected,
            ) => true,
            (Open, Open | PartiallyFilled | Complete | Cancelled | Rejected) => true,
            (PartiallyFilled, PartiallyFilled | Complete | Cancelled) => true,
            _ => false,
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A status report from a broker about one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// The engine's order id.
    pub id: OrderId,
    /// Broker's order id, when assigned.
    pub broker_order_id: Option<String>,
    /// New status.
    pub status: OrderStatus,
    /// Cumulative filled quantity, units.
    pub filled_quantity: u32,
    /// Average fill price so far, ₹.
    pub average_price: Option<Decimal>,
    /// Broker message (rejection reason etc.).
    pub message: Option<String>,
    /// Broker/exchange timestamp, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub ts: IstDateTime,
}

/// An illegal order-state transition or inconsistent update (spec §10.2: logged, not a panic).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The table has no such edge.
    #[error("order {id}: illegal transition {from} -> {to}")]
    Illegal {
        /// Order.
        id: OrderId,
        /// Current status.
        from: OrderStatus,
        /// Reported status.
        to: OrderStatus,
    },
    /// Filled quantity went down or beyond the order quantity.
    #[error(
        "order {id}: filled quantity {reported} invalid (was {was}, order quantity {quantity})"
    )]
    BadFill {
        /// Order.
        id: OrderId,
        /// Previously filled.
        was: u32,
        /// Reported.
        reported: u32,
        /// Order quantity.
        quantity: u32,
    },
    /// The update is for another order.
    #[error("update for order {got} applied to order {expected}")]
    WrongOrder {
        /// This order.
        expected: OrderId,
        /// The update's order.
        got: OrderId,
    },
}

/// The live state of one order, advanced only through [`OrderState::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    /// What was asked.
    pub request: OrderRequest,
    /// Current status.
    pub status: OrderStatus,
    /// Broker order id once known.
    pub broker_order_id: Option<String>,
    /// Cumulative filled quantity (units).
    pub filled_quantity: u32,
    /// Average fill price, ₹.
    pub average_price: Option<Decimal>,
    /// Last broker message.
    pub message: Option<String>,
    /// Time of the last change, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub updated: IstDateTime,
}

impl OrderState {
    /// A new order in `PENDING_SUBMIT`.
    pub fn new(request: OrderRequest) -> Self {
        let updated = request.created;
        Self {
            request,
            status: OrderStatus::PendingSubmit,
            broker_order_id: None,
            filled_quantity: 0,
            average_price: None,
            message: None,
            updated,
        }
    }

    /// Apply a broker update. On error the state is unchanged.
    ///
    /// Filled quantity must be monotone and ≤ the order quantity; COMPLETE implies fully filled.
    pub fn apply(&mut self, u: &OrderUpdate) -> Result<(), TransitionError> {
        if u.id != self.request.id {
            return Err(TransitionError::WrongOrder {
                expected: self.request.id,
                got: u.id,
            });
        }
        if !self.status.can_transition_to(u.status) {
            return Err(TransitionError::Illegal {
                id: self.request.id,
                from: self.status,
                to: u.status,
            });
        }
        let q = self.request.quantity;
        let filled_ok = u.filled_quantity >= self.filled_quantity
            && u.filled_quantity <= q
            && (u.status != OrderStatus::Complete || u.filled_quantity == q)
            && (u.status != OrderStatus::PartiallyFilled
                || (u.filled_quantity > 0 && u.filled_quantity < q));
        if !filled_ok {
            return Err(TransitionError::BadFill {
                id: self.request.id,
                was: self.filled_quantity,
                reported: u.filled_quantity,
                quantity: q,
            });
        }
        self.status = u.status;
        self.filled_quantity = u.filled_quantity;
        if u.average_price.is_some() {
            self.average_price = u.average_price;
        }
        if u.broker_order_id.is_some() {
            self.broker_order_id.clone_from(&u.broker_order_id);
        }
        if u.message.is_some() {
            self.message.clone_from(&u.message);
        }
        self.updated = u.ts;
        Ok(())
    }
}

/// Where a fill's premium came from (spec §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PremiumSource {
    /// A real traded price of the contract (catalog data in replay, the exchange in live).
    Market,
    /// Black-76 on the index price with configured IV (no data for the contract).
    Model,
}

impl PremiumSource {
    /// `MARKET` or `MODEL`.
    pub fn code(self) -> &'static str {
        match self {
            PremiumSource::Market => "MARKET",
            PremiumSource::Model => "MODEL",
        }
    }
}

/// One execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// The engine's order id.
    pub order_id: OrderId,
    /// Broker's trade/fill id.
    pub fill_id: String,
    /// Execution time, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub ts: IstDateTime,
    /// Contract tradingsymbol.
    pub tradingsymbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Units executed.
    pub quantity: u32,
    /// Execution price, ₹ per unit (after slippage).
    pub price: Decimal,
    /// Reference price before slippage, ₹ (equal to `price` for a real broker).
    pub reference_price: Decimal,
    /// Where the premium came from.
    pub premium_source: PremiumSource,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::OptionType;
    use crate::segment::{Exchange, Segment};
    use crate::time::ist_hms;
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn request(qty: u32) -> OrderRequest {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        OrderRequest {
            id: OrderId(1),
            tag: OrderId(1).tag(d),
            contract: OptionContract {
                segment: Segment::Nifty,
                exchange: Exchange::NFO,
                expiry: NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
                strike: dec!(23000),
                option_type: OptionType::CE,
                lot_size: 25,
                tick_size: dec!(0.05),
                tradingsymbol: "NIFTY2460623000CE".into(),
                instrument_token: None,
            },
            side: Side::Buy,
            quantity: qty,
            kind: OrderKind::Market,
            product: Product::MIS,
            purpose: OrderPurpose::Entry,
            created: ist_hms(d, 9, 20, 0),
        }
    }

    fn update(status: OrderStatus, filled: u32) -> OrderUpdate {
        OrderUpdate {
            id: OrderId(1),
            broker_order_id: Some("X1".into()),
            status,
            filled_quantity: filled,
            average_price: None,
            message: None,
            ts: ist_hms(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(), 9, 20, 1),
        }
    }

    #[test]
    fn tag_fits_kite_limit() {
        let tag = OrderId(123_456_789).tag(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap());
        assert!(tag.len() <= 20);
        assert!(tag.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn happy_path_and_terminal() {
        let mut o = OrderState::new(request(50));
        o.apply(&update(OrderStatus::Open, 0)).unwrap();
        o.apply(&update(OrderStatus::PartiallyFilled, 25)).unwrap();
        o.apply(&update(OrderStatus::Complete, 50)).unwrap();
        assert!(o.apply(&update(OrderStatus::Cancelled, 50)).is_err());
        assert_eq!(o.status, OrderStatus::Complete);
    }

    #[test]
    fn complete_requires_full_fill() {
        let mut o = OrderState::new(request(50));
        assert!(matches!(
            o.apply(&update(OrderStatus::Complete, 25)),
            Err(TransitionError::BadFill { .. })
        ));
        assert_eq!(o.status, OrderStatus::PendingSubmit);
    }

    fn any_status() -> impl Strategy<Value = OrderStatus> {
        prop_oneof![
            Just(OrderStatus::PendingSubmit),
            Just(OrderStatus::Open),
            Just(OrderStatus::TriggerPending),
            Just(OrderStatus::PartiallyFilled),
            Just(OrderStatus::Complete),
            Just(OrderStatus::Cancelled),
            Just(OrderStatus::Rejected),
        ]
    }

    proptest! {
        /// Whatever sequence of updates arrives: no panic, terminal states are final, filled
        /// quantity never decreases nor exceeds the order, and only table edges are taken.
        #[test]
        fn state_machine_invariants(steps in proptest::collection::vec((any_status(), 0u32..=60), 0..40)) {
            let mut o = OrderState::new(request(50));
            for (status, filled) in steps {
                let before = o.clone();
                let res = o.apply(&update(status, filled));
                if before.status.is_terminal() {
                    prop_assert!(res.is_err());
                }
                match res {
                    Ok(()) => {
                        prop_assert!(before.status.can_transition_to(o.status));
                        prop_assert!(o.filled_quantity >= before.filled_quantity);
                        prop_assert!(o.filled_quantity <= 50);
                        if o.status == OrderStatus::Complete { prop_assert_eq!(o.filled_quantity, 50); }
                    }
                    Err(_) => prop_assert_eq!(&o, &before),
                }
            }
        }
    }
}
