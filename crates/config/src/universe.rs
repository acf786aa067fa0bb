//! `[universe]`: seed 001's scanner universe — one stock agent per symbol of a symbol list
//! (issue 15, `docs/decisions/0002-segments-beyond-indices.md`).
//!
//! The list is seed 001's `symbol_list_live.csv`: a header row with a `Symbol` column (other
//! columns ignored), one NSE symbol per row:
//!
//! ```csv
//! Symbol
//! RELIANCE
//! TCS
//! ```
//!
//! Every symbol becomes a stock segment with the global settings (`[options]`, `[exits]`,
//! `[strategy]`); stocks always trade the share itself (`EQ`, MIS). The catalog series of a
//! symbol is `<SYMBOL><series_suffix>`.

use crate::ConfigError;
use domain::{Segment, Symbol};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[universe]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UniverseSection {
    /// The symbol list (a CSV with a `Symbol` column), relative to the working directory;
    /// `None` (default): no stock agents. `replay --symbols FILE` overrides it.
    pub symbols: Option<PathBuf>,
    /// Keep the first `max_symbols` symbols of the list; 0 (default) keeps all.
    /// `replay --max-symbols N` overrides it.
    pub max_symbols: usize,
    /// Catalog series of a symbol: `<SYMBOL><series_suffix>` (default empty: `RELIANCE`;
    /// `"_5m"` reads `RELIANCE_5m`).
    pub series_suffix: String,
}

impl UniverseSection {
    /// The stock segments of the list, in file order, duplicates dropped, at most
    /// `max_symbols` (0 = all). No list: none.
    ///
    /// Errors (naming the file, and the line and field for a row): unreadable file, no
    /// `Symbol` column, an empty or invalid symbol, an index code (`NIFTY`) in the list.
    pub fn stocks(&self) -> Result<Vec<Segment>, ConfigError> {
        let Some(path) = &self.symbols else {
            return Ok(Vec::new());
        };
        read_symbols(path, self.max_symbols)
    }
}

/// Read a seed 001 symbol list: see [`UniverseSection::stocks`].
pub fn read_symbols(path: &Path, max: usize) -> Result<Vec<Segment>, ConfigError> {
    let err = |message: String| ConfigError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let mut lines = text.lines().enumerate();
    let column = lines
        .next()
        .and_then(|(_, h)| {
            h.split(',')
                .position(|c| c.trim().trim_start_matches('\u{feff}') == "Symbol")
        })
        .ok_or_else(|| err("line 1: no `Symbol` column in the header".into()))?;
    let mut out: Vec<Segment> = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i + 1;
        let field = line.split(',').nth(column).unwrap_or("").trim();
        let symbol =
            Symbol::new(field).map_err(|e| err(format!("line {line_no}: field `Symbol`: {e}")))?;
        if domain::Index::parse(field).is_some() {
            return Err(err(format!(
                "line {line_no}: field `Symbol`: {field} is an index (list it in [engine] segments)"
            )));
        }
        let seg = Segment::Stock(symbol);
        if !out.contains(&seg) {
            out.push(seg);
        }
        if max > 0 && out.len() == max {
            break;
        }
    }
    if out.is_empty() {
        return Err(err("no symbols in the list".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("symbols.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn reads_caps_and_rejects() {
        let (_d, p) = write("Name,Symbol\nx,RELIANCE\ny,tcs\nz,RELIANCE\n\nw,INFY\n");
        let codes = |v: Vec<Segment>| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            codes(read_symbols(&p, 0).unwrap()),
            ["RELIANCE", "TCS", "INFY"]
        );
        assert_eq!(codes(read_symbols(&p, 2).unwrap()), ["RELIANCE", "TCS"]);
        let (_d, p) = write("Ticker\nRELIANCE\n");
        assert!(
            read_symbols(&p, 0)
                .unwrap_err()
                .to_string()
                .contains("no `Symbol` column")
        );
        let (_d, p) = write("Symbol\nRELIANCE\nBAD SYM\n");
        let e = read_symbols(&p, 0).unwrap_err().to_string();
        assert!(e.contains("line 3: field `Symbol`"), "{e}");
        let (_d, p) = write("Symbol\nNIFTY\n");
        assert!(
            read_symbols(&p, 0)
                .unwrap_err()
                .to_string()
                .contains("is an index")
        );
    }
}
