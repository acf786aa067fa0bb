//! Conversion of the shipped raw sources (`shared/data/`, described in its `README.md`) into
//! the canonical catalog format. Used by the `convert` binary.
//!
//! Each [`Source`] reads one raw folder and yields day files keyed by `(series, date)`; values
//! are kept as they are in the source except where a rule below says otherwise:
//!
//! | source folder | series | rule |
//! | --- | --- | --- |
//! | `index-1min-2024/` | `NIFTY`, `BANKNIFTY` | label = start already; rows outside the day's session dropped (only the 2024-01-20 post-close artefacts) |
//! | `index-1min-2022-11/` | `NIFTY`, `BANKNIFTY` | label = END in the source → start = end − 1 min; pre-open/post-close bars dropped (day = 09:15..15:29) |
//! | `nfo-ticks-2022-11-18/` | option Kite symbols (`NIFTY22NOV18300CE`), `NIFTY-FUT`, `NIFTY-FUT2`, … | trade ticks |
//! | `futures-5min-2024/` | `NIFTY-FUT_5m`, `BANKNIFTY-FUT_5m`, `SENSEX-FUT_5m` | 5-minute bars, indicator columns dropped |
//! | `sensex-nifty-banknifty-1min-2025-12/` | `SENSEX`, `NIFTY`, `BANKNIFTY` | float32 artefacts rounded to 2 decimals |
//! | `sensex-index-options-3min-2025-09/` | `SENSEX_3m`, `SENSEX25911…CE_3m` | 3-minute bars, indicator columns dropped |
//!
//! Index bars get an empty volume: an index has no traded volume, the sources' `0` (or
//! missing column) means "not available". Futures and option volumes are kept (a `0` there
//! is a real "no trade").
//!
//! Exchange rules come from `domain`, not from here: the session of a day is
//! [`MarketCalendar::session_windows`] (09:15–15:30 IST, [`domain::time::session_open`] /
//! [`domain::time::session_close`], or a special session's windows), and whether an option's
//! expiry is its month's monthly contract (which decides its Kite tradingsymbol form) is
//! [`ExpiryCalendar`]'s (spec §5, kite-connect.md §8.4, §8.7).

use crate::error::CatalogError;
use crate::format::{self, At, csv_error, line_of, parse_decimal, parse_opt_u64};
use crate::naming::series_name;
use crate::{Catalog, FileKind, TradeTick};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Timelike};
use domain::calendar::{Expiry, ExpiryCalendar, MarketCalendar};
use domain::instrument::kite_option_symbol;
use domain::time::{IST, IstDateTime, ist};
use domain::{Bar, Decimal, OptionType, Segment, Timeframe};
use rust_decimal::RoundingStrategy;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One raw source folder of `shared/data/` that the engine can use.
///
/// Not converted (not bars or trade ticks of a replayable day): `option-chain-snapshots-2025-08-29/`
/// (chain snapshots of a day without index data), `kite-instruments/` and `nse-holidays/`
/// (reference data, read directly by the calendar/broker code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// `index-1min-2024/`: NIFTY and BANKNIFTY index 1-minute bars, 2024-01-01..2024-08-20.
    Index1min2024,
    /// `index-1min-2022-11/`: NIFTY and BANKNIFTY index 1-minute bars, Nov 2022 (end-labelled).
    Index1min2022Nov,
    /// `nfo-ticks-2022-11-18/`: option and futures trade ticks of 2022-11-18.
    NfoTicks20221118,
    /// `futures-5min-2024/`: NIFTY/BANKNIFTY/SENSEX near-month futures 5-minute bars.
    Futures5min2024,
    /// `sensex-nifty-banknifty-1min-2025-12/`: SENSEX, NIFTY, BANKNIFTY index 1-minute bars.
    Index1min2025Dec,
    /// `sensex-index-options-3min-2025-09/`: SENSEX index and weekly options, 3-minute bars.
    Sensex3min2025Sep,
}

impl Source {
    /// All convertible sources, in conversion order.
    pub const ALL: [Source; 6] = [
        Source::Index1min2024,
        Source::Index1min2022Nov,
        Source::NfoTicks20221118,
        Source::Futures5min2024,
        Source::Index1min2025Dec,
        Source::Sensex3min2025Sep,
    ];

