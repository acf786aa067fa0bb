//! [`SimMarket`]: the few market settings the simulator needs, typed, so the library does not
//! depend on the application's configuration file (the `kite-sim` binary maps the engine's
//! `Config` onto it).

use domain::calendar::LotSizeEntry;
use domain::{Decimal, Segment};
use std::collections::BTreeMap;

/// One index's market settings: which catalog series drives it, how its options are priced,
/// listed and capped.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSegment {
    /// The catalog series whose bars are streamed as this index (spec §9; default the
    /// segment code, e.g. `NIFTY`).
    pub series: String,
    /// Implied volatility of its options for the Black-76 premium model, annualised
    /// (0.15 = 15 %).
    pub iv: f64,
    /// Strike step of the listed options, index points (NIFTY 50, others 100).
    pub strike_step: Decimal,
    /// Exchange freeze quantity: the most units one order may carry (spec §7); a larger
    /// placement is refused with Kite's `InputException`.
    pub freeze_quantity: u32,
}

impl SimSegment {
    /// The defaults of `seg`: its code as series, `default_iv`, its default strike step and
    /// `Segment::default_freeze_quantity`.
    pub fn defaults(seg: Segment, default_iv: f64) -> Self {
        Self {
            series: seg.code().to_string(),
            iv: default_iv,
            strike_step: seg.default_strike_step().unwrap_or(Decimal::ONE),
            freeze_quantity: seg.default_freeze_quantity().unwrap_or(u32::MAX),
        }
    }
}

/// The simulated market: per-index settings, lot-size overrides, the premium model's inputs
/// and the account's capital. `Default` is the engine's default configuration (IV 0.15, rate
/// 0.065, capital ₹10,00,000, built-in lot sizes, default strike steps and freeze limits).
#[derive(Debug, Clone, PartialEq)]
pub struct SimMarket {
    /// Per-index settings; an index missing here gets [`SimSegment::defaults`].
    pub segments: BTreeMap<Segment, SimSegment>,
    /// Entries that extend (override) the built-in lot-size schedule (`[[lot_sizes]]`).
    pub lot_sizes: Vec<LotSizeEntry>,
    /// Implied volatility of an index without its own, annualised.
    pub default_iv: f64,
    /// Risk-free rate of the Black-76 model, annualised (0.065 = 6.5 %).
    pub rate: f64,
    /// Account capital, ₹: `GET /user/margins` reports it ± the day's premium cash flow.
    pub capital: Decimal,
}

impl Default for SimMarket {
    fn default() -> Self {
        Self {
            segments: BTreeMap::new(),
            lot_sizes: Vec::new(),
            default_iv: 0.15,
            rate: 0.065,
            capital: Decimal::new(1_000_000, 0),
        }
    }
}

impl SimMarket {
    /// The settings of `seg` (its entry, else the defaults).
    pub fn segment(&self, seg: Segment) -> SimSegment {
        self.segments
            .get(&seg)
            .cloned()
            .unwrap_or_else(|| SimSegment::defaults(seg, self.default_iv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_without_an_entry_gets_the_defaults_and_an_entry_wins() {
        let mut m = SimMarket {
            default_iv: 0.2,
            ..SimMarket::default()
        };
        let d = m.segment(Segment::BankNifty);
        assert_eq!(d.series, "BANKNIFTY");
        assert_eq!(d.iv, 0.2);
        assert_eq!(d.strike_step, Decimal::new(100, 0));
        assert_eq!(d.freeze_quantity, 900);
        m.segments.insert(
            Segment::BankNifty,
            SimSegment {
                series: "BANKNIFTY_5m".into(),
                ..d
            },
        );
        assert_eq!(m.segment(Segment::BankNifty).series, "BANKNIFTY_5m");
        assert_eq!(m.segment(Segment::Nifty).strike_step, Decimal::new(50, 0));
    }
}
