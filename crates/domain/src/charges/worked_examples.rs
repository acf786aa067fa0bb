//! Hand-worked examples, one per kind and rate period, with the arithmetic written out
//! (Zerodha brokerage-calculator style, rounded per the module docs: each component to the
//! paisa half away from zero, exchange + IPFT rounded together, GST on the rounded amounts).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use rust_decimal_macros::dec;

pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// (brokerage, stt, exchange_txn, sebi, stamp, gst, total).
pub(super) type Row = (
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
);

pub(super) fn parts(c: ChargeBreakdown) -> Row {
    (
        c.brokerage,
        c.stt,
        c.exchange_txn,
        c.sebi,
        c.stamp,
        c.gst,
        c.total,
    )
}

fn opt(day: NaiveDate, ex: Exchange, side: Side, turnover: Decimal) -> Row {
    parts(ChargesSchedule::builtin().charges_for_fill(day, ex, side, turnover))
}

/// NIFTY on NFO, 2024-06-03 (lot 25), NSE 0.0495 % + IPFT ₹50/crore, STT 0.0625 %:
///
/// BUY 25 @ ₹120.50 → turnover ₹3,012.50
/// - brokerage ₹20.00; STT (buy) 0
/// - exchange 3012.50 × 0.000495 = 1.4911875, IPFT 3012.50 × 50 / 1e7 = 0.0150625;
///   sum 1.50625 → ₹1.51
/// - SEBI 3012.50 × 10 / 1e7 = 0.0030125 → ₹0.00; stamp 3012.50 × 0.00003 = 0.090375 → ₹0.09
/// - GST 18 % × (20.00 + 1.51 + 0.00) = 3.8718 → ₹3.87
/// - total 20.00 + 1.51 + 0.00 + 0.09 + 3.87 = ₹25.47
///
/// SELL 25 @ ₹140.00 → turnover ₹3,500.00
/// - brokerage ₹20.00; STT 3500 × 0.000625 = 2.1875 → ₹2.19
/// - exchange 1.7325 + IPFT 0.0175 = 1.75 → ₹1.75; SEBI 0.0035 → ₹0.00; stamp 0
/// - GST 18 % × 21.75 = 3.915 → ₹3.92 (half away from zero)
/// - total 20.00 + 2.19 + 1.75 + 0.00 + 3.92 = ₹27.86
#[test]
fn option_nfo_2024_06_03() {
    let day = d(2024, 6, 3);
    let buy = opt(day, Exchange::NFO, Side::Buy, dec!(120.50) * dec!(25));
    assert_eq!(
        buy,
        (
            dec!(20.00),
            dec!(0),
            dec!(1.51),
            dec!(0.00),
            dec!(0.09),
            dec!(3.87),
            dec!(25.47)
        )
    );
    let sell = opt(day, Exchange::NFO, Side::Sell, dec!(140.00) * dec!(25));
    assert_eq!(
        sell,
        (
            dec!(20.00),
            dec!(2.19),
            dec!(1.75),
            dec!(0.00),
            dec!(0),
            dec!(3.92),
            dec!(27.86)
        )
    );
    let s = ChargesSchedule::builtin();
    let b = s.charges_for_fill(day, Exchange::NFO, Side::Buy, dec!(3012.50));
    let x = s.charges_for_fill(day, Exchange::NFO, Side::Sell, dec!(3500));
    assert_eq!((b + x).total, dec!(25.47) + dec!(27.86));
    assert_eq!([b, x].into_iter().sum::<ChargeBreakdown>(), b + x);
}

/// NIFTY on NFO, 2022-11-18 (lot 50), NSE 0.053 % (the 2021 increase), IPFT ₹0.01/crore,
/// STT 0.05 %:
///
/// BUY 50 @ ₹100 → ₹5,000: exchange 5000 × 0.00053 = 2.65 (+ IPFT 0.000005) → ₹2.65;
/// SEBI 0.005 → ₹0.01; stamp 0.15; GST 18 % × (20 + 2.65 + 0.01) = 4.0788 → ₹4.08;
/// total 20 + 2.65 + 0.01 + 0.15 + 4.08 = ₹26.89.
///
/// SELL 50 @ ₹110 → ₹5,500: STT 5500 × 0.0005 = ₹2.75; exchange 2.915 (+ 0.0000055) →
/// ₹2.92; SEBI 0.0055 → ₹0.01; GST 18 % × 22.93 = 4.1274 → ₹4.13;
/// total 20 + 2.75 + 2.92 + 0.01 + 4.13 = ₹29.81.
#[test]
fn option_nfo_2022_11_18() {
    let day = d(2022, 11, 18);
    assert_eq!(
        opt(day, Exchange::NFO, Side::Buy, dec!(5000)),
        (
            dec!(20.00),
            dec!(0),
            dec!(2.65),
            dec!(0.01),
            dec!(0.15),
            dec!(4.08),
            dec!(26.89)
        )
    );
    assert_eq!(
        opt(day, Exchange::NFO, Side::Sell, dec!(5500)),
        (
            dec!(20.00),
            dec!(2.75),
            dec!(2.92),
            dec!(0.01),
            dec!(0),
            dec!(4.13),
            dec!(29.81)
        )
    );
}

