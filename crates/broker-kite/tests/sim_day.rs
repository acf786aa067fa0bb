//! The simulator against our own Kite adapter (`broker_kite` on the `kiteconnect` crate), on
//! loopback: session, instruments, historical warm-up, the day's ticks exactly as replay
//! makes them (through a feed stall and a socket drop), a placed order filled at the modelled
//! premium, RMS rejection, a delayed placement settled by tag, 429 and token expiry.
//!
//! One file on purpose (over 600 lines): `a_day_through_the_kite_adapter` is one ordered day
//! (~340 lines: session, instruments, warm-up, ticks, orders, faults) and the other scenarios
//! share its harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use broker_kite::history::Interval;
use broker_kite::instruments::verify_index_tokens;
use broker_kite::{
    InstrumentsMaster, KiteBroker, KiteClient, KiteError, KiteFeed, KiteHistory, KiteSettings,
    QuoteBook,
};
use broker_paper::pricer::{ModelParams, NoMarketPremiums, Pricer};
use catalog::replay::ReplayFeed;
use chrono::{NaiveDate, NaiveTime};
use domain::calendar::MarketCalendar;
use domain::order::{OrderId, OrderKind, OrderPurpose, OrderRequest, OrderStatus, Product};
use domain::ports::{Broker, BrokerEvent, ContractSource, FeedStatus, MarketData, MarketEvent};
use domain::time::{ist, ist_hms, session_close, session_open};
use domain::{Decimal, Exchange, OptionContract, OptionType, Segment, Side};
use kite_sim::{Fault, SimConfig, SimMarket, SimSegment, Simulator};
use rust_decimal_macros::dec;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

/// The market of `config/default.toml`: IV 0.14 / 0.16 / 0.14, default strike steps and
/// freeze limits, rate 0.065, capital ₹10,00,000.
fn market() -> SimMarket {
    let mut m = SimMarket::default();
    for (seg, iv) in [
        (Segment::Nifty, 0.14),
        (Segment::BankNifty, 0.16),
        (Segment::Sensex, 0.14),
    ] {
        m.segments.insert(
            seg,
            SimSegment {
                iv,
                ..SimSegment::defaults(seg, m.default_iv)
            },
        );
    }
    m
}

/// A simulator of the test day streaming `segments` from the shipped catalog.
fn sim_config(segments: &[Segment]) -> SimConfig {
    SimConfig::new(date(), segments.to_vec(), market(), root().join("data"))
}

fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).unwrap()
}

fn settings(sim: &Simulator, cache: &std::path::Path) -> KiteSettings {
    let mut s = KiteSettings {
        api_base_url: sim.base_url(),
        ticker_url: sim.ticker_url(),
        instruments_cache_dir: cache.to_path_buf(),
        request_timeout_ms: 1_500,
        ..KiteSettings::default()
    };
    s.retry.min_delay_ms = 20;
    s.retry.max_delay_ms = 80;
    s.rate_limits.backoff_initial_ms = 50;
    s.rate_limits.backoff_max_ms = 200;
    s.orders.poll_interval_ms = 100;
    s.feed.timer_interval_ms = 0;
    s.lot_sizes.insert("NIFTY".into(), 25);
    s.strike_steps.insert("NIFTY".into(), dec!(50));
    s
}

fn client(sim: &Simulator, s: KiteSettings) -> KiteClient {
    KiteClient::new(
        s,
        sim.api_key(),
        Some(kiteconnect::AccessToken::new(sim.access_token()).unwrap()),
    )
    .unwrap()
}

/// The index ticks replay feeds the engine for the day, then the closing publication at
/// 15:30 (each index at its last price): `(token, epoch seconds, price)`.
async fn expected_ticks(segments: &[Segment]) -> Vec<(u32, i64, Decimal)> {
    let catalog = catalog::Catalog::open(root().join("data")).unwrap();
    let bars: Vec<(Segment, u32, Vec<domain::Bar>)> = segments
        .iter()
        .map(|s| {
            let token = s.index_token().unwrap();
            (*s, token, catalog.bars(s.code(), date()).unwrap())
        })
        .collect();
    let mut feed = ReplayFeed::new(date(), &bars);
    let mut out = Vec::new();
    let mut last = std::collections::BTreeMap::new();
    while let Some(ev) = feed.next_event().await {
        match ev {
            MarketEvent::Tick(t) => {
                last.insert(t.token, t.price);
                out.push((t.token, t.ts.timestamp(), t.price));
            }
            MarketEvent::EndOfSession(end) => {
                for s in segments {
                    let tok = s.index_token().unwrap();
                    out.push((tok, end.timestamp(), last[&tok]));
                }
                break;
            }
            _ => {}
        }
    }
    out
}

