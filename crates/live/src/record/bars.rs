//! [`MinuteBars`]: index and stock ticks → completed 1-minute bars (spec §9 catalog bars).
//!
//! A bar is labelled by its minute's start (IST); `open` is the first price of the minute,
//! `high`/`low` the extremes, `close` the last price; `volume` is the sum of the ticks' traded
//! units (a stock's; empty when no tick had any, as for an index).
//! A bar is completed by the first tick of a later minute of the same series, or by the clock
//! ([`MinuteBars::advance`]: a timer or the session's end) once its minute is over. Only bars
//! labelled inside the regular session 09:15–15:29 IST are produced (spec §3.1 rule 2, as the
//! replay reads them); ticks of an earlier minute than the series' last bar are ignored (a bar
//! is never reopened, so a label is never produced twice).

use chrono::{DurationRound, TimeDelta};
use domain::Bar;
use domain::Decimal;
use domain::time::{IstDateTime, session_close, session_open};
use std::collections::BTreeMap;

/// Per-series minute-bar builder.
#[derive(Debug, Default)]
pub struct MinuteBars {
    /// The bar being built per series.
    open: BTreeMap<String, Bar>,
    /// The label of the last bar started per series (ticks before it are late).
    last_label: BTreeMap<String, IstDateTime>,
}

/// The minute label of `ts` (its start), or `None` outside the session 09:15–15:29 IST.
pub fn session_minute(ts: &IstDateTime) -> Option<IstDateTime> {
    let label = ts.duration_trunc(TimeDelta::minutes(1)).ok()?;
    let t = label.time();
    (t >= session_open() && t < session_close()).then_some(label)
}

impl MinuteBars {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a tick of `series` at `ts` with price `price` (₹ / index points) and `volume`
    /// (units traded since the instrument's previous tick, if known). Returns the bar of the
    /// series this tick completed (the previous minute's), if any. Out-of-session and late
    /// ticks are ignored.
    pub fn push(
        &mut self,
        series: &str,
        ts: IstDateTime,
        price: Decimal,
        volume: Option<u64>,
    ) -> Option<Bar> {
        let label = session_minute(&ts)?;
        if let Some(bar) = self.open.get_mut(series)
            && bar.ts == label
        {
            bar.high = bar.high.max(price);
            bar.low = bar.low.min(price);
            bar.close = price;
            if let Some(v) = volume {
                bar.volume = Some(bar.volume.unwrap_or(0) + v);
            }
            return None;
        }
        // Not the open bar's minute: a minute already started (and completed) is late.
        if self.last_label.get(series).is_some_and(|l| label <= *l) {
            return None;
        }
        // A new minute: the open bar (if any) is complete.
        self.last_label.insert(series.to_string(), label);
        let fresh = Bar {
            ts: label,
            open: price,
            high: price,
            low: price,
            close: price,
            volume,
        };
        self.open.insert(series.to_string(), fresh)
    }