    /// The source's folder name under the raw data directory.
    pub fn dir_name(self) -> &'static str {
        match self {
            Source::Index1min2024 => "index-1min-2024",
            Source::Index1min2022Nov => "index-1min-2022-11",
            Source::NfoTicks20221118 => "nfo-ticks-2022-11-18",
            Source::Futures5min2024 => "futures-5min-2024",
            Source::Index1min2025Dec => "sensex-nifty-banknifty-1min-2025-12",
            Source::Sensex3min2025Sep => "sensex-index-options-3min-2025-09",
        }
    }

    /// The source whose folder is named `name`.
    pub fn from_dir_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.dir_name() == name)
    }

    /// Convert this source, read from `raw_root/<dir_name>/`, into `out`, with the exchange
    /// rules of [`ExpiryCalendar::builtin`] and its [`MarketCalendar`].
    ///
    /// Errors name the raw file, its 1-based line and the source's column name.
    pub fn convert(self, raw_root: &Path, out: &mut Converted) -> Result<(), CatalogError> {
        let dir = raw_root.join(self.dir_name());
        if !dir.is_dir() {
            return Err(CatalogError::File {
                path: dir,
                message: "raw source folder not found".into(),
            });
        }
        let mut report = SourceReport::new(self);
        let mut days = Days::default();
        let expiries = ExpiryCalendar::builtin();
        let sessions = expiries.calendar();
        match self {
            Source::Index1min2024 => index_1min_2024(&dir, sessions, &mut days, &mut report)?,
            Source::Index1min2022Nov => {
                index_1min_2022_11(&dir, sessions, &mut days, &mut report)?;
            }
            Source::NfoTicks20221118 => nfo_ticks(&dir, &expiries, &mut days, &mut report)?,
            Source::Futures5min2024 => futures_5min(&dir, &mut days, &mut report)?,
            Source::Index1min2025Dec => index_1min_2025_12(&dir, &mut days, &mut report)?,
            Source::Sensex3min2025Sep => sensex_3min(&dir, &expiries, &mut days, &mut report)?,
        }
        out.merge(days, report)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.dir_name())
    }
}

/// What one source contributed.
#[derive(Debug, Clone)]
pub struct SourceReport {
    /// The source.
    pub source: Source,
    /// Raw files read.
    pub files: usize,
    /// Data rows read (headers not counted).
    pub rows_read: u64,
    /// Rows kept (written as bars or ticks).
    pub rows_kept: u64,
    /// Rows dropped by a documented rule, with the rule (e.g. "outside 09:15..15:29 on 2024-01-20").
    pub dropped: BTreeMap<String, u64>,
    /// Other facts worth printing (symbol mappings, rounding).
    pub notes: Vec<String>,
}

impl SourceReport {
    fn new(source: Source) -> Self {
        SourceReport {
            source,
            files: 0,
            rows_read: 0,
            rows_kept: 0,
            dropped: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    fn drop_row(&mut self, rule: String) {
        *self.dropped.entry(rule).or_default() += 1;
    }
}

impl std::fmt::Display for SourceReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.source.dir_name();
        write!(
            f,
            "{name}: {} files, {} rows read, {} kept",
            self.files, self.rows_read, self.rows_kept
        )?;
        for (rule, n) in &self.dropped {
            write!(f, "\n    dropped {n} rows: {rule}")?;
        }
        for note in &self.notes {
            write!(f, "\n    {note}")?;
        }
        Ok(())
    }
}

/// One converted day: bars or ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayData {
    /// OHLCV bars (1-minute unless the series name says otherwise).
    Bars(Vec<Bar>),
    /// Trade ticks.
    Ticks(Vec<TradeTick>),
}

impl DayData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            DayData::Bars(b) => b.len(),
            DayData::Ticks(t) => t.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bars or ticks.
    pub fn kind(&self) -> FileKind {
        match self {
            DayData::Bars(_) => FileKind::Bars,
            DayData::Ticks(_) => FileKind::Ticks,
        }
    }
}

