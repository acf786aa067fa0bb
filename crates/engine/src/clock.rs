//! Clocks (spec §1): the engine's "now" follows event timestamps in every mode; the wall clock
//! only drives timers while a live feed is silent.

use domain::ports::Clock;
use domain::time::{IST, IstDateTime};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

/// A clock moved by events (replay: the data; paper/live: exchange timestamps of ticks).
/// Never goes backwards.
#[derive(Debug)]
pub struct EventClock {
    now: Mutex<IstDateTime>,
}

impl EventClock {
    /// A clock starting at `start`.
    pub fn new(start: IstDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Move to `t` if it is later than now.
    pub fn advance(&self, t: IstDateTime) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        if t > *now {
            *now = t;
        }
    }
}

impl Clock for EventClock {
    fn now(&self) -> IstDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waiting on an event clock moves it forward by `d` at once (replay: nothing real to
    /// wait for).
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        if let Ok(step) = chrono::TimeDelta::from_std(d) {
            let next = self.now() + step;
            self.advance(next);
        }
        Box::pin(std::future::ready(()))
    }
}

/// The machine's clock in IST (paper/live timers).
#[derive(Debug, Default, Clone, Copy)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> IstDateTime {
        chrono::Utc::now().with_timezone(&IST)
    }

    /// A real sleep on the tokio timer (paper/live).
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}
