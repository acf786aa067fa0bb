//! A closed position becomes one trade row (spec §11): prices rounded to the paisa, P&L net
//! of the charges of its fills, excursions, and the premium source.

use crate::agent::Position;
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
    trailing_stop_points: Decimal,
) -> Option<Trade> {
    let exit = p.exit?;
    let qty = p.bought();
    let lots = qty / p.contract.lot_size.max(1);
    let entry = p.average_entry().round_dp(2);
    let exit_px = p.average_exit().round_dp(2);
    let pnl_points = exit_px - entry;
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
        trailing_stop_points,
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

impl Engine {
    /// The closing position entered at tick `seq` is flat: journal its trade.
    pub(crate) fn close_trade(&mut self, i: usize, seq: u64) -> Result<(), EngineError> {
        let a = &mut self.agents[i];
        let Some(k) = a.closing.iter().position(|p| p.entry_seq == seq) else {
            return Ok(());
        };
        let p = a.closing.remove(k);
        if p.exit.is_none() {
            return Ok(());
        }
        a.closed_trades += 1;
        let Some(trade) = trade_row(
            &p,
            a.segment,
            self.date,
            self.mode.code(),
            a.closed_trades,
            a.strategy.timeframe().to_string(),
            a.strategy.rsi_period(),
            a.params.stops.trailing_stop_points,
        ) else {
            return Ok(());
        };
        a.book_trade(trade.net_pnl, trade.exit_time);
        let at = trade.exit_time;
        self.journal.trade(&trade)?;
        self.trades.push(trade);
        self.announce_locks(at)
    }
}
