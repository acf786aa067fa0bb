//! The one order state machine shared by every broker (spec §10.2).
//!
//! (A little over 600 lines: the exhaustive table match and its documentation belong together.)
//!
//! An [`OrderState`] moves only through [`OrderState::apply_event`] (its fields are private;
//! read them through getters). Every `(status, event)` pair has one documented outcome, decided
//! by [`transition`], an exhaustive `match` without a wildcard arm:
//!
//! - a status code (`OP`, `CO`, …): the order moves there;
//! - `=`: accepted, the status stays (the event's data is recorded: broker id, fill, message);
//! - `↩`: back to the status held before the pending cancel/modify (`PF` if something filled
//!   meanwhile);
//! - `✗`: illegal, a [`TransitionError`] the caller journals; the state is unchanged.
//!
//! Statuses: `PS` PENDING_SUBMIT, `TP` TRIGGER_PENDING, `OP` OPEN, `PF` PARTIALLY_FILLED,
//! `PC` PENDING_CANCEL, `PM` PENDING_MODIFY, `CO` COMPLETE, `CA` CANCELLED, `RJ` REJECTED.
//! Events: `Placed` (the broker acknowledged the placement with its order id), `r:XX` (the
//! broker reports status `XX`), `Fill` (one execution, by Kite `trade_id`), `CxlReq`/`CxlRej`
//! (the engine asked to cancel / the broker refused), `ModReq`/`ModRej` (the same for a
//! modification).
//!
//! | from \ event | Placed | r:PS | r:TP | r:OP | r:PF | r:PC | r:PM | r:CO | r:CA | r:RJ | Fill | CxlReq | CxlRej | ModReq | ModRej |
//! |--------------|--------|------|------|------|------|------|------|------|------|------|------|--------|--------|--------|--------|
//! | PS           | =      | =    | TP   | OP   | PF   | ✗    | ✗    | CO   | CA   | RJ   | =    | ✗      | ✗      | ✗      | ✗      |
//! | TP           | =      | ✗    | =    | OP   | PF   | PC   | PM   | CO   | CA   | RJ   | =    | PC     | ✗      | PM     | ✗      |
//! | OP           | =      | ✗    | ✗    | =    | PF   | PC   | PM   | CO   | CA   | RJ   | =    | PC     | ✗      | PM     | ✗      |
//! | PF           | =      | ✗    | ✗    | ✗    | =    | PC   | PM   | CO   | CA   | ✗    | =    | PC     | ✗      | PM     | ✗      |
//! | PC           | =      | ✗    | =    | =    | =    | =    | ✗    | CO   | CA   | ✗    | =    | =      | ↩      | ✗      | ✗      |
//! | PM           | =      | ✗    | TP   | OP   | PF   | ✗    | =    | CO   | CA   | ✗    | =    | ✗      | ✗      | =      | ↩      |
//! | CO           | =      | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | =    | ✗      | ✗      | ✗      | ✗      |
//! | CA           | =      | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | =    | ✗      | ✗      | ✗      | ✗      |
//! | RJ           | =      | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗    | ✗      | ✗      | ✗      | ✗      |
//!
//! The real-world edges, each commented at its arm in [`transition`]:
//! - Kite may report a market order COMPLETE without an OPEN first, and may reject an OPEN order
//!   (RMS checks after validation);
//! - a fill after a cancel request (`PC` + `r:PF`/`r:CO`/`Fill`): the cancel lost the race; the
//!   fill counts, and a COMPLETE report ends the order COMPLETE;
//! - a cancel refused (`CxlRej`): the order is working again as before;
//! - an update after a terminal status (`r:*` on `CO`/`CA`/`RJ`): illegal, journaled, ignored;
//! - a fill after COMPLETE or CANCELLED (`Fill` on `CO`/`CA`): Kite delivers trades after the
//!   order's status, and a partly filled order can be cancelled with its trades still arriving.
//!   This is the only way an event touches a terminal order (it never changes its status).
//!
//! Beyond the table, quantities are checked: a report's cumulative filled quantity never goes
//! down nor beyond the order's quantity, COMPLETE means fully filled, PARTIALLY_FILLED means
//! `0 < filled < quantity`; fills are de-duplicated by their `fill_id` (Kite `trade_id`) and
//! their sum never exceeds the order's quantity (an overfill is an error, never dropped
//! silently).
use super::{Fill, OrderId, OrderRequest};
use crate::time::IstDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

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
    /// A cancel was requested (Kite `CANCEL PENDING`); the order may still fill.
    PendingCancel,
    /// A modification was requested (Kite `MODIFY PENDING`).
    PendingModify,
    /// Fully executed (terminal).
    Complete,
    /// Cancelled (terminal; any filled part stays filled).
    Cancelled,
    /// Rejected by broker/exchange (terminal).
    Rejected,
}

