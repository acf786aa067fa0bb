//! Contract lot sizes per segment with effective dates (spec §5: "Lot size per segment from
//! config, with effective dates"; kite-connect.md §8.6).
//!
//! The built-in table is `crates/domain/data/lot_sizes.toml` (embedded), where every entry
//! cites its exchange circular. Summary (trade date → lot of the nearest-expiry contract):
//!
//! | segment | lot history |
//! | --- | --- |
//! | NIFTY | 75 → 50 (2021-07-23) → 25 (2024-04-26) → 75 (2024-12-27) → 25 (2025-01-24, the Jan-2025 monthly) → 75 (2025-01-31) → 65 (2025-12-31) |
//! | BANKNIFTY | 20 → 25 (2020-07-24) → 15 (2023-07-21) → 30 (2025-01-31) → 35 (2025-06-27) → 30 (2025-12-31) |
//! | SENSEX | 10 (2023-05-15) → 20 (2025-01-04) → 10 (2025-01-22, the Jan-2025 monthly) → 20 (2025-01-29) |
//!
//! # Why not "75 from 2024-11-20"
//! The late-2024 revision (SEBI circular SEBI/HO/MRD/TPD-1/P/CIR/2024/132 of 01-Oct-2024; NSE
//! circular of 18-Oct-2024; BSE circular of Oct-2024) applied to contracts *introduced* from
//! 20-Nov-2024: "The existing weekly and monthly expiry contracts will continue with the
//! existing lot size till its respective expiry date" (business-standard.com, 19-Oct-2024;
//! moneycontrol.com). The contract a replay buys on a date (the nearest expiry, spec §5) only
//! changed lot when the last old contract before it had expired, and the January-2025
//! monthlies, listed before 20-Nov-2024, kept the old lot after the weeklies had switched.
//! The 2024-04, 2025-03 and 2025-10 NSE revisions likewise name the first expiry with the
//! new lot.
//!
//! # Convention of `effective_from`
//! `effective_from` is the first trade date on which the nearest-expiry contract has the lot;
//! each date lies strictly after the last old-lot expiry and on or before the first new-lot
//! expiry, so [`LotSizes::lot_size_for_expiry`] (lookup by a contract's expiry date) gives
//! the same table's answer for any weekly or monthly contract. Config entries must follow the
//! same convention. Before a segment's first entry, the first entry's lot applies.

use crate::segment::Segment;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const BUILTIN_TOML: &str = include_str!("../../data/lot_sizes.toml");

/// One lot-size revision, as written in config (`[[lot_size]]` tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotSizeEntry {
    /// `NIFTY`, `BANKNIFTY` or `SENSEX`.
    pub segment: Segment,
    /// First trade date of the nearest-expiry contract with this lot (see module docs).
    /// `YYYY-MM-DD`, quoted or a bare TOML date.
    #[serde(with = "super::serde_date")]
    pub effective_from: NaiveDate,
    /// Units per lot.
    pub lot_size: u32,
}

/// Error building a lot-size table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LotSizeError {
    /// A segment has no entry.
    #[error("no lot size given for segment {0}")]
    MissingSegment(Segment),
    /// A lot size of 0.
    #[error("lot size 0 for {segment} from {effective_from}")]
    ZeroLotSize {
        /// Segment.
        segment: Segment,
        /// Date of the entry.
        effective_from: NaiveDate,
    },
    /// Two entries for the same segment and date.
    #[error("two lot sizes for {segment} from {effective_from}")]
    Duplicate {
        /// Segment.
        segment: Segment,
        /// Date of the entries.
        effective_from: NaiveDate,
    },
    /// The embedded or given TOML does not parse.
    #[error("lot-size table: {0}")]
    Parse(String),
}

/// Lot sizes by segment and date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotSizes {
    table: BTreeMap<Segment, BTreeMap<NaiveDate, u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LotSizeFile {
    lot_size: Vec<LotSizeEntry>,
}

