//! The simulated order book (kite-connect.md §3.3–§3.5, §6): placement validation, the status
//! history Kite shows (`PUT ORDER REQ RECEIVED → VALIDATION PENDING → OPEN PENDING → OPEN →
//! COMPLETE`, or `REJECTED` / `CANCELLED`), fills against the simulated touch, and the JSON
//! rows of `GET /orders`, `/orders/{id}`, `/trades` and `/portfolio/positions`.
//!
//! The touch of an option is its premium (LTP) ± one tick (₹0.05): a `MARKET` BUY fills at
//! LTP + 0.05, a SELL at LTP − 0.05 (at least ₹0.05); a `LIMIT` BUY fills at the ask when its
//! price is at or above it, a SELL at the bid when at or below it, else it rests `OPEN` and is
//! checked on every later tick of its index. `SL` rests `TRIGGER PENDING` until the LTP
//! reaches the trigger (BUY: LTP ≥ trigger, SELL: LTP ≤ trigger), then acts as `LIMIT`.
//! `SL-M` is refused at placement and modification for options ([`SL_M_BLOCKED`]);
//! [`OrderRec::execute`] still knows it (as `MARKET` once triggered).
//!
//! A streamed stock's NSE share (`exchange=NSE`, product `MIS`, lot size 1) has no spread:
//! its touch is its stream price ([`touch_of`]), so a `MARKET` BUY or SELL (a SELL may open
//! a short) fills at the current stream price, a `LIMIT` fills when its price is at or
//! through it, and prices must be multiples of the share's tick size
//! (`domain::instrument::nse_equity_tick_size`). `SL-M` is accepted for a share.
//!
//! An index future (`FUT`, NFO/BFO, products MIS and NRML, whole lots, tick ₹0.05) is filled
//! the same way at its segment's stream price, long or short (a SELL may open a short, as
//! for a share; the simulator checks no funds at placement for any instrument). `SL-M` is
//! refused for options only (the exchange's block is on index options), so a future may use
//! it as a share may.

use crate::market::{Instrument, tick_size};
use domain::time::IstDateTime;
use domain::{Decimal, Segment, Side};
use serde::Serialize;
use serde_json::{Value, json};

mod place;
mod positions;

pub use place::parse_place;

pub use positions::{cash_flow, equity_usage, futures_usage, positions};

/// Kite order types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// `MARKET`.
    Market,
    /// `LIMIT`.
    Limit,
    /// `SL` (stop-loss limit).
    Sl,
    /// `SL-M` (stop-loss market).
    SlM,
}

impl OrderType {
    /// Kite's code.
    pub fn code(self) -> &'static str {
        match self {
            OrderType::Market => "MARKET",
            OrderType::Limit => "LIMIT",
            OrderType::Sl => "SL",
            OrderType::SlM => "SL-M",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "MARKET" => OrderType::Market,
            "LIMIT" => OrderType::Limit,
            "SL" => OrderType::Sl,
            "SL-M" => OrderType::SlM,
            _ => return None,
        })
    }

    fn is_stop(self) -> bool {
        matches!(self, OrderType::Sl | OrderType::SlM)
    }

    fn needs_price(self) -> bool {
        matches!(self, OrderType::Limit | OrderType::Sl)
    }
}

/// Kite's refusal of `SL-M` on index options: the exchanges withdrew stop-loss market orders
/// there (NSE index and stock options from 27 September 2021; BSE for every segment), and the
/// simulator lists index options only.
pub const SL_M_BLOCKED: &str =
    "SL-M orders are blocked for index options by the exchange: use SL (stop-loss limit).";

/// The refusal of `SL-M` for `inst`, if it is refused: an option ([`SL_M_BLOCKED`]); a share
/// or a future may use `SL-M`.
pub fn sl_m_refusal(inst: &Instrument) -> Option<&'static str> {
    (!inst.is_underlying()).then_some(SL_M_BLOCKED)
}

