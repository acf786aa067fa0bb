//! The adapter against a loopback Kite test double (HTTP + WebSocket on 127.0.0.1, see
//! `common/mod.rs`): login checksum, tagged placement, a timed-out placement settled by tag
//! without a second order, a 403 that blocks entries, a 429 that backs off, a socket drop
//! followed by resubscription, instruments, historical windows, reconciliation.

mod common;

use broker_kite::history::Interval;
use broker_kite::instruments::verify_index_tokens;
use broker_kite::{
    InstrumentsMaster, KiteBroker, KiteClient, KiteError, KiteFeed, KiteHistory, KiteSettings,
    MarketOrderStyle, Modify, QuoteBook,
};
use chrono::{NaiveDate, NaiveDateTime};
use common::{ACCESS_TOKEN, API_KEY, API_SECRET, PlaceMode, Sim, WsCmd, wait_until};
use domain::order::{OrderId, OrderKind, OrderPurpose, OrderRequest, OrderStatus, Product};
use domain::ports::{
    Broker, BrokerError, BrokerEvent, ContractSource, FeedStatus, HistoricalData, MarketData,
    MarketEvent,
};
use domain::time::{fmt_iso, ist_hms};
use domain::{Exchange, OptionContract, OptionType, Segment, Side};
use kiteconnect::{AccessToken, ApiSecret};
use rust_decimal_macros::dec;
use std::time::{Duration, Instant};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

fn client_with(settings: KiteSettings) -> KiteClient {
    KiteClient::new(
        settings,
        API_KEY,
        Some(AccessToken::new(ACCESS_TOKEN).unwrap()),
    )
    .unwrap()
}

fn contract() -> OptionContract {
    let mut m = InstrumentsMaster::new();
    m.add_csv("nifty", common::NIFTY_CSV.as_bytes()).unwrap();
    m.option_contract(Segment::Nifty, day(), dec!(26000), OptionType::CE, false)
        .unwrap()
}

fn request(id: u64, side: Side, kind: OrderKind) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        tag: OrderId(id).tag(day()),
        contract: contract(),
        side,
        quantity: 65,
        kind,
        product: Product::MIS,
        purpose: OrderPurpose::Entry,
        created: ist_hms(day(), 10, 0, 0),
    }
}

