//! Operator controls (spec §7, §10.6): the kill switch (pause/resume entries), manual close,
//! broker health, stopping entries at shutdown, square-off now, and notes from the runner.

use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use domain::ExitReason;
use domain::Segment;
use domain::ports::Clock;
use serde_json::json;

impl Engine {
    /// Kill switch (spec §7): `true` blocks all entries and pyramid adds at once; exits go on.
    pub fn set_paused(&mut self, paused: bool) -> Result<(), EngineError> {
        if self.paused != paused {
            self.paused = paused;
            let now = self.clock.now();
            let what = if paused {
                "paused: entries blocked"
            } else {
                "resumed"
            };
            self.emit(
                now,
                None,
                EngineEvent::KillSwitch,
                what.to_string(),
                json!({"paused": paused}),
            )?;
        }
        Ok(())
    }

    /// Ask to close a segment's position (or all, with `None`) at its next tick, reason
    /// `MANUAL` (spec §4.4).
    pub fn request_close(&mut self, segment: Option<Segment>) {
        for a in &mut self.agents {
            if segment.is_none_or(|s| s == a.segment) {
                a.request_close();
            }
        }
    }

    /// The broker session is (in)valid: an invalid session blocks entries (spec §7).
    pub fn set_broker_healthy(&mut self, healthy: bool) {
        self.broker_unhealthy = !healthy;
    }

    /// Stop new entries and pyramid adds for the rest of the session (graceful shutdown,
    /// spec §10.6); exits and stops go on. Not kept in the checkpoint: a restarted session
    /// trades (an operator's stop, [`crate::control::Command::StopEntries`], is kept).
    pub fn stop_entries(&mut self, why: &str) -> Result<(), EngineError> {
        if self.shutting_down.is_none() {
            self.shutting_down = Some(why.to_string());
            let now = self.clock.now();
            self.emit(
                now,
                None,
                EngineEvent::Session,
                format!("entries stopped: {why}"),
                json!({"reason": why}),
            )?;
        }
        Ok(())
    }

    /// Close every open position now, at its segment's last tick (reason `MANUAL`), and wait
    /// for the orders to finish (`--square-off-on-exit`, spec §10.6).
    pub async fn square_off_now(&mut self) -> Result<(), EngineError> {
        for i in 0..self.agents.len() {
            self.close_live(i, None, ExitReason::Manual).await?;
        }
        let now = self.clock.now();
        self.settle_outstanding(now).await
    }

    /// Journal an event from outside the engine (the session runner: feed, session and
    /// shutdown notices), stamped with the engine clock.
    pub fn note(
        &mut self,
        segment: Option<Segment>,
        event: EngineEvent,
        message: String,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        self.emit(now, segment, event, message, data)
    }
}
