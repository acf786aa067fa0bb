//! Reading, validating and writing the canonical day files (spec §9, `docs/data-catalog.md`).
//!
//! Bars: header `timestamp,open,high,low,close,volume`; ticks: header
//! `timestamp,last_price,volume,oi`. Timestamps are ISO-8601 with an explicit offset
//! (`2024-06-03T09:15:00+05:30`), read into IST; prices are decimals in ₹ (index points for an
//! index); `volume`/`oi` are whole units or empty.

use crate::TradeTick;
use crate::error::CatalogError;
use chrono::{NaiveDate, NaiveTime};
use domain::Bar;
use domain::time::{IstDateTime, fmt_iso, ist, parse_iso};
use flate2::read::MultiGzDecoder;
use rust_decimal::Decimal;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::str::FromStr;

/// Header of a bars file.
pub const BARS_HEADER: &str = "timestamp,open,high,low,close,volume";
/// Header of a trade-ticks file.
pub const TICKS_HEADER: &str = "timestamp,last_price,volume,oi";

const BAR_FIELDS: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];
const TICK_FIELDS: [&str; 4] = ["timestamp", "last_price", "volume", "oi"];

/// Open `path` for reading, transparently gunzipping when its name ends in `.gz`.
pub fn open_maybe_gz(path: &Path) -> Result<Box<dyn Read>, CatalogError> {
    let file = File::open(path).map_err(|e| CatalogError::io(path, e))?;
    let reader = BufReader::with_capacity(64 * 1024, file);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(MultiGzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

/// A CSV reader over `rdr` as the catalog reads files: no header handling (the caller checks
/// it), flexible field counts (checked per row for a precise error), fields trimmed.
pub(crate) fn csv_reader<R: Read>(rdr: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .buffer_capacity(64 * 1024)
        .from_reader(rdr)
}

/// Map a `csv` error (an I/O error, including a corrupt gzip stream, or invalid CSV) to a
/// catalog error naming the file.
pub(crate) fn csv_error(path: &Path, e: csv::Error) -> CatalogError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => CatalogError::io(path, io),
        other => CatalogError::Row {
            path: path.to_path_buf(),
            line: line.unwrap_or(0),
            message: format!("invalid CSV: {other:?}"),
        },
    }
}

/// Line (1-based) of a record just read.
pub(crate) fn line_of(rec: &csv::ByteRecord) -> u64 {
    rec.position().map_or(0, |p| p.line())
}

/// Read the header record and check it equals `expected` (columns, in order).
fn check_header<R: Read>(
    rdr: &mut csv::Reader<R>,
    rec: &mut csv::ByteRecord,
    path: &Path,
    expected: &[&str],
) -> Result<bool, CatalogError> {
    if !rdr.read_byte_record(rec).map_err(|e| csv_error(path, e))? {
        return Ok(false); // empty file: no header, no rows
    }
    let mut ok = rec.len() == expected.len();
    if ok {
        for (i, name) in expected.iter().enumerate() {
            let f = &rec[i];
            // tolerate a UTF-8 byte-order mark before the first column name
            let f = if i == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
            } else {
                f
            };
            if f != name.as_bytes() {
                ok = false;
                break;
            }
        }
    }
    if ok {
        Ok(true)
    } else {
        let found: Vec<String> = rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        Err(CatalogError::Header {
            path: path.to_path_buf(),
            line: line_of(rec),
            expected: expected.join(","),
            found: found.join(","),
        })
    }
}

fn check_len(rec: &csv::ByteRecord, path: &Path, fields: &[&str]) -> Result<(), CatalogError> {
    if rec.len() == fields.len() {
        Ok(())
    } else {
        Err(CatalogError::Row {
            path: path.to_path_buf(),
            line: line_of(rec),
            message: format!(
                "expected {} fields ({}), found {}",
                fields.len(),
                fields.join(","),
                rec.len()
            ),
        })
    }
}

