//! The protective stop at the broker (spec §10.3): while a position is held, an SL sell order
//! on its option rests at the broker, so that the position is closed even while the engine is
//! down or lagging. On when [`ProtectiveStopSettings::enabled`] (live sessions, from
//! `[kite.protective_stop]`); the logic is mode-agnostic and replay never enables it.
//!
//! - **Placed** at step (d) of the position's index tick once the entry has filled (nothing
//!   buying, no exit decided): `SELL` of the units held, `OrderKind::StopLimit` at the
//!   trigger of [`protective_trigger`] and the limit of [`stop_limit_prices`], split at the
//!   segment's freeze quantity, purpose [`OrderPurpose::Protect`] (`PROTECT` in orders.csv).
//!   It is an ordinary engine order: created by the `OrderManager` (tag from the same
//!   sequence), journaled and checkpointed like the others.
//! - **Resized** after a pyramid add filled: one resting order that can take the new
//!   quantity is modified (Kite `PUT /orders/regular/{id}`, kite-connect.md §3.3); otherwise
//!   (split orders, a refused modification) another protective order covers the added units
//!   at the same trigger and limit.
//! - **Cancelled first** when the engine decides its own exit (stop, TSL, target, signal,
//!   EOD, manual, risk): the exit is sent only once every protective order has ended, for the
//!   units they did not sell. A cancel that fails because the order already filled (or fills
//!   while the cancel travels) leaves nothing to sell: never a second sell. The trade keeps
//!   the engine's exit reason then.
//! - **Filled at the broker** (the engine was down or lagging, or the broker's stop simply
//!   came first): the position closes with reason `BROKER_SL` (`ExitReason::BrokerStop`)
//!   at the agent's last index price, timed at the broker's report; units it did not sell
//!   are sold by the engine at the next tick.
//! - **Refused or cancelled by someone else** with nothing sold: a critical event; the
//!   position keeps the engine's own stops and no further protective order is placed.
//!
//! A resting protective order covers nothing in the leg accounting (`Position::unexited`,
//! `Position::sell_in_flight`); what it sold counts as sold.

use crate::agent::{Position, SegmentAgent};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::settings::{ProtectiveStopSettings, StopBasis};
use domain::order::{OrderEvent, OrderPurpose};
use domain::ports::OrderChange;
use domain::time::IstDateTime;
use domain::{Decimal, ExitReason, OrderId, OrderKind, OrderState, OrderStatus, Side, Tick};
use journal::OrderRow;
use rust_decimal::RoundingStrategy;
use rust_decimal_macros::dec;
use serde_json::json;

/// Trigger this % below the average entry premium when no configured % and no usable mark
/// gives the premium equivalent of the engine's stop (spec §10.3).
pub const FALLBACK_PREMIUM_PCT: Decimal = dec!(30);

/// The protective stop of one position: its orders at the broker and their prices.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProtectiveOrder {
    /// The engine's SL sell orders, oldest first (more than one when split at the freeze
    /// quantity or when a pyramid add could not be covered by a modification).
    pub orders: Vec<OrderId>,
    /// Trigger price, ₹ per unit (a multiple of the contract tick).
    pub trigger: Decimal,
    /// Limit price once triggered, ₹ per unit (at least one tick below the trigger).
    pub limit: Decimal,
    /// A protective order was refused or cancelled outside the engine: none is placed again
    /// for this position (the engine's own stops still work).
    pub abandoned: bool,
}

/// Where a protective trigger comes from ([`protective_trigger`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerBasis {
    /// The configured % of the average entry premium.
    PremiumPct,
    /// The option-basis stop: entry × (1 − `stop_loss_pct`/100), the engine's own level.
    OptionStop,
    /// The premium mark with the index at the engine's stop level (a mark that follows the
    /// index, e.g. the Black-76 model).
    IndexStopMark,
    /// Marks that ignore the index (market LTPs): the mark now less the stop distance at
    /// |delta| ≈ 0.5, as the risk engine sizes it.
    IndexStopDelta,
    /// No mark: [`FALLBACK_PREMIUM_PCT`] of the average entry premium.
    FallbackPct,
}