/// Day files of one source under construction, with the raw file each came from.
#[derive(Debug, Default)]
struct Days {
    map: BTreeMap<(String, NaiveDate, FileKind), (DayData, PathBuf)>,
}

impl Days {
    /// Append a bar to its day, checking order and OHLC against the raw file's line.
    fn push_bar(
        &mut self,
        series: &str,
        bar: Bar,
        path: &Path,
        line: u64,
        ts_field: &str,
    ) -> Result<(), CatalogError> {
        format::check_ohlc(&bar, path, line)?;
        let key = (series.to_string(), bar.ts.date_naive(), FileKind::Bars);
        let (data, _) = self
            .map
            .entry(key)
            .or_insert_with(|| (DayData::Bars(Vec::with_capacity(400)), path.to_path_buf()));
        let DayData::Bars(bars) = data else {
            unreachable!("keyed by kind")
        };
        let at = At {
            path,
            line,
            field: ts_field,
        };
        format::check_ts(&bar.ts, bars.last().map(|b| &b.ts), None, true, &at)?;
        bars.push(bar);
        Ok(())
    }

    /// Append a trade tick to its day, checking order against the raw file's line.
    fn push_tick(
        &mut self,
        series: &str,
        tick: TradeTick,
        path: &Path,
        line: u64,
        ts_field: &str,
    ) -> Result<(), CatalogError> {
        let key = (series.to_string(), tick.ts.date_naive(), FileKind::Ticks);
        let (data, _) = self
            .map
            .entry(key)
            .or_insert_with(|| (DayData::Ticks(Vec::new()), path.to_path_buf()));
        let DayData::Ticks(ticks) = data else {
            unreachable!("keyed by kind")
        };
        let at = At {
            path,
            line,
            field: ts_field,
        };
        format::check_ts(&tick.ts, ticks.last().map(|t| &t.ts), None, false, &at)?;
        ticks.push(tick);
        Ok(())
    }
}

/// The result of converting one or more sources: day files keyed by `(series, date, kind)`.
#[derive(Debug, Default)]
pub struct Converted {
    days: BTreeMap<(String, NaiveDate, FileKind), (DayData, PathBuf)>,
    /// Per-source reports, in conversion order.
    pub reports: Vec<SourceReport>,
}

/// Per-series totals of a conversion (for the summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSummary {
    /// Series name.
    pub series: String,
    /// Bars or ticks.
    pub kind: FileKind,
    /// Number of days (files).
    pub days: usize,
    /// Number of rows over all days.
    pub rows: usize,
    /// First day.
    pub first: NaiveDate,
    /// Last day.
    pub last: NaiveDate,
}

impl Converted {
    /// Convert every source in `sources` from `raw_root`.
    pub fn from_sources(raw_root: &Path, sources: &[Source]) -> Result<Converted, CatalogError> {
        let mut out = Converted::default();
        for s in sources {
            s.convert(raw_root, &mut out)?;
        }
        Ok(out)
    }

    fn merge(&mut self, days: Days, mut report: SourceReport) -> Result<(), CatalogError> {
        for (key, (data, path)) in days.map {
            report.rows_kept += data.len() as u64;
            match self.days.entry(key) {
                Entry::Vacant(v) => {
                    v.insert((data, path));
                }
                Entry::Occupied(o) => {
                    let (series, date, _) = o.key();
                    return Err(CatalogError::File {
                        path,
                        message: format!(
                            "{series} on {date} is also given by {}; two sources for one day are not merged",
                            o.get().1.display()
                        ),
                    });
                }
            }
        }
        self.reports.push(report);
        Ok(())
    }

    /// The converted days, keyed by `(series, date, kind)`.
    pub fn days(&self) -> impl Iterator<Item = (&str, NaiveDate, &DayData)> {
        self.days
            .iter()
            .map(|((s, d, _), (data, _))| (s.as_str(), *d, data))
    }

    /// The bars of `series` on `date`, if converted.
    pub fn bars(&self, series: &str, date: NaiveDate) -> Option<&[Bar]> {
        match self
            .days
            .get(&(series.to_string(), date, FileKind::Bars))
            .map(|(d, _)| d)
        {
            Some(DayData::Bars(b)) => Some(b),
            _ => None,
        }
    }

