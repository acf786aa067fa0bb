//! The index 1-minute sources (`index-1min-2024/`, `index-1min-2022-11/`,
//! `sensex-nifty-banknifty-1min-2025-12/`) and their rules: the day's session from the market
//! calendar, end-labelled candles shifted to their start, float32 artefacts rounded to paise.

use super::days::Days;
use super::raw::{Raw, file_name, require, sorted_files};
use super::report::SourceReport;
use crate::error::CatalogError;
use chrono::{TimeDelta, Timelike};
use domain::calendar::MarketCalendar;
use domain::time::{IstDateTime, ist};
use domain::{Bar, Decimal};
use rust_decimal::RoundingStrategy;
use std::path::{Path, PathBuf};

/// Bar start of a bar labelled by its END (GDFL style, `index-1min-2022-11/`): one minute
/// earlier (the 09:15:00–09:15:59 candle is labelled 09:16 → 09:15).
pub fn end_label_to_start(end: IstDateTime) -> IstDateTime {
    end - TimeDelta::minutes(1)
}

/// Whether the 1-minute bar starting at `start` lies inside one of the session windows
/// `[open, close)` of its day by `calendar` ([`MarketCalendar::session_windows`]: 09:15–15:30
/// IST on a regular trading day, so starts 09:15..=15:29; a special session's windows; none
/// on a closed day).
pub fn in_session(calendar: &MarketCalendar, start: &IstDateTime) -> bool {
    let t = start.time();
    calendar
        .session_windows(start.date_naive())
        .iter()
        .any(|(open, close)| t >= *open && close.signed_duration_since(t) >= TimeDelta::minutes(1))
}

