//! Wilder's average true range.

use crate::Indicator;
use crate::error::{PeriodError, or_panic};

/// One bar's high, low and close: the input of [`Atr`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hlc {
    /// Highest price of the bar.
    pub high: f64,
    /// Lowest price of the bar.
    pub low: f64,
    /// Last price of the bar.
    pub close: f64,
}

impl Hlc {
    /// A bar from its high, low and close.
    pub fn new(high: f64, low: f64, close: f64) -> Self {
        Hlc { high, low, close }
    }
}

/// Average true range `ATR(n)`, Wilder's smoothing (spec §4.1).
///
/// - True range `TR = max(h − l, |h − c₋₁|, |l − c₋₁|)`; the first bar, which has no previous
///   close, has `TR = h − l`.
/// - The first ATR is the mean of the first n TRs (the first bar's included); after that
///   `ATR = (ATR·(n−1) + TR)/n`.
/// - Units: price units of the input (index points).
/// - Ready after n bars.
/// - O(1) per update, no window.
///
/// TA-Lib differs only in the start: its first TR is the second bar's, so its first ATR comes
/// one bar later and the two converge geometrically (factor (n−1)/n per bar).
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    /// n − 1 and 1/n, for Wilder's step.
    keep: f64,
    inv_period: f64,
    prev_close: Option<f64>,
    /// Bars seen while warming up (stops counting at `period`).
    seen: usize,
    tr_sum: f64,
    value: Option<f64>,
}

impl Atr {
    /// `ATR(period)`.
    ///
    /// # Panics
    /// If `period` is 0 (use [`Atr::try_new`] for a `Result`).
    pub fn new(period: usize) -> Self {
        or_panic(Self::try_new(period))
    }

    /// `ATR(period)`, or an error if `period` is 0.
    pub fn try_new(period: usize) -> Result<Self, PeriodError> {
        let period = PeriodError::check("Atr", "period", period, 1)?;
        Ok(Atr {
            period,
            keep: period as f64 - 1.0,
            inv_period: 1.0 / period as f64,
            prev_close: None,
            seen: 0,
            tr_sum: 0.0,
            value: None,
        })
    }

    /// The period n.
    pub fn period(&self) -> usize {
        self.period
    }

    /// The true range of `bar` given the previous close (`None` for the first bar: `h − l`).
    #[inline]
    pub fn true_range(bar: Hlc, prev_close: Option<f64>) -> f64 {
        let range = bar.high - bar.low;
        match prev_close {
            None => range,
            Some(c) => range.max((bar.high - c).abs()).max((bar.low - c).abs()),
        }
    }
}

impl Indicator for Atr {
    type Input = Hlc;
    type Output = f64;

    #[inline]
    fn update(&mut self, bar: Hlc) -> Option<f64> {
        debug_assert!(
            bar.high.is_finite() && bar.low.is_finite() && bar.close.is_finite(),
            "Atr input must be finite, got {bar:?}"
        );
        let tr = Self::true_range(bar, self.prev_close.replace(bar.close));
        match self.value {
            // Wilder: (ATR·(n−1) + TR)/n, the division as a multiplication by 1/n.
            Some(atr) => self.value = Some((atr * self.keep + tr) * self.inv_period),
            None => {
                self.tr_sum += tr;
                self.seen += 1;
                if self.seen == self.period {
                    self.value = Some(self.tr_sum * self.inv_period);
                }
            }
        }
        self.value
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        self.value
    }

    fn reset(&mut self) {
        self.prev_close = None;
        self.seen = 0;
        self.tr_sum = 0.0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_range_cases() {
        let bar = Hlc::new(12.0, 10.0, 11.0);
        assert_eq!(Atr::true_range(bar, None), 2.0); // first bar: h − l
        assert_eq!(Atr::true_range(bar, Some(11.0)), 2.0); // inside: h − l
        assert_eq!(Atr::true_range(bar, Some(7.0)), 5.0); // gap up: h − c₋₁
        assert_eq!(Atr::true_range(bar, Some(15.0)), 5.0); // gap down: c₋₁ − l
    }

    #[test]
    fn hand_computed() {
        // ATR(3):
        // bar 1 h12 l10 c11           TR = 2 (first bar: h − l)
        // bar 2 h13 l11 c12 (c₋₁ 11)  TR = max(2, 2, 0) = 2
        // bar 3 h16 l12 c15 (c₋₁ 12)  TR = max(4, 4, 0) = 4   → ATR = (2 + 2 + 4)/3 = 8/3
        // bar 4 h15 l14 c14 (c₋₁ 15)  TR = max(1, 0, 1) = 1   → ATR = (8/3·2 + 1)/3 = 19/9
        // bar 5 h10 l 9 c 9 (c₋₁ 14)  TR = max(1, 4, 5) = 5   → ATR = (19/9·2 + 5)/3 = 83/27
        let mut atr = Atr::new(3);
        assert_eq!(atr.update(Hlc::new(12.0, 10.0, 11.0)), None);
        assert_eq!(atr.update(Hlc::new(13.0, 11.0, 12.0)), None);
        assert!(!atr.is_ready());
        assert_eq!(atr.update(Hlc::new(16.0, 12.0, 15.0)), Some(8.0 / 3.0));
        let v = atr.update(Hlc::new(15.0, 14.0, 14.0)).unwrap();
        assert!((v - 19.0 / 9.0).abs() < 1e-12, "{v}");
        let v = atr.update(Hlc::new(10.0, 9.0, 9.0)).unwrap();
        assert!((v - 83.0 / 27.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn period_one_is_the_true_range() {
        let mut atr = Atr::new(1);
        assert_eq!(atr.update(Hlc::new(5.0, 4.0, 4.5)), Some(1.0));
        assert_eq!(atr.update(Hlc::new(9.0, 8.0, 8.5)), Some(4.5));
    }

    #[test]
    fn reset_forgets_the_previous_close() {
        let mut atr = Atr::new(1);
        atr.update(Hlc::new(5.0, 4.0, 4.5));
        atr.reset();
        assert_eq!(atr.value(), None);
        assert_eq!(atr.update(Hlc::new(9.0, 8.0, 8.5)), Some(1.0)); // first bar again: h − l
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Atr::try_new(0).is_err());
    }
}
