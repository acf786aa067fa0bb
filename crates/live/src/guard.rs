//! Live-order guardrails (spec §10.6, seed 000): before **every** order the Kite session is
//! validated (`GET /user/profile`) and the exchange clock must be inside market hours
//! (09:15–15:30 IST on a trading day). Risk decisions are enforced by the engine before an
//! order reaches the broker.

use async_trait::async_trait;
use broker_kite::limits::EndpointClass;
use broker_kite::{KiteClient, KiteError};
use domain::calendar::MarketCalendar;
use domain::order::OrderState;
use domain::ports::{Broker, BrokerBook, BrokerError, BrokerEvent, OrderChange};
use domain::time::{IstDateTime, session_close, session_open};
use domain::{OrderRequest, Tick};

/// A [`Broker`] that checks market hours and the session before each placement, then
/// delegates (to the `KiteBroker`).
///
/// "Now" for the market-hours check is the exchange time of the last tick the engine has
/// processed (the engine shows every tick to its broker first), the wall clock before any:
/// live that is the wall clock; against the simulator it is the streamed day, however far the
/// simulator has run ahead of the engine.
pub struct GuardedBroker {
    inner: Box<dyn Broker>,
    client: KiteClient,
    last_tick: Option<IstDateTime>,
    calendar: MarketCalendar,
}

impl GuardedBroker {
    /// Guard `inner` (which trades through `client`).
    pub fn new(inner: Box<dyn Broker>, client: KiteClient, calendar: MarketCalendar) -> Self {
        Self {
            inner,
            client,
            last_tick: None,
            calendar,
        }
    }

    fn now(&self) -> IstDateTime {
        self.last_tick
            .unwrap_or_else(|| chrono::Utc::now().with_timezone(&domain::time::IST))
    }