impl OrderStatus {
    /// Every status, in the order of the module table's rows.
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::PendingSubmit,
        OrderStatus::TriggerPending,
        OrderStatus::Open,
        OrderStatus::PartiallyFilled,
        OrderStatus::PendingCancel,
        OrderStatus::PendingModify,
        OrderStatus::Complete,
        OrderStatus::Cancelled,
        OrderStatus::Rejected,
    ];

    /// Journal spelling, e.g. `PENDING_SUBMIT`.
    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::PendingSubmit => "PENDING_SUBMIT",
            OrderStatus::Open => "OPEN",
            OrderStatus::TriggerPending => "TRIGGER_PENDING",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::PendingCancel => "PENDING_CANCEL",
            OrderStatus::PendingModify => "PENDING_MODIFY",
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

/// What can happen to an order: the input of the state machine (see the module table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// The broker acknowledged the placement (or it was found by tag) with its order id.
    Placed {
        /// Broker's order id.
        broker_order_id: String,
    },
    /// The broker reports a status (with cumulative filled quantity and average price).
    Report(OrderUpdate),
    /// One execution (Kite trade), de-duplicated by `fill_id`.
    Fill(Fill),
    /// The engine asked the broker to cancel.
    CancelRequested {
        /// When, IST.
        ts: IstDateTime,
    },
    /// The broker refused the cancel (e.g. the order completed meanwhile).
    CancelRejected {
        /// When, IST.
        ts: IstDateTime,
        /// Broker message.
        reason: String,
    },
    /// The engine asked the broker to modify the order.
    ModifyRequested {
        /// When, IST.
        ts: IstDateTime,
    },
    /// The broker refused the modification.
    ModifyRejected {
        /// When, IST.
        ts: IstDateTime,
        /// Broker message.
        reason: String,
    },
}

impl OrderEvent {
    /// The event's kind (its column in the module table).
    pub fn kind(&self) -> OrderEventKind {
        match self {
            OrderEvent::Placed { .. } => OrderEventKind::Placed,
            OrderEvent::Report(u) => OrderEventKind::Report(u.status),
            OrderEvent::Fill(_) => OrderEventKind::Fill,
            OrderEvent::CancelRequested { .. } => OrderEventKind::CancelRequested,
            OrderEvent::CancelRejected { .. } => OrderEventKind::CancelRejected,
            OrderEvent::ModifyRequested { .. } => OrderEventKind::ModifyRequested,
            OrderEvent::ModifyRejected { .. } => OrderEventKind::ModifyRejected,
        }
    }
}

/// The kind of an [`OrderEvent`], without its data: a column of the module table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEventKind {
    /// Placement acknowledged.
    Placed,
    /// A broker status report of this status.
    Report(OrderStatus),
    /// An execution.
    Fill,
    /// Cancel requested.
    CancelRequested,
    /// Cancel refused.
    CancelRejected,
    /// Modification requested.
    ModifyRequested,
    /// Modification refused.
    ModifyRejected,
}

