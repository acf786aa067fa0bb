//! Loading the real NIFTY 2024 1-minute index data and aggregating it into 5-minute candles
//! (spec §3.1 rules 2–3), for the reference tests of this crate and for `benches/indicators.rs`
//! (which includes this file by path). Everything is relative to a repository root passed in,
//! never a machine path.
//!
//! Sources, in order:
//! 1. the raw upstream file `<repo>/../shared/data/index-1min-2024/NIFTY_2024.csv`
//!    (`Instrument,Date,Time,Open,High,Low,Close`, `Date` = `YYYYMMDD`, `Time` = `HH:MM` IST,
//!    label = bar start);
//! 2. the repository's catalog `<repo>/data/NIFTY/2024-MM-DD.csv`
//!    (`timestamp,open,high,low,close,volume`, `2024-06-03T09:15:00+05:30`).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)] // each including target uses a different subset

use std::fmt;
use std::path::{Path, PathBuf};

/// Session open 09:15 and last regular 1-minute bar 15:29, in minutes after midnight IST.
pub const SESSION_OPEN: u32 = 9 * 60 + 15;
pub const LAST_BAR: u32 = 15 * 60 + 29;

/// One 1-minute bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Bar start, minutes after midnight IST.
    pub minute: u32,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
}

/// A completed timeframe candle.
#[derive(Debug, Clone, PartialEq)]
pub struct Candle {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Candle start, minutes after midnight IST.
    pub start: u32,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
}

impl Candle {
    /// The candle start as in the catalog and the golden files: `2024-06-03T09:15:00+05:30`.
    pub fn start_iso(&self) -> String {
        format!(
            "{}T{:02}:{:02}:00+05:30",
            self.date,
            self.start / 60,
            self.start % 60
        )
    }
}

/// Where the 1-minute data came from.
#[derive(Debug, Clone)]
pub enum Source {
    SharedRaw(PathBuf),
    Catalog(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::SharedRaw(p) => write!(f, "raw upstream file {}", p.display()),
            Source::Catalog(p) => write!(f, "data catalog {}", p.display()),
        }
    }
}

/// The raw upstream file, relative to the repository root.
pub fn shared_raw_path(repo: &Path) -> PathBuf {
    repo.join("../shared/data/index-1min-2024/NIFTY_2024.csv")
}

/// The catalog series folder, relative to the repository root.
pub fn catalog_dir(repo: &Path) -> PathBuf {
    repo.join("data/NIFTY")
}

/// Loads the NIFTY 2024 1-minute bars inside the session (09:15–15:29; this also drops the
/// post-close artefacts of 2024-01-20), in time order. `Err` explains what was looked for.
pub fn load_nifty_1m(repo: &Path) -> Result<(Source, Vec<Bar>), String> {
    let raw = shared_raw_path(repo);
    let catalog = catalog_dir(repo);
    let (source, bars) = if raw.is_file() {
        (Source::SharedRaw(raw.clone()), read_raw(&raw)?)
    } else if let Some(files) = catalog_files(&catalog)? {
        let mut bars = Vec::new();
        for file in &files {
            bars.extend(read_catalog_file(file)?);
        }
        (Source::Catalog(catalog.clone()), bars)
    } else {
        return Err(format!(
            "NIFTY 2024 1-minute data not found: neither {} nor any {}/2024-MM-DD.csv exists",
            raw.display(),
            catalog.display()
        ));
    };
    let bars: Vec<Bar> = bars
        .into_iter()
        .filter(|b| (SESSION_OPEN..=LAST_BAR).contains(&b.minute))
        .collect();
    if bars.is_empty() {
        return Err(format!("{source}: no bars inside 09:15–15:29"));
    }
    for pair in bars.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if (a.date.as_str(), a.minute) >= (b.date.as_str(), b.minute) {
            return Err(format!(
                "{source}: bars out of order or duplicated at {} {} → {} {}",
                a.date, a.minute, b.date, b.minute
            ));
        }
    }
    Ok((source, bars))
}

fn parse_f64(s: &str, what: &str, at: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|e| format!("{at}: bad {what} {s:?}: {e}"))
}

fn parse_hhmm(s: &str, at: &str) -> Result<u32, String> {
    let bad = || format!("{at}: bad time {s:?}");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    (h < 24 && m < 60).then_some(h * 60 + m).ok_or_else(bad)
}

fn read_raw(path: &Path) -> Result<Vec<Bar>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bars = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let at = format!("{} row {}", path.display(), i + 2);
        let r = record.map_err(|e| format!("{at}: {e}"))?;
        if r.len() < 7 {
            return Err(format!("{at}: expected 7 columns, got {}", r.len()));
        }
        let d = r[1].trim();
        if d.len() != 8 || !d.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{at}: bad date {d:?}"));
        }
        bars.push(Bar {
            date: format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8]),
            minute: parse_hhmm(r[2].trim(), &at)?,
            open: parse_f64(&r[3], "open", &at)?,
            high: parse_f64(&r[4], "high", &at)?,
            low: parse_f64(&r[5], "low", &at)?,
            close: parse_f64(&r[6], "close", &at)?,
        });
    }
    Ok(bars)
}

