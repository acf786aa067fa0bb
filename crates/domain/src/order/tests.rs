//! The order machine's table test, its edge cases and its invariants (proptest).

use super::machine::*;
use super::*;
use crate::instrument::OptionType;
use crate::segment::{Exchange, Segment};
use crate::time::ist_hms;
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn request(qty: u32) -> OrderRequest {
    let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    OrderRequest {
        id: OrderId(1),
        tag: OrderId(1).tag(d),
        contract: OptionContract {
            segment: Segment::Nifty,
            exchange: Exchange::NFO,
            expiry: NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
            strike: dec!(23000),
            option_type: OptionType::CE,
            lot_size: 25,
            tick_size: dec!(0.05),
            tradingsymbol: "NIFTY2460623000CE".into(),
            instrument_token: None,
        },
        side: Side::Buy,
        quantity: qty,
        kind: OrderKind::Market,
        product: Product::MIS,
        purpose: OrderPurpose::Entry,
        created: ist_hms(d, 9, 20, 0),
    }
}

fn ts() -> IstDateTime {
    ist_hms(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(), 9, 20, 1)
}

fn update(status: OrderStatus, filled: u32) -> OrderUpdate {
    OrderUpdate {
        id: OrderId(1),
        broker_order_id: Some("X1".into()),
        status,
        filled_quantity: filled,
        average_price: None,
        message: None,
        ts: ts(),
    }
}

fn fill(id: &str, qty: u32, price: Decimal) -> Fill {
    Fill {
        order_id: OrderId(1),
        fill_id: id.into(),
        ts: ts(),
        tradingsymbol: "NIFTY2460623000CE".into(),
        side: Side::Buy,
        quantity: qty,
        price,
        reference_price: price,
        premium_source: PremiumSource::Market,
    }
}

/// The module table, written out again by hand (rows PS TP OP PF PC PM CO CA RJ; columns
/// Placed r:PS r:TP r:OP r:PF r:PC r:PM r:CO r:CA r:RJ Fill CxlReq CxlRej ModReq ModRej).
const EXPECTED: &str = "
    PS: =  =  TP OP PF x  x  CO CA RJ =  x  x  x  x
    TP: =  x  =  OP PF PC PM CO CA RJ =  PC x  PM x
    OP: =  x  x  =  PF PC PM CO CA RJ =  PC x  PM x
    PF: =  x  x  x  =  PC PM CO CA x  =  PC x  PM x
    PC: =  x  =  =  =  =  x  CO CA x  =  =  <  x  x
    PM: =  x  TP OP PF x  =  CO CA x  =  x  x  =  <
    CO: =  x  x  x  x  x  x  x  x  x  =  x  x  x  x
    CA: =  x  x  x  x  x  x  x  x  x  =  x  x  x  x
    RJ: =  x  x  x  x  x  x  x  x  x  x  x  x  x  x
";

fn short(s: &str) -> OrderStatus {
    match s {
        "PS" => OrderStatus::PendingSubmit,
        "TP" => OrderStatus::TriggerPending,
        "OP" => OrderStatus::Open,
        "PF" => OrderStatus::PartiallyFilled,
        "PC" => OrderStatus::PendingCancel,
        "PM" => OrderStatus::PendingModify,
        "CO" => OrderStatus::Complete,
        "CA" => OrderStatus::Cancelled,
        "RJ" => OrderStatus::Rejected,
        other => panic!("bad status {other}"),
    }
}

#[test]
fn every_cell_matches_the_documented_table() {
    let rows: Vec<&str> = EXPECTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), OrderStatus::ALL.len());
    let mut checked = 0;
    for (row, from) in rows.iter().zip(OrderStatus::ALL) {
        let (name, cells) = row.split_once(':').unwrap();
        assert_eq!(short(name), from);
        let cells: Vec<&str> = cells.split_whitespace().collect();
        assert_eq!(cells.len(), OrderEventKind::ALL.len(), "row {name}");
        for (cell, event) in cells.iter().zip(OrderEventKind::ALL) {
            let want = match *cell {
                "=" => Transition::Stay,
                "x" => Transition::Illegal,
                "<" => Transition::Back,
                s => Transition::To(short(s)),
            };
            assert_eq!(transition(from, event), want, "{from} + {event}");
            checked += 1;
        }
    }
    assert_eq!(checked, 9 * 15);
}