impl OrderEventKind {
    /// Every kind, in the order of the module table's columns.
    pub const ALL: [OrderEventKind; 15] = [
        OrderEventKind::Placed,
        OrderEventKind::Report(OrderStatus::PendingSubmit),
        OrderEventKind::Report(OrderStatus::TriggerPending),
        OrderEventKind::Report(OrderStatus::Open),
        OrderEventKind::Report(OrderStatus::PartiallyFilled),
        OrderEventKind::Report(OrderStatus::PendingCancel),
        OrderEventKind::Report(OrderStatus::PendingModify),
        OrderEventKind::Report(OrderStatus::Complete),
        OrderEventKind::Report(OrderStatus::Cancelled),
        OrderEventKind::Report(OrderStatus::Rejected),
        OrderEventKind::Fill,
        OrderEventKind::CancelRequested,
        OrderEventKind::CancelRejected,
        OrderEventKind::ModifyRequested,
        OrderEventKind::ModifyRejected,
    ];
}

impl fmt::Display for OrderEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderEventKind::Placed => f.write_str("placed"),
            OrderEventKind::Report(s) => write!(f, "report {s}"),
            OrderEventKind::Fill => f.write_str("fill"),
            OrderEventKind::CancelRequested => f.write_str("cancel requested"),
            OrderEventKind::CancelRejected => f.write_str("cancel rejected"),
            OrderEventKind::ModifyRequested => f.write_str("modify requested"),
            OrderEventKind::ModifyRejected => f.write_str("modify rejected"),
        }
    }
}

/// The outcome of one `(status, event)` cell of the module table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Move to this status.
    To(OrderStatus),
    /// Accepted; the status stays.
    Stay,
    /// Back to the status before the pending cancel/modify.
    Back,
    /// Not allowed: a [`TransitionError::Illegal`].
    Illegal,
}

