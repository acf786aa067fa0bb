//! Client-side rate limits (kite-connect.md §5) with `governor`, plus the 429 back-off gate.
//!
//! One [`RateLimits`] is shared (inside [`crate::KiteClient`]) by every task that uses the same
//! API key, as §5.2 asks: a token bucket per endpoint class, a per-IST-day order counter, and,
//! per class, a pause that starts after an HTTP 429 and doubles while 429s continue.

use crate::error::KiteError;
use crate::settings::RateLimitSettings;
use chrono::NaiveDate;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Endpoint class of kite-connect.md §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointClass {
    /// `POST /orders/…` (10/s, 200/min, 3000/day).
    OrderPlace,
    /// `/quote`, `/quote/ohlc`, `/quote/ltp` (1/s).
    Quote,
    /// Historical candles (3/s).
    Historical,
    /// Everything else, including modify, cancel and order-book reads (10/s).
    Other,
}

#[derive(Debug)]
struct Backoff {
    until: Option<Instant>,
    next: Duration,
}

/// The limiters. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct RateLimits {
    orders_second: DefaultDirectRateLimiter,
    orders_minute: DefaultDirectRateLimiter,
    quote: DefaultDirectRateLimiter,
    historical: DefaultDirectRateLimiter,
    other: DefaultDirectRateLimiter,
    orders_per_day: u32,
    day: Mutex<Option<(NaiveDate, u32)>>,
    backoff: Mutex<HashMap<EndpointClass, Backoff>>,
    backoff_initial: Duration,
    backoff_max: Duration,
    max_wait: Duration,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    /// Limiters for the given settings (zero rates are treated as 1).
    pub fn new(s: &RateLimitSettings) -> Self {
        Self {
            orders_second: RateLimiter::direct(Quota::per_second(nz(s.orders_per_second))),
            orders_minute: RateLimiter::direct(Quota::per_minute(nz(s.orders_per_minute))),
            quote: RateLimiter::direct(Quota::per_second(nz(s.quote_per_second))),
            historical: RateLimiter::direct(Quota::per_second(nz(s.historical_per_second))),
            other: RateLimiter::direct(Quota::per_second(nz(s.other_per_second))),
            orders_per_day: s.orders_per_day,
            day: Mutex::new(None),
            backoff: Mutex::new(HashMap::new()),
            backoff_initial: Duration::from_millis(s.backoff_initial_ms),
            backoff_max: Duration::from_millis(s.backoff_max_ms.max(s.backoff_initial_ms)),
            max_wait: Duration::from_millis(s.max_wait_ms),
        }
    }

    /// Wait for a permit of `class`: first the 429 pause of that class, then its token bucket.
    /// Fails with [`KiteError::RateLimited`] when the wait would exceed `max_wait_ms`.
    pub async fn acquire(&self, class: EndpointClass) -> Result<(), KiteError> {
        let deadline = Instant::now() + self.max_wait;
        if let Some(until) = self.paused_until(class) {
            if until > deadline {
                return Err(KiteError::RateLimited(format!(
                    "backing off after HTTP 429 for another {} ms",
                    until.saturating_duration_since(Instant::now()).as_millis()
                )));
            }
            tokio::time::sleep_until(until).await;
        }
        let wait = async {
            match class {
                EndpointClass::OrderPlace => {
                    self.orders_minute.until_ready().await;
                    self.orders_second.until_ready().await;
                }
                EndpointClass::Quote => self.quote.until_ready().await,
                EndpointClass::Historical => self.historical.until_ready().await,
                EndpointClass::Other => self.other.until_ready().await,
            }
        };
        tokio::time::timeout_at(deadline, wait).await.map_err(|_| {
            KiteError::RateLimited(format!(
                "{class:?} rate limit: no permit within {:?}",
                self.max_wait
            ))
        })
    }

    /// Count one order placement on `today` (IST) against the daily cap (kite-connect.md §5.2).
    pub fn count_order(&self, today: NaiveDate) -> Result<(), KiteError> {
        let mut g = self
            .day
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = match *g {
            Some((d, n)) if d == today => n,
            _ => 0,
        };
        if n >= self.orders_per_day {
            return Err(KiteError::RateLimited(format!(
                "daily order cap {} reached",
                self.orders_per_day
            )));
        }
        *g = Some((today, n + 1));
        Ok(())
    }

    /// Record an HTTP 429 on `class`: pause that class, doubling the pause on each further 429
    /// up to `backoff_max_ms`. Returns the pause.
    pub fn on_rate_limited(&self, class: EndpointClass) -> Duration {
        let mut g = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let b = g.entry(class).or_insert(Backoff {
            until: None,
            next: self.backoff_initial,
        });
        let pause = b.next;
        b.until = Some(Instant::now() + pause);
        b.next = (pause * 2).min(self.backoff_max);
        tracing::warn!(target: "kite", ?class, pause_ms = pause.as_millis() as u64, "HTTP 429: backing off");
        pause
    }

    /// A request of `class` succeeded: the next 429 starts from the initial pause again.
    pub fn on_success(&self, class: EndpointClass) {
        let mut g = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.remove(&class);
    }

    /// End of the current 429 pause of `class`, if one is running.
    pub fn paused_until(&self, class: EndpointClass) -> Option<Instant> {
        let g = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.get(&class)
            .and_then(|b| b.until)
            .filter(|u| *u > Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn quote_class_is_one_per_second_and_daily_cap_holds() {
        let s = RateLimitSettings {
            orders_per_day: 2,
            max_wait_ms: 50,
            ..RateLimitSettings::default()
        };
        let l = RateLimits::new(&s);
        l.acquire(EndpointClass::Quote).await.unwrap();
        // The second quote permit is ~1 s away, beyond max_wait.
        assert!(matches!(
            l.acquire(EndpointClass::Quote).await,
            Err(KiteError::RateLimited(_))
        ));
        let d = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        l.count_order(d).unwrap();
        l.count_order(d).unwrap();
        assert!(l.count_order(d).is_err());
        l.count_order(d.succ_opt().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn backoff_doubles_and_resets() {
        let s = RateLimitSettings {
            backoff_initial_ms: 10,
            backoff_max_ms: 25,
            ..RateLimitSettings::default()
        };
        let l = RateLimits::new(&s);
        assert_eq!(
            l.on_rate_limited(EndpointClass::Other),
            Duration::from_millis(10)
        );
        assert_eq!(
            l.on_rate_limited(EndpointClass::Other),
            Duration::from_millis(20)
        );
        assert_eq!(
            l.on_rate_limited(EndpointClass::Other),
            Duration::from_millis(25)
        );
        assert!(l.paused_until(EndpointClass::Other).is_some());
        assert!(l.paused_until(EndpointClass::Quote).is_none());
        let t = Instant::now();
        l.acquire(EndpointClass::Other).await.unwrap();
        assert!(t.elapsed() >= Duration::from_millis(20));
        l.on_success(EndpointClass::Other);
        assert_eq!(
            l.on_rate_limited(EndpointClass::Other),
            Duration::from_millis(10)
        );
    }
}