impl TriggerBasis {
    /// Journal spelling, e.g. `index_stop_mark`.
    pub fn code(self) -> &'static str {
        match self {
            TriggerBasis::PremiumPct => "premium_pct",
            TriggerBasis::OptionStop => "option_stop",
            TriggerBasis::IndexStopMark => "index_stop_mark",
            TriggerBasis::IndexStopDelta => "index_stop_delta",
            TriggerBasis::FallbackPct => "fallback_pct",
        }
    }
}

/// What [`protective_trigger`] knows about the position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TriggerInputs {
    /// Average entry premium, ₹.
    pub entry_premium: Decimal,
    /// Premium mark now, ₹ (`None`: no mark).
    pub mark_now: Option<Decimal>,
    /// Premium mark with the index at the engine's stop level, ₹.
    pub mark_at_stop: Option<Decimal>,
    /// Index points between the index now and the engine's stop level.
    pub stop_gap_points: Decimal,
}

/// The raw (unrounded) trigger, ₹, and its basis (spec §10.3): the configured % of the
/// entry premium; else the engine's option-basis stop; else the premium equivalent of the
/// engine's index stop — the mark at the stop level when marks follow the index, the mark now
/// less half the stop gap (|delta| ≈ 0.5) when they do not — else [`FALLBACK_PREMIUM_PCT`].
pub fn protective_trigger(
    cfg: &ProtectiveStopSettings,
    stop_basis: StopBasis,
    stop_loss_pct: Decimal,
    x: &TriggerInputs,
) -> (Decimal, TriggerBasis) {
    let pct_below = |pct: Decimal| x.entry_premium * (Decimal::ONE - pct / dec!(100));
    if let Some(pct) = cfg.premium_pct {
        return (pct_below(pct), TriggerBasis::PremiumPct);
    }
    if stop_basis == StopBasis::Option {
        return (pct_below(stop_loss_pct), TriggerBasis::OptionStop);
    }
    match (x.mark_now, x.mark_at_stop) {
        (Some(now), Some(at)) if at < now => (at, TriggerBasis::IndexStopMark),
        (Some(now), _) => (
            now - x.stop_gap_points.abs() * dec!(0.5),
            TriggerBasis::IndexStopDelta,
        ),
        (None, _) => (pct_below(FALLBACK_PREMIUM_PCT), TriggerBasis::FallbackPct),
    }
}

/// `x` rounded to the nearest multiple of `tick` (₹; ties away from zero).
pub fn round_to_tick(x: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return x;
    }
    (x / tick).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * tick
}

/// `x` rounded down to a multiple of `tick` (₹).
pub fn floor_to_tick(x: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return x;
    }
    (x / tick).floor() * tick
}

/// The SL order's prices, ₹: the trigger rounded to the contract tick, the limit
/// `limit_offset_pct` % below it rounded down to the tick, at least one tick below the
/// trigger and at least one tick. `None` when the trigger would be below two ticks (nothing
/// sensible to protect).
pub fn stop_limit_prices(
    raw_trigger: Decimal,
    limit_offset_pct: Decimal,
    tick: Decimal,
) -> Option<(Decimal, Decimal)> {
    let tick = if tick > Decimal::ZERO {
        tick
    } else {
        dec!(0.05)
    };
    let trigger = round_to_tick(raw_trigger, tick);
    if trigger < tick * Decimal::TWO {
        return None;
    }
    let limit = floor_to_tick(
        trigger * (Decimal::ONE - limit_offset_pct / dec!(100)),
        tick,
    )
    .min(trigger - tick)
    .max(tick);
    Some((trigger, limit))
}

impl Position {
    /// Units the working protective orders still cover (asked minus sold).
    pub fn protective_covered(&self) -> u32 {
        self.legs
            .iter()
            .filter(|l| !l.done && self.is_protective(l.order))
            .map(|l| l.requested.saturating_sub(l.filled))
            .sum()
    }
}

