//! Placing the protective stop once the entry filled, and resizing it after a pyramid add
//! (spec §10.3; see the parent module).

use super::{ProtectiveOrder, TriggerInputs, protective_trigger, stop_limit_prices};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use domain::order::OrderPurpose;
use domain::ports::OrderChange;
use domain::time::IstDateTime;
use domain::{Decimal, OrderKind, OrderState, OrderStatus, Side, Tick};
use journal::OrderRow;
use serde_json::json;

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
        // A resting SL sell protects a bought option (spec §10.3); a short underlying has no
        // protective order (its stop is the engine's own).
        if p.entry_side != domain::Side::Buy {
            return Ok(());
        }
        let (held, covered) = (p.open_quantity(), p.protective_covered());
        if p.exit.is_some() || p.entry_in_flight() || p.exit_in_flight() || covered >= held {
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
            agent.add_leg(
                seq,
                &contract.tradingsymbol,
                id,
                Side::Sell,
                state.request().quantity,
            );
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
}
