//! The replay edge (spec §1, §3.1 rule 2, §9): what turns catalog files into the inputs of a
//! replay day, below the engine so that the engine, the backtest runner and the Kite simulator
//! share one definition of "the ticks of a day".
//!
//! - [`ticks`]: four ticks per bar (spec §3.1 rule 2), bar length, session filter.
//! - [`feed`]: [`ReplayFeed`], a day's index ticks of several segments as a
//!   [`domain::ports::MarketData`] feed.
//! - [`history`]: [`CatalogHistory`], warm-up sessions as [`domain::ports::HistoricalData`].
//! - [`contracts`]: [`CalendarContracts`], option contracts from the expiry calendar (spec §5).
//! - [`premiums`]: [`CatalogPremiums`], real option prices where the catalog has them.

pub mod contracts;
pub mod feed;
pub mod history;
pub mod premiums;
pub mod ticks;

pub use contracts::CalendarContracts;
pub use feed::{ReplayFeed, day_ticks};
pub use history::CatalogHistory;
pub use premiums::CatalogPremiums;
