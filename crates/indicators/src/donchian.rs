//! Donchian channel over the previous n completed bars.

use crate::Indicator;
use crate::error::{PeriodError, or_panic};

/// One bar's high and low: the input of [`Donchian`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HighLow {
    /// Highest price of the bar.
    pub high: f64,
    /// Lowest price of the bar.
    pub low: f64,
}

impl HighLow {
    /// A bar from its high and low.
    pub fn new(high: f64, low: f64) -> Self {
        HighLow { high, low }
    }
}

/// The output of [`Donchian`]: the channel's bounds, in the input's price units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DonchianChannel {
    /// Highest high of the window.
    pub upper: f64,
    /// Lowest low of the window.
    pub lower: f64,
}

impl DonchianChannel {
    /// The mid band `(upper + lower)/2`.
    pub fn middle(&self) -> f64 {
        (self.upper + self.lower) / 2.0
    }
}

/// Donchian channel `Donchian(n)` (spec §4.1): the highest high and lowest low of the previous n
/// completed bars, **excluding the current one**.
///
/// - `update(bar)` returns the channel of the n bars *before* `bar`, then adds `bar` to the
///   window; so a breakout test is `close > update(bar)?.upper` with no look-ahead.
///   [`Indicator::value`] is what the last `update` returned; [`Donchian::next_channel`] is the
///   channel the *next* bar will be compared against (the last n bars, this one included).
/// - Units: price units of the input.
/// - Ready after n + 1 bars (n previous bars plus the current one).
/// - Amortised O(1) per update, branch-light: van Herk/Gil-Werman blocks (`BlockMax`): the
///   window max is `max(suffix max of the previous block, prefix max of the current block)`,
///   and a block's suffix maxima are computed once when it completes (n steps every n bars).
///   A monotonic deque is O(1) amortised too, but its data-dependent pops mispredict on real
///   bars (33 ns against 4 ns per update in `cargo bench -p indicators`). Fixed-capacity
///   buffers allocated at construction.
#[derive(Debug, Clone)]
pub struct Donchian {
    period: usize,
    /// Bars added so far (the sequence number of the next bar).
    seen: u64,
    highs: BlockMax,
    /// Lows negated, so the lowest low is a maximum too.
    lows: BlockMax,
    value: Option<DonchianChannel>,
}

impl Donchian {
    /// `Donchian(period)`.
    ///
    /// # Panics
    /// If `period` is 0 (use [`Donchian::try_new`] for a `Result`).
    pub fn new(period: usize) -> Self {
        or_panic(Self::try_new(period))
    }

    /// `Donchian(period)`, or an error if `period` is 0.
    pub fn try_new(period: usize) -> Result<Self, PeriodError> {
        let period = PeriodError::check("Donchian", "period", period, 1)?;
        Ok(Donchian {
            period,
            seen: 0,
            highs: BlockMax::new(period),
            lows: BlockMax::new(period),
            value: None,
        })
    }

    /// The window length n.
    pub fn period(&self) -> usize {
        self.period
    }

    /// The channel of the last n bars added (the latest included): what the next
    /// [`update`](Indicator::update) will return. `None` until n bars have been added.
    #[inline]
    pub fn next_channel(&self) -> Option<DonchianChannel> {
        (self.seen >= self.period as u64).then(|| DonchianChannel {
            upper: self.highs.max(),
            lower: -self.lows.max(),
        })
    }
}

impl Indicator for Donchian {
    type Input = HighLow;
    type Output = DonchianChannel;

    #[inline]
    fn update(&mut self, bar: HighLow) -> Option<DonchianChannel> {
        debug_assert!(
            bar.high.is_finite() && bar.low.is_finite(),
            "Donchian input must be finite, got {bar:?}"
        );
        // The channel before this bar joins the window.
        self.value = self.next_channel();
        self.seen += 1;
        self.highs.push(bar.high);
        self.lows.push(-bar.low);
        self.value
    }

    #[inline]
    fn value(&self) -> Option<DonchianChannel> {
        self.value
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.highs.clear();
        self.lows.clear();
        self.value = None;
    }
}

/// Sliding-window maximum of the last n values (van Herk/Gil-Werman): values arrive in
/// blocks of n. With `pos` values of the current block in, the last n values are offsets
/// `pos..n` of the previous block and `0..pos` of the current one, so their maximum is
/// `max(suffix[pos], prefix)`, where `suffix[i]` is the maximum of the previous block from
/// offset i on and `prefix` that of the current block so far. Exact (only `max`), so equal
/// to a scan of the window.
#[derive(Debug, Clone)]
struct BlockMax {
    /// The current block's values, offsets `0..pos`.
    block: Box<[f64]>,
    /// Suffix maxima of the previous complete block.
    suffix: Box<[f64]>,
    /// Values of the current block so far, `0..n`.
    pos: usize,
    /// Maximum of the current block so far (−∞ when empty).
    prefix: f64,
}

impl BlockMax {
    fn new(n: usize) -> Self {
        BlockMax {
            block: vec![0.0; n].into_boxed_slice(),
            suffix: vec![f64::NEG_INFINITY; n].into_boxed_slice(),
            pos: 0,
            prefix: f64::NEG_INFINITY,
        }
    }

    /// The maximum of the last n values (meaningful once n values were pushed).
    #[inline]
    fn max(&self) -> f64 {
        self.suffix[self.pos].max(self.prefix)
    }

    #[inline]
    fn push(&mut self, v: f64) {
        self.block[self.pos] = v;
        self.prefix = self.prefix.max(v);
        self.pos += 1;
        if self.pos == self.block.len() {
            self.close_block();
        }
    }

