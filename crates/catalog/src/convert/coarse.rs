//! The sources with bars coarser than one minute: near-month futures 5-minute bars
//! (`futures-5min-2024/`) and SENSEX index and weekly-option 3-minute bars
//! (`sensex-index-options-3min-2025-09/`). Each bar must sit on its timeframe's 09:15 grid;
//! the sources' indicator columns are dropped.

use super::days::Days;
use super::raw::{Raw, file_name, sorted_files};
use super::report::SourceReport;
use super::symbols::{kite_symbol_of, parse_kite_weekly_option};
use crate::error::CatalogError;
use crate::naming::series_name;
use chrono::{Datelike, Timelike};
use domain::Timeframe;
use domain::calendar::ExpiryCalendar;
use domain::time::IstDateTime;
use std::collections::BTreeMap;
use std::path::Path;

/// Lower-case OHLC column names of the CSV sources that have headers.
const OHLC: [&str; 4] = ["open", "high", "low", "close"];

pub(super) fn futures_5min(
    dir: &Path,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<(), CatalogError> {
    let tf = timeframe(5, dir)?;
    let files = sorted_files(dir, "_FUT_5min.csv")?;
    if files.is_empty() {
        return Err(CatalogError::File {
            path: dir.to_path_buf(),
            message: "no *_FUT_5min.csv files".into(),
        });
    }
    for path in files {
        let name = file_name(&path)
            .trim_end_matches("_FUT_5min.csv")
            .to_string();
        let series = series_name(&format!("{name}-FUT"), tf);
        let mut raw = Raw::open(&path)?;
        rep.files += 1;
        let cols = ["date", "open", "high", "low", "close", "volume"];
        let idx = raw.header(&cols)?;
        let width = raw.rec.len();
        while raw.next()? {
            raw.expect_len(width)?;
            rep.rows_read += 1;
            let ts = raw.datetime_offset(idx[0], "date")?;
            check_grid(&raw, &ts, tf, "date")?;
            let volume = raw.opt_u64(idx[5], "volume")?;
            let bar = raw.bar(ts, [idx[1], idx[2], idx[3], idx[4]], OHLC, volume)?;
            days.push_bar(&series, bar, &raw.path, raw.line(), "date")?;
        }
        rep.notes.push(format!("{} → {series}", file_name(&path)));
    }
    rep.notes.push(
        "indicator columns (EMA_20, atr, nLoss, src, xATRTrailingStop, pos) and the row index dropped"
            .into(),
    );
    Ok(())
}

pub(super) fn sensex_3min(
    dir: &Path,
    expiries: &ExpiryCalendar,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<(), CatalogError> {
    let tf = timeframe(3, dir)?;
    let cols = ["timestamp", "open", "high", "low", "close", "volume"];
    let files = sorted_files(dir, ".csv")?;
    if files.is_empty() {
        return Err(CatalogError::File {
            path: dir.to_path_buf(),
            message: "no *.csv files".into(),
        });
    }
    let mut options = BTreeMap::new();
    for path in files {
        let fname = file_name(&path).to_string();
        let stem = fname.trim_end_matches(".csv");
        let Some((sym, _date)) = stem.rsplit_once('_') else {
            return Err(CatalogError::File {
                path,
                message: "file name is not <SYMBOL>_<YYYY-MM-DD>.csv".into(),
            });
        };
        let (base, is_index) = if sym == "SENSEX" {
            ("SENSEX".to_string(), true)
        } else {
            let opt = parse_kite_weekly_option(sym).ok_or_else(|| CatalogError::File {
                path: path.clone(),
                message: format!("{sym:?} is not a Kite weekly option symbol"),
            })?;
            let (kite, _) = kite_symbol_of(&opt, expiries, &path)?;
            if kite != sym {
                rep.notes
                    .push(format!("{sym} renamed to its Kite symbol {kite}"));
            }
            options.insert(kite.clone(), (opt.segment, opt.expiry));
            (kite, false)
        };
        let series = series_name(&base, tf);
        let mut raw = Raw::open(&path)?;
        rep.files += 1;
        let idx = raw.header(&cols)?;
        let width = raw.rec.len();
        while raw.next()? {
            raw.expect_len(width)?;
            rep.rows_read += 1;
            let ts = raw.datetime_offset(idx[0], "timestamp")?;
            check_grid(&raw, &ts, tf, "timestamp")?;
            let volume = if is_index {
                raw.zero(idx[5], "volume")?;
                None
            } else {
                raw.opt_u64(idx[5], "volume")?
            };
            let bar = raw.bar(ts, [idx[1], idx[2], idx[3], idx[4]], OHLC, volume)?;
            days.push_bar(&series, bar, &raw.path, raw.line(), "timestamp")?;
        }
    }
    let listed: std::collections::BTreeSet<_> = options.values().collect();
    for (segment, e) in listed {
        let monthly = expiries.monthly_expiry(*segment, e.year(), e.month());
        rep.notes.push(format!(
            "options expiring {e}: {} (the month's monthly expiry: {})",
            if monthly == Some(*e) {
                "monthly symbols"
            } else {
                "weekly symbols"
            },
            monthly.map_or_else(|| "not modelled".to_string(), |m| m.to_string())
        ));
    }
    rep.notes.push(format!(
        "{} option series, suffix _{tf}; indicator columns (ema10, ema20) and the duplicate `date` column dropped",
        options.len()
    ));
    Ok(())
}

/// The `minutes` timeframe of a source folder (an error names the folder).
fn timeframe(minutes: u32, dir: &Path) -> Result<Timeframe, CatalogError> {
    Timeframe::from_minutes(minutes).map_err(|e| CatalogError::File {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })
}

/// Check a non-1-minute bar is aligned to its timeframe's 09:15-based grid.
fn check_grid(raw: &Raw, ts: &IstDateTime, tf: Timeframe, field: &str) -> Result<(), CatalogError> {
    if tf.bucket_start(ts) == *ts && ts.second() == 0 {
        Ok(())
    } else {
        Err(raw.at(field).err(format!(
            "{} is not on the {tf} grid 09:15 + k·{tf}",
            domain::time::fmt_iso(ts)
        )))
    }
}
