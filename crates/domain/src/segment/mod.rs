//! Segments: what an agent watches and trades (spec §1, §3): one of the three indices
//! ([`Index`], index options) or a stock ([`Symbol`], seed 001's scanner), and the exchanges.

mod index;
mod symbol;

pub use index::Index;
pub use symbol::{SYMBOL_MAX, Symbol, SymbolError};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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

/// What one agent watches and trades: an index (NIFTY, BANKNIFTY, SENSEX: it buys the
/// index's options, or trades its future) or a stock (seed 001's scanner: it trades the NSE
/// equity itself).
///
/// `Copy` and ordered: indices first in the tie-break order of spec §3 (NIFTY, BANKNIFTY,
/// SENSEX), then stocks by symbol. Serialized as its [`code`](Segment::code) (`"NIFTY"`,
/// `"RELIANCE"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// One of the three indices.
    Index(Index),
    /// An NSE stock.
    Stock(Symbol),
}

#[allow(non_upper_case_globals)]
impl Segment {
    /// NIFTY 50 (NSE), options on NFO.
    pub const Nifty: Segment = Segment::Index(Index::Nifty);
    /// NIFTY BANK (NSE), options on NFO.
    pub const BankNifty: Segment = Segment::Index(Index::BankNifty);
    /// S&P BSE SENSEX, options on BFO.
    pub const Sensex: Segment = Segment::Index(Index::Sensex);

    /// The index segments in tie-break order (spec §3).
    pub const ALL: [Segment; 3] = [Segment::Nifty, Segment::BankNifty, Segment::Sensex];

    /// A stock segment.
    pub fn stock(symbol: Symbol) -> Segment {
        Segment::Stock(symbol)
    }

    /// The index, for an index segment.
    pub fn index(self) -> Option<Index> {
        match self {
            Segment::Index(i) => Some(i),
            Segment::Stock(_) => None,
        }
    }

    /// The symbol, for a stock segment.
    pub fn symbol(self) -> Option<Symbol> {
        match self {
            Segment::Index(_) => None,
            Segment::Stock(s) => Some(s),
        }
    }

    /// Code used in config, catalog series names, journals and the console: `NIFTY`,
    /// `BANKNIFTY`, `SENSEX`, or the stock's symbol (`RELIANCE`).
    pub fn code(&self) -> &str {
        match self {
            Segment::Index(i) => i.code(),
            Segment::Stock(s) => s.as_str(),
        }
    }

    /// The quote name: `NIFTY 50`, `NIFTY BANK`, `SENSEX` (kite-connect.md §8.3), or the
    /// stock's symbol.
    pub fn index_symbol(&self) -> &str {
        match self {
            Segment::Index(i) => i.quote_name(),
            Segment::Stock(s) => s.as_str(),
        }
    }

    /// The index's Kite `instrument_token` (kite-connect.md §8.3); `None` for a stock, whose
    /// token comes from the instruments list (the engine keeps a token map, see
    /// `SegmentSettings::watch_token` in the engine crate).
    pub fn index_token(self) -> Option<u32> {
        self.index().map(Index::token)
    }

    /// Index segment whose index has this Kite `instrument_token`.
    pub fn from_index_token(token: u32) -> Option<Segment> {
        Index::from_token(token).map(Segment::Index)
    }

    /// The `name` column of the option rows in the Kite instruments dump (the index code, or
    /// the stock's symbol).
    pub fn option_name(&self) -> &str {
        self.code()
    }

    /// Exchange of what the segment trades (kite-connect.md §8.2): NFO/BFO for an index's
    /// options and futures, NSE for a stock.
    pub fn exchange(self) -> Exchange {
        match self {
            Segment::Index(i) => i.exchange(),
            Segment::Stock(_) => Exchange::NSE,
        }
    }

    /// Default option strike step in index points (spec §5); `None` for a stock (this engine
    /// does not trade stock options).
    pub fn default_strike_step(self) -> Option<Decimal> {
        self.index().map(Index::default_strike_step)
    }

    /// Exchange freeze quantity for one order (spec §7); `None` for a stock (the cash market
    /// has no freeze quantity).
    pub fn default_freeze_quantity(self) -> Option<u32> {
        self.index().map(Index::default_freeze_quantity)
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for a string that is neither an index code nor a valid symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown segment `{0}` (expected NIFTY, BANKNIFTY, SENSEX or an NSE symbol)")]
pub struct UnknownSegment(pub String);

impl FromStr for Segment {
    type Err = UnknownSegment;
    /// An index code or alias (`NIFTY`, `NIFTY 50`, `BANKNIFTY`, `BNF`, `SENSEX`, any case),
    /// else a stock symbol. Where only indices make sense (the config's `segments`), the
    /// caller checks [`Segment::index`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(i) = Index::parse(s) {
            return Ok(Segment::Index(i));
        }
        Symbol::new(s)
            .map(Segment::Stock)
            .map_err(|_| UnknownSegment(s.to_string()))
    }
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_order_and_tokens() {
        assert_eq!("banknifty".parse::<Segment>().unwrap(), Segment::BankNifty);
        let rel: Segment = "RELIANCE".parse().unwrap();
        assert_eq!(
            rel.symbol().map(|s| s.to_string()).as_deref(),
            Some("RELIANCE")
        );
        assert!("RELI ANCE".parse::<Segment>().is_err());
        for s in Segment::ALL {
            assert_eq!(Segment::from_index_token(s.index_token().unwrap()), Some(s));
        }
        assert_eq!(rel.index_token(), None);
        assert!(Segment::Nifty < Segment::BankNifty && Segment::BankNifty < Segment::Sensex);
        assert!(
            Segment::Sensex < rel,
            "indices first, then stocks (spec §3 tie-break)"
        );
        assert_eq!(rel.exchange(), Exchange::NSE);
        assert_eq!(rel.default_freeze_quantity(), None);
    }

    #[test]
    fn serde_is_the_code() {
        let v = vec![Segment::Nifty, "TCS".parse().unwrap()];
        let j = serde_json::to_string(&v).unwrap();
        assert_eq!(j, r#"["NIFTY","TCS"]"#);
        let back: Vec<Segment> = serde_json::from_str(&j).unwrap();
        assert_eq!(back, v);
    }
}
