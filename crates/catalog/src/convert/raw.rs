//! Reading the raw source files: discovery of a folder's files (sorted, by suffix) and
//! [`Raw`], a CSV record reader (plain or gzip) whose errors name the raw file, its 1-based
//! line and the source's column name.

use crate::error::CatalogError;
use crate::format::{self, At, csv_error, line_of, parse_decimal, parse_opt_u64};
use chrono::{DateTime, NaiveDate, NaiveTime};
use domain::time::{IST, IstDateTime};
use domain::{Bar, Decimal};
use std::path::{Path, PathBuf};

/// A raw CSV file being read record by record.
pub(super) struct Raw {
    pub(super) path: PathBuf,
    rdr: csv::Reader<Box<dyn std::io::Read>>,
    pub(super) rec: csv::ByteRecord,
}

impl Raw {
    /// Open a raw file (gzip if `.gz`). Records end at `\n`; a `\r` before it is trimmed with
    /// the field's whitespace. (The `csv` crate's CRLF terminator counts the lines of a CRLF
    /// file one short, BurntSushi/rust-csv#395, so errors in the CRLF stock files would name
    /// the wrong line.)
    pub(super) fn open(path: &Path) -> Result<Raw, CatalogError> {
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(64 * 1024)
            .from_reader(format::open_maybe_gz(path)?);
        Ok(Raw {
            path: path.to_path_buf(),
            rdr,
            rec: csv::ByteRecord::new(),
        })
    }

    /// Next record; `false` at the end.
    pub(super) fn next(&mut self) -> Result<bool, CatalogError> {
        self.rdr
            .read_byte_record(&mut self.rec)
            .map_err(|e| csv_error(&self.path, e))
    }

    pub(super) fn line(&self) -> u64 {
        line_of(&self.rec)
    }

    pub(super) fn at<'a>(&'a self, field: &'a str) -> At<'a> {
        At {
            path: &self.path,
            line: self.line(),
            field,
        }
    }

    pub(super) fn str(&self, i: usize, field: &str) -> Result<&str, CatalogError> {
        std::str::from_utf8(&self.rec[i]).map_err(|_| self.at(field).err("not UTF-8"))
    }

    pub(super) fn expect_len(&self, n: usize) -> Result<(), CatalogError> {
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
    pub(super) fn header(&mut self, wanted: &[&str]) -> Result<Vec<usize>, CatalogError> {
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
    pub(super) fn exact_header(&mut self, expected: &[&str]) -> Result<(), CatalogError> {
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

    pub(super) fn decimal(&self, i: usize, field: &str) -> Result<Decimal, CatalogError> {
        parse_decimal(&self.rec[i], &self.at(field))
    }

    /// A bar at `ts` from the open, high, low and close columns `cols` (named `names` in
    /// errors), with `volume`.
    pub(super) fn bar(
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

    pub(super) fn opt_u64(&self, i: usize, field: &str) -> Result<Option<u64>, CatalogError> {
        parse_opt_u64(&self.rec[i], &self.at(field))
    }

    /// A field that must read `0` (index volume/OI columns that carry nothing).
    pub(super) fn zero(&self, i: usize, field: &str) -> Result<(), CatalogError> {
        match self.opt_u64(i, field)? {
            Some(0) | None => Ok(()),
            Some(v) => Err(self.at(field).err(format!(
                "expected 0 (index bars carry no volume), found {v}"
            ))),
        }
    }

    /// `YYYYMMDD`.
    pub(super) fn yyyymmdd(&self, i: usize, field: &str) -> Result<NaiveDate, CatalogError> {
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
    pub(super) fn hhmm(&self, i: usize, field: &str) -> Result<NaiveTime, CatalogError> {
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
    pub(super) fn datetime_offset(
        &self,
        i: usize,
        field: &str,
    ) -> Result<IstDateTime, CatalogError> {
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

pub(super) fn sorted_files(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, CatalogError> {
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

pub(super) fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

pub(super) fn require(path: PathBuf) -> Result<PathBuf, CatalogError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(CatalogError::File {
            path,
            message: "expected raw file not found".into(),
        })
    }
}