impl SegmentAgent {
    /// The protective order `order` of the open position sold units at the broker: the exit
    /// is decided with reason `BROKER_SL` at `tick` (its orders, for units still held, go
    /// out at the next tick's exit retry). The units it sold; `None` when it is not the open
    /// position's.
    pub fn broker_stop_filled(&mut self, order: OrderId, tick: Tick) -> Option<u32> {
        let p = self.position.as_ref()?;
        if !p.is_protective(order) || p.exit.is_some() {
            return None;
        }
        let exit = self.begin_exit(ExitReason::BrokerStop, tick)?;
        let p = self.closing.last_mut()?;
        p.exit_retry = exit.quantity > 0 || p.protective_working();
        Some(p.sold())
    }
}

impl Engine {
    /// Step (d) hook (after pyramiding): place the protective stop of agent `i`'s open
    /// position once its entry filled, or cover the units a pyramid add bought. Nothing when
    /// disabled, while an order buys or sells, after the exit was decided, or once abandoned.
    pub(crate) async fn protect_position(
        &mut self,
        i: usize,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let cfg = self.settings.protective_stop;
        if !cfg.enabled {
            return Ok(());
        }
        let Some(p) = self.agents[i].position.as_ref() else {
            return Ok(());
        };
        let (held, covered) = (p.open_quantity(), p.protective_covered());
        if p.exit.is_some() || p.buy_in_flight() || p.sell_in_flight() || covered >= held {
            return Ok(());
        }
        if p.protective.as_ref().is_some_and(|o| o.abandoned) {
            return Ok(());
        }
        let (seq, prior) = (p.entry_seq, p.protective.clone());
        match prior {
            Some(prot) if covered > 0 => self.resize_protection(i, seq, &prot, held, tick).await,
            Some(prot) => {
                let (t, l) = (prot.trigger, prot.limit);
                self.place_protection(i, seq, held, (t, l), tick.ts).await
            }
            None => {
                let Some(prices) = self.new_protective_prices(i, tick)? else {
                    return Ok(());
                };
                self.place_protection(i, seq, held, prices, tick.ts).await
            }
        }
    }

    /// Trigger and limit for agent `i`'s open position at `tick` (journaled with their
    /// basis); `None` when the premium is too low to protect (a warning; abandoned).
    fn new_protective_prices(
        &mut self,
        i: usize,
        tick: &Tick,
    ) -> Result<Option<(Decimal, Decimal)>, EngineError> {
        let cfg = self.settings.protective_stop;
        let Some(p) = self.agents[i].position.as_ref() else {
            return Ok(None);
        };
        let (contract, level) = (p.contract.clone(), p.stops.effective_stop());
        let entry_premium = p.average_entry();
        let inputs = TriggerInputs {
            entry_premium,
            mark_now: self.marks.mark(&contract, tick.price, tick.ts).map(|m| m.0),
            mark_at_stop: self.marks.mark(&contract, level, tick.ts).map(|m| m.0),
            stop_gap_points: tick.price - level,
        };
        let exits = self.settings.exits;
        let (raw, basis) = protective_trigger(&cfg, exits.stop_basis, exits.stop_loss_pct, &inputs);
        let prices = stop_limit_prices(raw, cfg.limit_offset_pct, contract.tick_size);
        if prices.is_none() {
            if let Some(p) = self.agents[i].position.as_mut() {
                p.protective = Some(ProtectiveOrder {
                    orders: Vec::new(),
                    trigger: raw,
                    limit: Decimal::ZERO,
                    abandoned: true,
                });
            }
            let seg = contract.segment;
            self.emit(
                tick.ts,
                Some(seg),
                EngineEvent::Warning,
                format!("no protective stop for {}: trigger ₹{} ({}) is below two ticks", contract.tradingsymbol, raw.round_dp(2), basis.code()),
                json!({"tradingsymbol": contract.tradingsymbol, "trigger": raw.round_dp(2), "basis": basis.code()}),
            )?;
            return Ok(None);
        }
        if let Some((trigger, limit)) = prices {
            self.emit(
                tick.ts,
                Some(contract.segment),
                EngineEvent::ProtectiveStop,
                format!("protective stop for {}: trigger ₹{trigger} limit ₹{limit} ({}; entry ₹{})", contract.tradingsymbol, basis.code(), entry_premium.round_dp(2)),
                json!({"tradingsymbol": contract.tradingsymbol, "trigger": trigger, "limit": limit,
                       "basis": basis.code(), "entry_premium": entry_premium.round_dp(2), "stop_level": level}),
            )?;
        }
        Ok(prices)
    }

