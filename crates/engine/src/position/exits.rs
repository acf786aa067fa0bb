//! Every exit of spec §4.4 in one [`ExitPolicy`], in its priority order: manual close, stop
//! loss, trailing stop, target, strategy EXIT (and an opposite signal), max holding time, EOD
//! square-off. The agent asks the policy and decides the exit
//! ([`SegmentAgent::begin_exit`]); the engine then sends its orders (`Engine::send_exit`)
//! first and journals after, so a failing journal never holds an exit back.

use crate::agent::{AgentState, PendingExit, Position, SegmentAgent};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::settings::{ExitSettings, HedgeSettings, StopBasis};
use chrono::{NaiveTime, TimeDelta};
use domain::OptionContract;
use domain::order::OrderPurpose;
use domain::ports::PremiumMarks;
use domain::time::IstDateTime;
use domain::{Decimal, Direction, ExitReason, Segment, Side, Signal, Tick};
use risk::{Decision, IntentKind, OrderIntent};
use rust_decimal_macros::dec;
use serde_json::json;

/// What a signal means for an agent's position (spec §4.4 strategy EXIT, §3.1 rule 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalAction {
    /// Flat: enter this way.
    Enter(Direction),
    /// Close the position (reason `SIGNAL`).
    Exit,
    /// Close the position (reason `SIGNAL`), then enter the other way.
    ExitAndEnter(Direction),
    /// Not acted on, with the journal's reason.
    Ignore(&'static str),
    /// Nothing to do (HOLD).
    Nothing,
}

/// The exits of spec §4.4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExitPolicy {
    exits: ExitSettings,
    square_off: NaiveTime,
    hedging: HedgeSettings,
}

impl ExitPolicy {
    /// The policy of these settings, squaring off at `square_off` (IST), with the default
    /// hedged-short exits.
    pub fn new(exits: ExitSettings, square_off: NaiveTime) -> Self {
        Self {
            exits,
            square_off,
            hedging: HedgeSettings::default(),
        }
    }

    /// The same policy with a hedged short's exits from `hedging` ([`Self::on_spread_tick`]).
    pub fn with_hedging(mut self, hedging: HedgeSettings) -> Self {
        self.hedging = hedging;
        self
    }

    /// The exit due for hedged short `p` at index tick `tick` (spec §4.3, §4.4), in priority
    /// order: manual; then, from the tick after the entry, the stop and the target on the
    /// spread's combined premium (`value` = `(credit, value now)`, ₹ per unit, see
    /// [`crate::position::spread::spread_value`]), max holding time, the expiry-day exit
    /// (`expiry_day_exit_time` on the legs' expiry date, reason `EXPIRY_DAY`), EOD.
    /// Index-point stops do not apply to a spread.
    pub fn on_spread_tick(
        &self,
        p: &Position,
        tick: &Tick,
        tick_seq: u64,
        manual: bool,
        value: Option<(Decimal, Decimal)>,
    ) -> Option<ExitReason> {
        if manual {
            return Some(ExitReason::Manual);
        }
        if p.entry_seq >= tick_seq {
            return None;
        }
        let h = &self.hedging;
        let by_value = value.and_then(|(credit, now)| {
            let stop = h
                .spread_stop_pct
                .is_some_and(|pct| now >= credit + credit * pct / dec!(100));
            let target = h
                .spread_target_pct
                .is_some_and(|pct| now <= credit - credit * pct / dec!(100));
            if stop {
                Some(ExitReason::StopLoss)
            } else if target {
                Some(ExitReason::Target)
            } else {
                None
            }
        });
        let max_hold = || {
            self.exits
                .max_holding_minutes
                .filter(|m| tick.ts - p.entry_time >= TimeDelta::minutes(i64::from(*m)))
                .map(|_| ExitReason::MaxHold)
        };
        let expiry_day = || {
            h.expiry_day_exit_time
                .filter(|t| tick.ts.date_naive() == p.contract.expiry && tick.ts.time() >= *t)
                .map(|_| ExitReason::ExpiryDay)
        };
        by_value
            .or_else(max_hold)
            .or_else(expiry_day)
            .or_else(|| (tick.ts.time() >= self.square_off).then_some(ExitReason::Eod))
    }

