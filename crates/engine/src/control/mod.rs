//! The operator's port into a running engine (spec §12; seeds 003, 004 §6): [`Command`]s the
//! console, Telegram or any embedding program send, and the [`Snapshot`] of state they read.
//!
//! The engine never serves anything itself: the session runner drains commands on the engine's
//! own step ([`crate::Engine::command`]) and publishes [`crate::Engine::snapshot`] after every
//! step that moved [`crate::Engine::version`]. Every view here is `Serialize` and is the JSON
//! the HTTP API returns.
//!
//! - [`command`]: what each command does (and what it refuses);
//! - [`snapshot`]: the per-segment cards, positions, orders and day totals.

pub mod command;
pub mod snapshot;

use domain::time::IstDateTime;
use domain::{Decimal, OrderStatus, Segment, Side, Trade};
use serde::{Deserialize, Serialize};

/// What an operator asks of the engine. Applied at the engine's next step, in arrival order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Stop new entries and pyramid adds (seed 003 `stop-trading`, seed 004 "Stop Live
    /// Trader"); exits and stops go on. With `close_all`, every open position is closed too
    /// (reason `MANUAL`).
    StopEntries {
        /// Also close every open position.
        close_all: bool,
    },
    /// Allow entries again after [`Command::StopEntries`] (seed 003 `start-trading` on a
    /// running session). Does not lift a risk halt (daily loss, profit target): those hold
    /// for the day (spec §7).
    StartEntries,
    /// Kill switch on (spec §7): entries and adds blocked at once, exits go on.
    Pause,
    /// Kill switch off.
    Resume,
    /// Close one segment's position at its next tick, reason `MANUAL`.
    ClosePosition {
        /// The segment whose position to close.
        segment: Segment,
    },
    /// Close every open position at its next tick, reason `MANUAL`.
    CloseAll,
    /// A manual order (seed 003 `place-order`). It passes the risk engine like any other order
    /// and is journaled with origin `MANUAL`; see [`command`] for what a BUY and a SELL mean.
    PlaceOrder(ManualOrder),
    /// Validate a manual order exactly as [`Command::PlaceOrder`] would, and place nothing
    /// (seed 003 `test-order`).
    TestOrder(ManualOrder),
    /// Cancel an open order, by broker order id or engine tag (seed 003 `cancel-order/{id}`).
    CancelOrder {
        /// Broker order id or the engine's `K…` tag.
        id: String,
    },
}

/// A manual order (seed 003 `place-order`, `test-order` bodies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualOrder {
    /// Kite tradingsymbol of an option of a traded segment, e.g. `NIFTY2460623200PE`.
    pub tradingsymbol: String,
    /// BUY or SELL.
    pub side: Side,
    /// Units (a whole number of lots).
    pub quantity: u32,
    /// `MARKET` (default) or `LIMIT` (then `price` is required).
    #[serde(default = "market")]
    pub order_type: ManualOrderType,
    /// Limit price, ₹ (LIMIT only).
    #[serde(default)]
    pub price: Option<Decimal>,
}

fn market() -> ManualOrderType {
    ManualOrderType::Market
}

/// Order types a manual order may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ManualOrderType {
    /// At market.
    Market,
    /// At `price` or better.
    Limit,
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandReply {
    /// One line for the trader, e.g. `entries stopped; closing 2 positions`.
    pub message: String,
    /// Orders the command created (manual orders, exits of a close), with their tags.
    pub orders: Vec<OrderView>,
}

/// Why a command was refused; nothing was done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// A field of the command is invalid (HTTP 400 naming the field).
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as named in the JSON body (e.g. `quantity`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The thing named does not exist (HTTP 404): no open position in that segment, no such
    /// order.
    #[error("{0}")]
    NotFound(String),
    /// The risk engine refused the order (HTTP 422): the rule and its reason.
    #[error("risk rule {rule}: {reason}")]
    Risk {
        /// Risk rule code (as in the journal's `risk_block` events).
        rule: String,
        /// Why.
        reason: String,
    },
    /// The broker refused or failed (HTTP 502).
    #[error("broker: {0}")]
    Broker(String),
    /// The engine stopped (journal failure); the session is ending (HTTP 503).
    #[error("engine: {0}")]
    Engine(String),
}

/// The whole state an operator sees (spec §12 status; seed 004 §6.2), taken between two engine
/// steps. Money in ₹, times IST.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Trading date.
    pub date: chrono::NaiveDate,
    /// `PAPER`, `LIVE` or `REPLAY`.
    pub mode: String,
    /// [`crate::Engine::version`] when taken.
    pub version: u64,
    /// Engine clock (exchange time of the last tick), IST.
    #[serde(with = "domain::time::serde_ist_opt")]
    pub now: Option<IstDateTime>,
    /// Entries allowed right now (not paused, not stopped, not halted, reconciled, broker
    /// healthy).
    pub entries_allowed: bool,
    /// Kill switch on.
    pub paused: bool,
    /// Entries stopped by the operator or the shutdown.
    pub entries_stopped: bool,
    /// A risk halt of the day, with its reason.
    pub halted: Option<String>,
    /// A reconciliation mismatch blocking entries, with what differs.
    pub unreconciled: Option<String>,
    /// One card per traded segment, in segment order.
    pub segments: Vec<SegmentCard>,
    /// The day's totals over every segment.
    pub totals: DayTotals,
    /// Orders of the day, newest last.
    pub orders: Vec<OrderView>,
    /// Completed trades of the day, in exit order.
    pub trades: Vec<Trade>,
    /// Intraday equity: realized + open P&L (net of charges), one point per minute with a
    /// change, ₹.
    pub equity: Vec<EquityPoint>,
}

