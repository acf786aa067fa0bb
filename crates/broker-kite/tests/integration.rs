//! The adapter against `kite-sim` on loopback (HTTP + WebSocket on 127.0.0.1, streaming
//! 2024-06-03 from the shipped catalog): login checksum, instruments and their cache, tagged
//! placement, a timed-out placement settled by tag without a second order, a placement booked
//! late or never, a 403 that blocks entries, a 429 that backs off, a socket drop followed by
//! resubscription, a refused handshake, historical windows, reconciliation, session reload,
//! timers on the exchange clock, and logs without secrets.
//!
//! One file on purpose (over 600 lines): its scenarios share one simulator harness (start,
//! settings, client, contracts, polling helpers) and each reads top to bottom as one exchange.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use broker_kite::history::Interval;
use broker_kite::instruments::verify_index_tokens;
use broker_kite::{
    InstrumentsMaster, KiteBroker, KiteClient, KiteError, KiteFeed, KiteHistory, KiteSettings,
    MarketOrderStyle, QuoteBook,
};
use catalog::replay::CalendarContracts;
use chrono::{NaiveDate, NaiveDateTime};
use domain::calendar::{ExpiryCalendar, LotSizes};
use domain::order::{OrderId, OrderKind, OrderPurpose, OrderRequest, OrderStatus, Product};
use domain::ports::{
    Broker, BrokerError, BrokerEvent, ContractSource, FeedStatus, HistoricalData, MarketData,
    MarketEvent, OrderChange,
};
use domain::time::{fmt_iso, ist_hms};
use domain::{Decimal, Exchange, OptionContract, OptionType, Segment, Side};
use kite_sim::{Fault, SimConfig, SimMarket, Simulator, Speed};
use kiteconnect::{AccessToken, ApiSecret};
use rust_decimal_macros::dec;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const API_KEY: &str = "testkey";
const API_SECRET: &str = "SENTINEL-SECRET-7f3a";
const ACCESS_TOKEN: &str = "SENTINEL-ACCESS-91c2";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// A simulator of 2024-06-03 (NIFTY and BANKNIFTY) with the test's key, token and secret.
async fn start_with(speed: Speed) -> Simulator {
    let mut cfg = SimConfig::new(
        day(),
        vec![Segment::Nifty, Segment::BankNifty],
        SimMarket::default(),
        data_dir(),
    );
    cfg.api_key = API_KEY.into();
    cfg.access_token = ACCESS_TOKEN.into();
    cfg.api_secret = Some(API_SECRET.into());
    cfg.speed = speed;
    Simulator::start(cfg).await.unwrap()
}

async fn start() -> Simulator {
    start_with(Speed::Max).await
}

/// Settings pointing at the simulator, with short timeouts for fast tests.
fn settings(sim: &Simulator) -> KiteSettings {
    let mut s = KiteSettings {
        api_base_url: sim.base_url(),
        ticker_url: sim.ticker_url(),
        request_timeout_ms: 300,
        ..KiteSettings::default()
    };
    s.retry.min_delay_ms = 20;
    s.retry.max_delay_ms = 80;
    s.rate_limits.backoff_initial_ms = 150;
    s.rate_limits.backoff_max_ms = 600;
    s.orders.poll_interval_ms = 0;
    s.feed.timer_interval_ms = 0;
    s
}

fn client_with(settings: KiteSettings) -> KiteClient {
    KiteClient::new(
        settings,
        API_KEY,
        Some(AccessToken::new(ACCESS_TOKEN).unwrap()),
    )
    .unwrap()
}

/// The replay contract (expiry calendar) of `strike` CE on `date`.
fn calendar_contract(date: NaiveDate, strike: Decimal, skip_expiry_day: bool) -> OptionContract {
    CalendarContracts::new(ExpiryCalendar::builtin(), LotSizes::builtin())
        .option_contract(
            Segment::Nifty,
            date,
            strike,
            OptionType::CE,
            skip_expiry_day,
        )
        .unwrap()
}

/// NIFTY 24000 CE of the 6 June 2024 weekly as the simulator lists it (with its token); far
/// out of the money, so its premium is a few ₹.
fn contract(sim: &Simulator) -> OptionContract {
    let c = calendar_contract(day(), dec!(24000), false);
    sim.contract(&c.tradingsymbol).expect("listed")
}

