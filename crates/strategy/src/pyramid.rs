//! Pyramiding (spec §6, seed 004 §4.2).
//!
//! Open profit of the position in ₹ = (current premium − average entry premium) × quantity.
//! When open profit ≥ quantity × `pyramid_points`, buy `lot_addition` more lots, capped so the
//! quantity stays ≤ `max_quantity` in whole lots; the next threshold uses the new quantity.
//! Repeat until `max_quantity`. The stop always covers the whole quantity (the engine's stops
//! act on the position, never on a leg).

use domain::Decimal;
use serde::Deserialize;

/// Pyramiding parameters of a segment (spec §6 defaults: NIFTY 10/5/1500,
/// BANKNIFTY 20/10/1000, SENSEX 20/10/1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PyramidParams {
    /// Premium ₹ per unit of open profit that triggers an add (threshold = quantity × this).
    pub pyramid_points: Decimal,
    /// Lots bought per add.
    pub lot_addition: u32,
    /// Quantity cap, units.
    pub max_quantity: u32,
}

impl PyramidParams {
    /// The spec §6 defaults of a segment. Spec §6 has none for a stock (seed 001 does not
    /// pyramid): add 1 share when open profit ≥ quantity × ₹1, no quantity cap beyond the
    /// sizing's, used only if pyramiding is switched on for the universe.
    pub fn default_for(segment: domain::Segment) -> Self {
        use domain::Index::*;
        use rust_decimal_macros::dec;
        let Some(index) = segment.index() else {
            return Self {
                pyramid_points: dec!(1),
                lot_addition: 1,
                max_quantity: u32::MAX,
            };
        };
        match index {
            Nifty => Self {
                pyramid_points: dec!(10),
                lot_addition: 5,
                max_quantity: 1500,
            },
            BankNifty | Sensex => Self {
                pyramid_points: dec!(20),
                lot_addition: 10,
                max_quantity: 1000,
            },
        }
    }
}

/// Units to add now, or `None`: `quantity` held (units), contract `lot_size`, and the
/// position's `open_profit` in ₹.
pub fn pyramid_add(
    quantity: u32,
    lot_size: u32,
    open_profit: Decimal,
    p: &PyramidParams,
) -> Option<u32> {
    let lot = lot_size.max(1);
    if quantity == 0 || p.lot_addition == 0 || quantity >= p.max_quantity {
        return None;
    }
    let threshold = Decimal::from(quantity) * p.pyramid_points;
    if open_profit < threshold {
        return None;
    }
    let room_lots = (p.max_quantity - quantity) / lot;
    let add = p.lot_addition.min(room_lots) * lot;
    (add > 0).then_some(add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn params(points: Decimal, add: u32, max: u32) -> PyramidParams {
        PyramidParams {
            pyramid_points: points,
            lot_addition: add,
            max_quantity: max,
        }
    }

    /// Runs the seed's rule as profit keeps rising; returns the quantity after each add.
    fn ladder(lot: u32, p: PyramidParams) -> Vec<u32> {
        let mut q = lot;
        let mut out = vec![q];
        while let Some(add) = pyramid_add(q, lot, Decimal::from(q) * p.pyramid_points, &p) {
            q += add;
            out.push(q);
        }
        out
    }

    /// Seed 004 NIFTY: lot 75, pyramid 5, addition 5, max 1500: 75 → (profit ≥ 375) 450 →
    /// (≥ 2250) 825 → 1200 → 1500 (the last add capped to 4 lots).
    #[test]
    fn seed_example_nifty() {
        let p = params(dec!(5), 5, 1500);
        assert_eq!(pyramid_add(75, 75, dec!(250), &p), None);
        assert_eq!(pyramid_add(75, 75, dec!(374.99), &p), None);
        assert_eq!(pyramid_add(75, 75, dec!(375), &p), Some(375));
        assert_eq!(pyramid_add(450, 75, dec!(2249), &p), None);
        assert_eq!(pyramid_add(450, 75, dec!(2250), &p), Some(375));
        assert_eq!(ladder(75, p), vec![75, 450, 825, 1200, 1500]);
    }

    /// Seed 004 BANKNIFTY: lot 35, pyramid 20, addition 10, max 1000: 35 → (≥ 700) 385 →
    /// (≥ 7700) 735 → 980 (capped at whole lots under 1000).
    #[test]
    fn seed_example_banknifty() {
        let p = params(dec!(20), 10, 1000);
        assert_eq!(pyramid_add(35, 35, dec!(250), &p), None);
        assert_eq!(pyramid_add(35, 35, dec!(700), &p), Some(350));
        assert_eq!(pyramid_add(385, 35, dec!(7699), &p), None);
        assert_eq!(pyramid_add(385, 35, dec!(7700), &p), Some(350));
        assert_eq!(ladder(35, p), vec![35, 385, 735, 980]);
    }

    /// Seed 004 SENSEX: lot 20, pyramid 20, addition 10, max 1000: 20 → (≥ 400) 220 →
    /// (≥ 4400) 420 → 620 → 820 → 1000.
    #[test]
    fn seed_example_sensex() {
        let p = params(dec!(20), 10, 1000);
        assert_eq!(pyramid_add(20, 20, dec!(250), &p), None);
        assert_eq!(pyramid_add(20, 20, dec!(400), &p), Some(200));
        assert_eq!(pyramid_add(220, 20, dec!(4399.99), &p), None);
        assert_eq!(pyramid_add(220, 20, dec!(4400), &p), Some(200));
        assert_eq!(ladder(20, p), vec![20, 220, 420, 620, 820, 1000]);
    }

    proptest! {
        /// Whatever the profits: never above max_quantity, never a partial lot.
        #[test]
        fn never_above_max_nor_partial_lot(lot in 1u32..100, start_lots in 1u32..10, add in 1u32..20,
                                           max in 1u32..3000, points in 1i64..50,
                                           profits in proptest::collection::vec(-10_000i64..200_000, 1..60)) {
            let p = params(Decimal::from(points), add, max);
            let mut q = lot * start_lots;
            prop_assume!(q <= max);
            for profit in profits {
                if let Some(a) = pyramid_add(q, lot, Decimal::from(profit), &p) {
                    prop_assert!(a % lot == 0 && a > 0);
                    prop_assert!(Decimal::from(profit) >= Decimal::from(q) * p.pyramid_points);
                    q += a;
                }
                prop_assert!(q <= max);
                prop_assert!(q % lot == 0);
            }
        }
    }
}