    /// The ticks of `series` on `date`, if converted.
    pub fn ticks(&self, series: &str, date: NaiveDate) -> Option<&[TradeTick]> {
        match self
            .days
            .get(&(series.to_string(), date, FileKind::Ticks))
            .map(|(d, _)| d)
        {
            Some(DayData::Ticks(t)) => Some(t),
            _ => None,
        }
    }

    /// Per-series totals, sorted by series then kind.
    pub fn summary(&self) -> Vec<SeriesSummary> {
        let mut out: Vec<SeriesSummary> = Vec::new();
        for ((series, date, kind), (data, _)) in &self.days {
            match out.last_mut() {
                Some(s) if s.series == *series && s.kind == *kind => {
                    s.days += 1;
                    s.rows += data.len();
                    s.last = *date;
                }
                _ => out.push(SeriesSummary {
                    series: series.clone(),
                    kind: *kind,
                    days: 1,
                    rows: data.len(),
                    first: *date,
                    last: *date,
                }),
            }
        }
        out
    }

    /// Write every day into `catalog`: bars plain `.csv` (or `.csv.gz` if `gz_bars`), ticks
    /// `.ticks.csv.gz` (or plain if `!gz_ticks`). Returns the paths written.
    pub fn write(
        &self,
        catalog: &Catalog,
        gz_bars: bool,
        gz_ticks: bool,
    ) -> Result<Vec<PathBuf>, CatalogError> {
        let mut written = Vec::with_capacity(self.days.len());
        for ((series, date, _), (data, _)) in &self.days {
            let path = match data {
                DayData::Bars(b) => catalog.write_bars(series, *date, b, gz_bars)?,
                DayData::Ticks(t) => catalog.write_ticks(series, *date, t, gz_ticks)?,
            };
            written.push(path);
        }
        Ok(written)
    }
}

// ---------------------------------------------------------------------------------------------
// Symbol rules

/// An option contract parsed from a raw file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedOption {
    /// The underlying's segment (the name in the file is its option name: `NIFTY`,
    /// `BANKNIFTY`, `SENSEX`).
    pub segment: Segment,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// Strike, index points.
    pub strike: Decimal,
    /// CE or PE.
    pub option_type: OptionType,
}

impl ParsedOption {
    /// The contract's expiry as `expiries` lists it, with its monthly flag; `None` if the
    /// calendar has no expiry of the segment on that date (a wrong file name, or a date
    /// outside the modelled history).
    pub fn listed_expiry(&self, expiries: &ExpiryCalendar) -> Option<Expiry> {
        expiries
            .expiries_in(self.segment, self.expiry, self.expiry)
            .into_iter()
            .next()
    }

    /// The contract's real Kite tradingsymbol (kite-connect.md §8.4): the monthly form
    /// (`NIFTY22NOV18300CE`) if `expiries` flags the expiry as its month's monthly contract,
    /// else the weekly form (`SENSEX2591180500CE`). `None` as for
    /// [`ParsedOption::listed_expiry`].
    pub fn kite_symbol(&self, expiries: &ExpiryCalendar) -> Option<String> {
        let e = self.listed_expiry(expiries)?;
        Some(kite_option_symbol(
            self.segment.option_name(),
            self.expiry,
            e.monthly,
            self.strike,
            self.option_type,
        ))
    }
}

fn split_name(s: &str) -> Option<(Segment, &str, OptionType)> {
    let (body, ot) = if let Some(b) = s.strip_suffix("CE") {
        (b, OptionType::CE)
    } else if let Some(b) = s.strip_suffix("PE") {
        (b, OptionType::PE)
    } else {
        return None;
    };
    let n = body.find(|c: char| c.is_ascii_digit())?;
    let (name, rest) = body.split_at(n);
    let segment = Segment::ALL.into_iter().find(|s| s.option_name() == name)?;
    Some((segment, rest, ot))
}

fn parse_strike(digits: &str) -> Option<Decimal> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Decimal::from_str(digits).ok()
}