    /// Create, journal and send protective orders for `quantity` units of agent `i`'s
    /// position entered at tick `seq` (split at the freeze quantity).
    async fn place_protection(
        &mut self,
        i: usize,
        seq: u64,
        quantity: u32,
        (trigger, limit): (Decimal, Decimal),
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        let agent = &mut self.agents[i];
        let Some(p) = agent.position_by_seq_mut(seq) else {
            return Ok(());
        };
        let contract = p.contract.clone();
        let freeze = agent.params.freeze_quantity_units;
        let kind = OrderKind::StopLimit {
            trigger,
            price: limit,
        };
        let created = self.orders.create_split(
            i,
            self.date,
            &contract,
            Side::Sell,
            quantity,
            freeze,
            self.settings.product,
            OrderPurpose::Protect,
            ts,
        );
        let mut ids = Vec::new();
        for state in created {
            let id = state.request().id;
            let state = self
                .orders
                .rewrite_request(id, |r| r.kind = kind)
                .unwrap_or(state);
            // Registered as protective before its leg exists: it never counts as an exit.
            let agent = &mut self.agents[i];
            if let Some(p) = agent.position_by_seq_mut(seq) {
                let prot = p.protective.get_or_insert(ProtectiveOrder {
                    orders: Vec::new(),
                    trigger,
                    limit,
                    abandoned: false,
                });
                prot.orders.push(id);
            }
            agent.add_leg(seq, id, Side::Sell, state.request().quantity);
            self.journal.order(&OrderRow::from_state(&state))?;
            ids.push((id, state.request().quantity));
        }
        for (id, q) in ids {
            self.emit(
                ts,
                Some(contract.segment),
                EngineEvent::ProtectiveStop,
                format!("protective SL sell {q} {} placed (order {id}, trigger ₹{trigger}, limit ₹{limit})", contract.tradingsymbol),
                json!({"order_id": id.0, "tradingsymbol": contract.tradingsymbol, "quantity": q,
                       "trigger": trigger, "limit": limit, "action": "place"}),
            )?;
            self.send(id).await?;
        }
        Ok(())
    }