/// NIFTY on NFO, 2024-12-02, NSE 0.03503 % + IPFT, STT 0.1 %:
///
/// BUY 75 @ ₹200 → ₹15,000: exchange 5.2545 + IPFT 0.075 = 5.3295 → ₹5.33;
/// SEBI 0.015 → ₹0.02; stamp ₹0.45; GST 18 % × (20 + 5.33 + 0.02) = 4.563 → ₹4.56;
/// total 20 + 5.33 + 0.02 + 0.45 + 4.56 = ₹30.36.
///
/// SELL 75 @ ₹180.05 → ₹13,503.75: STT 13.50375 → ₹13.50; exchange 4.730363625 +
/// 0.0675188 = 4.79788 → ₹4.80; SEBI 0.0135 → ₹0.01; GST 18 % × 24.81 = 4.4658 → ₹4.47;
/// total 20 + 13.50 + 4.80 + 0.01 + 4.47 = ₹42.78.
#[test]
fn option_nfo_after_october_2024() {
    let day = d(2024, 12, 2);
    assert_eq!(
        opt(day, Exchange::NFO, Side::Buy, dec!(15000)),
        (
            dec!(20.00),
            dec!(0),
            dec!(5.33),
            dec!(0.02),
            dec!(0.45),
            dec!(4.56),
            dec!(30.36)
        )
    );
    assert_eq!(
        opt(day, Exchange::NFO, Side::Sell, dec!(180.05) * dec!(75)),
        (
            dec!(20.00),
            dec!(13.50),
            dec!(4.80),
            dec!(0.01),
            dec!(0),
            dec!(4.47),
            dec!(42.78)
        )
    );
}

/// SENSEX on BFO, BUY 20 @ ₹300 → ₹6,000 (no IPFT on BSE; SEBI 0.006 → 0.01; stamp 0.18):
/// - 2023-08-04, 0.005 %: exchange 0.30; GST 18 % × 20.31 = 3.6558 → 3.66;
///   total 20 + 0.30 + 0.01 + 0.18 + 3.66 = ₹24.15
/// - 2024-02-02, 0.0375 % (slabs of 1-Nov-2023): exchange 2.25; GST 18 % × 22.26 = 4.0068 →
///   4.01; total 20 + 2.25 + 0.01 + 0.18 + 4.01 = ₹26.45
/// - 2024-06-03, 0.0495 % (slabs of 13-May-2024): exchange 2.97; GST 18 % × 22.98 = 4.1364
///   → 4.14; total 20 + 2.97 + 0.01 + 0.18 + 4.14 = ₹27.30
/// - 2024-12-02, 0.0325 %: exchange 1.95; GST 18 % × 21.96 = 3.9528 → 3.95;
///   total 20 + 1.95 + 0.01 + 0.18 + 3.95 = ₹26.09
#[test]
fn option_bfo_by_period() {
    let buy = |y, m, day| opt(d(y, m, day), Exchange::BFO, Side::Buy, dec!(6000));
    let row = |ex: Decimal, gst: Decimal, total: Decimal| {
        (dec!(20.00), dec!(0), ex, dec!(0.01), dec!(0.18), gst, total)
    };
    assert_eq!(buy(2023, 8, 4), row(dec!(0.30), dec!(3.66), dec!(24.15)));
    assert_eq!(buy(2024, 2, 2), row(dec!(2.25), dec!(4.01), dec!(26.45)));
    assert_eq!(buy(2024, 6, 3), row(dec!(2.97), dec!(4.14), dec!(27.30)));
    assert_eq!(buy(2024, 12, 2), row(dec!(1.95), dec!(3.95), dec!(26.09)));
}

/// From 1-Apr-2026 option STT is 0.15 %: SELL 65 NIFTY @ ₹100 = ₹6,500 → STT ₹9.75;
/// exchange 2.27695 + IPFT 0.0325 = 2.30945 → 2.31; SEBI 0.0065 → 0.01;
/// GST 18 % × 22.32 = 4.0176 → 4.02; total 20 + 9.75 + 2.31 + 0.01 + 4.02 = ₹36.09.
/// On 2026-03-30 the STT is 0.1 % → ₹6.50.
#[test]
fn option_stt_from_april_2026() {
    assert_eq!(
        opt(d(2026, 4, 6), Exchange::NFO, Side::Sell, dec!(6500)),
        (
            dec!(20.00),
            dec!(9.75),
            dec!(2.31),
            dec!(0.01),
            dec!(0),
            dec!(4.02),
            dec!(36.09)
        )
    );
    assert_eq!(
        opt(d(2026, 3, 30), Exchange::NFO, Side::Sell, dec!(6500)).1,
        dec!(6.50)
    );
}

/// A later partial fill pays no brokerage (nor its GST): SELL ₹3,500 on 2024-06-03 →
/// STT 2.19, exchange 1.75, SEBI 0.00, GST 18 % × 1.75 = 0.315 → 0.32; total ₹4.26.
/// A zero-turnover option order still pays ₹20 + GST 3.60 = ₹23.60.
#[test]
fn option_later_fill_and_zero_turnover() {
    let s = ChargesSchedule::builtin();
    let c = s.charges_for_later_fill(d(2024, 6, 3), Exchange::NFO, Side::Sell, dec!(3500));
    assert_eq!(
        parts(c),
        (
            dec!(0),
            dec!(2.19),
            dec!(1.75),
            dec!(0.00),
            dec!(0),
            dec!(0.32),
            dec!(4.26)
        )
    );
    let z = s.charges_for_fill(d(2024, 6, 3), Exchange::NFO, Side::Sell, Decimal::ZERO);
    assert_eq!(z.total, dec!(23.60));
}
