//! The bot against the fake Bot API and a fake `Backend`: paced sends that wait out 429s
//! without losing a message, commands obeyed only from the authorised chat, closes that need
//! `/confirm`, and notifications (entry with its premium, exit with net P&L, the summary).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../console/tests/support/fake.rs"]
mod support;

use console::Update;
use domain::Segment;
use engine::EngineEvent;
use engine::control::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use telegram::send::Sender;
use telegram::{BotToken, Message, Outbox, Priority, TelegramSettings};
use telegram_fake::FakeBotApi;

const TOKEN: &str = "123456:TEST-token";
const CHAT: i64 = 4242;
const STRANGER: i64 = 666;

fn settings(fake: &FakeBotApi) -> TelegramSettings {
    let mut s = TelegramSettings::new(fake.url(), BotToken::new(TOKEN).unwrap(), CHAT);
    s.send_interval = Duration::from_millis(50);
    s.poll_timeout_secs = 1;
    s.confirm_window = Duration::from_secs(2);
    s
}

#[tokio::test]
async fn sends_are_paced_and_429s_waited_out_without_losing_a_message() {
    let fake = FakeBotApi::start(TOKEN).await.unwrap();
    let s = settings(&fake);
    let outbox = Arc::new(Outbox::new(8));
    fake.rate_limit_next(2, 1);
    let start = Instant::now();
    for i in 0..4 {
        outbox.push(Message::new(Priority::Normal, format!("m{i}")));
    }
    outbox.close();
    let sender = Sender::new(telegram::client(&s), CHAT, Duration::from_millis(200));
    tokio::time::timeout(Duration::from_secs(20), sender.run(outbox.clone()))
        .await
        .unwrap();
    let sent = fake.sent();
    let texts: Vec<&str> = sent.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["m0", "m1", "m2", "m3"]);
    assert_eq!(fake.refused(), 2);
    // Two retry_after of 1 s before the first one got through.
    assert!(
        sent[0].at - start >= Duration::from_secs(2),
        "{:?}",
        sent[0].at - start
    );
    for w in sent.windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_millis(190), "not paced");
        assert!(w.iter().all(|m| m.chat_id == CHAT));
    }
}

#[tokio::test]
async fn a_wrong_token_is_logged_not_retried_forever() {
    let fake = FakeBotApi::start("other:token").await.unwrap();
    let s = settings(&fake);
    let sender = Sender::new(telegram::client(&s), CHAT, s.send_interval);
    let e = sender.send("hello").await.unwrap_err();
    assert!(e.contains("401"), "{e}");
    assert!(!e.contains(TOKEN) && !e.contains("TEST-token"), "{e}");
    assert!(fake.sent().is_empty());
}