/// Parse the GDFL-style file names of `nfo-ticks-2022-11-18/options/`:
/// `{NAME}{YYMMDD}{STRIKE}{CE|PE}`, e.g. `NIFTY22112418300CE` = NIFTY, 2022-11-24, 18300, CE.
/// (Not a Kite symbol: Kite writes the month as one character, and monthly contracts as
/// `NIFTY22NOV18300CE`.)
pub fn parse_yymmdd_option(s: &str) -> Option<ParsedOption> {
    let (segment, rest, option_type) = split_name(s)?;
    if rest.len() < 7 {
        return None;
    }
    let (ymd, strike) = rest.split_at(6);
    let expiry = NaiveDate::parse_from_str(&format!("20{ymd}"), "%Y%m%d").ok()?;
    Some(ParsedOption {
        segment,
        expiry,
        strike: parse_strike(strike)?,
        option_type,
    })
}

/// Parse a Kite weekly option symbol `{NAME}{YY}{M}{DD}{STRIKE}{CE|PE}` (M = `1`–`9`, `O`,
/// `N`, `D`), e.g. `SENSEX2591180500CE` = SENSEX, 2025-09-11, 80500, CE.
pub fn parse_kite_weekly_option(s: &str) -> Option<ParsedOption> {
    let (segment, rest, option_type) = split_name(s)?;
    let b = rest.as_bytes();
    if b.len() < 6 {
        return None;
    }
    let yy: i32 = rest.get(0..2)?.parse().ok()?;
    let month = match b[2] {
        c @ b'1'..=b'9' => u32::from(c - b'0'),
        b'O' => 10,
        b'N' => 11,
        b'D' => 12,
        _ => return None,
    };
    let dd: u32 = rest.get(3..5)?.parse().ok()?;
    let expiry = NaiveDate::from_ymd_opt(2000 + yy, month, dd)?;
    Some(ParsedOption {
        segment,
        expiry,
        strike: parse_strike(rest.get(5..)?)?,
        option_type,
    })
}

