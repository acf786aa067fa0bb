//! Zero-lag exponential moving average.

use crate::error::{PeriodError, or_panic};
use crate::ring::Ring;
use crate::{Ema, Indicator};

/// Zero-lag exponential moving average `ZLEMA(n)` (spec §4.1), as TA-Lib's `ZLEMA`.
///
/// - Formula: `lag = (n − 1)/2` (integer division); the de-lagged input `y = 2·x − x₋lag`
///   (the input `lag` steps back) is fed to an [`Ema`]`(n)`, itself seeded by the SMA of its
///   first n inputs.
/// - Units: those of the input.
/// - Ready after `lag + n` inputs (the first `lag` inputs only fill the lag window).
/// - O(1) per update: a ring of the last `lag + 1` inputs, allocated at construction.
#[derive(Debug, Clone)]
pub struct Zlema {
    period: usize,
    lag: usize,
    /// The last `lag + 1` inputs: once full, its oldest is `x₋lag`.
    window: Ring,
    ema: Ema,
}

impl Zlema {
    /// `ZLEMA(period)`.
    ///
    /// # Panics
    /// If `period` is 0 (use [`Zlema::try_new`] for a `Result`).
    pub fn new(period: usize) -> Self {
        or_panic(Self::try_new(period))
    }

    /// `ZLEMA(period)`, or an error if `period` is 0.
    pub fn try_new(period: usize) -> Result<Self, PeriodError> {
        let period = PeriodError::check("Zlema", "period", period, 1)?;
        let lag = (period - 1) / 2;
        Ok(Zlema {
            period,
            lag,
            window: Ring::new(lag + 1),
            ema: Ema::new(period),
        })
    }

    /// The period n.
    pub fn period(&self) -> usize {
        self.period
    }

    /// The de-lag distance `(n − 1)/2`.
    pub fn lag(&self) -> usize {
        self.lag
    }
}

impl Indicator for Zlema {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        debug_assert!(x.is_finite(), "Zlema input must be finite, got {x}");
        self.window.push(x);
        if !self.window.is_full() {
            return None;
        }
        let lagged = self.window.oldest().unwrap_or(x);
        self.ema.update(2.0 * x - lagged)
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        self.ema.value()
    }

    fn reset(&mut self) {
        self.window.clear();
        self.ema.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_period_5() {
        // ZLEMA(5): lag 2, α = 1/3. Inputs 1, 2, 4, 7, 11, 16, 22, 29.
        // De-lagged from the 3rd input: y = 2·4 − 1 = 7, 2·7 − 2 = 12, 2·11 − 4 = 18,
        // 2·16 − 7 = 25, 2·22 − 11 = 33, 2·29 − 16 = 42.
        // EMA(5) of y: seed = (7 + 12 + 18 + 25 + 33)/5 = 19 at the 7th input (lag + n);
        // then 42/3 + 19·2/3 = 80/3.
        let mut z = Zlema::new(5);
        assert_eq!(z.lag(), 2);
        let inputs = [1.0, 2.0, 4.0, 7.0, 11.0, 16.0];
        for x in inputs {
            assert_eq!(z.update(x), None);
        }
        assert!(!z.is_ready());
        assert_eq!(z.update(22.0), Some(19.0));
        let v = z.update(29.0).unwrap();
        assert!((v - 80.0 / 3.0).abs() < 1e-12, "{v}");
        assert_eq!(z.value(), Some(v));
    }

    #[test]
    fn lag_is_integer_division() {
        for (n, lag) in [(1, 0), (2, 0), (3, 1), (4, 1), (12, 5), (26, 12)] {
            assert_eq!(Zlema::new(n).lag(), lag, "n={n}");
        }
    }

    #[test]
    fn lag_zero_is_a_plain_ema() {
        let mut z = Zlema::new(2);
        let mut e = Ema::new(2);
        for x in [3.0, 5.0, 4.0, 8.0, 1.0] {
            assert_eq!(z.update(x), e.update(x));
        }
    }

    #[test]
    fn ready_after_lag_plus_n() {
        for n in 1..12 {
            let mut z = Zlema::new(n);
            let lag = (n - 1) / 2;
            for i in 0..lag + n - 1 {
                assert_eq!(z.update(i as f64), None, "n={n} i={i}");
            }
            assert!(z.update(1.0).is_some(), "n={n}");
        }
    }

    #[test]
    fn reset_forgets_everything() {
        let mut z = Zlema::new(3);
        for x in [1.0, 2.0, 3.0, 4.0] {
            z.update(x);
        }
        assert!(z.is_ready());
        z.reset();
        assert!(!z.is_ready());
        assert_eq!(z.update(1.0), None);
    }
}
