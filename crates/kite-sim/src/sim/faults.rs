//! Fault injection into the simulator state ([`Fault`]): dropped sockets, stalls, delayed,
//! rejected or late-booked placements, token expiry, rate limits, failing margin calculations
//! and short funds.

use super::Shared;
use crate::fault::Fault;
use std::time::{Duration, Instant};

impl Shared {
    /// Consume one [`Fault::BookLater`] placement: its delay, if one is pending.
    pub fn take_book_later(&self) -> Option<Duration> {
        let mut st = self.lock();
        let (d, n) = st.book_later.as_mut()?;
        let d = *d;
        *n = n.saturating_sub(1);
        if *n == 0 {
            st.book_later = None;
        }
        Some(d)
    }

    /// Apply a fault now.
    pub fn inject(&self, fault: Fault) {
        let text = fault.to_string();
        {
            let mut st = self.lock();
            match fault {
                Fault::DropSocket => {
                    let n = st.drop_all();
                    tracing::info!(target: "kite_sim", connections = n, "fault: ticker connections dropped");
                }
                Fault::StallFeed(d) => {
                    let until = Instant::now() + d;
                    st.stall_until = Some(st.stall_until.map_or(until, |t| t.max(until)));
                    tracing::info!(target: "kite_sim", secs = d.as_secs_f64(), "fault: feed stalled");
                }
                Fault::DelayPlacement { delay, count } => {
                    st.delay = (count > 0).then_some((delay, count));
                }
                Fault::RejectOrders { count, message } => {
                    st.reject = (count > 0).then_some((count, message));
                }
                Fault::ExpireToken => {
                    st.token_expired = true;
                    let n = st.drop_all();
                    tracing::info!(target: "kite_sim", connections = n, "fault: access token expired");
                }
                Fault::RestoreToken => st.token_expired = false,
                Fault::RateLimit { count } => st.rate_limit = count,
                Fault::BookLater { delay, count } => {
                    st.book_later = (count > 0).then_some((delay, count));
                }
                Fault::MarginError { count, message } => {
                    st.margin_fail = (count > 0).then_some((count, message));
                }
                Fault::AvailableCash(rupees) => st.cash = Some(rupees),
            }
        }
        tracing::info!(target: "kite_sim", fault = text, "fault injected");
        self.bump();
    }
}
