//! The NSE cash-equity sources of `nse-stocks-1min/` (described in its `README.md`):
//!
//! - `marketmaya-1min-2025/`: 1-minute bars with real volume, series = the NSE symbol
//!   (`RELIANCE`, `BAJAJ-AUTO`); the NSE scrip token (`symbolcode`) is recorded per series
//!   ([`StockInfo`]).
//! - `yahoo-5min-2024/`: 5-minute bars, series `<SYMBOL>_5m`; float32 artefacts rounded to the
//!   0.05 tick ([`round_to_tick`]); Yahoo's volume `0` means "unknown" and is stored empty.
//!
//! Rows outside the day's session ([`in_session`]) are dropped and counted (none in the
//! shipped files).

use super::days::Days;
use super::index::in_session;
use super::raw::{Raw, file_name, sorted_files};
use super::report::SourceReport;
use crate::error::CatalogError;
use chrono::{NaiveDate, Timelike};
use domain::calendar::MarketCalendar;
use domain::time::ist;
use domain::{Bar, Decimal, Timeframe};
use rust_decimal::RoundingStrategy;
use std::collections::BTreeMap;
use std::path::Path;

/// What the conversion learnt about one stock series beyond its bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockInfo {
    /// The NSE symbol (`BAJAJ-AUTO`).
    pub symbol: String,
    /// The NSE scrip token (the exchange's numeric ID, Kite's `exchange_token`), where the
    /// source has it.
    pub exchange_token: Option<u32>,
    /// Where it came from: the raw source folder (`nse-stocks-1min/marketmaya-1min-2025`).
    pub source: String,
}

impl StockInfo {
    /// Kite's `instrument_token` for the NSE cash (EQ) instrument: `exchange_token × 256 + 1`
    /// (low byte = segment code, 1 = NSE; `kite-connect.md` instruments table and §7.4; the BSE
    /// dump's RELIANCE row `128083204 = 500325 × 256 + 4` follows the same rule).
    pub fn kite_instrument_token(&self) -> Option<u32> {
        self.exchange_token
            .and_then(|t| t.checked_mul(256))
            .and_then(|t| t.checked_add(1))
    }
}

/// Round `x` to the nearest multiple of `tick` if it is a float32 rendering of such a price:
/// within `tolerance` of it (`2855.949951171875` → `2855.95` for tick 0.05). The result is
/// written with 2 decimals. `None` if `x` is further than `tolerance` from the tick grid (then
/// it is not an artefact and rounding would invent a price).
///
/// Why this is exact: NSE equity prices lie on the 0.05 tick grid (0.10/0.50 for some bands
/// from 2025-04-15, which are also multiples of 0.05); below 16,384 a float32 is within
/// 0.001 (half an ulp) of the value it stores, far less than half a tick.
pub fn round_to_tick(x: Decimal, tick: Decimal, tolerance: Decimal) -> Option<Decimal> {
    if tick <= Decimal::ZERO {
        return None;
    }
    let n = (x / tick).round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
    let mut r = n * tick;
    if (x - r).abs() > tolerance {
        return None;
    }
    r.rescale(2);
    Some(r)
}

/// The 0.05 tick of the 2024 data.
fn tick_005() -> Decimal {
    Decimal::new(5, 2)
}

/// Largest distance of a float32 artefact from its true 2-decimal price accepted (0.002:
/// float32 half-ulp below 16,384 is ≤ 0.001).
fn float32_tolerance() -> Decimal {
    Decimal::new(2, 3)
}

