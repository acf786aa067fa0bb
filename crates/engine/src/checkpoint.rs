//! The checkpoint (spec §11): everything the engine holds, serializable both ways, written
//! atomically by the session runner to `<journal root>/checkpoints/<mode>_state_latest.json`
//! after every change and read back by [`Engine::restore`](crate::engine::Engine) on a
//! restart the same trading day ([`crate::restore`]).
//!
//! What it holds: per agent the state, the open and closing positions with their stops,
//! trail, legs and charges, the signal waiting for the next tick, the last index tick, the
//! forming candle, the day counters and realized P&L, and the strategy's inputs of the day
//! (its *tape*: a fresh strategy warmed up and fed the tape is where the old one was); every
//! order with its full state machine; the day's trades; halt/pause; the next order id and the
//! run number that goes into new tags.

use crate::agent::{AgentState, PendingSignal, Position, StrategyInput};
use crate::engine::Engine;
use crate::orders::TrackedOrder;
use chrono::NaiveDate;
use domain::ports::Clock;
use domain::time::IstDateTime;
use domain::{Candle, Decimal, Segment, Tick, Trade};
use serde::{Deserialize, Serialize};

/// The checkpoint layout this engine writes and reads.
pub const CHECKPOINT_FORMAT: u32 = 2;

/// The checkpoint (spec §11). Money in ₹, times IST (exchange clock).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// [`CHECKPOINT_FORMAT`] when written.
    pub format: u32,
    /// `PAPER`, `LIVE`, `REPLAY`.
    pub mode: String,
    /// Trading date.
    pub date: NaiveDate,
    /// Engine clock when taken (exchange time).
    #[serde(with = "domain::time::serde_ist")]
    pub as_of: IstDateTime,
    /// Start of the day's session that wrote it (0 = the first); a restart uses a higher one
    /// in its tags.
    pub run: u32,
    /// Entries stopped (risk halt, exit failures or shutdown).
    pub halted: bool,
    /// Kill switch on.
    pub paused: bool,
    /// Entries stopped by an operator's command, with why (spec §12).
    #[serde(default)]
    pub operator_stop: Option<String>,
    /// An unresolved reconciliation mismatch (entries blocked).
    pub unreconciled: Option<String>,
    /// Units per tradingsymbol taken over from (+) or sold outside (−) the engine.
    pub adopted: std::collections::BTreeMap<String, i64>,
    /// Broker order ids of open orders the operator adopted (never compared again).
    #[serde(default)]
    pub ignored_orders: std::collections::BTreeSet<String>,
    /// The next engine order id.
    pub next_order_id: u64,
    /// Ticks processed (positions remember the tick number of their entry).
    pub tick_seq: u64,
    /// Time of the last tick processed.
    #[serde(with = "domain::time::serde_ist_opt", default)]
    pub last_tick_at: Option<IstDateTime>,
    /// Signals not acted on today.
    pub skipped: u32,
    /// Option tokens subscribed for traded contracts.
    pub subscribed: Vec<u32>,
    /// Per segment.
    pub agents: Vec<CheckpointAgent>,
    /// Every order of the day.
    pub orders: Vec<TrackedOrder>,
    /// Trades completed, in exit order.
    pub trades: Vec<Trade>,
    /// [`Engine::version`] when taken.
    pub version: u64,
}

/// One agent in a [`Checkpoint`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointAgent {
    /// Index.
    pub segment: Segment,
    /// Agent state.
    pub state: AgentState,
    /// Open position (no exit decided).
    pub position: Option<Position>,
    /// Positions whose exit is decided while their orders finish.
    pub closing: Vec<Position>,
    /// A signal waiting for the next tick.
    pub pending: Option<PendingSignal>,
    /// Last index tick seen.
    pub last_tick: Option<Tick>,
    /// The forming candle.
    pub forming: Option<Candle>,
    /// Entries today.
    pub trades_today: u32,
    /// The strategy of each entry today (absent before strategy sets: none known).
    #[serde(default)]
    pub entry_strategies: Vec<String>,
    /// Completed trades today.
    pub closed_trades: u32,
    /// Realized net P&L, ₹.
    pub realized_pnl: Decimal,
    /// Losing trades in a row.
    pub consecutive_losses: u32,
    /// Exit time of the last losing trade.
    #[serde(with = "domain::time::serde_ist_opt", default)]
    pub last_loss_at: Option<IstDateTime>,
    /// Time of the last entry.
    #[serde(with = "domain::time::serde_ist_opt", default)]
    pub last_entry_at: Option<IstDateTime>,
    /// A manual close was asked and not yet done.
    pub close_requested: bool,
    /// The strategy's inputs of the day, in order.
    pub tape: Vec<StrategyInput>,
}

impl Engine {
    /// A snapshot of the engine's whole state for the checkpoint file (spec §11).
    pub fn checkpoint(&self) -> Checkpoint {
        let agents = self
            .agents
            .iter()
            .map(|a| CheckpointAgent {
                segment: a.segment,
                state: a.state,
                position: a.position.clone(),
                closing: a.closing.clone(),
                pending: a.pending.clone(),
                last_tick: a.last_tick,
                forming: a.candles.current().copied(),
                trades_today: a.trades_today,
                entry_strategies: a.entry_strategies.clone(),
                closed_trades: a.closed_trades,
                realized_pnl: a.realized_pnl,
                consecutive_losses: a.consecutive_losses,
                last_loss_at: a.last_loss_at,
                last_entry_at: a.last_entry_at,
                close_requested: a.close_requested,
                tape: a.tape.clone(),
            })
            .collect();
        Checkpoint {
            format: CHECKPOINT_FORMAT,
            mode: self.mode.code().to_string(),
            date: self.date,
            as_of: self.clock.now(),
            run: self.orders.run(),
            halted: self.halted,
            paused: self.paused,
            operator_stop: self.operator_stop.clone(),
            unreconciled: self.unreconciled.clone(),
            adopted: self.adopted.clone(),
            ignored_orders: self.ignored_orders.clone(),
            next_order_id: self.orders.next_order_id(),
            tick_seq: self.tick_seq,
            last_tick_at: self.last_tick_at,
            skipped: self.skipped,
            subscribed: self.subscribed.iter().copied().collect(),
            agents,
            orders: self.orders.iter().cloned().collect(),
            trades: self.trades.clone(),
            version: self.version,
        }
    }
}
