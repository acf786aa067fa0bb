//! Candle aggregation (spec §3, §3.1 rules 2 and 3); replay tick synthesis is in
//! `catalog::replay::ticks`.

use catalog::replay::ticks::{bar_minutes, in_session, synthesize_ticks_in};
use domain::time::{ist, session_close};
use domain::{Bar, Candle, Tick, Timeframe};

/// Builds timeframe candles from ticks, buckets aligned to 09:15 IST. A candle completes when
/// the first tick at or after its end arrives ([`CandleAggregator::complete_until`] before
/// [`CandleAggregator::push`]), or by the clock at its end. Gaps produce no empty candles.
#[derive(Debug, Clone)]
pub struct CandleAggregator {
    timeframe: Timeframe,
    current: Option<Candle>,
    /// `current`'s end ([`Candle::end`]), computed once per candle rather than on every tick
    /// (a time-zone-aware addition; the profile of issue 13 showed it on the hot path).
    end: Option<domain::IstDateTime>,
}

impl CandleAggregator {
    /// An empty aggregator.
    pub fn new(timeframe: Timeframe) -> Self {
        Self {
            timeframe,
            current: None,
            end: None,
        }
    }

    /// The timeframe.
    pub fn timeframe(&self) -> Timeframe {
        self.timeframe
    }

    /// The forming candle, if any.
    pub fn current(&self) -> Option<&Candle> {
        self.current.as_ref()
    }

    /// Take the forming candle if it has ended by `t` (its end ≤ `t`).
    pub fn complete_until(&mut self, t: &domain::IstDateTime) -> Option<Candle> {
        match self.end {
            Some(end) if end <= *t => {
                self.end = None;
                self.current.take()
            }
            _ => None,
        }
    }

    /// Put back a forming candle (restored from a checkpoint).
    pub fn resume(&mut self, forming: Option<Candle>) {
        self.end = forming.as_ref().map(Candle::end);
        self.current = forming;
    }

    /// Take the forming candle whatever its end (session close).
    pub fn flush(&mut self) -> Option<Candle> {
        self.end = None;
        self.current.take()
    }

    /// Add a tick to the forming candle (starting one at its bucket if none). Call
    /// [`Self::complete_until`] with the tick's time first.
    pub fn push(&mut self, tick: &Tick) {
        match &mut self.current {
            Some(c) => {
                c.high = c.high.max(tick.price);
                c.low = c.low.min(tick.price);
                c.close = tick.price;
                if let Some(v) = tick.volume {
                    c.volume = Some(c.volume.unwrap_or(0) + v);
                }
            }
            None => {
                let c = Candle {
                    start: self.timeframe.bucket_start(&tick.ts),
                    timeframe: self.timeframe,
                    open: tick.price,
                    high: tick.price,
                    low: tick.price,
                    close: tick.price,
                    volume: tick.volume,
                };
                self.end = Some(c.end());
                self.current = Some(c);
            }
        }
    }
}

/// Completed candles of one session's 1-minute bars, as the engine would build them from the
/// replay ticks (used for warm-up, spec §3 and §3.1 rule 4). The last candle is completed at
/// the session close by the clock.
pub fn session_candles(bars: &[Bar], timeframe: Timeframe, token: u32) -> Vec<Candle> {
    let mut agg = CandleAggregator::new(timeframe);
    let mut out = Vec::with_capacity(bars.len() / timeframe.minutes() as usize + 1);
    let minutes = bar_minutes(bars);
    for bar in bars.iter().filter(|b| in_session(b)) {
        for tick in synthesize_ticks_in(token, bar, minutes) {
            if let Some(c) = agg.complete_until(&tick.ts) {
                out.push(c);
            }
            agg.push(&tick);
        }
    }
    if let Some(last) = bars.last() {
        let close = ist(last.ts.date_naive(), session_close());
        if let Some(c) = agg.complete_until(&close).or_else(|| agg.flush()) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::ist_hms;
    use rust_decimal_macros::dec;

    fn bar(m: u32, o: i64, h: i64, l: i64, c: i64) -> Bar {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        Bar {
            ts: ist_hms(d, 9, 15 + m, 0),
            open: o.into(),
            high: h.into(),
            low: l.into(),
            close: c.into(),
            volume: None,
        }
    }

    #[test]
    fn five_minute_candles_aligned_and_last_completed_at_close() {
        let bars: Vec<Bar> = (0..12)
            .map(|m| bar(m, 100 + m as i64, 110 + m as i64, 90, 101 + m as i64))
            .collect();
        let tf = Timeframe::from_minutes(5).unwrap();
        let c = session_candles(&bars, tf, 1);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].open, dec!(100));
        assert_eq!(c[0].close, dec!(105));
        assert_eq!(c[0].high, dec!(114));
        assert_eq!(c[2].start.time(), domain::time::hms(9, 25, 0));
    }
}
