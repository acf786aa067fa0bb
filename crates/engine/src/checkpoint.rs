//! The checkpoint (spec §11): a serializable snapshot of what the engine holds, written
//! atomically by the session runner to `<journal root>/checkpoints/<mode>_state_latest.json`.

use crate::agent::AgentState;
use crate::engine::Engine;
use chrono::NaiveDate;
use domain::order::OrderPurpose;
use domain::ports::Clock;
use domain::time::IstDateTime;
use domain::{Decimal, Direction, ExitReason, OrderStatus, Segment, Side, Signal};

/// The checkpoint (spec §11): what the engine holds, written atomically by the session
/// runner to `<journal root>/checkpoints/<mode>_state_latest.json`. Money in ₹, times IST.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checkpoint {
    /// `PAPER`, `LIVE`, `REPLAY`.
    pub mode: String,
    /// Trading date.
    pub date: NaiveDate,
    /// Engine clock when taken (exchange time).
    #[serde(with = "domain::time::serde_ist")]
    pub as_of: IstDateTime,
    /// Entries stopped (risk halt, exit failures or shutdown).
    pub halted: bool,
    /// Kill switch on.
    pub paused: bool,
    /// The next engine order id (tags continue from it after a restart).
    pub next_order_id: u64,
    /// Per segment.
    pub agents: Vec<CheckpointAgent>,
    /// Every order of the day with its last known state.
    pub orders: Vec<CheckpointOrder>,
    /// Trades completed.
    pub trades: usize,
    /// [`Engine::version`] when taken.
    pub version: u64,
}

/// One agent in a [`Checkpoint`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointAgent {
    /// Index.
    pub segment: Segment,
    /// Agent state.
    pub state: AgentState,
    /// Entries today.
    pub trades_today: u32,
    /// Completed trades today.
    pub closed_trades: u32,
    /// Realized net P&L, ₹.
    pub realized_pnl: Decimal,
    /// Losing trades in a row.
    pub consecutive_losses: u32,
    /// Open and closing positions.
    pub positions: Vec<CheckpointPosition>,
}

/// One position in a [`Checkpoint`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointPosition {
    /// Option held.
    pub tradingsymbol: String,
    /// Its Kite token when known.
    pub instrument_token: Option<u32>,
    /// Long (CE) or short (PE) on the index.
    pub direction: Direction,
    /// Entry signal.
    pub signal: Signal,
    /// Entry tick time.
    #[serde(with = "domain::time::serde_ist")]
    pub entry_time: IstDateTime,
    /// Index price at entry.
    pub entry_spot: Decimal,
    /// Units held now.
    pub held: u32,
    /// Average entry premium, ₹.
    pub average_entry: Decimal,
    /// Initial stop, index points level.
    pub initial_stop: Decimal,
    /// Trailing stop level.
    pub trailing_stop: Decimal,
    /// Exit decided (closing), with its reason.
    pub exit_reason: Option<ExitReason>,
}

/// One order in a [`Checkpoint`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointOrder {
    /// Engine order id.
    pub order_id: u64,
    /// Kite tag.
    pub tag: String,
    /// Broker's id once known.
    pub broker_order_id: Option<String>,
    /// Index.
    pub segment: Segment,
    /// Contract.
    pub tradingsymbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Entry, add or exit.
    pub purpose: OrderPurpose,
    /// Units asked.
    pub quantity: u32,
    /// Units filled.
    pub filled_quantity: u32,
    /// Average fill, ₹.
    pub average_price: Option<Decimal>,
    /// Last status.
    pub status: OrderStatus,
}

impl Engine {
    /// A snapshot of the engine's state for the checkpoint file (spec §11).
    pub fn checkpoint(&self) -> Checkpoint {
        let orders = self
            .orders
            .iter()
            .map(|o| CheckpointOrder {
                order_id: o.state.request().id.0,
                tag: o.state.request().tag.clone(),
                broker_order_id: o.state.broker_order_id().map(String::from),
                segment: o.state.request().contract.segment,
                tradingsymbol: o.state.request().contract.tradingsymbol.clone(),
                side: o.state.request().side,
                purpose: o.state.request().purpose,
                quantity: o.state.request().quantity,
                filled_quantity: o.state.filled_quantity(),
                average_price: o.state.average_price(),
                status: o.state.status(),
            })
            .collect();
        let agents = self
            .agents
            .iter()
            .map(|a| CheckpointAgent {
                segment: a.segment,
                state: a.state,
                trades_today: a.trades_today,
                closed_trades: a.closed_trades,
                realized_pnl: a.realized_pnl,
                consecutive_losses: a.consecutive_losses,
                positions: a
                    .positions()
                    .map(|p| CheckpointPosition {
                        tradingsymbol: p.contract.tradingsymbol.clone(),
                        instrument_token: p.contract.instrument_token,
                        direction: p.direction,
                        signal: p.signal,
                        entry_time: p.entry_time,
                        entry_spot: p.entry_spot,
                        held: p.open_quantity(),
                        average_entry: p.average_entry(),
                        initial_stop: p.stops.initial_stop(),
                        trailing_stop: p.stops.trailing_stop(),
                        exit_reason: p.exit.map(|e| e.reason),
                    })
                    .collect(),
            })
            .collect();
        Checkpoint {
            mode: self.mode.code().to_string(),
            date: self.date,
            as_of: self.clock.now(),
            halted: self.halted,
            paused: self.paused,
            next_order_id: self.orders.next_order_id(),
            agents,
            orders,
            trades: self.trades.len(),
            version: self.version,
        }
    }
}
