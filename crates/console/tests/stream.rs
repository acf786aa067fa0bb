//! `GET /live/stream`: Server-Sent Events against the fake backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use engine::EngineEvent;
use std::time::Duration;
use support::{Server, TOKEN, client, sample_event, sample_snapshot};

/// Read SSE messages until one whose text contains `needle`; the messages read so far.
async fn read_until(resp: &mut reqwest::Response, buf: &mut String, needle: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let msgs: Vec<String> = buf.split("\n\n").map(str::to_string).collect();
        if msgs.iter().any(|m| m.contains(needle)) {
            return msgs;
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {needle}; got {buf}"))
            .unwrap()
            .unwrap_or_else(|| panic!("stream ended before {needle}; got {buf}"));
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn an_event_pushed_after_subscription_is_delivered() {
    let srv = Server::start(Some(sample_snapshot())).await;
    srv.fake
        .push_event(sample_event(EngineEvent::Entry, "entry before connect"));
    let mut resp = client()
        .get(srv.url("/live/stream"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut buf = String::new();
    // Backlog first (event 0), then the snapshot.
    let msgs = read_until(&mut resp, &mut buf, "event: snapshot").await;
    let first = msgs.iter().find(|m| m.contains("event: event")).unwrap();
    assert!(
        first.contains("id: 0") && first.contains("entry before connect"),
        "{first}"
    );
    assert!(buf.contains(r#""type":"snapshot""#) && buf.contains(r#""version":42"#));

    srv.fake.push_event(sample_event(
        EngineEvent::EntrySkipped,
        "skipped after connect",
    ));
    let msgs = read_until(&mut resp, &mut buf, "skipped after connect").await;
    let m = msgs
        .iter()
        .find(|m| m.contains("skipped after connect"))
        .unwrap();
    assert!(m.contains("event: event") && m.contains("id: 1"), "{m}");
    let data = m.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["type"], "event");
    assert_eq!(v["seq"], 1);
    assert_eq!(v["event"]["event"], "entry_skipped");
    assert_eq!(v["event"]["segment"], "NIFTY");
}

#[tokio::test]
async fn the_stream_resumes_from_and_skips_what_it_sent() {
    let srv = Server::start(None).await;
    for i in 0..3 {
        srv.fake
            .push_event(sample_event(EngineEvent::Signal, &format!("signal {i}")));
    }
    let mut resp = client()
        .get(srv.url("/live/stream?from=2"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let mut buf = String::new();
    read_until(&mut resp, &mut buf, "signal 2").await;
    assert!(
        !buf.contains("signal 0") && !buf.contains("signal 1"),
        "{buf}"
    );
    srv.fake
        .push_event(sample_event(EngineEvent::Signal, "signal 3"));
    read_until(&mut resp, &mut buf, "signal 3").await;
    assert_eq!(buf.matches("signal 2").count(), 1, "{buf}");

    // Last-Event-ID resumes after the id it names.
    let mut resp = client()
        .get(srv.url("/live/stream"))
        .bearer_auth(TOKEN)
        .header("last-event-id", "2")
        .send()
        .await
        .unwrap();
    let mut buf = String::new();
    read_until(&mut resp, &mut buf, "signal 3").await;
    assert!(!buf.contains("signal 2"), "{buf}");
}

#[tokio::test]
async fn the_stream_needs_the_token_and_ends_on_shutdown() {
    let srv = Server::start(None).await;
    let r = client().get(srv.url("/live/stream")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = client()
        .get(srv.url("/live/stream?from=x"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let mut resp = client()
        .get(srv.url("/live/stream"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    tokio::time::timeout(Duration::from_secs(10), srv.shutdown())
        .await
        .expect("server did not stop with a stream open")
        .unwrap();
    // The body ends (no more chunks, or the connection closes).
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = resp.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "stream still open after shutdown");
}
