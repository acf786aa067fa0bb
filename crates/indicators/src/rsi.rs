//! Wilder's relative strength index.

use crate::Indicator;
use crate::error::{PeriodError, or_panic};

/// Relative strength index `RSI(n)`, Wilder's smoothing, as in TA-Lib and TradingView
/// (spec §4.1).
///
/// - Changes `d = closeₜ − closeₜ₋₁`; gain = `max(d, 0)`, loss = `max(−d, 0)`.
/// - The first average gain / loss is the mean of the first n gains / losses; after that
///   `avg = (avg·(n−1) + current)/n`.
/// - `RSI = 100 − 100/(1 + avgGain/avgLoss)`; `avgLoss = 0` gives 100, and both averages 0
///   (no movement at all) give 50.
/// - Units: 0–100.
/// - Ready after n + 1 closes (n changes).
/// - O(1) per update, no window.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    /// n − 1 and 1/n, for Wilder's step.
    keep: f64,
    inv_period: f64,
    prev_close: Option<f64>,
    /// Changes seen while warming up (stops counting at `period`).
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
    value: Option<f64>,
}

impl Rsi {
    /// `RSI(period)`.
    ///
    /// # Panics
    /// If `period` is 0 (use [`Rsi::try_new`] for a `Result`).
    pub fn new(period: usize) -> Self {
        or_panic(Self::try_new(period))
    }

    /// `RSI(period)`, or an error if `period` is 0.
    pub fn try_new(period: usize) -> Result<Self, PeriodError> {
        let period = PeriodError::check("Rsi", "period", period, 1)?;
        Ok(Rsi {
            period,
            keep: period as f64 - 1.0,
            inv_period: 1.0 / period as f64,
            prev_close: None,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
            value: None,
        })
    }

    /// The period n.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Wilder's average gain and average loss (both ≥ 0) once ready.
    pub fn averages(&self) -> Option<(f64, f64)> {
        self.value.map(|_| (self.avg_gain, self.avg_loss))
    }

    /// `100 − 100/(1 + g/l)`, computed as the equivalent `100·g/(g + l)` (one division, as
    /// TA-Lib does); `l = 0` gives exactly 100 that way, and `g = l = 0` is 50.
    /// One update once ready (a value exists, so a previous close does too): Wilder's
    /// smoothing. The hot path of [`crate::RsiCrossoverSet`].
    #[inline]
    pub(crate) fn update_ready(&mut self, close: f64) -> f64 {
        debug_assert!(self.value.is_some());
        let prev = self.prev_close.unwrap_or(close);
        self.prev_close = Some(close);
        let (gain, loss) = Self::gain_loss(close - prev);
        // Wilder: (avg·(n−1) + current)/n, the division as a multiplication by 1/n.
        self.avg_gain = (self.avg_gain * self.keep + gain) * self.inv_period;
        self.avg_loss = (self.avg_loss * self.keep + loss) * self.inv_period;
        let v = Self::rsi(self.avg_gain, self.avg_loss);
        self.value = Some(v);
        v
    }

    /// A close-to-close change split into (gain, loss), both ≥ 0.
    #[inline]
    fn gain_loss(d: f64) -> (f64, f64) {
        (d.max(0.0), (-d).max(0.0))
    }

    #[inline]
    fn rsi(avg_gain: f64, avg_loss: f64) -> f64 {
        let total = avg_gain + avg_loss;
        if total > 0.0 {
            100.0 * (avg_gain / total)
        } else {
            50.0
        }
    }
}

impl Indicator for Rsi {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn update(&mut self, close: f64) -> Option<f64> {
        debug_assert!(close.is_finite(), "Rsi input must be finite, got {close}");
        if self.value.is_some() {
            return Some(self.update_ready(close));
        }
        // The first close only sets the previous close.
        let prev = self.prev_close.replace(close)?;
        let (gain, loss) = Self::gain_loss(close - prev);
        // Warming up: the sums of the first n gains/losses, averaged at the n-th change.
        self.avg_gain += gain;
        self.avg_loss += loss;
        self.changes += 1;
        if self.changes < self.period {
            return None;
        }
        self.avg_gain *= self.inv_period;
        self.avg_loss *= self.inv_period;
        self.value = Some(Self::rsi(self.avg_gain, self.avg_loss));
        self.value
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        self.value
    }

