//! [`Symbol`]: an NSE trading symbol held inline, so a stock segment stays `Copy`.

use std::fmt;
use std::str::FromStr;

/// Longest symbol accepted, in bytes. NSE equity symbols are at most 10 characters today
/// (`BAJAJ-AUTO`, `M&M`); 20 leaves room for series like `NIFTY-FUT` and `_5m` suffixes.
pub const SYMBOL_MAX: usize = 20;

/// An NSE trading symbol (`tradingsymbol` of an `EQ` row in Kite's instruments dump,
/// kite-connect.md §8.1), e.g. `RELIANCE`, `BAJAJ-AUTO`, `M&M`.
///
/// Held inline (zero-padded ASCII), so it is `Copy` and cheap to hash and compare; the
/// derived order is the symbol's byte order (`AB` < `ABC` < `B`). Accepted characters:
/// `A–Z 0–9 & - _ .`, 1 to [`SYMBOL_MAX`] bytes; lower case is upper-cased on parse.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol([u8; SYMBOL_MAX]);

/// Why a string is not a [`Symbol`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// Empty, or longer than [`SYMBOL_MAX`] bytes.
    #[error("symbol `{0}` must be 1 to {SYMBOL_MAX} characters")]
    Length(String),
    /// A character outside `A–Z 0–9 & - _ .`.
    #[error("symbol `{0}` has a character outside A-Z 0-9 & - _ .")]
    Character(String),
}

impl Symbol {
    /// Parse `s` (trimmed, upper-cased).
    ///
    /// # Errors
    /// [`SymbolError`] for an empty or too long symbol or a character NSE does not use.
    pub fn new(s: &str) -> Result<Self, SymbolError> {
        let t = s.trim();
        if t.is_empty() || t.len() > SYMBOL_MAX {
            return Err(SymbolError::Length(s.to_string()));
        }
        let mut bytes = [0u8; SYMBOL_MAX];
        for (slot, c) in bytes.iter_mut().zip(t.bytes()) {
            let c = c.to_ascii_uppercase();
            if !(c.is_ascii_uppercase() || c.is_ascii_digit() || b"&-_.".contains(&c)) {
                return Err(SymbolError::Character(s.to_string()));
            }
            *slot = c;
        }
        Ok(Symbol(bytes))
    }

    /// The symbol text, e.g. `RELIANCE`.
    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(SYMBOL_MAX);
        // Only ASCII bytes are ever stored (checked in `new`).
        std::str::from_utf8(&self.0[..len]).unwrap_or("")
    }
}

impl FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::new(s)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_order_and_errors() {
        let r = Symbol::new(" reliance ").unwrap();
        assert_eq!(r.as_str(), "RELIANCE");
        assert_eq!(Symbol::new("M&M").unwrap().to_string(), "M&M");
        assert_eq!(Symbol::new("BAJAJ-AUTO").unwrap().as_str(), "BAJAJ-AUTO");
        assert!(Symbol::new("AB").unwrap() < Symbol::new("ABC").unwrap());
        assert!(Symbol::new("ABC").unwrap() < Symbol::new("B").unwrap());
        assert!(matches!(Symbol::new(""), Err(SymbolError::Length(_))));
        assert!(matches!(
            Symbol::new(&"A".repeat(21)),
            Err(SymbolError::Length(_))
        ));
        assert_eq!(Symbol::new(&"A".repeat(20)).unwrap().as_str().len(), 20);
        assert!(matches!(
            Symbol::new("RELI ANCE"),
            Err(SymbolError::Character(_))
        ));
    }
}
