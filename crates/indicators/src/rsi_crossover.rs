//! The indicator set of the `rsi_crossover` strategy.

use crate::error::{PeriodError, or_panic};
use crate::{Ema, Indicator, Rsi, Wma};

/// The three lines of [`RsiCrossoverSet`] after one close; each is `None` until ready.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RsiCrossoverValues {
    /// `RSI(rsi_period)` of the close, 0–100.
    pub rsi: Option<f64>,
    /// Price strength (the "blue line"): `EMA(price_strength_period)` of the RSI, 0–100.
    pub price_strength: Option<f64>,
    /// Volume strength (the "red line"): `WMA(volume_strength_period)` of the RSI, 0–100.
    pub volume_strength: Option<f64>,
}

impl RsiCrossoverValues {
    /// `(price_strength, volume_strength)` once both lines are ready: the pair the crossover
    /// rule compares (spec §3.1 rule 5).
    pub fn lines(&self) -> Option<(f64, f64)> {
        Some((self.price_strength?, self.volume_strength?))
    }
}

/// The indicators of the `rsi_crossover` strategy (spec §4.2), updated together once per
/// completed candle:
///
/// - `rsi = RSI(close, rsi_period)` (Wilder, [`Rsi`]);
/// - price strength = [`Ema`]`(price_strength_period)` of the RSI;
/// - volume strength = [`Wma`]`(volume_strength_period)` of the RSI.
///
/// Both lines are fed only from the first ready RSI value on (spec §3.1 rule 5), so with the
/// defaults 9/3/6 the RSI is ready at the 10th close, price strength at the 12th and volume
/// strength at the 15th. Units: all three on the RSI's 0–100 scale. O(1) and allocation-free
/// per update; `Clone + Send`, so a segment agent can own one and be moved to its task.
#[derive(Debug, Clone)]
pub struct RsiCrossoverSet {
    rsi: Rsi,
    price_strength: Ema,
    volume_strength: Wma,
    /// All three lines are ready: updates take the branch-free steady-state path.
    ready: bool,
}

impl RsiCrossoverSet {
    /// The set for the given periods (the strategy's `rsi_period`, `price_strength_period`,
    /// `volume_strength_period`).
    ///
    /// # Panics
    /// If a period is 0 (use [`RsiCrossoverSet::try_new`] for a `Result`).
    pub fn new(
        rsi_period: usize,
        price_strength_period: usize,
        volume_strength_period: usize,
    ) -> Self {
        or_panic(Self::try_new(
            rsi_period,
            price_strength_period,
            volume_strength_period,
        ))
    }

    /// The set for the given periods, or an error naming the period that is 0.
    pub fn try_new(
        rsi_period: usize,
        price_strength_period: usize,
        volume_strength_period: usize,
    ) -> Result<Self, PeriodError> {
        const NAME: &str = "RsiCrossoverSet";
        let r = PeriodError::check(NAME, "rsi_period", rsi_period, 1)?;
        let p = PeriodError::check(NAME, "price_strength_period", price_strength_period, 1)?;
        let v = PeriodError::check(NAME, "volume_strength_period", volume_strength_period, 1)?;
        Ok(RsiCrossoverSet {
            rsi: Rsi::new(r),
            price_strength: Ema::new(p),
            volume_strength: Wma::new(v),
            ready: false,
        })
    }

    /// Feeds one completed candle's close (rupees); returns the three lines after it.
    #[inline(always)]
    pub fn update(&mut self, close: f64) -> RsiCrossoverValues {
        if self.ready {
            let rsi = self.rsi.update_ready(close);
            return RsiCrossoverValues {
                rsi: Some(rsi),
                price_strength: Some(self.price_strength.update_ready(rsi)),
                volume_strength: Some(self.volume_strength.update_full(rsi)),
            };
        }
        self.warm_up(close)
    }

    /// An update while some line is still warming up (kept out of line so the steady-state
    /// path of [`RsiCrossoverSet::update`] inlines into the caller's loop).
    #[inline]
    fn warm_up(&mut self, close: f64) -> RsiCrossoverValues {
        let rsi = self.rsi.update(close);
        let (price_strength, volume_strength) = match rsi {
            Some(r) => (
                self.price_strength.update(r),
                self.volume_strength.update(r),
            ),
            None => (None, None),
        };
        self.ready = self.is_ready();
        RsiCrossoverValues {
            rsi,
            price_strength,
            volume_strength,
        }
    }

    /// The lines after the last update (all `None` before any).
    #[inline]
    pub fn values(&self) -> RsiCrossoverValues {
        RsiCrossoverValues {
            rsi: self.rsi.value(),
            price_strength: self.price_strength.value(),
            volume_strength: self.volume_strength.value(),
        }
    }

    /// Whether all three lines are ready (the volume strength, with the longest warm-up by
    /// default, is ready only after the RSI; checking all three keeps any period choice right).
    pub fn is_ready(&self) -> bool {
        self.rsi.is_ready() && self.price_strength.is_ready() && self.volume_strength.is_ready()
    }

