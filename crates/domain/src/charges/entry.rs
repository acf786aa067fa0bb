//! One kind's rates over time: [`ChargesEntry`] (one `[[charges]]` table) and [`RateTable`]
//! (the entries of one [`ChargeKind`](super::ChargeKind), sorted and validated).

use crate::calendar::serde_date;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One schedule entry: all rates in force from `effective_from` (one `[[charges]]` table of
/// `crates/domain/data/charges*.toml`). Every entry repeats all rates (no inheritance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargesEntry {
    /// First date the rates apply (`YYYY-MM-DD`, quoted or a bare TOML date).
    #[serde(with = "serde_date")]
    pub effective_from: NaiveDate,
    /// Where the rates come from (free text: circulars, dates, URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Brokerage, ₹ per executed order: the flat fee, or the cap when `brokerage_pct` is set.
    pub brokerage_per_order: Decimal,
    /// Percentage brokerage, percent of the order's turnover: when set, brokerage is
    /// min(`brokerage_per_order`, turnover × `brokerage_pct` / 100) (Zerodha's "0.03 % or ₹20,
    /// whichever is lower" for equity intraday and futures). Absent: flat `brokerage_per_order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brokerage_pct: Option<Decimal>,
    /// STT on the sell side, percent of turnover (premium turnover for options).
    pub stt_sell_pct: Decimal,
    /// NSE-group (NSE cash, NFO) exchange transaction charge, percent of turnover, both sides.
    pub nse_txn_pct: Decimal,
    /// BSE-group (BSE cash, BFO) exchange transaction charge, percent of turnover, both sides.
    pub bse_txn_pct: Decimal,
    /// NSE Investor Protection Fund Trust contribution, ₹ per crore of turnover, both sides,
    /// NSE-group fills only (circular NSE/FA/56129). Reported inside the exchange transaction
    /// charge, as Zerodha's contract notes do, and subject to GST.
    pub nse_ipft_per_crore: Decimal,
    /// SEBI turnover fee, ₹ per crore (₹1,00,00,000) of turnover, both sides.
    pub sebi_per_crore: Decimal,
    /// Stamp duty on the buy side, percent of turnover.
    pub stamp_buy_pct: Decimal,
    /// GST, percent of brokerage + exchange transaction charges (with IPFT) + SEBI fee.
    pub gst_pct: Decimal,
}

impl ChargesEntry {
    /// The rate fields by name, for validation and error messages.
    fn rates(&self) -> [(&'static str, Decimal); 9] {
        [
            ("brokerage_per_order", self.brokerage_per_order),
            ("brokerage_pct", self.brokerage_pct.unwrap_or_default()),
            ("stt_sell_pct", self.stt_sell_pct),
            ("nse_txn_pct", self.nse_txn_pct),
            ("bse_txn_pct", self.bse_txn_pct),
            ("nse_ipft_per_crore", self.nse_ipft_per_crore),
            ("sebi_per_crore", self.sebi_per_crore),
            ("stamp_buy_pct", self.stamp_buy_pct),
            ("gst_pct", self.gst_pct),
        ]
    }
}

/// Error building a charges schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChargesError {
    /// No entries.
    #[error("the {kind} charges schedule has no entries")]
    Empty {
        /// Schedule kind (`index_option`, `future`, `equity_intraday`).
        kind: &'static str,
    },
    /// Two entries with the same date.
    #[error("two {kind} charges entries from {date}")]
    Duplicate {
        /// Schedule kind.
        kind: &'static str,
        /// The repeated `effective_from`.
        date: NaiveDate,
    },
    /// A negative rate.
    #[error("negative rate `{field}` in the {kind} charges entry from {effective_from}")]
    Negative {
        /// Schedule kind.
        kind: &'static str,
        /// Entry date.
        effective_from: NaiveDate,
        /// Field name.
        field: &'static str,
    },
    /// The TOML does not parse (the message names the line, column and key).
    #[error("charges schedule: {0}")]
    Parse(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargesFile {
    charges: Vec<ChargesEntry>,
}

/// Parse `[[charges]]` tables (the format of `crates/domain/data/charges*.toml`).
pub fn parse_toml(text: &str) -> Result<Vec<ChargesEntry>, ChargesError> {
    toml::from_str::<ChargesFile>(text)
        .map(|f| f.charges)
        .map_err(|e| ChargesError::Parse(e.to_string()))
}

/// The entries of one kind: sorted by `effective_from`, non-empty, dates unique, rates ≥ 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateTable {
    entries: Vec<ChargesEntry>,
}

impl RateTable {
    /// Validate `entries` (any order) for the schedule named `kind` (used in errors).
    pub fn new(kind: &'static str, mut entries: Vec<ChargesEntry>) -> Result<Self, ChargesError> {
        if entries.is_empty() {
            return Err(ChargesError::Empty { kind });
        }
        entries.sort_by_key(|e| e.effective_from);
        if let Some(w) = entries
            .windows(2)
            .find(|w| w[0].effective_from == w[1].effective_from)
        {
            return Err(ChargesError::Duplicate {
                kind,
                date: w[0].effective_from,
            });
        }
        for e in &entries {
            if let Some((field, _)) = e.rates().into_iter().find(|(_, v)| *v < Decimal::ZERO) {
                return Err(ChargesError::Negative {
                    kind,
                    effective_from: e.effective_from,
                    field,
                });
            }
        }
        Ok(Self { entries })
    }

    /// All entries, by date.
    pub fn entries(&self) -> &[ChargesEntry] {
        &self.entries
    }

    /// The entry in force on `date` (the first entry for earlier dates).
    pub fn entry_for(&self, date: NaiveDate) -> &ChargesEntry {
        self.entries
            .iter()
            .rev()
            .find(|e| e.effective_from <= date)
            .unwrap_or(&self.entries[0])
    }
}
