//! The simulator's control surface for tests and operators: the status snapshot
//! (`GET /sim/status`), advancing the stream while nobody listens (`POST /sim/advance`) and
//! placing an order by hand.

use crate::{SimError, Simulator, stream};
use chrono::{NaiveDate, NaiveTime};
use domain::time::IstDateTime;
use serde::Serialize;
use std::collections::HashMap;

/// A snapshot of the simulator (`GET /sim/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimStatus {
    /// The streamed date.
    pub date: NaiveDate,
    /// The simulated clock: the last delivered frame's exchange time (the first frame's
    /// before streaming starts), IST.
    #[serde(with = "domain::time::serde_ist")]
    pub sim_time: IstDateTime,
    /// A client subscribed and streaming began.
    pub started: bool,
    /// The closing frame (15:30) was delivered.
    pub finished: bool,
    /// A [`crate::Fault::StallFeed`] is in force.
    pub stalled: bool,
    /// A [`crate::Fault::ExpireToken`] is in force.
    pub token_expired: bool,
    /// Frames of the day (one per distinct tick time, plus the closing frame).
    pub frames_total: usize,
    /// Of which delivered.
    pub frames_done: usize,
    /// Index ticks delivered (closing publication included).
    pub ticks_sent: u64,
    /// Binary frames written, summed over connections.
    pub frames_sent: u64,
    /// Heartbeats written, summed over connections.
    pub heartbeats_sent: u64,
    /// Open ticker connections.
    pub connections: usize,
    /// Tokens subscribed by any connection.
    pub subscribed_tokens: Vec<u32>,
    /// Placements received (validated `POST /orders`).
    pub placements: u64,
    /// REST requests answered HTTP 429 by a [`crate::Fault::RateLimit`].
    pub rate_limited: u64,
    /// Orders in the book.
    pub orders: usize,
    /// Of which `OPEN` / `TRIGGER PENDING`.
    pub open_orders: usize,
}

impl Simulator {
    /// Stream every frame up to and including `until` (IST, the simulated date) even while no
    /// client listens and with hold ([`crate::SimConfig::hold_while_disconnected`]), without pacing
    /// while nobody listens, matching resting orders on the way (an `SL` can trigger while
    /// the engine is down); resolves when done with the status (its `sim_time` is the clock).
    /// Afterwards the stream holds again until a client subscribes. The same as
    /// `POST /sim/advance {"until":"HH:MM:SS"}`.
    pub async fn advance_until(&self, until: NaiveTime) -> SimStatus {
        stream::advance(&self.sh, until).await
    }

    /// Place an order as a human would on Kite's web app: a `MARKET` `MIS` order of
    /// `quantity` units of `tradingsymbol` (an NFO/BFO option or index future, or a streamed
    /// stock's NSE share), **no tag**, through the same book,
    /// validation and fills as `POST /orders/regular` (order updates go to every ticker
    /// client). Returns the Kite order id.
    ///
    /// # Errors
    /// [`SimError::Order`] with Kite's validation message (unknown tradingsymbol, not a lot
    /// multiple, over the freeze quantity).
    pub fn place_manual(
        &self,
        tradingsymbol: &str,
        side: domain::Side,
        quantity: u32,
    ) -> Result<String, SimError> {
        let inst = self
            .sh
            .universe
            .options
            .iter()
            .find(|o| o.contract.tradingsymbol == tradingsymbol)
            .ok_or_else(|| {
                SimError::Order(format!(
                    "{tradingsymbol} is not in the simulator's instruments list"
                ))
            })?;
        let form: HashMap<String, String> = [
            ("exchange", inst.contract.exchange.to_string()),
            ("tradingsymbol", tradingsymbol.to_string()),
            ("transaction_type", side.code().to_string()),
            ("order_type", "MARKET".to_string()),
            ("quantity", quantity.to_string()),
            ("product", "MIS".to_string()),
            ("market_protection", "-1".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let r = self.sh.place("regular", &form);
        self.sh.bump();
        r.map(|(id, _)| id)
            .map_err(|e| SimError::Order(format!("manual order refused: {}", e.message)))
    }
}
