//! Linearly weighted moving average.

use crate::Indicator;
use crate::error::{PeriodError, or_panic};
use crate::ring::Ring;

/// Weighted moving average `WMA(n)` (spec §4.1): linear weights 1…n, the newest input weighted n.
///
/// - Formula: `WMA = Σᵢ wᵢ·xᵢ / (n(n+1)/2)`, `wᵢ = 1` for the oldest of the last n inputs up to
///   `n` for the newest.
/// - Units: those of the input.
/// - Ready after n inputs.
/// - O(1) amortised per update: besides the ring of the last n inputs it keeps the plain sum
///   `S` and the weighted sum `W` of the window; a new input `x` evicting `x₋ₙ` gives
///   `W ← W − S + n·x` and `S ← S − x₋ₙ + x` (every weight drops by one, the oldest leaves).
///   The `W` recurrence accumulates the rounding drift of `S`, so both sums are recomputed from
///   the ring every n updates (when the ring's oldest slot is back at its start): an O(n) pass
///   every n updates, and the drift never spans more than n steps (over the 11,000 candles of
///   the 2024 NIFTY 5-minute series, WMA(20) of the closes stays within 3.3e-11 of a fresh
///   recomputation of every window, itself rounded to about 1e-11; `tests/properties.rs` checks 1e-9 relative on random
///   series). Plain sums with a periodic re-anchor cost a third of error-compensated ones
///   (docs/benchmarks.md, "Indicator hot path").
#[derive(Debug, Clone)]
pub struct Wma {
    period: usize,
    /// n, the weight of the newest input.
    weight_n: f64,
    divisor: f64,
    window: Ring,
    /// Σ of the window (plain; re-anchored every n updates).
    sum: f64,
    /// Σ wᵢ·xᵢ of the window (plain; re-anchored every n updates).
    weighted: f64,
    value: Option<f64>,
}

impl Wma {
    /// `WMA(period)`.
    ///
    /// # Panics
    /// If `period` is 0 (use [`Wma::try_new`] for a `Result`).
    pub fn new(period: usize) -> Self {
        or_panic(Self::try_new(period))
    }

    /// `WMA(period)`, or an error if `period` is 0.
    pub fn try_new(period: usize) -> Result<Self, PeriodError> {
        let period = PeriodError::check("Wma", "period", period, 1)?;
        let n = period as f64;
        Ok(Wma {
            period,
            weight_n: n,
            divisor: n * (n + 1.0) / 2.0,
            window: Ring::new(period),
            sum: 0.0,
            weighted: 0.0,
            value: None,
        })
    }

    /// The window length n.
    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Wma {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        debug_assert!(x.is_finite(), "Wma input must be finite, got {x}");
        if self.window.is_full() {
            return Some(self.update_full(x));
        }
        // Warming up: the k-th input has weight k.
        self.window.push(x);
        self.sum += x;
        self.weighted += self.window.len() as f64 * x;
        if !self.window.is_full() {
            return None;
        }
        self.reanchor();
        let v = self.weighted / self.divisor;
        self.value = Some(v);
        self.value
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        self.value
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.weighted = 0.0;
        self.value = None;
    }
}

impl Wma {
    /// One update once the window is full (ready): the steady-state recurrence, re-anchored
    /// every n updates. The hot path of [`crate::RsiCrossoverSet`].
    #[inline]
    pub(crate) fn update_full(&mut self, x: f64) -> f64 {
        let old = self.window.push_full(x);
        // Every weight drops by one (the oldest input's 1 drops to 0, so the whole previous
        // window sum goes) and the new input comes in at weight n.
        self.weighted += self.weight_n * x - self.sum;
        self.sum += x - old;
        if self.window.at_start() {
            self.reanchor();
        }
        let v = self.weighted / self.divisor;
        self.value = Some(v);
        v
    }

    /// Recomputes both sums from the ring. Called when the ring is full and its oldest value
    /// is in slot 0, so the ring's storage is in window order.
    #[inline]
    fn reanchor(&mut self) {
        debug_assert!(self.window.at_start());
        (self.sum, self.weighted) = window_sums(self.window.slots());
    }
}

/// `(Σ xᵢ, Σ i·xᵢ)` of a window in order, oldest first (weights 1…n). Out of line and over a
/// slice, so the WMA's own state can stay in registers in a caller's loop.
#[inline(never)]
fn window_sums(window: &[f64]) -> (f64, f64) {
    let (mut sum, mut weighted) = (0.0, 0.0);
    for (i, &x) in window.iter().enumerate() {
        sum += x;
        weighted += (i + 1) as f64 * x;
    }
    (sum, weighted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // WMA(3), divisor 6.
        let mut wma = Wma::new(3);
        assert_eq!(wma.update(1.0), None);
        assert_eq!(wma.update(2.0), None);
        assert!(!wma.is_ready());
        // (1·1 + 2·2 + 3·3)/6 = 14/6
        assert_eq!(wma.update(3.0), Some(14.0 / 6.0));
        // (1·2 + 2·3 + 3·6)/6 = 26/6
        assert_eq!(wma.update(6.0), Some(26.0 / 6.0));
        // (1·3 + 2·6 + 3·0)/6 = 15/6
        assert_eq!(wma.update(0.0), Some(15.0 / 6.0));
        // (1·6 + 2·0 + 3·12)/6 = 42/6 = 7
        assert_eq!(wma.update(12.0), Some(7.0));
    }

    #[test]
    fn hand_computed_period_6_as_in_rsi_crossover() {
        // WMA(6), divisor 21: inputs 10, 20, …, 60 → (10 + 40 + 90 + 160 + 250 + 360)/21.
        let mut wma = Wma::new(6);
        for x in [10.0, 20.0, 30.0, 40.0, 50.0] {
            assert_eq!(wma.update(x), None);
        }
        assert_eq!(wma.update(60.0), Some(910.0 / 21.0));
        // Window 20..70: (20 + 60 + 120 + 200 + 300 + 420)/21 = 1120/21.
        assert_eq!(wma.update(70.0), Some(1120.0 / 21.0));
    }

    #[test]
    fn period_one_is_identity() {
        let mut wma = Wma::new(1);
        assert_eq!(wma.update(3.5), Some(3.5));
        assert_eq!(wma.update(-8.0), Some(-8.0));
    }

    #[test]
    fn reset_forgets_everything() {
        let mut wma = Wma::new(2);
        wma.update(5.0);
        wma.update(9.0);
        wma.reset();
        assert_eq!(wma.update(1.0), None);
        assert_eq!(wma.update(4.0), Some(3.0)); // (1 + 8)/3
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Wma::try_new(0).is_err());
    }
}
