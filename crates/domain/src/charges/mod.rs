//! Charges on fills (spec §8): brokerage, STT, exchange transaction charges (with NSE's IPFT
//! contribution), SEBI turnover fee, stamp duty and GST, with effective dates, for three kinds
//! of instrument ([`ChargeKind`]): index options, futures and equity intraday (MIS).
//!
//! The built-in schedules are embedded TOML files under `crates/domain/data/` (every entry
//! cites its source; `docs/reference-data.md` §4 has the tables and the research notes):
//! `charges.toml` (index options), `charges_futures.toml`, `charges_equity_intraday.toml`.
//! Rates, percent of the fill's turnover (premium turnover for options):
//!
//! | kind, from | brokerage | STT (sell) | NSE txn + IPFT | BSE txn | stamp (buy) |
//! | --- | --- | --- | --- | --- | --- |
//! | option 2020-07-01 | ₹20 | 0.05 % | 0.05 % | 0.005 %* | 0.003 % |
//! | option 2021-01-01 | ₹20 | 0.05 % | 0.053 % | 0.005 %* | 0.003 % |
//! | option 2023-04-01 | ₹20 | 0.0625 % | 0.0495 % + ₹50/cr | 0.005 % | 0.003 % |
//! | option 2023-11-01 | ₹20 | 0.0625 % | 0.0495 % + ₹50/cr | 0.0375 %† | 0.003 % |
//! | option 2024-05-13 | ₹20 | 0.0625 % | 0.0495 % + ₹50/cr | 0.0495 %† | 0.003 % |
//! | option 2024-10-01 | ₹20 | 0.1 % | 0.03503 % + ₹50/cr | 0.0325 % | 0.003 % |
//! | option 2026-04-01 | ₹20 | 0.15 % | 0.03503 % + ₹50/cr | 0.0325 % | 0.003 % |
//! | future 2020-07-01 | min(₹20, 0.03 %) | 0.01 % | 0.0019 % | 0 | 0.002 % |
//! | future 2021-01-01 | min(₹20, 0.03 %) | 0.01 % | 0.002 % | 0 | 0.002 % |
//! | future 2023-04-01 | min(₹20, 0.03 %) | 0.0125 % | 0.00183 % + ₹10/cr | 0 | 0.002 % |
//! | future 2024-10-01 | min(₹20, 0.03 %) | 0.02 % | 0.00173 % + ₹10/cr | 0 | 0.002 % |
//! | future 2026-04-01 | min(₹20, 0.03 %) | 0.05 % | 0.00173 % + ₹10/cr | 0 | 0.002 % |
//! | equity 2020-07-01 | min(₹20, 0.03 %) | 0.025 % | 0.00325 % | 0.003 % | 0.003 % |
//! | equity 2021-01-01 | min(₹20, 0.03 %) | 0.025 % | 0.00345 % | 0.003 % | 0.003 % |
//! | equity 2022-12-01 | min(₹20, 0.03 %) | 0.025 % | 0.00345 % | 0.00375 % | 0.003 % |
//! | equity 2023-04-01 | min(₹20, 0.03 %) | 0.025 % | 0.00322 % + ₹10/cr | 0.00375 % | 0.003 % |
//! | equity 2024-10-01 | min(₹20, 0.03 %) | 0.025 % | 0.00297 % + ₹10/cr | 0.00375 % | 0.003 % |
//!
//! All kinds: SEBI ₹10 per crore, GST 18 % of brokerage + exchange (with IPFT) + SEBI; IPFT
//! before 1-Apr-2023 was ₹0.01 per crore. \* assumed (BSE's base rate; SENSEX weeklies
//! relaunched 15-May-2023). † BSE's monthly slabs per trading member: the highest slab is
//! the client rate (see `charges.toml`).
//!
//! Sources (details in the TOML `source` fields): STT — Finance Acts 2016, 2023, (No. 2) 2024
//! and 2026; NSE — the 6 % increase of 1-Jan-2021 and its roll-back with IPFT ₹10/₹50 per
//! crore from 1-Apr-2023 (circular NSE/FA/56129 of 24-Mar-2023), the flat true-to-label rates
//! of the NSE circular of 27-Sep-2024; BSE — notice 20231020-46 (slabs from 1-Nov-2023), the
//! slabs of 13-May-2024, the notice of 27-Sep-2024 (₹3,250/crore); Zerodha's charge lists and
//! N. Kamath's post of 1-Oct-2024 for what a retail client paid. A reported NSE revision
//! from 1-Mar-2026 (circular NSE/FA/73061) is not applied: its text was not found.
//!
//! # Conventions
//! - **One call per executed order** ([`ChargesSchedule::charges_for`] with
//!   `first_fill = true`): brokerage is per executed order, so pass the order's total
//!   turnover once; for further partial fills of the same order pass `first_fill = false`
//!   (no brokerage, no GST on it). With percentage brokerage (futures, equity) the cap is
//!   applied to the turnover of the call that pays it.
//! - **Exchange**: [`Exchange::is_nse_group`] picks the NSE (NSE cash, NFO) or BSE (BSE cash,
//!   BFO) rate; IPFT applies to the NSE group only. The kind, not the exchange, picks the
//!   schedule.
//! - **Rounding**: each component is rounded to the paisa (2 decimals, half away from zero)
//!   as contract notes show them; exchange charge and IPFT are summed before rounding (one
//!   contract-note line); GST is computed on the rounded brokerage + exchange + SEBI amounts,
//!   then rounded; the total is the sum of the rounded components. Real contract notes
//!   aggregate per exchange and day before rounding (and Zerodha's calculator rounds STT to the
//!   rupee), so per-fill totals can differ from a contract note by a few paise.
//! - Exercise/assignment STT on expiry and delivery (CNC) equity are out of scope (intraday
//!   engine, spec §1).

