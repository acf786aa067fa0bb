//! Charges on index-option fills (spec §8): brokerage, STT, exchange transaction charges, SEBI
//! turnover fee, stamp duty and GST, with effective dates.
//!
//! The built-in schedule is `crates/domain/data/charges.toml` (embedded; every entry cites its
//! source). Rates, as percent of the fill's premium turnover (price × quantity, ₹):
//!
//! | from | brokerage | STT (sell) | NSE txn | BSE txn | SEBI | stamp (buy) | GST |
//! | --- | --- | --- | --- | --- | --- | --- | --- |
//! | 2020-07-01 | ₹20/order | 0.05 % | 0.0495 %* | 0.0495 %* | ₹10/crore | 0.003 % | 18 % |
//! | 2023-04-01 | ₹20/order | 0.0625 % | 0.0495 %* | 0.0495 %* | ₹10/crore | 0.003 % | 18 % |
//! | 2024-10-01 | ₹20/order | 0.1 % | 0.03503 % | 0.0325 % | ₹10/crore | 0.003 % | 18 % |
//! | 2026-04-01 | ₹20/order | 0.15 % | 0.03503 % | 0.0325 % | ₹10/crore | 0.003 % | 18 % |
//!
//! \* assumed for the whole period: the rate Zerodha passed on just before 1-Oct-2024.
//!
//! Sources: STT — Finance Act 2016 (0.05 %), Finance Act 2023 (0.0625 % from 1-Apr-2023),
//! Finance (No. 2) Act 2024 (0.1 % from 1-Oct-2024), Finance Act 2026 (0.15 % for trades from
//! 1-Apr-2026, Union Budget of 1-Feb-2026). Exchange charges — SEBI's circular of 1-Jul-2024
//! on true-to-label MII charges; NSE circular of 27-Sep-2024 (₹35.03 per lakh of option
//! premium) and BSE notice of 27-Sep-2024 (₹3,250 per crore for SENSEX/BANKEX options), both
//! from 1-Oct-2024. Brokerage — Zerodha's flat ₹20 per executed F&O order. Stamp duty — the
//! uniform rates from 1-Jul-2020. See `docs/reference-data.md`.
//!
//! # Conventions
//! - **One call per executed order** ([`ChargesSchedule::charges_for_fill`]): brokerage is a
//!   flat fee per executed order, so pass the order's total premium turnover once (several
//!   partial fills of one order: sum their turnover, or charge brokerage on the first only).
//! - **Rounding**: each component is rounded to the paisa (2 decimals, half away from zero)
//!   as contract notes show them; GST is computed on the rounded brokerage + exchange + SEBI
//!   amounts, then rounded; the total is the sum of the rounded components. Real contract
//!   notes aggregate per exchange and day before rounding (and Zerodha's calculator rounds
//!   STT to the rupee), so per-fill totals can differ from a contract note by a few paise.
//! - NSE's IPFT levy (₹50 per crore of option premium, shown inside exchange charges on
//!   Zerodha contract notes) is not in the built-in schedule (no effective date found);
//!   add it to `nse_txn_pct` in config if wanted (0.0005 %).
//! - Exercise/assignment STT on expiry is out of scope (intraday engine, spec §1).

use crate::calendar::serde_date;
use crate::order::Side;
use crate::segment::Exchange;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::iter::Sum;
use std::ops::{Add, AddAssign};

const BUILTIN_TOML: &str = include_str!("../data/charges.toml");

