#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn builtin_schedules_parse_and_cite_sources() {
    let s = ChargesSchedule::builtin();
    assert_eq!(s.entries_of(ChargeKind::IndexOption).len(), 7);
    assert_eq!(s.entries_of(ChargeKind::Future).len(), 5);
    assert_eq!(s.entries_of(ChargeKind::EquityIntraday).len(), 5);
    assert_eq!(s.entries(), s.entries_of(ChargeKind::IndexOption));
    for kind in ChargeKind::ALL {
        for e in s.entries_of(kind) {
            assert!(
                e.source.as_deref().is_some_and(|t| t.len() > 40),
                "{kind} {} cites no source",
                e.effective_from
            );
            assert_eq!(e.brokerage_per_order, dec!(20), "{kind}");
            assert_eq!(e.sebi_per_crore, dec!(10), "{kind}");
            assert_eq!(e.gst_pct, dec!(18), "{kind}");
            // IPFT: ₹0.01/crore before 1-Apr-2023, then ₹50 (options) / ₹10 (others).
            let ipft = if e.effective_from < d(2023, 4, 1) {
                dec!(0.01)
            } else if kind == ChargeKind::IndexOption {
                dec!(50)
            } else {
                dec!(10)
            };
            assert_eq!(e.nse_ipft_per_crore, ipft, "{kind} {}", e.effective_from);
            match kind {
                ChargeKind::IndexOption => {
                    assert_eq!(e.brokerage_pct, None);
                    assert_eq!(e.stamp_buy_pct, dec!(0.003));
                }
                ChargeKind::Future => {
                    assert_eq!(e.brokerage_pct, Some(dec!(0.03)));
                    assert_eq!(e.stamp_buy_pct, dec!(0.002));
                    assert_eq!(e.bse_txn_pct, dec!(0));
                }
                ChargeKind::EquityIntraday => {
                    assert_eq!(e.brokerage_pct, Some(dec!(0.03)));
                    assert_eq!(e.stamp_buy_pct, dec!(0.003));
                    assert_eq!(e.stt_sell_pct, dec!(0.025));
                }
            }
        }
    }
}

#[test]
fn option_rates_by_date() {
    let s = ChargesSchedule::builtin();
    let at = |y, m, day| s.entry_of(ChargeKind::IndexOption, d(y, m, day));
    assert_eq!(at(2020, 12, 31).nse_txn_pct, dec!(0.05));
    assert_eq!(at(2021, 1, 1).nse_txn_pct, dec!(0.053));
    assert_eq!(at(2022, 11, 18).nse_txn_pct, dec!(0.053));
    assert_eq!(at(2022, 11, 18).stt_sell_pct, dec!(0.05));
    assert_eq!(at(2023, 3, 31).nse_txn_pct, dec!(0.053));
    assert_eq!(at(2023, 4, 1).nse_txn_pct, dec!(0.0495));
    assert_eq!(at(2023, 4, 1).stt_sell_pct, dec!(0.0625));
    assert_eq!(at(2023, 10, 31).bse_txn_pct, dec!(0.005));
    assert_eq!(at(2023, 11, 1).bse_txn_pct, dec!(0.0375));
    assert_eq!(at(2024, 5, 10).bse_txn_pct, dec!(0.0375));
    assert_eq!(at(2024, 5, 13).bse_txn_pct, dec!(0.0495));
    assert_eq!(at(2024, 9, 30).nse_txn_pct, dec!(0.0495));
    assert_eq!(at(2024, 10, 1).stt_sell_pct, dec!(0.1));
    assert_eq!(at(2024, 10, 1).nse_txn_pct, dec!(0.03503));
    assert_eq!(at(2024, 10, 1).bse_txn_pct, dec!(0.0325));
    // The reported NSE revision of 1-Mar-2026 is not applied (no primary source found).
    assert_eq!(at(2026, 3, 2).nse_txn_pct, dec!(0.03503));
    assert_eq!(at(2026, 3, 31).stt_sell_pct, dec!(0.1));
    assert_eq!(at(2026, 4, 1).stt_sell_pct, dec!(0.15));
    assert_eq!(s.entry_for(d(2019, 1, 1)), &s.entries()[0]);
}