fn request(sim: &Simulator, id: u64, side: Side, kind: OrderKind) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        tag: OrderId(id).tag(day()),
        contract: contract(sim),
        side,
        quantity: 25,
        kind,
        product: Product::MIS,
        purpose: OrderPurpose::Entry,
        created: ist_hms(day(), 10, 0, 0),
    }
}

/// A BUY limit far below the premium: it rests `OPEN`.
fn resting() -> OrderKind {
    OrderKind::Limit { price: dec!(0.05) }
}

fn with_touch(sim: &Simulator, c: &KiteClient) -> (KiteBroker, QuoteBook) {
    let quotes = QuoteBook::new();
    quotes.update(
        contract(sim).instrument_token.unwrap(),
        dec!(99.8),
        Some(dec!(99.5)),
        Some(dec!(100)),
    );
    (KiteBroker::new(c.clone(), quotes.clone()), quotes)
}

async fn poll_until(
    b: &mut KiteBroker,
    secs: f64,
    pred: impl Fn(&BrokerEvent) -> bool,
) -> Vec<BrokerEvent> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut all = Vec::new();
    while Instant::now() < deadline {
        let evs = b.poll_events().await.unwrap();
        let hit = evs.iter().any(&pred);
        all.extend(evs);
        if hit {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    all
}

fn is_status(s: OrderStatus) -> impl Fn(&BrokerEvent) -> bool {
    move |e| matches!(e, BrokerEvent::Order(u) if u.status == s)
}

/// Wait until `f` holds, polling every 10 ms, at most `secs`.
async fn wait_until(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

/// The next feed status event, skipping ticks and timers, within `secs`.
async fn next_status(feed: &mut KiteFeed, secs: u64) -> Option<FeedStatus> {
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match feed.next_event().await {
                Some(MarketEvent::Feed(s, _)) => return Some(s),
                Some(_) => {}
                None => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()
}

fn booked_id(sim: &Simulator) -> String {
    sim.orders()[0].order_id.clone()
}

#[tokio::test]
async fn login_exchange_sends_the_correct_checksum() {
    let sim = start().await;
    let client = KiteClient::new(settings(&sim), API_KEY, None).unwrap();
    let secret = ApiSecret::new(API_SECRET).unwrap();
    let s = client
        .exchange_request_token("req-token-1", &secret)
        .await
        .unwrap();
    assert_eq!(s.user_id, "SIM001");
    assert_eq!(s.access_token.as_ref().unwrap().expose(), ACCESS_TOKEN);
    assert!(
        NaiveDateTime::parse_from_str(&s.login_time, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{}",
        s.login_time
    );
    assert!(s.date.is_some());
    assert_eq!(sim.count("POST", "/session/token"), 1);
    // The token is installed: an authenticated call works.
    client.validate_session().await.unwrap();
    // A wrong secret gives a wrong checksum: TokenException, and nothing secret in the error.
    let bad = ApiSecret::new("wrong-secret").unwrap();
    let e = KiteClient::new(settings(&sim), API_KEY, None)
        .unwrap()
        .exchange_request_token("req-token-2", &bad)
        .await
        .unwrap_err();
    assert!(matches!(e, KiteError::SessionInvalid(_)), "{e}");
    let text = format!("{e} {e:?} {client:?} {s:?}");
    assert!(
        !text.contains(API_SECRET) && !text.contains(ACCESS_TOKEN),
        "{text}"
    );
}

#[tokio::test]
async fn instruments_from_api_then_cache_and_index_tokens() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&sim);
    s.instruments_cache_dir = dir.path().to_path_buf();
    s.lot_sizes.insert("NIFTY".into(), 25);
    s.strike_steps.insert("NIFTY".into(), dec!(50));
    let client = client_with(s.clone());
    let m = InstrumentsMaster::load(&client, &[Exchange::NFO], day())
        .await
        .unwrap();
    assert_eq!(sim.count("GET", "/instruments/NFO"), 1);
    let c = m
        .option_contract(Segment::Nifty, day(), dec!(24000), OptionType::CE, false)
        .unwrap();
    assert_eq!(c.tradingsymbol, "NIFTY2460624000CE");
    assert_eq!(c.expiry, NaiveDate::from_ymd_opt(2024, 6, 6).unwrap());
    assert_eq!(
        (c.lot_size, c.tick_size, c.instrument_token),
        (25, dec!(0.05), contract(&sim).instrument_token)
    );
    // On the expiry day with skip_expiry_day the next expiry is chosen, as replay does.
    let expiry_day = NaiveDate::from_ymd_opt(2024, 6, 6).unwrap();
    let next = m
        .option_contract(
            Segment::Nifty,
            expiry_day,
            dec!(24000),
            OptionType::CE,
            true,
        )
        .unwrap();
    let want = calendar_contract(expiry_day, dec!(24000), true);
    assert_eq!(
        (next.tradingsymbol.as_str(), next.expiry),
        (want.tradingsymbol.as_str(), want.expiry)
    );
    assert!(next.expiry > expiry_day);
    let spot = sim.status().sim_time; // the clock stands at the first frame
    assert_eq!(spot.date_naive(), day());
    m.check_config(Segment::Nifty, day(), false, Some(dec!(23300)))
        .unwrap();
    // Second load: from the cache, no download.
    let m2 = InstrumentsMaster::load(&client, &[Exchange::NFO], day())
        .await
        .unwrap();
    assert_eq!(sim.count("GET", "/instruments/NFO"), 1);
    assert_eq!(m2.len(), m.len());
    // Config disagrees (lot 75): refuse.
    s.lot_sizes.insert("NIFTY".into(), 75);
    let m3 = InstrumentsMaster::load(&client_with(s), &[Exchange::NFO], day())
        .await
        .unwrap();
    assert!(m3.check_config(Segment::Nifty, day(), false, None).is_err());
    assert!(
        m3.option_contract(Segment::Nifty, day(), dec!(24000), OptionType::CE, false)
            .is_err()
    );
    // Index tokens confirmed with one LTP call.
    verify_index_tokens(&client, &[Segment::Nifty, Segment::BankNifty])
        .await
        .unwrap();
    assert_eq!(sim.count("GET", "/quote/ltp"), 1);
}

#[tokio::test]
async fn place_order_with_tag_then_updates_and_fill() {
    let sim = start().await;
    let mut s = settings(&sim);
    s.orders.poll_interval_ms = 60_000; // after the first poll, updates must come from the socket
    let client = client_with(s);
    let (mut broker, quotes) = with_touch(&sim, &client);
    let mut feed = KiteFeed::spawn(&client, Some(broker.order_feed()), quotes).unwrap();
    assert_eq!(next_status(&mut feed, 3).await, Some(FeedStatus::Connected));
    // A resting order first: the first poll reads the book (it shows OPEN); the next poll
    // is 60 s away.
    broker
        .place_order(&request(&sim, 16, Side::Buy, resting()))
        .await
        .unwrap();
    let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Open)).await;
    assert!(evs.iter().any(is_status(OrderStatus::Open)), "{evs:?}");
    let req = request(&sim, 17, Side::Buy, OrderKind::Market);
    let book_reads = sim.count("GET", "/orders");
    let id = broker.place_order(&req).await.unwrap();
    {
        let forms = sim.placement_forms();
        assert_eq!(forms.len(), 2);
        let f = &forms[1];
        assert_eq!(f["tag"], req.tag);
        assert_eq!(f["tag"], "K240603000017");
        assert_eq!(f["order_type"], "LIMIT");
        // Marketable limit: best ask 100 + 1 %, rounded up to the 0.05 tick.
        assert_eq!(f["price"], "101");
        assert_eq!(f["quantity"], "25");
        assert_eq!(f["exchange"], "NFO");
        assert_eq!(f["tradingsymbol"], "NIFTY2460624000CE");
        assert_eq!(f["transaction_type"], "BUY");
        assert_eq!(f["product"], "MIS");
        assert_eq!(f["validity"], "DAY");
    }
    // The simulator fills the marketable limit at its touch; COMPLETE arrives as a socket
    // order frame (polling is 60 s away), then its trade.
    let evs = poll_until(&mut broker, 3.0, |e| matches!(e, BrokerEvent::Fill(_))).await;
    let done = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Order(u) if u.status == OrderStatus::Complete => Some(u.clone()),
            _ => None,
        })
        .expect("COMPLETE update");
    let book = sim.orders();
    let booked = &book[1];
    assert_eq!(booked.order_id, id);
    assert_eq!(done.filled_quantity, 25);
    let avg = booked.average_price.expect("filled");
    assert_eq!(done.average_price, Some(avg));
    assert_eq!(done.id, OrderId(17));
    let fill = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Fill(f) => Some(f.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((fill.quantity, fill.price, fill.side), (25, avg, Side::Buy));
    assert!(fill.price <= dec!(101));
    assert_eq!(fill.ts.date_naive(), day());
    // The simulator fills at placement, so besides the trades only the one book read every
    // placement forces follows; no polling (60 s away).
    let trade_reads = sim.count("GET", &format!("/orders/{id}/trades"));
    assert_eq!(
        sim.count("GET", "/orders") - trade_reads,
        book_reads + 1,
        "{:?}",
        sim.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        broker.order_state(&id).unwrap().status(),
        OrderStatus::Complete
    );
    // Nothing more, and the same order is never sent twice.
    assert!(broker.poll_events().await.unwrap().is_empty());
    assert_eq!(broker.place_order(&req).await.unwrap(), id);
    assert_eq!(sim.count("POST", "/orders/regular"), 2);
}