/// One schedule entry: all rates in force from `effective_from` (config `[[charges]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargesEntry {
    /// First date the rates apply (`YYYY-MM-DD`, quoted or a bare TOML date).
    #[serde(with = "serde_date")]
    pub effective_from: NaiveDate,
    /// Where the rates come from (free text, for the journal and docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Brokerage, ₹ per executed order.
    pub brokerage_per_order: Decimal,
    /// STT on the sell side, percent of premium turnover.
    pub stt_sell_pct: Decimal,
    /// NSE (NFO) exchange transaction charge, percent of premium turnover, both sides.
    pub nse_txn_pct: Decimal,
    /// BSE (BFO) exchange transaction charge, percent of premium turnover, both sides.
    pub bse_txn_pct: Decimal,
    /// SEBI turnover fee, ₹ per crore (₹1,00,00,000) of premium turnover, both sides.
    pub sebi_per_crore: Decimal,
    /// Stamp duty on the buy side, percent of premium turnover.
    pub stamp_buy_pct: Decimal,
    /// GST, percent of brokerage + exchange transaction charges + SEBI fee.
    pub gst_pct: Decimal,
}

/// Charges of one executed order, ₹, each rounded to the paisa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChargeBreakdown {
    /// Brokerage.
    pub brokerage: Decimal,
    /// Securities transaction tax (sell side).
    pub stt: Decimal,
    /// Exchange transaction charges.
    pub exchange_txn: Decimal,
    /// SEBI turnover fee.
    pub sebi: Decimal,
    /// Stamp duty (buy side).
    pub stamp: Decimal,
    /// GST on brokerage + exchange + SEBI.
    pub gst: Decimal,
    /// Sum of the above.
    pub total: Decimal,
}

impl Add for ChargeBreakdown {
    type Output = ChargeBreakdown;
    fn add(self, o: ChargeBreakdown) -> ChargeBreakdown {
        ChargeBreakdown {
            brokerage: self.brokerage + o.brokerage,
            stt: self.stt + o.stt,
            exchange_txn: self.exchange_txn + o.exchange_txn,
            sebi: self.sebi + o.sebi,
            stamp: self.stamp + o.stamp,
            gst: self.gst + o.gst,
            total: self.total + o.total,
        }
    }
}

impl AddAssign for ChargeBreakdown {
    fn add_assign(&mut self, o: ChargeBreakdown) {
        *self = *self + o;
    }
}

impl Sum for ChargeBreakdown {
    fn sum<I: Iterator<Item = ChargeBreakdown>>(iter: I) -> Self {
        iter.fold(ChargeBreakdown::default(), Add::add)
    }
}

/// Error building a charges schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChargesError {
    /// No entries.
    #[error("the charges schedule has no entries")]
    Empty,
    /// Two entries with the same date.
    #[error("two charges entries from {0}")]
    Duplicate(NaiveDate),
    /// A negative rate.
    #[error("negative rate `{field}` in the charges entry from {effective_from}")]
    Negative {
        /// Entry date.
        effective_from: NaiveDate,
        /// Field name.
        field: &'static str,
    },
    /// The TOML does not parse.
    #[error("charges schedule: {0}")]
    Parse(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargesFile {
    charges: Vec<ChargesEntry>,
}

/// Charges rates over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargesSchedule {
    /// Sorted by `effective_from`, non-empty, unique dates.
    entries: Vec<ChargesEntry>,
}

const CRORE: Decimal = dec!(10000000);
const HUNDRED: Decimal = dec!(100);

