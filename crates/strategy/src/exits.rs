//! Exit rules on the underlying index (spec §4.4, §3.1 rules 7 and 8).
//!
//! For a CE (long) position entered at index price `E`: initial stop `S = E − sl_points`;
//! trail `T` starts at `E − trailing_stop_points` and is active at once, then
//! `T = max(T, price − trailing_stop_points)` after each tick; exit when `price ≤ max(S, T)`.
//! The reason is `SL` if `S ≥ T` (a tie is `SL`), else `TSL`, even when one tick gaps through
//! both. PE mirrored. The exit price is the tick's price, not the level. All exact `Decimal`.

use domain::{Decimal, Direction, ExitReason};
use serde::{Deserialize, Serialize};

/// Stop distances in index points (spec §4.4 defaults: 50 and 50).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnderlyingStops {
    /// Initial stop distance, index points.
    pub sl_points: Decimal,
    /// Trailing distance, index points.
    pub trailing_stop_points: Decimal,
}

/// The live stop levels of one open position (underlying basis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopTracker {
    direction: Direction,
    stops: UnderlyingStops,
    /// Initial stop level `S`, index price.
    initial: Decimal,
    /// Trailing level `T`, index price.
    trail: Decimal,
}

impl StopTracker {
    /// Levels for a position entered at index price `entry`.
    pub fn new(direction: Direction, entry: Decimal, stops: UnderlyingStops) -> Self {
        let (initial, trail) = match direction {
            Direction::Long => (entry - stops.sl_points, entry - stops.trailing_stop_points),
            Direction::Short => (entry + stops.sl_points, entry + stops.trailing_stop_points),
        };
        Self {
            direction,
            stops,
            initial,
            trail,
        }
    }

    /// The distances this position trails with (`sl_points`, `trailing_stop_points`): the
    /// agent's, or the entry signal's own (e.g. `atr_breakout`'s 1.5 × ATR).
    pub fn distances(&self) -> UnderlyingStops {
        self.stops
    }

    /// Initial stop level `S` (index price).
    pub fn initial_stop(&self) -> Decimal {
        self.initial
    }

    /// Current trailing level `T` (index price).
    pub fn trailing_stop(&self) -> Decimal {
        self.trail
    }

    /// The binding level: `max(S, T)` for CE, `min(S, T)` for PE.
    pub fn effective_stop(&self) -> Decimal {
        match self.direction {
            Direction::Long => self.initial.max(self.trail),
            Direction::Short => self.initial.min(self.trail),
        }
    }

    /// Whether `price` hits the levels as they stand; `SL` when the initial stop binds (ties
    /// included), else `TSL`.
    pub fn check(&self, price: Decimal) -> Option<ExitReason> {
        let hit = match self.direction {
            Direction::Long => price <= self.effective_stop(),
            Direction::Short => price >= self.effective_stop(),
        };
        if !hit {
            return None;
        }
        let initial_binds = match self.direction {
            Direction::Long => self.initial >= self.trail,
            Direction::Short => self.initial <= self.trail,
        };
        Some(if initial_binds {
            ExitReason::StopLoss
        } else {
            ExitReason::TrailingStop
        })
    }

    /// Move the trail with `price` (only ever tightens). Returns the new level if it moved.
    pub fn trail_with(&mut self, price: Decimal) -> Option<Decimal> {
        let candidate = match self.direction {
            Direction::Long => price - self.stops.trailing_stop_points,
            Direction::Short => price + self.stops.trailing_stop_points,
        };
        let tighter = match self.direction {
            Direction::Long => candidate > self.trail,
            Direction::Short => candidate < self.trail,
        };
        if tighter {
            self.trail = candidate;
            Some(candidate)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn stops() -> UnderlyingStops {
        UnderlyingStops {
            sl_points: dec!(50),
            trailing_stop_points: dec!(50),
        }
    }

    #[test]
    fn long_tie_is_sl_then_trail_is_tsl() {
        let mut s = StopTracker::new(Direction::Long, dec!(23000), stops());
        assert_eq!(s.check(dec!(22950.05)), None);
        assert_eq!(s.check(dec!(22950)), Some(ExitReason::StopLoss));
        s.trail_with(dec!(23010));
        assert_eq!(s.trailing_stop(), dec!(22960));
        // Gapping through both levels: T > S binds → TSL.
        assert_eq!(s.check(dec!(22900)), Some(ExitReason::TrailingStop));
        // A falling price never loosens the trail.
        assert_eq!(s.trail_with(dec!(22990)), None);
    }

    #[test]
    fn short_mirrored() {
        let mut s = StopTracker::new(Direction::Short, dec!(50000), stops());
        assert_eq!(s.check(dec!(50050)), Some(ExitReason::StopLoss));
        s.trail_with(dec!(49980));
        assert_eq!(s.effective_stop(), dec!(50030));
        assert_eq!(s.check(dec!(50030)), Some(ExitReason::TrailingStop));
    }

    proptest! {
        /// The effective stop only ever tightens, whatever the path.
        #[test]
        fn stop_only_tightens(path in proptest::collection::vec(-200i64..200, 1..100), long in any::<bool>()) {
            let d = if long { Direction::Long } else { Direction::Short };
            let mut s = StopTracker::new(d, dec!(20000), stops());
            let mut prev = s.effective_stop();
            for p in path {
                s.trail_with(dec!(20000) + Decimal::from(p));
                let now = s.effective_stop();
                if long { prop_assert!(now >= prev) } else { prop_assert!(now <= prev) }
                prev = now;
            }
        }
    }
}