/// One execution of a simulated order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimFill {
    /// Kite `trade_id`.
    pub trade_id: String,
    /// Units.
    pub quantity: u32,
    /// Fill price, ₹.
    pub price: Decimal,
    /// Fill time on the simulated clock, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub at: IstDateTime,
}

/// One order of the simulator's book (also served as JSON by `GET /sim/orders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimOrder {
    /// Kite `order_id` (19 digits).
    pub order_id: String,
    /// Kite `exchange_order_id` (16 digits), once the order reached the "exchange".
    pub exchange_order_id: Option<String>,
    /// The client's `tag`.
    pub tag: Option<String>,
    /// `NFO`, `BFO`, or `NSE` (a stock's share).
    pub exchange: String,
    /// Tradingsymbol.
    pub tradingsymbol: String,
    /// Token.
    pub instrument_token: u32,
    /// BUY or SELL.
    pub side: Side,
    /// `MARKET`, `LIMIT`, `SL`, `SL-M`.
    pub order_type: String,
    /// `MIS` or `NRML` (`MIS` for a share).
    pub product: String,
    /// `DAY` or `IOC`.
    pub validity: String,
    /// Units.
    pub quantity: u32,
    /// Limit price, ₹ (0 for MARKET/SL-M).
    pub price: Decimal,
    /// Trigger price, ₹ (SL/SL-M).
    pub trigger_price: Decimal,
    /// Kite status (`OPEN`, `TRIGGER PENDING`, `COMPLETE`, `CANCELLED`, `REJECTED`).
    pub status: String,
    /// Rejection reason.
    pub status_message: Option<String>,
    /// Units filled.
    pub filled_quantity: u32,
    /// Average fill price, ₹.
    pub average_price: Option<Decimal>,
    /// Placement time on the simulated clock, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub placed_at: IstDateTime,
    /// Last change on the simulated clock, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub updated_at: IstDateTime,
    /// Whether it was modified.
    pub modified: bool,
    /// Every status it went through, oldest first (as `GET /orders/{id}`).
    pub history: Vec<String>,
    /// Executions.
    pub fills: Vec<SimFill>,
}

/// A validated placement.
#[derive(Debug, Clone)]
pub struct PlaceRequest {
    /// The option or stock share.
    pub token: u32,
    /// BUY/SELL.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Units.
    pub quantity: u32,
    /// `MIS`/`NRML`.
    pub product: String,
    /// Limit price, ₹.
    pub price: Decimal,
    /// Trigger, ₹.
    pub trigger: Decimal,
    /// `DAY`/`IOC`.
    pub validity: String,
    /// Tag.
    pub tag: Option<String>,
    /// `market_protection`.
    pub market_protection: Option<f64>,
}

/// A book entry: the public view plus what the JSON rows need.
#[derive(Debug, Clone)]
pub struct OrderRec {
    /// Public view.
    pub o: SimOrder,
    /// Underlying segment.
    pub segment: Segment,
    /// An `EQ` share or a `FUT` ([`Instrument::is_underlying`]): filled at the stream price,
    /// no spread.
    pub underlying: bool,
    /// `market_protection` as sent.
    pub market_protection: Option<f64>,
    /// Units cancelled.
    pub cancelled_quantity: u32,
    /// When it reached the exchange.
    pub exchange_ts: Option<IstDateTime>,
    /// History rows, oldest first.
    pub rows: Vec<Value>,
}

