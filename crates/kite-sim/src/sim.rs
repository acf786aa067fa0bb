//! The simulator's shared state and its rules: clock, prices, connections, orders, faults.
//! The HTTP/WebSocket layer ([`crate::server`]) and the streamer ([`crate::stream`]) only call
//! into [`Shared`].

use crate::fault::Fault;
use crate::market::{Day, Group, Instrument, Universe, index_key};
use crate::orders::{OrderRec, PlaceRequest, kite_time, num, parse_place, touch};
use crate::settings::SimMarket;
use crate::wire::{DepthLevel, Mode, QuotePacket, frame, index_packet, paise};
use crate::{SimStatus, Speed};
use broker_paper::pricer::{MarketPremiums, Pricer};
use catalog::Catalog;
use catalog::replay::CatalogPremiums;
use chrono::NaiveDate;
use domain::time::IstDateTime;
use domain::{Bar, Decimal, Exchange, Segment, Side};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

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
    /// The option (`None` for an index).
    pub inst: Option<&'a Instrument>,
}

/// Everything that changes.
pub struct State {
    /// Time of the last delivered frame (`None` before the first).
    pub clock: Option<IstDateTime>,
    /// Last index price per segment, ₹.
    pub last: BTreeMap<Segment, Decimal>,
    /// Day high so far per segment.
    pub high: BTreeMap<Segment, Decimal>,
    /// Day low so far per segment.
    pub low: BTreeMap<Segment, Decimal>,
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

    /// The segment's index price now, ₹ (the day's open before the first frame).
    pub fn index_price(&self, st: &State, seg: Segment) -> Decimal {
        st.last
            .get(&seg)
            .or_else(|| self.day.open.get(&seg))
            .copied()
            .unwrap_or_default()
    }

    /// The premium of `inst` at `at` with the index at `spot`, ₹: the catalog's last real
    /// price of the contract when it has one, else Black-76 (spec §8).
    pub fn premium_with(
        &self,
        st: &mut State,
        inst: &Instrument,
        spot: Decimal,
        at: IstDateTime,
    ) -> Decimal {
        if let Some(p) = st.market.last_traded(&inst.contract.tradingsymbol, at) {
            return p;
        }
        st.pricer.model_premium(&inst.contract, spot, at)
    }

