//! Exponential moving average, SMA-seeded.

use crate::Indicator;
use crate::error::{PeriodError, or_panic};

/// Exponential moving average `EMA(n)` (spec §4.1), seeded by a simple average as TA-Lib does.
///
/// - Formula: `α = 2/(n+1)`; the first value is the SMA of the first n inputs; after that
///   `e = α·x + (1−α)·e`.
/// - Units: those of the input.
/// - Ready after n inputs.
/// - O(1) per update, no window: while warming up it only keeps the running sum of the inputs.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    /// Inputs seen while warming up (stops counting at `period`).
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl Ema {
    /// `EMA(period)`.
    ///
    /// # Panics
    /// If `period` is 0 (use [`Ema::try_new`] for a `Result`).
    pub fn new(period: usize) -> Self {
        or_panic(Self::try_new(period))
    }

    /// `EMA(period)`, or an error if `period` is 0.
    pub fn try_new(period: usize) -> Result<Self, PeriodError> {
        let period = PeriodError::check("Ema", "period", period, 1)?;
        Ok(Ema {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            seen: 0,
            seed_sum: 0.0,
            value: None,
        })
    }

    /// The period n.
    pub fn period(&self) -> usize {
        self.period
    }

    /// The smoothing factor α = 2/(n+1).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
}

impl Ema {
    /// One update once seeded: `α·x + (1 − α)·e`. The hot path of [`crate::RsiCrossoverSet`].
    #[inline]
    pub(crate) fn update_ready(&mut self, x: f64) -> f64 {
        debug_assert!(self.value.is_some());
        let e = self.value.unwrap_or(x);
        let e = self.alpha * x + (1.0 - self.alpha) * e;
        self.value = Some(e);
        e
    }
}

impl Indicator for Ema {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        debug_assert!(x.is_finite(), "Ema input must be finite, got {x}");
        if self.value.is_some() {
            return Some(self.update_ready(x));
        }
        self.seed_sum += x;
        self.seen += 1;
        if self.seen == self.period {
            self.value = Some(self.seed_sum / self.period as f64);
        }
        self.value
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        self.value
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.seed_sum = 0.0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // EMA(3): α = 0.5. Seed = (1 + 2 + 3)/3 = 2; then 0.5·x + 0.5·e.
        let mut ema = Ema::new(3);
        assert_eq!(ema.alpha(), 0.5);
        assert_eq!(ema.update(1.0), None);
        assert_eq!(ema.update(2.0), None);
        assert!(!ema.is_ready());
        assert_eq!(ema.update(3.0), Some(2.0));
        assert_eq!(ema.update(10.0), Some(6.0)); // 0.5·10 + 0.5·2
        assert_eq!(ema.update(0.0), Some(3.0)); // 0.5·0 + 0.5·6
        assert_eq!(ema.value(), Some(3.0));
    }

    #[test]
    fn hand_computed_period_4() {
        // EMA(4): α = 0.4. Seed = (2 + 4 + 6 + 8)/4 = 5; 0.4·10 + 0.6·5 = 7; 0.4·2 + 0.6·7 = 5.
        let mut ema = Ema::new(4);
        for x in [2.0, 4.0, 6.0] {
            assert_eq!(ema.update(x), None);
        }
        assert_eq!(ema.update(8.0), Some(5.0));
        assert!((ema.update(10.0).unwrap() - 7.0).abs() < 1e-12);
        assert!((ema.update(2.0).unwrap() - 5.0).abs() < 1e-12);
    }

    #[test]
    fn period_one_is_identity() {
        let mut ema = Ema::new(1);
        assert_eq!(ema.update(4.0), Some(4.0));
        assert_eq!(ema.update(-1.5), Some(-1.5));
    }

    #[test]
    fn reset_reseeds() {
        let mut ema = Ema::new(2);
        ema.update(100.0);
        ema.update(200.0);
        ema.reset();
        assert!(!ema.is_ready());
        assert_eq!(ema.update(1.0), None);
        assert_eq!(ema.update(3.0), Some(2.0));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Ema::try_new(0).is_err());
    }
}