#[tokio::test]
async fn market_with_protection_and_quote_fallback() {
    let sim = start().await;
    let mut s = settings(&sim);
    s.orders.market_order_style = MarketOrderStyle::Market;
    let mut b = KiteBroker::new(client_with(s), QuoteBook::new());
    b.place_order(&request(&sim, 1, Side::Sell, OrderKind::Market))
        .await
        .unwrap();
    // No touch known: a limit is priced from /quote (the simulator's ask + 1 %, up to the tick).
    let token = contract(&sim).instrument_token.unwrap();
    let ask = sim.premium(token).unwrap() + dec!(0.05);
    let mut b2 = KiteBroker::new(client_with(settings(&sim)), QuoteBook::new());
    b2.place_order(&request(&sim, 2, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    // A plain limit is sent as asked (a BUY rounded down to the tick).
    b2.place_order(&request(
        &sim,
        3,
        Side::Buy,
        OrderKind::Limit { price: dec!(88.07) },
    ))
    .await
    .unwrap();
    let placed = sim.placement_forms();
    assert_eq!(placed[0]["order_type"], "MARKET");
    assert_eq!(placed[0]["market_protection"], "-1");
    assert!(!placed[0].contains_key("price"));
    assert_eq!(placed[1]["order_type"], "LIMIT");
    let want = (ask * dec!(1.01) / dec!(0.05)).ceil() * dec!(0.05);
    assert_eq!(
        placed[1]["price"].parse::<Decimal>().unwrap(),
        want,
        "ask {ask}"
    );
    assert_eq!(placed[2]["price"], "88.05");
    assert_eq!(sim.count("GET", "/quote"), 1);
}

#[tokio::test]
async fn placement_timeout_is_settled_by_tag_without_a_second_order() {
    let sim = start().await;
    sim.inject(Fault::DelayPlacement {
        delay: Duration::from_secs(2),
        count: 1,
    });
    let client = client_with(settings(&sim)); // 300 ms timeout
    let (mut broker, _) = with_touch(&sim, &client);
    let req = request(&sim, 5, Side::Buy, resting());
    let t = Instant::now();
    let id = broker
        .place_order(&req)
        .await
        .expect("settled by the tag lookup");
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(id, booked_id(&sim));
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
    assert!(sim.count("GET", "/orders") >= 1);
    // Asking again never re-sends.
    assert_eq!(broker.place_order(&req).await.unwrap(), id);
    assert_eq!(broker.find_by_tag(&req.tag).await.unwrap(), Some(id));
    let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Open)).await;
    assert!(evs.iter().any(is_status(OrderStatus::Open)), "{evs:?}");
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn unsettled_placement_stays_pending_until_the_book_shows_it() {
    let sim = start().await;
    sim.inject(Fault::BookLater {
        delay: Duration::from_millis(700),
        count: 1,
    });
    let client = client_with(settings(&sim));
    let (mut broker, _) = with_touch(&sim, &client);
    let req = request(&sim, 6, Side::Buy, resting());
    let e = broker.place_order(&req).await.unwrap_err();
    assert!(matches!(e, BrokerError::Unknown(_)), "{e}");
    // Retrying the same order looks the tag up; it does not send it again.
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::Unknown(_))
    ));
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
    assert!(sim.orders().is_empty());
    // Once the order book shows it, polling adopts it and reports its state.
    let evs = poll_until(&mut broker, 3.0, is_status(OrderStatus::Open)).await;
    let u = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Order(u) => Some(u.clone()),
            _ => None,
        })
        .expect("update after settlement");
    assert_eq!(u.id, OrderId(6));
    let booked = booked_id(&sim);
    assert_eq!(u.broker_order_id.as_deref(), Some(booked.as_str()));
    assert_eq!(broker.place_order(&req).await.unwrap(), booked);
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn placement_never_seen_is_reported_rejected_after_the_grace() {
    let sim = start().await;
    sim.inject(Fault::BookLater {
        delay: Duration::from_secs(30),
        count: 1,
    });
    let mut s = settings(&sim);
    s.orders.unknown_grace_secs = 1;
    let client = client_with(s);
    let (mut broker, _) = with_touch(&sim, &client);
    let req = request(&sim, 8, Side::Buy, resting());
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::Unknown(_))
    ));
    let evs = poll_until(&mut broker, 3.0, is_status(OrderStatus::Rejected)).await;
    let u = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Order(u) if u.status == OrderStatus::Rejected => Some(u.clone()),
            _ => None,
        })
        .unwrap();
    assert!(u.message.unwrap().contains("not received"));
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::Rejected(_))
    ));
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn token_exception_blocks_entries_without_a_retry_storm() {
    let sim = start().await;
    let client = client_with(settings(&sim));
    let (mut broker, _) = with_touch(&sim, &client);
    sim.inject(Fault::ExpireToken);
    let e = broker
        .place_order(&request(&sim, 9, Side::Buy, resting()))
        .await
        .unwrap_err();
    assert!(matches!(e, BrokerError::SessionInvalid(_)), "{e}");
    assert!(!client.session().is_valid());
    assert!(
        client
            .session()
            .invalid_reason()
            .unwrap()
            .contains("access_token")
    );
    let sent = sim.requests().len();
    // Further entries, reads and polls fail fast, without a request.
    for id in 10..15 {
        assert!(matches!(
            broker
                .place_order(&request(&sim, id, Side::Buy, resting()))
                .await,
            Err(BrokerError::SessionInvalid(_))
        ));
    }
    assert!(matches!(
        broker.snapshot().await,
        Err(BrokerError::SessionInvalid(_))
    ));
    assert!(broker.poll_events().await.is_ok_and(|e| e.is_empty()));
    assert_eq!(
        sim.requests().len(),
        sent,
        "no request after the TokenException"
    );
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
    // A new login re-enables trading; the refused order (never placed) may be sent again.
    sim.inject(Fault::RestoreToken);
    client.set_access_token(AccessToken::new(ACCESS_TOKEN).unwrap());
    assert!(client.session().is_valid());
    broker
        .place_order(&request(&sim, 9, Side::Buy, resting()))
        .await
        .unwrap();
    assert_eq!(sim.count("POST", "/orders/regular"), 2);
}