    /// Forgets all input (a fresh warm-up, spec §3.1 rule 4); no allocation.
    pub fn reset(&mut self) {
        self.rsi.reset();
        self.price_strength.reset();
        self.volume_strength.reset();
        self.ready = false;
    }

    /// The (rsi, price strength, volume strength) periods.
    pub fn periods(&self) -> (usize, usize, usize) {
        (
            self.rsi.period(),
            self.price_strength.period(),
            self.volume_strength.period(),
        )
    }
}

impl Default for RsiCrossoverSet {
    /// The strategy's defaults: RSI 9, price strength EMA 3, volume strength WMA 6 (spec §4.2).
    fn default() -> Self {
        RsiCrossoverSet::new(9, 3, 6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send + Clone>() {}

    #[test]
    fn is_clone_and_send() {
        assert_send::<RsiCrossoverSet>();
        assert_send::<RsiCrossoverValues>();
    }

    #[test]
    fn lines_start_from_the_first_ready_rsi() {
        // RSI(2), EMA(2) and WMA(3) of it. Closes 10, 11, 10, 12, 12, 9.
        // Changes +1, −1, +2, 0, −3.
        // RSI at close 3: gain 0.5, loss 0.5 → 50.
        // close 4: gain (0.5 + 2)/2 = 1.25, loss 0.25 → RS 5 → 100 − 100/6 = 250/3.
        // close 5: gain 0.625, loss 0.125 → RS 5 → 250/3.
        // close 6: gain 0.3125, loss (0.125 + 3)/2 = 1.5625 → RS 0.2 → 100 − 100/1.2 = 50/3.
        // EMA(2) of RSI (α = 2/3): seed (50 + 250/3)/2 = 200/3 at close 4;
        //   close 5: 2/3·250/3 + 1/3·200/3 = 700/9; close 6: 2/3·50/3 + 1/3·700/9 = 1000/27.
        // WMA(3) of RSI at close 5: (50 + 2·250/3 + 3·250/3)/6 = (150 + 1250)/18 = 700/9;
        //   close 6: (250/3 + 2·250/3 + 3·50/3)/6 = (750 + 150)/18 = 50.
        let mut set = RsiCrossoverSet::new(2, 2, 3);
        let none = RsiCrossoverValues::default();
        assert_eq!(set.update(10.0), none);
        assert_eq!(set.update(11.0), none);
        let v = set.update(10.0);
        assert_eq!(v.rsi, Some(50.0));
        assert_eq!((v.price_strength, v.volume_strength), (None, None));
        let v = set.update(12.0);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
        assert!(close(v.rsi, 250.0 / 3.0), "{v:?}");
        assert!(close(v.price_strength, 200.0 / 3.0), "{v:?}");
        assert_eq!(v.volume_strength, None);
        assert!(!set.is_ready());
        let v = set.update(12.0);
        assert!(close(v.rsi, 250.0 / 3.0), "{v:?}");
        assert!(close(v.price_strength, 700.0 / 9.0), "{v:?}");
        assert!(close(v.volume_strength, 700.0 / 9.0), "{v:?}");
        assert!(set.is_ready());
        let v = set.update(9.0);
        assert!(close(v.rsi, 50.0 / 3.0), "{v:?}");
        assert!(close(v.price_strength, 1000.0 / 27.0), "{v:?}");
        assert!(close(v.volume_strength, 50.0), "{v:?}");
        assert_eq!(set.values(), v);
        let (ps, vs) = v.lines().unwrap();
        assert!(ps < vs);
    }

    #[test]
    fn default_readiness_9_3_6() {
        let mut set = RsiCrossoverSet::default();
        assert_eq!(set.periods(), (9, 3, 6));
        let mut first = [None; 3];
        for i in 1..=20 {
            let close = 100.0 + if i % 3 == 0 { -1.0 } else { 1.5 } * f64::from(i);
            let v = set.update(close);
            for (slot, ready) in first.iter_mut().zip([
                v.rsi.is_some(),
                v.price_strength.is_some(),
                v.volume_strength.is_some(),
            ]) {
                if ready && slot.is_none() {
                    *slot = Some(i);
                }
            }
        }
        assert_eq!(first, [Some(10), Some(12), Some(15)]);
    }

    #[test]
    fn reset_starts_a_fresh_warm_up() {
        let mut set = RsiCrossoverSet::default();
        for i in 0..30 {
            set.update(100.0 + f64::from(i % 4));
        }
        assert!(set.is_ready());
        let mut fresh = set.clone();
        fresh.reset();
        assert_eq!(fresh.values(), RsiCrossoverValues::default());
        let mut reference = RsiCrossoverSet::default();
        for i in 0..30 {
            let x = 200.0 - f64::from(i % 7);
            assert_eq!(fresh.update(x), reference.update(x));
        }
    }

    #[test]
    fn zero_period_is_an_error() {
        let err = RsiCrossoverSet::try_new(9, 3, 0).unwrap_err();
        assert_eq!(err.parameter, "volume_strength_period");
    }
}
