//! A closed position becomes one trade row (spec §11): prices rounded to the paisa, P&L net
//! of the charges of its fills, excursions, and the premium source.

use crate::agent::{Position, SegmentAgent};
use crate::engine::{Engine, EngineError};
use chrono::NaiveDate;
use domain::{Decimal, PremiumSource, Segment, Trade};

/// The trade row of a closed position `p` of `segment`: the agent's `number`-th trade today.
/// `None` when no exit was decided (nothing to report).
#[allow(clippy::too_many_arguments)]
pub fn trade_row(
    p: &Position,
    segment: Segment,
    date: NaiveDate,
    mode: &str,
    number: u32,
    timeframe: String,
    rsi_period: u32,
) -> Option<Trade> {
    let exit = p.exit?;
    let qty = p.entered();
    let lots = qty / p.contract.lot_size.max(1);
    let entry = p.average_entry().round_dp(2);
    let exit_px = p.average_exit().round_dp(2);
    let pnl_points = p.gain_per_unit(entry, exit_px);
    let pnl_value = (pnl_points * Decimal::from(qty)).round_dp(2);
    let charges = p.charges.round_dp(2);
    let cost = entry * Decimal::from(qty);
    let return_pct = if cost > Decimal::ZERO {
        (pnl_value * Decimal::from(100) / cost).round_dp(2)
    } else {
        Decimal::ZERO
    };
    let stops = p.stops;
    Some(Trade {
        trade_id: format!("{}-{}-{}", segment.code(), date, number),
        mode: mode.to_string(),
        segment,
        index_symbol: segment.index_symbol().to_string(),
        index_entry_spot: p.entry_spot,
        time_interval: timeframe,
        rsi_period,
        signal_type: p.signal,
        option_symbol: p.contract.tradingsymbol.clone(),
        option_type: p.contract.option_type,
        strike_price: p.contract.strike,
        expiry: p.contract.expiry,
        lots,
        quantity: qty,
        entry_time: p.entry_time,
        entry_price: entry,
        stop_loss_points: (p.entry_spot - stops.initial_stop()).abs(),
        initial_sl_price: stops.initial_stop(),
        // The distance this position trailed with (a signal's own stop, e.g. 1.5 × ATR,
        // replaces the configured one).
        trailing_stop_points: stops.distances().trailing_stop_points,
        exit_time: exit.tick.ts,
        index_exit_spot: exit.tick.price,
        exit_price: exit_px,
        exit_reason: exit.reason,
        pnl_points,
        pnl_value,
        charges,
        net_pnl: pnl_value - charges,
        return_pct,
        max_favorable_excursion: p.mfe.round_dp(2),
        max_adverse_excursion: p.mae.round_dp(2),
        premium_source: if p.all_market {
            PremiumSource::Market
        } else {
            PremiumSource::Model
        },
    })
}

impl SegmentAgent {
    /// The closing position entered at tick `seq` is flat: it leaves `closing` and, when its
    /// exit was decided, becomes the agent's next trade of `date` (booked: P&L, losses in a
    /// row, spec §7).
    pub fn close_trade(&mut self, seq: u64, date: NaiveDate, mode: &str) -> Option<Trade> {
        let k = self.closing.iter().position(|p| p.entry_seq == seq)?;
        let p = self.closing.remove(k);
        p.exit?;
        self.closed_trades += 1;
        let trade = trade_row(
            &p,
            self.segment,
            date,
            mode,
            self.closed_trades,
            self.strategy.timeframe().to_string(),
            self.strategy.rsi_period(),
        )?;
        self.book_trade(trade.net_pnl, trade.exit_time);
        Some(trade)
    }
}

impl Engine {
    /// Journal and keep a completed trade; the entry locks it brings into force are announced.
    pub(crate) fn record_trade(&mut self, trade: Trade) -> Result<(), EngineError> {
        let at = trade.exit_time;
        self.journal.trade(&trade)?;
        self.trades.push(trade);
        self.announce_locks(at)
    }
}
