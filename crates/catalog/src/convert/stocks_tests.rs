//! Unit tests of the stock sources on real rows of `nse-stocks-1min/` (copied verbatim).

use super::super::{Converted, Source};
use super::*;
use rust_decimal_macros::dec;
use std::io::Write;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Write `text` gzip-compressed at `dir/rel`.
fn write_gz(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(p).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
}

const MM_HEADER: &str =
    "date,time,open,high,low,close,volume,oi,exchangecode,symbolcode,expiry\r\n";
/// RELIANCE 2025-01-02 09:15..09:17 and 2025-04-15 09:15..09:16 (CRLF as in the source).
const MM_RELIANCE: &str = "02-01-2025,09:15:00,1221.25,1226.2,1221.25,1223.05,203325,0,1,2885,01-01-0001 00:00:00\r\n\
02-01-2025,09:16:00,1223.05,1225.35,1223,1225.35,84505,0,1,2885,01-01-0001 00:00:00\r\n\
02-01-2025,09:17:00,1225.35,1226.5,1225,1226.3,40649,0,1,2885,01-01-0001 00:00:00\r\n\
15-04-2025,09:15:00,1251,1251,1241.4,1247.1,541185,0,1,2885,01-01-0001 00:00:00\r\n\
15-04-2025,09:16:00,1247,1248.1,1243.6,1244.2,238077,0,1,2885,01-01-0001 00:00:00\r\n";
const MM_DIR: &str = "nse-stocks-1min/marketmaya-1min-2025";

#[test]
fn marketmaya_rows_become_symbol_series_with_volume_and_token() {
    let tmp = tempfile::tempdir().unwrap();
    write_gz(
        tmp.path(),
        &format!("{MM_DIR}/RELIANCE_1min_2025-01-01_2025-07-24.csv.gz"),
        &format!("{MM_HEADER}{MM_RELIANCE}"),
    );
    write_gz(
        tmp.path(),
        &format!("{MM_DIR}/BAJAJ-AUTO_1min_2025-01-01_2025-07-24.csv.gz"),
        &format!(
            "{MM_HEADER}15-04-2025,09:15:00,8000,8000,7828.5,7872.5,7123,0,1,16669,01-01-0001 00:00:00\r\n"
        ),
    );
    let conv = Converted::from_sources(tmp.path(), &[Source::Stocks1min2025]).unwrap();
    let b = conv.bars("RELIANCE", d(2025, 1, 2)).unwrap();
    assert_eq!(b.len(), 3);
    assert_eq!(b[0].ts.to_rfc3339(), "2025-01-02T09:15:00+05:30");
    assert_eq!(
        (b[0].open, b[0].high, b[0].low, b[0].close),
        (dec!(1221.25), dec!(1226.2), dec!(1221.25), dec!(1223.05))
    );
    assert_eq!(b[0].volume, Some(203325));
    assert_eq!(b[1].low.to_string(), "1223.00", "prices read in paise");
    let after = conv.bars("RELIANCE", d(2025, 4, 15)).unwrap();
    assert_eq!(after[0].low, dec!(1241.4));
    let baj = conv.bars("BAJAJ-AUTO", d(2025, 4, 15)).unwrap();
    assert_eq!(baj[0].low, dec!(7828.5));
    let info = conv.stock("RELIANCE").unwrap();
    assert_eq!(info.exchange_token, Some(2885));
    assert_eq!(info.kite_instrument_token(), Some(738561));
    assert_eq!(
        conv.stock("BAJAJ-AUTO").unwrap().exchange_token,
        Some(16669)
    );
    assert_eq!(conv.reports[0].rows_kept, 6);
}

#[test]
fn marketmaya_broken_row_names_file_line_field() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = MM_RELIANCE.replace("1225.35,84505", "1225.35,84x05");
    let rel = format!("{MM_DIR}/RELIANCE_1min_2025-01-01_2025-07-24.csv.gz");
    write_gz(tmp.path(), &rel, &format!("{MM_HEADER}{bad}"));
    let err = Converted::from_sources(tmp.path(), &[Source::Stocks1min2025]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: field `volume`: invalid volume \"84x05\" (expected a whole number of units or empty)",
            tmp.path().join(&rel).display()
        )
    );
    // a second token in one file
    let bad = MM_RELIANCE.replace("40649,0,1,2885", "40649,0,1,2886");
    write_gz(tmp.path(), &rel, &format!("{MM_HEADER}{bad}"));
    let err = Converted::from_sources(tmp.path(), &[Source::Stocks1min2025]).unwrap_err();
    assert!(
        err.to_string().ends_with(
            ":4: field `symbolcode`: token 2886 differs from the file's first row (2885)"
        ),
        "{err}"
    );
}

