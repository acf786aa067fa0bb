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
    ///
    /// A hedged short gives two rows, the hedge's first (`…-N-H`) then the short's (`…-N-S`),
    /// both with the spread's exit; it counts as one trade, booked at its combined net P&L. A
    /// spread closed before its short was sold has the hedge's row only.
    pub fn close_trade(&mut self, seq: u64, date: NaiveDate, mode: &str) -> Vec<Trade> {
        let Some(k) = self.closing.iter().position(|p| p.entry_seq == seq) else {
            return Vec::new();
        };
        let mut p = self.closing.remove(k);
        let Some(exit) = p.exit else {
            return Vec::new();
        };
        self.closed_trades += 1;
        let (tf, rsi) = (
            self.strategy.timeframe().to_string(),
            self.strategy.rsi_period(),
        );
        let n = self.closed_trades;
        let mut rows = Vec::new();
        if let Some(mut h) = p.hedge.take() {
            h.exit = Some(exit);
            if let Some(mut t) = trade_row(&h, self.segment, date, mode, n, tf.clone(), rsi) {
                t.trade_id.push_str(domain::trade::HEDGE_ROW_SUFFIX);
                rows.push(t);
            }
        }
        let spread = !rows.is_empty();
        // A spread closed before its short was sold (LEG_FAILED) has only its hedge's row.
        let sold = !spread || p.entered() > 0;
        if let Some(mut t) = trade_row(&p, self.segment, date, mode, n, tf, rsi).filter(|_| sold) {
            if spread {
                t.trade_id.push_str(domain::trade::SHORT_ROW_SUFFIX);
            }
            rows.push(t);
        }
        if let Some(last) = rows.last() {
            let net = rows.iter().map(|t| t.net_pnl).sum();
            self.book_trade(net, last.exit_time);
        }
        rows
    }
}

impl Engine {
    /// Journal and keep completed trade rows (a hedged short has two); the entry locks they
    /// bring into force are announced.
    pub(crate) fn record_trade(&mut self, rows: Vec<Trade>) -> Result<(), EngineError> {
        let Some(at) = rows.last().map(|t| t.exit_time) else {
            return Ok(());
        };
        for trade in rows {
            self.journal.trade(&trade)?;
            self.trades.push(trade);
        }
        self.announce_locks(at)
    }
}
