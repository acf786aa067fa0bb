//! The engine's edges as traits (spec §2): the engine holds `Box<dyn Clock>`,
//! `Box<dyn MarketData>` and `Box<dyn Broker>`, so replay, paper and live differ only in which
//! implementations are plugged in.

use crate::market::Tick;
use crate::order::{Fill, OrderRequest, OrderState, OrderStatus, OrderUpdate, Product, Side};
use crate::time::IstDateTime;
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

/// The engine's notion of "now".
///
/// Replay: a simulated clock moved by the data. Paper/live: the exchange timestamps of the
/// ticks, with the wall clock only driving timers while the feed is silent (issue 5).
pub trait Clock: Send + Sync {
    /// Current IST time.
    fn now(&self) -> IstDateTime;

    /// Let `d` of this clock's time pass (every wait of the engine goes through here). The
    /// default returns at once: a clock moved by data has no time to wait for; a wall clock
    /// sleeps, a simulated clock moves itself forward.
    fn sleep(&self, d: std::time::Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let _ = d;
        Box::pin(std::future::ready(()))
    }
}

/// Health of a market-data feed, reported to the engine and the risk engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedStatus {
    /// Connected and subscribed.
    Connected,
    /// Disconnected; the feed is reconnecting.
    Disconnected,
    /// Reconnected and resubscribed.
    Reconnected,
}

/// What a market-data source delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketEvent {
    /// A tick of a subscribed instrument.
    Tick(Tick),
    /// Time passed without ticks (lets candles complete by the clock, spec §3): the new "now".
    Timer(IstDateTime),
    /// Connection state changed.
    Feed(FeedStatus, IstDateTime),
    /// The session's data ended (replay: the last tick of the day has been delivered).
    EndOfSession(IstDateTime),
}

/// Errors from a market-data source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketDataError {
    /// Subscription refused or impossible.
    #[error("subscription failed: {0}")]
    Subscribe(String),
    /// Transport failure.
    #[error("market data transport: {0}")]
    Transport(String),
}

/// A stream of market events: the replay feed, or the Kite ticker.
#[async_trait]
pub trait MarketData: Send {
    /// Add instruments (Kite tokens) to the subscription, e.g. a traded option for MTM.
    async fn subscribe(&mut self, tokens: &[u32]) -> Result<(), MarketDataError>;
    /// Remove instruments from the subscription.
    async fn unsubscribe(&mut self, tokens: &[u32]) -> Result<(), MarketDataError>;
    /// The next event; `None` when the stream has ended for good.
    async fn next_event(&mut self) -> Option<MarketEvent>;
}

/// Errors from a broker. A timeout or transport error on placement is *not* a rejection: the
/// outcome is unknown and must be settled by looking the order up by tag (spec §10.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    /// Definitively refused (Kite InputException/OrderException, or the paper broker).
    #[error("order rejected: {0}")]
    Rejected(String),
    /// Outcome unknown (timeout, connection reset): settle by tag before anything is re-sent.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// Session/token invalid (Kite TokenException, HTTP 403): entries must be blocked.
    #[error("broker session invalid: {0}")]
    SessionInvalid(String),
    /// Rate limited (HTTP 429): back off.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// Other transport/server failure where nothing was sent.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
}

/// What a broker reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerEvent {
    /// An order changed status.
    Order(OrderUpdate),
    /// An execution.
    Fill(Fill),
}

/// Execution venue: the paper broker or Kite.
#[async_trait]
pub trait Broker: Send {
    /// Short name for journals, e.g. `paper` or `kite`.
    fn name(&self) -> &str;

    /// Send an order. `Ok` carries the broker's order id. Status changes and fills are
    /// delivered through [`Broker::poll_events`], never through this return value.
    async fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError>;

    /// Cancel an open order by broker order id.
    async fn cancel_order(&mut self, broker_order_id: &str) -> Result<(), BrokerError>;

    /// Drain order updates and fills received since the last call, in arrival order.
    async fn poll_events(&mut self) -> Result<Vec<BrokerEvent>, BrokerError>;

