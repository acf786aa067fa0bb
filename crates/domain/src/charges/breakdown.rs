//! [`ChargeBreakdown`] (₹ per executed order, each component rounded to the paisa) and the
//! arithmetic that fills it from one [`ChargesEntry`].

use super::entry::ChargesEntry;
use crate::order::Side;
use crate::segment::Exchange;
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::iter::Sum;
use std::ops::{Add, AddAssign};

/// Charges of one executed order (or one fill), ₹, each component rounded to the paisa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChargeBreakdown {
    /// Brokerage.
    pub brokerage: Decimal,
    /// Securities transaction tax (sell side).
    pub stt: Decimal,
    /// Exchange transaction charges, including NSE's IPFT contribution (as on Zerodha's
    /// contract notes).
    pub exchange_txn: Decimal,
    /// SEBI turnover fee.
    pub sebi: Decimal,
    /// Stamp duty (buy side).
    pub stamp: Decimal,
    /// GST on brokerage + exchange (with IPFT) + SEBI.
    pub gst: Decimal,
    /// Sum of the above.
    pub total: Decimal,
}

impl Add for ChargeBreakdown {
    type Output = ChargeBreakdown;
    fn add(self, o: ChargeBreakdown) -> ChargeBreakdown {
        ChargeBreakdown {
            brokerage: self.brokerage + o.brokerage,
            stt: self.stt + o.stt,
            exchange_txn: self.exchange_txn + o.exchange_txn,
            sebi: self.sebi + o.sebi,
            stamp: self.stamp + o.stamp,
            gst: self.gst + o.gst,
            total: self.total + o.total,
        }
    }
}

impl AddAssign for ChargeBreakdown {
    fn add_assign(&mut self, o: ChargeBreakdown) {
        *self = *self + o;
    }
}

impl Sum for ChargeBreakdown {
    fn sum<I: Iterator<Item = ChargeBreakdown>>(iter: I) -> Self {
        iter.fold(ChargeBreakdown::default(), Add::add)
    }
}

const CRORE: Decimal = dec!(10000000);
const HUNDRED: Decimal = dec!(100);

/// Round to the paisa, half away from zero.
fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The charges of one fill of `turnover` ₹ (≥ 0) at the rates of `e`. `with_brokerage` is
/// `false` for a later fill of an order whose first fill paid the brokerage. The exchange's
/// group ([`Exchange::is_nse_group`]) picks the NSE or BSE transaction rate; IPFT applies to
/// the NSE group only.
pub(super) fn compute(
    e: &ChargesEntry,
    exchange: Exchange,
    side: Side,
    turnover: Decimal,
    with_brokerage: bool,
) -> ChargeBreakdown {
    let t = turnover;
    let pct = |rate: Decimal| paise(t * rate / HUNDRED);
    let brokerage = if with_brokerage {
        paise(match e.brokerage_pct {
            Some(p) => e.brokerage_per_order.min(t * p / HUNDRED),
            None => e.brokerage_per_order,
        })
    } else {
        Decimal::ZERO
    };
    let stt = match side {
        Side::Sell => pct(e.stt_sell_pct),
        Side::Buy => Decimal::ZERO,
    };
    let exchange_txn = if exchange.is_nse_group() {
        // One contract-note line: transaction charge + IPFT, rounded once.
        paise(t * e.nse_txn_pct / HUNDRED + t * e.nse_ipft_per_crore / CRORE)
    } else {
        pct(e.bse_txn_pct)
    };
    let sebi = paise(t * e.sebi_per_crore / CRORE);
    let stamp = match side {
        Side::Buy => pct(e.stamp_buy_pct),
        Side::Sell => Decimal::ZERO,
    };
    let gst = paise((brokerage + exchange_txn + sebi) * e.gst_pct / HUNDRED);
    ChargeBreakdown {
        brokerage,
        stt,
        exchange_txn,
        sebi,
        stamp,
        gst,
        total: brokerage + stt + exchange_txn + sebi + stamp + gst,
    }
}
