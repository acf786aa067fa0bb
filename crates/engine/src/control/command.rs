//! [`Engine::command`]: what each [`Command`] does (spec §7, §12; seeds 003, 004 §6.1).
//!
//! - `StopEntries` / `StartEntries`: an operator's stop, kept in the checkpoint, blocking
//!   entries and pyramid adds (risk rule `entries_stopped`); exits and stops go on. Starting
//!   again does not lift a risk halt of the day.
//! - `Pause` / `Resume`: the kill switch ([`Engine::set_paused`]).
//! - `ClosePosition` / `CloseAll`: exit orders now, at the segment's last index tick, reason
//!   `MANUAL`.
//! - `PlaceOrder`: a **BUY** of an option of a traded segment whose agent is flat opens a
//!   position the engine then manages like its own (stops from the index now, trail, pyramid,
//!   square-off), after the risk engine's decision on an entry of that size; a **SELL** closes
//!   the agent's whole position in that contract at market (no partial exits, no short
//!   options). MARKET or LIMIT; a LIMIT entry rests until filled or cancelled.
//! - `TestOrder`: the same checks and risk decision, nothing placed, nothing journaled.
//! - `CancelOrder`: an open order by broker id or tag (never the protective stop, which the
//!   engine manages).
//!
//! Every command that changes something is journaled as an `operator` event with
//! `origin: MANUAL`.

use super::{Command, CommandError, CommandReply, ManualOrder, ManualOrderType, OrderView};
use crate::agent::Position;
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use domain::order::OrderPurpose;
use domain::ports::Clock;
use domain::{Decimal, Direction, ExitReason, OptionType, OrderKind, Side, Signal};
use risk::{Decision, IntentKind, OrderIntent};
use serde_json::json;
use strategy::SignalOrigin;
use strategy::exits::StopTracker;

fn engine_err(e: EngineError) -> CommandError {
    CommandError::Engine(e.to_string())
}

