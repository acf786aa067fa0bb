//! The console over real HTTP (issue 11, spec §12): the `console` server on the session
//! `Supervisor`, a paper (then a live) session on `kite-sim` streaming 2024-06-03. Every
//! mutating call without the token or with a wrong one is 401 and changes nothing; malformed
//! bodies are 400 naming the field; the status cards follow the day; stop-trading blocks the
//! next entry with its reason and start-trading resumes; close-position and close-all close with
//! reason `MANUAL`; in live mode a manual LIMIT order rests at the simulator and cancel-order
//! cancels it there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;
mod sim_support;

use console_support::*;
use domain::Segment;
use live::SessionKind;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_day_through_the_http_api() {
    let s = Stack::start(SessionKind::Paper, 240.0).await;
    let st = s.wait_status("both cards", |v| cards(v).len() == 2).await;
    let segs: Vec<String> = cards(&st)
        .iter()
        .map(|c| c["segment"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(segs, ["NIFTY", "BANKNIFTY"]);

    // Without the token, or with a wrong one: 401, and nothing happens.
    let mutating = [
        ("/live/stop-trading", "{}"),
        ("/live/start-trading", "{}"),
        ("/live/pause", "{}"),
        ("/live/resume", "{}"),
        ("/live/close-all", "{}"),
        ("/live/close-position/NIFTY", "{}"),
        (
            "/live/place-order",
            r#"{"tradingsymbol":"NIFTY2460623000CE","side":"BUY","quantity":25}"#,
        ),
        (
            "/live/test-order",
            r#"{"tradingsymbol":"NIFTY2460623000CE","side":"BUY","quantity":25}"#,
        ),
        ("/live/cancel-order/1", "{}"),
        ("/live/auth/complete", r#"{"request_token":"x"}"#),
    ];
    let before = events(&s.get("/live/events?from=0").await).len();
    for (path, body) in mutating {
        for token in [None, Some("wrong-token")] {
            let (code, v) = s.call("POST", path, token, Some(body)).await;
            assert_eq!(code, 401, "POST {path} with {token:?}: {v}");
            assert!(v["error"].is_string(), "{v}");
        }
    }
    let after = events(&s.get("/live/events?from=0").await);
    assert!(
        after[before..]
            .iter()
            .all(|e| e["event"] != "operator" && e["event"] != "kill_switch"),
        "an unauthorised call did something: {:?}",
        &after[before..]
    );
    assert!(snapshot(&s.wait_status("allowed", |_| true).await)["entries_allowed"] == true);

    // Malformed bodies: 400 naming the field.
    for (body, field) in [
        (
            r#"{"tradingsymbol":"NIFTY2460623000CE","side":"BUY","quantity":"ten"}"#,
            "quantity",
        ),
        (
            r#"{"tradingsymbol":"NIFTY2460623000CE","side":"BUY","quantity":25,"colour":"red"}"#,
            "colour",
        ),
        (
            r#"{"tradingsymbol":"NIFTY2460623000CE","side":"HOLD","quantity":25}"#,
            "side",
        ),
    ] {
        let (code, v) = s
            .call("POST", "/live/place-order", Some(TOKEN), Some(body))
            .await;
        assert_eq!(code, 400, "{body}: {v}");
        assert_eq!(v["field"], field, "{body}: {v}");
    }
    let (code, v) = s
        .call(
            "POST",
            "/live/start-trading",
            Some(TOKEN),
            Some(r#"{"rsi_period":"nine"}"#),
        )
        .await;
    assert_eq!(
        (code, v["field"].as_str()),
        (400, Some("rsi_period")),
        "{v}"
    );

    // A position: its card, then close-position → a MANUAL trade.
    let st = s
        .wait_status("a position", |v| in_position(v).is_some())
        .await;
    let seg = in_position(&st).unwrap();
    let n = trades(&st).len();
    s.post(&format!("/live/close-position/{seg}"), json!({}))
        .await;
    let st = s
        .wait_status("the manual close", |v| trades(v).len() > n)
        .await;
    let t = trades(&st).last().cloned().unwrap();
    assert_eq!(
        (t["segment"].as_str(), t["exit_reason"].as_str()),
        (Some(seg.as_str()), Some("MANUAL")),
        "{t}"
    );

    // stop-trading: the next signal is refused with the rule; start-trading: entries again.
    let from = events(&s.get("/live/events?from=0").await).len();
    s.post("/live/stop-trading", json!({"close_all": false}))
        .await;
    let st = s
        .wait_status("stopped", |v| snapshot(v)["entries_stopped"] == true)
        .await;
    assert_eq!(snapshot(&st)["entries_allowed"], false);
    s.wait_event("an entry refused while stopped", from, |e| {
        e["data"]["rule"] == "entries_stopped"
    })
    .await;
    let from = events(&s.get("/live/events?from=0").await).len();
    let v = s.post("/live/start-trading", json!({})).await;
    assert_eq!(v["resumed"], true, "{v}");
    s.wait_event("an entry after start-trading", from, |e| {
        e["event"] == "entry"
    })
    .await;

    // close-all: every open position closes with reason MANUAL.
    let st = s
        .wait_status("a position to close", |v| in_position(v).is_some())
        .await;
    let n = trades(&st).len();
    s.post("/live/close-all", json!({})).await;
    let st = s
        .wait_status("close-all", |v| {
            trades(v).len() > n && in_position(v).is_none()
        })
        .await;
    assert!(
        trades(&st)[n..]
            .iter()
            .all(|t| t["exit_reason"] == "MANUAL"),
        "{:?}",
        &trades(&st)[n..]
    );
    let _ = &s.sup;
    let _ = &s.sim;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_limit_order_rests_at_the_broker_and_is_cancelled() {
    let s = Stack::start(SessionKind::Live, 60.0).await;
    // The NIFTY index price, then an in-the-money call of the nearest expiry.
    let st = s
        .wait_status(
            "a NIFTY price in the entry window, the NIFTY agent flat",
            |v| {
                let now = snapshot(v)["now"].as_str().unwrap_or("");
                now.get(11..19).is_some_and(|t| t >= "09:20:30")
                    && cards(v).iter().any(|c| {
                        c["segment"] == "NIFTY"
                            && c["index_ltp"].is_string()
                            && c["state"] == "WAITING_FOR_SIGNAL"
                    })
            },
        )
        .await;
    let spot: f64 = cards(&st)[0]["index_ltp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let strike = (spot / 50.0).floor() as i64 * 50 - 100;
    let cal = domain::calendar::MarketCalendar::builtin();
    let contract = catalog::replay::CalendarContracts::new(
        domain::calendar::ExpiryCalendar::new(cal),
        domain::calendar::LotSizes::builtin(),
    );
    let c = domain::ports::ContractSource::option_contract(
        &contract,
        Segment::Nifty,
        sim_support::day(),
        strike.into(),
        domain::OptionType::CE,
        false,
    )
    .unwrap();
    let order = json!({"tradingsymbol": c.tradingsymbol, "side": "BUY", "quantity": c.lot_size,
                       "order_type": "LIMIT", "price": "1.00"});
    // test-order places nothing.
    let v = s.post("/live/test-order", order.clone()).await;
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("test order OK"),
        "{v}"
    );
    assert!(
        s.sim
            .orders()
            .iter()
            .all(|o| o.tradingsymbol != c.tradingsymbol)
    );
    // place-order: the LIMIT BUY far below the market rests at the simulator.
    let v = s.post("/live/place-order", order).await;
    let tag = v["orders"][0]["tag"]
        .as_str()
        .expect("the order's tag")
        .to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let broker_id = loop {
        let orders = s.get("/live/orders").await;
        let list = orders
            .as_array()
            .cloned()
            .or_else(|| orders["orders"].as_array().cloned())
            .unwrap_or_default();
        if let Some(o) = list
            .iter()
            .find(|o| o["tag"] == tag.as_str() && o["status"] == "OPEN")
        {
            break o["broker_order_id"].as_str().unwrap().to_string();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{tag} never OPEN: {orders}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let at_sim = s
        .sim
        .orders()
        .into_iter()
        .find(|o| o.order_id == broker_id)
        .expect("at the simulator");
    assert_eq!(at_sim.status, "OPEN");
    // cancel-order: cancelled at the simulator, and in the engine's orders.
    s.post(&format!("/live/cancel-order/{broker_id}"), json!({}))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let sim_status = s
            .sim
            .orders()
            .into_iter()
            .find(|o| o.order_id == broker_id)
            .map(|o| o.status);
        let orders = s.get("/live/orders").await;
        let list = orders
            .as_array()
            .cloned()
            .or_else(|| orders["orders"].as_array().cloned())
            .unwrap_or_default();
        let engine_status = list
            .iter()
            .find(|o| o["tag"] == tag.as_str())
            .map(|o| o["status"].clone());
        if sim_status.as_deref() == Some("CANCELLED") && engine_status == Some(json!("CANCELLED")) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not cancelled: sim {sim_status:?}, engine {engine_status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The entry failed: the NIFTY agent is flat again.
    s.wait_status("flat again", |v| {
        cards(v)
            .iter()
            .any(|c| c["segment"] == "NIFTY" && c["position"].is_null())
    })
    .await;
}