impl LotSizes {
    /// The built-in table (`crates/domain/data/lot_sizes.toml`).
    ///
    /// # Panics
    /// Never at run time: the embedded table is a constant the unit tests validate.
    #[allow(
        clippy::expect_used,
        reason = "embedded constant data, not input: the unit tests parse and validate it, so this cannot fail at run time"
    )]
    pub fn builtin() -> Self {
        Self::from_entries(Self::builtin_entries()).expect("embedded lot-size table is valid")
    }

    /// The built-in entries, e.g. to extend or print them (panics never, as [`LotSizes::builtin`]).
    #[allow(
        clippy::expect_used,
        reason = "embedded constant data, not input: the unit tests parse and validate it, so this cannot fail at run time"
    )]
    pub fn builtin_entries() -> Vec<LotSizeEntry> {
        Self::parse_toml(BUILTIN_TOML).expect("embedded lot-size table parses")
    }

    /// Parse `[[lot_size]]` tables (the format of `data/lot_sizes.toml`).
    pub fn parse_toml(text: &str) -> Result<Vec<LotSizeEntry>, LotSizeError> {
        let entries = toml::from_str::<LotSizeFile>(text)
            .map(|f| f.lot_size)
            .map_err(|e| LotSizeError::Parse(e.to_string()))?;
        match entries.iter().find(|e| e.segment.index().is_none()) {
            Some(e) => Err(LotSizeError::Parse(format!(
                "unknown segment `{}` (lot sizes are for NIFTY, BANKNIFTY and SENSEX)",
                e.segment
            ))),
            None => Ok(entries),
        }
    }

    /// A table from config entries. Every segment needs at least one entry; lot sizes must be
    /// positive; one entry per segment and date.
    pub fn from_entries(entries: Vec<LotSizeEntry>) -> Result<Self, LotSizeError> {
        let mut s = Self {
            table: BTreeMap::new(),
        };
        s.insert_all(entries, false)?;
        for seg in Segment::ALL {
            if !s.table.contains_key(&seg) {
                return Err(LotSizeError::MissingSegment(seg));
            }
        }
        Ok(s)
    }

    /// Add entries on top of this table (e.g. config overrides of the built-in one); an entry
    /// for an existing segment and date replaces it.
    pub fn extend(&mut self, entries: Vec<LotSizeEntry>) -> Result<(), LotSizeError> {
        self.insert_all(entries, true)
    }

    fn insert_all(
        &mut self,
        entries: Vec<LotSizeEntry>,
        replace: bool,
    ) -> Result<(), LotSizeError> {
        for e in entries {
            if e.segment.index().is_none() {
                return Err(LotSizeError::Parse(format!(
                    "segment {}: lot sizes are for NIFTY, BANKNIFTY and SENSEX (a stock trades single shares)",
                    e.segment
                )));
            }
            if e.lot_size == 0 {
                return Err(LotSizeError::ZeroLotSize {
                    segment: e.segment,
                    effective_from: e.effective_from,
                });
            }
            let seg = self.table.entry(e.segment).or_default();
            if seg.insert(e.effective_from, e.lot_size).is_some() && !replace {
                return Err(LotSizeError::Duplicate {
                    segment: e.segment,
                    effective_from: e.effective_from,
                });
            }
        }
        Ok(())
    }

    /// The lot size of `segment`'s nearest-expiry contract on trade date `date` (spec §5).
    /// Before the first entry, the first entry's lot. Panics only for a segment without
    /// entries, which [`LotSizes::from_entries`] rules out. A stock segment trades single
    /// shares in the cash market: 1.
    pub fn lot_size(&self, segment: Segment, date: NaiveDate) -> u32 {
        if segment.symbol().is_some() {
            return 1;
        }
        let seg = self
            .table
            .get(&segment)
            .unwrap_or_else(|| panic!("no lot sizes for {segment}"));
        seg.range(..=date)
            .next_back()
            .or_else(|| seg.iter().next())
            .map(|(_, l)| *l)
            .unwrap_or_else(|| panic!("no lot sizes for {segment}"))
    }

    /// The lot size of `segment`'s weekly or monthly contract expiring on `expiry` (the
    /// table's dates lie between consecutive expiries; see module docs).
    pub fn lot_size_for_expiry(&self, segment: Segment, expiry: NaiveDate) -> u32 {
        self.lot_size(segment, expiry)
    }

    /// All entries, by segment then date.
    pub fn entries(&self) -> Vec<LotSizeEntry> {
        self.table
            .iter()
            .flat_map(|(seg, m)| {
                m.iter().map(|(d, l)| LotSizeEntry {
                    segment: *seg,
                    effective_from: *d,
                    lot_size: *l,
                })
            })
            .collect()
    }
}

