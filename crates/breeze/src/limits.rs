//! Client-side call limits (breeze-api.md §6): a `governor` token bucket for the calls per
//! minute and a per-IST-day counter that refuses the call past the day's budget. One
//! [`CallLimits`] is shared by every request of a [`crate::BreezeClient`] (clones share it).

use crate::error::BreezeError;
use crate::settings::LimitSettings;
use chrono::NaiveDate;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

/// The limiters (see the module).
#[derive(Debug)]
pub struct CallLimits {
    minute: DefaultDirectRateLimiter,
    per_day: u32,
    day: Mutex<Option<(NaiveDate, u32)>>,
    max_wait: Duration,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// The burst and the spacing after it that let at most `per_minute` calls through in any
/// minute: a bucket of `burst` refilled at `refill` a minute passes `burst + refill` in a
/// minute, so `refill = per_minute − burst` (at least 1; zero inputs are taken as 1).
pub fn spacing(per_minute: u32, burst: u32) -> (u32, Duration) {
    let per_minute = nz(per_minute).get();
    let burst = nz(burst).get().min(per_minute);
    let refill = nz(per_minute - burst).get();
    (burst, Duration::from_secs(60) / refill)
}

impl CallLimits {
    /// Limiters for `s`: at most `per_minute` calls in any minute — a burst of `burst` (at
    /// most `per_minute`), then one call per `60 s / (per_minute − burst)` (zero values are
    /// taken as 1) — and `per_day` calls a day.
    pub fn new(s: &LimitSettings) -> Self {
        let (burst, period) = spacing(s.per_minute, s.burst);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_minute(nz(s.per_minute)))
            .allow_burst(nz(burst));
        Self {
            minute: RateLimiter::direct(quota),
            per_day: s.per_day,
            day: Mutex::new(None),
            max_wait: s.max_wait,
        }
    }

    /// Take one call of `today` (IST): first the day's budget (refused at once when spent),
    /// then a minute-limit permit (waited for, up to `max_wait`).
    ///
    /// # Errors
    /// [`BreezeError::RateLimited`] when the day's calls are spent or no permit comes in time.
    pub async fn acquire(&self, today: NaiveDate) -> Result<(), BreezeError> {
        self.count(today)?;
        tokio::time::timeout(self.max_wait, self.minute.until_ready())
            .await
            .map_err(|_| {
                BreezeError::RateLimited(format!(
                    "no call permit within {:?} (per-minute limit)",
                    self.max_wait
                ))
            })
    }

    /// Count one call on `today` against the day's budget.
    fn count(&self, today: NaiveDate) -> Result<(), BreezeError> {
        let mut g = self
            .day
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let used = match *g {
            Some((d, n)) if d == today => n,
            _ => 0,
        };
        if used >= self.per_day {
            return Err(BreezeError::RateLimited(format!(
                "the day's {} Breeze calls are used up on {today} (breeze-api.md §6: 5,000 a day); wait for tomorrow (IST)",
                self.per_day
            )));
        }
        *g = Some((today, used + 1));
        Ok(())
    }

    /// Calls counted on `today`.
    pub fn used(&self, today: NaiveDate) -> u32 {
        match *self
            .day
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Some((d, n)) if d == today => n,
            _ => 0,
        }
    }

    /// The day's budget.
    pub fn per_day(&self) -> u32 {
        self.per_day
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, d).unwrap()
    }

    #[tokio::test]
    async fn day_budget_is_per_ist_day() {
        let l = CallLimits::new(&LimitSettings {
            per_minute: 6000,
            burst: 10,
            per_day: 2,
            max_wait: Duration::from_secs(1),
        });
        l.acquire(day(3)).await.unwrap();
        l.acquire(day(3)).await.unwrap();
        let e = l.acquire(day(3)).await.unwrap_err();
        assert!(e.to_string().contains("2 Breeze calls are used up"), "{e}");
        assert_eq!(l.used(day(3)), 2);
        l.acquire(day(4)).await.unwrap();
        assert_eq!(l.used(day(4)), 1);
    }

    #[tokio::test]
    async fn minute_limit_spaces_calls_after_the_burst() {
        // 600 a minute = one per 100 ms, burst 1: four calls take at least 300 ms.
        let l = CallLimits::new(&LimitSettings {
            per_minute: 600,
            burst: 1,
            per_day: 100,
            max_wait: Duration::from_secs(5),
        });
        let t = std::time::Instant::now();
        for _ in 0..4 {
            l.acquire(day(3)).await.unwrap();
        }
        assert!(
            t.elapsed() >= Duration::from_millis(290),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn burst_plus_refill_is_the_minute_limit() {
        // Breeze's 100 a minute with a burst of 10: 10 at once, then one per 60/90 s.
        let (b, p) = spacing(100, 10);
        assert_eq!(b, 10);
        assert_eq!(p, Duration::from_secs(60) / 90);
        for (per_minute, burst) in [(100, 10), (100, 1), (600, 1), (100, 100), (5, 50)] {
            let (b, p) = spacing(per_minute, burst);
            let in_a_minute = u128::from(b) + Duration::from_secs(60).as_nanos() / p.as_nanos();
            assert!(
                in_a_minute <= u128::from(per_minute.max(b + 1)),
                "{per_minute} {burst}"
            );
        }
    }

    #[tokio::test]
    async fn a_wait_longer_than_allowed_is_an_error() {
        let l = CallLimits::new(&LimitSettings {
            per_minute: 1,
            burst: 1,
            per_day: 100,
            max_wait: Duration::from_millis(50),
        });
        l.acquire(day(3)).await.unwrap();
        let e = l.acquire(day(3)).await.unwrap_err();
        assert!(matches!(e, BreezeError::RateLimited(_)), "{e}");
    }
}
