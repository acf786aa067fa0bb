//! Option contracts and Kite tradingsymbols (spec §5, kite-connect.md §8.4).

use crate::segment::{Exchange, Segment};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a contract is, as Kite's instruments dump spells its `instrument_type`
/// (kite-connect.md §8.1): an option (`CE`/`PE`), a future (`FUT`) or cash equity (`EQ`).
/// Index-option agents trade `CE`/`PE`; an agent trading the instrument it watches
/// (`instrument = "underlying"`, issue 15) trades `FUT` or `EQ`, long or short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptionType {
    /// Call (`CE`).
    CE,
    /// Put (`PE`).
    PE,
    /// A future (`FUT`): index or stock futures on NFO/BFO.
    FUT,
    /// Cash equity (`EQ`) on NSE/BSE.
    EQ,
}

impl OptionType {
    /// `CE`, `PE`, `FUT` or `EQ`, as in tradingsymbols and the instruments dump's
    /// `instrument_type`.
    pub fn code(self) -> &'static str {
        match self {
            OptionType::CE => "CE",
            OptionType::PE => "PE",
            OptionType::FUT => "FUT",
            OptionType::EQ => "EQ",
        }
    }

    /// `true` for a call or put (premium, Black-76, strike); `false` for `FUT`/`EQ`, whose
    /// price is the instrument's own.
    pub fn is_option(self) -> bool {
        matches!(self, OptionType::CE | OptionType::PE)
    }
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One tradable contract: an index option (`CE`/`PE`), or the underlying itself (`FUT`,
/// `EQ`) for an agent with `instrument = "underlying"` (then `strike` is 0, and an `EQ`
/// contract's `expiry` is the trading date: an intraday MIS position ends that day).
///
/// In live/paper mode it comes from the day's Kite instruments dump (token, lot and tick size
/// from the dump, never guessed); in replay from the expiry calendar and lot-size schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptionContract {
    /// Underlying index.
    pub segment: Segment,
    /// Exchange the contract trades on (NFO/BFO).
    pub exchange: Exchange,
    /// Expiry date (IST trading date; already moved for holidays).
    pub expiry: NaiveDate,
    /// Strike in index points (₹).
    pub strike: Decimal,
    /// CE or PE (options); FUT or EQ (the underlying).
    pub option_type: OptionType,
    /// Contract lot size in units (e.g. NIFTY 25 in mid-2024).
    pub lot_size: u32,
    /// Price tick in ₹ (₹0.05 for index options).
    pub tick_size: Decimal,
    /// Kite tradingsymbol, e.g. `NIFTY2460622500CE`.
    pub tradingsymbol: String,
    /// Kite `instrument_token` when known (live/paper); `None` in replay.
    pub instrument_token: Option<u32>,
}

/// Kite tradingsymbol for an index option (kite-connect.md §8.4).
///
/// - weekly: `{NAME}{YY}{M}{DD}{STRIKE}{CE|PE}`, M = `1`–`9` for Jan–Sep, `O`/`N`/`D`;
/// - monthly (the month's last expiry): `{NAME}{YY}{MON}{STRIKE}{CE|PE}`.
///
/// Strikes are written without decimals. Only for display and for naming replay catalog
/// series; live mode looks contracts up in the instruments dump instead.
pub fn kite_option_symbol(
    name: &str,
    expiry: NaiveDate,
    monthly: bool,
    strike: Decimal,
    option_type: OptionType,
) -> String {
    let yy = expiry.year() % 100;
    let strike = strike.normalize();
    if monthly {
        const MON: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        format!(
            "{name}{yy:02}{}{strike}{}",
            MON[expiry.month0() as usize],
            option_type.code()
        )
    } else {
        let m = match expiry.month() {
            m @ 1..=9 => char::from(b'0' + m as u8),
            10 => 'O',
            11 => 'N',
            _ => 'D',
        };
        format!(
            "{name}{yy:02}{m}{:02}{strike}{}",
            expiry.day(),
            option_type.code()
        )
    }
}

/// Kite tradingsymbol of a monthly future (kite-connect.md §8.4): `{NAME}{YY}{MON}FUT`,
/// e.g. `NIFTY24AUGFUT`. For display and replay only; live looks it up in the dump.
pub fn kite_future_symbol(name: &str, expiry: NaiveDate) -> String {
    const MON: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    format!(
        "{name}{:02}{}FUT",
        expiry.year() % 100,
        MON[expiry.month0() as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn symbols_match_kite_examples() {
        assert_eq!(
            kite_option_symbol("NIFTY", d(2024, 6, 6), false, dec!(22500), OptionType::CE),
            "NIFTY2460622500CE"
        );
        assert_eq!(
            kite_option_symbol("SENSEX", d(2026, 4, 9), false, dec!(77100), OptionType::CE),
            "SENSEX2640977100CE"
        );
        assert_eq!(
            kite_option_symbol(
                "NIFTY",
                d(2024, 6, 27),
                true,
                dec!(23000.00),
                OptionType::CE
            ),
            "NIFTY24JUN23000CE"
        );
        assert_eq!(
            kite_option_symbol("NIFTY", d(2022, 11, 24), false, dec!(18300), OptionType::CE),
            "NIFTY22N2418300CE"
        );
    }
}

/// Tick size of an NSE cash-market equity at `price` (₹) on `date`: ₹0.05 before 2025-04-15;
/// from 2025-04-15 NSE's tick by price band for F&O stocks: below ₹250 ₹0.01, up to ₹1,000
/// ₹0.05, up to ₹5,000 ₹0.10, up to ₹10,000 ₹0.50, up to ₹20,000 ₹1.00, above ₹5.00 (NSE's
/// tick-size revision effective 15-Apr-2025; the shipped 2025 1-minute data shows it:
/// RELIANCE, TCS, ICICIBANK, BHARTIARTL on ₹0.10 and BAJAJ-AUTO on ₹0.50 from that date,
/// `crates/catalog/tests/stock_data.rs`).
pub fn nse_equity_tick_size(date: NaiveDate, price: Decimal) -> Decimal {
    let from = NaiveDate::from_ymd_opt(2025, 4, 15).unwrap_or(NaiveDate::MIN);
    if date < from {
        return Decimal::new(5, 2);
    }
    let p = |rupees: i64| Decimal::from(rupees);
    let hundredths = match price {
        x if x < p(250) => 1,
        x if x <= p(1_000) => 5,
        x if x <= p(5_000) => 10,
        x if x <= p(10_000) => 50,
        x if x <= p(20_000) => 100,
        _ => 500,
    };
    Decimal::new(hundredths, 2)
}

#[cfg(test)]
mod equity_tick_tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn dated_price_bands() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(nse_equity_tick_size(d(2025, 4, 11), dec!(7800)), dec!(0.05));
        assert_eq!(nse_equity_tick_size(d(2025, 4, 15), dec!(1251)), dec!(0.10));
        assert_eq!(
            nse_equity_tick_size(d(2025, 4, 15), dec!(7828.5)),
            dec!(0.50)
        );
        assert_eq!(nse_equity_tick_size(d(2025, 4, 15), dec!(120)), dec!(0.01));
        assert_eq!(nse_equity_tick_size(d(2025, 4, 15), dec!(1000)), dec!(0.05));
        assert_eq!(
            nse_equity_tick_size(d(2025, 4, 15), dec!(15000)),
            dec!(1.00)
        );
        assert_eq!(
            nse_equity_tick_size(d(2025, 4, 15), dec!(25000)),
            dec!(5.00)
        );
    }
}
