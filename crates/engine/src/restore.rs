//! A restart the same trading day (spec §11): [`Engine::restore`] puts a [`Checkpoint`] back
//! into a freshly warmed-up engine, then [`Engine::catch_up`] processes the index ticks the
//! engine missed while it was down (rebuilt from the day's 1-minute candles exactly as replay
//! builds them: four ticks per bar), before the live feed resumes. Reconciliation with the
//! broker is in [`crate::reconcile`].
//!
//! Order of a restart: `warm_up` (earlier sessions) → `restore` (agents, strategy tape,
//! orders re-attached to the broker, trades) → `reconcile` (missed order updates and fills,
//! the broker's book against the engine's) → `catch_up` → live ticks.

use crate::checkpoint::{CHECKPOINT_FORMAT, Checkpoint};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::orders::OrderManager;
use catalog::replay::ReplayFeed;
use domain::ports::{Clock, HistoricalData};
use domain::time::{fmt_iso, ist, session_close};
use domain::{Segment, Tick};
use serde_json::json;

/// During catch-up, an entry on a signal older than this (seconds of exchange time before
/// the last tick caught up) is skipped: the market has moved on. Exits are always made.
pub const CATCH_UP_ENTRY_MAX_AGE_SECS: i64 = 120;

/// What [`Engine::restore`] put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Open and closing positions.
    pub positions: usize,
    /// Orders not yet terminal.
    pub working_orders: usize,
    /// Trades of the day already done.
    pub trades: usize,
    /// The run number new tags carry.
    pub run: u32,
}

impl Engine {
    /// Put a checkpoint of this mode and trading date back (spec §11). Call after
    /// [`Engine::warm_up`] (the strategies are warmed up and the day started), before any
    /// tick. The strategies are fed their tape; orders are re-attached to the broker
    /// ([`domain::ports::Broker::resume`]); the day's trades are journaled again where the
    /// journal lacks them (a journal keyed by `trade_id` skips those it has).
    ///
    /// # Errors
    /// [`EngineError::Checkpoint`] when it is of another mode, date or format, or holds a
    /// segment that is not configured; a journal failure.
    pub fn restore(&mut self, cp: Checkpoint) -> Result<Restored, EngineError> {
        let bad = |m: String| Err(EngineError::Checkpoint(m));
        if cp.format != CHECKPOINT_FORMAT {
            return bad(format!(
                "format {} (this engine reads {CHECKPOINT_FORMAT})",
                cp.format
            ));
        }
        if cp.mode != self.mode.code() {
            return bad(format!(
                "mode {} (this session is {})",
                cp.mode,
                self.mode.code()
            ));
        }
        if cp.date != self.date {
            return bad(format!("date {} (this session is {})", cp.date, self.date));
        }
        for a in &cp.agents {
            let configured = self.agents.iter().any(|x| x.segment == a.segment);
            let busy = a.position.is_some() || !a.closing.is_empty();
            if !configured && busy {
                return bad(format!(
                    "it holds a {} position but {} is not configured for this session",
                    a.segment, a.segment
                ));
            }
        }
        let mut positions = 0;
        for a in cp.agents {
            let Some(agent) = self.agents.iter_mut().find(|x| x.segment == a.segment) else {
                continue;
            };
            agent.replay_tape(a.tape);
            agent.state = a.state;
            positions += usize::from(a.position.is_some()) + a.closing.len();
            agent.position = a.position;
            agent.closing = a.closing;
            agent.pending = a.pending;
            agent.last_tick = a.last_tick;
            agent.candles.resume(a.forming);
            agent.trades_today = a.trades_today;
            agent.entry_strategies = a.entry_strategies;
            agent.closed_trades = a.closed_trades;
            agent.realized_pnl = a.realized_pnl;
            agent.consecutive_losses = a.consecutive_losses;
            agent.last_loss_at = a.last_loss_at;
            agent.last_entry_at = a.last_entry_at;
            agent.close_requested = a.close_requested;
        }
        let run = cp.run + 1;
        self.orders = OrderManager::restore(cp.orders, cp.next_order_id, run);
        let working = self
            .orders
            .iter()
            .filter(|o| !o.state.status().is_terminal())
            .count();
        for o in self.orders.iter() {
            if o.state.broker_order_id().is_some() {
                self.broker.resume(&o.state);
            }
        }
        for t in &cp.trades {
            self.journal.trade(t)?;
        }
        self.trades = cp.trades;
        self.halted = cp.halted;
        self.paused = cp.paused;
        self.operator_stop = cp.operator_stop;
        self.unreconciled = cp.unreconciled;
        self.adopted = cp.adopted;
        self.ignored_orders = cp.ignored_orders;
        self.tick_seq = cp.tick_seq;
        self.last_tick_at = cp.last_tick_at;
        self.skipped = cp.skipped;
        for token in cp.subscribed {
            if self.subscribed.insert(token) {
                self.subscriptions.push(token);
            }
        }
        if let Some(t) = cp.last_tick_at {
            self.clock.advance(t);
        }
        self.version = self.version.max(cp.version) + 1;
        let restored = Restored {
            positions,
            working_orders: working,
            trades: self.trades.len(),
            run,
        };
        let now = self.clock.now();
        self.emit(
            now,
            None,
            EngineEvent::Session,
            format!(
                "restored the checkpoint of {} as of {}: {} positions, {} orders working, {} trades done; new tags use run {run}",
                cp.date,
                fmt_iso(&cp.as_of),
                restored.positions,
                restored.working_orders,
                restored.trades
            ),
            json!({"as_of": fmt_iso(&cp.as_of), "positions": restored.positions,
                   "working_orders": restored.working_orders, "trades": restored.trades, "run": run}),
        )?;
        Ok(restored)
    }