/// Seed 004 §6.2's status card of one segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentCard {
    /// Segment.
    pub segment: Segment,
    /// `IDLE`, `WAITING_FOR_SIGNAL` or `IN_POSITION`.
    pub state: String,
    /// LTP of the watched instrument (see `watches`): index points, or ₹ for a future or
    /// a share.
    pub index_ltp: Option<Decimal>,
    /// What `index_ltp` is the price of: `INDEX` (an agent on its index, trading options),
    /// `FUTURE` (an index agent trading its near-month future, `instrument = "underlying"`:
    /// it watches the future) or `SHARE` (a scanned stock, seed 001).
    pub watches: &'static str,
    /// The open position, if any.
    pub position: Option<PositionView>,
    /// Today's completed trades of the segment.
    pub trades: u32,
    /// Win rate of those, %.
    pub win_rate_pct: Decimal,
    /// Net P&L of those, ₹.
    pub net_pnl: Decimal,
    /// Pyramiding settings of the segment (seed 004 §4.2), shown next to it.
    pub pyramid: PyramidView,
}

/// An open position as the card and `GET /live/positions` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionView {
    /// Segment (the id of `close-position/{id}`).
    pub segment: Segment,
    /// Kite tradingsymbol of the traded contract: an option (`NIFTY2460623200PE`), a future
    /// or an NSE share (`RELIANCE`).
    pub option_symbol: String,
    /// Strike, points (0 for a future or a share).
    pub strike: Decimal,
    /// Expiry date (a share's: the trade date, MIS).
    pub expiry: chrono::NaiveDate,
    /// Kite's `instrument_type`: `CE`, `PE`, `FUT` or `EQ`.
    pub option_type: String,
    /// The signal: `BUY_CE` (bullish) or `BUY_PE` (bearish).
    pub direction: String,
    /// The entry orders' side: `BUY` (every option, a long future or share) or `SELL` (a
    /// short future or share).
    pub side: String,
    /// Units held.
    pub quantity: u32,
    /// Lots held.
    pub lots: u32,
    /// Entry time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub entry_time: IstDateTime,
    /// Index price at entry, points.
    pub entry_spot: Decimal,
    /// Average premium paid, ₹ per unit.
    pub entry_price: Option<Decimal>,
    /// Current stop level on the stop basis (index points or premium), if any.
    pub sl: Option<Decimal>,
    /// Current trailing stop level, if armed.
    pub tsl: Option<Decimal>,
    /// Last premium mark, ₹ per unit.
    pub ltp: Option<Decimal>,
    /// Open P&L at the mark, net of the charges paid so far, ₹.
    pub open_pnl: Option<Decimal>,
    /// Closing (exit sent, not yet filled).
    pub closing: bool,
    /// `STRATEGY` or `MANUAL`.
    pub origin: String,
    /// A hedged short's hedge (spec §4.3): its tradingsymbol, bought first and sold last;
    /// this view is then the short leg (`side` `SELL`) and `open_pnl` the spread's.
    pub hedge: Option<String>,
}

/// Pyramiding of a segment (seed 004 §4.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PyramidView {
    /// Pyramiding on.
    pub enabled: bool,
    /// Add when open profit ≥ quantity × this, ₹ per unit.
    pub pyramid_points: Decimal,
    /// Lots added each time.
    pub lot_addition: u32,
    /// Maximum units.
    pub max_quantity: u32,
}

/// An order as `GET /live/orders` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderView {
    /// Engine tag (`K…`).
    pub tag: String,
    /// Broker order id, once placed.
    pub broker_order_id: Option<String>,
    /// Segment.
    pub segment: Segment,
    /// Option tradingsymbol.
    pub tradingsymbol: String,
    /// BUY or SELL.
    pub side: Side,
    /// Units asked.
    pub quantity: u32,
    /// Units filled.
    pub filled_quantity: u32,
    /// Average fill price, ₹.
    pub average_price: Option<Decimal>,
    /// `MARKET`, `LIMIT` or `SL`.
    pub order_type: String,
    /// Status in the engine's terms.
    pub status: OrderStatus,
    /// `ENTRY`, `PYRAMID_ADD`, `EXIT`, `PROTECT` or `MANUAL`.
    pub purpose: String,
    /// Broker's message (rejection reason).
    pub message: Option<String>,
    /// Created, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub created: IstDateTime,
}

/// The day's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct DayTotals {
    /// Completed trades.
    pub trades: u32,
    /// Win rate, %.
    pub win_rate_pct: Decimal,
    /// Realized gross P&L, ₹.
    pub gross_pnl: Decimal,
    /// Charges, ₹.
    pub charges: Decimal,
    /// Realized net P&L, ₹.
    pub net_pnl: Decimal,
    /// Open P&L of the positions held, ₹.
    pub open_pnl: Decimal,
}

/// One point of the intraday equity curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquityPoint {
    /// Minute, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub ts: IstDateTime,
    /// Realized net + open P&L, ₹.
    pub equity: Decimal,
}