#[tokio::test]
async fn http_429_backs_off_then_recovers() {
    let sim = start().await;
    let client = client_with(settings(&sim)); // 429 pause 150 ms, doubling
    let (mut broker, _) = with_touch(&sim, &client);
    // One filled order, so the snapshot has a trade.
    broker
        .place_order(&request(&sim, 20, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    sim.inject(Fault::RateLimit { count: 2 });
    let before = sim.requests().len();
    let t = Instant::now();
    let snap = broker.snapshot().await.expect("recovers after two 429s");
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );
    let times: Vec<Instant> = sim.requests()[before..]
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/orders")
        .map(|r| r.at)
        .collect();
    assert_eq!(times.len(), 3);
    assert!(times[1] - times[0] >= Duration::from_millis(150));
    assert!(times[2] - times[1] >= Duration::from_millis(300));
    assert_eq!(sim.status().rate_limited, 2);
    assert_eq!(snap.trades.len(), 1);
    // A 429 on placement: RateLimited (nothing placed); the next attempt waits out the pause.
    sim.inject(Fault::RateLimit { count: 1 });
    let req = request(&sim, 21, Side::Buy, resting());
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::RateLimited(_))
    ));
    let t = Instant::now();
    broker.place_order(&req).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(sim.count("POST", "/orders/regular"), 3);
    assert_eq!(
        sim.orders().len(),
        2,
        "one order per request id in the book"
    );
}

