//! The leg order of a hedged short under random fills and rejections.

#![allow(clippy::unwrap_used)]
use super::*;
use crate::agent::Leg;
use domain::{OptionContract, OptionType, OrderId, PremiumSource, Segment, Signal};
use proptest::prelude::*;
use rust_decimal_macros::dec;
use strategy::SignalOrigin;
use strategy::exits::UnderlyingStops;

fn contract(strike: Decimal) -> OptionContract {
    OptionContract {
        segment: Segment::Nifty,
        tradingsymbol: format!("NIFTY22NOV{strike}PE"),
        instrument_token: None,
        exchange: domain::Exchange::NFO,
        strike,
        option_type: OptionType::PE,
        expiry: chrono::NaiveDate::from_ymd_opt(2022, 11, 24).unwrap(),
        lot_size: 50,
        tick_size: dec!(0.05),
    }
}

fn spread() -> Position {
    let tick = Tick {
        token: 256265,
        ts: domain::time::ist(
            chrono::NaiveDate::from_ymd_opt(2022, 11, 18).unwrap(),
            domain::time::hms(10, 0, 0),
        ),
        price: dec!(18300),
        volume: None,
    };
    let stops = StopTracker::new(
        Direction::Long,
        tick.price,
        UnderlyingStops {
            sl_points: dec!(50),
            trailing_stop_points: dec!(50),
        },
    );
    let leg = |strike, side| {
        Position::opened(
            Direction::Long,
            Signal::BuyCe,
            SignalOrigin::Fresh,
            contract(strike),
            side,
            &tick,
            1,
            stops,
        )
    };
    let mut p = leg(dec!(18300), Side::Sell);
    p.hedge = Some(Box::new(leg(dec!(18200), Side::Buy)));
    p
}

/// What happens to a working order: it fills (all or part) and completes, or it fails.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Fill,
    Partial(u32),
    Reject,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Fill),
        1 => (0u32..50).prop_map(Outcome::Partial),
        1 => Just(Outcome::Reject),
    ]
}

fn send(p: &mut Position, hedge: bool, side: Side, q: u32, next: &mut u64) {
    *next += 1;
    let target = if hedge {
        p.hedge.as_deref_mut().unwrap()
    } else {
        p
    };
    target.legs.push(Leg {
        order: OrderId(*next),
        side,
        requested: q,
        filled: 0,
        average: dec!(100),
        done: false,
        failed: false,
    });
}

fn settle(p: &mut Position, o: Outcome) {
    let mut legs = p
        .legs
        .iter_mut()
        .chain(p.hedge.as_deref_mut().unwrap().legs.iter_mut());
    if let Some(l) = legs.find(|l| !l.done) {
        match o {
            Outcome::Fill => l.filled = l.requested,
            Outcome::Partial(q) => {
                l.filled = q.min(l.requested);
                l.failed = true;
            }
            Outcome::Reject => l.failed = true,
        }
        l.done = true;
    }
}

proptest! {
    /// At every step of random fills, partial fills, rejections, entry blocks and exit
    /// decisions, the short never holds (or asks) more than the hedge holds, and the spread
    /// ends flat with the hedge sold last.
    #[test]
    fn the_short_never_exceeds_its_hedge(
        outcomes in proptest::collection::vec(outcome(), 1..24),
        blocked_at in proptest::option::of(0usize..24),
        exit_at in proptest::option::of(0usize..24),
    ) {
        let mut p = spread();
        let mut next = 0u64;
        send(&mut p, true, Side::Buy, 100, &mut next);
        let mut dropped = false;
        for (k, o) in outcomes.iter().enumerate() {
            settle(&mut p, *o);
            if exit_at == Some(k) && p.exit.is_none() {
                p.exit = Some(crate::agent::PendingExit {
                    reason: ExitReason::Eod,
                    tick: Tick { token: 1, ts: p.entry_time, price: dec!(18300), volume: None },
                });
                let q = p.unexited();
                if q > 0 { send(&mut p, false, Side::Buy, q, &mut next); }
            }
            // Drive the legs as the engine does, until nothing is due.
            for _ in 0..6 {
                match next_step(&p, blocked_at.is_some_and(|b| k >= b)) {
                    SpreadStep::Wait => break,
                    SpreadStep::Drop => { dropped = true; break; }
                    SpreadStep::SellShort(q) => send(&mut p, false, Side::Sell, q, &mut next),
                    SpreadStep::SellHedge(q) => send(&mut p, true, Side::Sell, q, &mut next),
                    SpreadStep::Abandon => {
                        p.exit = Some(crate::agent::PendingExit {
                            reason: ExitReason::LegFailed,
                            tick: Tick { token: 1, ts: p.entry_time, price: dec!(18300), volume: None },
                        });
                        let q = p.unexited();
                        if q > 0 { send(&mut p, false, Side::Buy, q, &mut next); }
                    }
                }
            }
            // An exit that failed is sent again (the engine's exit retry).
            if p.exit.is_some() && !p.exit_in_flight() && !p.entry_in_flight() && p.unexited() > 0 {
                let q = p.unexited();
                send(&mut p, false, Side::Buy, q, &mut next);
            }
            let h = p.hedge.as_deref().unwrap();
            // Units the short holds or asks to sell never exceed what the hedge holds.
            let short_asked: u32 = p.legs.iter().filter(|l| l.side == Side::Sell)
                .map(|l| if l.done { l.filled } else { l.requested }).sum();
            let short_exposure = short_asked.saturating_sub(p.exited());
            prop_assert!(short_exposure <= h.open_quantity(),
                "short {short_exposure} > hedge {} after {k}: {p:?}", h.open_quantity());
            // The hedge is sold only while the short is flat.
            if h.exit_in_flight() {
                prop_assert_eq!(p.open_quantity(), 0);
                prop_assert!(!p.exit_in_flight() && !p.entry_in_flight());
            }
            if dropped { break; }
        }
    }
}

