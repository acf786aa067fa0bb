//! The protective stop at the broker (spec §10.3): while a position is held, an SL sell order
//! on its option rests at the broker, so that the position is closed even while the engine is
//! down or lagging. On when [`ProtectiveStopSettings::enabled`] (live sessions, from
//! `[kite.protective_stop]`); the logic is mode-agnostic and replay never enables it.
//!
//! - **Placed** at step (d) of the position's index tick once the entry has filled (nothing
//!   buying, no exit decided): `SELL` of the units held, `OrderKind::StopLimit` at the
//!   trigger of [`protective_trigger`] and the limit of [`stop_limit_prices`], split at the
//!   segment's freeze quantity, purpose `OrderPurpose::Protect` (`PROTECT` in orders.csv).
//!   It is an ordinary engine order: created by the `OrderManager` (tag from the same
//!   sequence), journaled and checkpointed like the others.
//! - **Resized** after a pyramid add filled: one resting order that can take the new
//!   quantity is modified (Kite `PUT /orders/regular/{id}`, kite-connect.md §3.3); otherwise
//!   (split orders, a refused modification) another protective order covers the added units
//!   at the same trigger and limit.
//! - **Cancelled first** when the engine decides its own exit (stop, TSL, target, signal,
//!   EOD, manual, risk): the exit is sent only once every protective order has ended, for the
//!   units they did not sell. A cancel that fails because the order already filled (or fills
//!   while the cancel travels) leaves nothing to sell: never a second sell. The trade keeps
//!   the engine's exit reason then.
//! - **Filled at the broker** (the engine was down or lagging, or the broker's stop simply
//!   came first): the position closes with reason `BROKER_SL` (`ExitReason::BrokerStop`)
//!   at the agent's last index price, timed at the broker's report; units it did not sell
//!   are sold by the engine at the next tick.
//! - **Refused or cancelled by someone else** with nothing sold: a critical event; the
//!   position keeps the engine's own stops and no further protective order is placed.
//!
//! A resting protective order covers nothing in the leg accounting (`Position::unexited`,
//! `Position::exit_in_flight`); what it sold counts as sold.
//!
//! This file: the type, its prices and the agent's side; placing and resizing in `place.rs`,
//! cancelling and the broker's fill in `release.rs`.

mod place;
mod release;

use crate::agent::{Position, SegmentAgent};
use crate::settings::{ProtectiveStopSettings, StopBasis};
use domain::{Decimal, ExitReason, OrderId, Tick};
use rust_decimal::RoundingStrategy;
use rust_decimal_macros::dec;

/// Trigger this % below the average entry premium when no configured % and no usable mark
/// gives the premium equivalent of the engine's stop (spec §10.3).
pub const FALLBACK_PREMIUM_PCT: Decimal = dec!(30);

/// The protective stop of one position: its orders at the broker and their prices.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProtectiveOrder {
    /// The engine's SL sell orders, oldest first (more than one when split at the freeze
    /// quantity or when a pyramid add could not be covered by a modification).
    pub orders: Vec<OrderId>,
    /// Trigger price, ₹ per unit (a multiple of the contract tick).
    pub trigger: Decimal,
    /// Limit price once triggered, ₹ per unit (at least one tick below the trigger).
    pub limit: Decimal,
    /// A protective order was refused or cancelled outside the engine: none is placed again
    /// for this position (the engine's own stops still work).
    pub abandoned: bool,
}

/// Where a protective trigger comes from ([`protective_trigger`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerBasis {
    /// The configured % of the average entry premium.
    PremiumPct,
    /// The option-basis stop: entry × (1 − `stop_loss_pct`/100), the engine's own level.
    OptionStop,
    /// The premium mark with the index at the engine's stop level (a mark that follows the
    /// index, e.g. the Black-76 model).
    IndexStopMark,
    /// Marks that ignore the index (market LTPs): the mark now less the stop distance at
    /// |delta| ≈ 0.5, as the risk engine sizes it.
    IndexStopDelta,
    /// No mark: [`FALLBACK_PREMIUM_PCT`] of the average entry premium.
    FallbackPct,
}

impl TriggerBasis {
    /// Journal spelling, e.g. `index_stop_mark`.
    pub fn code(self) -> &'static str {
        match self {
            TriggerBasis::PremiumPct => "premium_pct",
            TriggerBasis::OptionStop => "option_stop",
            TriggerBasis::IndexStopMark => "index_stop_mark",
            TriggerBasis::IndexStopDelta => "index_stop_delta",
            TriggerBasis::FallbackPct => "fallback_pct",
        }
    }
}

/// What [`protective_trigger`] knows about the position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TriggerInputs {
    /// Average entry premium, ₹.
    pub entry_premium: Decimal,
    /// Premium mark now, ₹ (`None`: no mark).
    pub mark_now: Option<Decimal>,
    /// Premium mark with the index at the engine's stop level, ₹.
    pub mark_at_stop: Option<Decimal>,
    /// Index points between the index now and the engine's stop level.
    pub stop_gap_points: Decimal,
}

