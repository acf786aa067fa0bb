//! Segments: the three traded indices (spec §1, §3) and their exchange facts.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An exchange segment as Kite names it (kite-connect.md §8.2): the derivatives segments
/// NFO/BFO (index options, futures) and the cash segments NSE/BSE (equity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Exchange {
    /// NSE equity derivatives (NIFTY, BANKNIFTY options; index and stock futures).
    NFO,
    /// BSE equity derivatives (SENSEX options and futures).
    BFO,
    /// NSE cash market (equity, e.g. `RELIANCE` EQ).
    NSE,
    /// BSE cash market (equity).
    BSE,
}

impl Exchange {
    /// `true` for the cash segments NSE and BSE (equity delivery/intraday, no expiry).
    pub fn is_cash(self) -> bool {
        matches!(self, Exchange::NSE | Exchange::BSE)
    }

    /// `true` for an exchange of the NSE group (NSE cash, NFO); `false` for BSE/BFO. Decides
    /// which exchange's transaction-charge rate applies (spec §8).
    pub fn is_nse_group(self) -> bool {
        matches!(self, Exchange::NSE | Exchange::NFO)
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exchange::NFO => "NFO",
            Exchange::BFO => "BFO",
            Exchange::NSE => "NSE",
            Exchange::BSE => "BSE",
        })
    }
}

/// A traded index. The declaration order is the tie-break order of spec §3 (agents at the
/// same timestamp are driven NIFTY, then BANKNIFTY, then SENSEX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Segment {
    /// NIFTY 50 (NSE), options on NFO.
    #[serde(rename = "NIFTY")]
    Nifty,
    /// NIFTY BANK (NSE), options on NFO.
    #[serde(rename = "BANKNIFTY")]
    BankNifty,
    /// S&P BSE SENSEX, options on BFO.
    #[serde(rename = "SENSEX")]
    Sensex,
}

impl Segment {
    /// All segments in tie-break order.
    pub const ALL: [Segment; 3] = [Segment::Nifty, Segment::BankNifty, Segment::Sensex];

    /// Segment code used in config, catalog series names and journals: `NIFTY`, `BANKNIFTY`, `SENSEX`.
    pub fn code(self) -> &'static str {
        match self {
            Segment::Nifty => "NIFTY",
            Segment::BankNifty => "BANKNIFTY",
            Segment::Sensex => "SENSEX",
        }
    }

    /// The index's display/quote name: `NIFTY 50`, `NIFTY BANK`, `SENSEX` (kite-connect.md §8.3).
    pub fn index_symbol(self) -> &'static str {
        match self {
            Segment::Nifty => "NIFTY 50",
            Segment::BankNifty => "NIFTY BANK",
            Segment::Sensex => "SENSEX",
        }
    }

    /// The index's Kite `instrument_token` (kite-connect.md §8.3): 256265, 260105, 265.
    pub fn index_token(self) -> u32 {
        match self {
            Segment::Nifty => 256265,
            Segment::BankNifty => 260105,
            Segment::Sensex => 265,
        }
    }

    /// Segment whose index has this Kite `instrument_token`.
    pub fn from_index_token(token: u32) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.index_token() == token)
    }

    /// The `name` column of the option rows in the Kite instruments dump.
    pub fn option_name(self) -> &'static str {
        self.code()
    }

    /// Exchange where the segment's options trade (kite-connect.md §8.2).
    pub fn exchange(self) -> Exchange {
        match self {
            Segment::Nifty | Segment::BankNifty => Exchange::NFO,
            Segment::Sensex => Exchange::BFO,
        }
    }

    /// Default strike step in index points: NIFTY 50, BANKNIFTY 100, SENSEX 100 (spec §5,
    /// kite-connect.md §8.5). Live mode verifies it against the instruments dump.
    pub fn default_strike_step(self) -> Decimal {
        match self {
            Segment::Nifty => dec!(50),
            Segment::BankNifty | Segment::Sensex => dec!(100),
        }
    }

    /// Exchange freeze quantity: the most units one index-option order may carry (NSE circular
    /// of 2024: NIFTY 1800, BANKNIFTY 900; BSE SENSEX 1000). Larger orders are split (spec §7);
    /// configurable per segment (`freeze_quantity`).
    pub fn default_freeze_quantity(self) -> u32 {
        match self {
            Segment::Nifty => 1800,
            Segment::BankNifty => 900,
            Segment::Sensex => 1000,
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for an unknown segment code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown segment `{0}` (expected NIFTY, BANKNIFTY or SENSEX)")]
pub struct UnknownSegment(pub String);

impl FromStr for Segment {
    type Err = UnknownSegment;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NIFTY" | "NIFTY50" | "NIFTY 50" => Ok(Segment::Nifty),
            "BANKNIFTY" | "NIFTY BANK" | "NIFTYBANK" | "BNF" => Ok(Segment::BankNifty),
            "SENSEX" => Ok(Segment::Sensex),
            _ => Err(UnknownSegment(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_tokens() {
        assert_eq!("banknifty".parse::<Segment>().unwrap(), Segment::BankNifty);
        assert!("FINNIFTY".parse::<Segment>().is_err());
        for s in Segment::ALL {
            assert_eq!(Segment::from_index_token(s.index_token()), Some(s));
        }
        assert!(Segment::Nifty < Segment::BankNifty && Segment::BankNifty < Segment::Sensex);
    }
}
