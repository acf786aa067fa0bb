//! The simulator's order book: placing, modifying and cancelling orders and matching resting
//! orders against the current premiums, or a stock share's or an index future's stream price
//! (kite-connect.md §4).

use super::{ApiError, Shared, State, USER_ID, exchange_order_id, order_id, trade_id};
use crate::orders::{OrderRec, PlaceRequest, parse_place};
use domain::{Decimal, Segment, Side};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::time::Duration;

impl Shared {
    /// Check the resting orders of `segs` against the current premiums (a share: its stream
    /// price); push updates.
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
        let (token, lot, tick, sl_m_refused) = {
            let r = &st.orders[idx];
            if !r.is_open() {
                return Err(ApiError::input(format!(
                    "Order cannot be modified as it is {}.",
                    r.o.status.to_lowercase()
                )));
            }
            let inst = self.universe.by_token(r.o.instrument_token);
            let lot = inst.map_or(1, |i| i.contract.lot_size);
            let tick = inst.map_or_else(crate::market::tick_size, |i| i.contract.tick_size);
            (
                r.o.instrument_token,
                lot,
                tick,
                inst.map_or(
                    Some(crate::orders::SL_M_BLOCKED),
                    crate::orders::sl_m_refusal,
                ),
            )
        };
        let get = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let dec = |k: &str| -> Result<Option<Decimal>, ApiError> {
            get(k)
                .map(|v| {
                    Decimal::from_str(v)
                        .ok()
                        .filter(|d| *d >= Decimal::ZERO && (*d % tick).is_zero())
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
                if v == "SL-M"
                    && let Some(m) = sl_m_refused
                {
                    return Err(ApiError::input(m));
                }
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
}