#[test]
fn future_and_equity_rates_by_date() {
    let s = ChargesSchedule::builtin();
    let fut = |y, m, day| s.entry_of(ChargeKind::Future, d(y, m, day));
    assert_eq!(fut(2022, 11, 18).stt_sell_pct, dec!(0.01));
    assert_eq!(fut(2022, 11, 18).nse_txn_pct, dec!(0.002));
    assert_eq!(fut(2023, 4, 1).stt_sell_pct, dec!(0.0125));
    assert_eq!(fut(2024, 9, 30).nse_txn_pct, dec!(0.00183));
    assert_eq!(fut(2024, 10, 1).stt_sell_pct, dec!(0.02));
    assert_eq!(fut(2024, 10, 1).nse_txn_pct, dec!(0.00173));
    assert_eq!(fut(2026, 4, 1).stt_sell_pct, dec!(0.05));
    let eq = |y, m, day| s.entry_of(ChargeKind::EquityIntraday, d(y, m, day));
    assert_eq!(eq(2020, 12, 31).nse_txn_pct, dec!(0.00325));
    assert_eq!(eq(2022, 11, 30).nse_txn_pct, dec!(0.00345));
    assert_eq!(eq(2022, 11, 30).bse_txn_pct, dec!(0.003));
    assert_eq!(eq(2022, 12, 1).bse_txn_pct, dec!(0.00375));
    assert_eq!(eq(2024, 6, 3).nse_txn_pct, dec!(0.00322));
    assert_eq!(eq(2024, 10, 1).nse_txn_pct, dec!(0.00297));
    assert_eq!(eq(2026, 4, 1).stt_sell_pct, dec!(0.025));
}

#[test]
fn charge_kind_serde_names() {
    for (kind, name) in [
        (ChargeKind::IndexOption, "index_option"),
        (ChargeKind::Future, "future"),
        (ChargeKind::EquityIntraday, "equity_intraday"),
    ] {
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
        assert_eq!(kind.to_string(), name);
        let back: ChargeKind = serde_json::from_str(&format!("\"{name}\"")).unwrap();
        assert_eq!(back, kind);
    }
    assert!(serde_json::from_str::<ChargeKind>("\"option\"").is_err());
}

const ENTRY: &str = r#"
    [[charges]]
    effective_from = "2024-10-01"
    brokerage_per_order = 0
    stt_sell_pct = "0.1"
    nse_txn_pct = 0.03503
    bse_txn_pct = 0.0325
    nse_ipft_per_crore = 0
    sebi_per_crore = 10
    stamp_buy_pct = 0.003
    gst_pct = 18
"#;

#[test]
fn config_entries_replace_one_kind() {
    let e = ChargesSchedule::parse_toml(ENTRY).unwrap();
    assert_eq!(e[0].nse_txn_pct, dec!(0.03503));
    assert_eq!(e[0].source, None);
    assert_eq!(e[0].brokerage_pct, None);
    let s = ChargesSchedule::from_entries(e.clone()).unwrap();
    let c = s.charges_for_fill(d(2024, 10, 1), Exchange::NFO, Side::Sell, dec!(1000));
    assert_eq!(c.brokerage, dec!(0));
    assert_eq!(c.stt, dec!(1.00));
    // The other kinds keep their built-in entries.
    let builtin = ChargesSchedule::builtin();
    assert_eq!(
        s.entries_of(ChargeKind::Future),
        builtin.entries_of(ChargeKind::Future)
    );
    let s = builtin.with_entries(ChargeKind::Future, e).unwrap();
    assert_eq!(s.entries_of(ChargeKind::Future).len(), 1);
    assert_eq!(s.entries(), ChargesSchedule::builtin().entries());
}