/// The state machine's table (see the module docs): what `event` does to an order in `from`.
/// Exhaustive, no wildcard arm: a new status or event does not compile until it is placed.
pub fn transition(from: OrderStatus, event: OrderEventKind) -> Transition {
    use OrderEventKind as E;
    use OrderStatus::*;
    use Transition::{Back, Illegal, Stay, To};
    match (from, event) {
        // The broker's order id may arrive after its first report (Kite's websocket can beat
        // the REST response), so it is recorded in any status.
        (
            PendingSubmit | TriggerPending | Open | PartiallyFilled | PendingCancel | PendingModify
            | Complete | Cancelled | Rejected,
            E::Placed,
        ) => Stay,

        // --- PENDING_SUBMIT: Kite may report COMPLETE (a market order) without an OPEN first.
        (PendingSubmit, E::Report(PendingSubmit)) => Stay,
        (PendingSubmit, E::Report(TriggerPending)) => To(TriggerPending),
        (PendingSubmit, E::Report(Open)) => To(Open),
        (PendingSubmit, E::Report(PartiallyFilled)) => To(PartiallyFilled),
        (PendingSubmit, E::Report(PendingCancel | PendingModify)) => Illegal,
        (PendingSubmit, E::Report(Complete)) => To(Complete),
        (PendingSubmit, E::Report(Cancelled)) => To(Cancelled),
        (PendingSubmit, E::Report(Rejected)) => To(Rejected),
        // Nothing to cancel or modify before the broker has the order.
        (
            PendingSubmit,
            E::CancelRequested | E::CancelRejected | E::ModifyRequested | E::ModifyRejected,
        ) => Illegal,

        // --- TRIGGER_PENDING (an SL order waiting): triggering reports OPEN.
        (TriggerPending, E::Report(PendingSubmit)) => Illegal,
        (TriggerPending, E::Report(TriggerPending)) => Stay,
        (TriggerPending, E::Report(Open)) => To(Open),
        (TriggerPending, E::Report(PartiallyFilled)) => To(PartiallyFilled),
        (TriggerPending, E::Report(PendingCancel)) => To(PendingCancel),
        (TriggerPending, E::Report(PendingModify)) => To(PendingModify),
        (TriggerPending, E::Report(Complete)) => To(Complete),
        (TriggerPending, E::Report(Cancelled)) => To(Cancelled),
        (TriggerPending, E::Report(Rejected)) => To(Rejected),

        // --- OPEN: Kite may reject an OPEN order (RMS checks after validation).
        (Open, E::Report(PendingSubmit | TriggerPending)) => Illegal,
        (Open, E::Report(Open)) => Stay,
        (Open, E::Report(PartiallyFilled)) => To(PartiallyFilled),
        (Open, E::Report(PendingCancel)) => To(PendingCancel),
        (Open, E::Report(PendingModify)) => To(PendingModify),
        (Open, E::Report(Complete)) => To(Complete),
        (Open, E::Report(Cancelled)) => To(Cancelled),
        (Open, E::Report(Rejected)) => To(Rejected),

        // --- PARTIALLY_FILLED: what filled stays filled, so no REJECTED and no way back.
        (PartiallyFilled, E::Report(PendingSubmit | TriggerPending | Open | Rejected)) => Illegal,
        (PartiallyFilled, E::Report(PartiallyFilled)) => Stay,
        (PartiallyFilled, E::Report(PendingCancel)) => To(PendingCancel),
        (PartiallyFilled, E::Report(PendingModify)) => To(PendingModify),
        (PartiallyFilled, E::Report(Complete)) => To(Complete),
        (PartiallyFilled, E::Report(Cancelled)) => To(Cancelled),

        // Working orders can be asked to cancel or modify; the refusals have nothing to undo.
        (TriggerPending | Open | PartiallyFilled, E::CancelRequested) => To(PendingCancel),
        (TriggerPending | Open | PartiallyFilled, E::ModifyRequested) => To(PendingModify),
        (TriggerPending | Open | PartiallyFilled, E::CancelRejected | E::ModifyRejected) => Illegal,

        // --- PENDING_CANCEL: the order works until the exchange confirms the cancel.
        (PendingCancel, E::Report(PendingSubmit | PendingModify | Rejected)) => Illegal,
        // Reports of the working order while the cancel travels: still pending cancel.
        (PendingCancel, E::Report(TriggerPending | Open | PendingCancel)) => Stay,
        // A fill after the cancel request (Kite can do that): the fill counts, the cancel is
        // still pending for the rest.
        (PendingCancel, E::Report(PartiallyFilled)) => Stay,
        // The cancel lost the race: the order filled completely before it arrived.
        (PendingCancel, E::Report(Complete)) => To(Complete),
        (PendingCancel, E::Report(Cancelled)) => To(Cancelled),
        (PendingCancel, E::CancelRequested) => Stay,
        // The cancel was refused (e.g. the order is being executed): working again as before.
        (PendingCancel, E::CancelRejected) => Back,
        (PendingCancel, E::ModifyRequested | E::ModifyRejected) => Illegal,

        // --- PENDING_MODIFY: a report of the working status means the modification applied.
        (PendingModify, E::Report(PendingSubmit | PendingCancel | Rejected)) => Illegal,
        (PendingModify, E::Report(TriggerPending)) => To(TriggerPending),
        (PendingModify, E::Report(Open)) => To(Open),
        (PendingModify, E::Report(PartiallyFilled)) => To(PartiallyFilled),
        (PendingModify, E::Report(PendingModify)) => Stay,
        (PendingModify, E::Report(Complete)) => To(Complete),
        (PendingModify, E::Report(Cancelled)) => To(Cancelled),
        (PendingModify, E::ModifyRequested) => Stay,
        // The modification was refused: the order works on unchanged.
        (PendingModify, E::ModifyRejected) => Back,
        (PendingModify, E::CancelRequested | E::CancelRejected) => Illegal,

        // Executions count in every status the exchange can still (or just did) fill in. After
        // COMPLETE: Kite delivers trades after the order's status. After CANCELLED: the late
        // fill of a partly filled, then cancelled order — the one event a terminal order takes.
        (
            PendingSubmit | TriggerPending | Open | PartiallyFilled | PendingCancel | PendingModify
            | Complete | Cancelled,
            E::Fill,
        ) => Stay,
        // A rejected order never executed: a fill for it is an error.
        (Rejected, E::Fill) => Illegal,

        // --- Terminal: an update after a terminal status is illegal (journaled, ignored), and
        // there is nothing left to cancel or modify.
        (
            Complete | Cancelled | Rejected,
            E::Report(
                PendingSubmit | TriggerPending | Open | PartiallyFilled | PendingCancel
                | PendingModify | Complete | Cancelled | Rejected,
            )
            | E::CancelRequested
            | E::CancelRejected
            | E::ModifyRequested
            | E::ModifyRejected,
        ) => Illegal,
    }
}

