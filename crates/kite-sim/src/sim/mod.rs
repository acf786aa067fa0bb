//! The simulator's shared state and its rules: clock, prices, connections, orders, faults.
//! The HTTP/WebSocket layer ([`crate::server`]) and the streamer ([`crate::stream`]) only call
//! into [`Shared`].
//!
//! This module holds the state types, the clock and prices; the rules live in submodules by
//! job: `faults` (fault injection), `ticker` (WebSocket subscriptions and frames),
//! `order_book` (place/modify/cancel/match) and `reads` (quotes, positions, margins, status).

use crate::Speed;
use crate::market::{Day, Instrument, Universe};
use crate::orders::OrderRec;
use crate::settings::SimMarket;
use crate::wire::Mode;
use broker_paper::pricer::{MarketPremiums, Pricer};
use catalog::Catalog;
use catalog::replay::CatalogPremiums;
use chrono::NaiveDate;
use domain::time::IstDateTime;
use domain::{Bar, Decimal, Segment};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

mod faults;
mod order_book;
mod reads;
mod ticker;

/// The simulated user.
pub const USER_ID: &str = "SIM001";

/// What a connection task is asked to do.
#[derive(Debug)]
pub enum Cmd {
    /// Send a binary frame and report whether it was written.
    Frame(Vec<u8>, oneshot::Sender<bool>),
    /// Send the 1-byte heartbeat.
    Heartbeat,
    /// Send a text frame (order update).
    Text(String),
    /// Drop the TCP connection without a close frame.
    Drop,
}

/// One ticker connection.
#[derive(Debug)]
pub struct Conn {
    /// Commands to its task.
    pub tx: mpsc::UnboundedSender<Cmd>,
    /// Subscribed tokens and their modes.
    pub subs: BTreeMap<u32, Mode>,
}

/// Fixed settings (no `Debug`: it holds the token).
#[derive(Clone)]
pub struct Settings {
    /// Accepted API key.
    pub api_key: String,
    /// Accepted access token.
    pub access_token: String,
    /// When set, `POST /session/token` checks the checksum against it.
    pub api_secret: Option<String>,
    /// Hold the clock while no client is subscribed.
    pub hold: bool,
    /// Stream speed.
    pub speed: Speed,
}

/// A REST error: HTTP status, Kite `error_type`, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `InputException`, `TokenException`, …
    pub kind: &'static str,
    /// Message.
    pub message: String,
}

impl ApiError {
    /// 400 `InputException`.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            kind: "InputException",
            message: message.into(),
        }
    }

    /// 500 `GeneralException`.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            status: 500,
            kind: "GeneralException",
            message: message.into(),
        }
    }
}

/// Catalog bars already read, per (series, date).
pub type BarCache = Mutex<HashMap<(String, NaiveDate), Arc<Vec<Bar>>>>;

/// A quoted instrument now: token, LTP, (open, high, low, close), the option if not an index.
pub struct QuoteView<'a> {
    /// Token.
    pub token: u32,
    /// Last price, ₹.
    pub ltp: Decimal,
    /// (open, high, low, previous close), ₹.
    pub ohlc: (Decimal, Decimal, Decimal, Decimal),
    /// The option or stock share (`None` for an index).
    pub inst: Option<&'a Instrument>,
}

