//! The instruments master (spec §5, kite-connect.md §3.7, §8): the day's NFO/BFO dumps,
//! indexed by token and by (underlying, expiry, strike, CE/PE).
//!
//! Contracts are found in the dump, never by building a tradingsymbol; lot size and tick size
//! come from it, and a disagreement with the configured lot size or strike step refuses
//! trading ([`ContractError::Mismatch`]).
//!
//! The CSV is parsed here from its text (not through the `kiteconnect` crate's `f64` fields), so
//! strikes and tick sizes are exact decimals. The day's dump is cached as
//! `<cache_dir>/<EXCHANGE>-<YYYY-MM-DD>.csv` and read from there on a restart.

use crate::client::KiteClient;
use crate::error::KiteError;
use crate::limits::EndpointClass;
use chrono::NaiveDate;
use domain::ports::{ContractError, ContractSource};
use domain::{Exchange, OptionContract, OptionType, Segment};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One row of the instruments dump (kite-connect.md §3.7), prices exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentRow {
    /// Kite `instrument_token` (WebSocket, historical).
    pub instrument_token: u32,
    /// The exchange's own id (`instrument_token >> 8`).
    pub exchange_token: u32,
    /// e.g. `NIFTY2460622500CE`, `NIFTY 50`.
    pub tradingsymbol: String,
    /// Underlying/company name, e.g. `NIFTY` (may be empty in old dumps).
    pub name: String,
    /// Expiry date for derivatives.
    pub expiry: Option<NaiveDate>,
    /// Strike, index points (0 for non-options).
    pub strike: Decimal,
    /// Price tick, ₹.
    pub tick_size: Decimal,
    /// Contract lot, units (0 for indices).
    pub lot_size: u32,
    /// `EQ`, `FUT`, `CE`, `PE`.
    pub instrument_type: String,
    /// `NFO-OPT`, `BFO-OPT`, `INDICES`, …
    pub segment: String,
    /// `NSE`, `BSE`, `NFO`, `BFO`, …
    pub exchange: String,
}

impl InstrumentRow {
    /// CE/PE for option rows.
    pub fn option_type(&self) -> Option<OptionType> {
        match self.instrument_type.as_str() {
            "CE" => Some(OptionType::CE),
            "PE" => Some(OptionType::PE),
            _ => None,
        }
    }

    /// The traded index this option/future belongs to: the `name` column (`NIFTY`,
    /// `BANKNIFTY`, `SENSEX`); when an old dump leaves `name` empty, the tradingsymbol prefix
    /// followed by a digit (`BANKNIFTY18JAN…`). The exchange must be the segment's (NFO/BFO).
    pub fn underlying(&self) -> Option<Segment> {
        let by_name = Segment::ALL
            .into_iter()
            .find(|s| s.option_name() == self.name.trim());
        let seg = by_name.or_else(|| {
            if !self.name.trim().is_empty() {
                return None;
            }
            Segment::ALL.into_iter().find(|s| {
                self.tradingsymbol
                    .strip_prefix(s.option_name())
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| c.is_ascii_digit())
            })
        })?;
        (self.exchange == seg.exchange().to_string()).then_some(seg)
    }
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    instrument_token: String,
    exchange_token: String,
    tradingsymbol: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    expiry: String,
    #[serde(default)]
    strike: String,
    #[serde(default)]
    tick_size: String,
    #[serde(default)]
    lot_size: String,
    #[serde(default)]
    instrument_type: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    exchange: String,
}

fn dec(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(Decimal::ZERO);
    }
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map(|d| d.normalize())
        .map_err(|_| format!("`{t}` is not a number"))
}

impl TryFrom<CsvRow> for InstrumentRow {
    type Error = String;
    fn try_from(r: CsvRow) -> Result<Self, String> {
        let lot = dec(&r.lot_size)?;
        let lot_size = lot
            .trunc()
            .to_u32()
            .ok_or_else(|| format!("lot_size `{}` out of range", r.lot_size))?;
        Ok(Self {
            instrument_token: r
                .instrument_token
                .trim()
                .parse()
                .map_err(|_| format!("instrument_token `{}`", r.instrument_token))?,
            exchange_token: r.exchange_token.trim().parse().unwrap_or(0),
            tradingsymbol: r.tradingsymbol,
            name: r.name,
            expiry: match r.expiry.trim() {
                "" => None,
                e => Some(
                    NaiveDate::parse_from_str(e, "%Y-%m-%d")
                        .map_err(|_| format!("expiry `{e}`"))?,
                ),
            },
            strike: dec(&r.strike)?,
            tick_size: dec(&r.tick_size)?,
            lot_size,
            instrument_type: r.instrument_type,
            segment: r.segment,
            exchange: r.exchange,
        })
    }
}

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

/// The instruments master. Implements [`ContractSource`] for option selection (spec §5).
#[derive(Debug, Clone, Default)]
pub struct InstrumentsMaster {
    rows: HashMap<u32, InstrumentRow>,
    options: BTreeMap<(Segment, NaiveDate, Decimal, u8), u32>,
    expected_lots: BTreeMap<Segment, u32>,
    expected_steps: BTreeMap<Segment, Decimal>,
}

