//! The engine side of the orders: sending a position's orders, settling unknown placements,
//! and applying the [`OrderOutcome`]s of one drain to the positions (legs, charges, the end
//! of an order: trade closed, exit retried, entry failed).

use super::OrderOutcome;
use crate::agent::TerminalStep;
use crate::engine::{EXIT_FAILURES_BEFORE_HALT, Engine, EngineError, UNKNOWN_ORDER_GRACE_SECS};
use crate::events::EngineEvent;
use chrono::TimeDelta;
use domain::charges::ChargeKind;
use domain::order::OrderPurpose;
use domain::ports::BrokerError;
use domain::ports::Clock;
use domain::time::IstDateTime;
use domain::{OptionContract, OrderId, OrderKind, OrderState, Side};
use journal::{FillRow, OrderRow};
use serde_json::json;

impl Engine {
    /// Create and send orders for `quantity` of agent `i`'s position entered at tick `pos`,
    /// split at the segment's freeze limit (spec §7), then drain the broker once.
    /// With `exit`, a journal failure never stops the orders from going out (it is reported
    /// as a critical event instead).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_split(
        &mut self,
        i: usize,
        pos: u64,
        contract: &OptionContract,
        side: Side,
        quantity: u32,
        purpose: OrderPurpose,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        self.send_split_as(
            i,
            pos,
            contract,
            side,
            quantity,
            purpose,
            ts,
            OrderKind::Market,
        )
        .await
    }

    /// [`Engine::send_split`] with orders of `kind` (a manual LIMIT order, spec §12).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_split_as(
        &mut self,
        i: usize,
        pos: u64,
        contract: &OptionContract,
        side: Side,
        quantity: u32,
        purpose: OrderPurpose,
        ts: IstDateTime,
        kind: OrderKind,
    ) -> Result<(), EngineError> {
        let freeze = self.agents[i].params.freeze_quantity_units;
        let mut orders = self.orders.create_split(
            i,
            self.date,
            contract,
            side,
            quantity,
            freeze,
            self.settings.product,
            purpose,
            ts,
        );
        if kind != OrderKind::Market {
            for state in &mut orders {
                let id = state.request().id;
                if let Some(s) = self.orders.rewrite_request(id, |r| r.kind = kind) {
                    *state = s;
                }
            }
        }
        let agent = &mut self.agents[i];
        // Every created order is a leg of the position (the leg follows the order's state).
        for state in &orders {
            agent.add_leg(
                pos,
                &contract.tradingsymbol,
                state.request().id,
                side,
                state.request().quantity,
            );
        }
        for state in &orders {
            let row = OrderRow::from_state(state);
            if let Err(e) = self.journal.order(&row) {
                if purpose != OrderPurpose::Exit {
                    return Err(e.into());
                }
                self.journal_failed(ts, contract.segment, &e);
            }
        }
        for state in orders {
            self.send(state.request().id).await?;
        }
        Ok(())
    }

    /// Place one order, then drain the broker once.
    pub(crate) async fn send(&mut self, id: OrderId) -> Result<(), EngineError> {
        let Some(req) = self.orders.get(id).map(|o| o.state.request().clone()) else {
            return Ok(());
        };
        let now = self.clock.now();
        match self.orders.place(self.broker.as_mut(), id, now).await {
            Ok(()) => {}
            Err(BrokerError::Unknown(msg)) => {
                // Not a rejection: the order stays PENDING_SUBMIT until the tag lookup settles it.
                self.emit(
                    req.created,
                    Some(req.contract.segment),
                    EngineEvent::OrderError,
                    format!(
                        "order {id} outcome unknown ({msg}); settling by tag {}",
                        req.tag
                    ),
                    json!({"order_id": id.0, "tag": req.tag, "error": msg}),
                )?;
            }
            Err(e) => {
                if let BrokerError::SessionInvalid(_) = e {
                    self.broker_unhealthy = true;
                    self.emit(
                        req.created,
                        None,
                        EngineEvent::Critical,
                        format!("broker session invalid: {e}; entries blocked"),
                        json!({"error": e.to_string()}),
                    )?;
                }
                self.on_order_failed(id, &e.to_string(), req.created)?;
            }
        }
        self.sync_orders().await
    }

    /// Orders whose placement outcome is unknown: look them up by tag (spec §10.2); one not
    /// found [`UNKNOWN_ORDER_GRACE_SECS`] after placement is treated as never placed.
    pub(crate) async fn settle_unknown_orders(&mut self) -> Result<(), EngineError> {
        let pending = self.orders.unsettled();
        if pending.is_empty() {
            return Ok(());
        }
        for (id, tag, created) in pending {
            match self.broker.find_by_tag(&tag).await {
                Ok(Some(bid)) => self.orders.found_by_tag(id, bid),
                Ok(None) => {
                    let now = self.clock.now();
                    if now - created >= TimeDelta::seconds(UNKNOWN_ORDER_GRACE_SECS) {
                        let msg = format!(
                            "not found at the broker by tag {tag} {UNKNOWN_ORDER_GRACE_SECS}s after placement"
                        );
                        self.on_order_failed(id, &msg, now)?;
                    }
                }
                Err(_) => {} // try again at the next event
            }
        }
        self.sync_orders().await
    }

    /// A placement definitively failed: the order is REJECTED locally.
    fn on_order_failed(
        &mut self,
        id: OrderId,
        msg: &str,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        let state = match self.orders.reject_locally(id, msg, ts) {
            Some(OrderOutcome::Updated { state, .. }) => {
                self.journal.order(&OrderRow::from_state(&state))?;
                state
            }
            _ => match self.orders.get(id) {
                Some(o) => o.state.clone(),
                None => return Ok(()),
            },
        };
        match self.orders.get(id).map(|o| o.agent) {
            Some(agent) => self.on_order_state(agent, &state, true),
            None => Ok(()),
        }
    }

    /// Drain the broker once and apply the outcomes in arrival order.
    pub(crate) async fn sync_orders(&mut self) -> Result<(), EngineError> {
        let outcomes = match self.orders.drain(self.broker.as_mut()).await {
            Ok(o) => o,
            Err(e) => {
                let now = self.clock.now();
                return self.emit(
                    now,
                    None,
                    EngineEvent::BrokerError,
                    format!("poll failed: {e}"),
                    json!({"error": e.to_string()}),
                );
            }
        };
        for outcome in outcomes {
            self.apply_outcome(outcome)?;
        }
        Ok(())
    }

    fn apply_outcome(&mut self, outcome: OrderOutcome) -> Result<(), EngineError> {
        match outcome {
            OrderOutcome::Updated { agent, state } => {
                self.journal.order(&OrderRow::from_state(&state))?;
                let terminal = state.status().is_terminal();
                self.on_order_state(agent, &state, terminal)
            }
            OrderOutcome::Filled {
                agent,
                fill,
                first,
                contract,
            } => {
                let turnover = fill.price * domain::Decimal::from(fill.quantity);
                // The schedule of what was traded: option, future or intraday equity.
                let kind = match contract.option_type {
                    domain::OptionType::CE | domain::OptionType::PE => ChargeKind::IndexOption,
                    domain::OptionType::FUT => ChargeKind::Future,
                    domain::OptionType::EQ => ChargeKind::EquityIntraday,
                };
                let c = self.charges.charges_for(
                    kind,
                    self.date,
                    contract.exchange,
                    fill.side,
                    turnover,
                    first,
                );
                self.journal
                    .fill(&FillRow::new(&fill, contract.segment, &c))?;
                self.agents[agent].book_fill(fill.order_id, c.total, fill.premium_source);
                Ok(())
            }
            OrderOutcome::Error {
                order,
                message,
                fill_id,
            } => {
                let now = self.clock.now();
                self.emit(
                    now,
                    None,
                    EngineEvent::OrderError,
                    message,
                    json!({"order_id": order.0, "fill_id": fill_id}),
                )
            }
        }
    }

    /// Order `o` of agent `i` changed: its leg follows (the one place a leg is written: the
    /// order's state is its one source). When it ended (`terminal`: COMPLETE, CANCELLED or
    /// REJECTED) the agent decides what that means for the position
    /// ([`SegmentAgent::on_order_terminal`]); the engine books and journals.
    ///
    /// [`SegmentAgent::on_order_terminal`]: crate::agent::SegmentAgent::on_order_terminal
    fn on_order_state(
        &mut self,
        i: usize,
        o: &OrderState,
        terminal: bool,
    ) -> Result<(), EngineError> {
        // The order names its agent.
        let agent = &mut self.agents[i];
        agent.update_leg(o);
        // Protective stop at the broker (spec §10.3): its orders end in
        // position/protective.rs (a fill closes the position with reason BROKER_SL). Placing
        // or resizing it after an entry/add filled is async, so it happens at step (d) of the
        // position's next index tick (`track_position`), not here in the drain.
        if o.request().purpose == OrderPurpose::Protect {
            return self.on_protective_state(i, o, terminal);
        }
        if !terminal {
            return Ok(());
        }
        let id = o.request().id;
        let (status, purpose, ts) = (o.status(), o.request().purpose, o.updated());
        let msg = o.message().unwrap_or_default().to_string();
        let seg = agent.segment;
        let step = agent.on_order_terminal(id, status, purpose);
        if let TerminalStep::Flat(seq) = step {
            let rows = agent.close_trade(seq, self.date, self.mode.code());
            return self.record_trade(rows);
        }
        match step {
            TerminalStep::Nothing | TerminalStep::Flat(_) => Ok(()),
            TerminalStep::ExitRetry { failures } => {
                self.emit(
                    ts,
                    Some(seg),
                    EngineEvent::OrderError,
                    format!("exit order {id} {status}: {msg}; retrying ({failures} failures)"),
                    json!({"order_id": id.0, "status": status.code(), "failures": failures}),
                )?;
                if failures >= EXIT_FAILURES_BEFORE_HALT && !self.halted {
                    self.halted = true;
                    self.emit(
                        ts,
                        Some(seg),
                        EngineEvent::Critical,
                        format!(
                            "exit failed {failures} times: session halted, still retrying the exit"
                        ),
                        json!({"failures": failures}),
                    )?;
                }
                Ok(())
            }
            TerminalStep::NothingBought => self.emit(
                ts,
                Some(seg),
                EngineEvent::EntryFailed,
                format!("order {id} {status}: {msg}; nothing was bought, no trade"),
                json!({"order_id": id.0, "status": status.code(), "message": msg}),
            ),
            TerminalStep::BuyFailed { back_to_waiting } => {
                let kind = if purpose == OrderPurpose::Entry {
                    EngineEvent::EntryFailed
                } else {
                    EngineEvent::PyramidFailed
                };
                let back = if back_to_waiting {
                    "; back to waiting"
                } else {
                    ""
                };
                self.emit(
                    ts,
                    Some(seg),
                    kind,
                    format!("order {id} {status}: {msg}{back}"),
                    json!({"order_id": id.0, "status": status.code(), "message": msg}),
                )
            }
        }
    }
}