mod breakdown;
mod entry;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod worked_examples;
#[cfg(test)]
mod worked_underlying;

pub use breakdown::ChargeBreakdown;
pub use entry::{ChargesEntry, ChargesError, RateTable, parse_toml};

use crate::order::Side;
use crate::segment::Exchange;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

const OPTION_TOML: &str = include_str!("../../data/charges.toml");
const FUTURE_TOML: &str = include_str!("../../data/charges_futures.toml");
const EQUITY_INTRADAY_TOML: &str = include_str!("../../data/charges_equity_intraday.toml");

/// What a fill trades, which picks its charges schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Index (or stock) options on NFO/BFO: charges on the premium turnover.
    IndexOption,
    /// Index or stock futures on NFO/BFO: charges on the traded value.
    Future,
    /// Equity intraday (MIS) on the NSE/BSE cash market: charges on the traded value.
    EquityIntraday,
}

impl ChargeKind {
    /// All kinds, in declaration order.
    pub const ALL: [ChargeKind; 3] = [
        ChargeKind::IndexOption,
        ChargeKind::Future,
        ChargeKind::EquityIntraday,
    ];

    /// The serde name (`index_option`, `future`, `equity_intraday`).
    pub fn name(self) -> &'static str {
        match self {
            ChargeKind::IndexOption => "index_option",
            ChargeKind::Future => "future",
            ChargeKind::EquityIntraday => "equity_intraday",
        }
    }

    /// The embedded TOML of this kind's built-in schedule.
    fn builtin_toml(self) -> &'static str {
        match self {
            ChargeKind::IndexOption => OPTION_TOML,
            ChargeKind::Future => FUTURE_TOML,
            ChargeKind::EquityIntraday => EQUITY_INTRADAY_TOML,
        }
    }
}