/// Round to the paisa, half away from zero.
fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl ChargesSchedule {
    /// The built-in schedule (`crates/domain/data/charges.toml`).
    ///
    /// # Panics
    /// Never at run time: the embedded schedule is a constant the unit tests validate.
    #[allow(
        clippy::expect_used,
        reason = "embedded constant data, not input: the unit tests parse and validate it, so this cannot fail at run time"
    )]
    pub fn builtin() -> Self {
        Self::from_entries(Self::builtin_entries()).expect("embedded charges schedule is valid")
    }

    /// The built-in entries (panics never, as [`ChargesSchedule::builtin`]).
    #[allow(
        clippy::expect_used,
        reason = "embedded constant data, not input: the unit tests parse and validate it, so this cannot fail at run time"
    )]
    pub fn builtin_entries() -> Vec<ChargesEntry> {
        Self::parse_toml(BUILTIN_TOML).expect("embedded charges schedule parses")
    }

    /// Parse `[[charges]]` tables (the format of `data/charges.toml`).
    pub fn parse_toml(text: &str) -> Result<Vec<ChargesEntry>, ChargesError> {
        toml::from_str::<ChargesFile>(text)
            .map(|f| f.charges)
            .map_err(|e| ChargesError::Parse(e.to_string()))
    }

    /// A schedule from config entries (any order; dates unique; rates non-negative).
    pub fn from_entries(mut entries: Vec<ChargesEntry>) -> Result<Self, ChargesError> {
        if entries.is_empty() {
            return Err(ChargesError::Empty);
        }
        entries.sort_by_key(|e| e.effective_from);
        for w in entries.windows(2) {
            if w[0].effective_from == w[1].effective_from {
                return Err(ChargesError::Duplicate(w[0].effective_from));
            }
        }
        for e in &entries {
            let fields = [
                ("brokerage_per_order", e.brokerage_per_order),
                ("stt_sell_pct", e.stt_sell_pct),
                ("nse_txn_pct", e.nse_txn_pct),
                ("bse_txn_pct", e.bse_txn_pct),
                ("sebi_per_crore", e.sebi_per_crore),
                ("stamp_buy_pct", e.stamp_buy_pct),
                ("gst_pct", e.gst_pct),
            ];
            if let Some((field, _)) = fields
                .iter()
                .find(|(_, v)| v.is_sign_negative() && !v.is_zero())
            {
                return Err(ChargesError::Negative {
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

    /// Charges of one executed order on `date`: `premium_turnover` = price × quantity, ₹
    /// (≥ 0). Call once per executed order (brokerage is per order). See the module docs for
    /// the rounding rule.
    pub fn charges_for_fill(
        &self,
        date: NaiveDate,
        exchange: Exchange,
        side: Side,
        premium_turnover: Decimal,
    ) -> ChargeBreakdown {
        self.compute(date, exchange, side, premium_turnover, true)
    }

    /// Charges of a further fill of an order whose first fill already paid the brokerage
    /// (partial fills): as [`Self::charges_for_fill`] without brokerage and its GST.
    pub fn charges_for_later_fill(
        &self,
        date: NaiveDate,
        exchange: Exchange,
        side: Side,
        premium_turnover: Decimal,
    ) -> ChargeBreakdown {
        self.compute(date, exchange, side, premium_turnover, false)
    }

    fn compute(
        &self,
        date: NaiveDate,
        exchange: Exchange,
        side: Side,
        premium_turnover: Decimal,
        with_brokerage: bool,
    ) -> ChargeBreakdown {
        let e = self.entry_for(date);
        let t = premium_turnover;
        let pct = |rate: Decimal| paise(t * rate / HUNDRED);
        let brokerage = if with_brokerage {
            paise(e.brokerage_per_order)
        } else {
            Decimal::ZERO
        };
        let stt = match side {
            Side::Sell => pct(e.stt_sell_pct),
            Side::Buy => Decimal::ZERO,
        };
        let exchange_txn = pct(match exchange {
            Exchange::NFO | Exchange::NSE => e.nse_txn_pct,
            Exchange::BFO | Exchange::BSE => e.bse_txn_pct,
        });
        let sebi = paise(t * e.sebi_per_crore / CRORE);
        let stamp = match side {
            Side::Buy => pct(e.stamp_buy_pct),
            Side::Sell => Decimal::ZERO,
        };
        let gst = paise((brokerage + exchange_txn + sebi) * e.gst_pct / HUNDRED);
        ChargeBreakdown {
            brokerage,
            stt,
            exchange_txn,
            sebi,
            stamp,
            gst,
            total: brokerage + stt + exchange_txn + sebi + stamp + gst,
        }
    }
}

impl Default for ChargesSchedule {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cb(
        brokerage: Decimal,
        stt: Decimal,
        exchange_txn: Decimal,
        sebi: Decimal,
        stamp: Decimal,
        gst: Decimal,
        total: Decimal,
    ) -> ChargeBreakdown {
        ChargeBreakdown {
            brokerage,
            stt,
            exchange_txn,
            sebi,
            stamp,
            gst,
            total,
        }
    }

    #[test]
    fn builtin_rates_by_date() {
        let s = ChargesSchedule::builtin();
        assert_eq!(s.entries().len(), 4);
        assert_eq!(s.entry_for(d(2022, 11, 18)).stt_sell_pct, dec!(0.05));
        assert_eq!(s.entry_for(d(2023, 3, 31)).stt_sell_pct, dec!(0.05));
        assert_eq!(s.entry_for(d(2023, 4, 1)).stt_sell_pct, dec!(0.0625));
        assert_eq!(s.entry_for(d(2024, 9, 30)).stt_sell_pct, dec!(0.0625));
        assert_eq!(s.entry_for(d(2024, 9, 30)).nse_txn_pct, dec!(0.0495));
        assert_eq!(s.entry_for(d(2024, 10, 1)).stt_sell_pct, dec!(0.1));
        assert_eq!(s.entry_for(d(2024, 10, 1)).nse_txn_pct, dec!(0.03503));
        assert_eq!(s.entry_for(d(2024, 10, 1)).bse_txn_pct, dec!(0.0325));
        assert_eq!(s.entry_for(d(2026, 3, 31)).stt_sell_pct, dec!(0.1));
        assert_eq!(s.entry_for(d(2026, 4, 1)).stt_sell_pct, dec!(0.15));
        assert_eq!(s.entry_for(d(2019, 1, 1)), &s.entries()[0]);
        for e in s.entries() {
            assert_eq!(e.brokerage_per_order, dec!(20));
            assert_eq!(e.sebi_per_crore, dec!(10));
            assert_eq!(e.stamp_buy_pct, dec!(0.003));
            assert_eq!(e.gst_pct, dec!(18));
            assert!(e.source.is_some());
        }
    }

    /// Hand-worked round trip, NIFTY on NFO, 2024-06-03 (lot 25):
    ///
    /// BUY 25 @ ₹120.50 → turnover ₹3,012.50
    /// - brokerage           = ₹20.00
    /// - STT (buy)           = 0
    /// - exchange 0.0495 %   = 3012.50 × 0.000495   = 1.4911875  → ₹1.49
    /// - SEBI ₹10/crore      = 3012.50 × 10 / 1e7   = 0.0030125  → ₹0.00
    /// - stamp 0.003 %       = 3012.50 × 0.00003    = 0.090375   → ₹0.09
    /// - GST 18 % × (20.00 + 1.49 + 0.00) = 3.8682               → ₹3.87
    /// - total = 20.00 + 0 + 1.49 + 0.00 + 0.09 + 3.87          = ₹25.45
    ///
    /// SELL 25 @ ₹140.00 → turnover ₹3,500.00
    /// - brokerage           = ₹20.00
    /// - STT 0.0625 %        = 3500 × 0.000625      = 2.1875     → ₹2.19
    /// - exchange 0.0495 %   = 3500 × 0.000495      = 1.7325     → ₹1.73
    /// - SEBI                = 3500 × 10 / 1e7      = 0.0035     → ₹0.00
    /// - stamp (sell)        = 0
    /// - GST 18 % × (20.00 + 1.73 + 0.00) = 3.9114               → ₹3.91
    /// - total = 20.00 + 2.19 + 1.73 + 0.00 + 0 + 3.91          = ₹27.83
    ///
    /// Round trip: ₹53.28 on a gross P&L of 25 × 19.50 = ₹487.50.
    #[test]
    fn hand_worked_nifty_2024_06_03() {
        let s = ChargesSchedule::builtin();
        let day = d(2024, 6, 3);
        let buy = s.charges_for_fill(day, Exchange::NFO, Side::Buy, dec!(120.50) * dec!(25));
        assert_eq!(
            buy,
            cb(
                dec!(20.00),
                dec!(0),
                dec!(1.49),
                dec!(0.00),
                dec!(0.09),
                dec!(3.87),
                dec!(25.45)
            )
        );
        let sell = s.charges_for_fill(day, Exchange::NFO, Side::Sell, dec!(140.00) * dec!(25));
        assert_eq!(
            sell,
            cb(
                dec!(20.00),
                dec!(2.19),
                dec!(1.73),
                dec!(0.00),
                dec!(0),
                dec!(3.91),
                dec!(27.83)
            )
        );
        assert_eq!((buy + sell).total, dec!(53.28));
        assert_eq!([buy, sell].into_iter().sum::<ChargeBreakdown>(), buy + sell);
    }

    /// Hand-worked round trip after 1-Oct-2024, NIFTY on NFO, 2024-12-02 (lot 25 on the
    /// nearest contract then; 3 lots = 75):
    ///
    /// BUY 75 @ ₹200.00 → turnover ₹15,000.00
    /// - brokerage ₹20.00; STT 0
    /// - exchange 0.03503 %  = 15000 × 0.0003503    = 5.2545     → ₹5.25
    /// - SEBI                = 15000 × 10 / 1e7     = 0.015      → ₹0.02 (half away from zero)
    /// - stamp 0.003 %       = 15000 × 0.00003      = 0.45       → ₹0.45
    /// - GST 18 % × (20.00 + 5.25 + 0.02) = 4.5486               → ₹4.55
    /// - total = 20.00 + 5.25 + 0.02 + 0.45 + 4.55              = ₹30.27
    ///
    /// SELL 75 @ ₹180.05 → turnover ₹13,503.75
    /// - brokerage ₹20.00
    /// - STT 0.1 %           = 13503.75 × 0.001     = 13.50375   → ₹13.50
    /// - exchange 0.03503 %  = 13503.75 × 0.0003503 = 4.730363625 → ₹4.73
    /// - SEBI                = 13503.75 × 10 / 1e7  = 0.01350375 → ₹0.01
    /// - stamp 0
    /// - GST 18 % × (20.00 + 4.73 + 0.01) = 4.4532               → ₹4.45
    /// - total = 20.00 + 13.50 + 4.73 + 0.01 + 4.45             = ₹42.69
    #[test]
    fn hand_worked_nifty_after_october_2024() {
        let s = ChargesSchedule::builtin();
        let day = d(2024, 12, 2);
        let buy = s.charges_for_fill(day, Exchange::NFO, Side::Buy, dec!(200.00) * dec!(75));
        assert_eq!(
            buy,
            cb(
                dec!(20.00),
                dec!(0),
                dec!(5.25),
                dec!(0.02),
                dec!(0.45),
                dec!(4.55),
                dec!(30.27)
            )
        );
        let sell = s.charges_for_fill(day, Exchange::NFO, Side::Sell, dec!(180.05) * dec!(75));
        assert_eq!(
            sell,
            cb(
                dec!(20.00),
                dec!(13.50),
                dec!(4.73),
                dec!(0.01),
                dec!(0),
                dec!(4.45),
                dec!(42.69)
            )
        );
    }

    /// SENSEX on BFO, 2024-12-02: BUY 20 @ ₹300 → ₹6,000:
    /// exchange 0.0325 % = 1.95; SEBI 0.006 → 0.01; stamp 0.18;
    /// GST 18 % × 21.96 = 3.9528 → 3.95; total 20 + 1.95 + 0.01 + 0.18 + 3.95 = ₹26.09.
    /// Before 1-Oct-2024 (2024-06-03) the assumed BSE rate 0.0495 % gives 2.97 and
    /// GST 18 % × 22.98 = 4.1364 → 4.14; total 20 + 2.97 + 0.01 + 0.18 + 4.14 = ₹27.30.
    #[test]
    fn sensex_on_bfo() {
        let s = ChargesSchedule::builtin();
        let c = s.charges_for_fill(d(2024, 12, 2), Exchange::BFO, Side::Buy, dec!(6000));
        assert_eq!(
            c,
            cb(
                dec!(20.00),
                dec!(0),
                dec!(1.95),
                dec!(0.01),
                dec!(0.18),
                dec!(3.95),
                dec!(26.09)
            )
        );
        let c = s.charges_for_fill(d(2024, 6, 3), Exchange::BFO, Side::Buy, dec!(6000));
        assert_eq!(
            c,
            cb(
                dec!(20.00),
                dec!(0),
                dec!(2.97),
                dec!(0.01),
                dec!(0.18),
                dec!(4.14),
                dec!(27.30)
            )
        );
    }

    /// From 1-Apr-2026 STT is 0.15 %: SELL 65 NIFTY @ ₹100 = ₹6,500 → STT ₹9.75;
    /// exchange 6500 × 0.0003503 = 2.27695 → 2.28; SEBI 0.0065 → 0.01;
    /// GST 18 % × 22.29 = 4.0122 → 4.01; total 20 + 9.75 + 2.28 + 0.01 + 4.01 = ₹36.05.
    #[test]
    fn stt_from_april_2026() {
        let s = ChargesSchedule::builtin();
        let c = s.charges_for_fill(d(2026, 4, 6), Exchange::NFO, Side::Sell, dec!(6500));
        assert_eq!(
            c,
            cb(
                dec!(20.00),
                dec!(9.75),
                dec!(2.28),
                dec!(0.01),
                dec!(0),
                dec!(4.01),
                dec!(36.05)
            )
        );
        let before = s.charges_for_fill(d(2026, 3, 30), Exchange::NFO, Side::Sell, dec!(6500));
        assert_eq!(before.stt, dec!(6.50));
    }

    #[test]
    fn config_entries_and_errors() {
        let text = r#"
            [[charges]]
            effective_from = "2024-10-01"
            brokerage_per_order = 0
            stt_sell_pct = "0.1"
            nse_txn_pct = 0.03503
            bse_txn_pct = 0.0325
            sebi_per_crore = 10
            stamp_buy_pct = 0.003
            gst_pct = 18
        "#;
        let e = ChargesSchedule::parse_toml(text).unwrap();
        assert_eq!(e[0].nse_txn_pct, dec!(0.03503));
        assert_eq!(e[0].source, None);
        let s = ChargesSchedule::from_entries(e.clone()).unwrap();
        let c = s.charges_for_fill(d(2024, 10, 1), Exchange::NFO, Side::Sell, dec!(1000));
        assert_eq!(c.brokerage, dec!(0));
        assert_eq!(c.stt, dec!(1.00));

        assert_eq!(
            ChargesSchedule::from_entries(vec![]),
            Err(ChargesError::Empty)
        );
        assert_eq!(
            ChargesSchedule::from_entries(vec![e[0].clone(), e[0].clone()]),
            Err(ChargesError::Duplicate(d(2024, 10, 1)))
        );
        let mut neg = e[0].clone();
        neg.gst_pct = dec!(-1);
        assert!(matches!(
            ChargesSchedule::from_entries(vec![neg]),
            Err(ChargesError::Negative {
                field: "gst_pct",
                ..
            })
        ));
        let unknown = text.replace("gst_pct = 18", "gst_pct = 18\nipft = 1");
        let err = ChargesSchedule::parse_toml(&unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ipft"), "{err}");
        let missing = text.replace("gst_pct = 18", "");
        assert!(ChargesSchedule::parse_toml(&missing).is_err());
    }

    #[test]
    fn zero_turnover_still_pays_brokerage() {
        let s = ChargesSchedule::builtin();
        let c = s.charges_for_fill(d(2024, 6, 3), Exchange::NFO, Side::Sell, Decimal::ZERO);
        assert_eq!(c.total, dec!(23.60));
    }
}