    /// A pyramid add filled: the protective stop must cover `held` units. One resting,
    /// untriggered order that may take them (within the freeze quantity) is modified;
    /// otherwise (or when the broker refuses) another protective order covers the rest.
    async fn resize_protection(
        &mut self,
        i: usize,
        seq: u64,
        prot: &ProtectiveOrder,
        held: u32,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let working: Vec<OrderState> = prot
            .orders
            .iter()
            .filter_map(|id| self.orders.get(*id))
            .map(|o| o.state.clone())
            .filter(|s| !s.status().is_terminal())
            .collect();
        let covered: u32 = working.iter().map(OrderState::remaining).sum();
        let agent = &self.agents[i];
        let (seg, freeze) = (agent.segment, agent.params.freeze_quantity_units);
        let single = match working.as_slice() {
            [s] if s.status() == OrderStatus::TriggerPending
                && s.filled_quantity() == 0
                && (freeze == 0 || held <= freeze) =>
            {
                s.broker_order_id().map(|b| (s.request().id, b.to_string()))
            }
            _ => None,
        };
        if let Some((id, bid)) = single {
            let change = OrderChange {
                quantity: Some(held),
                ..OrderChange::default()
            };
            match self.broker.modify_order(&bid, &change).await {
                Ok(()) => {
                    if let Some(state) = self.orders.rewrite_request(id, |r| r.quantity = held) {
                        self.journal.order(&OrderRow::from_state(&state))?;
                    }
                    if let Some(l) = self.agents[i]
                        .position_by_seq_mut(seq)
                        .and_then(|p| p.leg_mut(id))
                    {
                        l.requested = held;
                    }
                    self.emit(
                        tick.ts,
                        Some(seg),
                        EngineEvent::ProtectiveStop,
                        format!("protective order {id} modified to {held} units (was {covered})"),
                        json!({"order_id": id.0, "quantity": held, "was": covered, "action": "modify"}),
                    )?;
                    return self.sync_orders().await;
                }
                Err(e) => self.emit(
                    tick.ts,
                    Some(seg),
                    EngineEvent::OrderError,
                    format!("protective order {id} not modified ({e}); another protective order covers the added units"),
                    json!({"order_id": id.0, "error": e.to_string()}),
                )?,
            }
        }
        let add = held.saturating_sub(covered);
        self.place_protection(i, seq, add, (prot.trigger, prot.limit), tick.ts)
            .await
    }

    /// `send_exit` hook: cancel the protective orders of agent `i`'s position entered at
    /// tick `seq`, then drain. The units the exit may sell now: `None` without a protective
    /// stop (the exit goes as decided); `Some(0)` while a protective order still works (the
    /// exit is retried once it ended) or when it sold everything; else what is still held
    /// and not being sold.
    pub(crate) async fn release_protection(
        &mut self,
        i: usize,
        seq: u64,
        ts: IstDateTime,
    ) -> Result<Option<u32>, EngineError> {
        let Some(prot) = self.agents[i]
            .position_by_seq_mut(seq)
            .and_then(|p| p.protective.clone())
        else {
            return Ok(None);
        };
        self.cancel_protection(i, &prot, ts).await?;
        self.sync_orders().await?;
        let Some(p) = self.agents[i].position_by_seq_mut(seq) else {
            return Ok(Some(0)); // the protective order sold everything: the trade is booked
        };
        if p.protective_working() {
            p.exit_retry = true;
            return Ok(Some(0));
        }
        p.exit_retry = false;
        Ok(Some(p.unexited()))
    }

    /// `retry_exits` hook: closing positions of agent `i` whose protective orders still rest
    /// (an earlier cancel failed or was refused) are asked to cancel again.
    pub(crate) async fn retry_protection_cancels(
        &mut self,
        i: usize,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        let due: Vec<ProtectiveOrder> = self.agents[i]
            .closing
            .iter()
            .filter(|p| p.protective_working())
            .filter_map(|p| p.protective.clone())
            .collect();
        for prot in &due {
            self.cancel_protection(i, prot, ts).await?;
        }
        if due.is_empty() {
            return Ok(());
        }
        self.sync_orders().await
    }

    /// Ask the broker to cancel every working protective order of `prot` not already being
    /// cancelled. A refused cancel is an order error (the order may have filled: its fill
    /// decides); journal failures never hold the exit back.
    async fn cancel_protection(
        &mut self,
        i: usize,
        prot: &ProtectiveOrder,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        for id in &prot.orders {
            let Some(o) = self.orders.get(*id) else {
                continue;
            };
            let status = o.state.status();
            // Without a broker id the tag lookup settles the order first.
            let Some(bid) = o.state.broker_order_id().map(String::from) else {
                continue;
            };
            if status.is_terminal() || status == OrderStatus::PendingCancel {
                continue;
            }
            self.journal_local(i, *id, &OrderEvent::CancelRequested { ts }, ts);
            let result = self.broker.cancel_order(&bid).await;
            let (msg, kind) = match &result {
                Ok(()) => (
                    format!("protective order {id} cancelled before the engine's exit"),
                    EngineEvent::ProtectiveStop,
                ),
                Err(e) => {
                    let reason = e.to_string();
                    self.journal_local(i, *id, &OrderEvent::CancelRejected { ts, reason }, ts);
                    (
                        format!(
                            "cancel of protective order {id} failed ({e}); the exit waits for it to end"
                        ),
                        EngineEvent::OrderError,
                    )
                }
            };
            let data = json!({"order_id": id.0, "action": "cancel", "ok": result.is_ok()});
            if let Err(EngineError::Journal(e)) = self.emit(ts, Some(seg), kind, msg, data) {
                self.journal_failed(ts, seg, &e);
            }
        }
        Ok(())
    }

