//! Seed 001's scanner in paper and live (issue 15, seed 001's "dry-run"): `kite-sim` streams
//! the five shipped 2025 stocks (RELIANCE, TCS, ICICIBANK, BHARTIARTL, BAJAJ-AUTO: their NSE
//! shares' real 1-minute bars with volume) as fast as possible; `paper` and `live-bin` run
//! `config/scanner.toml` on them, warmed up from the simulator's historical candles, with
//! the tokens and tick sizes of its NSE instruments dump. Both trade the day as
//! `replay --config config/scanner.toml` does:
//! - 2025-01-13, where `max_trades_global` (5) and each strategy once a day bind;
//! - paper's fills are the stock's own ticks, as replay's, so its prices, quantities and net
//!   P&L are equal to the paisa; live's fills are the simulator's (its stream runs ahead of
//!   the engine), so live is compared on the decisions (the same keys as the index parity
//!   test) and on its book: one entry and one exit per trade, each tag once, shorts opened
//!   with a SELL;
//! - paper's recording of the day holds each stock's shipped 1-minute bars, volume included.
//!
//! Index futures the same way (`config/futures.toml`, `instrument = "underlying"` on NIFTY and
//! BANKNIFTY): `kite-sim` streams the shipped near-month futures' 5-minute bars (real volume)
//! under the futures' own tokens, and paper and live trade `NIFTY24AUGFUT` /
//! `BANKNIFTY24AUGFUT` on 2024-08-05 (both short) as replay does: paper to the paisa, live
//! on the decisions, its book on NFO with each short opened by a SELL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_support;

use chrono::NaiveDate;
use domain::{Side, Trade};
use kestrel_support::{config, data_dir};
use kite_sim::{Simulator, Speed};
use live::{SessionKind, SessionOutcome};
use sim_support::{journal_orders, key, recorded_catalog, run, session_options};
use std::collections::BTreeSet;

fn day() -> NaiveDate {
    kestrel_support::date(2025, 1, 13)
}

/// `config/scanner.toml` as loaded (each consumer expands its `[universe]`: the five stocks).
fn scanner() -> config::Config {
    config("config/scanner.toml")
}

/// What paper must equal to the paisa: the decision key plus side, quantity, prices and money.
fn money_key(t: &Trade) -> String {
    format!(
        "{} | qty {} | {} → {} | gross {} | charges {} | net {}",
        key(t),
        t.quantity,
        t.entry_price,
        t.exit_price,
        t.pnl_value,
        t.charges,
        t.net_pnl
    )
}

/// The paper and live sessions of one day, each against its own simulator streaming it as
/// fast as possible, and their folders (journal, recording).
struct Sessions {
    paper_sim: Simulator,
    live_sim: Simulator,
    pdir: tempfile::TempDir,
    live: SessionOutcome,
    /// Live's folder: kept while its journal is read.
    _ldir: tempfile::TempDir,
}

