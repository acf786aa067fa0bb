//! [`Engine::snapshot`]: the [`Snapshot`] of the engine's state an operator sees (spec §12;
//! seed 004 §6.2), and the intraday equity curve it carries.

use super::{DayTotals, EquityPoint, PositionView, PyramidView, SegmentCard, Snapshot};
use crate::agent::{AgentState, Position, SegmentAgent};
use crate::engine::Engine;
use domain::Decimal;
use domain::ports::Clock;
use domain::time::IstDateTime;
use journal::SegmentSummary;
use strategy::SignalOrigin;

impl Engine {
    /// The state now: per-segment cards, orders, trades, totals and the equity curve. A pure
    /// read (cheap enough to take after every step that moved [`Engine::version`]).
    pub fn snapshot(&self) -> Snapshot {
        let segments: Vec<SegmentCard> = self.agents.iter().map(|a| self.card(a)).collect();
        let all = SegmentSummary::from_trades(&self.trades);
        let open_pnl: Decimal = self.agents.iter().map(open_net).sum();
        let mut orders: Vec<_> = self.orders.iter().collect();
        orders.sort_by_key(|o| o.state.request().id);
        Snapshot {
            date: self.date,
            mode: self.mode.code().to_string(),
            version: self.version,
            now: self.last_tick_at.map(|_| self.clock.now()),
            entries_allowed: !self.paused
                && !self.halted
                && self.operator_stop.is_none()
                && self.shutting_down.is_none()
                && self.unreconciled.is_none()
                && !self.broker_unhealthy,
            paused: self.paused,
            entries_stopped: self.operator_stop.is_some() || self.shutting_down.is_some(),
            halted: self.halted.then(|| {
                self.events
                    .iter()
                    .rev()
                    .find(|e| e.message.starts_with("HALT"))
                    .map_or_else(|| "halted".to_string(), |e| e.message.clone())
            }),
            unreconciled: self.unreconciled.clone(),
            segments,
            totals: DayTotals {
                trades: all.trades,
                win_rate_pct: all.win_rate_pct,
                gross_pnl: all.gross_pnl,
                charges: all.charges,
                net_pnl: all.net_pnl,
                open_pnl,
            },
            orders: orders.into_iter().map(|o| self.order_view(o)).collect(),
            trades: self.trades.clone(),
            equity: self.equity.clone(),
        }
    }

    fn card(&self, a: &SegmentAgent) -> SegmentCard {
        let stats =
            SegmentSummary::from_trades(self.trades.iter().filter(|t| t.segment == a.segment));
        let pyramid = match &a.params.pyramid {
            Some(p) => PyramidView {
                enabled: true,
                pyramid_points: p.step_rupees_per_unit,
                lot_addition: p.lots_per_add,
                max_quantity: p.max_quantity,
            },
            None => PyramidView {
                enabled: false,
                pyramid_points: Decimal::ZERO,
                lot_addition: 0,
                max_quantity: 0,
            },
        };
        SegmentCard {
            segment: a.segment,
            state: match a.state {
                AgentState::Idle => "IDLE",
                AgentState::WaitingForSignal => "WAITING_FOR_SIGNAL",
                AgentState::InPosition => "IN_POSITION",
            }
            .to_string(),
            index_ltp: a.last_tick.map(|t| t.price),
            watches: match (a.segment.symbol(), a.params.instrument) {
                (Some(_), _) => "SHARE",
                (None, crate::settings::Instrument::Underlying) => "FUTURE",
                (None, _) => "INDEX",
            },
            position: a
                .position
                .as_ref()
                .map(|p| (p, false))
                .or_else(|| a.closing.last().map(|p| (p, true)))
                .map(|(p, closing)| position_view(p, closing)),
            trades: stats.trades,
            win_rate_pct: stats.win_rate_pct,
            net_pnl: stats.net_pnl,
            pyramid,
        }
    }

    /// Record the equity at `ts` (realized net + open P&L net of the charges paid so far):
    /// one point per minute, the minute's last value.
    pub(crate) fn track_equity(&mut self, ts: IstDateTime) {
        // Only agents that traded or hold something add to the sums (a large universe).
        let realized: Decimal = self
            .agents
            .iter()
            .filter(|a| !a.realized_pnl.is_zero())
            .map(|a| a.realized_pnl)
            .sum();
        let open: Decimal = self
            .agents
            .iter()
            .filter(|a| a.holds_any())
            .map(open_net)
            .sum();
        let equity = realized + open;
        // The minute by UTC arithmetic with the same offset: IST is UTC+05:30 (whole minutes,
        // no transitions since 1945), so this is the local minute, without the time-zone
        // lookups of `with_second` (issue 13 profile).
        let utc = ts.naive_utc();
        let minute = utc
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .map_or(ts, |m| {
                chrono::DateTime::from_naive_utc_and_offset(m, *ts.offset())
            });
        match self.equity.last_mut() {
            Some(last) if last.ts == minute => last.equity = equity,
            Some(last) if last.equity == equity => {}
            _ => self.equity.push(EquityPoint { ts: minute, equity }),
        }
    }
}

use chrono::Timelike;

/// Open P&L of an agent's positions at their marks, net of the charges of their fills, ₹.
fn open_net(a: &SegmentAgent) -> Decimal {
    a.positions()
        .map(|p| {
            if p.held_any() {
                p.open_pnl() - p.all_charges()
            } else {
                Decimal::ZERO
            }
        })
        .sum()
}

fn position_view(p: &Position, closing: bool) -> PositionView {
    let quantity = p.open_quantity();
    let lot = p.contract.lot_size.max(1);
    let bought = p.entered();
    PositionView {
        segment: p.contract.segment,
        option_symbol: p.contract.tradingsymbol.clone(),
        strike: p.contract.strike,
        expiry: p.contract.expiry,
        option_type: p.contract.option_type.to_string(),
        direction: p.signal.code().to_string(),
        side: p.entry_side.code().to_string(),
        quantity,
        lots: quantity / lot,
        entry_time: p.entry_time,
        entry_spot: p.entry_spot,
        entry_price: (bought > 0).then(|| p.average_entry()),
        sl: Some(p.stops.initial_stop()),
        tsl: Some(p.stops.trailing_stop()),
        ltp: p.last_mark,
        open_pnl: (p.held_any() && (p.last_mark.is_some() || p.hedge.is_some()))
            .then(|| p.open_pnl() - p.all_charges()),
        hedge: p.hedge.as_ref().map(|h| h.contract.tradingsymbol.clone()),
        closing: closing || p.exit.is_some(),
        origin: if p.origin == SignalOrigin::Manual {
            "MANUAL"
        } else {
            "STRATEGY"
        }
        .to_string(),
    }
}
