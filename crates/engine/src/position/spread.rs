//! Seed 003's hedged short (spec §4.3, `instrument = "hedged_short"`): a credit spread of two
//! linked positions. The agent's position is the **short leg** (an option sold, `entry_side =
//! Sell`); [`Position::hedge`] is the **hedge** (the same type and expiry, `hedge_offset`
//! strikes further out of the money, bought).
//!
//! The order of the legs is the one rule here: the hedge is bought before the short is sold,
//! and sold after the short is bought back, on every path. [`next_step`] reads it off the
//! legs' order states (no phase is stored, so a restored checkpoint continues where it was):
//!
//! | phase ([`SpreadPhase`]) | what must happen before the next one |
//! |---|---|
//! | `HedgeEntering` | the hedge's buy completes → sell the short for what the hedge holds |
//! | `ShortEntering` | the short's sell completes |
//! | `Open` | an exit is decided (combined-premium stop/target, expiry-day time, EOD, …) |
//! | `ShortExiting` | the short is bought back in full |
//! | `HedgeExiting` | the hedge is sold → `Closed`, two trade rows |
//!
//! Error paths: a hedge that fails with nothing bought drops the entry; a hedge that fails
//! part-filled, a short that fails, or entries stopped between the legs (kill switch,
//! operator stop, halt, unreconciled book) exit the spread with reason `LEG_FAILED` — the short
//! (whatever of it filled) first, then the hedge. The short is never sold for more than the
//! hedge holds, and the hedge is never sold while the short is open or being bought back.
//! Docs: `docs/decisions/0003-hedged-short.md`.

use crate::agent::{AgentState, Position, SegmentAgent};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::settings::SegmentSettings;
use domain::order::OrderPurpose;
use domain::ports::MarginLeg;
use domain::time::IstDateTime;
use domain::{Decimal, Direction, ExitReason, Side, Tick};
use risk::{IntentKind, OrderIntent};
use serde_json::json;
use strategy::exits::StopTracker;
use strategy::option_selection::select_spread;

/// Where a spread stands (derived from its legs; see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SpreadPhase {
    /// The hedge's buy works (or is done and the short not yet sent).
    HedgeEntering,
    /// The short's sell works.
    ShortEntering,
    /// Both legs held, no exit decided.
    Open,
    /// Exit decided: the short is being bought back.
    ShortExiting,
    /// The short is flat: the hedge is being sold.
    HedgeExiting,
    /// Both legs flat.
    Closed,
}

/// The order a spread needs next ([`next_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpreadStep {
    /// Nothing to send now (an order works, or the spread is open).
    Wait,
    /// Sell the short leg: this many units (what the hedge holds).
    SellShort(u32),
    /// A leg failed or entries stopped between the legs: decide the exit (`LEG_FAILED`).
    Abandon,
    /// The short is flat: sell this many units of the hedge.
    SellHedge(u32),
    /// The hedge ended with nothing bought and no short was sent: the entry never was.
    Drop,
}

fn entry_failed(p: &Position) -> bool {
    p.legs.iter().any(|l| l.side == p.entry_side && l.failed)
}

fn entry_sent(p: &Position) -> bool {
    p.legs.iter().any(|l| l.side == p.entry_side)
}

/// Both legs are flat with nothing working (a closing spread is then a trade).
pub fn spread_flat(p: &Position) -> bool {
    let flat = |q: &Position| {
        !q.entry_in_flight()
            && !q.exit_in_flight()
            && !q.protective_working()
            && q.exited() >= q.entered()
    };
    flat(p) && p.hedge.as_deref().is_none_or(flat)
}

impl Position {
    /// The phase of a hedged short (`None` for any other position).
    pub fn spread_phase(&self) -> Option<SpreadPhase> {
        let h = self.hedge.as_deref()?;
        Some(if self.exit.is_none() {
            if !entry_sent(self) {
                SpreadPhase::HedgeEntering
            } else if self.entry_in_flight() {
                SpreadPhase::ShortEntering
            } else {
                SpreadPhase::Open
            }
        } else if self.open_quantity() > 0 || self.entry_in_flight() || self.exit_in_flight() {
            SpreadPhase::ShortExiting
        } else if h.is_live() || h.exit_in_flight() {
            SpreadPhase::HedgeExiting
        } else {
            SpreadPhase::Closed
        })
    }
}