#[tokio::test]
async fn rejection_carries_kites_message() {
    let sim = start().await;
    sim.inject(Fault::RejectOrders {
        count: 1,
        message: "Markets are closed right now.".into(),
    });
    let client = client_with(settings(&sim));
    let (mut broker, _) = with_touch(&sim, &client);
    let req = request(&sim, 30, Side::Buy, OrderKind::Market);
    // Kite's RMS books the order REJECTED; the update carries its message.
    let placed = broker.place_order(&req).await;
    let message = match placed {
        Err(BrokerError::Rejected(m)) => m,
        Ok(_) => {
            let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Rejected)).await;
            evs.iter()
                .find_map(|e| match e {
                    BrokerEvent::Order(u) if u.status == OrderStatus::Rejected => u.message.clone(),
                    _ => None,
                })
                .expect("REJECTED update with a message")
        }
        other => panic!("{other:?}"),
    };
    assert!(message.contains("Markets are closed"), "{message}");
    // Not re-sent on a repeat; a bad quantity is refused before sending.
    let _ = broker.place_order(&req).await;
    let mut odd = request(&sim, 31, Side::Buy, OrderKind::Market);
    odd.quantity = 30;
    assert!(matches!(
        broker.place_order(&odd).await,
        Err(BrokerError::Rejected(_))
    ));
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn socket_drop_is_followed_by_resubscription() {
    let sim = start().await;
    let client = client_with(settings(&sim));
    let mut feed = KiteFeed::spawn(&client, None, QuoteBook::new()).unwrap();
    let health = feed.health();
    feed.subscribe_segments(&[Segment::Nifty, Segment::BankNifty])
        .await
        .unwrap();
    assert_eq!(next_status(&mut feed, 3).await, Some(FeedStatus::Connected));
    // The first tick is NIFTY's first bar open at 09:15:00 IST.
    let first = catalog::Catalog::open(data_dir())
        .unwrap()
        .bars("NIFTY", day())
        .unwrap()[0];
    match tokio::time::timeout(Duration::from_secs(3), feed.next_event()).await {
        Ok(Some(MarketEvent::Tick(t))) => {
            assert_eq!(t.token, 256_265);
            assert_eq!(t.price, first.open);
            assert_eq!(fmt_iso(&t.ts), "2024-06-03T09:15:00+05:30");
        }
        other => panic!("{other:?}"),
    }
    assert!(health.snapshot().connected);
    let t0 = Instant::now();
    sim.inject(Fault::DropSocket);
    assert_eq!(
        next_status(&mut feed, 3).await,
        Some(FeedStatus::Disconnected)
    );
    assert!(!health.snapshot().connected);
    assert_eq!(
        next_status(&mut feed, 5).await,
        Some(FeedStatus::Reconnected)
    );
    // The new connection got the whole subscription set again.
    assert!(
        wait_until(2.0, || sim.status().subscribed_tokens
            == vec![256_265, 260_105])
        .await,
        "{:?}",
        sim.status().subscribed_tokens
    );
    match tokio::time::timeout(Duration::from_secs(3), feed.next_event()).await {
        Ok(Some(MarketEvent::Tick(t))) => assert!([256_265, 260_105].contains(&t.token)),
        other => panic!("{other:?}"),
    }
    let h = health.snapshot();
    assert!(h.connected && h.reconnects == 1 && h.ticks >= 2, "{h:?}");
    assert!(!h.is_stale(Duration::from_secs(10)));
    assert!(t0.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn refused_ticker_handshake_invalidates_the_session() {
    let sim = start().await;
    sim.inject(Fault::ExpireToken);
    let client = client_with(settings(&sim));
    let mut feed = KiteFeed::spawn(&client, None, QuoteBook::new()).unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(3), feed.next_event())
        .await
        .unwrap();
    assert!(
        matches!(ev, Some(MarketEvent::Feed(FeedStatus::Disconnected, _))),
        "{ev:?}"
    );
    assert!(feed.next_event().await.is_none(), "the feed ends for good");
    assert!(!client.session().is_valid());
    assert!(feed.health().snapshot().closed.is_some());
}

#[tokio::test]
async fn historical_windows_and_warmup() {
    let sim = start().await;
    let h = KiteHistory::new(client_with(settings(&sim)));
    let dt = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    let bars = h
        .candles(
            256_265,
            Interval::Minute,
            dt("2024-01-01 09:15:00"),
            dt("2024-05-30 15:30:00"),
        )
        .await
        .unwrap();
    let reqs: Vec<(String, String)> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/instruments/historical/"))
        .map(|r| {
            let q: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(r.query.as_bytes())
                    .into_owned()
                    .collect();
            (q["from"].clone(), q["to"].clone())
        })
        .collect();
    assert!(
        reqs.len() >= 3,
        "150 days of minutes in windows under 60 days: {reqs:?}"
    );
    for (a, b) in &reqs {
        assert!(dt(b) - dt(a) < chrono::TimeDelta::days(60), "{a}..{b}");
    }
    // Every catalog minute of the range once, in time order (windows de-duplicated).
    let cat = catalog::Catalog::open(data_dir()).unwrap();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 5, 30).unwrap(),
    );
    let want: Vec<domain::Bar> = cat
        .bar_dates("NIFTY")
        .unwrap()
        .into_iter()
        .filter(|d| (from..=to).contains(d))
        .flat_map(|d| cat.bars("NIFTY", d).unwrap())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(bars.len(), want.len());
    assert!(bars.windows(2).all(|w| w[0].ts < w[1].ts));
    assert_eq!(
        (
            bars[0].ts,
            bars[0].open,
            bars[0].high,
            bars[0].low,
            bars[0].close
        ),
        (
            want[0].ts,
            want[0].open,
            want[0].high,
            want[0].low,
            want[0].close
        )
    );
    // Warm-up: the last sessions with data before the date.
    let s = h.sessions_before(Segment::Nifty, day(), 2).await.unwrap();
    let prior: Vec<NaiveDate> = cat
        .bar_dates("NIFTY")
        .unwrap()
        .into_iter()
        .filter(|d| *d < day())
        .collect();
    assert_eq!(s.len(), 2);
    let last = cat.bars("NIFTY", prior[prior.len() - 1]).unwrap();
    assert_eq!(s[1].len(), last.len());
    assert_eq!(s[1][0].ts, last[0].ts);
}

