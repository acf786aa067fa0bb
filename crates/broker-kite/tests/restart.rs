//! Restart support of the adapter against `kite-sim` on loopback (2024-06-03): the book in
//! the engine's terms after fills (tagged and manual orders, net positions), an SL order
//! placed as Kite `SL` and modified, and orders of an earlier run resumed by a new
//! `KiteBroker`: a stop that filled while nobody was watching is reported once (status and
//! fill), fills already known are not reported again, a tag is never sent twice, and an
//! order whose placement outcome was unknown is adopted from the book or declared not
//! received.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use broker_kite::{KiteBroker, KiteClient, KiteSettings, QuoteBook};
use catalog::replay::CalendarContracts;
use chrono::{NaiveDate, NaiveTime};
use domain::calendar::{ExpiryCalendar, LotSizes};
use domain::order::{
    OrderId, OrderKind, OrderPurpose, OrderRequest, OrderState, OrderStatus, Product,
};
use domain::ports::{Broker, BrokerEvent, ContractSource, OrderChange};
use domain::time::ist_hms;
use domain::{Decimal, OptionContract, OptionType, Segment, Side};
use kite_sim::{SimConfig, SimMarket, Simulator};
use kiteconnect::AccessToken;
use rust_decimal_macros::dec;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

async fn start() -> Simulator {
    let cfg = SimConfig::new(
        day(),
        vec![Segment::Nifty, Segment::BankNifty],
        SimMarket::default(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data"),
    );
    Simulator::start(cfg).await.unwrap()
}

fn client(sim: &Simulator, unknown_grace_secs: u64) -> KiteClient {
    let mut s = KiteSettings {
        api_base_url: sim.base_url(),
        ticker_url: sim.ticker_url(),
        request_timeout_ms: 1_000,
        ..KiteSettings::default()
    };
    s.retry.min_delay_ms = 20;
    s.retry.max_delay_ms = 80;
    s.orders.poll_interval_ms = 0;
    s.orders.unknown_grace_secs = unknown_grace_secs;
    s.feed.timer_interval_ms = 0;
    KiteClient::new(
        s,
        sim.api_key(),
        Some(AccessToken::new(sim.access_token()).unwrap()),
    )
    .unwrap()
}

/// NIFTY 24000 CE of the 6 June 2024 weekly as the simulator lists it: far out of the money.
fn contract(sim: &Simulator) -> OptionContract {
    let c = CalendarContracts::new(ExpiryCalendar::builtin(), LotSizes::builtin())
        .option_contract(Segment::Nifty, day(), dec!(24000), OptionType::CE, false)
        .unwrap();
    sim.contract(&c.tradingsymbol).expect("listed")
}

/// A broker whose touch is the simulator's current premium ± ₹0.05.
fn broker(sim: &Simulator, c: &KiteClient) -> KiteBroker {
    let quotes = QuoteBook::new();
    let ltp = sim
        .premium(contract(sim).instrument_token.unwrap())
        .unwrap();
    quotes.update(
        contract(sim).instrument_token.unwrap(),
        ltp,
        Some(ltp - dec!(0.05)),
        Some(ltp + dec!(0.05)),
    );
    KiteBroker::new(c.clone(), quotes)
}

fn request(sim: &Simulator, id: u64, side: Side, kind: OrderKind) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        tag: OrderId(id).tag_in_run(day(), 1),
        contract: contract(sim),
        side,
        quantity: 25,
        kind,
        product: Product::MIS,
        purpose: OrderPurpose::Entry,
        created: ist_hms(day(), 9, 15, 0),
    }
}

async fn poll_for(
    b: &mut KiteBroker,
    secs: f64,
    pred: impl Fn(&[BrokerEvent]) -> bool,
) -> Vec<BrokerEvent> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut all = Vec::new();
    while Instant::now() < deadline {
        all.extend(b.poll_events().await.unwrap());
        if pred(&all) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    all
}

fn statuses(evs: &[BrokerEvent]) -> Vec<(OrderId, OrderStatus)> {
    evs.iter()
        .filter_map(|e| match e {
            BrokerEvent::Order(u) => Some((u.id, u.status)),
            BrokerEvent::Fill(_) => None,
        })
        .collect()
}

fn fills(evs: &[BrokerEvent]) -> Vec<(OrderId, String)> {
    evs.iter()
        .filter_map(|e| match e {
            BrokerEvent::Fill(f) => Some((f.order_id, f.fill_id.clone())),
            BrokerEvent::Order(_) => None,
        })
        .collect()
}

fn has_fill(id: u64) -> impl Fn(&[BrokerEvent]) -> bool {
    move |evs| fills(evs).iter().any(|f| f.0 == OrderId(id))
}

/// A SELL stop 10 paise under the premium now, its limit at a fifth of the trigger (a gap
/// through the trigger still fills).
fn stop_under(sim: &Simulator) -> OrderKind {
    let ltp = sim
        .premium(contract(sim).instrument_token.unwrap())
        .unwrap();
    let trigger = ltp - dec!(0.10);
    OrderKind::StopLimit {
        trigger,
        price: (trigger / dec!(5)).round_dp(1),
    }
}

