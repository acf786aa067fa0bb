//! Past-day routes on a backend without a store (the default `Backend::history`): today's
//! answers are unchanged, `?date=` is 404 saying there is no store, bad query fields are 400
//! naming them, and the token is needed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Server, TOKEN, client, json, sample_snapshot};

#[tokio::test]
async fn without_a_store_past_days_are_404_and_bad_fields_400() {
    let srv = Server::start(Some(sample_snapshot())).await;
    let c = client();
    let get = |path: &str| {
        c.get(srv.url(path))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .send()
    };
    let (s, v) = json(get("/live/trades").await.unwrap()).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.get("date").is_none(), "today's answer is unchanged: {v}");
    for path in [
        "/live/trades?date=2024-06-03",
        "/live/events?date=2024-06-03&mode=replay",
        "/live/summary?date=2024-06-03",
        "/live/days",
    ] {
        let (s, v) = json(get(path).await.unwrap()).await;
        assert_eq!(s, 404, "{path}: {v}");
        assert!(v["error"].as_str().unwrap().contains("no store"), "{v}");
    }
    for (path, field) in [
        ("/live/trades?date=03-06-2024", "date"),
        ("/live/events?mode=paper", "date"),
        ("/live/events?date=2024-06-03&from=x", "from"),
        ("/live/days?mode=backtest", "mode"),
        ("/live/summary?mode=live", "date"),
    ] {
        let (s, v) = json(get(path).await.unwrap()).await;
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{path}: {v}");
    }
    let r = c.get(srv.url("/live/days")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}