/// The next order of spread `p` (its short leg, holding the hedge), given whether new entries
/// are `blocked` now. Pure: the proptest in this module drives it with random fills and
/// rejections and checks that the short never exceeds the hedge.
pub fn next_step(p: &Position, blocked: bool) -> SpreadStep {
    let Some(h) = p.hedge.as_deref() else {
        return SpreadStep::Wait;
    };
    if p.exit.is_none() {
        if h.entry_in_flight() {
            return SpreadStep::Wait;
        }
        if !entry_sent(p) {
            if h.entered() == 0 {
                return SpreadStep::Drop;
            }
            if entry_failed(h) || blocked {
                return SpreadStep::Abandon;
            }
            return SpreadStep::SellShort(h.entered());
        }
        if p.entry_in_flight() {
            return SpreadStep::Wait;
        }
        return if entry_failed(p) {
            SpreadStep::Abandon
        } else {
            SpreadStep::Wait
        };
    }
    // Closing: the short first, entirely; only then the hedge.
    if p.entry_in_flight() || p.open_quantity() > 0 || p.exit_in_flight() {
        return SpreadStep::Wait;
    }
    if h.entry_in_flight() || h.exit_in_flight() {
        return SpreadStep::Wait;
    }
    match h.unexited() {
        0 => SpreadStep::Wait,
        q => SpreadStep::SellHedge(q),
    }
}

/// The spread's value now and at entry, ₹ per unit: `(credit, value)` where credit = short
/// average entry − hedge average entry and value = short mark − hedge mark. `None` until
/// both legs are filled with nothing working, or without marks.
pub fn spread_value(
    p: &Position,
    short_mark: Decimal,
    hedge_mark: Decimal,
) -> Option<(Decimal, Decimal)> {
    let h = p.hedge.as_deref()?;
    if p.entered() == 0 || h.entered() == 0 || p.entry_in_flight() || h.entry_in_flight() {
        return None;
    }
    Some((
        p.average_entry() - h.average_entry(),
        short_mark - hedge_mark,
    ))
}

impl SegmentAgent {
    /// What the end of order `id` of spread `seq` means (spec §4.3; called by
    /// [`SegmentAgent::on_order_terminal`] for a spread's orders). The next leg is sent by
    /// [`Engine::advance_spreads`], not here.
    pub(crate) fn on_spread_terminal(
        &mut self,
        id: domain::OrderId,
        status: domain::order::OrderStatus,
        purpose: OrderPurpose,
    ) -> crate::agent::TerminalStep {
        use crate::agent::TerminalStep;
        use domain::order::OrderStatus;
        let Some(p) = self.position_with_order_mut(id) else {
            return TerminalStep::Nothing;
        };
        let (seq, closing) = (p.entry_seq, p.exit.is_some());
        let of_hedge = p.hedge.as_ref().is_some_and(|h| h.has_order(id));
        if closing {
            // A short entry that filled after the exit was decided is bought back.
            if !of_hedge && !p.entry_in_flight() && p.unexited() > 0 && !p.exit_in_flight() {
                p.exit_retry = true;
            }
            if spread_flat(p) {
                let nothing = p.entered() == 0 && p.hedge.as_ref().is_none_or(|h| h.entered() == 0);
                if nothing {
                    self.closing.retain(|q| q.entry_seq != seq);
                    return TerminalStep::NothingBought;
                }
                return TerminalStep::Flat(seq);
            }
            if purpose == OrderPurpose::Exit && status != OrderStatus::Complete {
                let owner = p.leg_owner_mut(id).map(|o| {
                    o.exit_failures += 1;
                    o.exit_failures
                });
                if !of_hedge {
                    p.exit_retry = true;
                }
                // The hedge's exit is sent again by `advance_spreads` (it is due while the
                // short is flat and no hedge sell works).
                return TerminalStep::ExitRetry {
                    failures: owner.unwrap_or(1),
                };
            }
            return TerminalStep::Nothing;
        }
        if status == OrderStatus::Complete || purpose != OrderPurpose::Entry {
            return TerminalStep::Nothing;
        }
        let h_empty = p
            .hedge
            .as_ref()
            .is_none_or(|h| h.entered() == 0 && !h.entry_in_flight());
        let back_to_waiting = h_empty && p.entered() == 0 && !p.entry_in_flight();
        if back_to_waiting {
            self.position = None;
            self.state = AgentState::WaitingForSignal;
        }
        // Otherwise `advance_spreads` abandons the spread (reason LEG_FAILED).
        TerminalStep::BuyFailed { back_to_waiting }
    }

    /// Step (d) for a spread's hedge: its premium mark and excursions follow the tick.
    pub(crate) fn track_hedge(&mut self, tick: &Tick, marks: &mut dyn domain::ports::PremiumMarks) {
        let Some(h) = self.position.as_mut().and_then(|p| p.hedge.as_deref_mut()) else {
            return;
        };
        if h.open_quantity() == 0 {
            return;
        }
        if let Some((mark, source)) = marks.mark(&h.contract, tick.price, tick.ts) {
            let mark = h.usable_mark(mark, source);
            let d = h.gain_per_unit(h.average_entry(), mark);
            h.mfe = h.mfe.max(d);
            h.mae = h.mae.min(d);
            h.last_mark = Some(mark);
        }
    }
}

