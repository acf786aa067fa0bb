//! The tick path (spec §3.1 rule 6), four visible steps per index tick:
//! (a) exits of positions opened earlier, against the levels before this tick, then the
//! session loss check; (b) candles completed by this tick, their signals, and an entry at this
//! tick; (c) the tick joins its candle (done by the agent as it takes the tick, right after
//! taking the candle the tick completes: nothing in (a) or (b) reads the candle builder);
//! (d) trailing stops, excursions and pyramiding move with it. Broker reports are drained once before the steps and once after each order decision.

use crate::agent::{PendingSignal, TickWork};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::position::exits::SignalAction;
use domain::ports::Clock;
use domain::time::{IstDateTime, fmt_iso};
use domain::{Candle, ExitReason, Segment, Signal, Tick};
use serde_json::json;
use strategy::SignalOrigin;

impl Engine {
    /// Process one tick (spec §3.1 rule 6).
    pub async fn on_tick(&mut self, tick: Tick) -> Result<(), EngineError> {
        let day = tick.ts.date_naive();
        if day != self.date {
            // Not this session's data (a stale pre-open packet, or a simulator on another day).
            if self.foreign_days.insert(day) {
                let now = self.clock.now();
                self.emit(
                    now,
                    None,
                    EngineEvent::Warning,
                    format!(
                        "ticks dated {day} ignored: the session is {}; against the simulator pass its date",
                        self.date
                    ),
                    json!({"tick_date": day, "session_date": self.date}),
                )?;
            }
            return Ok(());
        }
        let agent = self.agent_of.get(&tick.token).copied();
        if let Some(i) = agent
            && self.agents[i]
                .last_tick
                .is_some_and(|last| tick.ts < last.ts)
        {
            // Older than an index tick already processed (the live feed after a restart's
            // catch-up): never processed twice or out of order.
            return Ok(());
        }
        self.clock.advance(tick.ts);
        self.tick_seq += 1;
        self.last_tick_at = Some(tick.ts);
        self.broker.observe(&tick);
        self.marks.observe(&tick);
        self.sync_orders().await?;
        self.settle_unknown_orders().await?;
        // A watched tick (an index's, a scanned stock's) is its agent's.
        let Some(i) = agent else {
            return Ok(());
        };
        // Every index tick is checkpoint-worthy (the forming candle, the last tick).
        self.version += 1;
        // The agent takes the tick: steps (b)'s inputs and step (c) (see `take_tick`).
        let TickWork { pending, completed } = self.agents[i].take_tick(&tick);
        for j in 0..self.agents.len() {
            // Only an agent holding or closing a position has exits or protective cancels to
            // retry; skipping the rest keeps a 200-stock universe linear (docs/benchmarks.md).
            if self.agents[j].holds_any() {
                self.retry_exits(j, tick.ts).await?;
            }
        }

        // (a) exits, then the session-level loss check
        self.check_exits(i, &tick).await?;
        self.check_halt(&tick).await?;

        // (b) candles completed by this tick, and any signal left by the clock
        if let Some(p) = pending {
            self.act_on_signal(i, &p, &tick).await?;
        }
        if let Some(c) = completed {
            let p = self.on_candle(i, &c)?;
            if p.signal != Signal::Hold {
                self.act_on_signal(i, &p, &tick).await?;
            }
        }

        // A hedged short's next leg after this tick's exit or entry (position/spread.rs).
        if self.agents[i].holds_any() {
            self.advance_spreads(i, tick.ts).await?;
        }

        // (c) the tick joined its candle in `take_tick`

        // (d) trail, excursions, pyramiding
        self.track_position(i, &tick).await?;
        self.track_equity(tick.ts);
        if let Some(r) = self.pending_resolve.take() {
            self.check_book(Some(r)).await?;
        }
        Ok(())
    }

