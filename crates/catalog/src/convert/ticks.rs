//! The option and futures trade-tick source (`nfo-ticks-2022-11-18/`): option files renamed to
//! their Kite tradingsymbols, continuous futures files to `NAME-FUT`, `NAME-FUT2`, ….

use super::days::Days;
use super::raw::{Raw, file_name, sorted_files};
use super::report::SourceReport;
use super::symbols::{futures_series, kite_symbol_of, parse_yymmdd_option};
use crate::TradeTick;
use crate::error::CatalogError;
use domain::calendar::ExpiryCalendar;
use domain::time::ist;
use std::path::Path;

fn read_tick_file(
    path: &Path,
    series: &str,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<(), CatalogError> {
    let mut raw = Raw::open(path)?;
    rep.files += 1;
    // No header: Date,Time,Price,Volume,OpenInterest.
    while raw.next()? {
        raw.expect_len(5)?;
        rep.rows_read += 1;
        let date = raw.yyyymmdd(0, "Date")?;
        let ts = ist(date, raw.hhmm(1, "Time")?);
        let tick = TradeTick {
            ts,
            last_price: raw.decimal(2, "Price")?,
            volume: raw.opt_u64(3, "Volume")?,
            oi: raw.opt_u64(4, "OpenInterest")?,
        };
        days.push_tick(series, tick, &raw.path, raw.line(), "Time")?;
    }
    Ok(())
}

pub(super) fn nfo_ticks(
    dir: &Path,
    expiries: &ExpiryCalendar,
    days: &mut Days,
    rep: &mut SourceReport,
) -> Result<(), CatalogError> {
    let mut monthly = 0;
    for path in sorted_files(&dir.join("options"), ".csv.gz")? {
        let stem = file_name(&path).trim_end_matches(".csv.gz");
        let opt = parse_yymmdd_option(stem).ok_or_else(|| CatalogError::File {
            path: path.clone(),
            message: format!("file name {stem:?} is not NAME+YYMMDD+STRIKE+CE|PE"),
        })?;
        let (symbol, is_monthly) = kite_symbol_of(&opt, expiries, &path)?;
        if is_monthly {
            monthly += 1;
        }
        read_tick_file(&path, &symbol, days, rep)?;
    }
    rep.notes.push(format!(
        "options: {} files, {monthly} of them monthly contracts (the expiry calendar's monthly) → Kite monthly symbols, e.g. NIFTY22112418300CE → NIFTY22NOV18300CE",
        rep.files
    ));
    for path in sorted_files(&dir.join("futures"), ".csv.gz")? {
        let stem = file_name(&path).trim_end_matches(".csv.gz");
        let series = futures_series(stem).ok_or_else(|| CatalogError::File {
            path: path.clone(),
            message: format!("file name {stem:?} is not NAME-I / NAME-II / NAME-III"),
        })?;
        rep.notes.push(format!("futures: {stem} → {series}"));
        read_tick_file(&path, &series, days, rep)?;
    }
    if rep.files == 0 {
        return Err(CatalogError::File {
            path: dir.to_path_buf(),
            message: "no options/*.csv.gz or futures/*.csv.gz files".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Converted, Source};
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;
    use std::path::PathBuf;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ticks_keep_same_second_order_and_get_kite_names() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nfo-ticks-2022-11-18");
        std::fs::create_dir_all(dir.join("options")).unwrap();
        std::fs::create_dir_all(dir.join("futures")).unwrap();
        let gz = |p: PathBuf, text: &str| {
            use std::io::Write;
            let f = std::fs::File::create(p).unwrap();
            let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap();
        };
        gz(
            dir.join("options/NIFTY22112418300CE.csv.gz"),
            "20221118,09:15:00,158.65,1,3535400\n20221118,09:15:00,189.90,1,3535400\n20221118,09:15:02,180.35,5000,3535400\n",
        );
        gz(
            dir.join("futures/NIFTY-II.csv.gz"),
            "20221118,09:15:00,18476.05,1,2277200\n",
        );
        let conv = Converted::from_sources(tmp.path(), &[Source::NfoTicks20221118]).unwrap();
        let t = conv.ticks("NIFTY22NOV18300CE", d(2022, 11, 18)).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].last_price, dec!(189.90));
        assert_eq!(t[2].volume, Some(5000));
        assert_eq!(t[2].oi, Some(3535400));
        assert!(conv.ticks("NIFTY-FUT2", d(2022, 11, 18)).is_some());
    }
}
