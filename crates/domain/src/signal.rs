//! Strategy signals and trade direction (spec §4).

use crate::instrument::OptionType;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a strategy emits for a completed candle (spec §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Signal {
    /// Buy an ITM call (bullish).
    #[serde(rename = "BUY_CE")]
    BuyCe,
    /// Buy an ITM put (bearish).
    #[serde(rename = "BUY_PE")]
    BuyPe,
    /// Close the open position (strategy exit, e.g. Donchian lower band).
    #[serde(rename = "EXIT")]
    Exit,
    /// Nothing to do.
    #[serde(rename = "HOLD")]
    Hold,
}

impl Signal {
    /// `BUY_CE`, `BUY_PE`, `EXIT`, `HOLD` (journal spelling, seed 004 §7).
    pub fn code(self) -> &'static str {
        match self {
            Signal::BuyCe => "BUY_CE",
            Signal::BuyPe => "BUY_PE",
            Signal::Exit => "EXIT",
            Signal::Hold => "HOLD",
        }
    }

    /// The entry direction of a buy signal.
    pub fn direction(self) -> Option<Direction> {
        match self {
            Signal::BuyCe => Some(Direction::Long),
            Signal::BuyPe => Some(Direction::Short),
            _ => None,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// View on the underlying index: long (bought CE) or short (bought PE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// Bullish: BUY_CE; stop below the index entry.
    Long,
    /// Bearish: BUY_PE; stop above the index entry.
    Short,
}

impl Direction {
    /// CE for long, PE for short.
    pub fn option_type(self) -> OptionType {
        match self {
            Direction::Long => OptionType::CE,
            Direction::Short => OptionType::PE,
        }
    }

    /// The entry signal of this direction.
    pub fn signal(self) -> Signal {
        match self {
            Direction::Long => Signal::BuyCe,
            Direction::Short => Signal::BuyPe,
        }
    }
}
