//! Issue 12's Telegram acceptance test: `paper` on `kite-sim` for 2024-06-03 with the bot
//! pointed at a loopback fake Bot API that answers the first sends (and a burst mid-day) with
//! 429 `retry_after`. The chat gets one entry and one exit message per trade of `trades.csv`
//! (exit with its reason and net P&L), the daily summary with `trades.csv`'s net P&L, answers
//! to `/status` and `/pnl` from the authorised chat; `/closeall` + `/confirm` from another
//! chat does nothing and gets no answer; the 429s delay messages without losing one and
//! without changing the engine's trades (the same trades as the replay of the day).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_support;
mod telegram_support;

use console::backend::Backend;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};
use telegram::format::rupees;
use telegram_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_day_reported_to_telegram() {
    let started = Instant::now();
    // The first three sends are refused with retry_after 2 s.
    let mut s = TgStack::start(240.0, Duration::from_millis(100), |f| {
        f.rate_limit_next(3, 2)
    })
    .await;

    // A position is open: a stranger asks to close everything, the trader asks for status.
    s.wait_snapshot("a position", |snap| {
        snap.segments.iter().any(|c| c.position.is_some())
    })
    .await;
    s.fake.incoming(STRANGER, "/closeall");
    s.fake.incoming(STRANGER, "/confirm");
    s.fake.incoming(CHAT, "/status");
    s.fake.incoming(CHAT, "/pnl");
    let wait = Duration::from_secs(60);
    let status = s
        .fake
        .wait_sent(wait, |m| m.text.starts_with("PAPER 2024-06-03"))
        .await
        .expect("/status answered");
    assert!(
        status.text.contains("NIFTY ") && status.text.contains("BANKNIFTY "),
        "{}",
        status.text
    );
    let pnl = s
        .fake
        .wait_sent(wait, |m| m.text.starts_with("net P&L"))
        .await
        .expect("/pnl answered");
    assert_eq!((status.chat_id, pnl.chat_id), (CHAT, CHAT));
    // A second burst of 429s mid-day.
    s.fake.rate_limit_next(2, 1);

    let out = s.wait_end().await;
    let summary = s
        .fake
        .wait_sent(Duration::from_secs(120), |m| m.text.contains("DAY SUMMARY"))
        .await
        .expect("daily summary");
    s.bot.take().unwrap().finish().await;
    let sent = s.fake.sent();
    let texts: Vec<&str> = sent.iter().map(|m| m.text.as_str()).collect();

    // Only the authorised chat was ever written to; the stranger changed nothing.
    assert!(sent.iter().all(|m| m.chat_id == CHAT));
    assert!(
        !s.sup
            .events(0)
            .iter()
            .any(|e| e.event == engine::EngineEvent::Operator),
        "an operator command was applied"
    );
    let trades = trades_csv(&out.journal_dir);
    assert!(!trades.is_empty(), "2024-06-03 has trades");
    assert!(
        trades.iter().all(|t| t.exit_reason != "MANUAL"),
        "{trades:?}"
    );

    // One entry and one exit message per trade, the exit with its reason and net P&L.
    let entries: Vec<&&str> = texts.iter().filter(|t| t.starts_with("🟢 ENTRY")).collect();
    let exits: Vec<&&str> = texts.iter().filter(|t| t.contains(" EXIT ")).collect();
    assert_eq!(
        (entries.len(), exits.len()),
        (trades.len(), trades.len()),
        "{texts:#?}"
    );
    for t in &trades {
        let entry = format!(
            "ENTRY {} {} {} qty ",
            t.segment, t.signal_type, t.option_symbol
        );
        let exit = format!(
            "EXIT {} {} {} qty {} ",
            t.segment, t.exit_reason, t.option_symbol, t.quantity
        );
        let net = format!("net P&L {} ", rupees(t.net_pnl));
        let same = |f: &dyn Fn(&TradeRow) -> bool| trades.iter().filter(|u| f(u)).count();
        assert_eq!(
            entries.iter().filter(|m| m.contains(&entry)).count(),
            same(&|u| u.segment == t.segment
                && u.signal_type == t.signal_type
                && u.option_symbol == t.option_symbol),
            "{entry}: {texts:#?}"
        );
        assert!(
            exits.iter().any(|m| m.contains(&exit) && m.contains(&net)),
            "no exit message {exit}… {net}: {texts:#?}"
        );
    }
    assert!(
        entries.iter().all(|m| m.contains("premium ₹")),
        "{entries:#?}"
    );

    // The summary has trades.csv's count and net P&L.
    let net: Decimal = trades.iter().map(|t| t.net_pnl).sum();
    assert!(
        summary.text.contains(&format!("trades {} ", trades.len()))
            && summary.text.contains(&format!("net P&L {}", rupees(net))),
        "summary {} vs trades.csv net {net}",
        summary.text
    );
    assert_eq!(
        texts.iter().filter(|t| t.contains("DAY SUMMARY")).count(),
        1
    );

    // The 429s: five refusals, the first message held back ≥ 6 s, nothing lost (above), and
    // the engine's trades are the replay's, trade for trade.
    assert_eq!(s.fake.refused(), 5);
    assert!(sent[0].at - started >= Duration::from_secs(6));
    let session: Vec<String> = out.report.trades.iter().map(sim_support::key).collect();
    assert_eq!(session, sim_support::replay_keys().await);
}