fn ot_code(t: OptionType) -> u8 {
    match t {
        OptionType::CE => 0,
        OptionType::PE => 1,
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
        self.rows.insert(row.instrument_token, row);
    }

    /// The day's dumps of `exchanges` (NFO for NIFTY/BANKNIFTY, BFO for SENSEX): from the
    /// cache file of `date` when present, else downloaded (`GET /instruments/{exchange}`,
    /// kite-connect.md §3.7) and cached. Expected lot sizes and strike steps come from
    /// `client.settings()`.
    ///
    /// # Errors
    /// Download, I/O or parse errors.
    pub async fn load(
        client: &KiteClient,
        exchanges: &[Exchange],
        date: NaiveDate,
    ) -> Result<Self, InstrumentsError> {
        let mut m = Self::new().with_expectations_from(client.settings());
        let dir = crate::session::expand_home(&client.settings().instruments_cache_dir);
        for ex in exchanges {
            let path = cache_path(&dir, *ex, date);
            if path.exists() {
                let n = m.add_csv_file(&path)?;
                tracing::info!(target: "kite", exchange = %ex, rows = n, file = %path.display(), "instruments from cache");
                continue;
            }
            let body = download(client, *ex).await?;
            let n = m.add_csv(&format!("api:{ex}"), body.as_slice())?;
            if let Err(e) = write_cache(&path, &body) {
                tracing::warn!(target: "kite", file = %path.display(), error = %e, "cannot cache instruments dump");
            }
            tracing::info!(target: "kite", exchange = %ex, rows = n, "instruments downloaded");
        }
        Ok(m)
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
        let exch = match segment.exchange() {
            Exchange::NFO => "NSE",
            Exchange::BFO => "BSE",
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

    /// Check the dump against the configuration before trading `segment` on `date`: an expiry
    /// exists, its lot size equals the configured one, and the strike step (near `spot` when
    /// given) equals the configured one.
    ///
    /// # Errors
    /// [`ContractError::NotFound`] or [`ContractError::Mismatch`]: refuse to trade.
    pub fn check_config(
        &self,
        segment: Segment,
        date: NaiveDate,
        skip_expiry_day: bool,
        spot: Option<Decimal>,
    ) -> Result<(), ContractError> {
        let expiry = self
            .nearest_expiry(segment, date, skip_expiry_day)
            .ok_or_else(|| {
                ContractError::NotFound(format!(
                    "{segment}: no option expiry on or after {date} in the instruments dump"
                ))
            })?;
        if let Some(&lot) = self.expected_lots.get(&segment) {
            let lots: BTreeSet<u32> = self
                .options
                .range((segment, expiry, Decimal::MIN, 0)..=(segment, expiry, Decimal::MAX, 1))
                .filter_map(|(_, t)| self.rows.get(t))
                .map(|r| r.lot_size)
                .collect();
            if lots.iter().any(|l| *l != lot) {
                return Err(ContractError::Mismatch(format!(
                    "{segment} {expiry}: instruments dump lot size {lots:?} != configured {lot}"
                )));
            }
        }
        if let Some(&step) = self.expected_steps.get(&segment)
            && let Some(found) = self.strike_step(segment, expiry, spot)
            && found != step
        {
            return Err(ContractError::Mismatch(format!(
                "{segment} {expiry}: instruments dump strike step {found} != configured {step}"
            )));
        }
        Ok(())
    }

    fn contract_from_row(
        &self,
        segment: Segment,
        row: &InstrumentRow,
    ) -> Result<OptionContract, ContractError> {
        if let Some(&lot) = self.expected_lots.get(&segment)
            && lot != row.lot_size
        {
            return Err(ContractError::Mismatch(format!(
                "{}: instruments dump lot size {} != configured {lot}",
                row.tradingsymbol, row.lot_size
            )));
        }
        if row.lot_size == 0 || row.tick_size <= Decimal::ZERO {
            return Err(ContractError::Mismatch(format!(
                "{}: dump has lot size {} / tick size {}",
                row.tradingsymbol, row.lot_size, row.tick_size
            )));
        }
        Ok(OptionContract {
            segment,
            exchange: segment.exchange(),
            expiry: row.expiry.ok_or_else(|| {
                ContractError::NotFound(format!("{} has no expiry", row.tradingsymbol))
            })?,
            strike: row.strike,
            option_type: row.option_type().ok_or_else(|| {
                ContractError::NotFound(format!("{} is not an option", row.tradingsymbol))
            })?,
            lot_size: row.lot_size,
            tick_size: row.tick_size,
            tradingsymbol: row.tradingsymbol.clone(),
            instrument_token: Some(row.instrument_token),
        })
    }

    /// The contract of a token (e.g. reconciling a position), checked like any other.
    ///
    /// # Errors
    /// Not an option of a traded segment, or a mismatch.
    pub fn contract_by_token(&self, token: u32) -> Result<OptionContract, ContractError> {
        let row = self.by_token(token).ok_or_else(|| {
            ContractError::NotFound(format!("token {token} not in the instruments dump"))
        })?;
        let seg = row.underlying().ok_or_else(|| {
            ContractError::NotFound(format!(
                "{} is not a NIFTY/BANKNIFTY/SENSEX contract",
                row.tradingsymbol
            ))
        })?;
        self.contract_from_row(seg, row)
    }
}

impl ContractSource for InstrumentsMaster {
    fn option_contract(
        &self,
        segment: Segment,
        trade_date: NaiveDate,
        strike: Decimal,
        option_type: OptionType,
        skip_expiry_day: bool,
    ) -> Result<OptionContract, ContractError> {
        let expiry = self
            .nearest_expiry(segment, trade_date, skip_expiry_day)
            .ok_or_else(|| {
                ContractError::NotFound(format!(
                    "{segment}: no option expiry on or after {trade_date} in the instruments dump"
                ))
            })?;
        let row = self
            .option_row(segment, expiry, strike, option_type)
            .ok_or_else(|| {
                let strikes = self.strikes(segment, expiry);
                let near: Vec<String> = {
                    let mut s = strikes.clone();
                    s.sort_by_key(|x| (*x - strike).abs());
                    s.into_iter().take(4).map(|d| d.to_string()).collect()
                };
                ContractError::NotFound(format!(
                    "{segment} {expiry} {strike} {option_type} is not in the instruments dump (nearest listed strikes: {})",
                    near.join(", ")
                ))
            })?;
        self.contract_from_row(segment, row)
    }
}

/// Cache file of an exchange's dump for a date.
pub fn cache_path(dir: &Path, exchange: Exchange, date: NaiveDate) -> PathBuf {
    dir.join(format!("{exchange}-{date}.csv"))
}

fn write_cache(path: &Path, body: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = path.with_extension("csv.tmp");
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

async fn download(client: &KiteClient, exchange: Exchange) -> Result<Vec<u8>, KiteError> {
    let ex = exchange.to_string();
    let raw = client
        .read(EndpointClass::Other, "instruments", |k| {
            let ex = ex.clone();
            async move { k.instruments_by_exchange(&ex).response().await }
        })
        .await?;
    let body = raw.body().to_vec();
    if body.trim_ascii_start().starts_with(b"{") {
        // Kite may answer a CSV endpoint with a JSON error envelope and HTTP 200.
        #[derive(Deserialize)]
        struct Env {
            message: Option<String>,
            error_type: Option<String>,
        }
        let env: Env = serde_json::from_slice(&body).map_err(|_| {
            KiteError::Decode("instruments response is neither CSV nor JSON".into())
        })?;
        let msg = kiteconnect::error::sanitize_error(&env.message.unwrap_or_default());
        return Err(match env.error_type.as_deref() {
            Some("TokenException") => KiteError::SessionInvalid(msg),
            _ => KiteError::Server(msg),
        });
    }
    Ok(body)
}

/// Confirm the index tokens of spec §3 / kite-connect.md §8.3 (NIFTY 50 256265, NIFTY BANK
/// 260105, SENSEX 265) with one `GET /quote/ltp` (the NFO/BFO dumps hold no index rows).
///
/// # Errors
/// [`ContractError::Mismatch`] naming the index when Kite reports another token or none.
pub async fn verify_index_tokens(
    client: &KiteClient,
    segments: &[Segment],
) -> Result<(), VerifyError> {
    let keys: Vec<String> = segments.iter().map(|s| quote_key(*s)).collect();
    let quotes = client
        .read(EndpointClass::Quote, "ltp", |k| {
            let keys = keys.clone();
            async move {
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                k.ltp(&refs).await
            }
        })
        .await?;
    for s in segments {
        let key = quote_key(*s);
        match quotes.get(&key) {
            Some(q) if q.instrument_token == s.index_token() => {}
            Some(q) => {
                return Err(VerifyError::Contract(ContractError::Mismatch(format!(
                    "{key}: Kite token {} != expected {}",
                    q.instrument_token,
                    s.index_token()
                ))));
            }
            None => {
                return Err(VerifyError::Contract(ContractError::NotFound(format!(
                    "{key}: not returned by /quote/ltp"
                ))));
            }
        }
    }
    Ok(())
}

/// `NSE:NIFTY 50`, `NSE:NIFTY BANK`, `BSE:SENSEX` (kite-connect.md §8.3).
pub fn quote_key(segment: Segment) -> String {
    let exch = match segment.exchange() {
        Exchange::NFO => "NSE",
        Exchange::BFO => "BSE",
    };
    format!("{exch}:{}", segment.index_symbol())
}

/// Failure of [`verify_index_tokens`].
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Kite could not be asked.
    #[error(transparent)]
    Kite(#[from] KiteError),
    /// Kite disagrees.
    #[error(transparent)]
    Contract(#[from] ContractError),
}