    /// Whether [`Self::on_tick`] needs the premium mark of a filled position.
    pub fn needs_mark(&self) -> bool {
        self.exits.stop_basis == StopBasis::Option || self.exits.profit_target_pct.is_some()
    }

    /// The exit due for live position `p` at index tick `tick` (number `tick_seq`), in priority
    /// order: manual; then, from the tick after the entry, stop loss / trailing stop, target,
    /// max holding time, EOD. `mark` is the premium now (₹ per unit), when known.
    pub fn on_tick(
        &self,
        p: &Position,
        tick: &Tick,
        tick_seq: u64,
        manual: bool,
        mark: Option<Decimal>,
    ) -> Option<ExitReason> {
        if manual {
            return Some(ExitReason::Manual);
        }
        if p.entry_seq >= tick_seq {
            return None;
        }
        let ex = &self.exits;
        let entry_premium = p.average_entry();
        let stop = match ex.stop_basis {
            StopBasis::Underlying => p.stops.check(tick.price),
            // Premium stop (seed 002), on the position's side: a long exits when the price
            // fell stop % below the entry, a short when it rose stop % above it.
            StopBasis::Option => mark
                .filter(|m| {
                    p.gain_per_unit(entry_premium, *m)
                        <= -(entry_premium * ex.stop_loss_pct / dec!(100))
                })
                .map(|_| ExitReason::StopLoss),
        };
        let target = || {
            let index_hit = ex.target_index_points.is_some_and(|t| match p.direction {
                Direction::Long => tick.price >= p.entry_spot + t,
                Direction::Short => tick.price <= p.entry_spot - t,
            });
            let premium_hit = ex.profit_target_pct.is_some_and(|pct| {
                mark.is_some_and(|m| {
                    p.gain_per_unit(entry_premium, m) >= entry_premium * pct / dec!(100)
                })
            });
            (index_hit || premium_hit).then_some(ExitReason::Target)
        };
        let max_hold = || {
            ex.max_holding_minutes
                .filter(|m| tick.ts - p.entry_time >= TimeDelta::minutes(i64::from(*m)))
                .map(|_| ExitReason::MaxHold)
        };
        stop.or_else(target)
            .or_else(max_hold)
            .or_else(|| (tick.ts.time() >= self.square_off).then_some(ExitReason::Eod))
    }

    /// What `signal` means for a position held in `held` (direction, exit already decided).
    pub fn on_signal(&self, signal: Signal, held: Option<(Direction, bool)>) -> SignalAction {
        let Some(direction) = signal.direction() else {
            return match (signal, held) {
                (Signal::Exit, Some((_, false))) => SignalAction::Exit,
                (Signal::Exit, _) => SignalAction::Ignore("flat"),
                _ => SignalAction::Nothing,
            };
        };
        match held {
            None => SignalAction::Enter(direction),
            Some((d, false)) if d != direction && self.exits.exit_on_opposite_signal => {
                SignalAction::ExitAndEnter(direction)
            }
            Some(_) => SignalAction::Ignore("in_position"),
        }
    }
}

/// Orders a position needs sent: what an exit decision (or an exit retry) asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitOrders {
    /// Tick number of the position's entry (it names the position).
    pub entry_seq: u64,
    /// Units to close (0: nothing held yet).
    pub quantity: u32,
    /// The contract.
    pub contract: OptionContract,
    /// The exit orders' side: `Sell` for a long (every option), `Buy` to cover a short.
    pub side: Side,
    /// An entry or add order of the position still works (it is covered when it fills).
    pub awaiting_entry_fill: bool,
}