/// A simulator whose clock has streamed to 09:20 (premiums from the streamed day).
async fn started() -> Simulator {
    let sim = start().await;
    sim.advance_until(NaiveTime::from_hms_opt(9, 20, 0).unwrap())
        .await;
    sim
}

#[tokio::test]
async fn book_after_fills_in_the_engines_terms() {
    let sim = start().await;
    let c = client(&sim, 60);
    let mut b = broker(&sim, &c);
    let sym = contract(&sim).tradingsymbol;
    b.place_order(&request(&sim, 1, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    poll_for(&mut b, 3.0, has_fill(1)).await;
    let book = b.book().await.unwrap();
    assert_eq!(book.net_quantity(&sym), 25);
    // A resting BUY limit: no average, no trigger; a SELL closes the position; a manual BUY.
    let rest = b
        .place_order(&request(
            &sim,
            2,
            Side::Buy,
            OrderKind::Limit { price: dec!(0.05) },
        ))
        .await
        .unwrap();
    b.place_order(&request(&sim, 3, Side::Sell, OrderKind::Market))
        .await
        .unwrap();
    poll_for(&mut b, 3.0, has_fill(3)).await;
    let manual = sim.place_manual(&sym, Side::Buy, 50).unwrap();
    let book = b.book().await.unwrap();
    assert_eq!(book.orders.len(), 4);
    assert_eq!(book.trades.len(), 3);
    assert_eq!(book.net_quantity(&sym), 50);
    let tag1 = OrderId(1).tag_in_run(day(), 1);
    let first: Vec<_> = book.with_tag(&tag1).collect();
    assert_eq!(first.len(), 1);
    let sim_first = &sim.orders()[0];
    assert_eq!(first[0].broker_order_id, sim_first.order_id);
    assert_eq!(first[0].status, OrderStatus::Complete);
    assert_eq!(first[0].side, Side::Buy);
    assert_eq!(first[0].product, Product::MIS);
    assert_eq!(first[0].order_type, "LIMIT"); // marketable limit (the default style)
    assert_eq!((first[0].quantity, first[0].filled_quantity), (25, 25));
    assert_eq!(first[0].average_price, sim_first.average_price);
    assert_eq!(first[0].trigger_price, None);
    let resting = book.order(&rest).unwrap();
    assert_eq!(resting.status, OrderStatus::Open);
    assert_eq!((resting.average_price, resting.filled_quantity), (None, 0));
    let by_hand = book.order(&manual).unwrap();
    assert_eq!((by_hand.tag.as_deref(), by_hand.quantity), (None, 50));
    assert_eq!(by_hand.order_type, "MARKET");
    let t = book
        .trades
        .iter()
        .find(|t| t.broker_order_id == sim_first.order_id)
        .unwrap();
    assert_eq!(t.trade_id, sim_first.fills[0].trade_id);
    assert_eq!((t.quantity, t.side), (25, Side::Buy));
    assert_eq!(t.price, sim_first.fills[0].price);
}

#[tokio::test]
async fn sl_is_sent_as_kite_sl_and_modified() {
    let sim = started().await;
    let c = client(&sim, 60);
    let mut b = broker(&sim, &c);
    b.place_order(&request(&sim, 1, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    let kind = stop_under(&sim);
    let OrderKind::StopLimit { trigger, price } = kind else {
        unreachable!()
    };
    let id = b
        .place_order(&request(&sim, 2, Side::Sell, kind))
        .await
        .unwrap();
    let form = sim.placement_forms().pop().unwrap();
    assert_eq!(form["order_type"], "SL");
    assert_eq!(form["trigger_price"].parse::<Decimal>().unwrap(), trigger);
    assert_eq!(form["price"].parse::<Decimal>().unwrap(), price);
    let evs = poll_for(&mut b, 3.0, |e| {
        statuses(e).contains(&(OrderId(2), OrderStatus::TriggerPending))
    })
    .await;
    assert!(
        statuses(&evs).contains(&(OrderId(2), OrderStatus::TriggerPending)),
        "{evs:?}"
    );
    let change = OrderChange {
        trigger_price: Some(trigger - dec!(0.05)),
        price: Some(price - dec!(0.05)),
        quantity: None,
    };
    b.modify_order(&id, &change).await.unwrap();
    let row = sim.orders().into_iter().find(|o| o.order_id == id).unwrap();
    assert_eq!(row.status, "TRIGGER PENDING");
    assert_eq!(
        (row.trigger_price, row.price),
        (trigger - dec!(0.05), price - dec!(0.05))
    );
    assert!(row.modified);
    let book = b.book().await.unwrap();
    let o = book.order(&id).unwrap();
    assert_eq!(o.order_type, "SL");
    assert_eq!(o.status, OrderStatus::TriggerPending);
    assert_eq!(o.trigger_price, Some(trigger - dec!(0.05)));
}

#[tokio::test]
async fn a_stop_filled_while_nobody_watched_is_reported_once_after_resume() {
    let sim = started().await;
    let c = client(&sim, 60);
    let mut first = broker(&sim, &c);
    let buy = request(&sim, 1, Side::Buy, OrderKind::Market);
    let buy_id = first.place_order(&buy).await.unwrap();
    let stop = request(&sim, 2, Side::Sell, stop_under(&sim));
    let stop_id = first.place_order(&stop).await.unwrap();
    poll_for(&mut first, 3.0, |e| {
        has_fill(1)(e) && statuses(e).contains(&(OrderId(2), OrderStatus::TriggerPending))
    })
    .await;
    // What the checkpoint holds; then the engine is gone.
    let buy_state = first.order_state(&buy_id).unwrap().clone();
    let stop_state = first.order_state(&stop_id).unwrap().clone();
    assert_eq!(buy_state.fill_ids().len(), 1);
    assert_eq!(stop_state.status(), OrderStatus::TriggerPending);
    drop(first);

    // The market moves on with nobody listening; the stop triggers and fills at Kite.
    let status = sim
        .advance_until(NaiveTime::from_hms_opt(15, 0, 0).unwrap())
        .await;
    assert_eq!(
        status.sim_time.time(),
        NaiveTime::from_hms_opt(15, 0, 0).unwrap()
    );
    let row = sim
        .orders()
        .into_iter()
        .find(|o| o.order_id == stop_id)
        .unwrap();
    assert_eq!(
        row.status, "COMPLETE",
        "the stop must trigger by 15:00: {row:?}"
    );
    let placements = sim.status().placements;

    // A new run: resume both orders.
    let mut second = broker(&sim, &c);
    second.resume(&buy_state);
    second.resume(&stop_state);
    let evs = poll_for(&mut second, 3.0, has_fill(2)).await;
    // A few more polls: nothing is reported twice.
    let mut evs = evs;
    for _ in 0..5 {
        evs.extend(second.poll_events().await.unwrap());
    }
    assert_eq!(
        statuses(&evs),
        vec![(OrderId(2), OrderStatus::Complete)],
        "{evs:?}"
    );
    assert_eq!(
        fills(&evs),
        vec![(OrderId(2), row.fills[0].trade_id.clone())],
        "the buy's fill is not reported again"
    );
    let f = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Fill(f) => Some(f.clone()),
            BrokerEvent::Order(_) => None,
        })
        .unwrap();
    assert_eq!(
        (f.side, f.quantity, f.price),
        (Side::Sell, 25, row.fills[0].price)
    );
    // Resumed again (e.g. after a reconnect): nothing is reported twice.
    second.resume(&stop_state);
    for _ in 0..3 {
        assert!(second.poll_events().await.unwrap().is_empty());
    }
    // The tags count as sent: nothing is placed again.
    assert_eq!(second.place_order(&stop).await.unwrap(), stop_id);
    assert_eq!(second.find_by_tag(&buy.tag).await.unwrap(), Some(buy_id));
    assert_eq!(sim.status().placements, placements);
    let book = second.book().await.unwrap();
    assert_eq!(book.net_quantity(&contract(&sim).tradingsymbol), 0);
}

#[tokio::test]
async fn a_resumed_order_of_unknown_outcome_is_adopted_or_declared_not_received() {
    let sim = start().await;
    let c = client(&sim, 1);
    let mut first = broker(&sim, &c);
    let sent = request(&sim, 5, Side::Buy, OrderKind::Market);
    let id = first.place_order(&sent).await.unwrap();
    drop(first);
    // The checkpoint was written before the answer: no broker order id.
    let mut second = broker(&sim, &c);
    second.resume(&OrderState::new(sent.clone()));
    let never = request(&sim, 6, Side::Buy, OrderKind::Market);
    second.resume(&OrderState::new(never.clone()));
    let evs = poll_for(&mut second, 4.0, |e| {
        has_fill(5)(e) && statuses(e).contains(&(OrderId(6), OrderStatus::Rejected))
    })
    .await;
    assert!(
        statuses(&evs).contains(&(OrderId(5), OrderStatus::Complete)),
        "{evs:?}"
    );
    assert_eq!(fills(&evs).len(), 1, "{evs:?}");
    assert!(
        statuses(&evs).contains(&(OrderId(6), OrderStatus::Rejected)),
        "{evs:?}"
    );
    assert_eq!(second.find_by_tag(&sent.tag).await.unwrap(), Some(id));
    // Neither tag is sent again.
    let placements = sim.status().placements;
    assert!(second.place_order(&never).await.is_err());
    assert_eq!(
        second.place_order(&sent).await.unwrap(),
        sim.orders()[0].order_id
    );
    assert_eq!(sim.status().placements, placements);
    assert_eq!(sim.orders().len(), 1);
}