/// Run paper and live on `cfg` (read from `path`) for `date` and check them against replay's
/// `trades`: paper to the paisa, live on the decisions; paper placed nothing at the broker.
async fn paper_and_live_like_replay(
    cfg: fn() -> config::Config,
    path: &str,
    date: NaiveDate,
    trades: &[Trade],
) -> Sessions {
    let start = || async move {
        let mut c = kite_sim_cli::sim_config(date, &cfg(), data_dir());
        c.speed = Speed::Max;
        Simulator::start(c).await.expect("simulator starts")
    };
    let (paper_sim, live_sim) = (start().await, start().await);
    let (pdir, ldir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let opts = |kind, sim, dir| session_options(kind, sim, dir, "", cfg(), path, date);
    let (paper, live) = tokio::join!(
        run(opts(SessionKind::Paper, &paper_sim, pdir.path())),
        run(opts(SessionKind::Live, &live_sim, ldir.path())),
    );
    assert!(!paper.interrupted && !live.interrupted);
    let want: Vec<String> = trades.iter().map(money_key).collect();
    let got: Vec<String> = paper.report.trades.iter().map(money_key).collect();
    assert_eq!(got, want, "paper vs replay, to the paisa");
    let want: Vec<String> = trades.iter().map(key).collect();
    let got: Vec<String> = live.report.trades.iter().map(key).collect();
    assert_eq!(got, want, "live vs replay");
    assert!(
        paper_sim.orders().is_empty(),
        "paper placed orders at the broker"
    );
    Sessions {
        paper_sim,
        live_sim,
        pdir,
        live,
        _ldir: ldir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_and_live_scan_the_streamed_stocks_like_replay() {
    let replay = tokio::task::spawn_blocking(|| kestrel_support::replay(scanner(), day()))
        .await
        .unwrap();
    assert_eq!(
        replay.trades.len(),
        5,
        "2025-01-13 is the day max_trades_global binds"
    );
    let Sessions {
        paper_sim,
        live_sim,
        pdir,
        live,
        _ldir,
    } = paper_and_live_like_replay(scanner, "config/scanner.toml", day(), &replay.trades).await;

    // Live's book: exactly the journaled orders, each tag once, one entry and one exit per
    // trade, every one a filled NSE share; a short is opened by a SELL.
    let book = live_sim.orders();
    let tags: Vec<String> = book
        .iter()
        .map(|o| o.tag.clone().unwrap_or_default())
        .collect();
    let unique: BTreeSet<String> = tags.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        tags.len(),
        "an order was placed twice: {tags:?}"
    );
    let journaled: BTreeSet<String> = journal_orders(&live.journal_dir)
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    assert_eq!(unique, journaled, "simulator book vs live journal");
    assert_eq!(book.len(), 2 * replay.trades.len(), "{book:?}");
    assert!(book.iter().all(|o| o.status == "COMPLETE"), "{book:?}");
    assert!(
        book.iter().all(|o| o.exchange == "NSE"),
        "shares trade on NSE: {book:?}"
    );
    for t in &live.report.trades {
        let first = book
            .iter()
            .find(|o| o.tradingsymbol == t.option_symbol)
            .unwrap();
        let opened_by = match t.signal_type.direction() {
            Some(domain::Direction::Short) => Side::Sell,
            _ => Side::Buy,
        };
        assert_eq!(first.side, opened_by, "{}: {first:?}", key(t));
    }

    // Paper recorded each stock's day as the shipped 1-minute bars, volume included (so a
    // recorded scanner day replays as the shipped one).
    let shipped = catalog::Catalog::open(data_dir()).unwrap();
    let recorded = catalog::Catalog::open(recorded_catalog(pdir.path())).unwrap();
    let mut universe = scanner();
    universe.expand_universe().unwrap();
    let stocks: Vec<_> = universe
        .engine
        .segments
        .iter()
        .filter(|s| s.symbol().is_some())
        .collect();
    assert_eq!(stocks.len(), 5);
    for seg in stocks {
        let series = universe.series(*seg);
        let want: Vec<domain::Bar> = shipped
            .bars(&series, day())
            .unwrap()
            .into_iter()
            .filter(catalog::replay::ticks::in_session)
            .collect();
        assert!(want.iter().all(|b| b.volume.is_some()), "{series}");
        assert_eq!(recorded.bars(&series, day()).unwrap(), want, "{series}");
    }
    paper_sim.shutdown().await;
    live_sim.shutdown().await;
}

/// `config/scanner-sim.toml` (the README's dry-run against the simulator) is the scanner in
/// paper mode with the simulator's `[kite]` keys.
#[test]
fn the_shipped_dry_run_config_is_the_scanner_in_paper() {
    let mut c = config("config/scanner-sim.toml");
    assert_eq!(c.engine.mode, SessionKind::Paper.mode());
    let kite = c.kite.clone().unwrap();
    assert_eq!(kite["api_base_url"].as_str(), Some("http://127.0.0.1:8800"));
    c.expand_universe().unwrap();
    let mut base = scanner();
    base.expand_universe().unwrap();
    base.engine.mode = c.engine.mode;
    assert_eq!(c.engine.segments, base.engine.segments);
    assert_eq!(c.strategy, base.strategy);
}

/// The futures day: both agents go short (`BUY_PE` signals sell the future).
fn futures_day() -> NaiveDate {
    kestrel_support::date(2024, 8, 5)
}

fn futures() -> config::Config {
    config("config/futures.toml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_and_live_trade_the_index_futures_like_replay() {
    let replay = tokio::task::spawn_blocking(|| kestrel_support::replay(futures(), futures_day()))
        .await
        .unwrap();
    assert_eq!(replay.trades.len(), 2, "{:?}", replay.trades);
    assert!(
        replay
            .trades
            .iter()
            .all(|t| t.signal_type.direction() == Some(domain::Direction::Short)),
        "2024-08-05 is the day both futures are sold"
    );
    let Sessions {
        paper_sim,
        live_sim,
        pdir,
        live,
        _ldir,
    } = paper_and_live_like_replay(
        futures,
        "config/futures.toml",
        futures_day(),
        &replay.trades,
    )
    .await;

    // Live's book: one SELL to open and one BUY to close each future, on NFO, MIS, filled.
    let book = live_sim.orders();
    let journaled: BTreeSet<String> = journal_orders(&live.journal_dir)
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    let tags: BTreeSet<String> = book
        .iter()
        .map(|o| o.tag.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        tags.len(),
        book.len(),
        "an order was placed twice: {book:?}"
    );
    assert_eq!(tags, journaled, "simulator book vs live journal");
    for t in &live.report.trades {
        let legs: Vec<_> = book
            .iter()
            .filter(|o| o.tradingsymbol == t.option_symbol)
            .collect();
        let sides: Vec<Side> = legs.iter().map(|o| o.side).collect();
        assert_eq!(sides, vec![Side::Sell, Side::Buy], "{}: {legs:?}", key(t));
        assert!(
            legs.iter()
                .all(|o| o.exchange == "NFO" && o.product == "MIS" && o.status == "COMPLETE"),
            "{legs:?}"
        );
        assert!(t.option_symbol.ends_with("24AUGFUT"), "{}", t.option_symbol);
    }
    // The recording holds each future's day as 1-minute bars under `NAME-FUT` (the minutes
    // the streamed 5-minute bars' ticks fell in), with the shipped day's volume, all of it.
    let shipped = catalog::Catalog::open(data_dir()).unwrap();
    let recorded = catalog::Catalog::open(recorded_catalog(pdir.path())).unwrap();
    for name in ["NIFTY-FUT", "BANKNIFTY-FUT"] {
        let bars = recorded.bars(name, futures_day()).unwrap();
        let volume = |b: &[domain::Bar]| b.iter().filter_map(|b| b.volume).sum::<u64>();
        let want = shipped.bars(&format!("{name}_5m"), futures_day()).unwrap();
        assert!(bars.len() > want.len(), "{name}: {} bars", bars.len());
        assert_eq!(volume(&bars), volume(&want), "{name}");
        assert!(volume(&want) > 0, "{name}");
    }
    paper_sim.shutdown().await;
    live_sim.shutdown().await;
}