impl SegmentAgent {
    /// Decide the exit of the open position at `tick` for `reason`: the trade's exit time,
    /// index price and reason are fixed, the strategy learns of it (re-entry, spec §3.1 rule
    /// 10), the agent is flat for signals and the position waits in `closing`. `None` when
    /// flat. The returned orders cover what is held and not already being sold.
    pub fn begin_exit(&mut self, reason: ExitReason, tick: Tick) -> Option<ExitOrders> {
        let mut p = self.position.take()?;
        let orders = ExitOrders {
            entry_seq: p.entry_seq,
            quantity: p.unexited(),
            contract: p.contract.clone(),
            side: p.exit_side(),
            awaiting_entry_fill: p.entry_in_flight(),
        };
        p.exit = Some(PendingExit { reason, tick });
        p.exit_retry = false;
        self.position_closed(p.direction, reason);
        self.state = AgentState::WaitingForSignal;
        self.closing.push(p);
        Some(orders)
    }

    /// Closing positions whose exit must be sent again (failed or partly filled, no sell
    /// working): their retry flags are cleared (spec §10.2: keep retrying).
    pub fn due_exit_retries(&mut self) -> Vec<ExitOrders> {
        self.closing
            .iter_mut()
            // A protective order still working at the broker is waited for (spec §10.3).
            .filter(|p| p.exit_retry && !p.exit_in_flight() && !p.protective_working())
            .map(|p| {
                p.exit_retry = false;
                ExitOrders {
                    entry_seq: p.entry_seq,
                    quantity: p.unexited(),
                    contract: p.contract.clone(),
                    side: p.exit_side(),
                    awaiting_entry_fill: p.entry_in_flight(),
                }
            })
            .collect()
    }

    /// Step (a) of a tick: the exit [`ExitPolicy`] finds
    /// for the open position at `tick` (number `tick_seq`), if it is live. A pending manual
    /// close is consumed. The premium mark is asked of `marks` only when the policy needs it.
    pub fn due_exit(
        &mut self,
        policy: &ExitPolicy,
        tick: &Tick,
        tick_seq: u64,
        marks: &mut dyn PremiumMarks,
    ) -> Option<ExitReason> {
        let manual = std::mem::take(&mut self.close_requested);
        let p = self.position.as_ref()?;
        // Index-level exits do not wait for the entry's fill: a live fill that arrives a few
        // ticks late must not move the trade (replay/live parity, spec §10.4).
        if !p.is_live() {
            return None;
        }
        if let Some(h) = p.hedge.as_deref() {
            // A hedged short exits on its combined premium (position/spread.rs).
            let value = if manual || p.entry_seq >= tick_seq {
                None
            } else {
                // Each leg at a usable mark: a model premium never values units filled at
                // market prices (the credit is the fills'), see `Position::usable_mark`.
                let short = marks
                    .mark(&p.contract, tick.price, tick.ts)
                    .map(|(m, s)| p.usable_mark(m, s));
                let hedge = marks
                    .mark(&h.contract, tick.price, tick.ts)
                    .map(|(m, s)| h.usable_mark(m, s));
                short
                    .zip(hedge)
                    .and_then(|(s, hm)| crate::position::spread::spread_value(p, s, hm))
            };
            return policy.on_spread_tick(p, tick, tick_seq, manual, value);
        }
        let mark = if p.entered() > 0 && !manual && p.entry_seq < tick_seq && policy.needs_mark() {
            marks.mark(&p.contract, tick.price, tick.ts).map(|m| m.0)
        } else {
            None
        };
        policy.on_tick(p, tick, tick_seq, manual, mark)
    }
}

impl Engine {
    /// Step (a) of a tick: the exit the policy finds for agent `i`'s position, if any, is
    /// decided by the agent and its orders sent.
    pub(crate) async fn check_exits(&mut self, i: usize, tick: &Tick) -> Result<(), EngineError> {
        let agent = &mut self.agents[i];
        let (seg, tick_seq) = (agent.segment, self.tick_seq);
        let exit = agent
            .due_exit(&self.exit_policy, tick, tick_seq, self.marks.as_mut())
            .and_then(|reason| Some((reason, agent.begin_exit(reason, *tick)?)));
        match exit {
            Some((reason, exit)) => self.send_exit(i, seg, exit, reason, *tick).await,
            None => Ok(()),
        }
    }

