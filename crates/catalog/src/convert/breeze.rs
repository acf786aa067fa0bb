//! A CSV export of ICICI Breeze historical candles (issue 15: "a CSV export from Breeze
//! converts with `convert`").
//!
//! The file holds Breeze's v2 `historicalcharts` cash candle fields as columns
//! (`shared/docs/breeze-api.md` §2), in **any order**, matched by header name:
//! `datetime,stock_code,exchange_code,open,high,low,close,volume`. A column not in that list,
//! a missing one or a repeated one is an error naming the file, line 1 and the column.
//!
//! Rules (breeze-api.md §4):
//! - `datetime` = `YYYY-MM-DD HH:MM:SS`, IST wall clock, candle **start**.
//! - Only regular-session candles are kept ([`in_session`]: 09:15..15:29 on a normal day):
//!   the 09:07 pre-open candle and the post-close candles (15:30, 15:31, 15:34 …) are dropped
//!   and counted in the report.
//! - `exchange_code` must be `NSE` or `BSE` (cash; F&O exports carry more columns).
//! - Series = `--series` if given (then the file must hold one `stock_code`), else the
//!   [`StockCodes`] map (`RELIND` → `RELIANCE`). The map's `kind` decides the volume: an
//!   `index` has no traded volume (Breeze sends 0, stored empty; anything else is an error),
//!   an `equity` volume is kept as it is (0 included).
//! - Prices are kept as written (Breeze's JSON numbers, e.g. `1240.8`).

use super::Converted;
use super::days::Days;
use super::index::in_session;
use super::raw::Raw;
use super::report::SourceReport;
use crate::error::CatalogError;
use chrono::NaiveDateTime;
use domain::calendar::MarketCalendar;
use domain::time::ist;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The columns of a Breeze cash-candle CSV export (any order).
pub const COLUMNS: [&str; 8] = [
    "datetime",
    "stock_code",
    "exchange_code",
    "open",
    "high",
    "low",
    "close",
    "volume",
];

/// The built-in map file (`breeze_stock_codes.csv` beside this module; its comments cite the
/// source of each row).
const BUILTIN_CODES: &str = include_str!("breeze_stock_codes.csv");

/// What a Breeze stock code stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// A traded instrument (volume kept).
    Equity,
    /// An index (no traded volume: Breeze's 0 is stored empty).
    Index,
}

/// One row of a stock-code map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockCode {
    /// The catalog series (the NSE symbol, or the index's series name).
    pub series: String,
    /// Equity or index.
    pub kind: CodeKind,
}

/// Breeze stock code (ICICI short name, `RELIND`) → catalog series and kind.
///
/// File format (CSV, `#` comment lines and blank lines skipped): header
/// `stock_code,symbol,kind`, then one row per code, `kind` = `equity` | `index`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockCodes {
    map: BTreeMap<String, StockCode>,
}

impl StockCodes {
    /// The built-in map (only codes with a cited source: `RELIND` → `RELIANCE`, `NIFTY`).
    ///
    /// Errors: none in practice (the built-in file is checked by a test).
    pub fn builtin() -> Result<StockCodes, CatalogError> {
        StockCodes::parse(
            BUILTIN_CODES,
            Path::new("crates/catalog/src/convert/breeze_stock_codes.csv"),
        )
    }

    /// Read a map file. Errors name the file, line and field.
    pub fn from_file(path: &Path) -> Result<StockCodes, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|e| CatalogError::io(path, e))?;
        StockCodes::parse(&text, path)
    }

    /// Parse map `text` (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<StockCodes, CatalogError> {
        const HEADER: [&str; 3] = ["stock_code", "symbol", "kind"];
        let mut out = StockCodes::default();
        let mut header_seen = false;
        for (i, line) in text.lines().enumerate() {
            let n = i as u64 + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if !header_seen {
                if fields != HEADER {
                    return Err(CatalogError::Header {
                        path: path.to_path_buf(),
                        line: n,
                        expected: HEADER.join(","),
                        found: line.to_string(),
                    });
                }
                header_seen = true;
                continue;
            }
            if fields.len() != HEADER.len() {
                return Err(CatalogError::Row {
                    path: path.to_path_buf(),
                    line: n,
                    message: format!(
                        "expected 3 fields (stock_code,symbol,kind), found {}",
                        fields.len()
                    ),
                });
            }
            let field = |f: &str, m: String| CatalogError::field(path, n, f, m);
            if fields[0].is_empty() {
                return Err(field("stock_code", "missing value".into()));
            }
            crate::naming::validate_series(fields[1])
                .map_err(|e| field("symbol", e.to_string()))?;
            let kind = match fields[2] {
                "equity" => CodeKind::Equity,
                "index" => CodeKind::Index,
                k => return Err(field("kind", format!("{k:?} is not `equity` or `index`"))),
            };
            let code = StockCode {
                series: fields[1].to_string(),
                kind,
            };
            if out.map.insert(fields[0].to_string(), code).is_some() {
                return Err(field("stock_code", format!("{:?} listed twice", fields[0])));
            }
        }
        Ok(out)
    }

    /// This map with `other`'s rows added (a code in both takes `other`'s row).
    pub fn extended(mut self, other: StockCodes) -> StockCodes {
        self.map.extend(other.map);
        self
    }

    /// The row of `code`, if listed.
    pub fn get(&self, code: &str) -> Option<&StockCode> {
        self.map.get(code)
    }
}

