//! NSE stocks in the simulator (issue 15, seed 001 paper/live) on the shipped 2025 1-minute
//! bars with volume (RELIANCE, TCS): the streamed day is exactly replay's ticks with their
//! volume, the NSE instruments dump lists the shares' `EQ` rows with their real tokens and
//! NSE's tick size of the date, a subscribed stock token gets packets that Zerodha's
//! `kiteconnect` ticker decodes to the stream price and the day's cumulative volume, MARKET
//! BUY and short SELL orders fill at the stream price and show in positions, quotes and margins
//! answer for `NSE:RELIANCE`, and the historical minute candles of a stock token are its
//! catalog bars with volume.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use catalog::Catalog;
use catalog::replay::ReplayFeed;
use chrono::{NaiveDate, NaiveTime};
use domain::calendar::{LotSizes, MarketCalendar};
use domain::{Decimal, Exchange, OptionType, Segment, Tick};
use kite_sim::market::{Day, Universe};
use kite_sim::{SimConfig, SimMarket, Simulator, Speed};
use kiteconnect::{
    AccessToken, KiteConnect, OrderParams, OrderType, Product, TickerEvent, TransactionType,
    Variety,
};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const RELIANCE_TOKEN: u32 = 738_561;
const TCS_TOKEN: u32 = 2_953_217;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 13).unwrap()
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn stock(s: &str) -> Segment {
    s.parse().unwrap()
}

fn stocks() -> Vec<Segment> {
    vec![stock("RELIANCE"), stock("TCS")]
}

/// The delivered ticks of a day (closing publication left out), as replay's `Tick`s.
fn day_ticks(d: &Day) -> Vec<Tick> {
    d.groups
        .iter()
        .filter(|g| !g.closing)
        .flat_map(|g| {
            g.ticks.iter().map(|(s, p, v)| Tick {
                token: d.token(*s),
                ts: g.ts,
                price: *p,
                volume: *v,
            })
        })
        .collect()
}

/// `(price ₹, cumulative volume)` of `seg` after every tick of `d` up to and including `until`.
fn stream_of(d: &Day, seg: Segment) -> Vec<(domain::time::IstDateTime, Decimal, u64)> {
    let mut cum = 0;
    let mut out = Vec::new();
    for g in d.groups.iter().filter(|g| !g.closing) {
        for (s, p, v) in &g.ticks {
            if *s == seg {
                cum += v.unwrap_or(0);
                out.push((g.ts, *p, cum));
            }
        }
    }
    out
}

/// The stream price of `seg` at `t` (IST): its last tick at or before `t`.
fn price_at(d: &Day, seg: Segment, t: NaiveTime) -> Decimal {
    stream_of(d, seg)
        .into_iter()
        .rfind(|(ts, _, _)| ts.time() <= t)
        .unwrap()
        .1
}

fn dec(x: f64) -> Decimal {
    Decimal::try_from(x).unwrap().round_dp(2)
}

#[tokio::test]
async fn day_load_streams_stocks_exactly_as_replay_with_volume() {
    let catalog = Catalog::open(data()).unwrap();
    let d = Day::load(&catalog, &SimMarket::default(), day(), &stocks())
        .await
        .unwrap();
    assert_eq!(d.segments, stocks());
    assert_eq!(d.token(stock("RELIANCE")), RELIANCE_TOKEN);
    assert_eq!(d.token(stock("TCS")), TCS_TOKEN);
    assert_eq!(d.segment_of_token(TCS_TOKEN), Some(stock("TCS")));
    let bars: Vec<(Segment, u32, Vec<domain::Bar>)> = stocks()
        .into_iter()
        .map(|s| (s, d.token(s), catalog.bars(s.code(), day()).unwrap()))
        .collect();
    let want = ReplayFeed::ticks(&bars);
    let got = day_ticks(&d);
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want, "token, time, price and volume of every tick");
    // The bar's volume rides on its close tick: RELIANCE's 09:15 bar traded 339113 shares.
    let first: Vec<Option<u64>> = got
        .iter()
        .filter(|t| t.token == RELIANCE_TOKEN)
        .take(4)
        .map(|t| t.volume)
        .collect();
    assert_eq!(first, [None, None, None, Some(339_113)]);
    // The closing publication: each stock at its last price, no volume.
    let closing = d.groups.last().unwrap();
    assert!(closing.closing);
    let last = |tok: u32| want.iter().rfind(|t| t.token == tok).unwrap().price;
    assert_eq!(
        closing.ticks,
        vec![
            (stock("RELIANCE"), last(RELIANCE_TOKEN), None),
            (stock("TCS"), last(TCS_TOKEN), None)
        ]
    );
    // The day's open and the previous session's close (2025-01-10) come from the catalog.
    assert_eq!(d.open[&stock("RELIANCE")], Decimal::new(1230, 0));
    let prev = catalog.bars("RELIANCE", NaiveDate::from_ymd_opt(2025, 1, 10).unwrap());
    assert_eq!(
        d.prev_close[&stock("RELIANCE")],
        prev.unwrap().last().unwrap().close
    );
}