    /// Apply an engine-side event to a protective order and journal its row (a journal
    /// failure is a critical event, never an error: this is the exit path).
    fn journal_local(&mut self, i: usize, id: OrderId, ev: &OrderEvent, ts: IstDateTime) {
        if let Some(state) = self.orders.apply_local(id, ev)
            && let Err(e) = self.journal.order(&OrderRow::from_state(&state))
        {
            let seg = self.agents[i].segment;
            self.journal_failed(ts, seg, &e);
        }
    }

    /// `on_order_state` hook for a protective order of agent `i` (its leg is already
    /// updated). When it ended: on an open position, a fill closes it with reason
    /// `BROKER_SL`, anything else is critical (no stop at the broker any more); on a closing
    /// position, the trade is booked once nothing works and nothing is held, else the exit
    /// is retried for what is held.
    pub(crate) fn on_protective_state(
        &mut self,
        i: usize,
        o: &OrderState,
        terminal: bool,
    ) -> Result<(), EngineError> {
        if !terminal {
            return Ok(());
        }
        let id = o.request().id;
        let (status, filled, ts) = (o.status(), o.filled_quantity(), o.updated());
        let agent = &mut self.agents[i];
        let (seg, last_tick) = (agent.segment, agent.last_tick);
        let Some(p) = agent.position_with_order_mut(id) else {
            return Ok(());
        };
        let (seq, symbol) = (p.entry_seq, p.contract.tradingsymbol.clone());
        if p.exit.is_none() {
            if filled == 0 {
                if let Some(prot) = p.protective.as_mut() {
                    prot.abandoned = true;
                }
                let msg = o.message().unwrap_or_default().to_string();
                return self.emit(
                    ts,
                    Some(seg),
                    EngineEvent::Critical,
                    format!("protective order {id} for {symbol} {status}: {msg}; no stop at the broker for this position (the engine's stops still work)"),
                    json!({"order_id": id.0, "status": status.code(), "message": msg}),
                );
            }
            let exit_tick = match last_tick {
                Some(t) => Tick {
                    ts: t.ts.max(ts),
                    ..t
                },
                None => Tick {
                    token: seg.index_token(),
                    ts,
                    price: p.entry_spot,
                    volume: None,
                },
            };
            let price = o.average_price().unwrap_or_default();
            if let Some(sold) = agent.broker_stop_filled(id, exit_tick) {
                self.emit(
                    exit_tick.ts,
                    Some(seg),
                    EngineEvent::Exit,
                    format!("BROKER_SL exit {symbol}: the protective stop at the broker sold {filled} units at ₹{price} (order {id}, {sold} sold in all)"),
                    json!({"reason": ExitReason::BrokerStop.code(), "tradingsymbol": symbol, "quantity": filled,
                           "price": price, "order_id": id.0, "index": exit_tick.price}),
                )?;
            }
        }
        self.finish_closing(i, seq)
    }

