//! Hand-worked examples for trading the underlying (equity intraday and futures), with the
//! arithmetic written out as in `worked_examples.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::worked_examples::{Row, d, parts};
use super::*;
use rust_decimal_macros::dec;

fn of(kind: ChargeKind, day: NaiveDate, ex: Exchange, side: Side, turnover: Decimal) -> Row {
    parts(ChargesSchedule::builtin().charges_for(kind, day, ex, side, turnover, true))
}

/// Equity intraday on NSE, 2024-06-03 (NSE 0.00322 % + IPFT ₹10/crore):
///
/// BUY 100 @ ₹2,900 → ₹2,90,000
/// - brokerage min(20, 290000 × 0.0003 = 87) = ₹20.00; STT 0
/// - exchange 290000 × 0.0000322 = 9.338 + IPFT 0.29 = 9.628 → ₹9.63; SEBI ₹0.29
/// - stamp 290000 × 0.00003 = ₹8.70
/// - GST 18 % × (20 + 9.63 + 0.29) = 5.3856 → ₹5.39
/// - total 20 + 9.63 + 0.29 + 8.70 + 5.39 = ₹44.01
///
/// SELL 100 @ ₹2,910 → ₹2,91,000
/// - brokerage ₹20.00; STT 291000 × 0.00025 = ₹72.75
/// - exchange 9.3702 + 0.291 = 9.6612 → ₹9.66; SEBI 0.291 → ₹0.29
/// - GST 18 % × 29.95 = 5.391 → ₹5.39; total 20 + 72.75 + 9.66 + 0.29 + 5.39 = ₹108.09
#[test]
fn equity_intraday_nse_2024_06_03() {
    let k = ChargeKind::EquityIntraday;
    let day = d(2024, 6, 3);
    assert_eq!(
        of(k, day, Exchange::NSE, Side::Buy, dec!(290000)),
        (
            dec!(20.00),
            dec!(0),
            dec!(9.63),
            dec!(0.29),
            dec!(8.70),
            dec!(5.39),
            dec!(44.01)
        )
    );
    assert_eq!(
        of(k, day, Exchange::NSE, Side::Sell, dec!(291000)),
        (
            dec!(20.00),
            dec!(72.75),
            dec!(9.66),
            dec!(0.29),
            dec!(0),
            dec!(5.39),
            dec!(108.09)
        )
    );
}

/// Equity intraday, small order where 0.03 % is below ₹20, 2024-12-02: BUY 10 @ ₹500 = ₹5,000
/// - NSE: brokerage 5000 × 0.0003 = ₹1.50; exchange 0.1485 + IPFT 0.005 = 0.1535 → 0.15;
///   SEBI 0.005 → 0.01; stamp 0.15; GST 18 % × 1.66 = 0.2988 → 0.30;
///   total 1.50 + 0.15 + 0.01 + 0.15 + 0.30 = ₹2.11
/// - BSE: exchange 5000 × 0.0000375 = 0.1875 → 0.19 (no IPFT); GST 18 % × 1.70 = 0.306 →
///   0.31; total 1.50 + 0.19 + 0.01 + 0.15 + 0.31 = ₹2.16
///
/// A zero-turnover equity order pays nothing (0.03 % of 0).
#[test]
fn equity_intraday_percentage_brokerage() {
    let k = ChargeKind::EquityIntraday;
    let day = d(2024, 12, 2);
    assert_eq!(
        of(k, day, Exchange::NSE, Side::Buy, dec!(5000)),
        (
            dec!(1.50),
            dec!(0),
            dec!(0.15),
            dec!(0.01),
            dec!(0.15),
            dec!(0.30),
            dec!(2.11)
        )
    );
    assert_eq!(
        of(k, day, Exchange::BSE, Side::Buy, dec!(5000)),
        (
            dec!(1.50),
            dec!(0),
            dec!(0.19),
            dec!(0.01),
            dec!(0.15),
            dec!(0.31),
            dec!(2.16)
        )
    );
    assert_eq!(
        of(k, day, Exchange::NSE, Side::Sell, Decimal::ZERO).6,
        dec!(0)
    );
}

/// NIFTY futures on NFO, 2024-06-03 (NSE 0.00183 % + IPFT ₹10/crore, STT 0.0125 %):
///
/// BUY 25 @ ₹22,600 → ₹5,65,000: brokerage min(20, 169.50) = ₹20; exchange 10.3395 + 0.565
/// = 10.9045 → ₹10.90; SEBI 0.565 → ₹0.57; stamp 565000 × 0.00002 = ₹11.30;
/// GST 18 % × (20 + 10.90 + 0.57) = 5.6646 → ₹5.66; total 20 + 10.90 + 0.57 + 11.30 + 5.66
/// = ₹48.43.
///
/// SELL 25 @ ₹22,700 → ₹5,67,500: STT 567500 × 0.000125 = 70.9375 → ₹70.94; exchange
/// 10.38525 + 0.5675 = 10.95275 → ₹10.95; SEBI 0.5675 → ₹0.57; GST 18 % × 31.52 = 5.6736 →
/// ₹5.67; total 20 + 70.94 + 10.95 + 0.57 + 5.67 = ₹108.13.
#[test]
fn future_nfo_2024_06_03() {
    let k = ChargeKind::Future;
    let day = d(2024, 6, 3);
    assert_eq!(
        of(k, day, Exchange::NFO, Side::Buy, dec!(22600) * dec!(25)),
        (
            dec!(20.00),
            dec!(0),
            dec!(10.90),
            dec!(0.57),
            dec!(11.30),
            dec!(5.66),
            dec!(48.43)
        )
    );
    assert_eq!(
        of(k, day, Exchange::NFO, Side::Sell, dec!(22700) * dec!(25)),
        (
            dec!(20.00),
            dec!(70.94),
            dec!(10.95),
            dec!(0.57),
            dec!(0),
            dec!(5.67),
            dec!(108.13)
        )
    );
}

/// Futures after 1-Apr-2026 (STT 0.05 %, NSE 0.00173 % + IPFT): SELL 65 @ ₹23,000 =
/// ₹14,95,000 → STT ₹747.50; exchange 25.8635 + 1.495 = 27.3585 → ₹27.36; SEBI 1.495 →
/// ₹1.50; GST 18 % × (20 + 27.36 + 1.50) = 8.7948 → ₹8.79;
/// total 20 + 747.50 + 27.36 + 1.50 + 8.79 = ₹805.15.
///
/// SENSEX futures on BFO, 2024-12-02 (no BSE futures fee): BUY 10 @ ₹80,000 = ₹8,00,000 →
/// exchange 0; SEBI ₹0.80; stamp 800000 × 0.00002 = ₹16.00; GST 18 % × 20.80 = 3.744 →
/// ₹3.74; total 20 + 0.80 + 16.00 + 3.74 = ₹40.54.
#[test]
fn future_after_april_2026_and_on_bfo() {
    let k = ChargeKind::Future;
    assert_eq!(
        of(
            k,
            d(2026, 4, 6),
            Exchange::NFO,
            Side::Sell,
            dec!(23000) * dec!(65)
        ),
        (
            dec!(20.00),
            dec!(747.50),
            dec!(27.36),
            dec!(1.50),
            dec!(0),
            dec!(8.79),
            dec!(805.15)
        )
    );
    assert_eq!(
        of(k, d(2024, 12, 2), Exchange::BFO, Side::Buy, dec!(800000)),
        (
            dec!(20.00),
            dec!(0),
            dec!(0),
            dec!(0.80),
            dec!(16.00),
            dec!(3.74),
            dec!(40.54)
        )
    );
}
