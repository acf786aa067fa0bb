//! The instruments master (spec §5, kite-connect.md §3.7, §8): the day's NFO/BFO dumps,
//! indexed by token and by (underlying, expiry, strike, CE/PE), and the NSE dump's `EQ` rows
//! by symbol for stock segments (issue 15: seed 001's scanner trades the share itself).
//!
//! Contracts are found in the dump, never by building a tradingsymbol; lot size and tick size
//! come from it, and a disagreement with the configured lot size or strike step refuses
//! trading ([`ContractError::Mismatch`](domain::ports::ContractError::Mismatch)).
//!
//! The CSV is parsed here from its text (not through the `kiteconnect` crate's `f64` fields), so
//! strikes and tick sizes are exact decimals. The day's dump is cached as
//! `<cache_dir>/<EXCHANGE>-<YYYY-MM-DD>.csv` and read from there on a restart.
//!
//! This module holds the master and its lookups; by job: `row` (the CSV row), `download`
//! (cache and download), `contracts` (config check, [`ContractSource`](domain::ports::ContractSource)), `verify` (index tokens).

use crate::error::KiteError;
use chrono::NaiveDate;
use domain::{OptionType, Segment};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

mod contracts;
mod download;
mod row;
mod verify;

pub use download::cache_path;
use row::CsvRow;
pub use row::InstrumentRow;
pub use verify::{VerifyError, quote_key, verify_index_tokens};

/// Errors loading the dump.
#[derive(Debug, thiserror::Error)]
pub enum InstrumentsError {
    /// A row did not parse (line number, reason).
    #[error("instruments CSV {source_name} line {line}: {reason}")]
    BadRow {
        /// File or `api:<EXCHANGE>`.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// File I/O.
    #[error("instruments file {path}: {reason}")]
    Io {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Download failed.
    #[error("instruments download: {0}")]
    Kite(#[from] KiteError),
}

/// The instruments master. Implements [`ContractSource`](domain::ports::ContractSource) for option selection (spec §5).
#[derive(Debug, Clone, Default)]
pub struct InstrumentsMaster {
    rows: HashMap<u32, InstrumentRow>,
    options: BTreeMap<(Segment, NaiveDate, Decimal, u8), u32>,
    /// NSE cash-market shares (`exchange` NSE, `segment` NSE, `instrument_type` EQ) by
    /// tradingsymbol.
    equities: HashMap<String, u32>,
    /// Index futures (`instrument_type` FUT of NIFTY/BANKNIFTY/SENSEX on NFO/BFO) by
    /// (underlying, expiry).
    futures: BTreeMap<(Segment, NaiveDate), u32>,
    /// The trading date the dumps are of (set by `load`).
    date: Option<NaiveDate>,
    expected_lots: BTreeMap<Segment, u32>,
    expected_steps: BTreeMap<Segment, Decimal>,
}

fn ot_code(t: OptionType) -> u8 {
    match t {
        OptionType::CE => 0,
        OptionType::PE => 1,
        OptionType::FUT => 2,
        OptionType::EQ => 3,
    }
}

impl InstrumentsMaster {
    /// An empty master.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse a dump (CSV with Kite's header) and add its rows. `source_name` names it in
    /// errors. Returns the number of rows read.
    ///
    /// # Errors
    /// [`InstrumentsError::BadRow`] naming the line.
    pub fn add_csv<R: Read>(
        &mut self,
        source_name: &str,
        reader: R,
    ) -> Result<usize, InstrumentsError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let mut n = 0;
        for rec in rdr.deserialize::<CsvRow>() {
            let bad = |line: u64, reason: String| InstrumentsError::BadRow {
                source_name: source_name.to_string(),
                line,
                reason,
            };
            let raw = rec.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                bad(line, e.to_string())
            })?;
            let row = InstrumentRow::try_from(raw).map_err(|r| bad(n as u64 + 2, r))?;
            self.insert(row);
            n += 1;
        }
        Ok(n)
    }