const Y_HEADER: &str = "Datetime,Open,High,Low,Close,Volume,Dividends,Stock Splits\n";
/// RELIANCE 2024-03-20 09:15..09:25 and 2024-04-09 15:20..15:25 as Yahoo wrote them.
const Y_RELIANCE: &str = "2024-03-20 09:15:00+05:30,2855.949951171875,2856.800048828125,2848.050048828125,2852.300048828125,0,0.0,0.0\n\
2024-03-20 09:20:00+05:30,2852.050048828125,2860.5,2850.0,2859.449951171875,85598,0.0,0.0\n\
2024-03-20 09:25:00+05:30,2860.14990234375,2860.14990234375,2853.0,2856.550048828125,49609,0.0,0.0\n\
2024-04-09 15:20:00+05:30,2926.800048828125,2929.0,2925.60009765625,2928.60009765625,144467,0.0,0.0\n\
2024-04-09 15:25:00+05:30,2928.60009765625,2932.0,2927.300048828125,2927.300048828125,0,0.0,0.0\n";
const Y_DIR: &str = "nse-stocks-1min/yahoo-5min-2024";

#[test]
fn yahoo_rows_rounded_to_tick_and_zero_volume_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    write_gz(
        tmp.path(),
        &format!("{Y_DIR}/RELIANCE_5min_2024-03-20_2024-04-19.csv.gz"),
        &format!("{Y_HEADER}{Y_RELIANCE}"),
    );
    let conv = Converted::from_sources(tmp.path(), &[Source::Stocks5min2024]).unwrap();
    assert!(conv.bars("RELIANCE", d(2024, 3, 20)).is_none());
    let b = conv.bars("RELIANCE_5m", d(2024, 3, 20)).unwrap();
    assert_eq!(b.len(), 3);
    assert_eq!(
        [b[0].open, b[0].high, b[0].low, b[0].close].map(|x| x.to_string()),
        ["2855.95", "2856.80", "2848.05", "2852.30"]
    );
    assert_eq!(b[1].high.to_string(), "2860.50");
    assert_eq!(b[0].volume, None, "09:15 volume 0 = unknown");
    assert_eq!(b[1].volume, Some(85598));
    let last = conv.bars("RELIANCE_5m", d(2024, 4, 9)).unwrap();
    assert_eq!(last[1].volume, None, "15:25 volume 0 = unknown");
    assert_eq!(last[1].close, dec!(2927.30));
    assert!(conv.stock("RELIANCE_5m").unwrap().exchange_token.is_none());
}

#[test]
fn yahoo_value_off_the_tick_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let rel = format!("{Y_DIR}/RELIANCE_5min_2024-03-20_2024-04-19.csv.gz");
    let bad = Y_RELIANCE.replace("2860.5,", "2860.52,");
    write_gz(tmp.path(), &rel, &format!("{Y_HEADER}{bad}"));
    let err = Converted::from_sources(tmp.path(), &[Source::Stocks5min2024]).unwrap_err();
    assert!(
        err.to_string().ends_with(
            ":3: field `High`: 2860.52 is not a float32 rendering of a price on the 0.05 tick"
        ),
        "{err}"
    );
}

#[test]
fn tick_rounding() {
    let r = |x| round_to_tick(x, dec!(0.05), dec!(0.002)).map(|v| v.to_string());
    assert_eq!(r(dec!(2855.949951171875)).as_deref(), Some("2855.95"));
    assert_eq!(r(dec!(2856.800048828125)).as_deref(), Some("2856.80"));
    assert_eq!(r(dec!(2860.5)).as_deref(), Some("2860.50"));
    assert_eq!(r(dec!(1384.8)).as_deref(), Some("1384.80"));
    assert_eq!(r(dec!(2860.52)), None);
    assert_eq!(round_to_tick(dec!(1), dec!(0), dec!(0.002)), None);
}