#[tokio::test]
async fn reconciliation_snapshot_modify_and_cancel() {
    let sim = start().await;
    let client = client_with(settings(&sim));
    let (mut broker, _) = with_touch(&sim, &client);
    // A filled BUY makes a day position.
    broker
        .place_order(&request(&sim, 39, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    let id = broker
        .place_order(&request(&sim, 40, Side::Buy, resting()))
        .await
        .unwrap();
    broker
        .modify_order(
            &id,
            &OrderChange {
                price: Some(dec!(0.1)),
                ..OrderChange::default()
            },
        )
        .await
        .unwrap();
    let book = sim.orders();
    let resting_row = book.iter().find(|o| o.order_id == id).unwrap();
    assert_eq!(resting_row.price, dec!(0.1));
    let snap = broker.snapshot().await.unwrap();
    let mine: Vec<_> = snap.orders_with_tag("K240603000040").collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].price, dec!(0.1));
    let filled = book.iter().find(|o| o.order_id != id).unwrap();
    let avg = filled.average_price.expect("filled");
    assert_eq!(snap.net_positions[0].average_price, avg);
    assert!(snap.open_positions().count() >= 1);
    // Margin: capital less the premium paid.
    assert_eq!(
        broker.available_margin().await.unwrap(),
        SimMarket::default().capital - avg * Decimal::from(25)
    );
    broker.cancel_order(&id).await.unwrap();
    let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Cancelled)).await;
    assert!(evs.iter().any(is_status(OrderStatus::Cancelled)), "{evs:?}");
}

