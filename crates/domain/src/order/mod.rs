//! Orders (spec §10.2) and fills (spec §8): what the engine asks a broker to do, and the one
//! order state machine every broker shares ([`machine`], with its documented table).

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
        self.tag_in_run(run_date, 0)
    }

    /// The Kite `tag` for this order in the `run`-th start of the day's session (0 = the
    /// first): run 0 is [`OrderId::tag`]; a restart adds `R<run>` after the date, e.g.
    /// `K240603R2000017` (≤ 20 characters), so no tag is ever reused within a trading day
    /// even when order ids restart (spec §10.2, §11).
    pub fn tag_in_run(self, run_date: chrono::NaiveDate, run: u32) -> String {
        let date = run_date.format("%y%m%d");
        let id = self.0 % 1_000_000;
        if run == 0 {
            format!("K{date}{id:06}")
        } else {
            format!("K{date}R{}{id:06}", run % 10_000)
        }
    }
}

/// An engine tag read back ([`OrderId::tag_in_run`]): the trading date's `YYMMDD`, the run
/// and the order id. `None` for a tag the engine did not make (orders placed by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineTag {
    /// `YYMMDD` of the trading date.
    pub yymmdd: u32,
    /// Start of the day's session that placed it (0 = the first).
    pub run: u32,
    /// Engine order id (mod 10⁶).
    pub id: u64,
}

impl EngineTag {
    /// Parse `K<YYMMDD>[R<run>]<id:06>`.
    pub fn parse(tag: &str) -> Option<Self> {
        let rest = tag.strip_prefix('K')?;
        if rest.len() < 12 || !rest.is_ascii() {
            return None;
        }
        let (date, rest) = rest.split_at(6);
        let (run, id) = match rest.strip_prefix('R') {
            Some(r) if r.len() > 6 => r.split_at(r.len() - 6),
            Some(_) => return None,
            None => ("0", rest),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(date) || !digits(run) || !digits(id) || id.len() != 6 {
            return None;
        }
        Some(Self {
            yymmdd: date.parse().ok()?,
            run: run.parse().ok()?,
            id: id.parse().ok()?,
        })
    }

    /// Whether the tag belongs to trading date `date`.
    pub fn is_of(&self, date: chrono::NaiveDate) -> bool {
        date.format("%y%m%d").to_string().parse::<u32>().ok() == Some(self.yymmdd)
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

    /// The other side: what closes a position opened on this side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
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
    /// The protective stop at the broker (spec §10.3): an SL sell resting at the broker while
    /// a position is held (journal code `PROTECT`).
    Protect,
}

impl OrderPurpose {
    /// Journal spelling: `ENTRY`, `PYRAMID_ADD`, `EXIT`, `PROTECT`.
    pub fn code(self) -> &'static str {
        match self {
            OrderPurpose::Entry => "ENTRY",
            OrderPurpose::PyramidAdd => "PYRAMID_ADD",
            OrderPurpose::Exit => "EXIT",
            OrderPurpose::Protect => "PROTECT",
        }
    }
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

pub mod machine;
#[cfg(test)]
mod tests;

pub use machine::{
    Applied, OrderEvent, OrderEventKind, OrderState, OrderStatus, OrderUpdate, Transition,
    TransitionError, transition,
};

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