#[tokio::test]
async fn commands_only_from_the_authorised_chat_and_closes_need_confirm() {
    let fake = FakeBotApi::start(TOKEN).await.unwrap();
    let backend = Fake::new(Some(sample_snapshot()));
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let bot = tokio::spawn(telegram::run(settings(&fake), backend.clone(), async {
        let _ = rx.await;
    }));
    let wait = Duration::from_secs(10);

    // A stranger: nothing done, nothing answered.
    fake.incoming(STRANGER, "/closeall");
    fake.incoming(STRANGER, "/confirm");
    fake.incoming(STRANGER, "/pnl");
    fake.incoming(CHAT, "/pnl");
    let pnl = fake
        .wait_sent(wait, |m| m.text.starts_with("net P&L"))
        .await
        .unwrap();
    assert_eq!(pnl.chat_id, CHAT);
    assert!(pnl.text.contains("net P&L ₹976.18"), "{}", pnl.text);
    assert!(backend.commands().is_empty());
    assert!(fake.sent().iter().all(|m| m.chat_id == CHAT));
    assert_eq!(
        fake.sent().len(),
        1,
        "the stranger got an answer: {:?}",
        fake.sent()
    );

    fake.incoming(CHAT, "/status");
    let st = fake
        .wait_sent(wait, |m| m.text.starts_with("PAPER 2024-06-03"))
        .await
        .unwrap();
    assert!(st.text.contains("NIFTY IN_POSITION"), "{}", st.text);

    // /closeall then something else: cancelled.
    fake.incoming(CHAT, "/closeall");
    fake.wait_sent(wait, |m| m.text.contains("reply /confirm"))
        .await
        .unwrap();
    fake.incoming(CHAT, "/positions");
    fake.wait_sent(wait, |m| m.text.starts_with("cancelled"))
        .await
        .unwrap();
    assert!(backend.commands().is_empty());

    // /close NIFTY then /confirm: applied; /stop and /start go through the same port.
    fake.incoming(CHAT, "/close nifty");
    fake.wait_sent(wait, |m| m.text.contains("close the NIFTY position?"))
        .await
        .unwrap();
    fake.incoming(CHAT, "/confirm");
    fake.incoming(CHAT, "/stop");
    fake.incoming(CHAT, "/start");
    fake.wait_sent(wait, |m| m.text.contains("StartEntries"))
        .await
        .unwrap();
    assert_eq!(
        backend.commands(),
        [
            Command::ClosePosition {
                segment: Segment::Nifty
            },
            Command::StopEntries { close_all: false },
            Command::StartEntries
        ]
    );

    // A confirmation after the window: nothing.
    fake.incoming(CHAT, "/closeall");
    fake.wait_sent(wait, |m| m.text.contains("close ALL"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    fake.incoming(CHAT, "/confirm");
    fake.wait_sent(wait, |m| m.text.contains("too late"))
        .await
        .unwrap();
    assert_eq!(backend.commands().len(), 3);

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), bot)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn entry_waits_for_its_premium_exit_has_net_pnl_and_the_day_ends_with_a_summary() {
    let fake = FakeBotApi::start(TOKEN).await.unwrap();
    let backend = Fake::new(None);
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let bot = tokio::spawn(telegram::run(settings(&fake), backend.clone(), async {
        let _ = rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut entry = sample_event(EngineEvent::Entry, "BUY_PE ...");
    entry.data = serde_json::json!({"signal": "BUY_PE", "tradingsymbol": "NIFTY2460623300PE",
        "quantity": 50, "index": "23250.5", "sl": "23260.5", "tsl": "23255.5"});
    backend.push_event(entry);
    // Before the fill: the position has no premium yet.
    let mut snap = sample_snapshot();
    snap.trades.clear();
    snap.segments[0].position.as_mut().unwrap().entry_price = None;
    let _ = backend.tx.send(Update::Snapshot {
        snapshot: Arc::new(snap.clone()),
    });
    backend.push_event(sample_event(
        EngineEvent::OrderError,
        "exit order rejected: margin",
    ));
    let crit = fake
        .wait_sent(Duration::from_secs(5), |m| m.text.contains("ORDER_ERROR"))
        .await
        .unwrap();
    assert!(
        !fake.sent().iter().any(|m| m.text.contains("ENTRY")),
        "{crit:?}"
    );
    // Filled at 120.5.
    snap.segments[0].position.as_mut().unwrap().entry_price =
        Some(rust_decimal_macros::dec!(120.5));
    let _ = backend.tx.send(Update::Snapshot {
        snapshot: Arc::new(snap),
    });
    let e = fake
        .wait_sent(Duration::from_secs(5), |m| m.text.contains("ENTRY"))
        .await
        .unwrap();
    assert!(
        e.text
            .contains("NIFTY BUY_PE NIFTY2460623300PE qty 50 premium ₹120.5"),
        "{}",
        e.text
    );
    assert!(e.text.contains("SL 23260.5 · TSL 23255.5"), "{}", e.text);
    // The trade completes, then the day ends.
    let full = sample_snapshot();
    let _ = backend.tx.send(Update::Snapshot {
        snapshot: Arc::new(full.clone()),
    });
    let mut end = sample_event(EngineEvent::Session, "day ended: 1 trades, net ₹976.18");
    end.data = serde_json::json!({"trades": 1, "net_pnl": "976.18"});
    backend.push_event(end);
    let _ = backend.tx.send(Update::Snapshot {
        snapshot: Arc::new(full),
    });
    let x = fake
        .wait_sent(Duration::from_secs(5), |m| m.text.contains("EXIT"))
        .await
        .unwrap();
    assert!(
        x.text
            .contains("NIFTY TSL NIFTY2460623300PE qty 50 ₹120.5 → ₹141.25"),
        "{}",
        x.text
    );
    assert!(x.text.contains("net P&L ₹976.18"), "{}", x.text);
    let sum = fake
        .wait_sent(Duration::from_secs(5), |m| m.text.contains("DAY SUMMARY"))
        .await
        .unwrap();
    assert!(sum.text.contains("net P&L ₹976.18"), "{}", sum.text);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), bot)
        .await
        .unwrap()
        .unwrap();
    let texts: Vec<String> = fake.sent().into_iter().map(|m| m.text).collect();
    assert_eq!(
        texts.iter().filter(|t| t.contains("DAY SUMMARY")).count(),
        1,
        "{texts:#?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.contains("ENTRY")).count(),
        1,
        "{texts:#?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.contains("EXIT")).count(),
        1,
        "{texts:#?}"
    );
}