    /// `Err` with the reason when `now` is outside market hours.
    pub fn market_hours(calendar: &MarketCalendar, now: IstDateTime) -> Result<(), String> {
        let (d, t) = (now.date_naive(), now.time());
        if !calendar.is_trading_day(d) {
            return Err(format!("{d} is not a trading day"));
        }
        if t < session_open() || t >= session_close() {
            return Err(format!(
                "market closed at {} IST (open {}–{})",
                t.format("%H:%M:%S"),
                session_open(),
                session_close()
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Broker for GuardedBroker {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
        self.check_before_sending(&request.tag).await?;
        self.inner.place_order(request).await
    }

    async fn cancel_order(&mut self, broker_order_id: &str) -> Result<(), BrokerError> {
        self.inner.cancel_order(broker_order_id).await
    }

    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
        self.inner.poll_events().await
    }

    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError> {
        self.inner.find_by_tag(tag).await
    }

    fn observe(&mut self, tick: &Tick) {
        if self.last_tick.is_none_or(|t| tick.ts > t) {
            self.last_tick = Some(tick.ts);
        }
        self.inner.observe(tick);
    }

    /// A read: not guarded (reconciliation runs outside market hours too).
    async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
        self.inner.book().await
    }

    /// Bookkeeping only: not guarded.
    fn resume(&mut self, state: &OrderState) {
        self.inner.resume(state);
    }

    /// Guarded like a placement (market hours, then the session), then delegated.
    async fn modify_order(
        &mut self,
        broker_order_id: &str,
        change: &OrderChange,
    ) -> Result<(), BrokerError> {
        self.check_before_sending(broker_order_id).await?;
        self.inner.modify_order(broker_order_id, change).await
    }
}

impl GuardedBroker {
    /// The checks before an order is sent or modified (spec §10.6): market hours on the
    /// exchange clock, then a session check (`GET /user/profile`). `what` names the order
    /// (tag or broker order id) in the log.
    ///
    /// # Errors
    /// `Rejected` outside market hours, `SessionInvalid` for a refused session,
    /// `Unavailable` when the session could not be confirmed: nothing is sent.
    async fn check_before_sending(&mut self, what: &str) -> Result<(), BrokerError> {
        let now = self.now();
        if let Err(why) = Self::market_hours(&self.calendar, now) {
            tracing::warn!(target: "live", order = what, why, "order not sent: outside market hours");
            return Err(BrokerError::Rejected(format!(
                "not sent: {why} (spec §10.6)"
            )));
        }
        // A read: retried with backoff on 429/5xx, refused at once while the session is known
        // to be invalid.
        let checked = self
            .client
            .read(EndpointClass::Other, "profile", |k| async move {
                k.profile().await
            })
            .await;
        match checked {
            Ok(_) => {}
            Err(KiteError::SessionInvalid(m)) => {
                return Err(BrokerError::SessionInvalid(format!(
                    "not sent: session check before the order failed: {m}; run `login`"
                )));
            }
            Err(e) => {
                // The session could not be confirmed: a live order is not sent blind.
                return Err(BrokerError::Unavailable(format!(
                    "not sent: session check failed: {e}"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::ist_hms;
    use std::sync::{Arc, Mutex};

    /// Records which calls reach it.
    struct Inner(Arc<Mutex<Vec<String>>>);

    #[async_trait]
    impl Broker for Inner {
        fn name(&self) -> &str {
            "inner"
        }
        async fn place_order(&mut self, r: &OrderRequest) -> Result<String, BrokerError> {
            self.0.lock().unwrap().push(format!("place {}", r.tag));
            Ok("1".into())
        }
        async fn cancel_order(&mut self, _id: &str) -> Result<(), BrokerError> {
            Ok(())
        }
        async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError> {
            Ok(Vec::new())
        }
        async fn find_by_tag(&mut self, _tag: &str) -> Result<Option<String>, BrokerError> {
            Ok(None)
        }
        async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
            self.0.lock().unwrap().push("book".into());
            Ok(BrokerBook::default())
        }
        fn resume(&mut self, state: &OrderState) {
            self.0
                .lock()
                .unwrap()
                .push(format!("resume {}", state.request().tag));
        }
        async fn modify_order(&mut self, id: &str, _c: &OrderChange) -> Result<(), BrokerError> {
            self.0.lock().unwrap().push(format!("modify {id}"));
            Ok(())
        }
    }

    fn at(h: u32, m: u32) -> Tick {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        Tick {
            token: 256_265,
            ts: ist_hms(d, h, m, 0),
            price: domain::Decimal::from(22_500),
            volume: None,
        }
    }

    #[tokio::test]
    async fn modify_is_guarded_book_and_resume_are_not() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        // Nothing listens on port 9: a session check cannot succeed.
        let mut settings = broker_kite::KiteSettings {
            api_base_url: "http://127.0.0.1:9".into(),
            request_timeout_ms: 300,
            ..broker_kite::KiteSettings::default()
        };
        settings.retry.max_retries = 0;
        let client = KiteClient::new(settings, "key", None).unwrap();
        let mut g = GuardedBroker::new(
            Box::new(Inner(calls.clone())),
            client,
            MarketCalendar::builtin(),
        );
        let change = OrderChange {
            trigger_price: Some(domain::Decimal::from(80)),
            ..OrderChange::default()
        };
        // In market hours the session is checked first: unconfirmed, nothing is modified.
        g.observe(&at(10, 0));
        let e = g.modify_order("X1", &change).await.unwrap_err();
        assert!(matches!(e, BrokerError::Unavailable(_)), "{e}");
        // After the close: refused before any request.
        g.observe(&at(16, 0));
        let e = g.modify_order("X1", &change).await.unwrap_err();
        assert!(
            matches!(&e, BrokerError::Rejected(m) if m.contains("market closed")),
            "{e}"
        );
        // Book and resume go through outside market hours (reconciliation at start).
        g.book().await.unwrap();
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let req = OrderRequest {
            id: domain::OrderId(7),
            tag: domain::OrderId(7).tag(d),
            contract: domain::OptionContract {
                segment: domain::Segment::Nifty,
                exchange: domain::Exchange::NFO,
                expiry: chrono::NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
                strike: domain::Decimal::from(22_500),
                option_type: domain::OptionType::CE,
                lot_size: 25,
                tick_size: domain::Decimal::new(5, 2),
                tradingsymbol: "NIFTY2460622500CE".into(),
                instrument_token: None,
            },
            side: domain::Side::Sell,
            quantity: 25,
            kind: domain::OrderKind::Market,
            product: domain::Product::MIS,
            purpose: domain::order::OrderPurpose::Exit,
            created: ist_hms(d, 10, 0, 0),
        };
        g.resume(&OrderState::new(req));
        assert_eq!(
            *calls.lock().unwrap(),
            vec!["book".to_string(), "resume K240603000007".to_string()]
        );
    }

    #[test]
    fn market_hours_are_09_15_to_15_30_on_trading_days() {
        let cal = MarketCalendar::builtin();
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        assert!(GuardedBroker::market_hours(&cal, ist_hms(d, 9, 15, 0)).is_ok());
        assert!(GuardedBroker::market_hours(&cal, ist_hms(d, 15, 29, 59)).is_ok());
        assert!(GuardedBroker::market_hours(&cal, ist_hms(d, 9, 14, 59)).is_err());
        assert!(GuardedBroker::market_hours(&cal, ist_hms(d, 15, 30, 0)).is_err());
        let sunday = chrono::NaiveDate::from_ymd_opt(2024, 6, 2).unwrap();
        let e = GuardedBroker::market_hours(&cal, ist_hms(sunday, 10, 0, 0)).unwrap_err();
        assert!(e.contains("not a trading day"), "{e}");
    }
}