/// How to name the series of a Breeze export.
#[derive(Debug, Clone, Default)]
pub struct BreezeOptions {
    /// The series to write (`--series`); the file must then hold a single `stock_code`. Its
    /// kind is the code's map row's, equity if unlisted.
    pub series: Option<String>,
    /// The stock-code map (used when `series` is `None`, and for the kind).
    pub codes: StockCodes,
}

/// Convert the Breeze CSV export at `path` (plain or `.gz`) into `out` (1-minute bars unless
/// `--series` carries a timeframe suffix).
///
/// Errors name the file, its 1-based line and the column: unknown/missing/repeated columns,
/// a malformed value, an unknown stock code, a second stock code with `series` set, rows out
/// of time order, a non-zero index volume, a non-cash exchange.
pub fn convert_breeze_csv(
    path: &Path,
    opts: &BreezeOptions,
    out: &mut Converted,
) -> Result<(), CatalogError> {
    if let Some(s) = &opts.series {
        crate::naming::validate_series(s)?;
    }
    let sessions = MarketCalendar::builtin();
    let mut rep = SourceReport::new(format!("breeze export {}", path.display()));
    let mut days = Days::default();
    let mut raw = Raw::open(path)?;
    rep.files = 1;
    let idx = header(&mut raw, path)?;
    let col = |name: &str| idx[COLUMNS.iter().position(|c| *c == name).unwrap_or(0)];
    let mut first_code: Option<String> = None;
    let mut mapped: BTreeMap<String, String> = BTreeMap::new();
    while raw.next()? {
        raw.expect_len(COLUMNS.len())?;
        rep.rows_read += 1;
        let s = raw.str(col("datetime"), "datetime")?;
        let dt = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").map_err(|_| {
            raw.at("datetime").err(format!(
                "invalid datetime {s:?} (expected YYYY-MM-DD HH:MM:SS, IST)"
            ))
        })?;
        let ts = ist(dt.date(), dt.time());
        let code = raw.str(col("stock_code"), "stock_code")?.to_string();
        let exch = raw.str(col("exchange_code"), "exchange_code")?;
        if !matches!(exch, "NSE" | "BSE") {
            return Err(raw.at("exchange_code").err(format!(
                "{exch:?}: only cash candles (NSE, BSE) are converted"
            )));
        }
        let (series, kind) = match &opts.series {
            Some(series) => {
                match &first_code {
                    None => first_code = Some(code.clone()),
                    Some(c) if *c != code => {
                        return Err(raw.at("stock_code").err(format!(
                            "{code:?} after {c:?}: with --series the file must hold one stock code"
                        )));
                    }
                    Some(_) => {}
                }
                let kind = opts.codes.get(&code).map_or(CodeKind::Equity, |c| c.kind);
                (series.clone(), kind)
            }
            None => {
                let c = opts.codes.get(&code).ok_or_else(|| {
                    raw.at("stock_code").err(format!(
                        "unknown Breeze stock code {code:?} (map it in a --stock-codes file or name the series with --series)"
                    ))
                })?;
                (c.series.clone(), c.kind)
            }
        };
        mapped.entry(code).or_insert_with(|| series.clone());
        let volume = match kind {
            CodeKind::Equity => raw.opt_u64(col("volume"), "volume")?,
            CodeKind::Index => {
                raw.zero(col("volume"), "volume")?;
                None
            }
        };
        if !in_session(&sessions, &ts) {
            let what = if ts.time() < domain::time::session_open() {
                "pre-open candles (09:07)"
            } else {
                "outside the regular session (post-close or a closed day)"
            };
            rep.drop_row(format!("{series}: {what}"));
            continue;
        }
        let ohlc = ["open", "high", "low", "close"];
        let bar = raw.bar(ts, ohlc.map(col), ohlc, volume)?;
        days.push_bar(&series, bar, &raw.path, raw.line(), "datetime")?;
    }
    for (code, series) in &mapped {
        rep.notes.push(format!("stock_code {code} → {series}"));
    }
    out.merge(days, rep, false)
}

/// Read the header: the index of each of [`COLUMNS`], by name.
fn header(raw: &mut Raw, path: &Path) -> Result<[usize; 8], CatalogError> {
    let at = |field: &str, message: String| CatalogError::field(path, 1, field, message);
    if !raw.next()? {
        return Err(at("datetime", "empty file: no header".into()));
    }
    let mut idx: [Option<usize>; 8] = [None; 8];
    for (i, f) in raw.rec.iter().enumerate() {
        let f = if i == 0 {
            f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
        } else {
            f
        };
        let name = String::from_utf8_lossy(f).into_owned();
        let Some(k) = COLUMNS.iter().position(|c| *c == name) else {
            return Err(at(
                &name,
                format!(
                    "unknown column (a Breeze cash export has {})",
                    COLUMNS.join(",")
                ),
            ));
        };
        if idx[k].replace(i).is_some() {
            return Err(at(&name, "column given twice".into()));
        }
    }
    let mut out = [0usize; 8];
    for (k, c) in COLUMNS.iter().enumerate() {
        out[k] = idx[k].ok_or_else(|| at(c, "missing column".into()))?;
    }
    Ok(out)
}

/// The files of a `--breeze` argument: the file itself, or a directory's `*.csv`/`*.csv.gz`
/// files, sorted.
pub fn breeze_files(arg: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    if !arg.is_dir() {
        return Ok(vec![arg.to_path_buf()]);
    }
    let mut files = super::raw::sorted_files(arg, ".csv")?;
    files.extend(super::raw::sorted_files(arg, ".csv.gz")?);
    files.sort();
    Ok(files)
}

#[cfg(test)]
#[path = "breeze_tests.rs"]
mod tests;