    /// Process the index ticks missed since the checkpoint's last tick of each segment: the
    /// day's 1-minute candles completed so far ([`HistoricalData::session_so_far`]), four
    /// ticks per bar as replay makes them, merged by time (ties in segment order). Exits,
    /// stops and candles run as on live ticks; an entry on a signal older than
    /// [`CATCH_UP_ENTRY_MAX_AGE_SECS`] is skipped. Returns the number of ticks caught up.
    ///
    /// # Errors
    /// A journal or broker failure that stops the engine; a history failure is a warning.
    pub async fn catch_up(&mut self, history: &dyn HistoricalData) -> Result<usize, EngineError> {
        self.catch_up_with(history, None).await
    }

    /// [`Engine::catch_up`], plus `inflight`: the index tick the earlier run was processing
    /// when it died (recorded before processing, spec §11). It is processed in its place when
    /// it is newer than the checkpoint's last tick of its segment, so a decision the crash
    /// interrupted is made again (and takes over the order the broker already has).
    ///
    /// # Errors
    /// As [`Engine::catch_up`].
    pub async fn catch_up_with(
        &mut self,
        history: &dyn HistoricalData,
        inflight: Option<Tick>,
    ) -> Result<usize, EngineError> {
        let close = ist(self.date, session_close());
        let mut bars = Vec::new();
        for k in 0..self.agents.len() {
            let seg: Segment = self.agents[k].segment;
            let token = self.agents[k].params.token().unwrap_or_default();
            match history.session_so_far(seg, self.date).await {
                Ok(b) => bars.push((seg, token, b)),
                Err(e) => {
                    let now = self.clock.now();
                    self.emit(
                        now,
                        Some(seg),
                        EngineEvent::Warning,
                        format!("catch-up: the day's candles are unavailable ({e}); resuming from live ticks"),
                        json!({"error": e.to_string()}),
                    )?;
                }
            }
        }
        // Newer than the last tick the checkpoint has of the tick's segment. (A block: the
        // borrow of the agents ends before the ticks are processed.)
        let ticks = {
            let after = |t: &Tick| {
                self.agents
                    .iter()
                    .find(|a| Some(a.segment) == self.segment_of(t.token))
                    .is_some_and(|a| a.last_tick.is_none_or(|l| t.ts > l.ts))
                    && t.ts < close
            };
            let mut ticks: Vec<Tick> = ReplayFeed::ticks(&bars)
                .into_iter()
                .filter(|t| after(t))
                .collect();
            if let Some(t) = inflight
                && after(&t)
                && !ticks.iter().any(|x| x.token == t.token && x.ts == t.ts)
            {
                // Ticks of one time are in segment order, like the feed's.
                let at = ticks.partition_point(|x| {
                    (x.ts, self.segment_of(x.token)) <= (t.ts, self.segment_of(t.token))
                });
                ticks.insert(at, t);
            }
            ticks
        };
        let (Some(first), Some(last)) = (ticks.first().map(|x| x.ts), ticks.last().map(|x| x.ts))
        else {
            return Ok(0);
        };
        self.catch_up_until = Some(last);
        let n = ticks.len();
        let mut result = Ok(());
        for t in ticks {
            result = self.on_tick(t).await;
            if result.is_err() {
                break;
            }
        }
        self.catch_up_until = None;
        result?;
        self.emit(
            last,
            None,
            EngineEvent::Session,
            format!(
                "caught up {n} index ticks missed while down ({} → {}: the tick a crash interrupted, then the day's 1-minute candles)",
                fmt_iso(&first),
                fmt_iso(&last)
            ),
            json!({"ticks": n, "from": fmt_iso(&first), "to": fmt_iso(&last)}),
        )?;
        Ok(n)
    }

    /// During catch-up: whether an entry at `tick` is too old to make. Never when the broker
    /// already holds the entry order of an earlier run under the next order id: that entry
    /// was made and sent before the crash (its position exists at the broker, perhaps already
    /// closed by the protective stop), so the decision is made again to take the order over.
    pub(crate) fn stale_for_entry(&self, tick: &Tick) -> bool {
        self.catch_up_until
            .is_some_and(|until| (until - tick.ts).num_seconds() > CATCH_UP_ENTRY_MAX_AGE_SECS)
            && !self.orders.next_is_orphan(self.date, domain::Side::Buy)
    }
}