    /// Send the orders of an exit agent `i` (of `seg`) has just decided
    /// ([`SegmentAgent::begin_exit`]: the trade's exit time, index price and reason are
    /// fixed; exits are never blocked). The position waits in `closing` until its orders
    /// finish (an entry still working is covered when it fills). The exit orders go out
    /// first; the `exit` event is journaled after them.
    ///
    /// [`SegmentAgent::begin_exit`]: crate::agent::SegmentAgent::begin_exit
    pub(crate) async fn send_exit(
        &mut self,
        i: usize,
        seg: Segment,
        exit: ExitOrders,
        reason: ExitReason,
        tick: Tick,
    ) -> Result<(), EngineError> {
        // Protective stop at the broker (spec §10.3): cancelled first; the exit sells only
        // what it did not sell, once it has ended (else the exit retry sends it).
        let qty = match self.release_protection(i, exit.entry_seq, tick.ts).await? {
            Some(q) => q,
            None => exit.quantity,
        };
        let (contract, waiting) = (&exit.contract, exit.awaiting_entry_fill);
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Exit,
            time: tick.ts,
            quantity: qty.max(contract.lot_size),
            lot_size: contract.lot_size,
            risk_per_unit: None,
            strategy: None,
        };
        debug_assert_eq!(
            self.risk.evaluate(&intent, &self.risk_state()),
            Decision::Approve
        );
        let sent = if qty == 0 {
            Ok(())
        } else {
            self.send_split(
                i,
                exit.entry_seq,
                contract,
                exit.side,
                qty,
                OrderPurpose::Exit,
                tick.ts,
            )
            .await
        };
        let when = if waiting {
            " (the working entry is covered when it fills)"
        } else {
            ""
        };
        let journaled = self.emit(
            tick.ts,
            Some(seg),
            EngineEvent::Exit,
            format!("{reason} exit {} qty {qty} {} {}{when}", contract.tradingsymbol, Self::at_price(contract), tick.price),
            json!({"reason": reason.code(), "tradingsymbol": contract.tradingsymbol, "quantity": qty,
                   "index": tick.price, "awaiting_entry_fill": waiting}),
        );
        if let Err(EngineError::Journal(e)) = &journaled {
            self.journal_failed(tick.ts, seg, e);
        }
        sent
    }

    /// Send again the exits of agent `i` that failed or filled partly (spec §10.2: keep
    /// retrying).
    pub(crate) async fn retry_exits(
        &mut self,
        i: usize,
        ts: IstDateTime,
    ) -> Result<(), EngineError> {
        // Protective stop (spec §10.3): a cancel that failed is asked again first.
        self.retry_protection_cancels(i, ts).await?;
        for exit in self.agents[i].due_exit_retries() {
            // Spec §10.2: an exit failing for a reason that will not change is reconciled.
            if self.settle_failed_exit(i, exit.entry_seq).await? {
                continue;
            }
            if exit.quantity > 0 {
                self.send_split(
                    i,
                    exit.entry_seq,
                    &exit.contract,
                    exit.side,
                    exit.quantity,
                    OrderPurpose::Exit,
                    ts,
                )
                .await?;
            }
        }
        // A hedged short's next leg (position/spread.rs).
        self.advance_spreads(i, ts).await
    }

    /// Close agent `i`'s live position, reason `reason`: at `now` when that is its own
    /// segment's index tick, else at the agent's last index tick (no tick yet: nothing to do).
    pub(crate) async fn close_live(
        &mut self,
        i: usize,
        now: Option<&Tick>,
        reason: ExitReason,
    ) -> Result<(), EngineError> {
        let now_seg = now.and_then(|t| self.segment_of(t.token));
        let agent = &mut self.agents[i];
        let seg = agent.segment;
        let at = match now {
            Some(t) if now_seg == Some(seg) => Some(*t),
            _ => agent.last_tick,
        };
        let exit = match at {
            Some(t) if agent.has_live_position() => agent.begin_exit(reason, t).map(|e| (e, t)),
            _ => None,
        };
        match exit {
            Some((exit, t)) => self.send_exit(i, seg, exit, reason, t).await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(opposite: bool) -> ExitPolicy {
        ExitPolicy::new(
            ExitSettings {
                stop_basis: StopBasis::Underlying,
                stop_loss_pct: dec!(30),
                target_index_points: None,
                profit_target_pct: None,
                max_holding_minutes: None,
                exit_on_opposite_signal: opposite,
            },
            NaiveTime::from_hms_opt(15, 15, 0).unwrap(),
        )
    }

    #[test]
    fn signals_map_to_actions() {
        let p = policy(true);
        assert_eq!(
            p.on_signal(Signal::Exit, None),
            SignalAction::Ignore("flat")
        );
        assert_eq!(
            p.on_signal(Signal::Exit, Some((Direction::Long, false))),
            SignalAction::Exit
        );
        assert_eq!(p.on_signal(Signal::Hold, None), SignalAction::Nothing);
        assert_eq!(
            p.on_signal(Signal::BuyCe, None),
            SignalAction::Enter(Direction::Long)
        );
        assert_eq!(
            p.on_signal(Signal::BuyPe, Some((Direction::Long, false))),
            SignalAction::ExitAndEnter(Direction::Short)
        );
        assert_eq!(
            policy(false).on_signal(Signal::BuyPe, Some((Direction::Long, false))),
            SignalAction::Ignore("in_position")
        );
    }

    #[test]
    fn a_spread_exits_on_its_value_then_on_its_expiry_day() {
        use crate::settings::HedgeSettings;
        use domain::time::{hms, ist};
        let expiry = chrono::NaiveDate::from_ymd_opt(2022, 11, 24).unwrap();
        let contract = OptionContract {
            segment: Segment::Nifty,
            tradingsymbol: "NIFTY22NOV18300PE".into(),
            instrument_token: None,
            exchange: domain::Exchange::NFO,
            strike: dec!(18300),
            option_type: domain::OptionType::PE,
            expiry,
            lot_size: 50,
            tick_size: dec!(0.05),
        };
        let at = |h, m| Tick {
            token: 256265,
            ts: ist(expiry, hms(h, m, 0)),
            price: dec!(18300),
            volume: None,
        };
        let stops = strategy::exits::StopTracker::new(
            Direction::Long,
            dec!(18300),
            strategy::exits::UnderlyingStops {
                sl_points: dec!(50),
                trailing_stop_points: dec!(50),
            },
        );
        let p = Position::opened(
            Direction::Long,
            Signal::BuyCe,
            strategy::SignalOrigin::Fresh,
            contract,
            Side::Sell,
            &at(10, 0),
            1,
            stops,
        );
        let policy = policy(false).with_hedging(HedgeSettings {
            hedge_offset: 2,
            spread_stop_pct: Some(dec!(50)),
            spread_target_pct: Some(dec!(40)),
            expiry_day_exit_time: Some(hms(14, 30, 0)),
        });
        let on = |t: Tick, v| policy.on_spread_tick(&p, &t, 2, false, Some((dec!(40), v)));
        // Credit ₹40: stop at a value ≥ ₹60, target at ≤ ₹24.
        assert_eq!(on(at(11, 0), dec!(59.95)), None);
        assert_eq!(on(at(11, 0), dec!(60)), Some(ExitReason::StopLoss));
        assert_eq!(on(at(11, 0), dec!(24)), Some(ExitReason::Target));
        // The legs' expiry day: out at 14:30, before the 15:15 square-off.
        assert_eq!(on(at(14, 29), dec!(40)), None);
        assert_eq!(on(at(14, 30), dec!(40)), Some(ExitReason::ExpiryDay));
        // Not on the entry tick; manual always.
        assert_eq!(policy.on_spread_tick(&p, &at(14, 40), 1, false, None), None);
        assert_eq!(
            policy.on_spread_tick(&p, &at(10, 0), 1, true, None),
            Some(ExitReason::Manual)
        );
        // Another day at 14:30 is no expiry day.
        let mut other = at(14, 30);
        other.ts = ist(expiry.pred_opt().unwrap(), hms(14, 30, 0));
        assert_eq!(on(other, dec!(40)), None);
    }
}
