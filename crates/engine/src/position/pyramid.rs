//! Step (d) of a tick for a held position: the trailing stop and the excursions move with
//! the tick, then pyramiding (spec §6: add lots when open profit ≥ held units × the step in
//! ₹ per unit).

use crate::agent::SegmentAgent;
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::risk_glue::Admission;
use crate::settings::StopBasis;
use domain::order::OrderPurpose;
use domain::{Decimal, Side, Tick};
use risk::{IntentKind, OrderIntent};
use serde_json::json;
use strategy::pyramid::pyramid_add;

/// A pyramid add the open position has earned (spec §6), before the risk decision.
#[derive(Debug, Clone, PartialEq)]
pub struct PyramidPlan {
    /// Units to add.
    pub add: u32,
    /// Units held now.
    pub held: u32,
    /// Open profit at the last mark, ₹.
    pub profit: Decimal,
    /// Profit needed for the add: held × step, ₹.
    pub threshold: Decimal,
    /// The position's contract.
    pub contract: domain::OptionContract,
    /// The position's direction.
    pub direction: domain::Direction,
    /// The position's entry side (an add goes the same way).
    pub entry_side: Side,
    /// The agent's stop distances (for the risk per unit).
    pub stops: strategy::exits::UnderlyingStops,
    /// A refusal is journaled (once per position, not on every tick).
    pub log_refusal: bool,
}

impl SegmentAgent {
    /// The pyramid add due now (spec §6: `lots_per_add` lots when open profit ≥ held ×
    /// `step_rupees_per_unit`), if pyramiding is on and the open position is settled (filled,
    /// no order working, no exit decided, marked; never a hedged short).
    pub fn pyramid_plan(&self) -> Option<PyramidPlan> {
        let settings = self.params.pyramid?;
        let p = self.position.as_ref()?;
        // A hedged short never adds: an add would sell more than its hedge covers.
        if p.hedge.is_some()
            || p.exit.is_some()
            || p.entry_in_flight()
            || p.exit_in_flight()
            || p.last_mark.is_none()
        {
            return None;
        }
        let (held, lot) = (p.open_quantity(), p.contract.lot_size);
        let profit = p.open_pnl();
        let add = pyramid_add(held, lot, profit, &settings.params())?;
        Some(PyramidPlan {
            add,
            held,
            profit,
            threshold: Decimal::from(held) * settings.step_rupees_per_unit,
            contract: p.contract.clone(),
            direction: p.direction,
            entry_side: p.entry_side,
            stops: self.params.stops,
            log_refusal: !p.add_block_logged,
        })
    }

    /// The risk engine refused or allowed the add: a refusal is remembered (journaled once
    /// per position); an allowed add is counted. The effective stop and the position's entry
    /// tick number when the add goes ahead; `None` when the position is gone.
    pub fn settle_add(&mut self, allowed: bool) -> Option<(Decimal, u64)> {
        let p = self.position.as_mut()?;
        if !allowed {
            p.add_block_logged = true;
            return None;
        }
        p.adds += 1;
        Some((p.stops.effective_stop(), p.entry_seq))
    }
}

impl Engine {
    /// Trail the stop, track excursions, then consider a pyramid add.
    pub(crate) async fn track_position(
        &mut self,
        i: usize,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let agent = &mut self.agents[i];
        let seg = agent.segment;
        let moved = agent.track(tick, self.marks.as_mut());
        agent.track_hedge(tick, self.marks.as_mut());
        let eff = agent.position.as_ref().map(|p| p.stops.effective_stop());
        let plan = agent.pyramid_plan();
        if let (Some(level), Some(eff)) = (moved, eff)
            && self.settings.exits.stop_basis == StopBasis::Underlying
        {
            self.emit(
                tick.ts,
                Some(seg),
                EngineEvent::StopUpdate,
                format!("TSL → {level} (effective stop {eff})"),
                json!({"tsl": level, "effective": eff, "index": tick.price}),
            )?;
        }
        if let Some(plan) = plan {
            self.pyramid(i, seg, plan, tick).await?;
        }
        // Protective stop at the broker (spec §10.3): placed once the entry filled, resized
        // after an add filled (position/protective.rs).
        self.protect_position(i, tick).await
    }

    /// Spec §6: the risk decision on a pyramid add, then its orders.
    async fn pyramid(
        &mut self,
        i: usize,
        seg: domain::Segment,
        plan: PyramidPlan,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let PyramidPlan {
            held,
            profit,
            threshold,
            contract,
            ..
        } = &plan;
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Add,
            time: tick.ts,
            quantity: plan.add,
            lot_size: contract.lot_size,
            risk_per_unit: self.risk_per_unit(contract, plan.direction, &plan.stops, tick),
            strategy: None,
        };
        let admitted = self.admit(seg, &intent, tick, plan.log_refusal).await?;
        let add = match admitted {
            Admission::Quantity(q) => Some(q),
            Admission::Refused { .. } => None,
        };
        let Some((eff, seq)) = self.agents[i].settle_add(add.is_some()) else {
            return Ok(());
        };
        let Some(add) = add else {
            return Ok(());
        };
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
            contract,
            plan.entry_side,
            add,
            OrderPurpose::PyramidAdd,
            tick.ts,
        )
        .await
    }
}