/// An illegal order-state transition or inconsistent update (spec §10.2: logged, not a panic).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The table has no such edge.
    #[error("order {id}: {event} is illegal in {from}")]
    Illegal {
        /// Order.
        id: OrderId,
        /// Current status.
        from: OrderStatus,
        /// The event.
        event: OrderEventKind,
    },
    /// A report's filled quantity went down, beyond the order quantity, or disagrees with
    /// its status.
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
    /// Executions beyond the order's quantity.
    #[error("order {id}: fill {fill_id} of {fill} units overfills ({filled} of {quantity} filled)")]
    Overfill {
        /// Order.
        id: OrderId,
        /// The fill's id (Kite `trade_id`).
        fill_id: String,
        /// Units in the fill.
        fill: u32,
        /// Units filled by earlier fills.
        filled: u32,
        /// Order quantity.
        quantity: u32,
    },
    /// The event is for another order.
    #[error("event for order {got} applied to order {expected}")]
    WrongOrder {
        /// This order.
        expected: OrderId,
        /// The event's order.
        got: OrderId,
    },
}

/// What an accepted event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The state took the event.
    Changed,
    /// A fill already recorded (same `fill_id`): nothing changed, nothing to book.
    DuplicateFill,
}

/// The live state of one order, advanced only through [`OrderState::apply_event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    request: OrderRequest,
    status: OrderStatus,
    /// The working status before a pending cancel/modify (for `↩`).
    prior: Option<OrderStatus>,
    broker_order_id: Option<String>,
    /// Cumulative filled quantity as last reported.
    reported_filled: u32,
    /// Average price as last reported, ₹.
    reported_average: Option<Decimal>,
    /// Fill ids seen (Kite `trade_id`s).
    fill_ids: Vec<String>,
    /// Units of the fills seen.
    fill_quantity: u32,
    /// Σ quantity × price of the fills seen, ₹.
    fill_value: Decimal,
    message: Option<String>,
    #[serde(with = "crate::time::serde_ist")]
    updated: IstDateTime,
}

impl OrderState {
    /// A new order in `PENDING_SUBMIT`.
    pub fn new(request: OrderRequest) -> Self {
        let updated = request.created;
        Self {
            request,
            status: OrderStatus::PendingSubmit,
            prior: None,
            broker_order_id: None,
            reported_filled: 0,
            reported_average: None,
            fill_ids: Vec::new(),
            fill_quantity: 0,
            fill_value: Decimal::ZERO,
            message: None,
            updated,
        }
    }

    /// What was asked.
    pub fn request(&self) -> &OrderRequest {
        &self.request
    }

    /// Current status.
    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// Broker order id once known.
    pub fn broker_order_id(&self) -> Option<&str> {
        self.broker_order_id.as_deref()
    }

    /// Cumulative filled quantity, units: the larger of the last report and the fills seen.
    pub fn filled_quantity(&self) -> u32 {
        self.reported_filled.max(self.fill_quantity)
    }

    /// Units still to fill.
    pub fn remaining(&self) -> u32 {
        self.request.quantity.saturating_sub(self.filled_quantity())
    }

    /// Average fill price, ₹: as last reported by the broker, else the fills' VWAP.
    pub fn average_price(&self) -> Option<Decimal> {
        self.reported_average.or_else(|| self.fills_average())
    }

    /// Volume-weighted average of the fills seen, ₹ (`None` before any fill).
    pub fn fills_average(&self) -> Option<Decimal> {
        (self.fill_quantity > 0).then(|| self.fill_value / Decimal::from(self.fill_quantity))
    }

    /// The fill ids seen (Kite `trade_id`s), arrival order.
    pub fn fill_ids(&self) -> &[String] {
        &self.fill_ids
    }

