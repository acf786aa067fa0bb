//! The paper broker's book and restored orders: positions net per tradingsymbol, a restored
//! order known to `find_by_tag` and the book, paper ids continuing past it, an order taken
//! over by an engine that knows less of it reported again, SL refused.

use super::*;
use domain::order::{OrderEvent, OrderId, OrderPurpose, Product};
use domain::time::ist_hms;
use domain::{Exchange, OptionContract, OptionType};
use rust_decimal_macros::dec;

/// Every option at ₹100.
struct Flat;

impl PremiumMarks for Flat {
    fn mark(
        &mut self,
        _contract: &OptionContract,
        _underlying: Decimal,
        _at: domain::IstDateTime,
    ) -> Option<(Decimal, PremiumSource)> {
        Some((dec!(100), PremiumSource::Market))
    }
}

fn date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

fn contract(strike: Decimal) -> OptionContract {
    OptionContract {
        segment: Segment::Nifty,
        exchange: Exchange::NFO,
        expiry: chrono::NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
        strike,
        option_type: OptionType::CE,
        lot_size: 25,
        tick_size: dec!(0.05),
        tradingsymbol: format!("NIFTY24606{strike}CE"),
        instrument_token: None,
    }
}

fn request(id: u64, strike: Decimal, side: Side, kind: OrderKind) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        tag: OrderId(id).tag(date()),
        contract: contract(strike),
        side,
        quantity: 50,
        kind,
        product: Product::MIS,
        purpose: OrderPurpose::Entry,
        created: ist_hms(date(), 10, 0, id as u32),
    }
}

fn broker() -> PaperBroker {
    let mut b = PaperBroker::new(PaperSettings { slippage_ticks: 1 }, Box::new(Flat));
    b.observe(&Tick {
        token: domain::Index::Nifty.token(),
        ts: ist_hms(date(), 10, 0, 0),
        price: dec!(22500),
        volume: None,
    });
    b
}

/// The engine's state of `req` after its placement and the broker's reports.
async fn placed(b: &mut PaperBroker, req: &OrderRequest) -> OrderState {
    let id = b.place_order(req).await.unwrap();
    let mut s = OrderState::new(req.clone());
    s.apply_event(&OrderEvent::Placed {
        broker_order_id: id,
    })
    .unwrap();
    for e in b.poll_events().await.unwrap() {
        match e {
            BrokerEvent::Order(u) => s.apply(&u).unwrap(),
            BrokerEvent::Fill(f) => {
                s.apply_event(&OrderEvent::Fill(f)).unwrap();
            }
        }
    }
    s
}

#[tokio::test]
async fn book_has_every_fill_and_net_positions() {
    let mut b = broker();
    placed(
        &mut b,
        &request(1, dec!(22500), Side::Buy, OrderKind::Market),
    )
    .await;
    placed(
        &mut b,
        &request(2, dec!(22600), Side::Buy, OrderKind::Market),
    )
    .await;
    placed(
        &mut b,
        &request(3, dec!(22500), Side::Sell, OrderKind::Market),
    )
    .await;
    let book = b.book().await.unwrap();
    assert_eq!(book.orders.len(), 3);
    assert_eq!(book.trades.len(), 3);
    assert!(
        book.orders
            .iter()
            .all(|o| o.status == OrderStatus::Complete)
    );
    // Buy at 100 + 1 tick, sell at 100 − 1 tick.
    assert_eq!(book.orders[0].average_price, Some(dec!(100.05)));
    assert_eq!(book.trades[2].price, dec!(99.95));
    assert_eq!(book.net_quantity("NIFTY2460622500CE"), 0);
    assert_eq!(book.net_quantity("NIFTY2460622600CE"), 50);
    assert_eq!(book.positions.len(), 2);
    assert_eq!(book.with_tag(&OrderId(2).tag(date())).count(), 1);
}

