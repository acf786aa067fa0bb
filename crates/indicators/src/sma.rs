//! Simple moving average.

use crate::Indicator;
use crate::error::{PeriodError, or_panic};
use crate::ring::{CompensatedSum, Ring};

/// Simple moving average `SMA(n)`: the mean of the last n inputs (spec §4.1).
///
/// - Formula: `SMA = (x₋ₙ₊₁ + … + x₀) / n`.
/// - Units: those of the input.
/// - Ready after n inputs.
/// - O(1) per update: a ring of the last n inputs (allocated at construction) and a running sum
///   kept with error compensation, so it does not drift over long runs.
#[derive(Debug, Clone)]
pub struct Sma {
    period: usize,
    window: Ring,
    sum: CompensatedSum,
    value: Option<f64>,
}

impl Sma {
    /// `SMA(period)`.
    ///
    /// # Panics
    /// If `period` is 0 (use [`Sma::try_new`] for a `Result`).
    pub fn new(period: usize) -> Self {
        or_panic(Self::try_new(period))
    }

    /// `SMA(period)`, or an error if `period` is 0.
    pub fn try_new(period: usize) -> Result<Self, PeriodError> {
        let period = PeriodError::check("Sma", "period", period, 1)?;
        Ok(Sma {
            period,
            window: Ring::new(period),
            sum: CompensatedSum::default(),
            value: None,
        })
    }

    /// The window length n.
    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Sma {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        debug_assert!(x.is_finite(), "Sma input must be finite, got {x}");
        if let Some(old) = self.window.push(x) {
            self.sum.add(-old);
        }
        self.sum.add(x);
        self.value = self
            .window
            .is_full()
            .then(|| self.sum.value() / self.period as f64);
        self.value
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        self.value
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum.clear();
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        let mut sma = Sma::new(3);
        assert_eq!(sma.update(1.0), None);
        assert_eq!(sma.update(2.0), None);
        assert!(!sma.is_ready());
        assert_eq!(sma.update(3.0), Some(2.0)); // ready after exactly n inputs
        assert!(sma.is_ready());
        assert_eq!(sma.update(10.0), Some(5.0)); // (2 + 3 + 10) / 3
        assert_eq!(sma.update(-4.0), Some(3.0)); // (3 + 10 − 4) / 3
        assert_eq!(sma.value(), Some(3.0));
    }

    #[test]
    fn period_one_is_identity() {
        let mut sma = Sma::new(1);
        assert_eq!(sma.update(7.5), Some(7.5));
        assert_eq!(sma.update(-2.25), Some(-2.25));
    }

    #[test]
    fn reset_forgets_everything() {
        let mut sma = Sma::new(2);
        sma.update(1.0);
        sma.update(3.0);
        sma.reset();
        assert_eq!(sma.value(), None);
        assert_eq!(sma.update(5.0), None);
        assert_eq!(sma.update(7.0), Some(6.0));
    }

    #[test]
    fn zero_period_is_an_error() {
        let err = Sma::try_new(0).unwrap_err();
        assert_eq!(err.to_string(), "Sma: period must be at least 1, got 0");
    }

    #[test]
    #[should_panic(expected = "Sma: period must be at least 1, got 0")]
    fn new_panics_on_zero_period() {
        let _ = Sma::new(0);
    }
}