/// The catalog's 2024 files `2024-MM-DD.csv` (the series also holds other years), sorted, or
/// `None` if there are none.
fn catalog_files(dir: &Path) -> Result<Option<Vec<PathBuf>>, String> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.len() == 14 && n.ends_with(".csv") && n.starts_with("2024-"))
        })
        .collect();
    files.sort();
    Ok((!files.is_empty()).then_some(files))
}

fn read_catalog_file(path: &Path) -> Result<Vec<Bar>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bars = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let at = format!("{} row {}", path.display(), i + 2);
        let r = record.map_err(|e| format!("{at}: {e}"))?;
        if r.len() < 5 {
            return Err(format!(
                "{at}: expected at least 5 columns, got {}",
                r.len()
            ));
        }
        // 2024-06-03T09:15:00+05:30
        let ts = r[0].trim();
        if ts.len() != 25 || &ts[10..11] != "T" || !ts.ends_with("+05:30") {
            return Err(format!(
                "{at}: bad timestamp {ts:?} (want YYYY-MM-DDTHH:MM:SS+05:30)"
            ));
        }
        bars.push(Bar {
            date: ts[0..10].to_string(),
            minute: parse_hhmm(&ts[11..16], &at)?,
            open: parse_f64(&r[1], "open", &at)?,
            high: parse_f64(&r[2], "high", &at)?,
            low: parse_f64(&r[3], "low", &at)?,
            close: parse_f64(&r[4], "close", &at)?,
        });
    }
    Ok(bars)
}

/// Aggregates 1-minute bars (in time order, inside the session) into candles of `minutes`
/// aligned to 09:15: open = first open, high = max, low = min, close = last close.
pub fn aggregate(bars: &[Bar], minutes: u32) -> Vec<Candle> {
    let mut candles: Vec<Candle> = Vec::new();
    for bar in bars {
        let start = SESSION_OPEN + (bar.minute - SESSION_OPEN) / minutes * minutes;
        match candles.last_mut() {
            Some(c) if c.date == bar.date && c.start == start => {
                c.high = c.high.max(bar.high);
                c.low = c.low.min(bar.low);
                c.close = bar.close;
            }
            _ => candles.push(Candle {
                date: bar.date.clone(),
                start,
                open: bar.open,
                high: bar.high,
                low: bar.low,
                close: bar.close,
            }),
        }
    }
    candles
}

/// The NIFTY 2024 5-minute candles, or `Err` if no data source exists.
pub fn nifty_5m(repo: &Path) -> Result<(Source, Vec<Candle>), String> {
    let (source, bars) = load_nifty_1m(repo)?;
    Ok((source, aggregate(&bars, 5)))
}

/// The sessions (dates present in the data) in order.
pub fn sessions(candles: &[Candle]) -> Vec<String> {
    let mut dates: Vec<String> = Vec::new();
    for c in candles {
        if dates.last() != Some(&c.date) {
            dates.push(c.date.clone());
        }
    }
    dates
}

/// The golden indicator file: `<repo>/tests/golden/<name>` if the lead has copied it there,
/// else `<repo>/../shared/golden/<name>`.
pub fn golden_file(repo: &Path, name: &str) -> Result<PathBuf, String> {
    let copied = repo.join("tests/golden").join(name);
    let shared = repo.join("../shared/golden").join(name);
    if copied.is_file() {
        Ok(copied)
    } else if shared.is_file() {
        Ok(shared)
    } else {
        Err(format!(
            "golden file {name} not found: neither {} nor {} exists",
            copied.display(),
            shared.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(date: &str, minute: u32, o: f64, h: f64, l: f64, c: f64) -> Bar {
        Bar {
            date: date.to_string(),
            minute,
            open: o,
            high: h,
            low: l,
            close: c,
        }
    }

    #[test]
    fn aggregates_to_5m_aligned_to_0915() {
        let d = "2024-06-03";
        let bars = [
            bar(d, 555, 10.0, 12.0, 9.0, 11.0),  // 09:15
            bar(d, 559, 11.0, 15.0, 10.0, 14.0), // 09:19
            bar(d, 560, 14.0, 14.5, 13.0, 13.5), // 09:20 → next candle
            bar("2024-06-04", 555, 1.0, 2.0, 0.5, 1.5),
        ];
        let candles = aggregate(&bars, 5);
        assert_eq!(candles.len(), 3);
        assert_eq!(candles[0].start_iso(), "2024-06-03T09:15:00+05:30");
        assert_eq!(
            (
                candles[0].open,
                candles[0].high,
                candles[0].low,
                candles[0].close
            ),
            (10.0, 15.0, 9.0, 14.0)
        );
        assert_eq!(candles[1].start_iso(), "2024-06-03T09:20:00+05:30");
        assert_eq!(candles[2].date, "2024-06-04");
        assert_eq!(sessions(&candles), ["2024-06-03", "2024-06-04"]);
    }
}