#[tokio::test]
async fn a_resumed_order_is_in_the_book_and_found_by_tag() {
    let mut first = broker();
    let s1 = placed(
        &mut first,
        &request(1, dec!(22500), Side::Buy, OrderKind::Market),
    )
    .await;
    let s2 = placed(
        &mut first,
        &request(2, dec!(22600), Side::Buy, OrderKind::Market),
    )
    .await;
    assert_eq!(s2.status(), OrderStatus::Complete);
    // A restarted session: a new paper broker told of the earlier orders.
    let mut b = broker();
    b.resume(&s1);
    b.resume(&s2);
    b.resume(&s2); // twice: booked once
    let tag = OrderId(2).tag(date());
    assert_eq!(
        b.find_by_tag(&tag).await.unwrap().as_deref(),
        s2.broker_order_id()
    );
    assert!(
        b.poll_events().await.unwrap().is_empty(),
        "nothing reported again"
    );
    let book = b.book().await.unwrap();
    assert_eq!(book.orders.len(), 2);
    assert_eq!(book.trades.len(), 2);
    assert_eq!(book.trades[1].trade_id, s2.fill_ids()[0]);
    assert_eq!(book.orders[1].average_price, Some(dec!(100.05)));
    assert_eq!(book.net_quantity("NIFTY2460622600CE"), 50);
    // The tag is not placed again, and new paper ids continue past the restored ones.
    let e = b
        .place_order(&request(2, dec!(22600), Side::Buy, OrderKind::Market))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("duplicate tag"), "{e}");
    let id3 = b
        .place_order(&request(3, dec!(22600), Side::Sell, OrderKind::Market))
        .await
        .unwrap();
    assert_eq!(id3, "PAPER00000003");
    assert_eq!(b.book().await.unwrap().net_quantity("NIFTY2460622600CE"), 0);
    // An order that never reached the broker is not booked.
    b.resume(&OrderState::new(request(
        9,
        dec!(22500),
        Side::Buy,
        OrderKind::Market,
    )));
    assert_eq!(b.book().await.unwrap().orders.len(), 3);
}

#[tokio::test]
async fn an_order_resumed_knowing_less_is_reported_again_under_the_new_id() {
    let mut b = broker();
    let done = placed(
        &mut b,
        &request(1, dec!(22500), Side::Buy, OrderKind::Market),
    )
    .await;
    // A restarted engine takes the order over as id 7, knowing only that it was placed.
    let mut req = request(1, dec!(22500), Side::Buy, OrderKind::Market);
    req.id = OrderId(7);
    let mut behind = OrderState::new(req);
    behind
        .apply_event(&OrderEvent::Placed {
            broker_order_id: done.broker_order_id().unwrap().to_string(),
        })
        .unwrap();
    b.resume(&behind);
    let again = b.poll_events().await.unwrap();
    assert_eq!(again.len(), 3, "open, fill, complete: {again:?}");
    for e in &again {
        match e {
            BrokerEvent::Order(u) => {
                assert_eq!(u.id, OrderId(7));
                behind.apply(u).unwrap();
            }
            BrokerEvent::Fill(f) => {
                assert_eq!(f.order_id, OrderId(7));
                behind.apply_event(&OrderEvent::Fill(f.clone())).unwrap();
            }
        }
    }
    assert_eq!(behind.status(), OrderStatus::Complete);
    assert_eq!(behind.fill_ids(), done.fill_ids());
    // An engine that knows all of it hears nothing again; the book has one order.
    b.resume(&behind);
    b.resume(&done);
    assert!(b.poll_events().await.unwrap().is_empty());
    assert_eq!(b.book().await.unwrap().orders.len(), 1);
}

#[tokio::test]
async fn sl_orders_are_refused_with_the_reason() {
    let mut b = broker();
    let kind = OrderKind::StopLimit {
        trigger: dec!(80),
        price: dec!(76),
    };
    let e = b
        .place_order(&request(1, dec!(22500), Side::Sell, kind))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, BrokerError::Rejected(m) if m.contains("does not rest SL orders")),
        "{e}"
    );
    assert!(b.book().await.unwrap().orders.is_empty());
}