/// Everything that changes.
pub struct State {
    /// Time of the last delivered frame (`None` before the first).
    pub clock: Option<IstDateTime>,
    /// Frames up to and including this time are streamed even while nobody listens and
    /// without pacing ([`crate::Simulator::advance_until`]).
    pub advance_to: Option<IstDateTime>,
    /// Last index price per segment, ₹.
    pub last: BTreeMap<Segment, Decimal>,
    /// Day high so far per segment.
    pub high: BTreeMap<Segment, Decimal>,
    /// Day low so far per segment.
    pub low: BTreeMap<Segment, Decimal>,
    /// Units traded so far today per stock (the sum of the delivered ticks' volumes).
    pub volume: BTreeMap<Segment, u64>,
    /// Option (open, high, low) of premiums published so far.
    pub opt_ohlc: HashMap<u32, (Decimal, Decimal, Decimal)>,
    /// A client has subscribed (streaming may begin).
    pub started: bool,
    /// The closing frame has been delivered.
    pub finished: bool,
    /// Frames of the day delivered (index of the next one).
    pub groups_done: usize,
    /// Index ticks delivered.
    pub ticks_sent: u64,
    /// Binary frames written (one per connection per timestamp).
    pub frames_sent: u64,
    /// Heartbeats written.
    pub heartbeats_sent: u64,
    /// `POST /orders` requests that passed validation.
    pub placements: u64,
    /// When a client last changed its subscriptions (the streamer lets them settle).
    pub subs_changed_at: Option<Instant>,
    /// When a frame was last written (heartbeats fill the gaps).
    pub last_frame_at: Instant,
    /// Ticker connections.
    pub conns: BTreeMap<u64, Conn>,
    /// Last connection id.
    pub next_conn: u64,
    /// The order book, placement order.
    pub orders: Vec<OrderRec>,
    /// Order id sequence.
    pub order_seq: u64,
    /// Trade id sequence.
    pub trade_seq: u64,
    /// Stalled until (wall clock).
    pub stall_until: Option<Instant>,
    /// Placements to answer late: (delay, how many left).
    pub delay: Option<(Duration, u32)>,
    /// Placements to book late ([`Fault::BookLater`]): (delay, how many left).
    pub book_later: Option<(Duration, u32)>,
    /// Every REST request received (`/sim/*` and the ticker excluded), arrival order.
    pub requests: Vec<crate::SimRequest>,
    /// The form fields of every placement received, arrival order.
    pub placement_forms: Vec<BTreeMap<String, String>>,
    /// Placements to reject: (how many left, message).
    pub reject: Option<(u32, String)>,
    /// REST requests to answer 429.
    pub rate_limit: u32,
    /// REST requests answered 429 so far.
    pub rate_limited: u64,
    /// The token is "expired".
    pub token_expired: bool,
    /// Margin calculations to fail ([`crate::Fault::MarginError`]): (how many left, message).
    pub margin_fail: Option<(u32, String)>,
    /// Cash reported by `GET /user/margins`, ₹ (`None`: the market's capital).
    pub cash: Option<Decimal>,
    /// Black-76 premiums.
    pub pricer: Pricer,
    /// Real option prices from the catalog, when it has the contract.
    pub market: CatalogPremiums,
}

impl State {
    /// A connection is subscribed to at least one token.
    pub fn any_subscribed(&self) -> bool {
        self.conns.values().any(|c| !c.subs.is_empty())
    }

    /// Whether `advance_to` covers a frame at `ts`.
    pub fn advancing(&self, ts: IstDateTime) -> bool {
        self.advance_to.is_some_and(|t| ts <= t)
    }

    /// Whether a stall is in force.
    pub fn stalled(&self) -> bool {
        self.stall_until.is_some_and(|t| t > Instant::now())
    }

    /// Send a text frame to every connection.
    pub fn broadcast(&self, text: &str) {
        for c in self.conns.values() {
            let _ = c.tx.send(Cmd::Text(text.to_string()));
        }
    }

    /// Drop every connection now.
    pub fn drop_all(&mut self) -> usize {
        let conns = std::mem::take(&mut self.conns);
        let n = conns.len();
        for c in conns.into_values() {
            let _ = c.tx.send(Cmd::Drop);
        }
        n
    }
}