/// Catalog series of a continuous futures file of `nfo-ticks-2022-11-18/futures/`:
/// `NIFTY-I` → `NIFTY-FUT` (near month), `NIFTY-II` → `NIFTY-FUT2` (next month),
/// `NIFTY-III` → `NIFTY-FUT3`.
pub fn futures_series(stem: &str) -> Option<String> {
    let (name, roman) = stem.rsplit_once('-')?;
    let n = match roman {
        "I" => "",
        "II" => "2",
        "III" => "3",
        _ => return None,
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(format!("{name}-FUT{n}"))
}

// ---------------------------------------------------------------------------------------------
// Raw-file helpers

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

struct Raw {
    path: PathBuf,
    rdr: csv::Reader<Box<dyn std::io::Read>>,
    rec: csv::ByteRecord,
}

impl Raw {
    fn open(path: &Path) -> Result<Raw, CatalogError> {
        Ok(Raw {
            path: path.to_path_buf(),
            rdr: format::csv_reader(format::open_maybe_gz(path)?),
            rec: csv::ByteRecord::new(),
        })
    }

    /// Next record; `false` at the end.
    fn next(&mut self) -> Result<bool, CatalogError> {
        self.rdr
            .read_byte_record(&mut self.rec)
            .map_err(|e| csv_error(&self.path, e))
    }

    fn line(&self) -> u64 {
        line_of(&self.rec)
    }

    fn at<'a>(&'a self, field: &'a str) -> At<'a> {
        At {
            path: &self.path,
            line: self.line(),
            field,
        }
    }

    fn str(&self, i: usize, field: &str) -> Result<&str, CatalogError> {
        std::str::from_utf8(&self.rec[i]).map_err(|_| self.at(field).err("not UTF-8"))
    }

    fn expect_len(&self, n: usize) -> Result<(), CatalogError> {
        if self.rec.len() == n {
            Ok(())
        } else {
            Err(CatalogError::Row {
                path: self.path.clone(),
                line: self.line(),
                message: format!("expected {n} fields, found {}", self.rec.len()),
            })
        }
    }

    /// Read the header and return the index of each of `wanted` (by exact name).
    fn header(&mut self, wanted: &[&str]) -> Result<Vec<usize>, CatalogError> {
        let err = |raw: &Raw, found: String| CatalogError::Header {
            path: raw.path.clone(),
            line: raw.line().max(1),
            expected: format!("columns {}", wanted.join(",")),
            found,
        };
        if !self.next()? {
            return Err(err(self, "an empty file".into()));
        }
        let names: Vec<String> = self
            .rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        wanted
            .iter()
            .map(|w| {
                names
                    .iter()
                    .position(|n| n == w)
                    .ok_or_else(|| err(self, names.join(",")))
            })
            .collect()
    }

    /// Check the header equals `expected` exactly.
    fn exact_header(&mut self, expected: &[&str]) -> Result<(), CatalogError> {
        let idx = self.header(expected)?;
        if self.rec.len() == expected.len() && idx.iter().enumerate().all(|(i, j)| i == *j) {
            Ok(())
        } else {
            let found: Vec<String> = self
                .rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            Err(CatalogError::Header {
                path: self.path.clone(),
                line: self.line(),
                expected: expected.join(","),
                found: found.join(","),
            })
        }
    }

    fn decimal(&self, i: usize, field: &str) -> Result<Decimal, CatalogError> {
        parse_decimal(&self.rec[i], &self.at(field))
    }

    /// A bar at `ts` from the open, high, low and close columns `cols` (named `names` in
    /// errors), with `volume`.
    fn bar(
        &self,
        ts: IstDateTime,
        cols: [usize; 4],
        names: [&str; 4],
        volume: Option<u64>,
    ) -> Result<Bar, CatalogError> {
        Ok(Bar {
            ts,
            open: self.decimal(cols[0], names[0])?,
            high: self.decimal(cols[1], names[1])?,
            low: self.decimal(cols[2], names[2])?,
            close: self.decimal(cols[3], names[3])?,
            volume,
        })
    }

    fn opt_u64(&self, i: usize, field: &str) -> Result<Option<u64>, CatalogError> {
        parse_opt_u64(&self.rec[i], &self.at(field))
    }

    /// A field that must read `0` (index volume/OI columns that carry nothing).
    fn zero(&self, i: usize, field: &str) -> Result<(), CatalogError> {
        match self.opt_u64(i, field)? {
            Some(0) | None => Ok(()),
            Some(v) => Err(self.at(field).err(format!(
                "expected 0 (index bars carry no volume), found {v}"
            ))),
        }
    }

    /// `YYYYMMDD`.
    fn yyyymmdd(&self, i: usize, field: &str) -> Result<NaiveDate, CatalogError> {
        let s = self.str(i, field)?;
        if s.len() == 8
            && let Ok(d) = NaiveDate::parse_from_str(s, "%Y%m%d")
        {
            return Ok(d);
        }
        Err(self
            .at(field)
            .err(format!("invalid date {s:?} (expected YYYYMMDD)")))
    }

    /// `HH:MM` or `HH:MM:SS`.
    fn hhmm(&self, i: usize, field: &str) -> Result<NaiveTime, CatalogError> {
        let s = self.str(i, field)?;
        let t = match s.len() {
            5 => NaiveTime::parse_from_str(s, "%H:%M").ok(),
            8 => NaiveTime::parse_from_str(s, "%H:%M:%S").ok(),
            _ => None,
        };
        t.ok_or_else(|| {
            self.at(field)
                .err(format!("invalid time {s:?} (expected HH:MM or HH:MM:SS)"))
        })
    }

    /// `YYYY-MM-DD HH:MM:SS+05:30` or `…+0530` (any offset, converted to IST).
    fn datetime_offset(&self, i: usize, field: &str) -> Result<IstDateTime, CatalogError> {
        let s = self.str(i, field)?;
        DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%z")
            .map(|t| t.with_timezone(&IST))
            .map_err(|_| {
                self.at(field).err(format!(
                    "invalid timestamp {s:?} (expected YYYY-MM-DD HH:MM:SS+05:30)"
                ))
            })
    }
}

fn sorted_files(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, CatalogError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| CatalogError::io(dir, e))? {
        let e = e.map_err(|e| CatalogError::io(dir, e))?;
        let p = e.path();
        if p.is_file()
            && p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
        {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

fn require(path: PathBuf) -> Result<PathBuf, CatalogError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(CatalogError::File {
            path,
            message: "expected raw file not found".into(),
        })
    }
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

// ---------------------------------------------------------------------------------------------
// The sources

fn index_1min_2024(
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

/// Lower-case OHLC column names of the CSV sources that have headers.
const OHLC: [&str; 4] = ["open", "high", "low", "close"];

fn index_1min_2022_11(
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

/// The Kite symbol of `opt`, parsed from the name of `path`, or an error naming the file.
fn kite_symbol_of(
    opt: &ParsedOption,
    expiries: &ExpiryCalendar,
    path: &Path,
) -> Result<(String, bool), CatalogError> {
    match (opt.listed_expiry(expiries), opt.kite_symbol(expiries)) {
        (Some(e), Some(symbol)) => Ok((symbol, e.monthly)),
        _ => Err(CatalogError::File {
            path: path.to_path_buf(),
            message: format!(
                "{} is not a {} expiry by the domain expiry calendar",
                opt.expiry, opt.segment
            ),
        }),
    }
}

fn nfo_ticks(
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

fn futures_5min(dir: &Path, days: &mut Days, rep: &mut SourceReport) -> Result<(), CatalogError> {
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

fn index_1min_2025_12(
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

fn sensex_3min(
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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn nfo_2022_file_names_become_kite_monthly_symbols() {
        let cal = ExpiryCalendar::builtin();
        let o = parse_yymmdd_option("NIFTY22112418300CE").unwrap();
        assert_eq!(o.segment, Segment::Nifty);
        assert_eq!(o.expiry, d(2022, 11, 24));
        assert_eq!(o.strike, dec!(18300));
        assert_eq!(o.option_type, OptionType::CE);
        assert!(
            o.listed_expiry(&cal).unwrap().monthly,
            "2022-11-24 is Nov 2022's last Thursday"
        );
        assert_eq!(o.kite_symbol(&cal).unwrap(), "NIFTY22NOV18300CE");
        let b = parse_yymmdd_option("BANKNIFTY22112441500PE").unwrap();
        assert_eq!(b.kite_symbol(&cal).unwrap(), "BANKNIFTY22NOV41500PE");
        assert_eq!(
            parse_yymmdd_option("NIFTY22112417850PE")
                .unwrap()
                .kite_symbol(&cal)
                .unwrap(),
            "NIFTY22NOV17850PE"
        );
        assert!(parse_yymmdd_option("NIFTY-I").is_none());
        assert!(parse_yymmdd_option("NIFTY22133118300CE").is_none());
        assert!(
            parse_yymmdd_option("FINNIFTY22112218300CE").is_none(),
            "not a traded segment"
        );
        // A Wednesday is no NIFTY expiry in Nov 2022: no symbol rather than a guessed one.
        let wed = parse_yymmdd_option("NIFTY22112318300CE").unwrap();
        assert_eq!(wed.kite_symbol(&cal), None);
    }

    #[test]
    fn sensex_2025_09_11_is_a_weekly_expiry() {
        let cal = ExpiryCalendar::builtin();
        let o = parse_kite_weekly_option("SENSEX2591180500CE").unwrap();
        assert_eq!(o.expiry, d(2025, 9, 11));
        assert_eq!(o.strike, dec!(80500));
        assert!(!o.listed_expiry(&cal).unwrap().monthly);
        assert_eq!(
            cal.monthly_expiry(Segment::Sensex, 2025, 9),
            Some(d(2025, 9, 25))
        );
        assert_eq!(o.kite_symbol(&cal).unwrap(), "SENSEX2591180500CE");
        // October/November/December month letters
        let n = parse_kite_weekly_option("NIFTY22N1718300PE").unwrap();
        assert_eq!(n.expiry, d(2022, 11, 17));
        assert_eq!(n.kite_symbol(&cal).unwrap(), "NIFTY22N1718300PE");
        assert!(parse_kite_weekly_option("SENSEX25X1180500CE").is_none());
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
    fn futures_names() {
        assert_eq!(futures_series("NIFTY-I").as_deref(), Some("NIFTY-FUT"));
        assert_eq!(
            futures_series("BANKNIFTY-II").as_deref(),
            Some("BANKNIFTY-FUT2")
        );
        assert_eq!(futures_series("NIFTY"), None);
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