    fn reset(&mut self) {
        self.prev_close = None;
        self.changes = 0;
        self.avg_gain = 0.0;
        self.avg_loss = 0.0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_period_3() {
        // Closes 10, 11, 10.5, 12, 11, 11.5; changes +1, −0.5, +1.5, −1, +0.5.
        // First averages over 3 changes: gain (1 + 0 + 1.5)/3 = 5/6, loss (0 + 0.5 + 0)/3 = 1/6
        //   → RS = 5, RSI = 100 − 100/6 = 83.333…
        // Then change −1: gain (5/6·2 + 0)/3 = 5/9, loss (1/6·2 + 1)/3 = 4/9
        //   → RS = 1.25, RSI = 100 − 100/2.25 = 55.555…
        // Then change +0.5: gain (5/9·2 + 0.5)/3 = 29/54, loss (4/9·2)/3 = 16/54
        //   → RS = 29/16, RSI = 100 − 100/(45/16) = 64.444…
        let mut rsi = Rsi::new(3);
        assert_eq!(rsi.update(10.0), None);
        assert_eq!(rsi.update(11.0), None);
        assert_eq!(rsi.update(10.5), None);
        assert!(!rsi.is_ready());
        let v = rsi.update(12.0).unwrap(); // the (n+1)-th close: first value
        assert!(close(v, 100.0 - 100.0 / 6.0), "{v}");
        let (g, l) = rsi.averages().unwrap();
        assert!(close(g, 5.0 / 6.0) && close(l, 1.0 / 6.0));
        let v = rsi.update(11.0).unwrap();
        assert!(close(v, 100.0 - 100.0 / 2.25), "{v}");
        let v = rsi.update(11.5).unwrap();
        assert!(close(v, 100.0 - 100.0 / (45.0 / 16.0)), "{v}");
        assert_eq!(rsi.value(), Some(v));
    }

    #[test]
    fn ready_after_n_plus_one_closes() {
        for n in 1..8 {
            let mut rsi = Rsi::new(n);
            for i in 0..n {
                assert_eq!(rsi.update(100.0 + i as f64), None, "n={n} i={i}");
            }
            assert!(rsi.update(50.0).is_some(), "n={n}");
        }
    }

    #[test]
    fn only_gains_give_100() {
        let mut rsi = Rsi::new(3);
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0]
            .into_iter()
            .map(|x| rsi.update(x))
            .collect();
        assert_eq!(out, [None, None, None, Some(100.0), Some(100.0)]);
    }

    #[test]
    fn only_losses_give_0() {
        let mut rsi = Rsi::new(3);
        for x in [5.0, 4.0, 3.0] {
            rsi.update(x);
        }
        assert_eq!(rsi.update(2.0), Some(0.0));
    }

    #[test]
    fn flat_prices_give_50() {
        let mut rsi = Rsi::new(3);
        for _ in 0..3 {
            assert_eq!(rsi.update(7.0), None);
        }
        assert_eq!(rsi.update(7.0), Some(50.0));
        assert_eq!(rsi.update(7.0), Some(50.0));
    }

    #[test]
    fn losses_decayed_to_exactly_zero_give_100_after_a_gain() {
        // Period 1: the averages are the last change, so a gain right after flat moves gives
        // avgLoss = 0 and avgGain > 0 → 100; flat again → both 0 → 50.
        let mut rsi = Rsi::new(1);
        assert_eq!(rsi.update(10.0), None);
        assert_eq!(rsi.update(9.0), Some(0.0));
        assert_eq!(rsi.update(9.0), Some(50.0));
        assert_eq!(rsi.update(9.5), Some(100.0));
    }

    #[test]
    fn reset_forgets_the_previous_close() {
        let mut rsi = Rsi::new(1);
        rsi.update(1.0);
        rsi.update(2.0);
        rsi.reset();
        assert_eq!(rsi.averages(), None);
        assert_eq!(rsi.update(5.0), None); // no previous close: no change yet
        assert_eq!(rsi.update(4.0), Some(0.0));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Rsi::try_new(0).is_err());
    }
}
