//! Read-only REST answers of the simulator: quotes (options, indices, index futures, stock
//! shares),
//! positions, equity margins and the status snapshot (kite-connect.md §3.6, §5, §6).

use super::{QuoteView, Shared, State};
use crate::SimStatus;
use crate::market::index_key;
use crate::orders::{kite_time, num, touch_of};
use domain::{Decimal, Exchange};
use serde_json::{Value, json};
use std::collections::BTreeSet;

impl Shared {
    /// A quote key (`NSE:NIFTY 50`, `NFO:NIFTY2460623300CE`, `NFO:NIFTY24AUGFUT`,
    /// `NSE:RELIANCE`) now: a stock's or a future's LTP is its segment's stream price, its OHLC
    /// the day's open, high/low so far and the previous session's close of that stream. An
    /// index whose segment streams its future instead ([`crate::market::Day::streams_future`])
    /// is not quoted (its key is absent, as an unknown key).
    pub fn lookup_quote(&self, st: &mut State, key: &str) -> Option<QuoteView<'_>> {
        for seg in self
            .day
            .segments
            .iter()
            .filter(|s| s.index().is_some() && !self.day.streams_future(**s))
        {
            if key == index_key(*seg) {
                let last = self.index_price(st, *seg);
                let open = self.day.open[seg];
                let hi = st.high.get(seg).copied().unwrap_or(open);
                let lo = st.low.get(seg).copied().unwrap_or(open);
                return Some(QuoteView {
                    token: crate::market::index_token(*seg),
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
            "NSE" => Exchange::NSE,
            _ => return None,
        };
        let inst = self.universe.by_symbol(ex, sym)?;
        if inst.is_underlying() {
            let seg = inst.contract.segment;
            let last = self.index_price(st, seg);
            let open = self.day.open.get(&seg).copied().unwrap_or(last);
            let hi = st.high.get(&seg).copied().unwrap_or(open);
            let lo = st.low.get(&seg).copied().unwrap_or(open);
            let close = self.day.prev_close.get(&seg).copied().unwrap_or(open);
            return Some(QuoteView {
                token: inst.token(),
                ltp: last,
                ohlc: (open, hi, lo, close),
                inst: Some(inst),
            });
        }
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
                    let volume = inst
                        .filter(|i| i.token() == self.day.token(i.contract.segment))
                        .and_then(|i| st.volume.get(&i.contract.segment).copied())
                        .unwrap_or(0);
                    let (buy, sell, q) = match inst {
                        Some(i) => {
                            let (ask, bid) = touch_of(i.is_underlying(), ltp);
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
                        "volume": volume,
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

    /// `GET /user/margins` equity segment: the cash ([`crate::Fault::AvailableCash`], else
    /// [`crate::margins::SimMargins::available_cash`], else the capital) ± the day's option
    /// premium cash flow, + the stock shares' day P&L marked at their stream price
    /// (`m2m_unrealised`), − the MIS margin of the open share positions
    /// ([`crate::margins::model::EQUITY_MIS_MARGIN_PCT`] % of |quantity| × price now, in
    /// `exposure`). A share's purchase is not a cash outflow: an MIS position blocks margin,
    /// so stock trades move `net` by their P&L and margin, not by their value. Index futures
    /// likewise: their day P&L at the stream price joins `m2m_unrealised`, the margin of the
    /// open positions ([`crate::margins::model::future_margin_pct`] of |quantity| × price now)
    /// is in `span`.
    pub fn equity_margins(&self) -> Value {
        let st = self.lock();
        let capital = st.cash.unwrap_or(self.market.capital);
        let flow = crate::orders::cash_flow(&st.orders);
        let (eq_m2m, blocked) = crate::orders::equity_usage(
            &st.orders,
            &mut |seg| self.index_price(&st, seg),
            crate::margins::model::EQUITY_MIS_MARGIN_PCT,
        );
        let (fut_m2m, span) = crate::orders::futures_usage(
            &st.orders,
            &mut |seg| self.index_price(&st, seg),
            &crate::margins::model::future_margin_pct,
        );
        let m2m = eq_m2m + fut_m2m;
        let net = capital + flow + m2m - blocked - span;
        json!({
            "enabled": true,
            "net": num(net),
            "available": {
                "adhoc_margin": 0, "cash": num(capital), "opening_balance": num(capital),
                "live_balance": num(net), "collateral": 0, "intraday_payin": 0
            },
            "utilised": {
                "debits": num((-flow).max(Decimal::ZERO) + blocked + span - m2m.min(Decimal::ZERO)),
                "exposure": num(blocked), "m2m_realised": 0,
                "m2m_unrealised": num(m2m), "option_premium": num((-flow).max(Decimal::ZERO)),
                "payout": 0, "span": num(span), "holding_sales": 0, "turnover": 0,
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
}
