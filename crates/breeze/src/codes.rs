//! What Breeze calls an instrument: `(stock_code, exch_code, product_type)` (breeze-api.md
//! §2, §5). Keys are the engine's segment codes (`segment.code()`: `NIFTY`, `BANKNIFTY`,
//! `SENSEX`, and stock symbols once segments can be stocks), so the map keeps working when a
//! segment is a stock.
//!
//! Built in (index cash quotes, volume 0 on Breeze, breeze-api.md §4):
//!
//! | key | stock_code | exch_code | source |
//! | --- | --- | --- | --- |
//! | `NIFTY` | `NIFTY` | `NSE` | breeze-api.md §4, \[S4\] #114 |
//! | `BANKNIFTY` | `CNXBAN` | `NSE` | ICICI's short name of NIFTY BANK; used with `exchange_code="NSE"`, `product_type="cash"` in public Breeze code (e.g. GitHub `mahendran8888/mahendran8888` `bankniftystrategy01.py`) |
//! | `SENSEX` | `BSESEN` | `BSE` | the official SDK README (GitHub `Idirect-Tech/Breeze-Python-SDK`, `stock_code="BSESEN"` for SENSEX on BFO) and public code quoting `BSESEN` on `BSE` cash |
//!
//! Stocks come from configuration (`[breeze.stock_codes] RELIANCE = "RELIND"`, breeze-api.md
//! §5: ICICI short names from `SecurityMaster.zip`), NSE cash.

use crate::error::BreezeError;
use std::collections::BTreeMap;

/// One Breeze instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// ICICI short code (`NIFTY`, `CNXBAN`, `RELIND`).
    pub stock_code: String,
    /// `NSE` or `BSE` (cash quotes).
    pub exch_code: String,
    /// `cash` (the only product this source asks for).
    pub product_type: String,
    /// An index: Breeze reports volume 0, which becomes "no volume" (`None`).
    pub index: bool,
}

impl Instrument {
    /// An NSE cash stock with this ICICI code.
    pub fn nse_stock(stock_code: impl Into<String>) -> Self {
        Self {
            stock_code: stock_code.into(),
            exch_code: "NSE".into(),
            product_type: "cash".into(),
            index: false,
        }
    }

    fn index(stock_code: &str, exch_code: &str) -> Self {
        Self {
            stock_code: stock_code.into(),
            exch_code: exch_code.into(),
            product_type: "cash".into(),
            index: true,
        }
    }
}

/// The built-in index instruments (module table).
pub fn builtin() -> BTreeMap<String, Instrument> {
    [
        ("NIFTY", Instrument::index("NIFTY", "NSE")),
        ("BANKNIFTY", Instrument::index("CNXBAN", "NSE")),
        ("SENSEX", Instrument::index("BSESEN", "BSE")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The instrument of `key` (a segment code or a stock symbol): `configured` first, then the
/// built-ins.
///
/// # Errors
/// [`BreezeError::Setup`] naming the key and the config table to add it to.
pub fn resolve(
    configured: &BTreeMap<String, Instrument>,
    key: &str,
) -> Result<Instrument, BreezeError> {
    configured
        .get(key)
        .cloned()
        .or_else(|| builtin().remove(key))
        .ok_or_else(|| {
            BreezeError::Setup(format!(
                "no Breeze stock code for {key}: add it under [breeze.stock_codes] (ICICI short name, e.g. RELIANCE = \"RELIND\")"
            ))
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use domain::Segment;

    #[test]
    fn segments_resolve_by_code_and_stocks_by_config() {
        let none = BTreeMap::new();
        let b = resolve(&none, Segment::BankNifty.code()).unwrap();
        assert_eq!(
            (b.stock_code.as_str(), b.exch_code.as_str()),
            ("CNXBAN", "NSE")
        );
        let s = resolve(&none, Segment::Sensex.code()).unwrap();
        assert_eq!(
            (s.stock_code.as_str(), s.exch_code.as_str()),
            ("BSESEN", "BSE")
        );
        assert!(resolve(&none, Segment::Nifty.code()).unwrap().index);
        let e = resolve(&none, "RELIANCE").unwrap_err();
        assert!(e.to_string().contains("[breeze.stock_codes]"), "{e}");
        let mut cfg = BTreeMap::new();
        cfg.insert("RELIANCE".to_string(), Instrument::nse_stock("RELIND"));
        let r = resolve(&cfg, "RELIANCE").unwrap();
        assert_eq!(r.stock_code, "RELIND");
        assert!(!r.index);
    }
}
