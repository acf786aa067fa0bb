//! [`Index`]: the three traded indices and their exchange facts (spec §1, §5, §7).

use super::Exchange;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// A traded index. The declaration order is the tie-break order of spec §3 (agents at the
/// same timestamp are driven NIFTY, then BANKNIFTY, then SENSEX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Index {
    /// NIFTY 50 (NSE), options on NFO.
    Nifty,
    /// NIFTY BANK (NSE), options on NFO.
    BankNifty,
    /// S&P BSE SENSEX, options on BFO.
    Sensex,
}

impl Index {
    /// All indices in tie-break order.
    pub const ALL: [Index; 3] = [Index::Nifty, Index::BankNifty, Index::Sensex];

    /// Code used in config, catalog series names and journals: `NIFTY`, `BANKNIFTY`, `SENSEX`
    /// (also the `name` of its option rows in the Kite instruments dump).
    pub fn code(self) -> &'static str {
        match self {
            Index::Nifty => "NIFTY",
            Index::BankNifty => "BANKNIFTY",
            Index::Sensex => "SENSEX",
        }
    }

    /// An index code or alias, any case: `NIFTY`/`NIFTY50`/`NIFTY 50`,
    /// `BANKNIFTY`/`NIFTY BANK`/`NIFTYBANK`/`BNF`, `SENSEX`.
    pub fn parse(s: &str) -> Option<Index> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NIFTY" | "NIFTY50" | "NIFTY 50" => Some(Index::Nifty),
            "BANKNIFTY" | "NIFTY BANK" | "NIFTYBANK" | "BNF" => Some(Index::BankNifty),
            "SENSEX" => Some(Index::Sensex),
            _ => None,
        }
    }

    /// The quote name: `NIFTY 50`, `NIFTY BANK`, `SENSEX` (kite-connect.md §8.3).
    pub fn quote_name(self) -> &'static str {
        match self {
            Index::Nifty => "NIFTY 50",
            Index::BankNifty => "NIFTY BANK",
            Index::Sensex => "SENSEX",
        }
    }

    /// The index's Kite `instrument_token` (kite-connect.md §8.3): 256265, 260105, 265.
    pub fn token(self) -> u32 {
        match self {
            Index::Nifty => 256265,
            Index::BankNifty => 260105,
            Index::Sensex => 265,
        }
    }

    /// Index with this Kite `instrument_token`.
    pub fn from_token(token: u32) -> Option<Index> {
        Index::ALL.into_iter().find(|i| i.token() == token)
    }

    /// Exchange where the index's options and futures trade (kite-connect.md §8.2).
    pub fn exchange(self) -> Exchange {
        match self {
            Index::Nifty | Index::BankNifty => Exchange::NFO,
            Index::Sensex => Exchange::BFO,
        }
    }

    /// Default strike step in index points: NIFTY 50, BANKNIFTY 100, SENSEX 100 (spec §5,
    /// kite-connect.md §8.5). Live mode verifies it against the instruments dump.
    pub fn default_strike_step(self) -> Decimal {
        match self {
            Index::Nifty => dec!(50),
            Index::BankNifty | Index::Sensex => dec!(100),
        }
    }

    /// Exchange freeze quantity: the most units one index-option order may carry (NSE circular
    /// of 2024: NIFTY 1800, BANKNIFTY 900; BSE SENSEX 1000). Larger orders are split (spec §7);
    /// configurable per segment (`freeze_quantity`).
    pub fn default_freeze_quantity(self) -> u32 {
        match self {
            Index::Nifty => 1800,
            Index::BankNifty => 900,
            Index::Sensex => 1000,
        }
    }
}