/// Context of one field for error messages.
pub(crate) struct At<'a> {
    pub path: &'a Path,
    pub line: u64,
    pub field: &'a str,
}

impl At<'_> {
    pub(crate) fn err(&self, message: impl Into<String>) -> CatalogError {
        CatalogError::field(self.path, self.line, self.field, message)
    }
}

fn as_str<'b>(bytes: &'b [u8], at: &At<'_>) -> Result<&'b str, CatalogError> {
    std::str::from_utf8(bytes)
        .map_err(|_| at.err(format!("not UTF-8: {:?}", String::from_utf8_lossy(bytes))))
}

/// Parse a decimal price (₹); empty is an error. The price keeps at least two decimal places
/// (paise), as Kite quotes it (`last_price` is paise / 100), so a stock file's `1232.9` reads as
/// `1232.90` and replay's journals print prices as paper and live do.
pub(crate) fn parse_decimal(bytes: &[u8], at: &At<'_>) -> Result<Decimal, CatalogError> {
    let s = as_str(bytes, at)?;
    if s.is_empty() {
        return Err(at.err("missing value"));
    }
    // `Decimal::from_str` also accepts forms like "1_000" or "1e3"; the catalog wants plain
    // decimals only.
    let plain = s
        .bytes()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    match Decimal::from_str(s) {
        Ok(mut d) if plain => {
            if d.scale() < 2 {
                d.rescale(2);
            }
            Ok(d)
        }
        _ => Err(at.err(format!("invalid decimal {s:?}"))),
    }
}

/// Parse an optional whole number of units; empty → `None`.
pub(crate) fn parse_opt_u64(bytes: &[u8], at: &At<'_>) -> Result<Option<u64>, CatalogError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let s = as_str(bytes, at)?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(at.err(format!(
            "invalid {} {s:?} (expected a whole number of units or empty)",
            at.field
        )));
    }
    s.parse::<u64>()
        .map(Some)
        .map_err(|_| at.err(format!("invalid {} {s:?} (out of range)", at.field)))
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