#[test]
fn the_phases_follow_the_legs() {
    let mut p = spread();
    let mut next = 0;
    assert_eq!(p.spread_phase(), Some(SpreadPhase::HedgeEntering));
    send(&mut p, true, Side::Buy, 50, &mut next);
    assert_eq!(next_step(&p, false), SpreadStep::Wait);
    settle(&mut p, Outcome::Fill);
    assert_eq!(next_step(&p, false), SpreadStep::SellShort(50));
    // Entries stopped between the legs: no short; the hedge is closed.
    assert_eq!(next_step(&p, true), SpreadStep::Abandon);
    send(&mut p, false, Side::Sell, 50, &mut next);
    assert_eq!(p.spread_phase(), Some(SpreadPhase::ShortEntering));
    settle(&mut p, Outcome::Fill);
    assert_eq!(p.spread_phase(), Some(SpreadPhase::Open));
    p.exit = Some(crate::agent::PendingExit {
        reason: ExitReason::Target,
        tick: Tick {
            token: 1,
            ts: p.entry_time,
            price: dec!(18300),
            volume: None,
        },
    });
    send(&mut p, false, Side::Buy, 50, &mut next);
    assert_eq!(p.spread_phase(), Some(SpreadPhase::ShortExiting));
    assert_eq!(next_step(&p, false), SpreadStep::Wait);
    settle(&mut p, Outcome::Fill);
    assert_eq!(next_step(&p, false), SpreadStep::SellHedge(50));
    send(&mut p, true, Side::Sell, 50, &mut next);
    assert_eq!(p.spread_phase(), Some(SpreadPhase::HedgeExiting));
    assert!(!spread_flat(&p));
    settle(&mut p, Outcome::Fill);
    assert!(spread_flat(&p));
    assert_eq!(p.spread_phase(), Some(SpreadPhase::Closed));
}

#[test]
fn a_rejected_hedge_sends_no_short() {
    let mut p = spread();
    let mut next = 0;
    send(&mut p, true, Side::Buy, 50, &mut next);
    settle(&mut p, Outcome::Reject);
    assert_eq!(next_step(&p, false), SpreadStep::Drop);
    let mut p = spread();
    send(&mut p, true, Side::Buy, 50, &mut next);
    settle(&mut p, Outcome::Partial(20));
    assert_eq!(next_step(&p, false), SpreadStep::Abandon);
}

#[test]
fn a_rejected_short_closes_the_hedge() {
    let mut p = spread();
    let mut next = 0;
    send(&mut p, true, Side::Buy, 50, &mut next);
    settle(&mut p, Outcome::Fill);
    send(&mut p, false, Side::Sell, 50, &mut next);
    settle(&mut p, Outcome::Reject);
    assert_eq!(next_step(&p, false), SpreadStep::Abandon);
    p.exit = Some(crate::agent::PendingExit {
        reason: ExitReason::LegFailed,
        tick: Tick {
            token: 1,
            ts: p.entry_time,
            price: dec!(18300),
            volume: None,
        },
    });
    assert_eq!(next_step(&p, false), SpreadStep::SellHedge(50));
}

/// Live, before a leg's own ticks arrive, its mark is the model's: a leg filled at market
/// prices is valued at its last market mark (else its fill) instead, so the spread's value is
/// never a model premium set against a credit of real fills (a false stop on the first tick).
#[test]
fn a_leg_filled_at_market_is_never_valued_at_a_model_premium() {
    let mut p = spread();
    let mut next = 0;
    send(&mut p, false, Side::Sell, 50, &mut next);
    settle(&mut p, Outcome::Fill);
    // Filled at ₹100 (market): a model premium of ₹144.85 is not used.
    assert_eq!(p.usable_mark(dec!(144.85), PremiumSource::Model), dec!(100));
    p.last_mark = Some(dec!(97.5));
    assert_eq!(
        p.usable_mark(dec!(144.85), PremiumSource::Model),
        dec!(97.5)
    );
    assert_eq!(p.usable_mark(dec!(96), PremiumSource::Market), dec!(96));
    // A leg filled at model prices (no market) follows the model.
    p.all_market = false;
    assert_eq!(
        p.usable_mark(dec!(144.85), PremiumSource::Model),
        dec!(144.85)
    );
}