/// The raw (unrounded) trigger, ₹, and its basis (spec §10.3): the configured % of the
/// entry premium; else the engine's option-basis stop; else the premium equivalent of the
/// engine's index stop — the mark at the stop level when marks follow the index, the mark now
/// less half the stop gap (|delta| ≈ 0.5) when they do not — else [`FALLBACK_PREMIUM_PCT`].
pub fn protective_trigger(
    cfg: &ProtectiveStopSettings,
    stop_basis: StopBasis,
    stop_loss_pct: Decimal,
    x: &TriggerInputs,
) -> (Decimal, TriggerBasis) {
    let pct_below = |pct: Decimal| x.entry_premium * (Decimal::ONE - pct / dec!(100));
    if let Some(pct) = cfg.premium_pct {
        return (pct_below(pct), TriggerBasis::PremiumPct);
    }
    if stop_basis == StopBasis::Option {
        return (pct_below(stop_loss_pct), TriggerBasis::OptionStop);
    }
    match (x.mark_now, x.mark_at_stop) {
        (Some(now), Some(at)) if at < now => (at, TriggerBasis::IndexStopMark),
        (Some(now), _) => (
            now - x.stop_gap_points.abs() * dec!(0.5),
            TriggerBasis::IndexStopDelta,
        ),
        (None, _) => (pct_below(FALLBACK_PREMIUM_PCT), TriggerBasis::FallbackPct),
    }
}

/// `x` rounded to the nearest multiple of `tick` (₹; ties away from zero).
pub fn round_to_tick(x: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return x;
    }
    (x / tick).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * tick
}

/// `x` rounded down to a multiple of `tick` (₹).
pub fn floor_to_tick(x: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return x;
    }
    (x / tick).floor() * tick
}

/// The SL order's prices, ₹: the trigger rounded to the contract tick, the limit
/// `limit_offset_pct` % below it rounded down to the tick, at least one tick below the
/// trigger and at least one tick. `None` when the trigger would be below two ticks (nothing
/// sensible to protect).
pub fn stop_limit_prices(
    raw_trigger: Decimal,
    limit_offset_pct: Decimal,
    tick: Decimal,
) -> Option<(Decimal, Decimal)> {
    let tick = if tick > Decimal::ZERO {
        tick
    } else {
        dec!(0.05)
    };
    let trigger = round_to_tick(raw_trigger, tick);
    if trigger < tick * Decimal::TWO {
        return None;
    }
    let limit = floor_to_tick(
        trigger * (Decimal::ONE - limit_offset_pct / dec!(100)),
        tick,
    )
    .min(trigger - tick)
    .max(tick);
    Some((trigger, limit))
}

impl Position {
    /// Units the working protective orders still cover (asked minus sold).
    pub fn protective_covered(&self) -> u32 {
        self.legs
            .iter()
            .filter(|l| !l.done && self.is_protective(l.order))
            .map(|l| l.requested.saturating_sub(l.filled))
            .sum()
    }
}

