//! # domain — the trading model
//!
//! Everything the other crates talk in: segments and instruments (spec §5), ticks and candles
//! (spec §3), signals (spec §4), orders and their one state machine (spec §10.2), fills,
//! positions and completed trades (spec §11), IST time, and the exchange calendars (holidays,
//! expiries, lot sizes, charges).
//!
//! Conventions, binding across the workspace:
//! - Prices and money are [`rust_decimal::Decimal`] in rupees (₹); never `f64`.
//! - Time is timezone-aware IST ([`time::IstDateTime`], `chrono_tz::Asia::Kolkata`).
//! - Indicator values are `f64` (see the `indicators` crate).
//!
//! The [`ports`] module holds the traits the engine drives through trait objects
//! (`dyn Clock`, `dyn MarketData`, `dyn Broker`), so replay, paper and live run the same code.

pub mod calendar;
pub mod charges;
pub mod instrument;
pub mod market;
pub mod order;
pub mod ports;
pub mod segment;
pub mod signal;
pub mod time;
pub mod trade;

pub use instrument::{OptionContract, OptionType};
pub use market::{Bar, Candle, Tick, Timeframe};
pub use order::{
    Applied, Fill, OrderEvent, OrderEventKind, OrderId, OrderKind, OrderRequest, OrderState,
    OrderStatus, OrderUpdate, PremiumSource, Product, Side, Transition, TransitionError,
};
pub use rust_decimal::Decimal;
pub use segment::{Exchange, Index, Segment, Symbol};
pub use signal::{Direction, Signal};
pub use time::IstDateTime;
pub use trade::{ExitReason, Trade};