impl Engine {
    /// Why a short leg may not be sold now (the session's entry blocks), if it may not.
    fn short_leg_blocked(&self) -> Option<String> {
        if self.halted {
            return Some("session halted".into());
        }
        if self.paused {
            return Some("kill switch on".into());
        }
        if let Some(why) = self.operator_stop.as_ref().or(self.shutting_down.as_ref()) {
            return Some(why.clone());
        }
        if self.broker_unhealthy {
            return Some("broker session invalid".into());
        }
        self.unreconciled.clone()
    }

    /// Open a hedged short for agent `i` on signal `p` at `tick` (spec §4.3): the legs'
    /// contracts, the size (`initial_lots` lots of the short), the risk decision (the risk per
    /// unit is the strikes' width, the spread's most loss), the margin of both legs when a
    /// calculator is set ([`Engine::set_margins`]), then the hedge's buy. The short follows
    /// in [`Engine::advance_spreads`] once the hedge filled.
    pub(crate) async fn try_enter_spread(
        &mut self,
        i: usize,
        params: &SegmentSettings,
        p: &crate::agent::PendingSignal,
        direction: Direction,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let seg = params.segment;
        let offset = self.settings.hedging.hedge_offset;
        let (short, hedge) = match select_spread(
            self.contracts.as_ref(),
            seg,
            direction,
            tick.price,
            self.date,
            &params.selection,
            offset,
        ) {
            Ok(legs) => legs,
            Err(e) => {
                let detail = e.to_string();
                return self.skip_entry(seg, p, tick, "contract", "option_selection", detail);
            }
        };
        let quantity = params.initial_lots.max(1) * short.lot_size;
        let width = (short.strike - hedge.strike).abs();
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Entry,
            time: tick.ts,
            quantity,
            lot_size: short.lot_size,
            risk_per_unit: Some(width),
            strategy: Some(p.strategy.clone()).filter(|s| !s.is_empty()),
        };
        let quantity = match self.admit(seg, &intent, tick, true).await? {
            crate::risk_glue::Admission::Quantity(q) => q,
            crate::risk_glue::Admission::Refused { rule, reason } => {
                return self.skip_entry(seg, p, tick, "risk", rule.code(), reason);
            }
        };
        if let Some(m) = self.margins.clone()
            && let Some(detail) =
                margin_shortfall(m, self.settings.product, &short, &hedge, quantity).await
        {
            return self.skip_entry(seg, p, tick, "margin", "margin", detail);
        }
        let tracker = StopTracker::new(direction, tick.price, params.stops);
        let seq = self.tick_seq;
        let leg = |contract: &domain::OptionContract, side| {
            Position::opened(
                direction,
                p.signal,
                p.origin,
                contract.clone(),
                side,
                tick,
                seq,
                tracker,
            )
        };
        let mut spread = leg(&short, Side::Sell);
        spread.hedge = Some(Box::new(leg(&hedge, Side::Buy)));
        self.agents[i].open_position(spread, &p.strategy);
        self.subscribe_contract(&short);
        self.subscribe_contract(&hedge);
        let signal = p.signal;
        self.emit(
            tick.ts,
            Some(seg),
            EngineEvent::Entry,
            format!(
                "{signal} spread: buy hedge {} then sell {} qty {quantity} at index {}",
                hedge.tradingsymbol, short.tradingsymbol, tick.price
            ),
            json!({"signal": signal.code(), "tradingsymbol": short.tradingsymbol, "quantity": quantity,
                   "index": tick.price, "strike": short.strike, "expiry": short.expiry,
                   "strategy": p.strategy, "side": "SELL",
                   "spread": {"short": short.tradingsymbol, "hedge": hedge.tradingsymbol,
                              "hedge_strike": hedge.strike, "width": width}}),
        )?;
        self.send_split(
            i,
            seq,
            &hedge,
            Side::Buy,
            quantity,
            OrderPurpose::Entry,
            tick.ts,
        )
        .await?;
        self.advance_spreads(i, tick.ts).await
    }

    /// Journal a spread's next leg (`spread_leg`: `leg` is `SHORT` or `HEDGE`, `why` the step
    /// that allowed it) and send its SELL of `q` units for spread `seq`.
    #[allow(clippy::too_many_arguments)]
    async fn sell_leg(
        &mut self,
        i: usize,
        seq: u64,
        (leg, contract): (&str, &domain::OptionContract),
        q: u32,
        purpose: OrderPurpose,
        why: &str,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        let sym = &contract.tradingsymbol;
        let what = if leg == "HEDGE" { "sell hedge" } else { "sell" };
        self.emit(
            ts,
            Some(self.agents[i].segment),
            EngineEvent::SpreadLeg,
            format!("{why}: {what} {sym} qty {q}"),
            json!({"leg": leg, "side": "SELL", "tradingsymbol": sym, "quantity": q}),
        )?;
        self.send_split(i, seq, contract, Side::Sell, q, purpose, ts)
            .await
    }

    /// Send what agent `i`'s spreads need next ([`next_step`]): the short once its hedge
    /// filled, the hedge's exit once the short is flat, an exit (`LEG_FAILED`) when a leg
    /// failed or entries stopped between the legs. Called after every step of a tick that
    /// can change a leg, and while settling at the session end.
    pub(crate) async fn advance_spreads(
        &mut self,
        i: usize,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        // Each round sends at most one order group; fills in replay are immediate, so the
        // next round sees them. Bounded: a spread has at most four steps. A hedge sell that
        // failed is sent again at the next call (the next tick), not in a loop here, as an
        // exit retry is.
        // The tick path calls this for every agent holding a position: one holding no spread
        // (every agent outside `hedged_short`) costs one scan of its positions, nothing more.
        if !self.agents[i].positions().any(|p| p.hedge.is_some()) {
            return Ok(());
        }
        let mut hedge_sold = false;
        for _ in 0..8 {
            let blocked = self.short_leg_blocked();
            let agent = &self.agents[i];
            let seg = agent.segment;
            let Some((seq, step, short, hedge)) = agent.positions().find_map(|p| {
                let step = next_step(p, blocked.is_some());
                let h = p.hedge.as_deref()?;
                (step != SpreadStep::Wait)
                    .then(|| (p.entry_seq, step, p.contract.clone(), h.contract.clone()))
            }) else {
                return Ok(());
            };
            match step {
                SpreadStep::Wait => return Ok(()),
                SpreadStep::SellShort(q) => {
                    let why = format!("hedge {} filled", hedge.tradingsymbol);
                    self.sell_leg(i, seq, ("SHORT", &short), q, OrderPurpose::Entry, &why, ts)
                        .await?;
                }
                SpreadStep::SellHedge(_) if hedge_sold => return Ok(()),
                SpreadStep::SellHedge(q) => {
                    hedge_sold = true;
                    let why = format!("short {} closed", short.tradingsymbol);
                    self.sell_leg(i, seq, ("HEDGE", &hedge), q, OrderPurpose::Exit, &why, ts)
                        .await?;
                }
                SpreadStep::Drop => {
                    let agent = &mut self.agents[i];
                    if agent.position.as_ref().is_some_and(|p| p.entry_seq == seq) {
                        agent.position = None;
                        agent.state = AgentState::WaitingForSignal;
                    }
                    self.emit(
                        ts,
                        Some(seg),
                        EngineEvent::EntryFailed,
                        format!(
                            "hedge {} bought nothing: no short sold, no trade",
                            hedge.tradingsymbol
                        ),
                        json!({"tradingsymbol": hedge.tradingsymbol}),
                    )?;
                }
                SpreadStep::Abandon => {
                    let agent = &mut self.agents[i];
                    let Some(tick) = agent.last_tick else {
                        return Ok(());
                    };
                    let why = blocked.unwrap_or_else(|| "a leg failed".into());
                    let Some(exit) = agent.begin_exit(ExitReason::LegFailed, tick) else {
                        return Ok(());
                    };
                    self.emit(
                        ts,
                        Some(seg),
                        EngineEvent::EntryFailed,
                        format!("spread {} / {}: {why}; closing what filled, short first", short.tradingsymbol, hedge.tradingsymbol),
                        json!({"short": short.tradingsymbol, "hedge": hedge.tradingsymbol, "reason": why}),
                    )?;
                    self.send_exit(i, seg, exit, ExitReason::LegFailed, tick)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

/// The margin the two legs would block exceeds the funds available: why (`None` when it
/// does not). A calculator that cannot answer also skips the entry: a short is never sold on
/// an unchecked margin.
async fn margin_shortfall(
    m: std::sync::Arc<dyn domain::ports::MarginCalculator>,
    product: domain::Product,
    short: &domain::OptionContract,
    hedge: &domain::OptionContract,
    quantity: u32,
) -> Option<String> {
    let leg = |c: &domain::OptionContract, side| MarginLeg {
        contract: c.clone(),
        side,
        quantity,
        product,
        price: None,
    };
    match m
        .basket_margin(&[leg(hedge, Side::Buy), leg(short, Side::Sell)])
        .await
    {
        Ok(b) if b.sufficient() == Some(false) => Some(format!(
            "margin ₹{} exceeds the ₹{} available",
            b.final_total,
            b.available.unwrap_or_default()
        )),
        Ok(_) => None,
        Err(e) => Some(format!("margin not checked: {e}")),
    }
}

#[cfg(test)]
mod tests;