    /// Units executed by the fills seen.
    pub fn fills_quantity(&self) -> u32 {
        self.fill_quantity
    }

    /// Last broker message.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Time of the last change, IST.
    pub fn updated(&self) -> IstDateTime {
        self.updated
    }

    /// Apply a broker status report (shorthand for [`Self::apply_event`] with
    /// [`OrderEvent::Report`]). On error the state is unchanged.
    pub fn apply(&mut self, u: &OrderUpdate) -> Result<(), TransitionError> {
        self.apply_event(&OrderEvent::Report(u.clone())).map(drop)
    }

    fn illegal(&self, event: OrderEventKind) -> TransitionError {
        TransitionError::Illegal {
            id: self.request.id,
            from: self.status,
            event,
        }
    }

    /// Advance the machine by one event (module table plus the quantity checks). On error the
    /// state is unchanged.
    pub fn apply_event(&mut self, ev: &OrderEvent) -> Result<Applied, TransitionError> {
        let got = match ev {
            OrderEvent::Report(u) => Some(u.id),
            OrderEvent::Fill(f) => Some(f.order_id),
            _ => None,
        };
        if let Some(got) = got
            && got != self.request.id
        {
            return Err(TransitionError::WrongOrder {
                expected: self.request.id,
                got,
            });
        }
        let kind = ev.kind();
        let to = match transition(self.status, kind) {
            Transition::Illegal => return Err(self.illegal(kind)),
            Transition::Stay => self.status,
            Transition::To(s) => s,
            Transition::Back => match self.prior {
                _ if self.filled_quantity() > 0 => OrderStatus::PartiallyFilled,
                Some(p) => p,
                None => OrderStatus::Open,
            },
        };
        let q = self.request.quantity;
        match ev {
            OrderEvent::Placed { broker_order_id } => {
                self.broker_order_id = Some(broker_order_id.clone());
            }
            OrderEvent::Report(u) => {
                let partial_ok = match u.status {
                    OrderStatus::PartiallyFilled => u.filled_quantity > 0 && u.filled_quantity < q,
                    OrderStatus::Complete => u.filled_quantity == q,
                    _ => true,
                };
                if u.filled_quantity < self.reported_filled || u.filled_quantity > q || !partial_ok
                {
                    return Err(TransitionError::BadFill {
                        id: self.request.id,
                        was: self.reported_filled,
                        reported: u.filled_quantity,
                        quantity: q,
                    });
                }
                self.reported_filled = u.filled_quantity;
                if u.average_price.is_some() {
                    self.reported_average = u.average_price;
                }
                if u.broker_order_id.is_some() {
                    self.broker_order_id.clone_from(&u.broker_order_id);
                }
                if u.message.is_some() {
                    self.message.clone_from(&u.message);
                }
                self.updated = u.ts;
            }
            OrderEvent::Fill(f) => {
                if self.fill_ids.contains(&f.fill_id) {
                    return Ok(Applied::DuplicateFill);
                }
                if self.fill_quantity + f.quantity > q {
                    return Err(TransitionError::Overfill {
                        id: self.request.id,
                        fill_id: f.fill_id.clone(),
                        fill: f.quantity,
                        filled: self.fill_quantity,
                        quantity: q,
                    });
                }
                self.fill_ids.push(f.fill_id.clone());
                self.fill_quantity += f.quantity;
                self.fill_value += f.price * Decimal::from(f.quantity);
            }
            OrderEvent::CancelRequested { ts } | OrderEvent::ModifyRequested { ts } => {
                self.updated = *ts;
            }
            OrderEvent::CancelRejected { ts, reason }
            | OrderEvent::ModifyRejected { ts, reason } => {
                self.message = Some(reason.clone());
                self.updated = *ts;
            }
        }
        if matches!(to, OrderStatus::PendingCancel | OrderStatus::PendingModify)
            && !matches!(
                self.status,
                OrderStatus::PendingCancel | OrderStatus::PendingModify
            )
        {
            self.prior = Some(self.status);
        }
        self.status = to;
        Ok(Applied::Changed)
    }
}
