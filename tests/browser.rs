//! The Live Trader page in a real browser (issue 11; seed 004 §6): headless Chromium
//! (Debian's `chromium`, through `chromedriver`) on the console of a paper session trading
//! 2024-06-03 on `kite-sim`. The cards show both segments; Stop changes the entry state shown;
//! a trade appears in the table without a reload; the download buttons give the trades CSV
//! (the journal's header), the events CSV and an Excel workbook that opens (read back with
//! calamine). A screenshot goes to `artifacts/console.png`.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_trader_page_in_headless_chromium() {
    if !available("the_live_trader_page_in_headless_chromium") {
        return;
    }
    let s = Stack::start(SessionKind::Paper, 120.0).await;
    let downloads = tempfile::tempdir().unwrap();
    let b = Browser::start(downloads.path()).await;
    b.client
        .goto(&format!("{}/", s.base))
        .await
        .expect("the page loads");
    b.fill("token", TOKEN).await;
    b.click("btn-save-token").await;

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