#[test]
fn config_errors_name_the_problem() {
    let e = ChargesSchedule::parse_toml(ENTRY).unwrap();
    assert_eq!(
        ChargesSchedule::from_entries(vec![]),
        Err(ChargesError::Empty {
            kind: "index_option"
        })
    );
    assert_eq!(
        ChargesSchedule::builtin()
            .with_entries(ChargeKind::Future, vec![e[0].clone(), e[0].clone()]),
        Err(ChargesError::Duplicate {
            kind: "future",
            date: d(2024, 10, 1)
        })
    );
    let mut neg = e[0].clone();
    neg.brokerage_pct = Some(dec!(-0.03));
    let err = ChargesSchedule::from_entries(vec![neg]).unwrap_err();
    assert!(matches!(
        err,
        ChargesError::Negative {
            field: "brokerage_pct",
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "negative rate `brokerage_pct` in the index_option charges entry from 2024-10-01"
    );
    let unknown = ENTRY.replace("gst_pct = 18", "gst_pct = 18\nipft = 1");
    let err = ChargesSchedule::parse_toml(&unknown)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ipft") && err.contains("line 12"), "{err}");
    let missing = ENTRY.replace("nse_ipft_per_crore = 0", "");
    let err = ChargesSchedule::parse_toml(&missing)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nse_ipft_per_crore"), "{err}");
}

fn any_kind() -> impl Strategy<Value = ChargeKind> {
    prop::sample::select(ChargeKind::ALL.to_vec())
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 2020-06-01 ..= 2026-12-31, covering every entry of every kind.
    (0i64..2405).prop_map(|n| d(2020, 6, 1) + chrono::Duration::days(n))
}

fn any_exchange() -> impl Strategy<Value = Exchange> {
    prop::sample::select(vec![
        Exchange::NFO,
        Exchange::BFO,
        Exchange::NSE,
        Exchange::BSE,
    ])
}

fn any_side() -> impl Strategy<Value = Side> {
    prop::sample::select(vec![Side::Buy, Side::Sell])
}

/// Turnover in paise up to ₹10 crore.
fn any_turnover() -> impl Strategy<Value = Decimal> {
    (0i64..1_000_000_000).prop_map(|p| Decimal::new(p, 2))
}

fn components(c: &ChargeBreakdown) -> [Decimal; 6] {
    [c.brokerage, c.stt, c.exchange_txn, c.sebi, c.stamp, c.gst]
}

proptest! {
    #[test]
    fn total_is_the_sum_of_non_negative_paise_components(
        kind in any_kind(), date in any_date(), ex in any_exchange(), side in any_side(),
        t in any_turnover(), first in any::<bool>(),
    ) {
        let c = ChargesSchedule::builtin().charges_for(kind, date, ex, side, t, first);
        let parts = components(&c);
        prop_assert_eq!(c.total, parts.iter().copied().sum::<Decimal>());
        for p in parts {
            prop_assert!(p >= Decimal::ZERO, "{:?}", c);
            prop_assert_eq!(p, p.round_dp(2), "not whole paise: {:?}", c);
        }
        prop_assert_eq!(c.brokerage.is_zero() || first, true);
        match side {
            Side::Buy => prop_assert!(c.stt.is_zero()),
            Side::Sell => prop_assert!(c.stamp.is_zero()),
        }
    }

    #[test]
    fn charges_are_monotone_in_turnover(
        kind in any_kind(), date in any_date(), ex in any_exchange(), side in any_side(),
        a in any_turnover(), b in any_turnover(), first in any::<bool>(),
    ) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let s = ChargesSchedule::builtin();
        let cl = s.charges_for(kind, date, ex, side, lo, first);
        let ch = s.charges_for(kind, date, ex, side, hi, first);
        prop_assert!(cl.total <= ch.total, "{:?} > {:?}", cl, ch);
        for (l, h) in components(&cl).into_iter().zip(components(&ch)) {
            prop_assert!(l <= h, "{:?} > {:?}", cl, ch);
        }
    }
}
