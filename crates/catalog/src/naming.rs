//! Series and file naming rules of the catalog (`docs/data-catalog.md`).
//!
//! - A series is a directory `<data-dir>/<series>/`.
//! - Bars of a day: `<YYYY-MM-DD>.csv` or `<YYYY-MM-DD>.csv.gz`; trade ticks of a day:
//!   `<YYYY-MM-DD>.ticks.csv` or `<YYYY-MM-DD>.ticks.csv.gz`.
//! - Bars are 1-minute unless the series name ends in a timeframe suffix `_<n>m` or `_<n>h`
//!   (`n ≥ 2` for minutes, the form `domain::Timeframe` prints): `NIFTY-FUT_5m`,
//!   `SENSEX_3m`, `SENSEX2591180500CE_3m`. A 1-minute series has no suffix (`NIFTY`, never
//!   `NIFTY_1m`), so every series has exactly one name.

use crate::error::CatalogError;
use chrono::NaiveDate;
use domain::Timeframe;

/// Kind of a day file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// OHLCV bars, `<date>.csv[.gz]`.
    Bars,
    /// Trade ticks, `<date>.ticks.csv[.gz]`.
    Ticks,
}

impl FileKind {
    /// File name of the day, plain (`2024-06-03.csv`, `2024-06-03.ticks.csv`) or with `.gz`.
    pub fn file_name(self, date: NaiveDate, gz: bool) -> String {
        let stem = match self {
            FileKind::Bars => "",
            FileKind::Ticks => ".ticks",
        };
        let gz = if gz { ".gz" } else { "" };
        format!("{}{stem}.csv{gz}", date.format("%Y-%m-%d"))
    }
}

/// Parse a catalog day file name into its date, kind and whether it is gzip-compressed.
///
/// `2024-06-03.csv` → bars, `2024-06-03.ticks.csv.gz` → ticks (gz); anything else → `None`.
pub fn parse_file_name(name: &str) -> Option<(NaiveDate, FileKind, bool)> {
    let (rest, gz) = match name.strip_suffix(".gz") {
        Some(r) => (r, true),
        None => (name, false),
    };
    let rest = rest.strip_suffix(".csv")?;
    let (date, kind) = match rest.strip_suffix(".ticks") {
        Some(d) => (d, FileKind::Ticks),
        None => (rest, FileKind::Bars),
    };
    if date.len() != 10 {
        return None;
    }
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some((date, kind, gz))
}

/// Check that `series` can name a catalog directory: non-empty, no path separator, no leading
/// `.`, no whitespace, and a well-formed timeframe suffix if it has one.
pub fn validate_series(series: &str) -> Result<(), CatalogError> {
    let bad = |reason: &str| {
        Err(CatalogError::InvalidSeries {
            series: series.to_string(),
            reason: reason.to_string(),
        })
    };
    if series.is_empty() {
        return bad("empty");
    }
    if series.starts_with('.') {
        return bad("starts with `.`");
    }
    if series
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_whitespace() || c.is_control())
    {
        return bad("contains a path separator or whitespace");
    }
    series_timeframe(series).map(|_| ())
}

/// Timeframe of the bars of `series` under the naming rule: `<base>_<tf>` → `tf`
/// (`NIFTY-FUT_5m` → 5m, `SENSEX_3m` → 3m, `X_1h` → 1h), no `_` suffix → 1 minute.
///
/// Errors: a suffix after the last `_` that is not a canonical timeframe other than 1m
/// (`NIFTY_5min`, `NIFTY_1m`, `NIFTY_x`), or an empty base.
pub fn series_timeframe(series: &str) -> Result<Timeframe, CatalogError> {
    let one = Timeframe::ONE_MINUTE;
    let Some((base, suffix)) = series.rsplit_once('_') else {
        return Ok(one);
    };
    let bad = |reason: String| CatalogError::InvalidSeries {
        series: series.to_string(),
        reason,
    };
    if base.is_empty() {
        return Err(bad("empty name before the timeframe suffix".into()));
    }
    let tf: Timeframe = suffix.parse().map_err(|_| {
        bad(format!(
            "suffix `_{suffix}` is not a timeframe (expected e.g. `_3m`, `_5m`, `_1h`)"
        ))
    })?;
    if tf.to_string() != suffix {
        return Err(bad(format!(
            "timeframe suffix `_{suffix}` must be written `_{tf}`"
        )));
    }
    if tf == one {
        return Err(bad(
            "1-minute series carry no timeframe suffix (drop `_1m`)".into(),
        ));
    }
    Ok(tf)
}

/// Name of the series that holds `base`'s bars of timeframe `tf`: `base` itself for 1 minute,
/// else `<base>_<tf>` (`series_name("NIFTY-FUT", 5m)` = `NIFTY-FUT_5m`).
pub fn series_name(base: &str, tf: Timeframe) -> String {
    if tf.minutes() == 1 {
        base.to_string()
    } else {
        format!("{base}_{tf}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn file_names_round_trip() {
        let date = d(2024, 6, 3);
        for kind in [FileKind::Bars, FileKind::Ticks] {
            for gz in [false, true] {
                let name = kind.file_name(date, gz);
                assert_eq!(parse_file_name(&name), Some((date, kind, gz)), "{name}");
            }
        }
        assert_eq!(FileKind::Bars.file_name(date, false), "2024-06-03.csv");
        assert_eq!(
            FileKind::Ticks.file_name(date, true),
            "2024-06-03.ticks.csv.gz"
        );
        assert_eq!(parse_file_name("README.md"), None);
        assert_eq!(parse_file_name("2024-6-3.csv"), None);
        assert_eq!(parse_file_name("2024-06-03.csv.tmp"), None);
        assert_eq!(parse_file_name("2024-02-30.csv"), None);
    }

    #[test]
    fn timeframe_suffix_rule() {
        let tf = |s: &str| series_timeframe(s).map(|t| t.minutes());
        assert_eq!(tf("NIFTY").unwrap(), 1);
        assert_eq!(tf("NIFTY22NOV18300CE").unwrap(), 1);
        assert_eq!(tf("NIFTY-FUT").unwrap(), 1);
        assert_eq!(tf("NIFTY-FUT_5m").unwrap(), 5);
        assert_eq!(tf("SENSEX2591180500CE_3m").unwrap(), 3);
        assert_eq!(tf("NIFTY_1h").unwrap(), 60);
        assert!(tf("NIFTY_1m").is_err());
        assert!(tf("NIFTY_5min").is_err());
        assert!(tf("NIFTY_60m").is_err());
        assert!(tf("NIFTY_x").is_err());
        assert!(tf("_5m").is_err());
        assert_eq!(
            series_name("NIFTY-FUT", Timeframe::from_minutes(5).unwrap()),
            "NIFTY-FUT_5m"
        );
        assert_eq!(
            series_name("NIFTY", Timeframe::from_minutes(1).unwrap()),
            "NIFTY"
        );
    }

    #[test]
    fn series_names_are_checked() {
        assert!(validate_series("NIFTY").is_ok());
        assert!(validate_series("").is_err());
        assert!(validate_series("..").is_err());
        assert!(validate_series("a/b").is_err());
        assert!(validate_series("a b").is_err());
    }
}