    /// Time passed without ticks: complete candles by the clock; their signals wait for the
    /// next tick (spec §3, §3.1 rule 3).
    pub async fn on_timer(&mut self, now: IstDateTime) -> Result<(), EngineError> {
        if now.date_naive() != self.date {
            return Ok(());
        }
        self.clock.advance(now);
        self.sync_orders().await?;
        self.settle_unknown_orders().await?;
        let completed: Vec<_> = self
            .agents
            .iter_mut()
            .enumerate()
            .filter_map(|(i, a)| a.candles.complete_until(&now).map(|c| (i, c)))
            .collect();
        for (i, c) in completed {
            let p = self.on_candle(i, &c)?;
            if p.signal != Signal::Hold {
                self.agents[i].pending = Some(p);
            }
        }
        Ok(())
    }

    /// A completed candle goes to agent `i`'s strategy; the candle line is journaled.
    pub(crate) fn on_candle(&mut self, i: usize, c: &Candle) -> Result<PendingSignal, EngineError> {
        let agent = &mut self.agents[i];
        let ev = agent.feed_candle(c);
        let strategy = agent.strategy.entry_strategy();
        let seg = agent.segment;
        let mut data = json!({
            "candle_start": fmt_iso(&c.start),
            "open": c.open, "high": c.high, "low": c.low, "close": c.close,
            "volume": c.volume,
            "signal": ev.signal.code(),
        });
        if ev.signal.direction().is_some() {
            data["strategy"] = json!(strategy);
        }
        for (name, v) in &ev.indicators {
            data[*name] = v.map_or(serde_json::Value::Null, |x| json!(x));
        }
        self.emit(
            c.end(),
            Some(seg),
            EngineEvent::Candle,
            format!(
                "{} {} O{} H{} L{} C{} → {}",
                c.timeframe,
                fmt_iso(&c.start),
                c.open,
                c.high,
                c.low,
                c.close,
                ev.signal
            ),
            data,
        )?;
        Ok(PendingSignal {
            signal: ev.signal,
            origin: ev.origin,
            candle_start: c.start,
            stop_points: ev.stop_points,
            strategy: strategy.to_string(),
        })
    }

    /// A signal at `tick`: the exit policy says what it means for the agent's position.
    async fn act_on_signal(
        &mut self,
        i: usize,
        p: &PendingSignal,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let signal = p.signal;
        let agent = &mut self.agents[i];
        let seg = agent.segment;
        let held = agent
            .position
            .as_ref()
            .map(|p| (p.direction, p.exit.is_some()));
        let action = self.exit_policy.on_signal(signal, held);
        // An exit on the signal is decided now (the agent is flat for the entry that may
        // share the tick, spec §3.1 rule 6); its orders go out after the signal is journaled.
        let exit = match action {
            SignalAction::Exit | SignalAction::ExitAndEnter(_) => {
                agent.begin_exit(ExitReason::Signal, *tick)
            }
            _ => None,
        };
        let params = agent.params.clone();
        let origin_s = match p.origin {
            SignalOrigin::Fresh => "cross",
            SignalOrigin::ReEntry => "re-entry",
            SignalOrigin::Manual => "manual",
        };
        self.emit(
            tick.ts,
            Some(seg),
            EngineEvent::Signal,
            format!("{signal} ({origin_s}) from candle {}", fmt_iso(&p.candle_start)),
            json!({"signal": signal.code(), "origin": origin_s, "candle_start": fmt_iso(&p.candle_start), "index": tick.price}),
        )?;
        if let Some(exit) = exit {
            self.send_exit(i, seg, exit, ExitReason::Signal, *tick)
                .await?;
        }
        match action {
            SignalAction::Nothing | SignalAction::Exit => Ok(()),
            SignalAction::Ignore(reason) => self.ignore_signal(seg, signal, tick, reason),
            SignalAction::Enter(direction) | SignalAction::ExitAndEnter(direction) => {
                self.try_enter(i, seg, &params, p, direction, tick).await
            }
        }
    }

    fn ignore_signal(
        &mut self,
        seg: Segment,
        signal: Signal,
        tick: &Tick,
        reason: &str,
    ) -> Result<(), EngineError> {
        self.skipped += 1;
        self.emit(
            tick.ts,
            Some(seg),
            EngineEvent::SignalIgnored,
            format!("{signal} ignored: {reason}"),
            json!({"signal": signal.code(), "reason": reason}),
        )
    }
}