impl fmt::Display for ChargeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Charges rates over time for every [`ChargeKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargesSchedule {
    option: RateTable,
    future: RateTable,
    equity_intraday: RateTable,
}

impl ChargesSchedule {
    /// The built-in schedules (`crates/domain/data/charges*.toml`).
    ///
    /// # Panics
    /// Never at run time: the embedded schedules are constants the unit tests validate.
    #[allow(
        clippy::expect_used,
        reason = "embedded constant data, not input: the unit tests parse and validate it, so this cannot fail at run time"
    )]
    pub fn builtin() -> Self {
        let table = |kind: ChargeKind| {
            RateTable::new(kind.name(), Self::builtin_entries_of(kind))
                .expect("embedded charges schedule is valid")
        };
        Self {
            option: table(ChargeKind::IndexOption),
            future: table(ChargeKind::Future),
            equity_intraday: table(ChargeKind::EquityIntraday),
        }
    }

    /// The built-in index-option entries (`charges.toml`; panics never, as
    /// [`ChargesSchedule::builtin`]).
    pub fn builtin_entries() -> Vec<ChargesEntry> {
        Self::builtin_entries_of(ChargeKind::IndexOption)
    }

    /// The built-in entries of `kind` (panics never, as [`ChargesSchedule::builtin`]).
    #[allow(
        clippy::expect_used,
        reason = "embedded constant data, not input: the unit tests parse and validate it, so this cannot fail at run time"
    )]
    pub fn builtin_entries_of(kind: ChargeKind) -> Vec<ChargesEntry> {
        parse_toml(kind.builtin_toml()).expect("embedded charges schedule parses")
    }

    /// Parse `[[charges]]` tables (the format of `crates/domain/data/charges*.toml`).
    pub fn parse_toml(text: &str) -> Result<Vec<ChargesEntry>, ChargesError> {
        parse_toml(text)
    }

    /// The built-in schedules with the index-option entries replaced by `entries` (any order;
    /// dates unique; rates non-negative).
    pub fn from_entries(entries: Vec<ChargesEntry>) -> Result<Self, ChargesError> {
        Self::builtin().with_entries(ChargeKind::IndexOption, entries)
    }

    /// This schedule with the entries of `kind` replaced by `entries` (validated as
    /// [`ChargesSchedule::from_entries`]).
    pub fn with_entries(
        mut self,
        kind: ChargeKind,
        entries: Vec<ChargesEntry>,
    ) -> Result<Self, ChargesError> {
        *self.table_mut(kind) = RateTable::new(kind.name(), entries)?;
        Ok(self)
    }

    fn table(&self, kind: ChargeKind) -> &RateTable {
        match kind {
            ChargeKind::IndexOption => &self.option,
            ChargeKind::Future => &self.future,
            ChargeKind::EquityIntraday => &self.equity_intraday,
        }
    }

    fn table_mut(&mut self, kind: ChargeKind) -> &mut RateTable {
        match kind {
            ChargeKind::IndexOption => &mut self.option,
            ChargeKind::Future => &mut self.future,
            ChargeKind::EquityIntraday => &mut self.equity_intraday,
        }
    }

    /// The index-option entries, by date.
    pub fn entries(&self) -> &[ChargesEntry] {
        self.option.entries()
    }

    /// The entries of `kind`, by date.
    pub fn entries_of(&self, kind: ChargeKind) -> &[ChargesEntry] {
        self.table(kind).entries()
    }

    /// The index-option entry in force on `date` (the first entry for earlier dates).
    pub fn entry_for(&self, date: NaiveDate) -> &ChargesEntry {
        self.option.entry_for(date)
    }

    /// The entry of `kind` in force on `date` (the first entry for earlier dates).
    pub fn entry_of(&self, kind: ChargeKind, date: NaiveDate) -> &ChargesEntry {
        self.table(kind).entry_for(date)
    }

    /// Charges of one fill of `kind` on `date`: `turnover` = price × quantity, ₹ (≥ 0; the
    /// premium turnover for options). `first_fill`: the call that pays the order's brokerage
    /// (see the module docs for partial fills and rounding).
    pub fn charges_for(
        &self,
        kind: ChargeKind,
        date: NaiveDate,
        exchange: Exchange,
        side: Side,
        turnover: Decimal,
        first_fill: bool,
    ) -> ChargeBreakdown {
        breakdown::compute(
            self.entry_of(kind, date),
            exchange,
            side,
            turnover,
            first_fill,
        )
    }

    /// Charges of one executed index-option order on `date`: `premium_turnover` = price ×
    /// quantity, ₹ (≥ 0). As [`Self::charges_for`] with [`ChargeKind::IndexOption`] and
    /// `first_fill = true`.
    pub fn charges_for_fill(
        &self,
        date: NaiveDate,
        exchange: Exchange,
        side: Side,
        premium_turnover: Decimal,
    ) -> ChargeBreakdown {
        self.charges_for(
            ChargeKind::IndexOption,
            date,
            exchange,
            side,
            premium_turnover,
            true,
        )
    }

    /// Charges of a further fill of an index-option order whose first fill already paid the
    /// brokerage (partial fills): as [`Self::charges_for_fill`] without brokerage and its GST.
    pub fn charges_for_later_fill(
        &self,
        date: NaiveDate,
        exchange: Exchange,
        side: Side,
        premium_turnover: Decimal,
    ) -> ChargeBreakdown {
        self.charges_for(
            ChargeKind::IndexOption,
            date,
            exchange,
            side,
            premium_turnover,
            false,
        )
    }
}

impl Default for ChargesSchedule {
    fn default() -> Self {
        Self::builtin()
    }
}