#[tokio::test]
async fn a_stock_without_an_instruments_row_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("FOO")).unwrap();
    std::fs::copy(
        data().join("RELIANCE/2025-01-13.csv.gz"),
        dir.path().join("FOO/2025-01-13.csv.gz"),
    )
    .unwrap();
    let catalog = Catalog::open(dir.path()).unwrap();
    let e = Day::load(&catalog, &SimMarket::default(), day(), &[stock("FOO")])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("FOO") && e.contains("instruments.csv"), "{e}");
}

#[tokio::test]
async fn the_nse_dump_lists_the_shares_with_real_tokens_and_the_dates_tick_size() {
    let catalog = Catalog::open(data()).unwrap();
    let build = |d: &Day| {
        Universe::build(
            d,
            &SimMarket::default(),
            &MarketCalendar::builtin(),
            &LotSizes::builtin(),
        )
    };
    let jan = Day::load(&catalog, &SimMarket::default(), day(), &stocks())
        .await
        .unwrap();
    let u = build(&jan);
    assert_eq!(u.options.len(), 2, "two shares, no options");
    let nse = u.csv(Some("NSE"));
    assert!(nse.contains("256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\n"));
    assert!(
        nse.contains("738561,2885,RELIANCE,RELIANCE,0.0,,0.0,0.05,1,EQ,NSE,NSE\n"),
        "{nse}"
    );
    assert!(nse.contains("2953217,11536,TCS,TCS,0.0,,0.0,0.05,1,EQ,NSE,NSE\n"));
    assert_eq!(u.csv(Some("NFO")).lines().count(), 1, "no options listed");
    assert!(u.csv(None).contains(",RELIANCE,RELIANCE,"));
    assert!(!u.csv(Some("BSE")).contains("RELIANCE"));
    for (sym, tok) in [("RELIANCE", RELIANCE_TOKEN), ("TCS", TCS_TOKEN)] {
        let i = u.by_symbol(Exchange::NSE, sym).unwrap();
        assert_eq!(u.by_token(tok).unwrap(), i);
        assert!(i.is_stock());
        let c = &i.contract;
        assert_eq!(
            (c.option_type, c.exchange, c.segment, c.lot_size),
            (OptionType::EQ, Exchange::NSE, stock(sym), 1)
        );
        assert_eq!(c.tick_size, Decimal::new(5, 2));
        assert_eq!(i.exchange_token, tok >> 8);
    }
    // After NSE's tick-size revision of 2025-04-15: RELIANCE (₹1,000–5,000) ticks ₹0.10.
    let july = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    let jul = Day::load(&catalog, &SimMarket::default(), july, &[stock("RELIANCE")])
        .await
        .unwrap();
    let u = build(&jul);
    let r = u.by_symbol(Exchange::NSE, "RELIANCE").unwrap();
    assert_eq!(
        r.contract.tick_size,
        domain::instrument::nse_equity_tick_size(july, jul.open[&stock("RELIANCE")])
    );
    assert_eq!(r.contract.tick_size, Decimal::new(10, 2));
    assert!(
        u.csv(Some("NSE"))
            .contains("738561,2885,RELIANCE,RELIANCE,0.0,,0.0,0.1,1,EQ,NSE,NSE\n")
    );
}

async fn start() -> Simulator {
    let mut cfg = SimConfig::new(day(), stocks(), SimMarket::default(), data());
    cfg.speed = Speed::Max;
    Simulator::start(cfg).await.unwrap()
}

fn kite(sim: &Simulator) -> KiteConnect {
    KiteConnect::builder(sim.api_key())
        .access_token(AccessToken::new(sim.access_token()).unwrap())
        .base_url(sim.base_url())
        .build()
        .unwrap()
}

