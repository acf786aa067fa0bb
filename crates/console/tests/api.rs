//! The console's HTTP API against a fake backend on 127.0.0.1:0: the token guard, each route's
//! command, JSON errors naming the field, the rate limit, the bind guard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use console::{ApiToken, Console, ConsoleConfig, ConsoleError};
use domain::{Segment, Side};
use engine::control::{Command, CommandError, ManualOrder, ManualOrderType};
use serde_json::json;
use support::{Server, TOKEN, client, json, sample_snapshot};

/// Every mutating route with a body that would be valid.
fn mutations() -> Vec<(&'static str, serde_json::Value)> {
    let order = json!({"tradingsymbol": "NIFTY2460623200PE", "side": "BUY", "quantity": 25});
    vec![
        ("/live/start-trading", json!({"mode": "paper"})),
        ("/live/stop-trading", json!({"close_all": true})),
        ("/live/pause", json!(null)),
        ("/live/resume", json!(null)),
        ("/live/close-position/NIFTY", json!(null)),
        ("/live/close-all", json!(null)),
        ("/live/place-order", order.clone()),
        ("/live/test-order", order),
        ("/live/cancel-order/K123", json!(null)),
        ("/live/auth/complete", json!({"request_token": "rt"})),
    ]
}

#[tokio::test]
async fn mutations_without_or_with_a_wrong_token_are_401_and_do_nothing() {
    let srv = Server::start_with(Some(sample_snapshot()), Some((1000, 1000))).await;
    let c = client();
    for (path, body) in mutations() {
        for auth in [None, Some("Bearer wrong"), Some(&*format!("Basic {TOKEN}"))] {
            let mut rq = c.post(srv.url(path));
            if !body.is_null() {
                rq = rq
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            if let Some(a) = auth {
                rq = rq.header("authorization", a);
            }
            let (st, v) = json(rq.send().await.unwrap()).await;
            assert_eq!(st, 401, "{path} {auth:?}: {v}");
            assert_eq!(v["field"], "Authorization", "{path}");
            assert!(v["error"].as_str().unwrap().contains("token"));
        }
    }
    assert!(srv.fake.commands().is_empty());
    assert!(srv.fake.starts().is_empty());
    assert!(srv.fake.auth.completions.lock().unwrap().is_empty());
    // Protected reads too.
    for path in [
        "/live/positions",
        "/live/orders",
        "/live/trades",
        "/live/events",
        "/live/auth/login-url",
        "/live/auth/status",
        "/live/test-connection",
        "/live/websocket/status",
        "/live/auth/complete",
    ] {
        let (st, v) = json(c.get(srv.url(path)).send().await.unwrap()).await;
        assert_eq!(st, 401, "{path}: {v}");
    }
}

#[tokio::test]
async fn each_mutation_sends_its_command() {
    let srv = Server::start_with(Some(sample_snapshot()), Some((1000, 1000))).await;
    let c = client();
    let post = |path: &str, body: Option<serde_json::Value>| {
        let mut rq = c.post(srv.url(path)).bearer_auth(TOKEN);
        if let Some(b) = body {
            rq = rq
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        rq.send()
    };
    let order = ManualOrder {
        tradingsymbol: "NIFTY2460623200PE".into(),
        side: Side::Sell,
        quantity: 25,
        order_type: ManualOrderType::Limit,
        price: Some(rust_decimal_macros::dec!(101.5)),
    };
    let order_json = serde_json::to_value(&order).unwrap();
    let calls: Vec<(&str, Option<serde_json::Value>)> = vec![
        ("/live/stop-trading", None),
        ("/live/stop-trading", Some(json!({"close_all": true}))),
        ("/live/pause", None),
        ("/live/resume", None),
        ("/live/close-position/nifty", None),
        ("/live/close-position/BANKNIFTY", None),
        ("/live/close-all", None),
        ("/live/place-order", Some(order_json.clone())),
        ("/live/test-order", Some(order_json)),
        ("/live/cancel-order/K20240603-7", None),
        ("/live/start-trading", Some(json!({"enabled": false}))),
    ];
    for (path, body) in calls {
        let (st, v) = json(post(path, body).await.unwrap()).await;
        assert_eq!(st, 200, "{path}: {v}");
        assert!(v["message"].as_str().unwrap().starts_with("done"), "{v}");
    }
    assert_eq!(
        srv.fake.commands(),
        vec![
            Command::StopEntries { close_all: false },
            Command::StopEntries { close_all: true },
            Command::Pause,
            Command::Resume,
            Command::ClosePosition {
                segment: Segment::Nifty
            },
            Command::ClosePosition {
                segment: Segment::BankNifty
            },
            Command::CloseAll,
            Command::PlaceOrder(order.clone()),
            Command::TestOrder(order),
            Command::CancelOrder {
                id: "K20240603-7".into()
            },
            Command::StopEntries { close_all: false },
        ]
    );
    // start-trading: empty body → defaults; seed 003's body → its fields.
    let (st, v) = json(post("/live/start-trading", None).await.unwrap()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["mode"], "PAPER");
    let seed = json!({"enabled": true, "lot_size": 75, "num_lots": 10, "max_positions": 3,
        "segments": ["NIFTY", "SENSEX"], "risk": {"max_daily_loss": "5000"}});
    let (st, v) = json(post("/live/start-trading", Some(seed)).await.unwrap()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["segments"], json!(["NIFTY", "SENSEX"]));
    let starts = srv.fake.starts();
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0], console::StartRequest::default());
    assert_eq!(starts[1].num_lots, Some(10));
    assert_eq!(starts[1].lot_size, Some(75));
    assert_eq!(
        starts[1].risk.as_ref().unwrap().max_daily_loss,
        Some(rust_decimal_macros::dec!(5000))
    );
    // Hedging is refused, naming the field; live without confirmation is the backend's 403.
    let (st, v) = json(
        post("/live/start-trading", Some(json!({"use_hedging": true})))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["field"].as_str()), (400, Some("use_hedging")));
    let (st, v) = json(
        post("/live/start-trading", Some(json!({"mode": "live"})))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["field"], serde_json::Value::Null);
    assert_eq!(srv.fake.starts().len(), 2);
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_field_and_do_nothing() {
    let srv = Server::start_with(Some(sample_snapshot()), Some((1000, 1000))).await;
    let c = client();
    let cases = [
        (
            "/live/place-order",
            r#"{"tradingsymbol":"NIFTY2460623200PE","side":"BUY","quantity":25,"qty":1}"#,
            Some("qty"),
        ),
        (
            "/live/place-order",
            r#"{"tradingsymbol":"NIFTY2460623200PE","side":"BUY","quantity":"many"}"#,
            Some("quantity"),
        ),
        (
            "/live/test-order",
            r#"{"tradingsymbol":"NIFTY2460623200PE","side":"BUY"}"#,
            Some("quantity"),
        ),
        (
            "/live/test-order",
            r#"{"tradingsymbol":"X","side":"BUY","quantity":1,"order_type":"STOP"}"#,
            Some("order_type"),
        ),
        ("/live/place-order", "", None),
        ("/live/place-order", "{not json", None),
        (
            "/live/start-trading",
            r#"{"rsi_period":"14x"}"#,
            Some("rsi_period"),
        ),
        (
            "/live/start-trading",
            r#"{"pyramid":{"NIFTY":{"lot_addition":5,"max_qty":9}}}"#,
            Some("pyramid.NIFTY.max_qty"),
        ),
        (
            "/live/stop-trading",
            r#"{"close_all":"yes"}"#,
            Some("close_all"),
        ),
        (
            "/live/stop-trading",
            r#"{"closeall":true}"#,
            Some("closeall"),
        ),
        ("/live/auth/complete", r#"{}"#, Some("request_token")),
        (
            "/live/auth/complete",
            r#"{"request_token":""}"#,
            Some("request_token"),
        ),
        ("/live/close-position/NIFTY%2150", "", Some("id")),
    ];
    for (path, body, field) in cases {
        let (st, v) = json(
            c.post(srv.url(path))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 400, "{path} {body}: {v}");
        assert_eq!(v["field"].as_str(), field, "{path} {body}: {v}");
        assert!(!v["error"].as_str().unwrap().is_empty());
    }
    // The events query too.
    let (st, v) = json(
        c.get(srv.url("/live/events?from=abc"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["field"].as_str()), (400, Some("from")));
    assert!(srv.fake.commands().is_empty());
    assert!(srv.fake.starts().is_empty());
    assert!(srv.fake.auth.completions.lock().unwrap().is_empty());
}

#[tokio::test]
async fn command_errors_answer_their_status() {
    let srv = Server::start_with(Some(sample_snapshot()), Some((1000, 1000))).await;
    let c = client();
    let cases = [
        (
            CommandError::Invalid {
                field: "quantity".into(),
                message: "25 is not a whole number of lots of 75".into(),
            },
            400,
            Some("quantity"),
        ),
        (
            CommandError::NotFound("no open NIFTY position".into()),
            404,
            None,
        ),
        (
            CommandError::Risk {
                rule: "MAX_DAILY_LOSS".into(),
                reason: "halted".into(),
            },
            422,
            None,
        ),
        (CommandError::Broker("Kite 503".into()), 502, None),
        (CommandError::Engine("no session runs".into()), 503, None),
    ];
    for (err, status, field) in cases {
        *srv.fake.command_error.lock().unwrap() = Some(err.clone());
        let (st, v) = json(
            c.post(srv.url("/live/close-position/NIFTY"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, status, "{err:?}: {v}");
        assert_eq!(v["field"].as_str(), field);
        assert!(!v["error"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn reads_answer_the_snapshot_and_health() {
    let srv = Server::start(Some(sample_snapshot())).await;
    let c = client();
    let get = |path: &str| c.get(srv.url(path)).bearer_auth(TOKEN).send();
    let (st, v) = json(get("/live/status").await.unwrap()).await;
    assert_eq!(st, 200);
    assert_eq!(v["running"], true);
    assert_eq!(v["health"]["socket"], "connected");
    assert_eq!(v["segments"][0]["state"], "IN_POSITION");
    assert_eq!(v["totals"]["net_pnl"], "976.18");
    let (_, v) = json(get("/live/positions").await.unwrap()).await;
    assert_eq!(v["positions"].as_array().unwrap().len(), 1);
    assert_eq!(v["positions"][0]["option_symbol"], "NIFTY2460623200PE");
    let (_, v) = json(get("/live/trades").await.unwrap()).await;
    assert_eq!(v["trades"][0]["trade_id"], "NIFTY-2024-06-03-1");
    let (_, v) = json(get("/live/orders").await.unwrap()).await;
    assert_eq!(v["orders"], json!([]));
    let (_, v) = json(get("/live/websocket/status").await.unwrap()).await;
    assert_eq!(
        (v["connected"].as_bool(), v["reconnects"].as_u64()),
        (Some(true), Some(1))
    );
    let (_, v) = json(get("/live/test-connection").await.unwrap()).await;
    assert_eq!(v["auth"]["authenticated"], false);
    assert_eq!(v["health"]["broker_session_valid"], true);
    let (_, v) = json(get("/live/auth/login-url").await.unwrap()).await;
    assert!(v["login_url"].as_str().unwrap().contains("api_key=k"));
    srv.fake
        .push_event(support::sample_event(engine::EngineEvent::Entry, "first"));
    srv.fake.push_event(support::sample_event(
        engine::EngineEvent::EntrySkipped,
        "second",
    ));
    let (_, v) = json(get("/live/events?from=1").await.unwrap()).await;
    assert_eq!((v["from"].as_u64(), v["next"].as_u64()), (Some(1), Some(2)));
    assert_eq!(v["events"][0]["message"], "second");
    assert_eq!(v["events"][0]["event"], "entry_skipped");
}

#[tokio::test]
async fn status_and_health_are_public_and_status_says_not_running_before_a_session() {
    let srv = Server::start(None).await;
    let c = client();
    let (st, v) = json(c.get(srv.url("/live/status")).send().await.unwrap()).await;
    assert_eq!(st, 200);
    assert_eq!(v["running"], false);
    assert!(v.get("segments").is_none());
    let (st, v) = json(c.get(srv.url("/live/health")).send().await.unwrap()).await;
    assert_eq!((st, v["socket"].as_str()), (200, Some("not_started")));
    let (st, v) = json(
        c.get(srv.url("/live/positions"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["positions"].clone()), (200, json!([])));
    let (st, v) = json(
        c.get(srv.url("/live/no-such"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 404, "{v}");
    // A wrong method is a JSON 405, after the token check.
    let (st, v) = json(
        c.get(srv.url("/live/close-all"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 405, "{v}");
    assert!(srv.fake.commands().is_empty());
}

#[tokio::test]
async fn kites_redirect_logs_in_without_the_token_only_with_a_request_token() {
    let srv = Server::start(None).await;
    let c = client();
    let r =
        c.get(srv.url(
            "/live/auth/complete?action=login&type=login&status=success&request_token=rt%2B1",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Logged in to Kite") && page.contains("AB1234"),
        "{page}"
    );
    let r = c
        .get(srv.url("/live/auth/complete?request_token=bad"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    assert!(r.text().await.unwrap().contains("Not logged in"));
    assert_eq!(
        *srv.fake.auth.completions.lock().unwrap(),
        vec!["rt+1".to_string(), "bad".to_string()]
    );
    let (st, v) = json(
        c.get(srv.url("/live/auth/complete"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["field"].as_str()), (400, Some("request_token")));
    let (st, v) = json(
        c.post(srv.url("/live/auth/complete"))
            .bearer_auth(TOKEN)
            .body(r#"{"request_token":"rt2"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["authenticated"].as_bool()), (200, Some(true)));
}

#[tokio::test]
async fn mutations_over_the_rate_limit_are_429_with_retry_after() {
    let srv = Server::start(Some(sample_snapshot())).await;
    let c = client();
    let mut statuses = vec![];
    let mut last = json!(null);
    for _ in 0..(console::server::RATE_BURST + 5) {
        let (st, v) = json(
            c.post(srv.url("/live/pause"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap(),
        )
        .await;
        statuses.push(st);
        if st == 429 {
            last = v;
        }
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(ok >= console::server::RATE_BURST as usize, "{statuses:?}");
    assert!(limited >= 1, "{statuses:?}");
    assert!(last["retry_after_secs"].as_u64().unwrap() >= 1, "{last}");
    assert_eq!(srv.fake.commands().len(), ok);
    // Reads are not limited.
    let (st, _) = json(
        c.get(srv.url("/live/positions"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn a_non_loopback_bind_is_refused_without_allow_remote() {
    let fake = support::Fake::new(None);
    let cfg = ConsoleConfig {
        bind: "0.0.0.0:0".parse().unwrap(),
        allow_remote: false,
        token: ApiToken::new(TOKEN).unwrap(),
    };
    let e = Console::bind(cfg, fake).await.err().unwrap();
    assert!(matches!(e, ConsoleError::RemoteRefused { .. }), "{e}");
    assert!(e.to_string().contains("allow_remote"));
}

#[tokio::test]
async fn the_server_stops_on_shutdown() {
    let srv = Server::start(None).await;
    let addr = srv.addr;
    srv.shutdown().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[cfg(unix)]
#[test]
fn the_token_file_is_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state").join(console::auth::TOKEN_FILE);
    let (_, src) = ApiToken::from_file(&file).unwrap();
    let console::TokenSource::File { path, created } = src else {
        panic!("not a file source")
    };
    assert!(created);
    assert_eq!(path, file, "the file asked for, its folder created");
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_without_the_token() {
    let srv = Server::start(None).await;
    let c = client();
    for (path, mime, needle) in [
        ("/", "text/html", "id=\"btn-start\""),
        ("/live_trading.html", "text/html", "id=\"events-table\""),
        (
            "/assets/live_trading.js",
            "text/javascript",
            "/live/stream?from=",
        ),
        ("/assets/live_trading.css", "text/css", ".card"),
    ] {
        let r = c.get(srv.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let h = r.headers().clone();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(mime),
            "{path}"
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        assert!(r.text().await.unwrap().contains(needle), "{path}");
    }
    let r = c.get(srv.url("/assets/other.js")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}