/// Fast path for the canonical `YYYY-MM-DDTHH:MM:SS+05:30`.
fn parse_canonical_ts(b: &[u8]) -> Option<IstDateTime> {
    if b.len() != 25 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || &b[19..] != b"+05:30" {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = i32::try_from(two_digits(&b[0..2])? * 100 + two_digits(&b[2..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, two_digits(&b[5..7])?, two_digits(&b[8..10])?)?;
    let time = NaiveTime::from_hms_opt(
        two_digits(&b[11..13])?,
        two_digits(&b[14..16])?,
        two_digits(&b[17..19])?,
    )?;
    Some(ist(date, time))
}

/// Parse an ISO-8601 timestamp with an explicit offset into IST.
pub(crate) fn parse_timestamp(bytes: &[u8], at: &At<'_>) -> Result<IstDateTime, CatalogError> {
    if let Some(t) = parse_canonical_ts(bytes) {
        return Ok(t);
    }
    let s = as_str(bytes, at)?;
    parse_iso(s).map_err(|_| {
        at.err(format!(
            "invalid timestamp {s:?} (expected ISO-8601 with offset, e.g. 2024-06-03T09:15:00+05:30)"
        ))
    })
}

/// Checks shared by bars and ticks: the row's IST date is the file's date, and the timestamp
/// is after the previous row's (strictly for bars, or equal for ticks).
pub(crate) fn check_ts(
    ts: &IstDateTime,
    prev: Option<&IstDateTime>,
    date: Option<NaiveDate>,
    strict: bool,
    at: &At<'_>,
) -> Result<(), CatalogError> {
    if let Some(date) = date
        && ts.date_naive() != date
    {
        return Err(at.err(format!("{} is not on the file's date {date}", fmt_iso(ts))));
    }
    if let Some(p) = prev
        && (ts < p || (strict && ts == p))
    {
        let rule = if strict { "after" } else { "at or after" };
        return Err(at.err(format!(
            "{} is not {rule} the previous row's {} (rows must be in increasing time order)",
            fmt_iso(ts),
            fmt_iso(p)
        )));
    }
    Ok(())
}

/// Check the OHLC consistency of a bar: `high ≥ max(open, close)`, `low ≤ min(open, close)`.
pub(crate) fn check_ohlc(bar: &Bar, path: &Path, line: u64) -> Result<(), CatalogError> {
    let hi = bar.open.max(bar.close);
    if bar.high < hi {
        return Err(CatalogError::field(
            path,
            line,
            "high",
            format!("high {} is below max(open, close) = {hi}", bar.high),
        ));
    }
    let lo = bar.open.min(bar.close);
    if bar.low > lo {
        return Err(CatalogError::field(
            path,
            line,
            "low",
            format!("low {} is above min(open, close) = {lo}", bar.low),
        ));
    }
    Ok(())
}

/// Read and validate a bars file from `rdr`.
///
/// `path` names the file in errors; `date`, when given, is the file's trading date that every
/// row must fall on (IST). Rows must be strictly increasing in time and OHLC-consistent.
/// Returns the rows as stored (already sorted by `ts`). An empty file (or a header only)
/// gives no bars.
pub fn read_bars<R: Read>(
    rdr: R,
    path: &Path,
    date: Option<NaiveDate>,
) -> Result<Vec<Bar>, CatalogError> {
    let mut rdr = csv_reader(rdr);
    let mut rec = csv::ByteRecord::new();
    let mut out: Vec<Bar> = Vec::with_capacity(400);
    if !check_header(&mut rdr, &mut rec, path, &BAR_FIELDS)? {
        return Ok(out);
    }
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(path, e))?
    {
        check_len(&rec, path, &BAR_FIELDS)?;
        let line = line_of(&rec);
        let at = |i: usize| At {
            path,
            line,
            field: BAR_FIELDS[i],
        };
        let ts = parse_timestamp(&rec[0], &at(0))?;
        check_ts(&ts, out.last().map(|b| &b.ts), date, true, &at(0))?;
        let bar = Bar {
            ts,
            open: parse_decimal(&rec[1], &at(1))?,
            high: parse_decimal(&rec[2], &at(2))?,
            low: parse_decimal(&rec[3], &at(3))?,
            close: parse_decimal(&rec[4], &at(4))?,
            volume: parse_opt_u64(&rec[5], &at(5))?,
        };
        check_ohlc(&bar, path, line)?;
        out.push(bar);
    }
    Ok(out)
}

/// Read and validate a trade-ticks file from `rdr`.
///
/// As [`read_bars`], except that several ticks may share one timestamp (rows must be
/// non-decreasing in time; their order within a timestamp is the exchange's and is kept).
pub fn read_ticks<R: Read>(
    rdr: R,
    path: &Path,
    date: Option<NaiveDate>,
) -> Result<Vec<TradeTick>, CatalogError> {
    let mut rdr = csv_reader(rdr);
    let mut rec = csv::ByteRecord::new();
    let mut out: Vec<TradeTick> = Vec::new();
    if !check_header(&mut rdr, &mut rec, path, &TICK_FIELDS)? {
        return Ok(out);
    }
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(path, e))?
    {
        check_len(&rec, path, &TICK_FIELDS)?;
        let line = line_of(&rec);
        let at = |i: usize| At {
            path,
            line,
            field: TICK_FIELDS[i],
        };
        let ts = parse_timestamp(&rec[0], &at(0))?;
        check_ts(&ts, out.last().map(|t| &t.ts), date, false, &at(0))?;
        out.push(TradeTick {
            ts,
            last_price: parse_decimal(&rec[1], &at(1))?,
            volume: parse_opt_u64(&rec[2], &at(2))?,
            oi: parse_opt_u64(&rec[3], &at(3))?,
        });
    }
    Ok(out)
}

/// Read a bars file from disk (`.gz` transparently), checking rows against `date` if given.
pub fn read_bars_file(path: &Path, date: Option<NaiveDate>) -> Result<Vec<Bar>, CatalogError> {
    read_bars(open_maybe_gz(path)?, path, date)
}

/// Read a ticks file from disk (`.gz` transparently), checking rows against `date` if given.
pub fn read_ticks_file(
    path: &Path,
    date: Option<NaiveDate>,
) -> Result<Vec<TradeTick>, CatalogError> {
    read_ticks(open_maybe_gz(path)?, path, date)
}

/// Validate bars before writing them (same rules as reading; `path` names the target file,
/// lines count as if written: the first bar is line 2).
pub fn validate_bars(bars: &[Bar], path: &Path, date: NaiveDate) -> Result<(), CatalogError> {
    let mut prev: Option<&IstDateTime> = None;
    for (i, bar) in bars.iter().enumerate() {
        let line = i as u64 + 2;
        let at = At {
            path,
            line,
            field: "timestamp",
        };
        check_ts(&bar.ts, prev, Some(date), true, &at)?;
        check_ohlc(bar, path, line)?;
        prev = Some(&bar.ts);
    }
    Ok(())
}

/// Validate ticks before writing them (see [`validate_bars`]).
pub fn validate_ticks(
    ticks: &[TradeTick],
    path: &Path,
    date: NaiveDate,
) -> Result<(), CatalogError> {
    let mut prev: Option<&IstDateTime> = None;
    for (i, t) in ticks.iter().enumerate() {
        let at = At {
            path,
            line: i as u64 + 2,
            field: "timestamp",
        };
        check_ts(&t.ts, prev, Some(date), false, &at)?;
        prev = Some(&t.ts);
    }
    Ok(())
}

fn write_opt<W: Write>(w: &mut W, v: Option<u64>) -> io::Result<()> {
    match v {
        Some(v) => write!(w, "{v}"),
        None => Ok(()),
    }
}

/// Write bars in the canonical format (header + one row per bar, `\n` line ends). Decimals are
/// written as they are held (`23337.90` stays `23337.90`); a `None` volume is an empty field.
pub fn write_bars<W: Write>(w: W, bars: &[Bar]) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(64 * 1024, w);
    writeln!(w, "{BARS_HEADER}")?;
    for b in bars {
        write!(
            w,
            "{},{},{},{},{},",
            fmt_iso(&b.ts),
            b.open,
            b.high,
            b.low,
            b.close
        )?;
        write_opt(&mut w, b.volume)?;
        writeln!(w)?;
    }
    w.flush()
}

/// Write trade ticks in the canonical format (see [`write_bars`]).
pub fn write_ticks<W: Write>(w: W, ticks: &[TradeTick]) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(64 * 1024, w);
    writeln!(w, "{TICKS_HEADER}")?;
    for t in ticks {
        write!(w, "{},{},", fmt_iso(&t.ts), t.last_price)?;
        write_opt(&mut w, t.volume)?;
        write!(w, ",")?;
        write_opt(&mut w, t.oi)?;
        writeln!(w)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn price(s: &str) -> Result<Decimal, CatalogError> {
        let at = At {
            path: Path::new("x.csv"),
            line: 2,
            field: "close",
        };
        parse_decimal(s.as_bytes(), &at)
    }

    #[test]
    fn prices_keep_paise() {
        assert_eq!(price("1232.9").unwrap().to_string(), "1232.90");
        assert_eq!(price("1230").unwrap().to_string(), "1230.00");
        assert_eq!(price("18090.85").unwrap().to_string(), "18090.85");
        assert_eq!(price("0.125").unwrap().to_string(), "0.125");
        assert!(price("1e3").is_err());
        assert!(price("").is_err());
    }
}
