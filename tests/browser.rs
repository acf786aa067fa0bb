//! The Live Trader page in a real browser (issue 11; seed 004 §6): headless Chromium
//! (Debian's `chromium`, through `chromedriver`) on the console of a paper session trading
//! 2024-06-03 on `kite-sim`. The cards show both segments; Stop changes the entry state shown;
//! a trade appears in the table without a reload; the download buttons give the trades CSV
//! (the journal's header), the events CSV and an Excel workbook that opens (read back with
//! calamine). A screenshot goes to `artifacts/console.png`. A second test shows seed 001's
//! scanner: a card per stock, a short share position, its trade
//! (`artifacts/console-scanner.png`).
//!
//! Without the browser installed the test says it is skipped, unless `KESTREL_REQUIRE_BROWSER`
//! is set (`.ci/run` sets it after installing the packages).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser_support;
mod console_support;
mod sim_support;

use browser_support::{Browser, available};
use calamine::Reader;
use console_support::*;
use live::SessionKind;

/// Headless Chromium on the stack's console page, its API token saved.
async fn open_console(s: &Stack, downloads: &std::path::Path) -> Browser {
    let b = Browser::start(downloads).await;
    b.client
        .goto(&format!("{}/", s.base))
        .await
        .expect("the page loads");
    b.fill("token", TOKEN).await;
    b.click("btn-save-token").await;
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_trader_page_in_headless_chromium() {
    if !available("the_live_trader_page_in_headless_chromium") {
        return;
    }
    let s = Stack::start(SessionKind::Paper, 120.0).await;
    let downloads = tempfile::tempdir().unwrap();
    let b = open_console(&s, downloads.path()).await;

    // Both segments' cards, filled from the live stream.
    for seg in ["NIFTY", "BANKNIFTY"] {
        b.wait_text(&format!("card-{seg}-state"), 60, |t| !t.trim().is_empty())
            .await;
    }
    b.wait_text("conn-status", 60, |t| t.contains("live")).await;

    // Stop: the entry state shown changes.
    let line = b.text("session-line").await;
    b.click("btn-stop").await;
    let stopped = b
        .wait_text("session-line", 30, |t| t.to_lowercase().contains("stopped"))
        .await;
    assert_ne!(line, stopped);
    // Start again (entries allowed), and wait for a completed trade in the table, live.
    b.click("btn-start").await;
    b.wait_text("session-line", 120, |t| {
        !t.to_lowercase().contains("stopped")
    })
    .await;
    let rows = b
        .wait_text("trades-table", 240, |t| {
            t.contains("NIFTY") && (t.contains("TSL") || t.contains("SL") || t.contains("EOD"))
        })
        .await;
    assert!(rows.contains("BUY_"), "{rows}");

    // Downloads: the trades CSV has the journal's header; the workbook opens.
    b.click("btn-dl-trades").await;
    let trades_csv = b.wait_download("live_trades_2024-06-03.csv", 30).await;
    let text = std::fs::read_to_string(&trades_csv).unwrap();
    let header = text.lines().next().unwrap_or_default();
    assert!(header.starts_with("trade_id,mode,segment"), "{header}");
    assert!(text.lines().count() >= 2, "{text}");
    b.click("btn-dl-events").await;
    let events_csv = b.wait_download("live_events_2024-06-03.csv", 30).await;
    assert!(
        std::fs::read_to_string(&events_csv)
            .unwrap()
            .lines()
            .count()
            > 10
    );
    b.click("btn-dl-xlsx").await;
    let xlsx = b.wait_download(".xlsx", 30).await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("the workbook opens");
    let sheets = wb.sheet_names();
    for name in ["Trades", "Events", "Summary"] {
        assert!(sheets.iter().any(|n| n == name), "{sheets:?}");
    }
    let trades = wb.worksheet_range("Trades").expect("Trades sheet");
    assert!(trades.height() >= 2, "a header and at least one trade");

    b.client
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .expect("scroll to the top");
    b.screenshot(&kestrel_support::repo_root().join("artifacts/console.png"))
        .await;
    b.close().await;
}

/// Seed 001's scanner on the page: a paper session of `config/scanner.toml` on 2025-01-13
/// (the five shipped stocks streamed by `kite-sim` at 30× real time). Each stock has its
/// card next to the idle index cards; RELIANCE's 09:20 short shows as a short NSE share
/// (no strike, no lots) while it is open, and its trade reaches the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_a_scanner_session() {
    if !available("the_page_shows_a_scanner_session") {
        return;
    }
    let day = kestrel_support::date(2025, 1, 13);
    let s = Stack::start_with(
        SessionKind::Paper,
        30.0,
        kestrel_support::config("config/scanner.toml"),
        "config/scanner.toml",
        day,
    )
    .await;
    let downloads = tempfile::tempdir().unwrap();
    let b = open_console(&s, downloads.path()).await;

    for seg in ["BAJAJ-AUTO", "BHARTIARTL", "ICICIBANK", "RELIANCE", "TCS"] {
        let card = b
            .wait_text(&format!("card-{seg}"), 60, |t| t.contains("Share LTP"))
            .await;
        assert!(!card.contains("Index LTP"), "{card}");
    }
    let open = b
        .wait_text("card-RELIANCE", 120, |t| t.contains("RELIANCE (EQ)"))
        .await;
    assert!(
        open.contains("IN POSITION") && open.contains("SHORT"),
        "{open}"
    );
    assert!(!open.contains("Strike"), "{open}");
    let rows = b
        .wait_text("trades-table", 120, |t| t.contains("RELIANCE"))
        .await;
    assert!(rows.contains("TSL") && rows.contains("SHORT"), "{rows}");
    // The form holds the session's parameters (no RSI, no single timeframe: disabled), so
    // Stop then Start resumes it instead of failing on fields the scanner does not have.
    b.wait_text("session-line", 30, |t| t.contains("entries allowed"))
        .await;
    b.click("btn-stop").await;
    b.wait_text("session-line", 30, |t| t.contains("stopped"))
        .await;
    b.click("btn-start").await;
    b.wait_text("session-line", 60, |t| t.contains("entries allowed"))
        .await;
    let msg = b.text("msg").await;
    assert!(!msg.contains("HTTP"), "{msg}");
    // No index traded: their cards stay idle.
    assert_eq!(b.text("card-NIFTY-state").await.trim(), "IDLE");
    b.client
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .expect("scroll to the top");
    b.screenshot(&kestrel_support::repo_root().join("artifacts/console-scanner.png"))
        .await;
    b.close().await;
}