    /// Find an order by its tag (settles a placement whose outcome is unknown):
    /// `Some(broker_order_id)` if the broker has it.
    async fn find_by_tag(&mut self, tag: &str) -> Result<Option<String>, BrokerError>;

    /// Let a simulated broker see market data (the paper broker prices fills from it).
    /// Real brokers ignore it.
    fn observe(&mut self, _tick: &Tick) {}

    /// The broker's whole book for the day: every order (any tag), every execution and the
    /// net positions (Kite `GET /orders`, `GET /trades`, `GET /portfolio/positions`,
    /// kite-connect.md §3.5, §4). Used to reconcile a restored checkpoint and after every
    /// ticker reconnect (spec §11).
    ///
    /// # Errors
    /// The broker's error; a broker that cannot report its book says so with
    /// [`BrokerError::Unavailable`] (the default).
    async fn book(&mut self) -> Result<BrokerBook, BrokerError> {
        Err(BrokerError::Unavailable(format!(
            "{} cannot report its order book",
            self.name()
        )))
    }

    /// Re-attach an order of an earlier run of the same day (restored from the checkpoint, or
    /// adopted from the book) so that its later status changes and fills are reported under
    /// `state`'s engine id; the fills already in `state` are not reported again. A broker
    /// without memory ignores it.
    fn resume(&mut self, _state: &OrderState) {}

    /// Modify an open order (Kite `PUT /orders/regular/{id}`, kite-connect.md §3.3): new
    /// quantity (units) and/or trigger and limit prices (₹) of an SL order. The result arrives
    /// as an order update through [`Broker::poll_events`].
    ///
    /// # Errors
    /// The broker's refusal ([`BrokerError::Rejected`] when the order is no longer open); the
    /// default refuses: the broker cannot modify orders.
    async fn modify_order(
        &mut self,
        broker_order_id: &str,
        change: &OrderChange,
    ) -> Result<(), BrokerError> {
        let _ = change;
        Err(BrokerError::Rejected(format!(
            "{} cannot modify order {broker_order_id}",
            self.name()
        )))
    }
}

/// A change to an open order ([`Broker::modify_order`]); `None` keeps the field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderChange {
    /// New quantity, units.
    pub quantity: Option<u32>,
    /// New trigger price, ₹ (SL orders).
    pub trigger_price: Option<Decimal>,
    /// New limit price, ₹.
    pub price: Option<Decimal>,
}

/// One order of the broker's book ([`Broker::book`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookOrder {
    /// The broker's order id.
    pub broker_order_id: String,
    /// The order's tag (the engine's `K…` tags; other tags or none for orders placed by hand).
    pub tag: Option<String>,
    /// Contract.
    pub tradingsymbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Kite `order_type`: `MARKET`, `LIMIT`, `SL`, `SL-M`.
    pub order_type: String,
    /// MIS or NRML.
    pub product: Product,
    /// Units asked.
    pub quantity: u32,
    /// Units filled.
    pub filled_quantity: u32,
    /// Average fill price, ₹ (`None` before any fill).
    pub average_price: Option<Decimal>,
    /// Trigger price of an SL order, ₹.
    pub trigger_price: Option<Decimal>,
    /// Status in the engine's terms.
    pub status: OrderStatus,
    /// Kite's status message (rejection reason).
    pub message: Option<String>,
    /// Last change, exchange time.
    #[serde(with = "crate::time::serde_ist")]
    pub updated: IstDateTime,
}

/// One execution of the broker's book ([`Broker::book`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookTrade {
    /// The exchange trade id (Kite `trade_id`).
    pub trade_id: String,
    /// The order it belongs to.
    pub broker_order_id: String,
    /// Contract.
    pub tradingsymbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Units.
    pub quantity: u32,
    /// Price, ₹.
    pub price: Decimal,
    /// Execution time.
    #[serde(with = "crate::time::serde_ist")]
    pub ts: IstDateTime,
}