    /// The current block is complete: its suffix maxima become the previous block's.
    #[inline]
    fn close_block(&mut self) {
        suffix_maxima(&self.block, &mut self.suffix);
        self.pos = 0;
        self.prefix = f64::NEG_INFINITY;
    }

    fn clear(&mut self) {
        self.pos = 0;
        self.prefix = f64::NEG_INFINITY;
        self.suffix.fill(f64::NEG_INFINITY);
    }
}

/// `suffix[i] = max(block[i..])`. Out of line and over slices, so the channel's own state can
/// stay in registers in a caller's loop.
#[inline(never)]
fn suffix_maxima(block: &[f64], suffix: &mut [f64]) {
    let mut m = f64::NEG_INFINITY;
    for (s, &v) in suffix.iter_mut().zip(block).rev() {
        m = m.max(v);
        *s = m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(upper: f64, lower: f64) -> Option<DonchianChannel> {
        Some(DonchianChannel { upper, lower })
    }

    #[test]
    fn excludes_the_current_bar() {
        let mut d = Donchian::new(3);
        assert_eq!(d.update(HighLow::new(10.0, 8.0)), None);
        assert_eq!(d.update(HighLow::new(11.0, 9.0)), None);
        assert_eq!(d.update(HighLow::new(12.0, 7.0)), None);
        assert!(!d.is_ready());
        assert_eq!(d.next_channel(), ch(12.0, 7.0));
        // 4th bar (n + 1): the channel of bars 1–3, not including this bar's 20 / 1.
        assert_eq!(d.update(HighLow::new(20.0, 1.0)), ch(12.0, 7.0));
        assert!(d.is_ready());
        assert_eq!(d.value(), ch(12.0, 7.0));
        // 5th bar: bars 2–4 → high 20, low 1 (the 4th bar is now a previous bar).
        assert_eq!(d.update(HighLow::new(5.0, 4.0)), ch(20.0, 1.0));
        // 6th: bars 3–5.
        assert_eq!(d.update(HighLow::new(5.0, 4.0)), ch(20.0, 1.0));
        // 7th: bars 4–6.
        assert_eq!(d.update(HighLow::new(6.0, 5.0)), ch(20.0, 1.0));
        // 8th: bars 5–7 → 20/1 has left the window.
        assert_eq!(d.update(HighLow::new(6.0, 5.0)), ch(6.0, 4.0));
        assert_eq!(d.next_channel(), ch(6.0, 4.0));
        assert_eq!(d.value().unwrap().middle(), 5.0);
    }

    #[test]
    fn breakout_compares_against_the_previous_bars() {
        // A close above every previous high breaks out even though it is this bar's high.
        let mut d = Donchian::new(2);
        d.update(HighLow::new(100.0, 90.0));
        d.update(HighLow::new(101.0, 95.0));
        let channel = d.update(HighLow::new(105.0, 100.0)).unwrap();
        let close = 104.0;
        assert!(close > channel.upper);
    }

    #[test]
    fn equal_highs_and_lows_expire_correctly() {
        let mut d = Donchian::new(2);
        d.update(HighLow::new(5.0, 1.0));
        d.update(HighLow::new(5.0, 1.0));
        assert_eq!(d.update(HighLow::new(3.0, 2.0)), ch(5.0, 1.0));
        assert_eq!(d.update(HighLow::new(3.0, 2.0)), ch(5.0, 1.0));
        assert_eq!(d.update(HighLow::new(3.0, 2.0)), ch(3.0, 2.0));
    }

    #[test]
    fn matches_a_naive_scan() {
        let n = 5;
        let mut d = Donchian::new(n);
        let mut bars = Vec::new();
        let mut x: u64 = 12345;
        for i in 0..500 {
            // A deterministic pseudo-random walk.
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mid = 100.0 + ((x >> 33) % 50) as f64 - if i % 7 == 0 { 20.0 } else { 0.0 };
            let bar = HighLow::new(mid + ((x >> 20) % 5) as f64, mid - ((x >> 10) % 5) as f64);
            let got = d.update(bar);
            let expected = (bars.len() >= n).then(|| {
                let w: &[HighLow] = &bars[bars.len() - n..];
                DonchianChannel {
                    upper: w.iter().map(|b| b.high).fold(f64::MIN, f64::max),
                    lower: w.iter().map(|b| b.low).fold(f64::MAX, f64::min),
                }
            });
            assert_eq!(got, expected, "bar {i}");
            bars.push(bar);
        }
    }

    #[test]
    fn period_one_is_the_previous_bar() {
        let mut d = Donchian::new(1);
        assert_eq!(d.update(HighLow::new(3.0, 1.0)), None);
        assert_eq!(d.update(HighLow::new(9.0, 8.0)), ch(3.0, 1.0));
        assert_eq!(d.update(HighLow::new(2.0, 0.0)), ch(9.0, 8.0));
    }

    #[test]
    fn reset_forgets_everything() {
        let mut d = Donchian::new(1);
        d.update(HighLow::new(3.0, 1.0));
        d.update(HighLow::new(4.0, 2.0));
        d.reset();
        assert_eq!(d.value(), None);
        assert_eq!(d.next_channel(), None);
        assert_eq!(d.update(HighLow::new(9.0, 8.0)), None);
        assert_eq!(d.update(HighLow::new(1.0, 0.5)), ch(9.0, 8.0));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Donchian::try_new(0).is_err());
    }
}
