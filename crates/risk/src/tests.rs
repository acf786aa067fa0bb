//! Unit tests of the risk gate: entry window, holiday and loss halts, loss-streak lock, lot sizing and freeze splits (proptest).

use super::*;
use chrono::NaiveDate;
use domain::time::ist_hms;
use proptest::prelude::*;

fn engine() -> RiskEngine {
    RiskEngine::new(
        RiskConfig::default(),
        dec!(1000000),
        MarketCalendar::builtin(),
    )
}

fn intent(kind: IntentKind, h: u32, m: u32, s: u32) -> OrderIntent {
    let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    OrderIntent {
        segment: Segment::Nifty,
        kind,
        time: ist_hms(d, h, m, s),
        quantity: 25,
        lot_size: 25,
        risk_per_unit: None,
        strategy: None,
    }
}

#[test]
fn each_strategy_once_a_day_over_all_segments() {
    let cfg = RiskConfig {
        max_entries_per_strategy_per_day: 1,
        ..RiskConfig::default()
    };
    let e = RiskEngine::new(cfg, dec!(1000000), MarketCalendar::builtin());
    let s8 = OrderIntent {
        strategy: Some("s8".into()),
        ..intent(IntentKind::Entry, 10, 0, 0)
    };
    let mut st = RiskState::default();
    assert_eq!(e.evaluate(&s8, &st), Decision::Approve);
    // s8 entered once today, in another segment: blocked; s12 and a manual entry are not.
    st.strategy_entries.insert("s8".into(), 1);
    assert!(matches!(
        e.evaluate(&s8, &st),
        Decision::Block { rule: Rule::MaxEntriesPerStrategy, ref reason } if reason.contains("s8")
    ));
    let s12 = OrderIntent {
        strategy: Some("s12".into()),
        ..s8.clone()
    };
    assert_eq!(e.evaluate(&s12, &st), Decision::Approve);
    assert_eq!(
        e.evaluate(&intent(IntentKind::Entry, 10, 0, 0), &st),
        Decision::Approve
    );
    // Off by default.
    assert_eq!(engine().evaluate(&s8, &st), Decision::Approve);
}

#[test]
fn entry_window_is_inclusive() {
    let e = engine();
    let st = RiskState::default();
    assert_eq!(
        e.evaluate(&intent(IntentKind::Entry, 9, 20, 0), &st),
        Decision::Approve
    );
    assert_eq!(
        e.evaluate(&intent(IntentKind::Entry, 15, 0, 0), &st),
        Decision::Approve
    );
    assert!(matches!(
        e.evaluate(&intent(IntentKind::Entry, 9, 19, 45), &st),
        Decision::Block {
            rule: Rule::EntryWindow,
            ..
        }
    ));
    assert!(matches!(
        e.evaluate(&intent(IntentKind::Entry, 15, 0, 15), &st),
        Decision::Block {
            rule: Rule::EntryWindow,
            ..
        }
    ));
}

#[test]
fn holiday_blocks_and_loss_halts() {
    let e = engine();
    let d = NaiveDate::from_ymd_opt(2024, 6, 17).unwrap(); // Bakri Id
    let mut i = intent(IntentKind::Entry, 10, 0, 0);
    i.time = ist_hms(d, 10, 0, 0);
    assert!(matches!(
        e.evaluate(&i, &RiskState::default()),
        Decision::Block {
            rule: Rule::TradingDay,
            ..
        }
    ));
    let st = RiskState {
        realized_pnl: dec!(-15000),
        open_pnl: dec!(-5000),
        ..Default::default()
    };
    assert!(matches!(
        e.evaluate(&intent(IntentKind::Entry, 10, 0, 0), &st),
        Decision::HaltSession {
            rule: Rule::MaxDailyLoss,
            ..
        }
    ));
}

#[test]
fn consecutive_losses_lock_with_cooldown() {
    let cfg = RiskConfig {
        max_consecutive_losses: 2,
        cooldown_minutes: 30,
        ..Default::default()
    };
    let e = RiskEngine::new(cfg, dec!(1000000), MarketCalendar::builtin());
    let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let mut st = RiskState::default();
    st.segments.insert(
        Segment::Nifty,
        SegmentRiskState {
            consecutive_losses: 2,
            last_loss_at: Some(ist_hms(d, 10, 0, 0)),
            ..Default::default()
        },
    );
    let at = |h, m| OrderIntent {
        time: ist_hms(d, h, m, 0),
        ..intent(IntentKind::Entry, 10, 0, 0)
    };
    assert!(matches!(
        e.evaluate(&at(10, 29), &st),
        Decision::Block {
            rule: Rule::ConsecutiveLosses,
            ..
        }
    ));
    assert_eq!(e.evaluate(&at(10, 30), &st), Decision::Approve);
    let locks = e.locks(&st, ist_hms(d, 10, 5, 0));
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].until, Some(ist_hms(d, 10, 30, 0)));
    // Other segments are not locked.
    let mut bn = at(10, 5);
    bn.segment = Segment::BankNifty;
    assert_eq!(e.evaluate(&bn, &st), Decision::Approve);
}