fn request(id: u64, contract: &OptionContract, side: Side) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        tag: OrderId(id).tag(date()),
        contract: contract.clone(),
        side,
        quantity: contract.lot_size,
        kind: OrderKind::Market,
        product: Product::MIS,
        purpose: OrderPurpose::Entry,
        created: ist_hms(date(), 10, 0, 0),
    }
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
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    all
}

fn fill_of(evs: &[BrokerEvent]) -> Option<domain::order::Fill> {
    evs.iter().find_map(|e| match e {
        BrokerEvent::Fill(f) => Some(f.clone()),
        _ => None,
    })
}

async fn wait_for(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_through_the_kite_adapter() {
    let segments = [Segment::Nifty, Segment::BankNifty];
    let mut cfg = sim_config(&[Segment::Nifty]);
    cfg.segments = segments.to_vec();
    cfg.faults = vec![
        (hms(10, 0, 0), Fault::StallFeed(Duration::from_secs(4))),
        (hms(11, 0, 0), Fault::DropSocket),
    ];
    let sim = Simulator::start(cfg).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = settings(&sim, &dir.path().join("cache"));

    // The session file the binaries read.
    let session = dir.path().join("sim/kite_session.json");
    sim.write_session_file(&session).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&session).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let file = broker_kite::SessionFile::load(&session).unwrap();
    assert_eq!(file.user_id, "SIM001");
    assert_eq!(file.api_key.as_deref(), Some(sim.api_key()));
    assert_eq!(
        file.access_token.as_ref().unwrap().expose(),
        sim.access_token()
    );
    let c = client(&sim, s.clone());
    assert_eq!(c.validate_session().await.unwrap().user_id, "SIM001");
    if std::env::var_os("KITE_API_KEY").is_none() && std::env::var_os("KITE_ACCESS_TOKEN").is_none()
    {
        // What `paper` / `live-bin` do: credentials from the session file.
        let mut from_file = s.clone();
        from_file.session_file = Some(session.clone());
        let c2 = KiteClient::from_session(from_file).unwrap();
        assert_eq!(c2.validate_session().await.unwrap().user_id, "SIM001");
    }
    verify_index_tokens(&c, &segments).await.unwrap();

    // Instruments: the weekly of 6 June 2024, lot 25, strike step 50.
    let master = InstrumentsMaster::load(&c, &[Exchange::NFO], date())
        .await
        .unwrap();
    master
        .check_config(Segment::Nifty, date(), false, Some(dec!(23300)))
        .unwrap();
    let contract = master
        .option_contract(Segment::Nifty, date(), dec!(23000), OptionType::CE, false)
        .unwrap();
    assert_eq!(contract.tradingsymbol, "NIFTY2460623000CE");
    assert_eq!(contract.lot_size, 25);
    let opt_token = contract.instrument_token.unwrap();
    assert_eq!(
        sim.contract("NIFTY2460623000CE").unwrap().instrument_token,
        Some(opt_token)
    );

    // Warm-up history: the two sessions before the date, exactly the catalog's bars.
    let h = KiteHistory::new(c.clone());
    let sessions = h.sessions_before_token(256_265, date(), 2).await.unwrap();
    assert_eq!(sessions.len(), 2);
    let catalog = catalog::Catalog::open(root().join("data")).unwrap();
    let prior: Vec<NaiveDate> = catalog
        .bar_dates("NIFTY")
        .unwrap()
        .into_iter()
        .filter(|d| *d < date())
        .collect();
    for (got, d) in sessions.iter().zip(&prior[prior.len() - 2..]) {
        let want: Vec<_> = catalog
            .bars("NIFTY", *d)
            .unwrap()
            .into_iter()
            .filter(|b| b.ts.time() >= session_open() && b.ts.time() <= hms(15, 29, 0))
            .collect();
        assert_eq!(got.len(), want.len(), "{d}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                (g.ts, g.open, g.high, g.low, g.close),
                (w.ts, w.open, w.high, w.low, w.close)
            );
        }
    }
    let d = *prior.last().unwrap();
    let five = h
        .candles(
            260_105,
            Interval::Minute5,
            d.and_time(session_open()),
            d.and_time(session_close()),
        )
        .await
        .unwrap();
    assert_eq!(five.len(), 75, "09:15 … 15:25");
    // The simulated day itself is not visible before it is streamed.
    let today = h
        .candles(
            256_265,
            Interval::Minute,
            date().and_time(session_open()),
            date().and_time(session_close()),
        )
        .await
        .unwrap();
    assert!(today.is_empty());
    assert!(!sim.status().started);

    // Subscribe: streaming starts. Index ticks must equal replay's, in order, through a
    // 4 s stall at 10:00 and a socket drop at 11:00.
    let expected = expected_ticks(&segments).await;
    let quotes = QuoteBook::new();
    let mut broker = KiteBroker::new(c.clone(), quotes.clone());
    let mut feed = KiteFeed::spawn(&c, Some(broker.order_feed()), quotes).unwrap();
    feed.subscribe_segments(&segments).await.unwrap();
    feed.subscribe(&[opt_token]).await.unwrap();
    let mut got: Vec<(u32, i64, Decimal)> = Vec::new();
    let mut option_ticks = 0usize;
    let (mut drops, mut reconnects) = (0, 0);
    let mut placed = None;
    let before_stall = ist_hms(date(), 9, 59, 45).timestamp();
    let deadline = Instant::now() + Duration::from_secs(90);
    while got.len() < expected.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = tokio::time::timeout(left, feed.next_event())
            .await
            .expect("the day streams within 90 s")
            .expect("feed open");
        match ev {
            MarketEvent::Tick(t) if Segment::from_index_token(t.token).is_some() => {
                got.push((t.token, t.ts.timestamp(), t.price));
            }
            MarketEvent::Tick(t) => {
                assert_eq!(t.token, opt_token);
                assert!(
                    got.last().is_none_or(|l| l.1 <= t.ts.timestamp()),
                    "an option tick precedes its index tick in the frame"
                );
                option_ticks += 1;
            }
            MarketEvent::Feed(FeedStatus::Disconnected, _) => drops += 1,
            MarketEvent::Feed(FeedStatus::Reconnected, _) => reconnects += 1,
            _ => {}
        }
        // In the stall before 10:00:00: buy 1 lot of the ITM call at the market.
        if placed.is_none()
            && got.len() >= 2
            && got[got.len() - 2..].iter().all(|x| x.1 == before_stall)
        {
            assert!(
                wait_for(1.0, || {
                    let st = sim.status();
                    st.stalled && st.sim_time.timestamp() == before_stall
                })
                .await,
                "stalled with the sim clock at 09:59:45"
            );
            let spot = got.iter().rev().find(|x| x.0 == 256_265).unwrap().2;
            let req = request(1, &contract, Side::Buy);
            let id = broker.place_order(&req).await.unwrap();
            let evs = poll_until(&mut broker, 3.0, |e| matches!(e, BrokerEvent::Fill(_))).await;
            let fill = fill_of(&evs).expect("fill");
            assert!(
                evs.iter().any(
                    |e| matches!(e, BrokerEvent::Order(u) if u.status == OrderStatus::Complete)
                ),
                "{evs:?}"
            );
            // Premium = Black-76 as the paper broker models it, at 09:59:45 on NIFTY's price;
            // the marketable limit fills at the ask, one tick above.
            let m = market();
            let pricer = Pricer::new(
                Box::new(NoMarketPremiums),
                ModelParams {
                    iv: segments.iter().map(|s| (*s, m.segment(*s).iv)).collect(),
                    default_iv: m.default_iv,
                    rate: m.rate,
                },
                MarketCalendar::builtin(),
            );
            let at = ist_hms(date(), 9, 59, 45);
            let premium = pricer.model_premium(&contract, spot, at);
            assert_eq!((fill.quantity, fill.price), (25, premium + dec!(0.05)));
            assert_eq!(fill.ts, at);
            let book = sim.orders();
            assert_eq!(book.len(), 1);
            assert_eq!(book[0].order_id, id);
            assert_eq!(book[0].status, "COMPLETE");
            assert_eq!(book[0].placed_at, at);
            assert_eq!(
                book[0].history,
                [
                    "PUT ORDER REQ RECEIVED",
                    "VALIDATION PENDING",
                    "OPEN PENDING",
                    "OPEN",
                    "COMPLETE"
                ]
            );
            assert_eq!(book[0].tag.as_deref(), Some(req.tag.as_str()));
            placed = Some(id);
        }
    }
    assert!(placed.is_some(), "the order was placed during the stall");
    assert_eq!(got.len(), expected.len());
    for (i, (g, w)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, w, "tick {i}");
    }
    assert_eq!(
        *got.last().unwrap(),
        (
            260_105,
            ist(date(), session_close()).timestamp(),
            expected.last().unwrap().2
        )
    );
    assert!(
        drops >= 1 && reconnects >= 1,
        "dropped {drops}, reconnected {reconnects}"
    );
    assert!(option_ticks > 1000, "{option_ticks} option ticks");
    tokio::time::timeout(Duration::from_secs(5), sim.wait_finished())
        .await
        .unwrap();
    let st = sim.status();
    assert!(
        st.finished && st.ticks_sent == expected.len() as u64,
        "{st:?}"
    );
    assert_eq!(st.placements, 1);

    // 429: the next request is refused, then all is well.
    sim.inject(Fault::RateLimit { count: 1 });
    assert!(matches!(
        c.validate_session().await,
        Err(KiteError::RateLimited(_))
    ));
    c.validate_session().await.unwrap();

    // RMS rejection: success with an order id, then REJECTED with the message.
    sim.inject(Fault::RejectOrders {
        count: 1,
        message: "RMS: blocked by the simulator".into(),
    });
    broker
        .place_order(&request(2, &contract, Side::Buy))
        .await
        .unwrap();
    let evs = poll_until(
        &mut broker,
        3.0,
        |e| matches!(e, BrokerEvent::Order(u) if u.status == OrderStatus::Rejected),
    )
    .await;
    let rej = evs
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Order(u) if u.status == OrderStatus::Rejected => Some(u.clone()),
            _ => None,
        })
        .expect("rejected");
    assert!(rej.message.unwrap().contains("blocked by the simulator"));

    // A placement answered late (after the client's 1.5 s timeout) is in the book at once:
    // the adapter settles it by tag, without a second order; it fills at the close.
    sim.inject(Fault::DelayPlacement {
        delay: Duration::from_secs(4),
        count: 1,
    });
    let t0 = Instant::now();
    let exit = request(3, &contract, Side::Sell);
    broker.place_order(&exit).await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(4));
    let evs = poll_until(&mut broker, 3.0, |e| matches!(e, BrokerEvent::Fill(_))).await;
    let f = fill_of(&evs).expect("exit fill");
    assert_eq!(f.side, Side::Sell);
    assert_eq!(f.ts, ist(date(), session_close()));
    assert_eq!(sim.status().placements, 3);
    let snap = broker.snapshot().await.unwrap();
    let pos = snap
        .net_positions
        .iter()
        .find(|p| p.tradingsymbol == contract.tradingsymbol)
        .unwrap();
    assert_eq!(
        (pos.quantity, pos.buy_quantity, pos.sell_quantity),
        (0, 25, 25)
    );

    // Token expiry: REST 403, the socket is closed and the handshake refused for good.
    sim.inject(Fault::ExpireToken);
    assert!(matches!(
        c.validate_session().await,
        Err(KiteError::SessionInvalid(_))
    ));
    let health = feed.health();
    let closed = tokio::time::timeout(Duration::from_secs(6), async {
        while let Some(ev) = feed.next_event().await {
            let _ = ev;
        }
    })
    .await;
    assert!(closed.is_ok(), "the feed ends on the refused handshake");
    assert!(health.snapshot().closed.is_some());
    sim.inject(Fault::RestoreToken);
    client(&sim, s).validate_session().await.unwrap();
    sim.shutdown().await;
}