    /// The clock reached `now`: every open bar whose minute ended at or before `now` is
    /// complete. Returns them as `(series, bar)`, in series order.
    pub fn advance(&mut self, now: IstDateTime) -> Vec<(String, Bar)> {
        let done: Vec<String> = self
            .open
            .iter()
            .filter(|(_, b)| b.ts + TimeDelta::minutes(1) <= now)
            .map(|(s, _)| s.clone())
            .collect();
        done.into_iter()
            .filter_map(|s| self.open.remove(&s).map(|b| (s, b)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::NaiveDate;
    use domain::time::ist_hms;

    fn d() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
    }

    fn repo_data() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
    }

    /// The shipped day's bars streamed as the simulator streams them (the replay's four ticks
    /// per bar, a stock's volume on the close tick) give back the same bars, volume
    /// included; the last one completes at the close.
    #[test]
    fn replay_ticks_of_a_shipped_day_rebuild_its_bars() {
        let cat = catalog::Catalog::open(repo_data()).unwrap();
        let stock_day = NaiveDate::from_ymd_opt(2025, 1, 13).unwrap();
        for (series, day) in [("NIFTY", d()), ("BANKNIFTY", d()), ("RELIANCE", stock_day)] {
            let bars = cat.bars(series, day).unwrap();
            assert!(bars.len() > 300, "{series}: {} bars", bars.len());
            let mut b = MinuteBars::new();
            let mut out = Vec::new();
            for bar in &bars {
                for t in catalog::replay::ticks::synthesize_ticks(1, bar) {
                    out.extend(b.push(series, t.ts, t.price, t.volume));
                }
            }
            let close = domain::time::ist(day, session_close());
            out.extend(b.advance(close).into_iter().map(|(_, b)| b));
            let expected: Vec<Bar> = bars
                .iter()
                .copied()
                .filter(catalog::replay::ticks::in_session)
                .collect();
            assert_eq!(out, expected, "{series}");
        }
        let reliance = cat.bars("RELIANCE", stock_day).unwrap();
        assert!(reliance.iter().filter(|b| b.volume.is_some()).count() > 300);
    }

    /// A minute's volume is the sum of its ticks' traded units; ticks without any leave it.
    #[test]
    fn volume_sums_over_the_minute() {
        let mut b = MinuteBars::new();
        let p = Decimal::from(100);
        assert_eq!(b.push("TCS", ist_hms(d(), 9, 15, 1), p, None), None);
        assert_eq!(b.push("TCS", ist_hms(d(), 9, 15, 2), p, Some(40)), None);
        assert_eq!(b.push("TCS", ist_hms(d(), 9, 15, 3), p, None), None);
        assert_eq!(b.push("TCS", ist_hms(d(), 9, 15, 4), p, Some(2)), None);
        let bar = b.push("TCS", ist_hms(d(), 9, 16, 0), p, Some(7)).unwrap();
        assert_eq!(bar.volume, Some(42));
        let next = b.advance(ist_hms(d(), 9, 17, 0));
        assert_eq!(next[0].1.volume, Some(7));
    }

    #[test]
    fn boundaries_out_of_session_and_late_ticks() {
        let mut b = MinuteBars::new();
        let p = |x: i64| Decimal::from(x);
        // Pre-open and the close are outside the session.
        assert_eq!(b.push("NIFTY", ist_hms(d(), 9, 14, 59), p(1), None), None);
        assert!(b.advance(ist_hms(d(), 9, 15, 0)).is_empty());
        assert_eq!(b.push("NIFTY", ist_hms(d(), 9, 15, 0), p(10), None), None);
        assert_eq!(b.push("NIFTY", ist_hms(d(), 9, 15, 59), p(12), None), None);
        assert_eq!(b.push("NIFTY", ist_hms(d(), 9, 15, 30), p(8), None), None);
        assert_eq!(b.push("NIFTY", ist_hms(d(), 9, 15, 59), p(9), None), None);
        // The first tick of 09:16 completes 09:15.
        let bar = b
            .push("NIFTY", ist_hms(d(), 9, 16, 0), p(20), None)
            .unwrap();
        assert_eq!(bar.ts, ist_hms(d(), 9, 15, 0));
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close, bar.volume),
            (p(10), p(12), p(8), p(9), None)
        );
        // A late tick of 09:15 neither reopens nor changes anything.
        assert_eq!(b.push("NIFTY", ist_hms(d(), 9, 15, 40), p(99), None), None);
        // Another series is independent.
        assert_eq!(
            b.push("BANKNIFTY", ist_hms(d(), 9, 16, 10), p(5), None),
            None
        );
        // The clock: 09:16:59 completes nothing, 09:17:00 completes both 09:16 bars.
        assert!(b.advance(ist_hms(d(), 9, 16, 59)).is_empty());
        let done = b.advance(ist_hms(d(), 9, 17, 0));
        let names: Vec<&str> = done.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(names, ["BANKNIFTY", "NIFTY"]);
        assert!(done.iter().all(|(_, b)| b.ts == ist_hms(d(), 9, 16, 0)));
        // After the clock closed 09:16, a late 09:16 tick is ignored too.
        assert_eq!(b.push("NIFTY", ist_hms(d(), 9, 16, 30), p(1), None), None);
        assert!(b.advance(ist_hms(d(), 9, 30, 0)).is_empty());
        // 15:29 is the last bar; 15:30 ticks are outside.
        assert_eq!(b.push("NIFTY", ist_hms(d(), 15, 29, 10), p(3), None), None);
        assert_eq!(b.push("NIFTY", ist_hms(d(), 15, 30, 0), p(4), None), None);
        let last = b.advance(ist_hms(d(), 15, 30, 0));
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].1.ts, ist_hms(d(), 15, 29, 0));
        assert_eq!(last[0].1.close, p(3));
    }
}