/// A state in `status` (built through the machine itself).
fn in_status(status: OrderStatus) -> OrderState {
    let mut o = OrderState::new(request(50));
    let path: &[OrderEvent] = match status {
        OrderStatus::PendingSubmit => &[],
        OrderStatus::PendingCancel => &[
            OrderEvent::Report(update(OrderStatus::Open, 0)),
            OrderEvent::CancelRequested { ts: ts() },
        ],
        OrderStatus::PendingModify => &[
            OrderEvent::Report(update(OrderStatus::Open, 0)),
            OrderEvent::ModifyRequested { ts: ts() },
        ],
        s => {
            let filled = match s {
                OrderStatus::PartiallyFilled => 25,
                OrderStatus::Complete => 50,
                _ => 0,
            };
            o.apply(&update(s, filled)).unwrap();
            &[]
        }
    };
    for e in path {
        o.apply_event(e).unwrap();
    }
    assert_eq!(o.status(), status);
    o
}

#[test]
fn the_machine_follows_the_table_for_every_cell() {
    for from in OrderStatus::ALL {
        for kind in OrderEventKind::ALL {
            let mut o = in_status(from);
            let before = o.clone();
            let ev = match kind {
                OrderEventKind::Placed => OrderEvent::Placed {
                    broker_order_id: "B".into(),
                },
                OrderEventKind::Report(s) => {
                    let filled = match s {
                        OrderStatus::Complete => 50,
                        OrderStatus::PartiallyFilled => 25.max(o.filled_quantity()),
                        _ => o.filled_quantity(),
                    };
                    OrderEvent::Report(update(s, filled))
                }
                OrderEventKind::Fill => OrderEvent::Fill(fill("T9", 25, dec!(10))),
                OrderEventKind::CancelRequested => OrderEvent::CancelRequested { ts: ts() },
                OrderEventKind::CancelRejected => OrderEvent::CancelRejected {
                    ts: ts(),
                    reason: "no".into(),
                },
                OrderEventKind::ModifyRequested => OrderEvent::ModifyRequested { ts: ts() },
                OrderEventKind::ModifyRejected => OrderEvent::ModifyRejected {
                    ts: ts(),
                    reason: "no".into(),
                },
            };
            let res = o.apply_event(&ev);
            match transition(from, kind) {
                Transition::Illegal => {
                    assert!(
                        matches!(res, Err(TransitionError::Illegal { .. })),
                        "{from} + {kind}: {res:?}"
                    );
                    assert_eq!(o, before);
                }
                Transition::Stay => {
                    // A report that contradicts its own quantity may still fail its check.
                    if res.is_ok() {
                        assert_eq!(o.status(), from, "{from} + {kind}");
                    }
                }
                Transition::To(to) => {
                    assert!(res.is_ok(), "{from} + {kind}: {res:?}");
                    assert_eq!(o.status(), to);
                }
                Transition::Back => {
                    assert!(res.is_ok());
                    assert_eq!(o.status(), OrderStatus::Open);
                }
            }
        }
    }
}

#[test]
fn tag_fits_kite_limit() {
    let tag = OrderId(123_456_789).tag(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap());
    assert!(tag.len() <= 20);
    assert!(tag.chars().all(|c| c.is_ascii_alphanumeric()));
}

#[test]
fn happy_path_and_terminal() {
    let mut o = OrderState::new(request(50));
    o.apply(&update(OrderStatus::Open, 0)).unwrap();
    o.apply(&update(OrderStatus::PartiallyFilled, 25)).unwrap();
    o.apply(&update(OrderStatus::Complete, 50)).unwrap();
    assert!(o.apply(&update(OrderStatus::Cancelled, 50)).is_err());
    assert_eq!(o.status(), OrderStatus::Complete);
}

#[test]
fn complete_requires_full_fill() {
    let mut o = OrderState::new(request(50));
    assert!(matches!(
        o.apply(&update(OrderStatus::Complete, 25)),
        Err(TransitionError::BadFill { .. })
    ));
    assert_eq!(o.status(), OrderStatus::PendingSubmit);
}

#[test]
fn fills_are_deduplicated_and_overfills_refused() {
    let mut o = in_status(OrderStatus::Open);
    assert_eq!(
        o.apply_event(&OrderEvent::Fill(fill("T1", 25, dec!(10)))),
        Ok(Applied::Changed)
    );
    assert_eq!(
        o.apply_event(&OrderEvent::Fill(fill("T1", 25, dec!(10)))),
        Ok(Applied::DuplicateFill)
    );
    assert_eq!(o.filled_quantity(), 25);
    assert!(matches!(
        o.apply_event(&OrderEvent::Fill(fill("T2", 50, dec!(11)))),
        Err(TransitionError::Overfill { .. })
    ));
    o.apply_event(&OrderEvent::Fill(fill("T3", 25, dec!(12))))
        .unwrap();
    assert_eq!(o.fills_average(), Some(dec!(11)));
    assert_eq!(o.remaining(), 0);
}