/// A minimal HTTP/1.1 client for the control endpoints (no auth, loopback).
async fn http(sim: &Simulator, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(sim.local_addr())
        .await
        .unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // Bodies may be chunked: take the JSON object.
    let json = body
        .find('{')
        .and_then(|a| body.rfind('}').map(|b| &body[a..=b]))
        .unwrap_or("null");
    (
        status,
        serde_json::from_str(json).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn control_endpoints_quotes_limits_and_a_refused_handshake() {
    let mut cfg = sim_config(&[Segment::Nifty]);
    cfg.segments = vec![Segment::Nifty];
    let sim = Simulator::start(cfg).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sim, settings(&sim, dir.path()));

    let (code, st) = http(&sim, "GET", "/sim/status", "").await;
    assert_eq!(code, 200);
    assert_eq!(st["data"]["started"], false);
    assert_eq!(st["data"]["sim_time"], "2024-06-03T09:15:00+05:30");

    // Quotes before the stream: the day's open; options priced on it.
    let q = c
        .kite()
        .quote(&["NSE:NIFTY 50", "NFO:NIFTY2460623300CE", "NSE:INFY"])
        .await
        .unwrap();
    assert_eq!(q["NSE:NIFTY 50"].last_price, 23337.9);
    assert_eq!(q["NSE:NIFTY 50"].instrument_token, 256_265);
    let o = &q["NFO:NIFTY2460623300CE"];
    let depth = o.depth.as_ref().unwrap();
    assert!((depth.sell[0].price - depth.buy[0].price - 0.1).abs() < 1e-9);
    assert!(depth.buy[0].quantity > 0);
    assert!(!q.contains_key("NSE:INFY"));
    let token = sim
        .contract("NIFTY2460623300CE")
        .unwrap()
        .instrument_token
        .unwrap();
    assert_eq!(
        o.last_price.to_string().parse::<Decimal>().unwrap(),
        sim.premium(token).unwrap()
    );

    // Historical: a span over Kite's limit is a 400 InputException.
    let from = NaiveDate::from_ymd_opt(2024, 1, 1)
        .unwrap()
        .and_time(session_open());
    let to = NaiveDate::from_ymd_opt(2024, 5, 31)
        .unwrap()
        .and_time(session_close());
    let e = c
        .kite()
        .historical_data(256_265, "minute", from, to, false, false)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("InputException") || e.to_string().contains("max limit"),
        "{e}"
    );
    let days = c
        .kite()
        .historical_data(256_265, "day", from, to, false, false)
        .await
        .unwrap();
    assert!(days.len() > 5);

    // Validation: not a lot multiple → 400, nothing booked.
    let p = kiteconnect::OrderParams::new()
        .exchange(kiteconnect::Exchange::Nfo)
        .tradingsymbol("NIFTY2460623300CE")
        .transaction_type(kiteconnect::TransactionType::Buy)
        .order_type(kiteconnect::OrderType::Market)
        .quantity(30)
        .product(kiteconnect::Product::Mis)
        .market_protection(-1.0);
    let e = c
        .kite()
        .place_order(kiteconnect::Variety::Regular, p)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("lot size"), "{e}");
    assert!(sim.orders().is_empty());
    assert_eq!(sim.status().placements, 0);

    // Order updates on the socket (to every connection), typed by the `kiteconnect` crate;
    // before streaming the clock is at the first tick (09:15:00) and NIFTY at its open.
    let (ticker, mut events) = c
        .kite()
        .ticker()
        .url(url::Url::parse(&sim.ticker_url()).unwrap())
        .spawn()
        .unwrap();
    assert!(matches!(
        tokio::time::timeout(Duration::from_secs(3), events.recv())
            .await
            .unwrap(),
        Some(kiteconnect::TickerEvent::Connected)
    ));
    let market = kiteconnect::OrderParams::new()
        .exchange(kiteconnect::Exchange::Nfo)
        .tradingsymbol("NIFTY2460623300CE")
        .transaction_type(kiteconnect::TransactionType::Buy)
        .order_type(kiteconnect::OrderType::Market)
        .quantity(25)
        .product(kiteconnect::Product::Mis)
        .market_protection(-1.0)
        .tag("T1");
    let before = sim.premium(token).unwrap();
    let id = c
        .kite()
        .place_order(kiteconnect::Variety::Regular, market)
        .await
        .unwrap()
        .order_id;
    assert_eq!(id.len(), 19);
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("COMPLETE") {
        match tokio::time::timeout(Duration::from_secs(3), events.recv())
            .await
            .unwrap()
        {
            Some(kiteconnect::TickerEvent::OrderUpdate(o)) => {
                assert_eq!(o.order_id, id);
                assert_eq!(o.tag.as_deref(), Some("T1"));
                if o.status == "COMPLETE" {
                    assert_eq!(o.filled_quantity, 25.0);
                    assert_eq!(o.order_timestamp.to_string(), "2024-06-03 09:15:00");
                }
                statuses.push(o.status.clone());
            }
            Some(kiteconnect::TickerEvent::InvalidOrderUpdate { error, .. }) => panic!("{error}"),
            Some(_) => {}
            None => panic!("ticker ended"),
        }
    }
    assert_eq!(statuses, ["OPEN", "COMPLETE"]);
    let history = c.kite().order_history(&id).await.unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[0].status, "PUT ORDER REQ RECEIVED");
    let trades = c.kite().order_trades(&id).await.unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(
        trades[0]
            .average_price
            .to_string()
            .parse::<Decimal>()
            .unwrap(),
        before + dec!(0.05)
    );
    assert_eq!(c.kite().trades().await.unwrap().len(), 1);
    // A resting limit: modify, cancel, and a second cancel refused.
    let limit = kiteconnect::OrderParams::new()
        .exchange(kiteconnect::Exchange::Nfo)
        .tradingsymbol("NIFTY2460623300CE")
        .transaction_type(kiteconnect::TransactionType::Buy)
        .order_type(kiteconnect::OrderType::Limit)
        .price(1.0)
        .quantity(50)
        .product(kiteconnect::Product::Mis);
    let lid = c
        .kite()
        .place_order(kiteconnect::Variety::Regular, limit)
        .await
        .unwrap()
        .order_id;
    c.kite()
        .modify_order(
            kiteconnect::Variety::Regular,
            &lid,
            kiteconnect::OrderParams::new().price(1.5).quantity(75),
        )
        .await
        .unwrap();
    let row = c.kite().order_history(&lid).await.unwrap().pop().unwrap();
    assert_eq!(
        (row.status.as_str(), row.price, row.quantity),
        ("OPEN", 1.5, 75.0)
    );
    assert_eq!(row.modified, Some(true));
    c.kite()
        .cancel_order(kiteconnect::Variety::Regular, &lid, None)
        .await
        .unwrap();
    let e = c
        .kite()
        .cancel_order(kiteconnect::Variety::Regular, &lid, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cancelled"), "{e}");
    let book = sim.orders();
    assert_eq!(book.len(), 2);
    assert_eq!(book[1].status, "CANCELLED");
    let pos = c.kite().positions().await.unwrap();
    assert_eq!(pos.net.len(), 1);
    assert_eq!(pos.net[0].quantity, 25);
    let m = c.kite().margins().await.unwrap();
    assert!(m.equity.net < 1_000_000.0);
    ticker.close();

    // Faults over HTTP: 429 on the next REST call.
    let (code, r) = http(
        &sim,
        "POST",
        "/sim/faults",
        r#"{"kind":"rate_limit","count":1}"#,
    )
    .await;
    assert_eq!(code, 200, "{r}");
    assert!(matches!(
        c.validate_session().await,
        Err(KiteError::RateLimited(_))
    ));
    let (code, _) = http(&sim, "POST", "/sim/faults", r#"{"kind":"melt"}"#).await;
    assert_eq!(code, 400);
    // Wrong token on REST and on the ticker handshake.
    let bad = KiteClient::new(
        settings(&sim, dir.path()),
        sim.api_key(),
        Some(kiteconnect::AccessToken::new("not-the-token").unwrap()),
    )
    .unwrap();
    assert!(matches!(
        bad.validate_session().await,
        Err(KiteError::SessionInvalid(_))
    ));
    let mut feed = KiteFeed::spawn(&bad, None, QuoteBook::new()).unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(3), feed.next_event())
        .await
        .unwrap();
    assert!(
        matches!(ev, Some(MarketEvent::Feed(FeedStatus::Disconnected, _))),
        "{ev:?}"
    );
    assert!(feed.next_event().await.is_none(), "the feed ends for good");
    let (_, orders) = http(&sim, "GET", "/sim/orders", "").await;
    assert_eq!(orders["data"].as_array().unwrap().len(), 2);
    assert_eq!(orders["data"][0]["status"], "COMPLETE");
    sim.shutdown().await;
}