    /// A closing position of agent `i` (entered at tick `seq`) whose protective order just
    /// ended: book it when flat and nothing works; else retry its exit for what is held.
    fn finish_closing(&mut self, i: usize, seq: u64) -> Result<(), EngineError> {
        let agent = &mut self.agents[i];
        let Some(p) = agent.position_by_seq_mut(seq) else {
            return Ok(());
        };
        if p.exit.is_none() || p.protective_working() || p.sell_in_flight() || p.buy_in_flight() {
            return Ok(());
        }
        if p.sold() < p.bought() {
            p.exit_retry = true;
            return Ok(());
        }
        match agent.close_trade(seq, self.date, self.mode.code()) {
            Some(trade) => self.record_trade(trade),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pct: Option<Decimal>) -> ProtectiveStopSettings {
        ProtectiveStopSettings {
            enabled: true,
            premium_pct: pct,
            limit_offset_pct: dec!(2),
        }
    }

    fn inputs(now: Option<Decimal>, at: Option<Decimal>) -> TriggerInputs {
        TriggerInputs {
            entry_premium: dec!(100),
            mark_now: now,
            mark_at_stop: at,
            stop_gap_points: dec!(-40),
        }
    }

    #[test]
    fn trigger_bases_in_priority_order() {
        let u = StopBasis::Underlying;
        let x = inputs(Some(dec!(104)), Some(dec!(70)));
        assert_eq!(
            protective_trigger(&cfg(Some(dec!(25))), u, dec!(30), &x),
            (dec!(75), TriggerBasis::PremiumPct)
        );
        assert_eq!(
            protective_trigger(&cfg(None), StopBasis::Option, dec!(20), &x),
            (dec!(80), TriggerBasis::OptionStop)
        );
        assert_eq!(
            protective_trigger(&cfg(None), u, dec!(30), &x),
            (dec!(70), TriggerBasis::IndexStopMark)
        );
        // Market marks ignore the index: the mark now less half the 40-point gap.
        let flat = inputs(Some(dec!(104)), Some(dec!(104)));
        assert_eq!(
            protective_trigger(&cfg(None), u, dec!(30), &flat),
            (dec!(84), TriggerBasis::IndexStopDelta)
        );
        assert_eq!(
            protective_trigger(&cfg(None), u, dec!(30), &inputs(None, None)),
            (dec!(70), TriggerBasis::FallbackPct)
        );
    }

    #[test]
    fn prices_round_to_the_tick_and_keep_the_limit_below() {
        let t = dec!(0.05);
        assert_eq!(
            stop_limit_prices(dec!(70.123), dec!(2), t),
            Some((dec!(70.10), dec!(68.65)))
        );
        assert_eq!(
            stop_limit_prices(dec!(70.125), dec!(2), t),
            Some((dec!(70.15), dec!(68.70)))
        );
        // A zero offset still leaves one tick between trigger and limit.
        assert_eq!(
            stop_limit_prices(dec!(50), Decimal::ZERO, t),
            Some((dec!(50), dec!(49.95)))
        );
        // A huge offset keeps the limit at one tick.
        assert_eq!(
            stop_limit_prices(dec!(1), dec!(100), t),
            Some((dec!(1), dec!(0.05)))
        );
        assert_eq!(stop_limit_prices(dec!(0.07), dec!(2), t), None);
        assert_eq!(stop_limit_prices(dec!(-3), dec!(2), t), None);
    }

    proptest::proptest! {
        #[test]
        fn prices_are_ticks_and_ordered(raw in 0i64..1_000_000, off in 0i64..10_000) {
            let t = dec!(0.05);
            let raw = Decimal::new(raw, 2);
            let off = Decimal::new(off, 2);
            if let Some((trigger, limit)) = stop_limit_prices(raw, off, t) {
                proptest::prop_assert_eq!(trigger % t, Decimal::ZERO);
                proptest::prop_assert_eq!(limit % t, Decimal::ZERO);
                proptest::prop_assert!(limit >= t && limit < trigger);
                proptest::prop_assert!((trigger - raw).abs() <= t / Decimal::TWO);
                let wanted = trigger * (Decimal::ONE - off / dec!(100));
                proptest::prop_assert!(limit <= wanted.max(t));
            } else {
                proptest::prop_assert!(raw < dec!(0.125));
            }
        }
    }
}
