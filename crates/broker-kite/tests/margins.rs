//! `KiteMargins` (the engine's `MarginCalculator`) on loopback: against a one-file server that
//! answers with Zerodha's fixtures (`basket_margins.json`, `margins.json`) — the request it
//! sends and the totals it reads — and against `kite-sim` (2024-06-03, NIFTY): a further-OTM
//! hedge lowers `final`, insufficient funds show, and errors map to `BrokerError`s by name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use broker_kite::{KiteClient, KiteMargins, KiteSettings};
use chrono::NaiveDate;
use domain::ports::{BrokerError, MarginCalculator, MarginLeg};
use domain::{Decimal, OptionContract, Product, Segment, Side};
use kite_sim::{Fault, SimConfig, SimMarket, Simulator};
use kiteconnect::AccessToken;
use rust_decimal_macros::dec;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn settings(base: String) -> KiteSettings {
    let mut s = KiteSettings {
        api_base_url: base,
        request_timeout_ms: 2_000,
        ..KiteSettings::default()
    };
    s.retry.min_delay_ms = 10;
    s.retry.max_delay_ms = 40;
    s.retry.max_retries = 1;
    s
}

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A loopback server answering `/margins/basket` and `/user/margins` with the fixtures;
/// it records each request's first line and body.
async fn fixture_server() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let n = s.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(i) = text.find("\r\n\r\n") {
                        let head = text[..i].to_string();
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= i + 4 + len || n == 0 {
                            break (head, text[i + 4..].to_string());
                        }
                    }
                };
                let line = head.lines().next().unwrap_or("").to_string();
                let name = if line.contains("/margins/basket") {
                    "basket_margins.json"
                } else {
                    "margins.json"
                };
                log.lock().unwrap().push((line, body));
                let payload = fixture(name);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
                    payload.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

fn a_leg(contract: OptionContract, side: Side) -> MarginLeg {
    MarginLeg {
        quantity: contract.lot_size,
        contract,
        side,
        product: Product::MIS,
        price: None,
    }
}

#[tokio::test]
async fn reads_zerodhas_fixtures_and_sends_a_basket_with_consider_positions() {
    let (base, seen) = fixture_server().await;
    let client = KiteClient::new(
        settings(base),
        "key",
        Some(AccessToken::new("token").unwrap()),
    )
    .unwrap();
    let c = OptionContract {
        segment: Segment::Nifty,
        exchange: domain::Exchange::NFO,
        expiry: NaiveDate::from_ymd_opt(2023, 7, 27).unwrap(),
        strike: dec!(20600),
        option_type: domain::OptionType::CE,
        lot_size: 50,
        tick_size: dec!(0.05),
        tradingsymbol: "NIFTY23JUL20600CE".into(),
        instrument_token: None,
    };
    let mut leg = a_leg(c, Side::Sell);
    leg.price = Some(dec!(53.45));
    let m = KiteMargins::new(client)
        .basket_margin(std::slice::from_ref(&leg))
        .await
        .unwrap();
    // basket_margins.json: initial.total 96504.975, final.total 34786.725000000006;
    // margins.json: equity.net 99725.05000000002 — to the paisa.
    assert_eq!(m.initial_total, dec!(96504.98));
    assert_eq!(m.final_total, dec!(34786.73));
    assert_eq!(m.available, Some(dec!(99725.05)));
    assert_eq!(m.sufficient(), Some(true));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0]
            .0
            .starts_with("POST /margins/basket?consider_positions=true"),
        "{seen:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&seen[0].1).unwrap();
    assert_eq!(
        body,
        serde_json::json!([{
            "exchange": "NFO", "tradingsymbol": "NIFTY23JUL20600CE", "transaction_type": "SELL",
            "variety": "regular", "product": "MIS", "order_type": "LIMIT", "quantity": 50,
            "price": 53.45
        }])
    );
    assert!(seen[1].0.starts_with("GET /user/margins"), "{seen:?}");
}