/// `marketmaya-1min-2025/*.csv.gz` → `<SYMBOL>` 1-minute series; returns the stocks seen.
pub(super) fn marketmaya_1min(
    dir: &Path,
    sessions: &MarketCalendar,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<Vec<StockInfo>, CatalogError> {
    const HEADER: [&str; 11] = [
        "date",
        "time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "oi",
        "exchangecode",
        "symbolcode",
        "expiry",
    ];
    let files = non_empty(dir, sorted_files(dir, ".csv.gz")?, "*_1min_*.csv.gz")?;
    let mut out = Vec::new();
    for path in files {
        let symbol = symbol_of(&path, "_1min_")?;
        let mut raw = Raw::open(&path)?;
        rep.files += 1;
        raw.exact_header(&HEADER)?;
        let mut token: Option<u32> = None;
        while raw.next()? {
            raw.expect_len(HEADER.len())?;
            rep.rows_read += 1;
            let date = dd_mm_yyyy(&raw, 0, "date")?;
            let ts = ist(date, raw.hhmm(1, "time")?);
            if ts.second() != 0 {
                return Err(raw.at("time").err("not on a whole minute"));
            }
            raw.zero(7, "oi")?;
            if raw.str(8, "exchangecode")? != "1" {
                return Err(raw.at("exchangecode").err("expected 1 (NSE cash)"));
            }
            let code = raw.str(9, "symbolcode")?;
            let code: u32 = code.parse().map_err(|_| {
                raw.at("symbolcode")
                    .err(format!("invalid token {code:?} (expected a whole number)"))
            })?;
            match token {
                None => token = Some(code),
                Some(t) if t != code => {
                    return Err(raw.at("symbolcode").err(format!(
                        "token {code} differs from the file's first row ({t})"
                    )));
                }
                Some(_) => {}
            }
            let expiry = raw.str(10, "expiry")?;
            if expiry != "01-01-0001 00:00:00" {
                return Err(raw.at("expiry").err(format!(
                    "expected the placeholder 01-01-0001 00:00:00, found {expiry:?}"
                )));
            }
            if !in_session(sessions, &ts) {
                rep.drop_row(format!("{symbol}: outside the session of {date}"));
                continue;
            }
            let volume = raw.opt_u64(6, "volume")?;
            let bar = raw.bar(ts, [2, 3, 4, 5], ["open", "high", "low", "close"], volume)?;
            days.push_bar(&symbol, bar, &raw.path, raw.line(), "time")?;
        }
        let info = StockInfo {
            symbol: symbol.clone(),
            exchange_token: token,
            source: rep.source.clone(),
        };
        rep.notes.push(format!(
            "{} → {symbol} (NSE token {}, Kite instrument_token {})",
            file_name(&path),
            token.map_or_else(|| "-".into(), |t| t.to_string()),
            info.kite_instrument_token()
                .map_or_else(|| "-".into(), |t| t.to_string()),
        ));
        out.push(info);
    }
    rep.notes.push(
        "prices and volumes unchanged; oi (0), exchangecode (1), symbolcode and the expiry placeholder checked and dropped"
            .into(),
    );
    Ok(out)
}

/// `yahoo-5min-2024/*.csv.gz` → `<SYMBOL>_5m` series; returns the stocks seen (no token).
pub(super) fn yahoo_5min(
    dir: &Path,
    sessions: &MarketCalendar,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<Vec<StockInfo>, CatalogError> {
    const HEADER: [&str; 8] = [
        "Datetime",
        "Open",
        "High",
        "Low",
        "Close",
        "Volume",
        "Dividends",
        "Stock Splits",
    ];
    const OHLC: [&str; 4] = ["Open", "High", "Low", "Close"];
    let tf = Timeframe::from_minutes(5).map_err(|e| CatalogError::File {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let files = non_empty(dir, sorted_files(dir, ".csv.gz")?, "*_5min_*.csv.gz")?;
    let (mut changed, mut values, mut unknown_volume) = (0u64, 0u64, BTreeMap::new());
    let mut out = Vec::new();
    for path in files {
        let symbol = symbol_of(&path, "_5min_")?;
        let series = crate::naming::series_name(&symbol, tf);
        let mut raw = Raw::open(&path)?;
        rep.files += 1;
        raw.exact_header(&HEADER)?;
        while raw.next()? {
            raw.expect_len(HEADER.len())?;
            rep.rows_read += 1;
            let ts = raw.datetime_offset(0, "Datetime")?;
            if tf.bucket_start(&ts) != ts || ts.second() != 0 {
                return Err(raw.at("Datetime").err(format!(
                    "{} is not on the {tf} grid 09:15 + k·{tf}",
                    domain::time::fmt_iso(&ts)
                )));
            }
            for (i, field) in [(6, "Dividends"), (7, "Stock Splits")] {
                if raw.decimal(i, field)? != Decimal::ZERO {
                    return Err(raw.at(field).err("expected 0 (prices are unadjusted)"));
                }
            }
            if !in_session(sessions, &ts) {
                rep.drop_row(format!("{series}: outside the session"));
                continue;
            }
            let mut px = [Decimal::ZERO; 4];
            for (k, field) in OHLC.into_iter().enumerate() {
                let x = raw.decimal(1 + k, field)?;
                px[k] = round_to_tick(x, tick_005(), float32_tolerance()).ok_or_else(|| {
                    raw.at(field).err(format!(
                        "{x} is not a float32 rendering of a price on the 0.05 tick"
                    ))
                })?;
                values += 1;
                if px[k] != x {
                    changed += 1;
                }
            }
            // Yahoo's 0 is "unknown" (the 09:15 bar, a few 15:25 bars), not "no trades".
            let volume = match raw.opt_u64(5, "Volume")? {
                Some(0) | None => {
                    *unknown_volume
                        .entry(ts.format("%H:%M").to_string())
                        .or_insert(0u64) += 1;
                    None
                }
                v => v,
            };
            let bar = Bar {
                ts,
                open: px[0],
                high: px[1],
                low: px[2],
                close: px[3],
                volume,
            };
            days.push_bar(&series, bar, &raw.path, raw.line(), "Datetime")?;
        }
        out.push(StockInfo {
            symbol,
            exchange_token: None,
            source: rep.source.clone(),
        });
        rep.notes.push(format!("{} → {series}", file_name(&path)));
    }
    rep.notes.push(format!(
        "prices rounded to the 0.05 tick (float32 artefacts; {changed} of {values} values changed, none by more than 0.002)"
    ));
    let zeros: Vec<String> = unknown_volume
        .iter()
        .map(|(t, n)| format!("{n} at {t}"))
        .collect();
    rep.notes.push(format!(
        "volume 0 (Yahoo: unknown) stored empty: {}; Dividends/Stock Splits (all 0) dropped",
        zeros.join(", ")
    ));
    Ok(out)
}

fn non_empty(
    dir: &Path,
    files: Vec<std::path::PathBuf>,
    what: &str,
) -> Result<Vec<std::path::PathBuf>, CatalogError> {
    if files.is_empty() {
        Err(CatalogError::File {
            path: dir.to_path_buf(),
            message: format!("no {what} files"),
        })
    } else {
        Ok(files)
    }
}

/// The NSE symbol of `<SYMBOL><marker><period>.csv.gz` (`BAJAJ-AUTO_1min_2025-…`).
fn symbol_of(path: &Path, marker: &str) -> Result<String, CatalogError> {
    let name = file_name(path);
    match name.split_once(marker) {
        Some((sym, _)) if !sym.is_empty() => {
            crate::naming::validate_series(sym)?;
            Ok(sym.to_string())
        }
        _ => Err(CatalogError::File {
            path: path.to_path_buf(),
            message: format!("file name is not <SYMBOL>{marker}<period>.csv.gz"),
        }),
    }
}

/// `DD-MM-YYYY`.
fn dd_mm_yyyy(raw: &Raw, i: usize, field: &str) -> Result<NaiveDate, CatalogError> {
    let s = raw.str(i, field)?;
    if s.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(s, "%d-%m-%Y")
    {
        return Ok(d);
    }
    Err(raw
        .at(field)
        .err(format!("invalid date {s:?} (expected DD-MM-YYYY)")))
}

#[cfg(test)]
#[path = "stocks_tests.rs"]
mod tests;
