//! Zero-lag MACD.

use crate::error::{PeriodError, or_panic};
use crate::{Ema, Indicator, Zlema};

/// The output of [`ZeroLagMacd`], in the input's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    /// The MACD line: `ZLEMA(fast) − ZLEMA(slow)`.
    pub macd: f64,
    /// The signal line: `EMA(signal)` of the MACD line.
    pub signal: f64,
}

impl MacdValue {
    /// The histogram `macd − signal`.
    pub fn histogram(&self) -> f64 {
        self.macd - self.signal
    }
}

/// Zero-lag MACD (spec §4.1, used by `atr_breakout`): MACD line = `ZLEMA(fast) − ZLEMA(slow)`,
/// signal line = [`Ema`]`(signal)` of the MACD line, fed from the first MACD value on.
/// [`ZeroLagMacd::default`] is the standard 12/26/9.
///
/// - Units: those of the input.
/// - The MACD line is available ([`ZeroLagMacd::macd_line`]) once both ZLEMAs are ready, i.e.
///   after `max(lag_f + fast, lag_s + slow)` inputs (38 for 12/26); `update` returns a
///   [`MacdValue`] once the signal is ready too, `signal − 1` inputs later (46 for 12/26/9).
/// - O(1) per update; the two ZLEMA lag rings are allocated at construction.
#[derive(Debug, Clone)]
pub struct ZeroLagMacd {
    fast: Zlema,
    slow: Zlema,
    signal: Ema,
    macd: Option<f64>,
    value: Option<MacdValue>,
}

impl ZeroLagMacd {
    /// Zero-lag MACD with the given ZLEMA periods and signal EMA period.
    ///
    /// # Panics
    /// If a period is 0 (use [`ZeroLagMacd::try_new`] for a `Result`).
    pub fn new(fast_period: usize, slow_period: usize, signal_period: usize) -> Self {
        or_panic(Self::try_new(fast_period, slow_period, signal_period))
    }

    /// Zero-lag MACD, or an error if a period is 0.
    pub fn try_new(
        fast_period: usize,
        slow_period: usize,
        signal_period: usize,
    ) -> Result<Self, PeriodError> {
        let fast = PeriodError::check("ZeroLagMacd", "fast_period", fast_period, 1)?;
        let slow = PeriodError::check("ZeroLagMacd", "slow_period", slow_period, 1)?;
        let signal = PeriodError::check("ZeroLagMacd", "signal_period", signal_period, 1)?;
        Ok(ZeroLagMacd {
            fast: Zlema::new(fast),
            slow: Zlema::new(slow),
            signal: Ema::new(signal),
            macd: None,
            value: None,
        })
    }

    /// The latest MACD line value `ZLEMA(fast) − ZLEMA(slow)`, available before the signal is.
    pub fn macd_line(&self) -> Option<f64> {
        self.macd
    }

    /// The (fast, slow, signal) periods.
    pub fn periods(&self) -> (usize, usize, usize) {
        (self.fast.period(), self.slow.period(), self.signal.period())
    }
}

impl Default for ZeroLagMacd {
    /// The standard ZLEMA(12) − ZLEMA(26), signal EMA(9).
    fn default() -> Self {
        ZeroLagMacd::new(12, 26, 9)
    }
}

impl Indicator for ZeroLagMacd {
    type Input = f64;
    type Output = MacdValue;

    #[inline]
    fn update(&mut self, x: f64) -> Option<MacdValue> {
        let fast = self.fast.update(x);
        let slow = self.slow.update(x);
        if let (Some(f), Some(s)) = (fast, slow) {
            let macd = f - s;
            self.macd = Some(macd);
            self.value = self
                .signal
                .update(macd)
                .map(|signal| MacdValue { macd, signal });
        }
        self.value
    }

    #[inline]
    fn value(&self) -> Option<MacdValue> {
        self.value
    }

    fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.macd = None;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composes_zlemas_and_ema() {
        let mut macd = ZeroLagMacd::new(3, 5, 2);
        let (mut fast, mut slow, mut signal) = (Zlema::new(3), Zlema::new(5), Ema::new(2));
        let inputs = [
            10.0, 11.0, 13.0, 12.0, 15.0, 14.0, 18.0, 17.0, 16.0, 20.0, 19.0,
        ];
        for (i, x) in inputs.into_iter().enumerate() {
            let got = macd.update(x);
            let expected = match (fast.update(x), slow.update(x)) {
                (Some(f), Some(s)) => signal.update(f - s).map(|sig| MacdValue {
                    macd: f - s,
                    signal: sig,
                }),
                _ => None,
            };
            assert_eq!(got, expected, "input {i}");
        }
        assert!(macd.is_ready());
    }

    #[test]
    fn hand_computed_on_a_straight_line() {
        // On x = t, every ZLEMA(n) with an odd n is exact: y = 2t − (t − lag) = t + lag, whose
        // EMA lags a line by (1−α)/α = (n−1)/2 = lag, so ZLEMA = t. MACD = 0, signal = 0.
        let mut macd = ZeroLagMacd::new(3, 5, 3);
        let mut last = None;
        for t in 0..40 {
            last = macd.update(f64::from(t));
        }
        let v = last.unwrap();
        assert!(v.macd.abs() < 1e-9 && v.signal.abs() < 1e-9, "{v:?}");
        assert!(v.histogram().abs() < 1e-9);
    }

    #[test]
    fn default_readiness_12_26_9() {
        let mut macd = ZeroLagMacd::default();
        assert_eq!(macd.periods(), (12, 26, 9));
        // ZLEMA(26): lag 12, ready after 38 inputs; signal EMA(9) ready 8 MACD values later.
        for t in 0..37 {
            assert_eq!(macd.update(100.0 + f64::from(t % 5)), None);
            assert_eq!(macd.macd_line(), None, "t={t}");
        }
        assert_eq!(macd.update(100.0), None);
        assert!(macd.macd_line().is_some());
        for _ in 0..7 {
            assert_eq!(macd.update(101.0), None);
        }
        assert!(macd.update(102.0).is_some()); // the 46th input
        macd.reset();
        assert_eq!(macd.macd_line(), None);
        assert_eq!(macd.value(), None);
    }

    #[test]
    fn zero_period_is_an_error() {
        let err = ZeroLagMacd::try_new(12, 0, 9).unwrap_err();
        assert_eq!(err.parameter, "slow_period");
    }
}