    /// The premium of `inst` now.
    pub fn premium_now(&self, st: &mut State, inst: &Instrument) -> Decimal {
        let spot = self.index_price(st, inst.contract.segment);
        let at = self.now(st);
        self.premium_with(st, inst, spot, at)
    }

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
            }
        }
        tracing::info!(target: "kite_sim", fault = text, "fault injected");
        self.bump();
    }

    /// A ticker client message (kite-connect.md §7.2).
    pub fn client_message(&self, conn: u64, text: &str) {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            tracing::debug!(target: "kite_sim", "ignored a non-JSON ticker message");
            return;
        };
        let tokens = |v: &Value| -> Vec<u32> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_u64().and_then(|t| u32::try_from(t).ok()))
                        .collect()
                })
                .unwrap_or_default()
        };
        {
            let mut st = self.lock();
            let Some(c) = st.conns.get_mut(&conn) else {
                return;
            };
            match v["a"].as_str() {
                Some("subscribe") => {
                    for t in tokens(&v["v"]) {
                        c.subs.entry(t).or_insert(Mode::Quote);
                    }
                    if !c.subs.is_empty() {
                        st.started = true;
                    }
                }
                Some("unsubscribe") => {
                    for t in tokens(&v["v"]) {
                        c.subs.remove(&t);
                    }
                }
                Some("mode") => {
                    if let Some(mode) = v["v"][0].as_str().and_then(Mode::parse) {
                        for t in tokens(&v["v"][1]) {
                            if let Some(m) = c.subs.get_mut(&t) {
                                *m = mode;
                            }
                        }
                    }
                }
                _ => return,
            }
            st.subs_changed_at = Some(Instant::now());
        }
        self.bump();
    }

    /// The option packet of `inst` at `at` with the index at `spot`.
    fn option_packet(
        &self,
        st: &mut State,
        inst: &Instrument,
        spot: Decimal,
        at: IstDateTime,
    ) -> QuotePacket {
        let ltp = self.premium_with(st, inst, spot, at);
        let (o, h, l) = {
            let e = st.opt_ohlc.entry(inst.token()).or_insert((ltp, ltp, ltp));
            e.1 = e.1.max(ltp);
            e.2 = e.2.min(ltp);
            *e
        };
        let (ask, bid) = touch(ltp);
        let lot = inst.contract.lot_size;
        let depth_q = lot.saturating_mul(40);
        let epoch = epoch(at);
        let mut pk = QuotePacket {
            token: inst.token(),
            last: paise(ltp),
            last_quantity: lot,
            average: paise(ltp),
            volume: 0,
            buy_quantity: depth_q,
            sell_quantity: depth_q,
            open: paise(o),
            high: paise(h),
            low: paise(l),
            close: 0,
            last_trade_time: epoch,
            oi: 0,
            oi_day_high: 0,
            oi_day_low: 0,
            exchange_time: epoch,
            ..QuotePacket::default()
        };
        pk.bids[0] = DepthLevel {
            quantity: depth_q,
            price: paise(bid),
            orders: 10,
        };
        pk.asks[0] = DepthLevel {
            quantity: depth_q,
            price: paise(ask),
            orders: 10,
        };
        pk
    }

    /// The frames of `g` for every subscribed connection: per segment of the group, the
    /// packets of its subscribed options, then its index packet (segment order). Connections
    /// with nothing to receive are skipped.
    pub fn build_frames(
        &self,
        st: &mut State,
        g: &Group,
    ) -> Vec<(u64, mpsc::UnboundedSender<Cmd>, Vec<u8>)> {
        let conns: Vec<(u64, mpsc::UnboundedSender<Cmd>, BTreeMap<u32, Mode>)> = st
            .conns
            .iter()
            .filter(|(_, c)| !c.subs.is_empty())
            .map(|(id, c)| (*id, c.tx.clone(), c.subs.clone()))
            .collect();
        let mut cache: HashMap<u32, QuotePacket> = HashMap::new();
        let mut out = Vec::new();
        let ep = epoch(g.ts);
        for (id, tx, subs) in conns {
            let mut packets = Vec::new();
            for (seg, price) in &g.ticks {
                for (tok, mode) in &subs {
                    let Some(inst) = self.universe.by_token(*tok) else {
                        continue;
                    };
                    if inst.contract.segment != *seg {
                        continue;
                    }
                    let pk = match cache.get(tok) {
                        Some(p) => *p,
                        None => {
                            let p = self.option_packet(st, inst, *price, g.ts);
                            cache.insert(*tok, p);
                            p
                        }
                    };
                    packets.push(pk.encode(*mode));
                }
                if let Some(mode) = subs.get(&seg.index_token()) {
                    let hi = st.high.get(seg).copied().unwrap_or(*price).max(*price);
                    let lo = st.low.get(seg).copied().unwrap_or(*price).min(*price);
                    let open = self.day.open.get(seg).copied().unwrap_or(*price);
                    let close = self.day.prev_close.get(seg).copied().unwrap_or(open);
                    let pk = index_packet(seg.index_token(), *price, (open, hi, lo, close), ep);
                    packets.push(pk.encode(*mode));
                }
            }
            if !packets.is_empty() {
                out.push((id, tx, frame(&packets)));
            }
        }
        out
    }

    /// Commit a delivered frame: the clock and index prices move, resting orders of its
    /// segments are checked.
    pub fn commit(&self, st: &mut State, g: &Group, index: usize) {
        st.clock = Some(g.ts);
        for (seg, p) in &g.ticks {
            st.last.insert(*seg, *p);
            let h = st.high.entry(*seg).or_insert(*p);
            *h = (*h).max(*p);
            let l = st.low.entry(*seg).or_insert(*p);
            *l = (*l).min(*p);
        }
        st.ticks_sent += g.ticks.len() as u64;
        st.groups_done = index + 1;
        let segs: BTreeSet<Segment> = g.ticks.iter().map(|t| t.0).collect();
        self.match_orders(st, &segs);
    }

    /// Check the resting orders of `segs` against the current premiums; push updates.
    pub fn match_orders(&self, st: &mut State, segs: &BTreeSet<Segment>) {
        let at = self.now(st);
        let tokens: BTreeSet<u32> = st
            .orders
            .iter()
            .filter(|r| r.is_open() && segs.contains(&r.segment))
            .map(|r| r.o.instrument_token)
            .collect();
        if tokens.is_empty() {
            return;
        }
        let mut prices = HashMap::new();
        for t in tokens {
            if let Some(inst) = self.universe.by_token(t) {
                let p = self.premium_now(st, inst);
                prices.insert(t, p);
            }
        }
        let mut seq = st.trade_seq;
        let mut messages = Vec::new();
        for r in st.orders.iter_mut().filter(|r| r.is_open()) {
            let Some(ltp) = prices.get(&r.o.instrument_token) else {
                continue;
            };
            let mut next = || {
                seq += 1;
                trade_id(seq)
            };
            if r.execute(*ltp, at, USER_ID, &mut next) {
                messages.push(r.update_message(USER_ID));
            }
        }
        st.trade_seq = seq;
        for m in messages {
            st.broadcast(&m);
        }
    }

    /// `POST /orders/{variety}`: validate, book, execute what is marketable. Returns the
    /// order id and how long to hold the HTTP answer ([`Fault::DelayPlacement`]).
    ///
    /// # Errors
    /// 400 `InputException` for a validation error (nothing booked).
    pub fn place(
        &self,
        variety: &str,
        form: &HashMap<String, String>,
    ) -> Result<(String, Option<Duration>), ApiError> {
        let req: PlaceRequest = parse_place(variety, form, &self.universe, |s| {
            self.market.segment(s).freeze_quantity
        })
        .map_err(ApiError::input)?;
        let inst = self
            .universe
            .by_token(req.token)
            .ok_or_else(|| ApiError::input("unknown instrument"))?;
        let mut st = self.lock();
        st.placements += 1;
        let at = self.now(&st);
        st.order_seq += 1;
        let id = order_id(self.day.date, st.order_seq);
        let mut rec = OrderRec::new(id.clone(), &req, inst, at);
        rec.transition("PUT ORDER REQ RECEIVED", at, USER_ID);
        rec.transition("VALIDATION PENDING", at, USER_ID);
        let delay = match st.delay.as_mut() {
            Some((d, n)) if *n > 0 => {
                *n -= 1;
                let d = *d;
                if *n == 0 {
                    st.delay = None;
                }
                Some(d)
            }
            _ => None,
        };
        let mut rejection = match st.reject.as_mut() {
            Some((n, m)) if *n > 0 => {
                *n -= 1;
                let m = m.clone();
                if *n == 0 {
                    st.reject = None;
                }
                Some(m)
            }
            _ => None,
        };
        let ltp = self.premium_now(&mut st, inst);
        let stop = matches!(
            req.order_type,
            crate::orders::OrderType::Sl | crate::orders::OrderType::SlM
        );
        if rejection.is_none() && stop {
            rejection = match req.side {
                Side::Buy if ltp >= req.trigger => Some(format!(
                    "Trigger price for stoploss buy orders should be higher than the last traded price {ltp}."
                )),
                Side::Sell if ltp <= req.trigger => Some(format!(
                    "Trigger price for stoploss sell orders should be lower than the last traded price {ltp}."
                )),
                _ => None,
            };
        }
        let mut messages = Vec::new();
        if let Some(m) = rejection {
            rec.o.status_message = Some(m);
            rec.transition("REJECTED", at, USER_ID);
            messages.push(rec.update_message(USER_ID));
        } else {
            rec.transition("OPEN PENDING", at, USER_ID);
            rec.o.exchange_order_id = Some(exchange_order_id(st.order_seq));
            rec.exchange_ts = Some(at);
            rec.transition(if stop { "TRIGGER PENDING" } else { "OPEN" }, at, USER_ID);
            messages.push(rec.update_message(USER_ID));
            let mut seq = st.trade_seq;
            let mut next = || {
                seq += 1;
                trade_id(seq)
            };
            if !stop && rec.execute(ltp, at, USER_ID, &mut next) {
                messages.push(rec.update_message(USER_ID));
            }
            st.trade_seq = seq;
            if rec.o.validity == "IOC" && rec.is_open() {
                rec.cancel(at, USER_ID, Some("IOC order not marketable: cancelled."));
                messages.push(rec.update_message(USER_ID));
            }
        }
        tracing::info!(target: "kite_sim", order_id = id, symbol = rec.o.tradingsymbol, side = rec.o.side.code(), qty = rec.o.quantity, status = rec.o.status, "order placed");
        st.orders.push(rec);
        for m in messages {
            st.broadcast(&m);
        }
        Ok((id, delay))
    }

    /// `PUT /orders/regular/{id}`: quantity, price, trigger_price, order_type of an open order.
    ///
    /// # Errors
    /// 400 `InputException` for an unknown or closed order or a bad field.
    pub fn modify(&self, id: &str, form: &HashMap<String, String>) -> Result<(), ApiError> {
        let mut st = self.lock();
        let at = self.now(&st);
        let idx = st
            .orders
            .iter()
            .position(|r| r.o.order_id == id)
            .ok_or_else(|| ApiError::input(format!("Invalid `order_id` {id}.")))?;
        let (token, lot) = {
            let r = &st.orders[idx];
            if !r.is_open() {
                return Err(ApiError::input(format!(
                    "Order cannot be modified as it is {}.",
                    r.o.status.to_lowercase()
                )));
            }
            let lot = self
                .universe
                .by_token(r.o.instrument_token)
                .map_or(1, |i| i.contract.lot_size);
            (r.o.instrument_token, lot)
        };
        let get = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let dec = |k: &str| -> Result<Option<Decimal>, ApiError> {
            get(k)
                .map(|v| {
                    Decimal::from_str(v)
                        .ok()
                        .filter(|d| {
                            *d >= Decimal::ZERO && (*d % crate::market::tick_size()).is_zero()
                        })
                        .ok_or_else(|| ApiError::input(format!("Invalid `{k}` `{v}`.")))
                })
                .transpose()
        };
        let price = dec("price")?;
        let trigger = dec("trigger_price")?;
        let quantity = get("quantity")
            .map(|v| {
                v.parse::<u32>()
                    .ok()
                    .filter(|q| *q > 0 && q.is_multiple_of(lot))
                    .ok_or_else(|| {
                        ApiError::input(format!(
                            "Invalid `quantity` `{v}`: a positive multiple of the lot size {lot}."
                        ))
                    })
            })
            .transpose()?;
        let order_type = get("order_type")
            .map(|v| {
                ["MARKET", "LIMIT", "SL", "SL-M"]
                    .contains(&v)
                    .then(|| v.to_string())
                    .ok_or_else(|| ApiError::input(format!("Invalid `order_type` `{v}`.")))
            })
            .transpose()?;
        let ltp = match self.universe.by_token(token) {
            Some(inst) => self.premium_now(&mut st, inst),
            None => Decimal::ZERO,
        };
        let mut seq = st.trade_seq;
        let msg = {
            let r = &mut st.orders[idx];
            if let Some(q) = quantity {
                if q <= r.o.filled_quantity {
                    return Err(ApiError::input(format!(
                        "Invalid `quantity` {q}: {} already filled.",
                        r.o.filled_quantity
                    )));
                }
                r.o.quantity = q;
            }
            let was_stop = matches!(r.o.order_type.as_str(), "SL" | "SL-M");
            if let Some(t) = order_type {
                r.o.order_type = t;
            }
            if let Some(p) = price {
                r.o.price = p;
            }
            if let Some(t) = trigger {
                r.o.trigger_price = t;
            }
            r.o.modified = true;
            let was_triggered = r.o.status == "OPEN";
            r.transition("MODIFY VALIDATION PENDING", at, USER_ID);
            r.transition("MODIFY PENDING", at, USER_ID);
            r.transition("MODIFIED", at, USER_ID);
            let stop = matches!(r.o.order_type.as_str(), "SL" | "SL-M");
            r.transition(
                if stop && !(was_stop && was_triggered) {
                    "TRIGGER PENDING"
                } else {
                    "OPEN"
                },
                at,
                USER_ID,
            );
            let mut next = || {
                seq += 1;
                trade_id(seq)
            };
            r.execute(ltp, at, USER_ID, &mut next);
            r.update_message(USER_ID)
        };
        st.trade_seq = seq;
        st.broadcast(&msg);
        Ok(())
    }

    /// `DELETE /orders/regular/{id}`: cancel an open order.
    ///
    /// # Errors
    /// 400 `InputException` for an unknown or closed order.
    pub fn cancel(&self, id: &str) -> Result<(), ApiError> {
        let mut st = self.lock();
        let at = self.now(&st);
        let r = st
            .orders
            .iter_mut()
            .find(|r| r.o.order_id == id)
            .ok_or_else(|| ApiError::input(format!("Invalid `order_id` {id}.")))?;
        if !r.is_open() {
            return Err(ApiError::input(format!(
                "Order cannot be cancelled as it is {}.",
                r.o.status.to_lowercase()
            )));
        }
        r.cancel(at, USER_ID, None);
        let m = r.update_message(USER_ID);
        st.broadcast(&m);
        Ok(())
    }

    /// A quote key (`NSE:NIFTY 50`, `NFO:NIFTY2460623300CE`) now.
    pub fn lookup_quote(&self, st: &mut State, key: &str) -> Option<QuoteView<'_>> {
        for seg in &self.day.segments {
            if key == index_key(*seg) {
                let last = self.index_price(st, *seg);
                let open = self.day.open[seg];
                let hi = st.high.get(seg).copied().unwrap_or(open);
                let lo = st.low.get(seg).copied().unwrap_or(open);
                return Some(QuoteView {
                    token: seg.index_token(),
                    ltp: last,
                    ohlc: (open, hi, lo, self.day.prev_close[seg]),
                    inst: None,
                });
            }
        }
        let (ex, sym) = key.split_once(':')?;
        let ex = match ex {
            "NFO" => Exchange::NFO,
            "BFO" => Exchange::BFO,
            _ => return None,
        };
        let inst = self.universe.by_symbol(ex, sym)?;
        let ltp = self.premium_now(st, inst);
        let (o, h, l) = st
            .opt_ohlc
            .get(&inst.token())
            .copied()
            .unwrap_or((ltp, ltp, ltp));
        Some(QuoteView {
            token: inst.token(),
            ltp,
            ohlc: (o, h.max(ltp), l.min(ltp), Decimal::ZERO),
            inst: Some(inst),
        })
    }

    /// `GET /quote`, `/quote/ohlc`, `/quote/ltp` data for `keys` (`what` = `full`, `ohlc`,
    /// `ltp`); unknown keys are absent (kite-connect.md §3.6).
    pub fn quotes(&self, keys: &[String], what: &str) -> Value {
        let mut st = self.lock();
        let now = kite_time(&self.now(&st));
        let mut out = serde_json::Map::new();
        for k in keys {
            let Some(QuoteView {
                token,
                ltp,
                ohlc: (o, h, l, c),
                inst,
            }) = self.lookup_quote(&mut st, k)
            else {
                continue;
            };
            let ohlc = json!({"open": num(o), "high": num(h), "low": num(l), "close": num(c)});
            let v = match what {
                "ltp" => json!({"instrument_token": token, "last_price": num(ltp)}),
                "ohlc" => json!({"instrument_token": token, "last_price": num(ltp), "ohlc": ohlc}),
                _ => {
                    let empty = json!({"price": 0, "quantity": 0, "orders": 0});
                    let (buy, sell, q) = match inst {
                        Some(i) => {
                            let (ask, bid) = touch(ltp);
                            let q = i.contract.lot_size.saturating_mul(40);
                            (
                                json!({"price": num(bid), "quantity": q, "orders": 10}),
                                json!({"price": num(ask), "quantity": q, "orders": 10}),
                                q,
                            )
                        }
                        None => (empty.clone(), empty.clone(), 0),
                    };
                    let side = |first: Value| {
                        let mut v = vec![first];
                        v.extend(std::iter::repeat_n(empty.clone(), 4));
                        v
                    };
                    json!({
                        "instrument_token": token,
                        "timestamp": now,
                        "last_trade_time": now,
                        "last_price": num(ltp),
                        "last_quantity": inst.map_or(0, |i| i.contract.lot_size),
                        "buy_quantity": q,
                        "sell_quantity": q,
                        "volume": 0,
                        "average_price": num(ltp),
                        "oi": 0,
                        "oi_day_high": 0,
                        "oi_day_low": 0,
                        "net_change": if c.is_zero() { 0.0 } else { num(ltp - c) },
                        "lower_circuit_limit": 0.05,
                        "upper_circuit_limit": num(ltp * Decimal::TWO + Decimal::ONE_HUNDRED),
                        "ohlc": ohlc,
                        "depth": {"buy": side(buy), "sell": side(sell)},
                    })
                }
            };
            out.insert(k.clone(), v);
        }
        Value::Object(out)
    }

    /// `GET /portfolio/positions`.
    pub fn positions(&self) -> Value {
        let mut st = self.lock();
        let orders = std::mem::take(&mut st.orders);
        let v = crate::orders::positions(&orders, &mut |t| match self.universe.by_token(t) {
            Some(inst) => self.premium_now(&mut st, inst),
            None => Decimal::ZERO,
        });
        st.orders = orders;
        v
    }

    /// `GET /user/margins` equity segment: capital ± the day's premium cash flow.
    pub fn equity_margins(&self) -> Value {
        let st = self.lock();
        let capital = self.market.capital;
        let flow = crate::orders::cash_flow(&st.orders);
        let net = capital + flow;
        json!({
            "enabled": true,
            "net": num(net),
            "available": {
                "adhoc_margin": 0, "cash": num(capital), "opening_balance": num(capital),
                "live_balance": num(net), "collateral": 0, "intraday_payin": 0
            },
            "utilised": {
                "debits": num((-flow).max(Decimal::ZERO)), "exposure": 0, "m2m_realised": 0,
                "m2m_unrealised": 0, "option_premium": num((-flow).max(Decimal::ZERO)),
                "payout": 0, "span": 0, "holding_sales": 0, "turnover": 0,
                "liquid_collateral": 0, "stock_collateral": 0, "delivery": 0
            }
        })
    }

    /// The status snapshot.
    pub fn status(&self) -> SimStatus {
        let st = self.lock();
        let subscribed: BTreeSet<u32> = st
            .conns
            .values()
            .flat_map(|c| c.subs.keys().copied())
            .collect();
        SimStatus {
            date: self.day.date,
            sim_time: self.now(&st),
            started: st.started,
            finished: st.finished,
            stalled: st.stalled(),
            token_expired: st.token_expired,
            frames_total: self.day.groups.len(),
            frames_done: st.groups_done,
            ticks_sent: st.ticks_sent,
            frames_sent: st.frames_sent,
            heartbeats_sent: st.heartbeats_sent,
            connections: st.conns.len(),
            subscribed_tokens: subscribed.into_iter().collect(),
            placements: st.placements,
            rate_limited: st.rate_limited,
            orders: st.orders.len(),
            open_orders: st.orders.iter().filter(|r| r.is_open()).count(),
        }
    }

    /// The catalog series behind an index token.
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