#[tokio::test]
async fn a_new_login_is_picked_up_from_the_session_file() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kite_session.json");
    // The simulator writes the session file as `login` would.
    sim.write_session_file(&path).unwrap();
    let mut s = settings(&sim);
    s.session_file = Some(path);
    // Yesterday's token: refused, the session is marked invalid.
    let client = KiteClient::new(
        s.clone(),
        API_KEY,
        Some(AccessToken::new("SENTINEL-OLD").unwrap()),
    )
    .unwrap();
    assert!(matches!(
        client.validate_session().await,
        Err(KiteError::SessionInvalid(_))
    ));
    assert!(!client.session().is_valid());
    // `login` wrote a new token: reloading installs it.
    assert!(client.reload_session().unwrap());
    assert!(client.session().is_valid());
    client.validate_session().await.unwrap();
    assert!(!client.reload_session().unwrap());
    // The engine's constructor reads the same file.
    let c2 = KiteClient::from_session(s).unwrap();
    assert_eq!(c2.validate_session().await.unwrap().user_id, "SIM001");
    assert!(!format!("{c2:?}").contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn a_socket_update_settles_an_unknown_placement() {
    let sim = start().await;
    sim.inject(Fault::BookLater {
        delay: Duration::from_millis(1500),
        count: 1,
    });
    let mut s = settings(&sim);
    s.orders.poll_interval_ms = 60_000;
    let client = client_with(s);
    let (mut broker, quotes) = with_touch(&sim, &client);
    let mut feed = KiteFeed::spawn(&client, Some(broker.order_feed()), quotes).unwrap();
    assert_eq!(next_status(&mut feed, 3).await, Some(FeedStatus::Connected));
    // The first poll reads the (empty) book; the next is 60 s away.
    assert!(broker.poll_events().await.unwrap().is_empty());
    let req = request(&sim, 50, Side::Buy, resting());
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::Unknown(_))
    ));
    // The OMS got it after all: its order frame (with our tag) arrives on the socket.
    let evs = poll_until(&mut broker, 4.0, is_status(OrderStatus::Open)).await;
    let u = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Order(u) => Some(u.clone()),
            _ => None,
        })
        .expect("settled by the socket update");
    let booked = booked_id(&sim);
    assert_eq!(
        (u.id, u.broker_order_id.as_deref()),
        (OrderId(50), Some(booked.as_str()))
    );
    assert_eq!(broker.place_order(&req).await.unwrap(), booked);
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn timers_follow_the_exchange_clock_while_silent() {
    // Real time: after the 09:15:00 frame the next is 15 s away, so the feed is silent.
    let sim = start_with(Speed::Times(1.0)).await;
    let mut s = settings(&sim);
    s.feed.timer_interval_ms = 100;
    let client = client_with(s);
    let mut feed = KiteFeed::spawn(&client, None, QuoteBook::new()).unwrap();
    feed.subscribe(&[256_265]).await.unwrap();
    assert!(matches!(
        feed.next_event().await,
        Some(MarketEvent::Feed(FeedStatus::Connected, _))
    ));
    let tick_ts = loop {
        match feed.next_event().await {
            Some(MarketEvent::Tick(t)) => break t.ts,
            Some(MarketEvent::Timer(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(tick_ts, ist_hms(day(), 9, 15, 0));
    match feed.next_event().await {
        Some(MarketEvent::Timer(t)) => {
            assert!(
                t >= tick_ts && t < tick_ts + chrono::TimeDelta::seconds(2),
                "{}",
                fmt_iso(&t)
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A `MakeWriter` collecting log output in memory.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_never_contain_secrets() {
    let cap = Captured::default();
    let w = cap.clone();
    let sub = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || w.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(sub);
    let sim = start().await;
    let client = KiteClient::new(settings(&sim), API_KEY, None).unwrap();
    client
        .exchange_request_token("rt", &ApiSecret::new(API_SECRET).unwrap())
        .await
        .unwrap();
    let (mut broker, quotes) = with_touch(&sim, &client);
    let mut feed = KiteFeed::spawn(&client, Some(broker.order_feed()), quotes).unwrap();
    let _ = feed.next_event().await;
    sim.inject(Fault::DelayPlacement {
        delay: Duration::from_secs(1),
        count: 1,
    });
    broker
        .place_order(&request(&sim, 60, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    sim.inject(Fault::DropSocket);
    sim.inject(Fault::ExpireToken);
    let _ = broker
        .place_order(&request(&sim, 61, Side::Buy, OrderKind::Market))
        .await;
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(ev) = feed.next_event().await {
            if matches!(ev, MarketEvent::Feed(FeedStatus::Disconnected, _))
                && feed.health().snapshot().closed.is_some()
            {
                break;
            }
        }
    })
    .await;
    let text = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("placing order") && text.contains("TokenException"),
        "{text}"
    );
    assert!(
        !text.contains(ACCESS_TOKEN) && !text.contains(API_SECRET),
        "secret in logs:\n{text}"
    );
}