fn invalid(field: &str, message: impl Into<String>) -> CommandError {
    CommandError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

impl Engine {
    /// Apply an operator's command now (call it between two events, on the engine's own
    /// step). Refusals change nothing.
    ///
    /// # Errors
    /// [`CommandError`]: bad field, nothing to act on, a risk refusal, the broker's error, or
    /// a journal failure (`Engine`).
    pub async fn command(&mut self, cmd: Command) -> Result<CommandReply, CommandError> {
        let first_new = self.orders.next_order_id();
        let message = match cmd {
            Command::StopEntries { close_all } => {
                self.operator_stop = Some("stop-trading by the operator".into());
                let closing = if close_all {
                    self.close_all().await?
                } else {
                    0
                };
                let msg = if close_all {
                    format!("entries stopped; closing {closing} position(s)")
                } else {
                    "entries stopped; open positions kept (exits and stops go on)".to_string()
                };
                self.operator_note(
                    &msg,
                    json!({"command": "stop_entries", "close_all": close_all}),
                )?;
                msg
            }
            Command::StartEntries => {
                self.operator_stop = None;
                self.shutting_down = None;
                let msg = if self.halted {
                    "entries started by the operator, but the session is halted by a risk rule for today".to_string()
                } else {
                    "entries allowed again".to_string()
                };
                self.operator_note(&msg, json!({"command": "start_entries"}))?;
                msg
            }
            Command::Pause => {
                self.set_paused(true).map_err(engine_err)?;
                "paused: entries blocked (kill switch)".to_string()
            }
            Command::Resume => {
                self.set_paused(false).map_err(engine_err)?;
                "resumed".to_string()
            }
            Command::ClosePosition { segment } => {
                let i = self
                    .agents
                    .iter()
                    .position(|a| a.segment == segment && a.has_live_position())
                    .ok_or_else(|| CommandError::NotFound(format!("no open {segment} position")))?;
                self.close_live(i, None, ExitReason::Manual)
                    .await
                    .map_err(engine_err)?;
                let msg = format!("closing the {segment} position (MANUAL)");
                self.operator_note(
                    &msg,
                    json!({"command": "close_position", "segment": segment.code()}),
                )?;
                msg
            }
            Command::CloseAll => {
                let n = self.close_all().await?;
                let msg = format!("closing {n} position(s) (MANUAL)");
                self.operator_note(&msg, json!({"command": "close_all", "positions": n}))?;
                msg
            }
            Command::PlaceOrder(m) => self.manual_order(m, false).await?,
            Command::TestOrder(m) => self.manual_order(m, true).await?,
            Command::CancelOrder { id } => self.cancel_by_operator(&id).await?,
        };
        let orders = self
            .orders
            .iter()
            .filter(|o| o.state.request().id.0 >= first_new)
            .map(|o| self.order_view(o))
            .collect();
        Ok(CommandReply { message, orders })
    }

    async fn close_all(&mut self) -> Result<usize, CommandError> {
        let mut n = 0;
        for i in 0..self.agents.len() {
            if self.agents[i].has_live_position() {
                n += 1;
                self.close_live(i, None, ExitReason::Manual)
                    .await
                    .map_err(engine_err)?;
            }
        }
        Ok(n)
    }

    fn operator_note(
        &mut self,
        message: &str,
        mut data: serde_json::Value,
    ) -> Result<(), CommandError> {
        if let Some(o) = data.as_object_mut() {
            o.insert("origin".into(), json!("MANUAL"));
        }
        let now = self.clock.now();
        self.emit(now, None, EngineEvent::Operator, message.to_string(), data)
            .map_err(engine_err)
    }

    /// Checks of a manual order: the agent index, the contract and the order kind.
    fn check_manual(
        &self,
        m: &ManualOrder,
    ) -> Result<(usize, domain::OptionContract, OrderKind), CommandError> {
        let contract = self
            .contracts
            .by_tradingsymbol(&m.tradingsymbol)
            .ok_or_else(|| {
                invalid(
                    "tradingsymbol",
                    format!("{} is not in today's instruments", m.tradingsymbol),
                )
            })?;
        let i = self
            .agents
            .iter()
            .position(|a| a.segment == contract.segment)
            .ok_or_else(|| {
                invalid(
                    "tradingsymbol",
                    format!("{} is not traded by this session", contract.segment),
                )
            })?;
        let lot = contract.lot_size.max(1);
        if m.quantity == 0 || !m.quantity.is_multiple_of(lot) {
            return Err(invalid(
                "quantity",
                format!("{} is not a whole number of lots of {lot}", m.quantity),
            ));
        }
        let kind = match (m.order_type, m.price) {
            (ManualOrderType::Market, None) => OrderKind::Market,
            (ManualOrderType::Market, Some(_)) => {
                return Err(invalid("price", "only with order_type LIMIT"));
            }
            (ManualOrderType::Limit, None) => {
                return Err(invalid("price", "required with order_type LIMIT"));
            }
            (ManualOrderType::Limit, Some(p)) => {
                let tick = contract.tick_size;
                if p <= Decimal::ZERO || (tick > Decimal::ZERO && (p % tick) != Decimal::ZERO) {
                    return Err(invalid(
                        "price",
                        format!("{p} must be positive and a multiple of the tick size ₹{tick}"),
                    ));
                }
                OrderKind::Limit { price: p }
            }
        };
        Ok((i, contract, kind))
    }

    /// A manual order (see the module); `dry`: checks and the risk decision only.
    async fn manual_order(&mut self, m: ManualOrder, dry: bool) -> Result<String, CommandError> {
        let (i, contract, kind) = self.check_manual(&m)?;
        let seg = contract.segment;
        let tick = self.agents[i].last_tick.ok_or_else(|| {
            invalid(
                "tradingsymbol",
                format!("no {seg} index tick yet: wait for the market"),
            )
        })?;
        let sym = contract.tradingsymbol.clone();
        match m.side {
            Side::Buy => {
                if self.agents[i].position.is_some() {
                    return Err(invalid(
                        "tradingsymbol",
                        format!(
                            "the {seg} agent already holds a position (one per segment, spec §7): close it first"
                        ),
                    ));
                }
                let (direction, signal) = match contract.option_type {
                    // A bought future or share is a long position.
                    OptionType::CE | OptionType::FUT | OptionType::EQ => {
                        (Direction::Long, Signal::BuyCe)
                    }
                    OptionType::PE => (Direction::Short, Signal::BuyPe),
                };
                let stops = self.agents[i].params.stops;
                let intent = OrderIntent {
                    segment: seg,
                    kind: IntentKind::Entry,
                    time: tick.ts,
                    quantity: m.quantity,
                    lot_size: contract.lot_size,
                    risk_per_unit: self.risk_per_unit(&contract, direction, &stops, &tick),
                    strategy: None,
                };
                if dry {
                    return match self.risk.evaluate(&intent, &self.risk_state()) {
                        Decision::Approve => Ok(format!(
                            "test order OK: would BUY {} {sym} ({:?})",
                            m.quantity, kind
                        )),
                        Decision::Reduce {
                            quantity,
                            rule,
                            reason,
                        } => Ok(format!(
                            "test order OK: risk would reduce BUY {} {sym} to {quantity} ({rule}: {reason})",
                            m.quantity
                        )),
                        Decision::Block { rule, reason }
                        | Decision::HaltSession { rule, reason } => Err(CommandError::Risk {
                            rule: rule.code().to_string(),
                            reason,
                        }),
                    };
                }
                let quantity = match self
                    .admit(seg, &intent, &tick, true)
                    .await
                    .map_err(engine_err)?
                {
                    crate::risk_glue::Admission::Quantity(q) => q,
                    crate::risk_glue::Admission::Refused { rule, reason } => {
                        return Err(CommandError::Risk {
                            rule: rule.code().to_string(),
                            reason,
                        });
                    }
                };
                let tracker = StopTracker::new(direction, tick.price, stops);
                let seq = self.tick_seq;
                self.agents[i].open_position(
                    Position::opened(
                        direction,
                        signal,
                        SignalOrigin::Manual,
                        contract.clone(),
                        Side::Buy,
                        &tick,
                        seq,
                        tracker,
                    ),
                    "manual",
                );
                self.subscribe_contract(&contract);
                let (s, t) = (tracker.initial_stop(), tracker.trailing_stop());
                let msg = format!(
                    "MANUAL {signal} {sym} qty {quantity} at index {} (SL {s}, TSL {t})",
                    tick.price
                );
                self.emit(
                    tick.ts,
                    Some(seg),
                    EngineEvent::Entry,
                    msg.clone(),
                    json!({"signal": signal.code(), "tradingsymbol": sym, "quantity": quantity, "origin": "MANUAL",
                           "index": tick.price, "sl": s, "tsl": t, "strike": contract.strike, "expiry": contract.expiry,
                           "order_type": format!("{kind:?}")}),
                )
                .map_err(engine_err)?;
                let first = self.orders.next_order_id();
                let sent = self
                    .send_split_as(
                        i,
                        seq,
                        &contract,
                        Side::Buy,
                        quantity,
                        OrderPurpose::Entry,
                        tick.ts,
                        kind,
                    )
                    .await;
                self.mark_manual(first);
                sent.map_err(engine_err)?;
                Ok(msg)
            }
            Side::Sell => {
                let held = self.agents[i]
                    .position
                    .as_ref()
                    .filter(|p| p.contract.tradingsymbol == sym && p.is_live())
                    .map(Position::open_quantity)
                    .ok_or_else(|| {
                        invalid(
                            "tradingsymbol",
                            format!("no open position in {sym}: a manual SELL closes the engine's own position (no short options)"),
                        )
                    })?;
                if m.quantity != held {
                    return Err(invalid(
                        "quantity",
                        format!(
                            "sell all {held} units held, or use close-position (partial exits are not supported)"
                        ),
                    ));
                }
                if kind != OrderKind::Market {
                    return Err(invalid("order_type", "a manual exit is at MARKET"));
                }
                if dry {
                    return Ok(format!(
                        "test order OK: would SELL {held} {sym} at market (reason MANUAL)"
                    ));
                }
                let first = self.orders.next_order_id();
                let sent = self.close_live(i, None, ExitReason::Manual).await;
                self.mark_manual(first);
                sent.map_err(engine_err)?;
                let msg = format!("MANUAL SELL {held} {sym}: closing the {seg} position");
                self.operator_note(&msg, json!({"command": "place_order", "side": "SELL", "tradingsymbol": sym, "quantity": held}))?;
                Ok(msg)
            }
        }
    }

    fn mark_manual(&mut self, first: u64) {
        let ids: Vec<domain::OrderId> = self
            .orders
            .iter()
            .map(|o| o.state.request().id)
            .filter(|id| id.0 >= first)
            .collect();
        self.manual_orders.extend(ids);
    }

    async fn cancel_by_operator(&mut self, id: &str) -> Result<String, CommandError> {
        let o = self
            .orders
            .by_broker_id(id)
            .or_else(|| self.orders.by_tag(id))
            .ok_or_else(|| CommandError::NotFound(format!("no order {id} today")))?;
        let state = &o.state;
        let engine_id = state.request().id;
        let tag = state.request().tag.clone();
        if state.status().is_terminal() {
            return Err(invalid(
                "id",
                format!("order {tag} is already {}", state.status().code()),
            ));
        }
        if state.request().purpose == OrderPurpose::Protect {
            return Err(invalid(
                "id",
                format!("order {tag} is the protective stop: the engine manages it"),
            ));
        }
        let Some(bid) = state.broker_order_id().map(str::to_string) else {
            return Err(invalid(
                "id",
                format!("order {tag} has not reached the broker yet"),
            ));
        };
        self.broker
            .cancel_order(&bid)
            .await
            .map_err(|e| CommandError::Broker(e.to_string()))?;
        let now = self.clock.now();
        if let Some(s) = self
            .orders
            .apply_local(engine_id, &domain::OrderEvent::CancelRequested { ts: now })
        {
            self.journal
                .order(&journal::OrderRow::from_state(&s))
                .map_err(|e| CommandError::Engine(e.to_string()))?;
        }
        let msg = format!("cancel of {tag} (broker {bid}) sent");
        self.operator_note(
            &msg,
            json!({"command": "cancel_order", "tag": tag, "broker_order_id": bid}),
        )?;
        Ok(msg)
    }

    /// The [`OrderView`] of a tracked order.
    pub(crate) fn order_view(&self, o: &crate::orders::TrackedOrder) -> OrderView {
        let s = &o.state;
        let r = s.request();
        let order_type = match r.kind {
            OrderKind::Market => "MARKET",
            OrderKind::Limit { .. } => "LIMIT",
            OrderKind::StopLimit { .. } => "SL",
        };
        OrderView {
            tag: r.tag.clone(),
            broker_order_id: s.broker_order_id().map(str::to_string),
            segment: r.contract.segment,
            tradingsymbol: r.contract.tradingsymbol.clone(),
            side: r.side,
            quantity: r.quantity,
            filled_quantity: s.filled_quantity(),
            average_price: s.average_price().filter(|_| s.filled_quantity() > 0),
            order_type: order_type.to_string(),
            status: s.status(),
            purpose: if self.manual_orders.contains(&r.id) {
                "MANUAL".to_string()
            } else {
                r.purpose.code().to_string()
            },
            message: s.message().map(str::to_string),
            created: r.created,
        }
    }
}