pub(super) fn index_1min_2024(
    dir: &Path,
    sessions: &MarketCalendar,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<(), CatalogError> {
    const HEADER: [&str; 7] = ["Instrument", "Date", "Time", "Open", "High", "Low", "Close"];
    for (file, series) in [("NIFTY_2024.csv", "NIFTY"), ("BNF_2024.csv", "BANKNIFTY")] {
        let mut raw = Raw::open(&require(dir.join(file))?)?;
        rep.files += 1;
        raw.exact_header(&HEADER)?;
        while raw.next()? {
            raw.expect_len(HEADER.len())?;
            rep.rows_read += 1;
            let date = raw.yyyymmdd(1, "Date")?;
            let ts = ist(date, raw.hhmm(2, "Time")?);
            if !in_session(sessions, &ts) {
                rep.drop_row(format!("{series}: outside the session of {date}"));
                continue;
            }
            let bar = raw.bar(ts, [3, 4, 5, 6], ["Open", "High", "Low", "Close"], None)?;
            days.push_bar(series, bar, &raw.path, raw.line(), "Time")?;
        }
    }
    Ok(())
}

pub(super) fn index_1min_2022_11(
    dir: &Path,
    sessions: &MarketCalendar,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<(), CatalogError> {
    for (file, series) in [
        ("NIFTY_2022_NOV.txt", "NIFTY"),
        ("BANKNIFTY_2022_NOV.txt", "BANKNIFTY"),
    ] {
        let mut raw = Raw::open(&require(dir.join(file))?)?;
        rep.files += 1;
        // No header: Symbol,Date,Time,Open,High,Low,Close,Volume,OI; label = candle END.
        while raw.next()? {
            raw.expect_len(9)?;
            rep.rows_read += 1;
            let sym = raw.str(0, "Symbol")?;
            if sym != series {
                return Err(raw
                    .at("Symbol")
                    .err(format!("expected {series}, found {sym:?}")));
            }
            let date = raw.yyyymmdd(1, "Date")?;
            let end = ist(date, raw.hhmm(2, "Time")?);
            let ts = end_label_to_start(end);
            raw.zero(7, "Volume")?;
            raw.zero(8, "OI")?;
            if !in_session(sessions, &ts) {
                let what = if ts.hour() < 12 {
                    "pre-open"
                } else {
                    "post-close"
                };
                rep.drop_row(format!(
                    "{series}: {what} bars (labelled {} in the source)",
                    end.format("%H:%M")
                ));
                continue;
            }
            let bar = raw.bar(ts, [3, 4, 5, 6], ["Open", "High", "Low", "Close"], None)?;
            days.push_bar(series, bar, &raw.path, raw.line(), "Time")?;
        }
    }
    rep.notes
        .push("labels shifted from candle end to candle start (−1 minute)".into());
    Ok(())
}

/// Round a float32-artefact price (`84954.71875`) to paise (2 decimals).
///
/// The source (Yahoo Finance via float32) stores index values that NSE/BSE publish with 2
/// decimals. Below 131072 a float32 is within half an ulp (≤ 0.0039) of the true value, less
/// than half a paisa, so rounding to 2 decimals recovers the published value exactly; a value
/// further than 0.004 from a 2-decimal number is therefore not such an artefact and is an error.
/// The result is written with exactly 2 decimals.
pub fn round_float32_artifact(x: Decimal) -> Option<Decimal> {
    let mut r = x.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    if (x - r).abs() > Decimal::new(4, 3) {
        return None;
    }
    r.rescale(2);
    Some(r)
}

pub(super) fn index_1min_2025_12(
    dir: &Path,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<(), CatalogError> {
    const HEADER: [&str; 8] = [
        "datetime",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "symbol",
        "timeframe",
    ];
    let mut changed = 0u64;
    let mut values = 0u64;
    for (prefix, series) in [
        ("sensex_1min_", "SENSEX"),
        ("nifty50_1min_", "NIFTY"),
        ("banknifty_1min_", "BANKNIFTY"),
    ] {
        let files: Vec<PathBuf> = sorted_files(dir, ".csv")?
            .into_iter()
            .filter(|p| file_name(p).starts_with(prefix))
            .collect();
        if files.is_empty() {
            return Err(CatalogError::File {
                path: dir.to_path_buf(),
                message: format!("no {prefix}*.csv file"),
            });
        }
        let symbol = prefix.trim_end_matches("_1min_");
        for path in files {
            let mut raw = Raw::open(&path)?;
            rep.files += 1;
            raw.exact_header(&HEADER)?;
            while raw.next()? {
                raw.expect_len(HEADER.len())?;
                rep.rows_read += 1;
                let ts = raw.datetime_offset(0, "datetime")?;
                if raw.str(6, "symbol")? != symbol {
                    return Err(raw.at("symbol").err(format!("expected {symbol:?}")));
                }
                if raw.str(7, "timeframe")? != "1min" {
                    return Err(raw.at("timeframe").err("expected \"1min\""));
                }
                raw.zero(5, "volume")?;
                let mut px = [Decimal::ZERO; 4];
                for (k, field) in ["open", "high", "low", "close"].into_iter().enumerate() {
                    let x = raw.decimal(1 + k, field)?;
                    px[k] = round_float32_artifact(x).ok_or_else(|| {
                        raw.at(field).err(format!(
                            "{x} is not a float32 rendering of a 2-decimal price"
                        ))
                    })?;
                    values += 1;
                    if px[k] != x {
                        changed += 1;
                    }
                }
                let bar = Bar {
                    ts,
                    open: px[0],
                    high: px[1],
                    low: px[2],
                    close: px[3],
                    volume: None,
                };
                days.push_bar(series, bar, &raw.path, raw.line(), "datetime")?;
            }
        }
    }
    rep.notes.push(format!(
        "prices rounded to 2 decimals (float32 artefacts; {changed} of {values} values changed, none by more than 0.004)"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Converted, Source};
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn session_is_the_calendars() {
        let cal = MarketCalendar::builtin();
        let at = |y, m, day, h, min| domain::time::ist_hms(d(y, m, day), h, min, 0);
        assert!(in_session(&cal, &at(2024, 6, 3, 9, 15)));
        assert!(in_session(&cal, &at(2024, 6, 3, 15, 29)));
        assert!(!in_session(&cal, &at(2024, 6, 3, 9, 14)));
        assert!(!in_session(&cal, &at(2024, 6, 3, 15, 30)));
        assert!(!in_session(
            &cal,
            &domain::time::ist_hms(d(2024, 6, 3), 15, 29, 30)
        ));
        // 2024-01-20 (Sat): a full special session; 2024-03-02 (Sat): the DR-drill windows.
        assert!(in_session(&cal, &at(2024, 1, 20, 15, 29)));
        assert!(!in_session(&cal, &at(2024, 1, 20, 15, 30)));
        assert!(in_session(&cal, &at(2024, 3, 2, 11, 30)));
        assert!(!in_session(&cal, &at(2024, 3, 2, 10, 0)));
        // A holiday has no session.
        assert!(!in_session(&cal, &at(2024, 8, 15, 10, 0)));
    }

    #[test]
    fn float32_rounding() {
        assert_eq!(
            round_float32_artifact(dec!(84954.71875))
                .unwrap()
                .to_string(),
            "84954.72"
        );
        assert_eq!(
            round_float32_artifact(dec!(25972.099609375))
                .unwrap()
                .to_string(),
            "25972.10"
        );
        assert_eq!(
            round_float32_artifact(dec!(59090.25)).unwrap().to_string(),
            "59090.25"
        );
        assert_eq!(
            round_float32_artifact(dec!(100)).unwrap().to_string(),
            "100.00"
        );
        assert!(round_float32_artifact(dec!(100.005)).is_none());
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn index_2022_11_labels_are_shifted_to_start_and_session_trimmed() {
        let tmp = tempfile::tempdir().unwrap();
        let src = "index-1min-2022-11";
        write(
            tmp.path(),
            &format!("{src}/NIFTY_2022_NOV.txt"),
            "NIFTY,20221118,09:08,18130.70,18130.70,18130.70,18130.70,0,0\n\
             NIFTY,20221118,09:16,18090.85,18120.95,18084.90,18113.90,0,0\n\
             NIFTY,20221118,09:17,18111.65,18115.10,18099.50,18106.20,0,0\n\
             NIFTY,20221118,15:30,18306.85,18307.45,18295.20,18304.35,0,0\n\
             NIFTY,20221118,15:31,18304.55,18304.55,18304.55,18304.55,0,0\n\
             NIFTY,20221118,15:32,18307.65,18307.65,18307.65,18307.65,0,0\n",
        );
        write(
            tmp.path(),
            &format!("{src}/BANKNIFTY_2022_NOV.txt"),
            "BANKNIFTY,20221118,09:16,42000,42010,41990,42005,0,0\n",
        );
        let conv = Converted::from_sources(tmp.path(), &[Source::Index1min2022Nov]).unwrap();
        let bars = conv.bars("NIFTY", d(2022, 11, 18)).unwrap();
        let times: Vec<String> = bars
            .iter()
            .map(|b| b.ts.format("%H:%M").to_string())
            .collect();
        assert_eq!(times, ["09:15", "09:16", "15:29"]);
        assert_eq!(bars[0].open, dec!(18090.85));
        assert_eq!(bars[2].close, dec!(18304.35));
        assert!(bars.iter().all(|b| b.volume.is_none()));
        let rep = &conv.reports[0];
        assert_eq!(rep.rows_read, 7);
        assert_eq!(rep.rows_kept, 4);
        assert_eq!(rep.dropped.values().sum::<u64>(), 3);
        assert_eq!(
            conv.bars("BANKNIFTY", d(2022, 11, 18)).unwrap()[0]
                .ts
                .format("%H:%M")
                .to_string(),
            "09:15"
        );
    }

    #[test]
    fn raw_errors_name_file_line_and_field() {
        let tmp = tempfile::tempdir().unwrap();
        let src = "index-1min-2024";
        write(
            tmp.path(),
            &format!("{src}/NIFTY_2024.csv"),
            "Instrument,Date,Time,Open,High,Low,Close\n\
             NIFTY,20240603,09:15,23337.90,23400,23300,23350\n\
             NIFTY,20240603,09:16,23350,23x1,23300,23350\n",
        );
        write(
            tmp.path(),
            &format!("{src}/BNF_2024.csv"),
            "Instrument,Date,Time,Open,High,Low,Close\n",
        );
        let err = Converted::from_sources(tmp.path(), &[Source::Index1min2024]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.ends_with(
                "index-1min-2024/NIFTY_2024.csv:3: field `High`: invalid decimal \"23x1\""
            ),
            "{msg}"
        );
    }
}
