//! Replay behaviour on the shipped real data beyond the golden trade lists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use backtest::{ReplayContext, replay_day};
use chrono::NaiveDate;
use config::Config;
use domain::PremiumSource;
use journal::MemoryJournal;
use kestrel_support::{data_dir, repo_root};

fn ctx() -> ReplayContext {
    let cfg = Config::load(&repo_root().join("config/default.toml")).unwrap();
    ReplayContext::new(cfg, catalog::Catalog::open(data_dir()).unwrap()).unwrap()
}

fn run(ctx: &ReplayContext, date: NaiveDate) -> engine::DayReport {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(replay_day(ctx, date, Box::new(MemoryJournal::default())))
        .unwrap()
}

/// 2022-11-18 has real option ticks in the catalog: every fill and trade uses them.
#[test]
fn real_option_premiums_on_2022_11_18() {
    let r = run(&ctx(), NaiveDate::from_ymd_opt(2022, 11, 18).unwrap());
    assert!(!r.trades.is_empty());
    for t in &r.trades {
        assert_eq!(
            t.premium_source,
            PremiumSource::Market,
            "{}",
            t.option_symbol
        );
        assert!(
            t.option_symbol.contains("22NOV"),
            "monthly Nov-2022 contract: {}",
            t.option_symbol
        );
        let lot = if t.segment.code() == "NIFTY" { 50 } else { 25 };
        assert_eq!(t.quantity, t.lots * lot, "2022 lot size of {}", t.segment);
    }
}

/// 2024 has no option data: premiums come from the Black-76 model and say so; the contract is
/// the nearest weekly (NIFTY Thursday, BANKNIFTY Wednesday) with the 2024 lot sizes.
#[test]
fn modelled_premiums_and_contracts_on_2024_06_03() {
    let r = run(&ctx(), NaiveDate::from_ymd_opt(2024, 6, 3).unwrap());
    for t in &r.trades {
        assert_eq!(t.premium_source, PremiumSource::Model);
        match t.segment.code() {
            "NIFTY" => {
                assert_eq!(t.expiry, NaiveDate::from_ymd_opt(2024, 6, 6).unwrap());
                assert_eq!(t.quantity, t.lots * 25);
                assert!(t.quantity <= 1500, "pyramiding cap");
                assert!(
                    t.option_symbol.starts_with("NIFTY24606"),
                    "{}",
                    t.option_symbol
                );
            }
            _ => {
                assert_eq!(t.expiry, NaiveDate::from_ymd_opt(2024, 6, 5).unwrap());
                assert_eq!(t.quantity, t.lots * 15);
                assert!(t.quantity <= 1000, "pyramiding cap");
            }
        }
        assert!(t.charges > domain::Decimal::ZERO);
        assert_eq!(t.net_pnl, t.pnl_value - t.charges);
    }
}

/// Spec §3.1 rule 4: a day is independent of what was replayed before it; replays are
/// reproducible bit for bit.
#[test]
fn days_are_independent_and_reproducible() {
    let c = ctx();
    let d = NaiveDate::from_ymd_opt(2024, 6, 4).unwrap();
    let alone = run(&c, d);
    let _before = run(&c, NaiveDate::from_ymd_opt(2024, 6, 3).unwrap());
    let again = run(&c, d);
    assert_eq!(alone.trades, again.trades);
    assert_eq!(alone.summary, again.summary);
}