impl SegmentAgent {
    /// The protective order `order` of the open position sold units at the broker: the exit
    /// is decided with reason `BROKER_SL` at `tick` (its orders, for units still held, go
    /// out at the next tick's exit retry). The units it sold; `None` when it is not the open
    /// position's.
    pub fn broker_stop_filled(&mut self, order: OrderId, tick: Tick) -> Option<u32> {
        let p = self.position.as_ref()?;
        if !p.is_protective(order) || p.exit.is_some() {
            return None;
        }
        let exit = self.begin_exit(ExitReason::BrokerStop, tick)?;
        let p = self.closing.last_mut()?;
        p.exit_retry = exit.quantity > 0 || p.protective_working();
        Some(p.exited())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Leg;

    fn cfg(pct: Option<Decimal>) -> ProtectiveStopSettings {
        ProtectiveStopSettings {
            enabled: true,
            premium_pct: pct,
            limit_offset_pct: dec!(2),
        }
    }

    fn inputs(now: Option<Decimal>, at: Option<Decimal>) -> TriggerInputs {
        TriggerInputs {
            entry_premium: dec!(100),
            mark_now: now,
            mark_at_stop: at,
            stop_gap_points: dec!(-40),
        }
    }

    #[test]
    fn trigger_bases_in_priority_order() {
        let u = StopBasis::Underlying;
        let x = inputs(Some(dec!(104)), Some(dec!(70)));
        assert_eq!(
            protective_trigger(&cfg(Some(dec!(25))), u, dec!(30), &x),
            (dec!(75), TriggerBasis::PremiumPct)
        );
        assert_eq!(
            protective_trigger(&cfg(None), StopBasis::Option, dec!(20), &x),
            (dec!(80), TriggerBasis::OptionStop)
        );
        assert_eq!(
            protective_trigger(&cfg(None), u, dec!(30), &x),
            (dec!(70), TriggerBasis::IndexStopMark)
        );
        // Market marks ignore the index: the mark now less half the 40-point gap.
        let flat = inputs(Some(dec!(104)), Some(dec!(104)));
        assert_eq!(
            protective_trigger(&cfg(None), u, dec!(30), &flat),
            (dec!(84), TriggerBasis::IndexStopDelta)
        );
        assert_eq!(
            protective_trigger(&cfg(None), u, dec!(30), &inputs(None, None)),
            (dec!(70), TriggerBasis::FallbackPct)
        );
    }

    fn position() -> Position {
        use domain::instrument::OptionType;
        use domain::segment::{Exchange, Segment};
        use domain::time::ist_hms;
        use domain::{Direction, OptionContract, Signal};
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let stops = strategy::exits::UnderlyingStops {
            sl_points: dec!(40),
            trailing_stop_points: dec!(40),
        };
        let contract = OptionContract {
            segment: Segment::Nifty,
            exchange: Exchange::NFO,
            expiry: chrono::NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
            strike: dec!(23000),
            option_type: OptionType::CE,
            lot_size: 25,
            tick_size: dec!(0.05),
            tradingsymbol: "NIFTY2460623000CE".into(),
            instrument_token: None,
        };
        let tick = domain::Tick {
            token: domain::Index::Nifty.token(),
            ts: ist_hms(d, 9, 21, 0),
            price: dec!(23000),
            volume: None,
        };
        Position::opened(
            Direction::Long,
            Signal::BuyCe,
            strategy::SignalOrigin::Fresh,
            contract,
            domain::Side::Buy,
            &tick,
            2,
            strategy::exits::StopTracker::new(Direction::Long, dec!(23000), stops),
        )
    }

    fn leg(order: u64, side: domain::Side, requested: u32, filled: u32, done: bool) -> Leg {
        Leg {
            order: OrderId(order),
            side,
            requested,
            filled,
            average: dec!(100),
            done,
            failed: false,
        }
    }

    /// A resting protective order covers nothing (the exit must still sell everything) and
    /// is no exit in flight; what it sold counts as sold.
    #[test]
    fn resting_protection_covers_nothing_and_its_fills_count_as_sold() {
        use domain::Side::{Buy, Sell};
        let mut p = position();
        p.legs.push(leg(1, Buy, 50, 50, true));
        p.legs.push(leg(2, Sell, 50, 0, false));
        // Without the protective registration the same leg would be an exit in flight.
        assert_eq!((p.unexited(), p.exit_in_flight()), (0, true));
        p.protective = Some(ProtectiveOrder {
            orders: vec![OrderId(2)],
            trigger: dec!(60),
            limit: dec!(58.8),
            abandoned: false,
        });
        assert_eq!(p.unexited(), 50);
        assert!(!p.exit_in_flight());
        assert!(p.protective_working());
        assert_eq!(p.protective_covered(), 50);
        // It triggers and sells 20: held and still to cover drop to 30.
        p.legs[1] = leg(2, Sell, 50, 20, false);
        assert_eq!((p.exited(), p.open_quantity(), p.unexited()), (20, 30, 30));
        assert_eq!(p.protective_covered(), 30);
        // Cancelled for the rest: nothing works, 30 still to sell.
        p.legs[1] = leg(2, Sell, 50, 20, true);
        assert!(!p.protective_working());
        assert_eq!((p.unexited(), p.protective_covered()), (30, 0));
    }

    #[test]
    fn prices_round_to_the_tick_and_keep_the_limit_below() {
        let t = dec!(0.05);
        assert_eq!(
            stop_limit_prices(dec!(70.123), dec!(2), t),
            Some((dec!(70.10), dec!(68.65)))
        );
        assert_eq!(
            stop_limit_prices(dec!(70.125), dec!(2), t),
            Some((dec!(70.15), dec!(68.70)))
        );
        // A zero offset still leaves one tick between trigger and limit.
        assert_eq!(
            stop_limit_prices(dec!(50), Decimal::ZERO, t),
            Some((dec!(50), dec!(49.95)))
        );
        // A huge offset keeps the limit at one tick.
        assert_eq!(
            stop_limit_prices(dec!(1), dec!(100), t),
            Some((dec!(1), dec!(0.05)))
        );
        assert_eq!(stop_limit_prices(dec!(0.07), dec!(2), t), None);
        assert_eq!(stop_limit_prices(dec!(-3), dec!(2), t), None);
    }

    proptest::proptest! {
        #[test]
        fn prices_are_ticks_and_ordered(raw in 0i64..1_000_000, off in 0i64..10_000) {
            let t = dec!(0.05);
            let raw = Decimal::new(raw, 2);
            let off = Decimal::new(off, 2);
            if let Some((trigger, limit)) = stop_limit_prices(raw, off, t) {
                proptest::prop_assert_eq!(trigger % t, Decimal::ZERO);
                proptest::prop_assert_eq!(limit % t, Decimal::ZERO);
                proptest::prop_assert!(limit >= t && limit < trigger);
                proptest::prop_assert!((trigger - raw).abs() <= t / Decimal::TWO);
                let wanted = trigger * (Decimal::ONE - off / dec!(100));
                proptest::prop_assert!(limit <= wanted.max(t));
            } else {
                proptest::prop_assert!(raw < dec!(0.125));
            }
        }
    }
}