#[test]
fn fill_after_cancel_request_and_after_cancel() {
    // Kite: a cancel is requested, the order fills partly meanwhile, then is cancelled;
    // the trade arrives after the CANCELLED status and still counts.
    let mut o = in_status(OrderStatus::Open);
    o.apply_event(&OrderEvent::CancelRequested { ts: ts() })
        .unwrap();
    o.apply(&update(OrderStatus::PartiallyFilled, 25)).unwrap();
    assert_eq!(o.status(), OrderStatus::PendingCancel);
    o.apply(&update(OrderStatus::Cancelled, 25)).unwrap();
    o.apply_event(&OrderEvent::Fill(fill("T1", 25, dec!(10))))
        .unwrap();
    assert_eq!(o.status(), OrderStatus::Cancelled);
    assert_eq!(o.filled_quantity(), 25);
    // A refused cancel returns to the working status (partly filled now).
    let mut o = in_status(OrderStatus::Open);
    o.apply_event(&OrderEvent::CancelRequested { ts: ts() })
        .unwrap();
    o.apply(&update(OrderStatus::PartiallyFilled, 25)).unwrap();
    o.apply_event(&OrderEvent::CancelRejected {
        ts: ts(),
        reason: "executing".into(),
    })
    .unwrap();
    assert_eq!(o.status(), OrderStatus::PartiallyFilled);
}

#[test]
fn a_fill_for_a_rejected_order_is_an_error() {
    let mut o = in_status(OrderStatus::Rejected);
    assert!(
        o.apply_event(&OrderEvent::Fill(fill("T1", 25, dec!(10))))
            .is_err()
    );
    assert_eq!(o.filled_quantity(), 0);
}

fn any_event() -> impl Strategy<Value = OrderEvent> {
    let status = proptest::sample::select(OrderStatus::ALL.to_vec());
    prop_oneof![
        (status, 0u32..=60).prop_map(|(s, f)| OrderEvent::Report(update(s, f))),
        (0u8..4, 1u32..=30, 90u32..110).prop_map(|(id, q, p)| OrderEvent::Fill(fill(
            &format!("T{id}"),
            q,
            Decimal::from(p)
        ))),
        Just(OrderEvent::Placed {
            broker_order_id: "B".into()
        }),
        Just(OrderEvent::CancelRequested { ts: ts() }),
        Just(OrderEvent::CancelRejected {
            ts: ts(),
            reason: "r".into()
        }),
        Just(OrderEvent::ModifyRequested { ts: ts() }),
        Just(OrderEvent::ModifyRejected {
            ts: ts(),
            reason: "r".into()
        }),
    ]
}

proptest! {
    /// Whatever events arrive: no panic; filled ≤ quantity and never decreasing; a terminal
    /// status never changes (only a documented late fill touches a terminal order); COMPLETE
    /// means fully reported filled; the fills' average lies within the fill prices; an error
    /// leaves the state unchanged.
    #[test]
    fn state_machine_invariants(events in proptest::collection::vec(any_event(), 0..40)) {
        let mut o = OrderState::new(request(50));
        let (mut lo, mut hi) = (Decimal::MAX, Decimal::MIN);
        for ev in events {
            let before = o.clone();
            let res = o.apply_event(&ev);
            match res {
                Ok(_) => {
                    prop_assert!(o.filled_quantity() >= before.filled_quantity());
                    prop_assert!(o.filled_quantity() <= 50);
                    if before.status().is_terminal() {
                        prop_assert_eq!(o.status(), before.status());
                        let late = matches!(ev, OrderEvent::Fill(_) | OrderEvent::Placed { .. });
                        prop_assert!(late);
                    }
                    if o.status() == OrderStatus::Complete {
                        prop_assert_eq!(o.filled_quantity(), 50);
                    }
                    if let (OrderEvent::Fill(f), Ok(Applied::Changed)) = (&ev, res) {
                        lo = lo.min(f.price);
                        hi = hi.max(f.price);
                    }
                    if let Some(avg) = o.fills_average() {
                        prop_assert!(avg >= lo && avg <= hi);
                    } else {
                        prop_assert_eq!(o.fills_quantity(), 0);
                    }
                }
                Err(_) => prop_assert_eq!(&o, &before),
            }
        }
    }
}

#[test]
fn run_tags_are_distinct_and_parse_back() {
    let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let first = OrderId(17).tag(d);
    assert_eq!(first, "K240603000017");
    let again = OrderId(17).tag_in_run(d, 2);
    assert_eq!(again, "K240603R2000017");
    assert!(again.len() <= 20);
    let t = EngineTag::parse(&again).unwrap();
    assert_eq!((t.run, t.id), (2, 17));
    assert!(t.is_of(d));
    let t0 = EngineTag::parse(&first).unwrap();
    assert_eq!((t0.run, t0.id), (0, 17));
    assert_eq!(EngineTag::parse("manual1"), None);
    assert_eq!(EngineTag::parse("K240603R000017"), None);
}