#[tokio::test]
async fn contract_source_parity_with_replay() {
    // The dump's contracts are the ones replay builds from the expiry calendar (same symbol,
    // expiry, lot), so paper/live trade what replay trades.
    let mut cfg = sim_config(&[Segment::Nifty]);
    cfg.segments = vec![Segment::Nifty, Segment::BankNifty];
    let sim = Simulator::start(cfg).await.unwrap();
    let cal = catalog::replay::CalendarContracts::new(
        domain::calendar::ExpiryCalendar::builtin(),
        domain::calendar::LotSizes::builtin(),
    );
    for (seg, strike, ot) in [
        (Segment::Nifty, dec!(23200), OptionType::CE),
        (Segment::Nifty, dec!(23500), OptionType::PE),
        (Segment::BankNifty, dec!(49500), OptionType::CE),
    ] {
        let want = cal.option_contract(seg, date(), strike, ot, false).unwrap();
        let got = sim.contract(&want.tradingsymbol).expect("listed");
        assert_eq!(
            (got.expiry, got.lot_size, got.tick_size, got.strike),
            (want.expiry, want.lot_size, want.tick_size, want.strike)
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn pacing_heartbeats_and_stall() {
    let mut cfg = sim_config(&[Segment::Nifty]);
    cfg.segments = vec![Segment::Nifty];
    // 600× real time: ticks 15 s apart arrive 25 ms apart.
    cfg.speed = kite_sim::Speed::Times(600.0);
    let sim = Simulator::start(cfg).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sim, settings(&sim, dir.path()));
    let (ticker, mut events) = c
        .kite()
        .ticker()
        .url(url::Url::parse(&sim.ticker_url()).unwrap())
        .spawn()
        .unwrap();
    assert!(matches!(
        tokio::time::timeout(Duration::from_secs(3), events.recv())
            .await
            .unwrap(),
        Some(kiteconnect::TickerEvent::Connected)
    ));
    // Connected but not subscribed: heartbeats only, the day does not start.
    assert!(wait_for(2.5, || sim.status().heartbeats_sent >= 1).await);
    assert!(!sim.status().started);
    ticker
        .subscribe(&[256_265], kiteconnect::Mode::Full)
        .unwrap();
    let mut times = Vec::new();
    let mut stamps = Vec::new();
    while times.len() < 9 {
        match tokio::time::timeout(Duration::from_secs(3), events.recv())
            .await
            .unwrap()
        {
            Some(kiteconnect::TickerEvent::Ticks(t)) => {
                for k in t {
                    times.push(Instant::now());
                    stamps.push(k.exchange_time.unwrap());
                }
            }
            Some(_) => {}
            None => panic!("ticker ended"),
        }
    }
    let first = ist_hms(date(), 9, 15, 0).timestamp();
    let want: Vec<u32> = (0..9)
        .map(|i| u32::try_from(first + 15 * i).unwrap())
        .collect();
    assert_eq!(stamps, want);
    let span = times[8] - times[0];
    assert!(span >= Duration::from_millis(180), "{span:?}");
    // A stall: nothing at all (no ticks, no heartbeats) for its duration, then the stream goes on.
    sim.inject(Fault::StallFeed(Duration::from_millis(1500)));
    let hb = sim.status().heartbeats_sent;
    let t0 = Instant::now();
    let mut last_tick = None;
    while t0.elapsed() < Duration::from_millis(1300) {
        if let Ok(Some(kiteconnect::TickerEvent::Ticks(t))) =
            tokio::time::timeout(Duration::from_millis(100), events.recv()).await
        {
            last_tick = Some((t0.elapsed(), t[0].exchange_time));
        }
    }
    // At most the frame already in flight when the stall began.
    assert!(
        last_tick.is_none_or(|(at, _)| at < Duration::from_millis(100)),
        "{last_tick:?}"
    );
    assert!(sim.status().stalled);
    assert_eq!(sim.status().heartbeats_sent, hb);
    let resumed = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Some(kiteconnect::TickerEvent::Ticks(_)) = events.recv().await {
                break;
            }
        }
    })
    .await;
    assert!(resumed.is_ok());
    assert!(!sim.status().stalled);
    ticker.close();
    sim.shutdown().await;
}
