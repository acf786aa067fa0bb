//! The engine's side of the risk engine (spec §7), interpreted in one place: the risk state
//! is a pure read of the agents and the order manager; `Engine::admit` turns a decision into
//! a quantity or a refusal (journaling it, halting the session on a halt); the session-level
//! loss check; the entry locks journaled once a day.

use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use domain::ports::Clock;
use domain::time::{IstDateTime, fmt_iso};
use domain::{Decimal, ExitReason, Segment, Tick};
use risk::{Decision, OrderIntent, RiskState, Rule};
use serde_json::json;

/// A risk decision as the engine acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead with this many units (the asked quantity, or less).
    Quantity(u32),
    /// Refused (blocked, or the session halted).
    Refused {
        /// The rule.
        rule: Rule,
        /// Why.
        reason: String,
    },
}

impl Engine {
    /// The risk engine's view of the session now. A pure read.
    pub(crate) fn risk_state(&self) -> RiskState {
        let now = self.clock.now();
        RiskState {
            segments: self
                .agents
                .iter()
                .map(|a| (a.segment, a.risk_state()))
                .collect(),
            realized_pnl: self.agents.iter().map(|a| a.realized_pnl).sum(),
            open_pnl: self.open_pnl(),
            halted: self.halted,
            paused: self.paused,
            stopped: self
                .operator_stop
                .clone()
                .or_else(|| self.shutting_down.clone()),
            broker_unhealthy: self.broker_unhealthy,
            unreconciled: self.unreconciled.clone(),
            last_tick_at: self.last_tick_at,
            orders_last_second: self.orders.sent_last_second(now),
            strategy_entries: self.agents.iter().flat_map(|a| &a.entry_strategies).fold(
                std::collections::BTreeMap::new(),
                |mut m, s| {
                    *m.entry(s.clone()).or_insert(0) += 1;
                    m
                },
            ),
        }
    }

    /// Mark-to-market P&L of the open positions at their last marks, ₹ (before charges).
    pub(crate) fn open_pnl(&self) -> Decimal {
        self.agents
            .iter()
            .filter(|a| a.holds_any())
            .map(|a| a.open_pnl())
            .sum()
    }

    /// Ask the risk engine about `intent` at `tick`. Every decision but an approval is
    /// journaled (with `log_refusal`; without it a refusal is silent), a halt halts the
    /// session.
    pub(crate) async fn admit(
        &mut self,
        seg: Segment,
        intent: &OrderIntent,
        tick: &Tick,
        log_refusal: bool,
    ) -> Result<Admission, EngineError> {
        let decision = self.risk.evaluate(intent, &self.risk_state());
        let refused = matches!(
            decision,
            Decision::Block { .. } | Decision::HaltSession { .. }
        );
        if log_refusal || !refused {
            self.on_decision(seg, &decision, tick).await?;
        }
        Ok(match decision {
            Decision::Approve => Admission::Quantity(intent.quantity),
            Decision::Reduce { quantity, .. } => Admission::Quantity(quantity),
            Decision::Block { rule, reason } | Decision::HaltSession { rule, reason } => {
                Admission::Refused { rule, reason }
            }
        })
    }

    async fn on_decision(
        &mut self,
        seg: Segment,
        d: &Decision,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        match d {
            Decision::Approve => Ok(()),
            Decision::Reduce { quantity, rule, reason } => self.emit(
                tick.ts,
                Some(seg),
                EngineEvent::Risk,
                format!("reduce to {quantity}: {rule}: {reason}"),
                json!({"decision": "REDUCE", "rule": rule.code(), "reason": reason, "quantity": quantity}),
            ),
            Decision::Block { rule, reason } => self.emit(
                tick.ts,
                Some(seg),
                EngineEvent::Risk,
                format!("block: {rule}: {reason}"),
                json!({"decision": "BLOCK", "rule": rule.code(), "reason": reason}),
            ),
            Decision::HaltSession { rule, reason } => self.halt(*rule, reason, tick).await,
        }
    }

    /// Halt the session (no entries); with `close_on_halt` close every live position, each
    /// at its segment's last tick (this tick for its own segment).
    async fn halt(&mut self, rule: Rule, reason: &str, tick: &Tick) -> Result<(), EngineError> {
        if self.halted {
            return Ok(());
        }
        self.halted = true;
        let close = self.settings.risk.close_on_halt;
        self.emit(
            tick.ts,
            None,
            EngineEvent::Risk,
            format!("HALT session: {rule}: {reason}"),
            json!({"decision": "HALT", "rule": rule.code(), "reason": reason, "close_on_halt": close}),
        )?;
        if close {
            for j in 0..self.agents.len() {
                self.close_live(j, Some(tick), ExitReason::Risk).await?;
            }
        }
        Ok(())
    }

    /// The session-level loss check of each tick (spec §7).
    pub(crate) async fn check_halt(&mut self, tick: &Tick) -> Result<(), EngineError> {
        if self.halted {
            return Ok(());
        }
        // Only the day's P&L matters here: no need for the full state on every tick.
        let state = RiskState {
            realized_pnl: self.agents.iter().map(|a| a.realized_pnl).sum(),
            open_pnl: self.open_pnl(),
            ..RiskState::default()
        };
        if let Some(Decision::HaltSession { rule, reason }) = self.risk.check_halt(&state) {
            self.halt(rule, &reason, tick).await?;
        }
        Ok(())
    }

    /// Journal every lock that has come into force (each once a day).
    pub(crate) fn announce_locks(&mut self, now: IstDateTime) -> Result<(), EngineError> {
        let state = self.risk_state();
        for lock in self.risk.locks(&state, now) {
            if self.announced_locks.insert((lock.segment, lock.rule)) {
                let until = lock.until.map_or("end of day".to_string(), |u| fmt_iso(&u));
                self.emit(
                    now,
                    lock.segment,
                    EngineEvent::Lock,
                    format!(
                        "entries locked: {}: {} (until {until})",
                        lock.rule, lock.reason
                    ),
                    serde_json::to_value(&lock).unwrap_or_default(),
                )?;
            }
        }
        Ok(())
    }
}
