//! Conversions between Kite's wire values and the engine's types.
//!
//! - Prices: Kite sends prices as JSON numbers with at most two decimals (paise) on NFO/BFO and
//!   indices, and the ticker sends integer paise (kite-connect.md §7.4). The `kiteconnect` crate
//!   hands both over as `f64`. We never compute with that `f64`: [`rupees`] turns it back into
//!   the exact decimal Kite sent (the shortest decimal that round-trips the `f64`, which is the
//!   JSON literal itself, or `paise / 100` for a ticker price).
//! - Time: REST timestamps are IST wall-clock strings without a zone, historical candles carry
//!   `+0530`, ticker timestamps are Unix seconds (kite-connect.md §1). Everything becomes
//!   [`IstDateTime`] (`Asia/Kolkata`).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use domain::time::{IST, IstDateTime};
use domain::{Exchange, Side};
use rust_decimal::Decimal;
use std::str::FromStr;

/// The exact ₹ value of a price the `kiteconnect` crate decoded into `f64`.
///
/// Rust prints an `f64` as the shortest decimal that parses back to the same value, which is
/// the decimal literal Kite sent (prices have ≤ 2 decimals; averages a few more). Non-finite
/// input (never sent by Kite) gives zero.
pub fn rupees(value: f64) -> Decimal {
    if !value.is_finite() {
        return Decimal::ZERO;
    }
    Decimal::from_str(&value.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .unwrap_or(Decimal::ZERO)
        .normalize()
}

/// An amount of money (margin, P&L, value) in ₹, rounded to the paisa: Kite computes these in
/// floating point and can send artifacts such as `99725.05000000002`.
pub fn money(value: f64) -> Decimal {
    rupees(value).round_dp(2).normalize()
}

/// A price as Kite's form fields expect it (`f64`, as the `kiteconnect` crate's `OrderParams`
/// take it). The decimal is at most 2 dp (a tick multiple), so the `f64` prints back exactly.
pub fn to_wire_price(value: Decimal) -> f64 {
    f64::from_str(&value.normalize().to_string()).unwrap_or(0.0)
}

/// A Kite quantity (`f64` in the crate's order/trade types, always integral) as units.
pub fn units(value: f64) -> u32 {
    if value.is_finite() && value > 0.0 {
        // Kite quantities are whole units; round away float noise, saturate at u32::MAX.
        let v = value.round();
        if v >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            // In range and non-negative after the checks above.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            {
                v as u32
            }
        }
    } else {
        0
    }
}

/// An IST wall-clock time from a Kite REST body (no zone) as [`IstDateTime`].
pub fn ist_from_naive(t: NaiveDateTime) -> IstDateTime {
    IST.from_local_datetime(&t)
        .single()
        .unwrap_or_else(|| IST.from_utc_datetime(&t))
}

/// A ticker timestamp (Unix seconds, kite-connect.md §7.4) as IST.
pub fn ist_from_epoch(secs: u32) -> IstDateTime {
    DateTime::<Utc>::from_timestamp(i64::from(secs), 0)
        .unwrap_or_default()
        .with_timezone(&IST)
}

/// The wall clock now, IST.
pub fn ist_now() -> IstDateTime {
    Utc::now().with_timezone(&IST)
}

/// The `kiteconnect` exchange of a derivatives segment.
pub fn kite_exchange(exchange: Exchange) -> kiteconnect::Exchange {
    match exchange {
        Exchange::NFO => kiteconnect::Exchange::Nfo,
        Exchange::BFO => kiteconnect::Exchange::Bfo,
        Exchange::NSE => kiteconnect::Exchange::Nse,
        Exchange::BSE => kiteconnect::Exchange::Bse,
    }
}

/// The `kiteconnect` transaction type of a side.
pub fn kite_side(side: Side) -> kiteconnect::TransactionType {
    match side {
        Side::Buy => kiteconnect::TransactionType::Buy,
        Side::Sell => kiteconnect::TransactionType::Sell,
    }
}

/// The `kiteconnect` product of a domain product.
pub fn kite_product(product: domain::Product) -> kiteconnect::Product {
    match product {
        domain::Product::MIS => kiteconnect::Product::Mis,
        domain::Product::NRML => kiteconnect::Product::Nrml,
    }
}

/// `price` rounded up to a multiple of `tick` (₹). A zero tick leaves it unchanged.
pub fn round_up_to_tick(price: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return price;
    }
    ((price / tick).ceil() * tick).normalize()
}

/// `price` rounded down to a multiple of `tick` (₹). A zero tick leaves it unchanged.
pub fn round_down_to_tick(price: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return price;
    }
    ((price / tick).floor() * tick).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rupees_recovers_the_decimal_literal() {
        assert_eq!(rupees(392.95), dec!(392.95));
        assert_eq!(rupees(f64::from(39295u32) / 100.0), dec!(392.95));
        assert_eq!(rupees(72.755), dec!(72.755));
        assert_eq!(rupees(1575.0), dec!(1575));
        assert_eq!(rupees(0.05), dec!(0.05));
        for paise in [1u32, 5, 99, 12345, 2_431_240, 4_000_000_000] {
            let r = rupees(f64::from(paise) / 100.0);
            assert_eq!(r, Decimal::new(i64::from(paise), 2).normalize(), "{paise}");
        }
        assert_eq!(rupees(f64::NAN), Decimal::ZERO);
        assert_eq!(money(99_725.050_000_000_02), dec!(99725.05));
    }

    #[test]
    fn tick_rounding_and_wire() {
        assert_eq!(round_up_to_tick(dec!(101.01), dec!(0.05)), dec!(101.05));
        assert_eq!(round_down_to_tick(dec!(101.04), dec!(0.05)), dec!(101));
        assert_eq!(to_wire_price(dec!(101.05)).to_string(), "101.05");
        assert_eq!(units(130.0), 130);
        assert_eq!(units(-1.0), 0);
    }

    #[test]
    fn epoch_is_ist() {
        // kite-connect.md §7.4: 1625461887 is 2021-07-05 10:41:27 IST.
        assert_eq!(
            domain::time::fmt_iso(&ist_from_epoch(1_625_461_887)),
            "2021-07-05T10:41:27+05:30"
        );
    }
}