/// One net position of the broker ([`Broker::book`]): Kite's `net` positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookPosition {
    /// Contract.
    pub tradingsymbol: String,
    /// MIS or NRML.
    pub product: Product,
    /// Net units: bought − sold (negative = short).
    pub quantity: i64,
}

/// The broker's book at one moment ([`Broker::book`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerBook {
    /// Every order of the day.
    pub orders: Vec<BookOrder>,
    /// Every execution of the day.
    pub trades: Vec<BookTrade>,
    /// Net positions (zero-quantity rows may be present).
    pub positions: Vec<BookPosition>,
}

impl BrokerBook {
    /// Net units held of `tradingsymbol` (0 when absent).
    pub fn net_quantity(&self, tradingsymbol: &str) -> i64 {
        self.positions
            .iter()
            .filter(|p| p.tradingsymbol == tradingsymbol)
            .map(|p| p.quantity)
            .sum()
    }

    /// The order with broker id `id`.
    pub fn order(&self, id: &str) -> Option<&BookOrder> {
        self.orders.iter().find(|o| o.broker_order_id == id)
    }

    /// Orders carrying `tag`.
    pub fn with_tag<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a BookOrder> + 'a {
        self.orders
            .iter()
            .filter(move |o| o.tag.as_deref() == Some(tag))
    }
}

/// Errors resolving an option contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// No listed contract matches (no expiry on/after the date, or no such strike).
    #[error("no contract: {0}")]
    NotFound(String),
    /// The source disagrees with configuration (e.g. lot size in the dump ≠ config, spec §5):
    /// trading must be refused.
    #[error("contract data mismatch: {0}")]
    Mismatch(String),
}

/// Where option contracts come from (spec §5): the expiry calendar and lot-size schedule in
/// replay, the day's Kite instruments dump in paper/live (never a guessed symbol there).
pub trait ContractSource: Send + Sync {
    /// The contract of `segment` with this strike and type, of the nearest expiry on or after
    /// `trade_date` (or after it when `skip_expiry_day` and the nearest expiry is `trade_date`).
    fn option_contract(
        &self,
        segment: crate::Segment,
        trade_date: chrono::NaiveDate,
        strike: rust_decimal::Decimal,
        option_type: crate::OptionType,
        skip_expiry_day: bool,
    ) -> Result<crate::OptionContract, ContractError>;

    /// The instrument `segment`'s agent watches, to be traded itself (`instrument =
    /// "underlying"`, issue 15): for an index, its near-month future (`FUT`, the month's
    /// monthly expiry on or after `trade_date`, else next month's); for a stock, its NSE
    /// share (`EQ`, lot 1, tick by [`crate::instrument::nse_equity_tick_size`] at `price`, the
    /// watched price in ₹). The default lists none: [`ContractError::NotFound`].
    fn underlying_contract(
        &self,
        segment: crate::Segment,
        trade_date: chrono::NaiveDate,
        price: rust_decimal::Decimal,
    ) -> Result<crate::OptionContract, ContractError> {
        let _ = (trade_date, price);
        Err(ContractError::NotFound(format!(
            "this contract source lists no {segment} future or share"
        )))
    }

    /// The contract with this tradingsymbol, when the source knows it (the instruments dump
    /// does; used to adopt or flatten a position found at the broker, spec §11). The default
    /// knows none.
    fn by_tradingsymbol(&self, tradingsymbol: &str) -> Option<crate::OptionContract> {
        let _ = tradingsymbol;
        None
    }
}

/// Errors fetching history for warm-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// Not enough sessions/data before the date.
    #[error("history unavailable: {0}")]
    Unavailable(String),
    /// Transport/IO failure.
    #[error("history source failed: {0}")]
    Source(String),
}

