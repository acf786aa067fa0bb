//! Step (d) of a tick for a held position: the trailing stop and the excursions move with
//! the tick, then pyramiding (spec §6: add lots when open profit ≥ held units × the step in
//! ₹ per unit).

use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::risk_glue::Admission;
use crate::settings::StopBasis;
use domain::order::OrderPurpose;
use domain::{Decimal, Side, Tick};
use risk::{IntentKind, OrderIntent};
use serde_json::json;
use strategy::pyramid::pyramid_add;

impl Engine {
    /// Trail the stop, track excursions, then consider a pyramid add.
    pub(crate) async fn track_position(
        &mut self,
        i: usize,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let Some(p) = self.agents[i].position.as_mut() else {
            return Ok(());
        };
        if p.exit.is_some() {
            return Ok(());
        }
        let moved = p.stops.trail_with(tick.price);
        if p.open_quantity() > 0
            && let Some((mark, _)) = self.marks.mark(&p.contract, tick.price, tick.ts)
        {
            let d = mark - p.average_entry();
            p.mfe = p.mfe.max(d);
            p.mae = p.mae.min(d);
            p.last_mark = Some(mark);
        }
        if let Some(level) = moved
            && self.settings.exits.stop_basis == StopBasis::Underlying
        {
            let eff = p.stops.effective_stop();
            self.emit(
                tick.ts,
                Some(seg),
                EngineEvent::StopUpdate,
                format!("TSL → {level} (effective stop {eff})"),
                json!({"tsl": level, "effective": eff, "index": tick.price}),
            )?;
        }
        self.maybe_pyramid(i, tick).await
    }

    /// Spec §6: add `lots_per_add` lots when open profit ≥ held × `step_rupees_per_unit`.
    async fn maybe_pyramid(&mut self, i: usize, tick: &Tick) -> Result<(), EngineError> {
        let seg = self.agents[i].segment;
        let Some(settings) = self.agents[i].params.pyramid else {
            return Ok(());
        };
        let params = settings.params();
        let Some(p) = self.agents[i].position.as_ref() else {
            return Ok(());
        };
        if p.exit.is_some() || p.buy_in_flight() || p.sell_in_flight() || p.last_mark.is_none() {
            return Ok(());
        }
        let (held, lot) = (p.open_quantity(), p.contract.lot_size);
        let profit = p.open_pnl();
        let Some(add) = pyramid_add(held, lot, profit, &params) else {
            return Ok(());
        };
        let contract = p.contract.clone();
        let direction = p.direction;
        // A blocked add is journaled once per position, not on every tick.
        let log_refusal = !p.add_block_logged;
        let stops = self.agents[i].params.stops;
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Add,
            time: tick.ts,
            quantity: add,
            lot_size: lot,
            risk_per_unit: self.risk_per_unit(&contract, direction, &stops, tick),
        };
        let add = match self.admit(seg, &intent, tick, log_refusal).await? {
            Admission::Quantity(q) => q,
            Admission::Refused { .. } => {
                if let Some(p) = self.agents[i].position.as_mut() {
                    p.add_block_logged = true;
                }
                return Ok(());
            }
        };
        let Some(p) = self.agents[i].position.as_mut() else {
            return Ok(());
        };
        p.adds += 1;
        let eff = p.stops.effective_stop();
        let seq = p.entry_seq;
        let threshold = Decimal::from(held) * settings.step_rupees_per_unit;
        self.emit(
            tick.ts,
            Some(seg),
            EngineEvent::PyramidAdd,
            format!("pyramid add {add} units of {} (held {held}, open profit ₹{}, threshold ₹{threshold}); stop {eff} covers {} units",
                contract.tradingsymbol, profit.round_dp(2), held + add),
            json!({"add": add, "held": held, "open_profit": profit.round_dp(2),
                   "threshold": threshold, "new_quantity": held + add,
                   "stop": eff}),
        )?;
        self.send_split(
            i,
            seq,
            &contract,
            Side::Buy,
            add,
            OrderPurpose::PyramidAdd,
            tick.ts,
        )
        .await
    }
}