impl Default for LotSizes {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::ExpiryCalendar;
    #[allow(non_upper_case_globals)]
    const Nifty: Segment = Segment::Nifty;
    #[allow(non_upper_case_globals)]
    const BankNifty: Segment = Segment::BankNifty;
    #[allow(non_upper_case_globals)]
    const Sensex: Segment = Segment::Sensex;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn builtin_parses() {
        let l = LotSizes::builtin();
        let mut raw = LotSizes::builtin_entries();
        raw.sort_by_key(|e| (e.segment, e.effective_from));
        assert_eq!(l.entries(), raw);
        assert_eq!(raw.len(), 7 + 6 + 4);
    }

    #[test]
    fn nifty_revisions() {
        let l = LotSizes::builtin();
        let cases = [
            (d(2022, 11, 18), 50),
            (d(2024, 4, 25), 50), // April-2024 monthly expiry day: old lot
            (d(2024, 4, 26), 25),
            (d(2024, 6, 3), 25),
            (d(2024, 11, 20), 25), // new contracts 75, but the nearest weekly is an old one
            (d(2024, 12, 26), 25), // Dec-2024 monthly
            (d(2024, 12, 27), 75), // nearest = 2025-01-02 weekly, first 75-lot weekly
            (d(2025, 1, 23), 75),
            (d(2025, 1, 24), 25), // nearest = Jan-2025 monthly (old lot)
            (d(2025, 1, 30), 25),
            (d(2025, 1, 31), 75),
            (d(2025, 12, 30), 75),
            (d(2025, 12, 31), 65),
            (d(2026, 8, 18), 65), // Aug-2026 Kite dump
        ];
        for (date, want) in cases {
            assert_eq!(l.lot_size(Nifty, date), want, "{date}");
        }
        assert_eq!(l.lot_size(Nifty, d(2021, 7, 22)), 75);
        assert_eq!(l.lot_size(Nifty, d(2021, 7, 23)), 50);
        assert_eq!(l.lot_size(Nifty, d(2010, 1, 1)), 75); // before the table: first entry
    }

    #[test]
    fn banknifty_revisions() {
        let l = LotSizes::builtin();
        for (date, want) in [
            (d(2022, 11, 18), 25),
            (d(2023, 7, 20), 25),
            (d(2023, 7, 21), 15),
            (d(2024, 6, 3), 15),
            (d(2024, 11, 20), 15),
            (d(2025, 1, 30), 15), // Jan-2025 monthly, old lot
            (d(2025, 1, 31), 30),
            (d(2025, 6, 26), 30),
            (d(2025, 6, 27), 35),
            (d(2025, 12, 30), 35),
            (d(2025, 12, 31), 30),
            (d(2026, 8, 18), 30),
        ] {
            assert_eq!(l.lot_size(BankNifty, date), want, "{date}");
        }
    }