#[test]
fn per_trade_risk_reduces_to_whole_lots_or_blocks() {
    let cfg = RiskConfig {
        per_trade_risk_pct: dec!(0.25),
        ..Default::default()
    };
    let e = RiskEngine::new(cfg, dec!(1000000), MarketCalendar::builtin()); // budget ₹2,500
    let mut i = intent(IntentKind::Entry, 10, 0, 0);
    i.quantity = 250; // 10 lots of 25
    i.risk_per_unit = Some(dec!(30)); // ₹750 per lot → 3 lots fit
    assert!(matches!(
        e.evaluate(&i, &RiskState::default()),
        Decision::Reduce { quantity: 75, .. }
    ));
    i.risk_per_unit = Some(dec!(120)); // ₹3,000 per lot → below one lot
    assert!(matches!(
        e.evaluate(&i, &RiskState::default()),
        Decision::Block {
            rule: Rule::PerTradeRisk,
            ..
        }
    ));
}

#[test]
fn freeze_split_examples() {
    assert_eq!(split_quantity(1500, 75, 1800), vec![1500]);
    assert_eq!(split_quantity(2000, 25, 1800), vec![1800, 200]);
    assert_eq!(split_quantity(1000, 35, 900), vec![875, 125]);
}

proptest! {
    /// Freeze splitting: whole lots, nothing lost, no order above the limit (or one lot).
    #[test]
    fn split_is_whole_lots(lots in 1u32..200, lot in 1u32..100, freeze in 0u32..3000) {
        let q = lots * lot;
        let parts = split_quantity(q, lot, freeze);
        prop_assert_eq!(parts.iter().sum::<u32>(), q);
        for p in &parts {
            prop_assert!(p % lot == 0 && *p > 0);
            if freeze > 0 { prop_assert!(*p <= freeze.max(lot)); }
        }
    }

    /// No entry or add is approved after a halt or while paused; exits always are.
    #[test]
    fn nothing_new_after_halt_or_pause(halted in any::<bool>(), paused in any::<bool>(), add in any::<bool>(),
                                       h in 9u32..16, m in 0u32..60) {
        prop_assume!(halted || paused);
        let e = engine();
        let st = RiskState { halted, paused, ..Default::default() };
        let kind = if add { IntentKind::Add } else { IntentKind::Entry };
        prop_assert!(!e.evaluate(&intent(kind, h, m, 0), &st).allows());
        prop_assert_eq!(e.evaluate(&intent(IntentKind::Exit, h, m, 0), &st), Decision::Approve);
    }

    /// Exits are always approved, whatever the state and time.
    #[test]
    fn exits_never_blocked(h in 0u32..24, m in 0u32..60, open in 0u32..5, trades in 0u32..50,
                           pnl in -100000i64..100000, halted in any::<bool>()) {
        let e = engine();
        let mut st = RiskState { realized_pnl: Decimal::from(pnl), halted, ..Default::default() };
        st.segments.insert(Segment::Nifty, SegmentRiskState { open_positions: open, trades_today: trades, ..Default::default() });
        prop_assert_eq!(e.evaluate(&intent(IntentKind::Exit, h, m, 0), &st), Decision::Approve);
    }

    /// An approved entry never exceeds the trade caps.
    #[test]
    fn approved_entry_respects_caps(trades in 0u32..10, open in 0u32..3) {
        let e = engine();
        let mut st = RiskState::default();
        st.segments.insert(Segment::Nifty, SegmentRiskState { open_positions: open, trades_today: trades, ..Default::default() });
        if e.evaluate(&intent(IntentKind::Entry, 10, 0, 0), &st).allows() {
            prop_assert!(trades < 5 && open < 1);
        }
    }
}

#[test]
fn a_reconciliation_mismatch_blocks_entries_not_exits() {
    let e = RiskEngine::new(
        RiskConfig::default(),
        dec!(1000000),
        MarketCalendar::builtin(),
    );
    let st = RiskState {
        unreconciled: Some("NIFTY24JUN23000CE: broker 25, engine 0".into()),
        ..Default::default()
    };
    match e.evaluate(&intent(IntentKind::Entry, 10, 0, 0), &st) {
        Decision::Block { rule, reason } => {
            assert_eq!(rule, Rule::Reconciliation);
            assert!(reason.contains("NIFTY24JUN23000CE"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.evaluate(&intent(IntentKind::Exit, 10, 0, 0), &st),
        Decision::Approve
    );
}
