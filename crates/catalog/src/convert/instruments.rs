//! `<data-dir>/instruments.csv`: what the conversion learnt about the instrument behind each
//! stock series (its NSE symbol and scrip token), beside the series folders.
//!
//! The catalog has no per-series metadata and a series folder holds only day files, so the
//! token lives in one file at the catalog root (not a series: [`crate::Catalog::series`] lists
//! directories only):
//!
//! ```csv
//! series,exchange,symbol,exchange_token,instrument_token,source
//! RELIANCE,NSE,RELIANCE,2885,738561,nse-stocks-1min/marketmaya-1min-2025
//! RELIANCE_5m,NSE,RELIANCE,,,nse-stocks-1min/yahoo-5min-2024
//! ```
//!
//! `instrument_token` is Kite's, `exchange_token × 256 + 1` ([`StockInfo::kite_instrument_token`]);
//! both are empty where the source has no token. `convert` rewrites the rows of the series it
//! converted and keeps the others.

use super::stocks::StockInfo;
use crate::error::CatalogError;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// File name of the instruments file at the catalog root.
pub const FILE_NAME: &str = "instruments.csv";

const HEADER: &str = "series,exchange,symbol,exchange_token,instrument_token,source";

/// The instruments file of the catalog rooted at `root`.
pub fn path(root: &Path) -> PathBuf {
    root.join(FILE_NAME)
}

/// Read `path`: series → instrument, sorted by series (empty if the file does not exist).
///
/// Errors name the file, line and field: a wrong header, a wrong field count, an exchange
/// other than `NSE`, a token that is not a whole number, an `instrument_token` that is not
/// `exchange_token × 256 + 1`.
pub fn read(path: &Path) -> Result<BTreeMap<String, StockInfo>, CatalogError> {
    let mut out = BTreeMap::new();
    if !path.exists() {
        return Ok(out);
    }
    let text = std::fs::read_to_string(path).map_err(|e| CatalogError::io(path, e))?;
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if n == 1 {
            if line.trim_end() != HEADER {
                return Err(CatalogError::Header {
                    path: path.to_path_buf(),
                    line: 1,
                    expected: HEADER.into(),
                    found: line.into(),
                });
            }
            continue;
        }
        let f: Vec<&str> = line.trim_end().split(',').collect();
        if f.len() != 6 {
            return Err(CatalogError::Row {
                path: path.to_path_buf(),
                line: n,
                message: format!("expected 6 fields ({HEADER}), found {}", f.len()),
            });
        }
        let err = |field: &str, m: String| CatalogError::field(path, n, field, m);
        crate::naming::validate_series(f[0]).map_err(|e| err("series", e.to_string()))?;
        if f[1] != "NSE" {
            return Err(err("exchange", format!("{:?}: only NSE is recorded", f[1])));
        }
        let token = |k: usize, field: &str| -> Result<Option<u32>, CatalogError> {
            if f[k].is_empty() {
                return Ok(None);
            }
            f[k].parse()
                .map(Some)
                .map_err(|_| err(field, format!("invalid token {:?}", f[k])))
        };
        let info = StockInfo {
            symbol: f[2].to_string(),
            exchange_token: token(3, "exchange_token")?,
            source: f[5].to_string(),
        };
        if token(4, "instrument_token")? != info.kite_instrument_token() {
            return Err(err(
                "instrument_token",
                format!("{:?} is not exchange_token × 256 + 1", f[4]),
            ));
        }
        out.insert(f[0].to_string(), info);
    }
    Ok(out)
}

/// Merge `stocks` into the instruments file at `path` (their rows replace the same series'
/// rows, other rows are kept) and write it through a temporary file and a rename.
pub fn update<'a>(
    path: &Path,
    stocks: impl IntoIterator<Item = (&'a str, &'a StockInfo)>,
) -> Result<(), CatalogError> {
    let mut rows = read(path)?;
    for (series, info) in stocks {
        rows.insert(series.to_string(), info.clone());
    }
    let opt = |v: Option<u32>| v.map_or_else(String::new, |t| t.to_string());
    let mut text = format!("{HEADER}\n");
    for (series, i) in &rows {
        let _ = writeln!(
            text,
            "{series},NSE,{},{},{},{}",
            i.symbol,
            opt(i.exchange_token),
            opt(i.kite_instrument_token()),
            i.source
        );
    }
    let tmp = path.with_file_name(format!(".{FILE_NAME}.tmp"));
    std::fs::write(&tmp, text).map_err(|e| CatalogError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| CatalogError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(token: Option<u32>, source: &str) -> StockInfo {
        StockInfo {
            symbol: "RELIANCE".into(),
            exchange_token: token,
            source: source.into(),
        }
    }

    #[test]
    fn update_merges_and_reads_back() {
        let tmp = tempfile::tempdir().unwrap();
        let p = path(tmp.path());
        assert!(read(&p).unwrap().is_empty());
        let mm = info(Some(2885), "nse-stocks-1min/marketmaya-1min-2025");
        update(&p, [("RELIANCE", &mm)]).unwrap();
        let y = info(None, "nse-stocks-1min/yahoo-5min-2024");
        update(&p, [("RELIANCE_5m", &y)]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "series,exchange,symbol,exchange_token,instrument_token,source\n\
             RELIANCE,NSE,RELIANCE,2885,738561,nse-stocks-1min/marketmaya-1min-2025\n\
             RELIANCE_5m,NSE,RELIANCE,,,nse-stocks-1min/yahoo-5min-2024\n"
        );
        let rows = read(&p).unwrap();
        assert_eq!(rows["RELIANCE"], mm);
        assert_eq!(rows["RELIANCE_5m"], y);
    }

    #[test]
    fn a_wrong_kite_token_names_line_and_field() {
        let tmp = tempfile::tempdir().unwrap();
        let p = path(tmp.path());
        std::fs::write(
            &p,
            format!("{HEADER}\nRELIANCE,NSE,RELIANCE,2885,738562,x\n"),
        )
        .unwrap();
        assert_eq!(
            read(&p).unwrap_err().to_string(),
            format!(
                "{}:2: field `instrument_token`: \"738562\" is not exchange_token × 256 + 1",
                p.display()
            )
        );
    }
}