/// A minimal authorised HTTP/1.1 request on loopback: (status, body text).
async fn http(sim: &Simulator, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(sim.local_addr())
        .await
        .unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: token {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sim.api_key(),
        sim.access_token(),
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

async fn http_json(sim: &Simulator, method: &str, path: &str, body: &str) -> Value {
    let (status, text) = http(sim, method, path, body).await;
    assert_eq!(status, 200, "{method} {path}: {text}");
    serde_json::from_str::<Value>(&text).unwrap()["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribed_stock_token_gets_packets_with_the_stream_price_and_cumulative_volume() {
    let sim = start().await;
    let catalog = Catalog::open(data()).unwrap();
    let d = Day::load(&catalog, &SimMarket::default(), day(), &stocks())
        .await
        .unwrap();
    let want: Vec<_> = stream_of(&d, stock("RELIANCE"))
        .into_iter()
        .take(12)
        .collect();
    let k = kite(&sim);
    let (ticker, mut ev) = k
        .ticker()
        .url(url::Url::parse(&sim.ticker_url()).unwrap())
        .spawn()
        .unwrap();
    ticker
        .subscribe(&[RELIANCE_TOKEN], kiteconnect::ticker::Mode::Full)
        .unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while got.len() < want.len() {
            match ev.recv().await {
                Some(TickerEvent::Ticks(ticks)) => got.extend(ticks),
                Some(_) => {}
                None => panic!("ticker ended"),
            }
        }
    })
    .await
    .expect("12 RELIANCE packets");
    for (t, (ts, price, cum)) in got.iter().zip(&want) {
        assert_eq!(t.instrument_token, RELIANCE_TOKEN);
        assert!(!t.is_index);
        assert_eq!(dec(t.last_price.unwrap()), *price);
        assert_eq!(t.volume, Some(*cum), "volume_traded at {ts}");
        assert_eq!(
            t.exchange_time,
            Some(u32::try_from(ts.timestamp()).unwrap())
        );
        assert_eq!(dec(t.open.unwrap()), d.open[&stock("RELIANCE")]);
        assert_eq!(dec(t.close.unwrap()), d.prev_close[&stock("RELIANCE")]);
        let depth = t.depth.as_ref().unwrap();
        assert_eq!(dec(depth.buy[0].price), *price);
        assert_eq!(dec(depth.sell[0].price), *price);
    }
    // The first bar's volume arrives with its close tick; the next bar adds its own.
    assert_eq!(
        got.iter()
            .take(8)
            .map(|t| t.volume.unwrap())
            .collect::<Vec<_>>(),
        [
            0,
            0,
            0,
            339_113,
            339_113,
            339_113,
            339_113,
            339_113 + 127_241
        ]
    );
    ticker.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eq_market_orders_fill_at_the_stream_price_long_and_short() {
    let sim = start().await;
    let catalog = Catalog::open(data()).unwrap();
    let d = Day::load(&catalog, &SimMarket::default(), day(), &stocks())
        .await
        .unwrap();
    let rel = stock("RELIANCE");
    let k = kite(&sim);
    let order = |side: TransactionType, qty: i64| {
        OrderParams::new()
            .exchange(kiteconnect::Exchange::Nse)
            .tradingsymbol("RELIANCE")
            .transaction_type(side)
            .order_type(OrderType::Market)
            .quantity(qty)
            .product(Product::Mis)
            .tag("SCAN1")
    };

    // 09:30: the stream price; quotes, margins and a long entry.
    let t1 = NaiveTime::from_hms_opt(9, 30, 0).unwrap();
    sim.advance_until(t1).await;
    let p1 = price_at(&d, rel, t1);
    let ltp = http_json(&sim, "GET", "/quote/ltp?i=NSE:RELIANCE", "").await;
    assert_eq!(ltp["NSE:RELIANCE"]["instrument_token"], RELIANCE_TOKEN);
    assert_eq!(dec(ltp["NSE:RELIANCE"]["last_price"].as_f64().unwrap()), p1);
    let q = http_json(&sim, "GET", "/quote?i=NSE:RELIANCE", "").await;
    let q = &q["NSE:RELIANCE"];
    assert_eq!(
        dec(q["ohlc"]["open"].as_f64().unwrap()),
        Decimal::new(1230, 0)
    );
    let cum = stream_of(&d, rel)
        .into_iter()
        .rfind(|(ts, _, _)| ts.time() <= t1)
        .unwrap()
        .2;
    assert_eq!(q["volume"].as_u64(), Some(cum));
    let m = http_json(
        &sim,
        "POST",
        "/margins/orders",
        &json!([{"exchange": "NSE", "tradingsymbol": "RELIANCE", "transaction_type": "BUY",
                  "variety": "regular", "product": "MIS", "order_type": "MARKET",
                  "quantity": 100, "price": 0, "trigger_price": 0}])
        .to_string(),
    )
    .await;
    // Zerodha's MIS equity margin: 20 % of the order value (5× leverage).
    let value = p1 * Decimal::from(100);
    assert_eq!(
        dec(m[0]["total"].as_f64().unwrap()),
        (value / Decimal::from(5)).round_dp(2)
    );
    assert_eq!(m[0]["leverage"], 5);
    let buy = k
        .place_order(Variety::Regular, order(TransactionType::Buy, 10))
        .await
        .unwrap()
        .order_id;

    // 10:00: a SELL of 20 closes the 10 and opens a short of 10.
    let t2 = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
    sim.advance_until(t2).await;
    let p2 = price_at(&d, rel, t2);
    assert_ne!(p1, p2, "the price moved");
    let sell = k
        .place_order(Variety::Regular, order(TransactionType::Sell, 20))
        .await
        .unwrap()
        .order_id;
    let book = sim.orders();
    assert_eq!(book.len(), 2);
    for (o, id, price, qty) in [(&book[0], &buy, p1, 10), (&book[1], &sell, p2, 20)] {
        assert_eq!(&o.order_id, id);
        assert_eq!((o.exchange.as_str(), o.product.as_str()), ("NSE", "MIS"));
        assert_eq!(o.instrument_token, RELIANCE_TOKEN);
        assert_eq!(o.status, "COMPLETE", "{o:?}");
        assert_eq!(o.fills.len(), 1);
        assert_eq!((o.fills[0].price, o.fills[0].quantity), (price, qty));
    }
    let pos = k.positions().await.unwrap();
    assert_eq!(pos.net.len(), 1);
    let p = &pos.net[0];
    assert_eq!(
        (
            p.tradingsymbol.as_str(),
            p.exchange.as_str(),
            p.product.as_str()
        ),
        ("RELIANCE", "NSE", "MIS")
    );
    assert_eq!((p.quantity, p.buy_quantity, p.sell_quantity), (-10, 10, 20));
    assert_eq!(dec(p.last_price), p2);
    assert_eq!(dec(p.average_price), p2);

    // The account: P&L of the day at the price now, less the short's MIS margin.
    let eq = http_json(&sim, "GET", "/user/margins/equity", "").await;
    let pnl = (p2 - p1) * Decimal::from(10);
    let blocked = p2 * Decimal::from(10) / Decimal::from(5);
    let capital = SimMarket::default().capital;
    assert_eq!(
        dec(eq["net"].as_f64().unwrap()),
        (capital + pnl - blocked).round_dp(2)
    );
    assert_eq!(
        dec(eq["utilised"]["exposure"].as_f64().unwrap()),
        blocked.round_dp(2)
    );
}

#[tokio::test]
async fn historical_minute_candles_of_a_stock_token_are_its_catalog_bars_with_volume() {
    let sim = start().await;
    let catalog = Catalog::open(data()).unwrap();
    let prev = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap();
    for (tok, sym) in [(RELIANCE_TOKEN, "RELIANCE"), (TCS_TOKEN, "TCS")] {
        let path = format!(
            "/instruments/historical/{tok}/minute?from=2025-01-09%2009:15:00&to=2025-01-10%2015:30:00"
        );
        let c = http_json(&sim, "GET", &path, "").await;
        let candles = c["candles"].as_array().unwrap();
        let mut want = catalog
            .bars(sym, NaiveDate::from_ymd_opt(2025, 1, 9).unwrap())
            .unwrap();
        want.extend(catalog.bars(sym, prev).unwrap());
        let want: Vec<Value> = want.iter().map(kite_sim::history::candle_json).collect();
        assert_eq!(candles.len(), want.len(), "{sym}");
        assert_eq!(candles, &want, "{sym}");
        assert!(want.iter().all(|c| c[5].as_u64().unwrap() > 0), "volume");
    }
    // Before the stream starts, today's candles are not out yet.
    let today = http_json(
        &sim,
        "GET",
        &format!(
            "/instruments/historical/{RELIANCE_TOKEN}/minute?from=2025-01-13%2009:15:00&to=2025-01-13%2015:30:00"
        ),
        "",
    )
    .await;
    assert_eq!(today["candles"], json!([]));
}
