//! Exact latency samples beside the histograms: the histograms answer a scraper in buckets,
//! these answer "p50, p99, max" exactly at a session's end (issue 12, `docs/benchmarks.md`).

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Most samples kept (one per order intent or order placement: a day has tens to hundreds).
/// Past it new samples are counted in [`LatencySummary::dropped`] but not kept, so memory
/// stays bounded on a runaway session.
pub const MAX_SAMPLES: usize = 1_000_000;

/// Latency samples in nanoseconds, shared (`&self`) between the recorder and the reader.
#[derive(Debug, Default)]
pub struct LatencySamples {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    nanos: Vec<u64>,
    dropped: u64,
}

/// p50, p99 and max of a set of samples (nearest-rank percentiles: the smallest sample with
/// at least p % of the samples at or below it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    /// Samples kept.
    pub count: usize,
    /// Samples not kept (over [`MAX_SAMPLES`]).
    pub dropped: u64,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

impl LatencySamples {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keep one sample (saturating at `u64::MAX` ns, about 584 years).
    pub fn record(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let mut g = self.lock();
        if g.nanos.len() < MAX_SAMPLES {
            g.nanos.push(ns);
        } else {
            g.dropped += 1;
        }
    }

    /// The summary of the samples so far; `None` before the first.
    pub fn summary(&self) -> Option<LatencySummary> {
        let (mut v, dropped) = {
            let g = self.lock();
            (g.nanos.clone(), g.dropped)
        };
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let rank = |p: usize| -> Duration {
            // Nearest rank: ceil(p/100 · n), 1-based.
            let r = (p * v.len()).div_ceil(100).max(1);
            Duration::from_nanos(v[r - 1])
        };
        Some(LatencySummary {
            count: v.len(),
            dropped,
            p50: rank(50),
            p99: rank(99),
            max: Duration::from_nanos(v[v.len() - 1]),
        })
    }
}

/// A duration in the unit that reads best: `ns`, `µs` (one decimal), `ms` (two) or `s`.
pub fn human(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

impl fmt::Display for LatencySummary {
    /// `n=42 p50=18.2 µs p99=40.1 µs max=41.0 µs` (and `dropped=N` when any).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n={} p50={} p99={} max={}",
            self.count,
            human(self.p50),
            human(self.p99),
            human(self.max)
        )?;
        if self.dropped > 0 {
            write!(f, " dropped={}", self.dropped)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = LatencySamples::default();
        assert_eq!(s.summary(), None);
        // 1..=100 µs, recorded out of order.
        for i in (1..=100u64).rev() {
            s.record(Duration::from_micros(i));
        }
        let m = s.summary().unwrap();
        assert_eq!(m.count, 100);
        assert_eq!(m.p50, Duration::from_micros(50));
        assert_eq!(m.p99, Duration::from_micros(99));
        assert_eq!(m.max, Duration::from_micros(100));
        assert_eq!(m.to_string(), "n=100 p50=50.0 µs p99=99.0 µs max=100.0 µs");
    }

    #[test]
    fn one_sample_is_every_percentile() {
        let s = LatencySamples::default();
        s.record(Duration::from_nanos(750));
        let m = s.summary().unwrap();
        assert_eq!(
            (m.p50, m.p99, m.max),
            (m.max, m.max, Duration::from_nanos(750))
        );
        assert_eq!(human(Duration::from_millis(3)), "3.00 ms");
        assert_eq!(human(Duration::from_secs(2)), "2.000 s");
    }

    proptest! {
        #[test]
        fn percentiles_are_ordered_samples(v in proptest::collection::vec(0u64..10_000_000, 1..300)) {
            let s = LatencySamples::default();
            for n in &v {
                s.record(Duration::from_nanos(*n));
            }
            let m = s.summary().unwrap();
            prop_assert!(m.p50 <= m.p99 && m.p99 <= m.max);
            prop_assert_eq!(m.max, Duration::from_nanos(*v.iter().max().unwrap()));
            prop_assert!(v.contains(&(m.p50.as_nanos() as u64)));
            prop_assert!(v.contains(&(m.p99.as_nanos() as u64)));
            // At least half the samples are at or below p50.
            let below = v.iter().filter(|n| u128::from(**n) <= m.p50.as_nanos()).count();
            prop_assert!(below * 2 >= v.len());
        }
    }
}