/// The simulator's shared core.
pub struct Shared {
    /// Fixed settings.
    pub settings: Settings,
    /// The simulated market's settings.
    pub market: SimMarket,
    /// The margin model's settings.
    pub margins: crate::margins::SimMargins,
    /// The streamed day.
    pub day: Day,
    /// The option universe.
    pub universe: Universe,
    /// The catalog (historical candles).
    pub catalog: Catalog,
    /// Mutable state.
    pub state: Mutex<State>,
    /// Bumped on every change that may unblock the streamer.
    pub changes: watch::Sender<u64>,
    /// `true` once the closing frame is delivered.
    pub finished: watch::Sender<bool>,
    /// `true` to stop.
    pub shutdown: watch::Sender<bool>,
    /// Catalog bars already read, per (series, date).
    pub hist_cache: BarCache,
}

impl Shared {
    /// Lock the state (a poisoned lock is recovered: the state stays usable).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wake whoever waits on a change.
    pub fn bump(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// "Now" on the simulated clock: the last delivered frame's time, else the first frame's.
    pub fn now(&self, st: &State) -> IstDateTime {
        st.clock.unwrap_or_else(|| self.day.first_ts())
    }

    /// The segment's price now (index value, streamed future's or stock's LTP), ₹ (the day's
    /// open before the first frame).
    pub fn index_price(&self, st: &State, seg: Segment) -> Decimal {
        st.last
            .get(&seg)
            .or_else(|| self.day.open.get(&seg))
            .copied()
            .unwrap_or_default()
    }

    /// The premium of `inst` at `at` with the index at `spot`, ₹: the catalog's last real
    /// price of the contract when it has one, else Black-76 (spec §8). For the underlying
    /// itself, a stock's share or an index future ([`Instrument::is_underlying`]), `spot` is
    /// its price and is returned as is: every future of a segment is priced at the segment's
    /// stream price (the streamed future's, or the index value when the index is streamed: no
    /// basis or cost-of-carry model).
    pub fn premium_with(
        &self,
        st: &mut State,
        inst: &Instrument,
        spot: Decimal,
        at: IstDateTime,
    ) -> Decimal {
        if inst.is_underlying() {
            return spot;
        }
        if let Some(p) = st.market.last_traded(&inst.contract.tradingsymbol, at) {
            return p;
        }
        st.pricer.model_premium(&inst.contract, spot, at)
    }

    /// The premium of `inst` now (a stock share or a future: its segment's stream price now).
    pub fn premium_now(&self, st: &mut State, inst: &Instrument) -> Decimal {
        let spot = self.index_price(st, inst.contract.segment);
        let at = self.now(st);
        self.premium_with(st, inst, spot, at)
    }

    /// The catalog series behind a streamed segment (index or stock).
    pub fn series_of(&self, seg: Segment) -> String {
        self.day
            .series
            .get(&seg)
            .cloned()
            .unwrap_or_else(|| self.market.segment(seg).series)
    }

    /// Bars of `series` on `date` (cached).
    pub fn bars(&self, series: &str, date: NaiveDate) -> Option<Arc<Vec<Bar>>> {
        let key = (series.to_string(), date);
        if let Some(b) = self
            .hist_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Some(b.clone());
        }
        let bars = Arc::new(self.catalog.bars(series, date).ok()?);
        self.hist_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, bars.clone());
        Some(bars)
    }
}

/// Unix seconds of an IST time.
pub fn epoch(t: IstDateTime) -> u32 {
    u32::try_from(t.timestamp()).unwrap_or(0)
}

/// A 19-digit Kite-style order id: `YYMMDD` of the simulated date + a 13-digit sequence.
pub fn order_id(date: NaiveDate, seq: u64) -> String {
    format!("{}{:013}", date.format("%y%m%d"), seq)
}

/// A 16-digit exchange order id.
pub fn exchange_order_id(seq: u64) -> String {
    format!("{}", 1_100_000_000_000_000u64 + seq)
}

/// An 8-digit trade id.
pub fn trade_id(seq: u64) -> String {
    format!("{}", 50_000_000u64 + seq)
}