    #[test]
    fn sensex_revisions() {
        let l = LotSizes::builtin();
        for (date, want) in [
            (d(2023, 5, 15), 10),
            (d(2024, 6, 3), 10),
            (d(2024, 11, 20), 10),
            (d(2025, 1, 3), 10),
            (d(2025, 1, 6), 20),
            (d(2025, 1, 21), 20),
            (d(2025, 1, 22), 10),
            (d(2025, 1, 28), 10),
            (d(2025, 1, 29), 20),
            (d(2026, 8, 18), 20),
        ] {
            assert_eq!(l.lot_size(Sensex, date), want, "{date}");
        }
    }

    #[test]
    fn lookup_by_expiry_agrees_with_nearest_expiry_on_every_trade_date() {
        // For every trading day 2024–2026, the lot of the nearest contract looked up by its
        // expiry equals the lot looked up by the trade date.
        let l = LotSizes::builtin();
        let ec = ExpiryCalendar::builtin();
        for seg in Segment::ALL {
            for day in ec.calendar().trading_days(d(2024, 1, 1), d(2026, 12, 31)) {
                let e = ec.next_expiry(seg, day).unwrap();
                assert_eq!(
                    l.lot_size(seg, day),
                    l.lot_size_for_expiry(seg, e.date),
                    "{seg} {day} expiry {}",
                    e.date
                );
            }
        }
        // And specific contracts: the Jan-2025 NIFTY weekly vs monthly.
        assert_eq!(l.lot_size_for_expiry(Nifty, d(2025, 1, 2)), 75);
        assert_eq!(l.lot_size_for_expiry(Nifty, d(2025, 1, 30)), 25);
    }

    #[test]
    fn config_entries() {
        let toml_text = r#"
            [[lot_size]]
            segment = "NIFTY"
            effective_from = "2024-01-01"
            lot_size = 50
            [[lot_size]]
            segment = "NIFTY"
            effective_from = 2024-04-26
            lot_size = 25
            [[lot_size]]
            segment = "BANKNIFTY"
            effective_from = 2024-01-01
            lot_size = 15
            [[lot_size]]
            segment = "SENSEX"
            effective_from = 2024-01-01
            lot_size = 10
        "#;
        let e = LotSizes::parse_toml(toml_text).unwrap();
        let l = LotSizes::from_entries(e.clone()).unwrap();
        assert_eq!(l.lot_size(Nifty, d(2024, 4, 25)), 50);
        assert_eq!(l.lot_size(Nifty, d(2024, 4, 26)), 25);

        // Missing segment, zero, duplicate, unknown field.
        let nifty_only: Vec<_> = e.iter().copied().filter(|x| x.segment == Nifty).collect();
        assert_eq!(
            LotSizes::from_entries(nifty_only),
            Err(LotSizeError::MissingSegment(BankNifty))
        );
        let mut zero = e.clone();
        zero[0].lot_size = 0;
        assert!(matches!(
            LotSizes::from_entries(zero),
            Err(LotSizeError::ZeroLotSize { .. })
        ));
        let mut dup = e.clone();
        dup.push(e[0]);
        assert!(matches!(
            LotSizes::from_entries(dup),
            Err(LotSizeError::Duplicate { .. })
        ));
        let bad = "[[lot_size]]\nsegment = \"NIFTY\"\neffective_from = 2024-01-01\nlot_size = 1\nlots = 2\n";
        let err = LotSizes::parse_toml(bad).unwrap_err().to_string();
        assert!(err.contains("lots"), "{err}");
        assert!(
            LotSizes::parse_toml(
                "[[lot_size]]\nsegment = \"FINNIFTY\"\neffective_from = 2024-01-01\nlot_size = 1\n"
            )
            .is_err()
        );

        // Overrides on top of the built-in table.
        let mut b = LotSizes::builtin();
        b.extend(vec![LotSizeEntry {
            segment: Sensex,
            effective_from: d(2026, 10, 1),
            lot_size: 15,
        }])
        .unwrap();
        assert_eq!(b.lot_size(Sensex, d(2026, 9, 30)), 20);
        assert_eq!(b.lot_size(Sensex, d(2026, 10, 1)), 15);
    }
}
