//! One row of the instruments dump and its CSV form: parsed from text so strikes and tick
//! sizes are exact decimals (kite-connect.md §3.7).

use chrono::NaiveDate;
use domain::{OptionType, Segment};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
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

    /// An NSE cash-market share: exchange `NSE`, segment `NSE`, instrument type `EQ` (the
    /// index rows of the NSE dump are `EQ` too, but of segment `INDICES`).
    pub fn is_nse_equity(&self) -> bool {
        self.exchange == "NSE" && self.segment == "NSE" && self.instrument_type == "EQ"
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
pub(super) struct CsvRow {
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