    /// Read a cached dump file.
    ///
    /// # Errors
    /// I/O or parse errors naming the file.
    pub fn add_csv_file(&mut self, path: &Path) -> Result<usize, InstrumentsError> {
        let f = std::fs::File::open(path).map_err(|e| InstrumentsError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        self.add_csv(&path.display().to_string(), std::io::BufReader::new(f))
    }

    fn insert(&mut self, row: InstrumentRow) {
        if let (Some(seg), Some(ot), Some(exp)) = (row.underlying(), row.option_type(), row.expiry)
        {
            self.options
                .insert((seg, exp, row.strike, ot_code(ot)), row.instrument_token);
        }
        if row.instrument_type == "FUT"
            && let (Some(seg), Some(exp)) = (row.underlying(), row.expiry)
        {
            self.futures.insert((seg, exp), row.instrument_token);
        }
        if row.is_nse_equity() {
            self.equities
                .insert(row.tradingsymbol.clone(), row.instrument_token);
        }
        self.rows.insert(row.instrument_token, row);
    }

    /// Set the configured lot sizes and strike steps (`lot_sizes`/`strike_steps` of
    /// [`crate::settings::KiteSettings`], keyed by segment code) to check the dump against.
    pub fn with_expectations_from(mut self, s: &crate::settings::KiteSettings) -> Self {
        for (k, v) in &s.lot_sizes {
            if let Ok(seg) = k.parse::<Segment>() {
                self.expected_lots.insert(seg, *v);
            }
        }
        for (k, v) in &s.strike_steps {
            if let Ok(seg) = k.parse::<Segment>() {
                self.expected_steps.insert(seg, *v);
            }
        }
        self
    }

    /// Expect `lot` units per lot for `segment` (from config; spec §5).
    pub fn expect_lot_size(&mut self, segment: Segment, lot: u32) {
        self.expected_lots.insert(segment, lot);
    }

    /// Expect strike step `step` for `segment` (from config; spec §5).
    pub fn expect_strike_step(&mut self, segment: Segment, step: Decimal) {
        self.expected_steps.insert(segment, step);
    }

    /// The trading date of the loaded dumps (set by [`InstrumentsMaster::load`] or
    /// [`InstrumentsMaster::for_date`]).
    pub fn trading_date(&self) -> Option<NaiveDate> {
        self.date
    }

    /// Mark the dumps as `date`'s (a share's contract expires the day it is traded, MIS).
    pub fn for_date(mut self, date: NaiveDate) -> Self {
        self.date = Some(date);
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row of a token.
    pub fn by_token(&self, token: u32) -> Option<&InstrumentRow> {
        self.rows.get(&token)
    }

    /// The option row of (underlying, expiry, strike, type).
    pub fn option_row(
        &self,
        segment: Segment,
        expiry: NaiveDate,
        strike: Decimal,
        option_type: OptionType,
    ) -> Option<&InstrumentRow> {
        self.options
            .get(&(segment, expiry, strike.normalize(), ot_code(option_type)))
            .and_then(|t| self.rows.get(t))
    }

    /// The NSE `EQ` row of a share (`RELIANCE`), if the loaded dumps have it (the NSE dump
    /// does, kite-connect.md §3.7).
    pub fn equity_row(&self, symbol: &str) -> Option<&InstrumentRow> {
        self.equities.get(symbol).and_then(|t| self.rows.get(t))
    }

    /// The near-month future of index `segment` traded on `date` (kite-connect.md §8.4): the
    /// `FUT` row with the nearest expiry on or after `date`; `nth` = 1 for the next month's,
    /// 2 for the one after. `None` when the loaded dumps list no such future (a stock, or the
    /// NFO/BFO dump not loaded).
    pub fn future_row(
        &self,
        segment: Segment,
        date: NaiveDate,
        nth: usize,
    ) -> Option<&InstrumentRow> {
        self.futures
            .range((segment, date)..=(segment, NaiveDate::MAX))
            .nth(nth)
            .and_then(|(_, t)| self.rows.get(t))
    }

    /// The `instrument_token` an agent of `segment` watches: an index's own token (the
    /// `INDICES` row when loaded, else its well-known token, kite-connect.md §7.4), a stock's
    /// NSE `EQ` token from the dump; `None` for a stock the dump does not list.
    pub fn watch_token(&self, segment: Segment) -> Option<u32> {
        match segment.symbol() {
            Some(sym) => self.equity_row(sym.as_str()).map(|r| r.instrument_token),
            None => self.index_token(segment).or(segment.index_token()),
        }
    }

    /// Option expiries of `segment`, ascending.
    pub fn expiries(&self, segment: Segment) -> Vec<NaiveDate> {
        let set: BTreeSet<NaiveDate> = self
            .options
            .keys()
            .filter(|k| k.0 == segment)
            .map(|k| k.1)
            .collect();
        set.into_iter().collect()
    }

    /// The nearest expiry on or after `date` (after it when `skip_expiry_day` and the nearest
    /// is `date` itself; spec §5). Holiday shifts are already in the dump (kite-connect.md §8.7).
    pub fn nearest_expiry(
        &self,
        segment: Segment,
        date: NaiveDate,
        skip_expiry_day: bool,
    ) -> Option<NaiveDate> {
        self.expiries(segment)
            .into_iter()
            .find(|e| *e > date || (*e == date && !skip_expiry_day))
    }

    /// Distinct strikes of `segment`'s options of `expiry`, ascending.
    pub fn strikes(&self, segment: Segment, expiry: NaiveDate) -> Vec<Decimal> {
        let set: BTreeSet<Decimal> = self
            .options
            .range((segment, expiry, Decimal::MIN, 0)..=(segment, expiry, Decimal::MAX, 1))
            .map(|(k, _)| k.2)
            .collect();
        set.into_iter().collect()
    }

    /// The strike step of an expiry (kite-connect.md §8.5): the smallest gap among the ~20
    /// strikes nearest `near` (the index price), or, without a price, the most common gap.
    pub fn strike_step(
        &self,
        segment: Segment,
        expiry: NaiveDate,
        near: Option<Decimal>,
    ) -> Option<Decimal> {
        let mut strikes = self.strikes(segment, expiry);
        if strikes.len() < 2 {
            return None;
        }
        if let Some(p) = near {
            strikes.sort_by_key(|s| (*s - p).abs());
            strikes.truncate(21);
            strikes.sort();
            return strikes.windows(2).map(|w| w[1] - w[0]).min();
        }
        let mut counts: BTreeMap<Decimal, usize> = BTreeMap::new();
        for w in strikes.windows(2) {
            *counts.entry(w[1] - w[0]).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(g, _)| g)
    }

    /// The token of an index from `INDICES` rows, if the loaded dumps have them (the NFO/BFO
    /// dumps do not; use [`verify_index_tokens`] then).
    pub fn index_token(&self, segment: Segment) -> Option<u32> {
        let exch = if segment.exchange().is_nse_group() {
            "NSE"
        } else {
            "BSE"
        };
        self.rows
            .values()
            .find(|r| {
                r.segment == "INDICES"
                    && r.exchange == exch
                    && r.tradingsymbol == segment.index_symbol()
            })
            .map(|r| r.instrument_token)
    }
}