/// 1-minute index history for indicator warm-up (spec §3): the catalog in replay, Kite
/// historical candles in paper/live.
#[async_trait]
pub trait HistoricalData: Send + Sync {
    /// 1-minute bars (label = bar start, IST) of each of the `sessions` sessions before
    /// `before` that have data, oldest session first; fewer if fewer exist.
    async fn sessions_before(
        &self,
        segment: crate::Segment,
        before: chrono::NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<crate::Bar>>, HistoryError>;

    /// The 1-minute bars of `date` completed so far (label = bar start, IST), oldest first:
    /// what a restarted session catches up from (spec §11). Kite serves the day's candles up
    /// to the last completed minute; the catalog serves the whole day (a replay caller cuts
    /// it). The default has none.
    async fn session_so_far(
        &self,
        segment: crate::Segment,
        date: chrono::NaiveDate,
    ) -> Result<Vec<crate::Bar>, HistoryError> {
        let _ = (segment, date);
        Ok(Vec::new())
    }
}

/// Option premium marks for mark-to-market, excursions, pyramiding and paper fills:
/// real prices where available (catalog data in replay, option LTPs in paper/live), else a
/// model (spec §8).
pub trait PremiumMarks: Send {
    /// Let the source see a tick (a live implementation keeps option LTPs from it).
    fn observe(&mut self, _tick: &Tick) {}

    /// Premium of `contract` at `at` with the index at `underlying` (₹ per unit) and where it
    /// came from; `None` when no price can be given.
    fn mark(
        &mut self,
        contract: &crate::OptionContract,
        underlying: rust_decimal::Decimal,
        at: IstDateTime,
    ) -> Option<(rust_decimal::Decimal, crate::PremiumSource)>;
}

/// One leg of a basket whose margin is asked for ([`MarginCalculator::basket_margin`]): an
/// element of the JSON array of Kite's `POST /margins/basket` (kite-connect.md §3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarginLeg {
    /// The option (its `exchange` and `tradingsymbol` are sent).
    pub contract: crate::OptionContract,
    /// `BUY` (a hedge, a long) or `SELL` (a short).
    pub side: Side,
    /// Units (a multiple of the lot size), not lots.
    pub quantity: u32,
    /// `MIS` or `NRML`.
    pub product: Product,
    /// Limit price, ₹ per unit; `None` = a `MARKET` order priced by the broker at its LTP.
    pub price: Option<Decimal>,
}

/// The margin of a basket (kite-connect.md §3.9, `POST /margins/basket?consider_positions=true`),
/// money in ₹.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketMargin {
    /// `initial.total`: the legs' margins added up as if each stood alone (a short option's
    /// SPAN + exposure, a long option's premium).
    pub initial_total: Decimal,
    /// `final.total`: after the hedge benefit (a short covered by a long of the same
    /// expiry and type) and, with `consider_positions`, the open positions. What the order
    /// blocks; compare it with `available`.
    pub final_total: Decimal,
    /// Money available to trade in the equity segment (`GET /user/margins`, `equity.net`);
    /// `None` when the source does not report it.
    pub available: Option<Decimal>,
}

impl BasketMargin {
    /// Whether `available` covers `final_total` (`None` when `available` is unknown).
    pub fn sufficient(&self) -> Option<bool> {
        self.available.map(|a| a >= self.final_total)
    }
}

/// The broker's margin calculator: what a basket of option orders would block, checked
/// before a hedged short is entered (issue 15, spec §4.3). Kite: `POST /margins/basket` and
/// `GET /user/margins` (kite-connect.md §3.9, §3.1); kite-sim answers both with its own
/// documented model.
#[async_trait]
pub trait MarginCalculator: Send + Sync {
    /// The margin of `legs` taken together (order matters to no broker).
    ///
    /// # Errors
    /// [`BrokerError::Rejected`] for a basket the broker refuses (unknown symbol, bad
    /// quantity), [`BrokerError::SessionInvalid`], [`BrokerError::RateLimited`] or
    /// [`BrokerError::Unavailable`] when it cannot answer. Nothing is placed either way.
    async fn basket_margin(&self, legs: &[MarginLeg]) -> Result<BasketMargin, BrokerError>;
}