fn with_touch(c: &KiteClient) -> (KiteBroker, QuoteBook) {
    let quotes = QuoteBook::new();
    quotes.update(
        contract().instrument_token.unwrap(),
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

#[tokio::test]
async fn login_exchange_sends_the_correct_checksum() {
    let sim = Sim::start().await;
    let client = KiteClient::new(sim.settings(), API_KEY, None).unwrap();
    let secret = ApiSecret::new(API_SECRET).unwrap();
    let s = client
        .exchange_request_token("req-token-1", &secret)
        .await
        .unwrap();
    assert_eq!(s.user_id, "XX0000");
    assert_eq!(s.access_token.as_ref().unwrap().expose(), ACCESS_TOKEN);
    assert_eq!(s.login_time, "2021-01-01 16:15:14");
    assert_eq!(s.date, NaiveDate::from_ymd_opt(2021, 1, 1));
    assert_eq!(sim.lock().login_exchanges, 1);
    // The token is installed: an authenticated call works.
    client.validate_session().await.unwrap();
    // A wrong secret gives a wrong checksum: TokenException, and nothing secret in the error.
    let bad = ApiSecret::new("wrong-secret").unwrap();
    let e = KiteClient::new(sim.settings(), API_KEY, None)
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
    let sim = Sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = sim.settings();
    s.instruments_cache_dir = dir.path().to_path_buf();
    s.lot_sizes.insert("NIFTY".into(), 65);
    s.strike_steps.insert("NIFTY".into(), dec!(50));
    let client = client_with(s.clone());
    let m = InstrumentsMaster::load(&client, &[Exchange::NFO], day())
        .await
        .unwrap();
    assert_eq!(sim.count("GET", "/instruments/NFO"), 1);
    let c = m
        .option_contract(Segment::Nifty, day(), dec!(26000), OptionType::CE, false)
        .unwrap();
    assert_eq!(c.tradingsymbol, "NIFTY2610626000CE");
    assert_eq!(c.expiry, NaiveDate::from_ymd_opt(2026, 1, 6).unwrap());
    assert_eq!(
        (c.lot_size, c.tick_size, c.instrument_token),
        (65, dec!(0.05), Some(13_000_770))
    );
    // On the expiry day with skip_expiry_day the monthly is chosen.
    let mc = m
        .option_contract(
            Segment::Nifty,
            NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(),
            dec!(26000),
            OptionType::CE,
            true,
        )
        .unwrap();
    assert_eq!(mc.tradingsymbol, "NIFTY26JAN26000CE");
    m.check_config(Segment::Nifty, day(), false, Some(dec!(25990)))
        .unwrap();
    // The old BANKNIFTY fixture rows are there too (tokens from the dump).
    assert_eq!(m.by_token(12_073_986).unwrap().lot_size, 40);
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
        m3.option_contract(Segment::Nifty, day(), dec!(26000), OptionType::CE, false)
            .is_err()
    );
    // Index tokens confirmed with one LTP call.
    verify_index_tokens(&client, &Segment::ALL).await.unwrap();
}

#[tokio::test]
async fn place_order_with_tag_then_updates_and_fill() {
    let sim = Sim::start().await;
    let mut s = sim.settings();
    s.orders.poll_interval_ms = 60_000; // after the first poll, updates must come from the socket
    let client = client_with(s);
    let (mut broker, quotes) = with_touch(&client);
    let mut feed = KiteFeed::spawn(&client, Some(broker.order_feed()), quotes).unwrap();
    assert!(matches!(
        feed.next_event().await,
        Some(MarketEvent::Feed(FeedStatus::Connected, _))
    ));
    let req = request(17, Side::Buy, OrderKind::Market);
    let id = broker.place_order(&req).await.unwrap();
    {
        let g = sim.lock();
        assert_eq!(g.placed.len(), 1);
        let f = &g.placed[0];
        assert_eq!(f["tag"], req.tag);
        assert_eq!(f["tag"], "K260105000017");
        assert_eq!(f["order_type"], "LIMIT");
        // Marketable limit: best ask 100 + 1 %, rounded up to the 0.05 tick.
        assert_eq!(f["price"], "101");
        assert_eq!(f["quantity"], "65");
        assert_eq!(f["exchange"], "NFO");
        assert_eq!(f["tradingsymbol"], "NIFTY2610626000CE");
        assert_eq!(f["transaction_type"], "BUY");
        assert_eq!(f["product"], "MIS");
        assert_eq!(f["validity"], "DAY");
    }
    let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Open)).await;
    assert!(evs.iter().any(is_status(OrderStatus::Open)), "{evs:?}");
    // The fill arrives as a socket order frame (polling is 60 s away), then its trade.
    let book_reads = sim.count("GET", "/orders");
    sim.fill(&id, 100.45);
    let evs = poll_until(&mut broker, 3.0, |e| matches!(e, BrokerEvent::Fill(_))).await;
    let done = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Order(u) if u.status == OrderStatus::Complete => Some(u.clone()),
            _ => None,
        })
        .expect("COMPLETE update");
    assert_eq!(done.filled_quantity, 65);
    assert_eq!(done.average_price, Some(dec!(100.45)));
    assert_eq!(done.id, OrderId(17));
    let fill = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Fill(f) => Some(f.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (fill.quantity, fill.price, fill.side),
        (65, dec!(100.45), Side::Buy)
    );
    assert_eq!(fmt_iso(&fill.ts), "2026-01-05T10:00:01+05:30");
    let trade_reads = sim.count("GET", &format!("/orders/{id}/trades"));
    assert_eq!(
        sim.count("GET", "/orders") - trade_reads,
        book_reads,
        "COMPLETE came from the socket"
    );
    assert_eq!(
        broker.order_state(&id).unwrap().status(),
        OrderStatus::Complete
    );
    // Nothing more, and the same order is never sent twice.
    assert!(broker.poll_events().await.unwrap().is_empty());
    assert_eq!(broker.place_order(&req).await.unwrap(), id);
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn market_with_protection_and_quote_fallback() {
    let sim = Sim::start().await;
    let mut s = sim.settings();
    s.orders.market_order_style = MarketOrderStyle::Market;
    let mut b = KiteBroker::new(client_with(s), QuoteBook::new());
    b.place_order(&request(1, Side::Sell, OrderKind::Market))
        .await
        .unwrap();
    // No touch known: a limit is priced from /quote (quote.json: best ask ₹1412.95).
    let mut b2 = KiteBroker::new(client_with(sim.settings()), QuoteBook::new());
    b2.place_order(&request(2, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    // A plain limit is sent as asked (a BUY rounded down to the tick).
    b2.place_order(&request(
        3,
        Side::Buy,
        OrderKind::Limit { price: dec!(88.07) },
    ))
    .await
    .unwrap();
    let g = sim.lock();
    assert_eq!(g.placed[0]["order_type"], "MARKET");
    assert_eq!(g.placed[0]["market_protection"], "-1");
    assert!(!g.placed[0].contains_key("price"));
    assert_eq!(g.placed[1]["order_type"], "LIMIT");
    assert_eq!(g.placed[1]["price"], "1427.1");
    assert_eq!(g.placed[2]["price"], "88.05");
    drop(g);
    assert_eq!(sim.count("GET", "/quote"), 1);
}

#[tokio::test]
async fn placement_timeout_is_settled_by_tag_without_a_second_order() {
    let sim = Sim::start().await;
    sim.lock().place_mode = Some(PlaceMode::BookThenStall(Duration::from_secs(2)));
    let client = client_with(sim.settings()); // 300 ms timeout
    let (mut broker, _) = with_touch(&client);
    let req = request(5, Side::Buy, OrderKind::Market);
    let t = Instant::now();
    let id = broker
        .place_order(&req)
        .await
        .expect("settled by the tag lookup");
    assert!(t.elapsed() < Duration::from_secs(2));
    let booked = sim.lock().orders[0]["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id, booked);
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
    assert!(sim.count("GET", "/orders") >= 1);
    // Asking again never re-sends.
    assert_eq!(broker.place_order(&req).await.unwrap(), id);
    assert_eq!(broker.find_by_tag(&req.tag).await.unwrap(), Some(id));
    let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Open)).await;
    assert!(evs.iter().any(is_status(OrderStatus::Open)));
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn unsettled_placement_stays_pending_until_the_book_shows_it() {
    let sim = Sim::start().await;
    sim.lock().place_mode = Some(PlaceMode::BookLater(Duration::from_millis(700)));
    let client = client_with(sim.settings());
    let (mut broker, _) = with_touch(&client);
    let req = request(6, Side::Buy, OrderKind::Market);
    let e = broker.place_order(&req).await.unwrap_err();
    assert!(matches!(e, BrokerError::Unknown(_)), "{e}");
    // Retrying the same order looks the tag up; it does not send it again.
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::Unknown(_))
    ));
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
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
    let booked = sim.lock().orders[0]["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(u.broker_order_id.as_deref(), Some(booked.as_str()));
    assert_eq!(broker.place_order(&req).await.unwrap(), booked);
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn placement_never_seen_is_reported_rejected_after_the_grace() {
    let sim = Sim::start().await;
    sim.lock().place_mode = Some(PlaceMode::BookLater(Duration::from_secs(30)));
    let mut s = sim.settings();
    s.orders.unknown_grace_secs = 1;
    let client = client_with(s);
    let (mut broker, _) = with_touch(&client);
    let req = request(8, Side::Buy, OrderKind::Market);
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
    let sim = Sim::start().await;
    let client = client_with(sim.settings());
    let (mut broker, _) = with_touch(&client);
    sim.lock().token_valid = false;
    let e = broker
        .place_order(&request(9, Side::Buy, OrderKind::Market))
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
    let sent = sim.lock().requests.len();
    // Further entries, reads and polls fail fast, without a request.
    for id in 10..15 {
        assert!(matches!(
            broker
                .place_order(&request(id, Side::Buy, OrderKind::Market))
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
        sim.lock().requests.len(),
        sent,
        "no request after the TokenException"
    );
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
    // A new login re-enables trading; the refused order (never placed) may be sent again.
    sim.lock().token_valid = true;
    client.set_access_token(AccessToken::new(ACCESS_TOKEN).unwrap());
    assert!(client.session().is_valid());
    broker
        .place_order(&request(9, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    assert_eq!(sim.count("POST", "/orders/regular"), 2);
}

#[tokio::test]
async fn http_429_backs_off_then_recovers() {
    let sim = Sim::start().await;
    let client = client_with(sim.settings()); // 429 pause 150 ms, doubling
    let (mut broker, _) = with_touch(&client);
    sim.lock().orders_429 = 2;
    let t = Instant::now();
    let snap = broker.snapshot().await.expect("recovers after two 429s");
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );
    let times: Vec<Instant> = sim
        .lock()
        .requests
        .iter()
        .filter(|(m, p, _)| m == "GET" && p == "/orders")
        .map(|r| r.2)
        .collect();
    assert_eq!(times.len(), 3);
    assert!(times[1] - times[0] >= Duration::from_millis(150));
    assert!(times[2] - times[1] >= Duration::from_millis(300));
    assert_eq!(snap.trades.len(), 4);
    // A 429 on placement: RateLimited (nothing placed); the next attempt waits out the pause.
    sim.lock().place_429 = 1;
    let req = request(21, Side::Buy, OrderKind::Market);
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
    assert_eq!(sim.count("POST", "/orders/regular"), 2);
    assert_eq!(sim.lock().orders.len(), 1, "one order in the book");
}

#[tokio::test]
async fn rejection_carries_kites_message() {
    let sim = Sim::start().await;
    sim.lock().place_mode = Some(PlaceMode::Reject("Markets are closed right now.".into()));
    let client = client_with(sim.settings());
    let (mut broker, _) = with_touch(&client);
    let req = request(30, Side::Buy, OrderKind::Market);
    match broker.place_order(&req).await {
        Err(BrokerError::Rejected(m)) => assert!(m.contains("Markets are closed"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Not re-sent on a repeat; a bad quantity is refused before sending.
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::Rejected(_))
    ));
    let mut odd = request(31, Side::Buy, OrderKind::Market);
    odd.quantity = 70;
    assert!(matches!(
        broker.place_order(&odd).await,
        Err(BrokerError::Rejected(_))
    ));
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn socket_drop_is_followed_by_resubscription() {
    let sim = Sim::start().await;
    let client = client_with(sim.settings());
    let mut feed = KiteFeed::spawn(&client, None, QuoteBook::new()).unwrap();
    let health = feed.health();
    feed.subscribe_segments(&[Segment::Nifty, Segment::BankNifty])
        .await
        .unwrap();
    assert!(matches!(
        feed.next_event().await,
        Some(MarketEvent::Feed(FeedStatus::Connected, _))
    ));
    assert!(
        wait_until(2.0, || sim
            .lock()
            .ws_text
            .iter()
            .filter(|(c, _)| *c == 0)
            .count()
            >= 2)
        .await
    );
    // 2024-06-03 09:15:00 IST.
    sim.ws_send(WsCmd::Binary(common::index_full_frame(
        256_265,
        2_231_240,
        1_717_386_300,
    )));
    match feed.next_event().await {
        Some(MarketEvent::Tick(t)) => {
            assert_eq!(t.token, 256_265);
            assert_eq!(t.price, dec!(22312.40));
            assert_eq!(fmt_iso(&t.ts), "2024-06-03T09:15:00+05:30");
        }
        other => panic!("{other:?}"),
    }
    assert!(health.snapshot().connected);
    let t0 = Instant::now();
    sim.ws_send(WsCmd::Drop);
    assert!(matches!(
        feed.next_event().await,
        Some(MarketEvent::Feed(FeedStatus::Disconnected, _))
    ));
    assert!(!health.snapshot().connected);
    let ev = tokio::time::timeout(Duration::from_secs(5), feed.next_event())
        .await
        .unwrap();
    assert!(
        matches!(ev, Some(MarketEvent::Feed(FeedStatus::Reconnected, _))),
        "{ev:?}"
    );
    // The new connection got the whole subscription set again, in full mode.
    assert!(
        wait_until(2.0, || sim
            .lock()
            .ws_text
            .iter()
            .filter(|(c, _)| *c == 1)
            .count()
            >= 2)
        .await
    );
    let texts: Vec<String> = sim
        .lock()
        .ws_text
        .iter()
        .filter(|(c, _)| *c == 1)
        .map(|t| t.1.clone())
        .collect();
    let sub: serde_json::Value =
        serde_json::from_str(texts.iter().find(|t| t.contains("subscribe")).unwrap()).unwrap();
    let mut tokens: Vec<u64> = sub["v"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    tokens.sort_unstable();
    assert_eq!(tokens, vec![256_265, 260_105]);
    let mode = texts.iter().find(|t| t.contains("\"mode\"")).unwrap();
    assert!(mode.contains("full"), "{mode}");
    sim.ws_send(WsCmd::Binary(common::index_full_frame(
        260_105,
        4_950_000,
        1_717_386_315,
    )));
    match feed.next_event().await {
        Some(MarketEvent::Tick(t)) => assert_eq!((t.token, t.price), (260_105, dec!(49500))),
        other => panic!("{other:?}"),
    }
    let h = health.snapshot();
    assert!(h.connected && h.reconnects == 1 && h.ticks == 2, "{h:?}");
    assert!(!h.is_stale(Duration::from_secs(10)));
    assert!(t0.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn refused_ticker_handshake_invalidates_the_session() {
    let sim = Sim::start().await;
    sim.lock().token_valid = false;
    let client = client_with(sim.settings());
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
    let sim = Sim::start().await;
    let h = KiteHistory::new(client_with(sim.settings()));
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
    let reqs = sim.lock().historical.clone();
    assert_eq!(
        reqs.len(),
        3,
        "150 days of minutes in windows under 60 days"
    );
    for (a, b) in &reqs {
        assert!(dt(b) - dt(a) < chrono::TimeDelta::days(60), "{a}..{b}");
    }
    // The same fixture in each window: de-duplicated on the timestamp.
    let n = common::fixture_json("historical_minute.json")["data"]["candles"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(bars.len(), n);
    assert_eq!(fmt_iso(&bars[0].ts), "2017-12-15T09:15:00+05:30");
    assert_eq!(
        (bars[0].open, bars[0].high, bars[0].low, bars[0].close),
        (dec!(1704.5), dec!(1705), dec!(1699.25), dec!(1702.8))
    );
    assert_eq!(bars[0].volume, Some(2499));
    // Warm-up: the last session with data before the date.
    let s = h
        .sessions_before(
            Segment::Nifty,
            NaiveDate::from_ymd_opt(2017, 12, 18).unwrap(),
            2,
        )
        .await
        .unwrap();
    assert_eq!(s.len(), 1, "one session in the fixture");
    assert_eq!(s[0].len(), n);
}

#[tokio::test]
async fn reconciliation_snapshot_modify_and_cancel() {
    let sim = Sim::start().await;
    let client = client_with(sim.settings());
    let (mut broker, _) = with_touch(&client);
    let id = broker
        .place_order(&request(
            40,
            Side::Buy,
            OrderKind::Limit { price: dec!(90) },
        ))
        .await
        .unwrap();
    broker
        .modify_order(
            &id,
            Modify {
                price: Some(dec!(91.5)),
                ..Modify::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sim.lock().orders[0]["price"], 91.5);
    let snap = broker.snapshot().await.unwrap();
    let mine: Vec<_> = snap.orders_with_tag("K260105000040").collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].price, dec!(91.5));
    assert_eq!(snap.net_positions[0].average_price, dec!(161.05));
    assert!(snap.open_positions().count() >= 1);
    assert_eq!(broker.available_margin().await.unwrap(), dec!(99725.05));
    broker.cancel_order(&id).await.unwrap();
    let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Cancelled)).await;
    assert!(evs.iter().any(is_status(OrderStatus::Cancelled)), "{evs:?}");
}

#[tokio::test]
async fn a_new_login_is_picked_up_from_the_session_file() {
    let sim = Sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kite_session.json");
    broker_kite::SessionFile {
        user_id: "XX0000".into(),
        user_name: "Kite Connect".into(),
        access_token: Some(AccessToken::new(ACCESS_TOKEN).unwrap()),
        login_time: "2026-01-05 08:55:02".into(),
        date: Some(day()),
        api_key: Some(API_KEY.into()),
        api_secret: None,
    }
    .save(&path)
    .unwrap();
    let mut s = sim.settings();
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
    assert_eq!(c2.validate_session().await.unwrap().user_id, "AB1234"); // profile.json
    assert!(!format!("{c2:?}").contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn a_socket_update_settles_an_unknown_placement() {
    let sim = Sim::start().await;
    sim.lock().place_mode = Some(PlaceMode::BookLater(Duration::from_secs(30)));
    let mut s = sim.settings();
    s.orders.poll_interval_ms = 60_000;
    let client = client_with(s);
    let (mut broker, quotes) = with_touch(&client);
    let mut feed = KiteFeed::spawn(&client, Some(broker.order_feed()), quotes).unwrap();
    assert!(matches!(
        feed.next_event().await,
        Some(MarketEvent::Feed(FeedStatus::Connected, _))
    ));
    let req = request(50, Side::Buy, OrderKind::Market);
    assert!(matches!(
        broker.place_order(&req).await,
        Err(BrokerError::Unknown(_))
    ));
    // The OMS got it after all: its order frame (with our tag) arrives on the socket.
    let mut row = common::fixture_json("postback.json");
    row["order_id"] = "1953000000000000050".into();
    row["tag"] = req.tag.clone().into();
    row["status"] = "OPEN".into();
    row["filled_quantity"] = 0.into();
    row["quantity"] = 65.into();
    sim.ws_send(WsCmd::Text(
        serde_json::json!({"type": "order", "data": row}).to_string(),
    ));
    let evs = poll_until(&mut broker, 2.0, is_status(OrderStatus::Open)).await;
    let u = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Order(u) => Some(u.clone()),
            _ => None,
        })
        .expect("settled by the socket update");
    assert_eq!(
        (u.id, u.broker_order_id.as_deref()),
        (OrderId(50), Some("1953000000000000050"))
    );
    assert_eq!(
        broker.place_order(&req).await.unwrap(),
        "1953000000000000050"
    );
    assert_eq!(sim.count("POST", "/orders/regular"), 1);
}

#[tokio::test]
async fn timers_follow_the_exchange_clock_while_silent() {
    let sim = Sim::start().await;
    let mut s = sim.settings();
    s.feed.timer_interval_ms = 100;
    let client = client_with(s);
    let mut feed = KiteFeed::spawn(&client, None, QuoteBook::new()).unwrap();
    feed.subscribe(&[256_265]).await.unwrap();
    assert!(matches!(
        feed.next_event().await,
        Some(MarketEvent::Feed(FeedStatus::Connected, _))
    ));
    // A past day streamed by a simulator: 2024-06-03 09:20:00 IST.
    sim.ws_send(WsCmd::Binary(common::index_full_frame(
        256_265,
        2_231_240,
        1_717_386_600,
    )));
    loop {
        match feed.next_event().await {
            Some(MarketEvent::Tick(_)) => break,
            Some(MarketEvent::Timer(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    match feed.next_event().await {
        Some(MarketEvent::Timer(t)) => {
            let tick = ist_hms(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(), 9, 20, 0);
            assert!(
                t >= tick && t < tick + chrono::TimeDelta::seconds(2),
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
    let sim = Sim::start().await;
    let client = KiteClient::new(sim.settings(), API_KEY, None).unwrap();
    client
        .exchange_request_token("rt", &ApiSecret::new(API_SECRET).unwrap())
        .await
        .unwrap();
    let (mut broker, quotes) = with_touch(&client);
    let mut feed = KiteFeed::spawn(&client, Some(broker.order_feed()), quotes).unwrap();
    let _ = feed.next_event().await;
    sim.lock().place_mode = Some(PlaceMode::BookThenStall(Duration::from_secs(1)));
    broker
        .place_order(&request(60, Side::Buy, OrderKind::Market))
        .await
        .unwrap();
    sim.ws_send(WsCmd::Drop);
    sim.lock().token_valid = false;
    let _ = broker
        .place_order(&request(61, Side::Buy, OrderKind::Market))
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
