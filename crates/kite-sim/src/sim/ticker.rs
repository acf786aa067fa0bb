//! The ticker side of the simulator state: client subscribe/mode messages, binary quote
//! frames per connection and committing a delivered frame (kite-connect.md §7). A stock token
//! gets a tradable packet ([`equity_packet`]) on each of its ticks, with the day's cumulative
//! volume in `volume_traded`; so does a subscribed index future on each tick of its segment
//! (at the stream price; the day's volume only for the streamed future, 0 for the others).
//! A segment streaming its future sends no index packet.

use super::{Cmd, Shared, State, epoch};
use crate::market::{Group, Instrument};
use crate::orders::touch;
use crate::wire::{DepthLevel, Mode, QuotePacket, equity_packet, frame, index_packet, paise};
use domain::time::IstDateTime;
use domain::{Decimal, Segment};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;
use tokio::sync::mpsc;

impl Shared {
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

    /// The packet under `token` of stream `seg` (a stock, or an index future of `seg`) for
    /// its tick at `price` (₹) carrying `volume` units, at `ts`: LTP = the stream price,
    /// `volume_traded` = the day's cumulative volume including this tick (0 when `token` is
    /// not the streamed one: a future of a segment streaming another contract or its index),
    /// open = the day's first price, high/low so far, close = the previous session's close.
    fn stock_packet(
        &self,
        st: &State,
        (token, seg): (u32, Segment),
        price: Decimal,
        volume: Option<u64>,
        ts: IstDateTime,
    ) -> QuotePacket {
        let streamed = token == self.day.token(seg);
        let volume = volume.filter(|_| streamed);
        let hi = st.high.get(&seg).copied().unwrap_or(price).max(price);
        let lo = st.low.get(&seg).copied().unwrap_or(price).min(price);
        let open = self.day.open.get(&seg).copied().unwrap_or(price);
        let close = self.day.prev_close.get(&seg).copied().unwrap_or(open);
        let before = if streamed {
            st.volume.get(&seg).copied().unwrap_or(0)
        } else {
            0
        };
        equity_packet(
            token,
            price,
            (open, hi, lo, close),
            before + volume.unwrap_or(0),
            volume.unwrap_or(0),
            epoch(ts),
        )
    }

    /// The frames of `g` for every subscribed connection: per segment of the group, the
    /// packets of its subscribed options and futures (token order), then its index packet
    /// (none when it streams its future), or its stock packet (segment order). Connections
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
            for (seg, price, volume) in &g.ticks {
                if seg.symbol().is_some() {
                    if let Some(mode) = subs.get(&self.day.token(*seg)) {
                        let pk = self.stock_packet(
                            st,
                            (self.day.token(*seg), *seg),
                            *price,
                            *volume,
                            g.ts,
                        );
                        packets.push(pk.encode(*mode));
                    }
                    continue;
                }
                for (tok, mode) in &subs {
                    let Some(inst) = self.universe.by_token(*tok) else {
                        continue;
                    };
                    if inst.contract.segment != *seg || inst.is_stock() {
                        continue;
                    }
                    if inst.is_future() {
                        let pk = self.stock_packet(st, (*tok, *seg), *price, *volume, g.ts);
                        packets.push(pk.encode(*mode));
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
                if self.day.streams_future(*seg) {
                    continue;
                }
                if let Some(mode) = subs.get(&crate::market::index_token(*seg)) {
                    let hi = st.high.get(seg).copied().unwrap_or(*price).max(*price);
                    let lo = st.low.get(seg).copied().unwrap_or(*price).min(*price);
                    let open = self.day.open.get(seg).copied().unwrap_or(*price);
                    let close = self.day.prev_close.get(seg).copied().unwrap_or(open);
                    let pk = index_packet(
                        crate::market::index_token(*seg),
                        *price,
                        (open, hi, lo, close),
                        ep,
                    );
                    packets.push(pk.encode(*mode));
                }
            }
            if !packets.is_empty() {
                out.push((id, tx, frame(&packets)));
            }
        }
        out
    }

    /// Commit a delivered frame: the clock, index and stock prices and the stocks' day volume
    /// move, resting orders of its segments are checked.
    pub fn commit(&self, st: &mut State, g: &Group, index: usize) {
        st.clock = Some(g.ts);
        for (seg, p, v) in &g.ticks {
            if let Some(v) = v {
                *st.volume.entry(*seg).or_default() += v;
            }
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
}