async fn sim(cash: Option<Decimal>) -> Simulator {
    let mut cfg = SimConfig::new(
        NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        vec![Segment::Nifty],
        SimMarket::default(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data"),
    );
    cfg.margins.available_cash = cash;
    Simulator::start(cfg).await.unwrap()
}

fn margins_on(sim: &Simulator) -> KiteMargins {
    let client = KiteClient::new(
        settings(sim.base_url()),
        sim.api_key(),
        Some(AccessToken::new(sim.access_token()).unwrap()),
    )
    .unwrap();
    KiteMargins::new(client)
}

#[tokio::test]
async fn through_kite_sim_a_hedge_lowers_the_margin_and_short_funds_show() {
    let sim = sim(None).await;
    let m = margins_on(&sim);
    let short = a_leg(sim.contract("NIFTY2460623300CE").unwrap(), Side::Sell);
    let hedge = a_leg(sim.contract("NIFTY2460623500CE").unwrap(), Side::Buy);
    let naked = m.basket_margin(std::slice::from_ref(&short)).await.unwrap();
    let hedged = m
        .basket_margin(&[hedge.clone(), short.clone()])
        .await
        .unwrap();
    assert_eq!(naked.initial_total, naked.final_total);
    assert!(
        hedged.final_total < naked.final_total,
        "{hedged:?} {naked:?}"
    );
    let premium = sim
        .premium(hedge.contract.instrument_token.unwrap())
        .unwrap();
    let lot = Decimal::from(short.quantity);
    assert_eq!(
        hedged.final_total,
        (dec!(200) * lot + premium * lot).round_dp(2)
    );
    assert_eq!(hedged.available, Some(SimMarket::default().capital));
    assert_eq!(hedged.sufficient(), Some(true));

    sim.inject(Fault::AvailableCash(dec!(5000)));
    let short_funds = m.basket_margin(&[hedge, short]).await.unwrap();
    assert_eq!(short_funds.available, Some(dec!(5000)));
    assert_eq!(short_funds.sufficient(), Some(false));
}

#[tokio::test]
async fn errors_are_named_broker_errors() {
    let sim = sim(Some(dec!(100000))).await;
    let m = margins_on(&sim);
    let short = a_leg(sim.contract("NIFTY2460623300CE").unwrap(), Side::Sell);

    // Refused locally: nothing sent.
    let before = sim.count("POST", "/margins/");
    let mut odd = short.clone();
    odd.quantity = 7;
    match m.basket_margin(&[odd]).await {
        Err(BrokerError::Rejected(msg)) => assert!(msg.contains("leg 1"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        m.basket_margin(&[]).await,
        Err(BrokerError::Rejected(_))
    ));
    assert_eq!(sim.count("POST", "/margins/"), before);

    // Refused by the simulator (InputException): not retried.
    let mut unknown = short.clone();
    unknown.contract.tradingsymbol = "NIFTY2460699950CE".into();
    match m.basket_margin(&[unknown]).await {
        Err(BrokerError::Rejected(msg)) => {
            assert!(
                msg.contains("InputException") && msg.contains("tradingsymbol"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.count("POST", "/margins/basket"), before + 1);

    // A failing calculator (HTTP 500) is retried once, then unavailable.
    sim.inject(Fault::MarginError {
        count: 2,
        message: "calculator down".into(),
    });
    match m.basket_margin(std::slice::from_ref(&short)).await {
        Err(BrokerError::Unavailable(msg)) => assert!(msg.contains("calculator down"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.count("POST", "/margins/basket"), before + 3);
    assert!(m.basket_margin(std::slice::from_ref(&short)).await.is_ok());

    // An expired token: session invalid.
    sim.inject(Fault::ExpireToken);
    assert!(matches!(
        m.basket_margin(std::slice::from_ref(&short)).await,
        Err(BrokerError::SessionInvalid(_))
    ));
}