/// `YYYY-MM-DD HH:MM:SS`, IST (kite-connect.md §1).
pub fn kite_time(t: &IstDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// ₹ as a JSON number (exact decimal text → nearest `f64`).
pub fn num(d: Decimal) -> f64 {
    d.to_string().parse::<f64>().unwrap_or(0.0)
}

/// The ask and bid around an option's LTP: one tick each side, the bid at least one tick.
pub fn touch(ltp: Decimal) -> (Decimal, Decimal) {
    let t = tick_size();
    (ltp + t, (ltp - t).max(t))
}

/// The (ask, bid) of an instrument at `ltp`: [`touch`] for an index option; the LTP itself
/// on both sides for the `underlying` itself, a stock's share or an index future (filled at
/// its stream price, [`Instrument::is_underlying`]).
pub fn touch_of(underlying: bool, ltp: Decimal) -> (Decimal, Decimal) {
    if underlying { (ltp, ltp) } else { touch(ltp) }
}

impl OrderRec {
    /// A new order, not yet in any status.
    pub fn new(
        order_id: String,
        req: &PlaceRequest,
        inst: &Instrument,
        at: IstDateTime,
    ) -> OrderRec {
        let c = &inst.contract;
        OrderRec {
            o: SimOrder {
                order_id,
                exchange_order_id: None,
                tag: req.tag.clone(),
                exchange: c.exchange.to_string(),
                tradingsymbol: c.tradingsymbol.clone(),
                instrument_token: inst.token(),
                side: req.side,
                order_type: req.order_type.code().to_string(),
                product: req.product.clone(),
                validity: req.validity.clone(),
                quantity: req.quantity,
                price: req.price,
                trigger_price: req.trigger,
                status: String::new(),
                status_message: None,
                filled_quantity: 0,
                average_price: None,
                placed_at: at,
                updated_at: at,
                modified: false,
                history: Vec::new(),
                fills: Vec::new(),
            },
            segment: c.segment,
            underlying: inst.is_underlying(),
            market_protection: req.market_protection,
            cancelled_quantity: 0,
            exchange_ts: None,
            rows: Vec::new(),
        }
    }

    /// The order type.
    pub fn order_type(&self) -> OrderType {
        OrderType::parse(&self.o.order_type).unwrap_or(OrderType::Limit)
    }

    /// `OPEN` or `TRIGGER PENDING`: can still execute, be modified or cancelled.
    pub fn is_open(&self) -> bool {
        matches!(self.o.status.as_str(), "OPEN" | "TRIGGER PENDING")
    }

    /// Units not yet filled nor cancelled.
    pub fn pending(&self) -> u32 {
        if self.is_open() {
            self.o.quantity.saturating_sub(self.o.filled_quantity)
        } else {
            0
        }
    }

    /// Move to `status` at `at`, recording a history row.
    pub fn transition(&mut self, status: &str, at: IstDateTime, user_id: &str) {
        self.o.status = status.to_string();
        self.o.updated_at = at;
        self.o.history.push(status.to_string());
        let row = self.row(user_id);
        self.rows.push(row);
    }

    /// The order as a Kite order row (`GET /orders`, kite-connect.md §3.4).
    pub fn row(&self, user_id: &str) -> Value {
        let o = &self.o;
        json!({
            "account_id": user_id,
            "placed_by": user_id,
            "order_id": o.order_id,
            "exchange_order_id": o.exchange_order_id,
            "parent_order_id": null,
            "status": o.status,
            "status_message": o.status_message,
            "status_message_raw": o.status_message,
            "order_timestamp": kite_time(&o.placed_at),
            "exchange_update_timestamp": kite_time(&o.updated_at),
            "exchange_timestamp": self.exchange_ts.as_ref().map(kite_time),
            "variety": "regular",
            "modified": o.modified,
            "exchange": o.exchange,
            "tradingsymbol": o.tradingsymbol,
            "instrument_token": o.instrument_token,
            "order_type": o.order_type,
            "transaction_type": o.side.code(),
            "validity": o.validity,
            "validity_ttl": null,
            "product": o.product,
            "quantity": o.quantity,
            "disclosed_quantity": 0,
            "price": num(o.price),
            "trigger_price": num(o.trigger_price),
            "average_price": o.average_price.map_or(0.0, num),
            "filled_quantity": o.filled_quantity,
            "pending_quantity": self.pending(),
            "cancelled_quantity": self.cancelled_quantity,
            "auction_number": null,
            "market_protection": self.market_protection.unwrap_or(0.0),
            "meta": {},
            "tag": o.tag,
            "tags": o.tag.iter().collect::<Vec<_>>(),
            "guid": format!("sim-{}", o.order_id),
        })
    }

    /// The `{"type":"order","data":…}` socket message of the current state (postback shape,
    /// kite-connect.md §6.2, §7.5).
    pub fn update_message(&self, user_id: &str) -> String {
        let mut row = self.row(user_id);
        if let Some(m) = row.as_object_mut() {
            m.insert("user_id".into(), json!(user_id));
            m.insert("app_id".into(), json!(0));
            m.insert("unfilled_quantity".into(), json!(self.pending()));
            m.insert("checksum".into(), json!(""));
        }
        json!({"type": "order", "data": row}).to_string()
    }

    /// Trade rows (`GET /orders/{id}/trades`, `GET /trades`).
    pub fn trade_rows(&self) -> Vec<Value> {
        let o = &self.o;
        o.fills
            .iter()
            .map(|f| {
                json!({
                    "trade_id": f.trade_id,
                    "order_id": o.order_id,
                    "exchange_order_id": o.exchange_order_id.clone().unwrap_or_default(),
                    "exchange": o.exchange,
                    "tradingsymbol": o.tradingsymbol,
                    "instrument_token": o.instrument_token,
                    "product": o.product,
                    "average_price": num(f.price),
                    "quantity": f.quantity,
                    "transaction_type": o.side.code(),
                    "fill_timestamp": kite_time(&f.at),
                    "order_timestamp": f.at.format("%H:%M:%S").to_string(),
                    "exchange_timestamp": kite_time(&f.at),
                })
            })
            .collect()
    }

    /// Fill the whole pending quantity at `price`.
    fn fill_all(&mut self, price: Decimal, at: IstDateTime, trade_id: String) {
        let q = self.pending();
        if q == 0 {
            return;
        }
        let prev = Decimal::from(self.o.filled_quantity) * self.o.average_price.unwrap_or_default();
        self.o.filled_quantity += q;
        let avg = (prev + Decimal::from(q) * price) / Decimal::from(self.o.filled_quantity);
        self.o.average_price = Some(avg.round_dp(4).normalize());
        self.o.fills.push(SimFill {
            trade_id,
            quantity: q,
            price,
            at,
        });
    }

    /// Check a resting order against the option's (or share's) `ltp` at `at`: trigger stops,
    /// execute marketable orders. Returns whether the order changed (a socket update is due).
    pub fn execute(
        &mut self,
        ltp: Decimal,
        at: IstDateTime,
        user_id: &str,
        next_trade_id: &mut dyn FnMut() -> String,
    ) -> bool {
        let ot = self.order_type();
        let buy = self.o.side == Side::Buy;
        let mut changed = false;
        if self.o.status == "TRIGGER PENDING" {
            let hit = if buy {
                ltp >= self.o.trigger_price
            } else {
                ltp <= self.o.trigger_price
            };
            if !hit {
                return false;
            }
            self.transition("OPEN", at, user_id);
            changed = true;
        }
        if self.o.status != "OPEN" {
            return changed;
        }
        let (ask, bid) = touch_of(self.underlying, ltp);
        let px = match ot {
            OrderType::Market | OrderType::SlM => Some(if buy { ask } else { bid }),
            OrderType::Limit | OrderType::Sl => {
                if buy && self.o.price >= ask {
                    Some(ask.min(self.o.price))
                } else if !buy && self.o.price <= bid {
                    Some(bid.max(self.o.price))
                } else {
                    None
                }
            }
        };
        if let Some(p) = px {
            self.fill_all(p, at, next_trade_id());
            self.transition("COMPLETE", at, user_id);
            return true;
        }
        changed
    }

    /// Cancel what is pending (`CANCEL PENDING` → `CANCELLED`).
    pub fn cancel(&mut self, at: IstDateTime, user_id: &str, message: Option<&str>) {
        let pending = self.pending();
        self.transition("CANCEL PENDING", at, user_id);
        self.cancelled_quantity += pending;
        if let Some(m) = message {
            self.o.status_message = Some(m.to_string());
        }
        self.transition("CANCELLED", at, user_id);
    }
}

#[cfg(test)]
mod tests;
