//! The end of the protective stop (spec §10.3; see the parent module): cancelled before the
//! engine's own exit, or filled at the broker (the position closes with reason `BROKER_SL`).

use super::ProtectiveOrder;
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use domain::order::OrderEvent;
use domain::time::IstDateTime;
use domain::{ExitReason, OrderId, OrderState, OrderStatus, Tick};
use journal::OrderRow;
use serde_json::json;

impl Engine {
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
        let watch_token = agent.params.token().unwrap_or_default();
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
                    token: watch_token,
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
        if p.exit.is_none() || p.protective_working() || p.exit_in_flight() || p.entry_in_flight() {
            return Ok(());
        }
        if p.exited() < p.entered() {
            p.exit_retry = true;
            return Ok(());
        }
        let rows = agent.close_trade(seq, self.date, self.mode.code());
        self.record_trade(rows)
    }
}
