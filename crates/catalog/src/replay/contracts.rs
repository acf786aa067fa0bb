//! [`CalendarContracts`]: option contracts of a replay day from the expiry calendar and the
//! lot-size schedule (spec §5).

use chrono::{Datelike, NaiveDate};
use domain::calendar::{ExpiryCalendar, LotSizes};
use domain::instrument::{kite_future_symbol, kite_option_symbol, nse_equity_tick_size};
use domain::ports::{ContractError, ContractSource};
use domain::{Decimal, Exchange, OptionContract, OptionType, Segment};

/// Contracts from the expiry calendar and the lot-size schedule (replay; spec §5). Tick size
/// ₹0.05; no instrument token.
pub struct CalendarContracts {
    expiries: ExpiryCalendar,
    lots: LotSizes,
}

impl CalendarContracts {
    /// Contracts from these calendars.
    pub fn new(expiries: ExpiryCalendar, lots: LotSizes) -> Self {
        Self { expiries, lots }
    }
}

impl ContractSource for CalendarContracts {
    /// The next expiry from `trade_date` (the one after when `skip_expiry_day` and
    /// `trade_date` is an expiry). Errors: [`ContractError::NotFound`] past the calendar.
    fn option_contract(
        &self,
        segment: Segment,
        trade_date: NaiveDate,
        strike: Decimal,
        option_type: OptionType,
        skip_expiry_day: bool,
    ) -> Result<OptionContract, ContractError> {
        let e = match self.expiries.next_expiry(segment, trade_date) {
            Some(e) if skip_expiry_day && e.date == trade_date => {
                self.expiries.next_expiry_after(segment, trade_date)
            }
            e => e,
        }
        .ok_or_else(|| ContractError::NotFound(format!("no {segment} expiry from {trade_date}")))?;
        Ok(OptionContract {
            segment,
            exchange: segment.exchange(),
            expiry: e.date,
            strike,
            option_type,
            lot_size: self.lots.lot_size(segment, trade_date),
            tick_size: Decimal::new(5, 2),
            tradingsymbol: kite_option_symbol(
                segment.option_name(),
                e.date,
                e.monthly,
                strike,
                option_type,
            ),
            instrument_token: None,
        })
    }

    /// The near-month index future: expiry = this month's monthly expiry when on or after
    /// `trade_date`, else next month's; lot size as the options'; tick ₹0.05; tradingsymbol
    /// `NIFTY24AUGFUT` (kite-connect.md §8.4). For a stock its NSE share: `EQ`, lot 1, tick
    /// by [`nse_equity_tick_size`] at `price`, tradingsymbol the symbol, `expiry` the trade
    /// date (an MIS position lives one day), `instrument_token` unknown here (the watched
    /// token is the engine's). Errors: [`ContractError::NotFound`] past the calendar.
    fn underlying_contract(
        &self,
        segment: Segment,
        trade_date: NaiveDate,
        price: Decimal,
    ) -> Result<OptionContract, ContractError> {
        if let Some(symbol) = segment.symbol() {
            return Ok(OptionContract {
                segment,
                exchange: Exchange::NSE,
                expiry: trade_date,
                strike: Decimal::ZERO,
                option_type: OptionType::EQ,
                lot_size: 1,
                tick_size: nse_equity_tick_size(trade_date, price),
                tradingsymbol: symbol.to_string(),
                instrument_token: None,
            });
        }
        let this = self
            .expiries
            .monthly_expiry(segment, trade_date.year(), trade_date.month());
        let expiry = match this {
            Some(e) if e >= trade_date => Some(e),
            _ => {
                let (y, m) = if trade_date.month() == 12 {
                    (trade_date.year() + 1, 1)
                } else {
                    (trade_date.year(), trade_date.month() + 1)
                };
                self.expiries.monthly_expiry(segment, y, m)
            }
        }
        .ok_or_else(|| {
            ContractError::NotFound(format!("no {segment} monthly expiry from {trade_date}"))
        })?;
        Ok(OptionContract {
            segment,
            exchange: segment.exchange(),
            expiry,
            strike: Decimal::ZERO,
            option_type: OptionType::FUT,
            lot_size: self.lots.lot_size(segment, trade_date),
            tick_size: Decimal::new(5, 2),
            tradingsymbol: kite_future_symbol(segment.option_name(), expiry),
            instrument_token: None,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use domain::calendar::{ExpiryCalendar, LotSizes};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn near_month_future_rolls_after_the_monthly_expiry() {
        let c = CalendarContracts::new(ExpiryCalendar::builtin(), LotSizes::builtin());
        // August 2024: NIFTY's monthly expiry Thu 29-Aug (the shipped futures data's contract).
        let f = c
            .underlying_contract(Segment::Nifty, d(2024, 8, 12), Decimal::ZERO)
            .unwrap();
        assert_eq!(
            (
                f.tradingsymbol.as_str(),
                f.expiry,
                f.option_type,
                f.lot_size
            ),
            ("NIFTY24AUGFUT", d(2024, 8, 29), OptionType::FUT, 25)
        );
        assert_eq!(f.strike, Decimal::ZERO);
        // On the expiry day itself the expiring contract is still the near month.
        let f = c
            .underlying_contract(Segment::Nifty, d(2024, 8, 29), Decimal::ZERO)
            .unwrap();
        assert_eq!(f.expiry, d(2024, 8, 29));
        // The day after, September's.
        let f = c
            .underlying_contract(Segment::Nifty, d(2024, 8, 30), Decimal::ZERO)
            .unwrap();
        assert_eq!(f.tradingsymbol, "NIFTY24SEPFUT");
        // BANKNIFTY's August 2024 monthly expiry was Wednesday 28-Aug.
        let f = c
            .underlying_contract(Segment::BankNifty, d(2024, 8, 12), Decimal::ZERO)
            .unwrap();
        assert_eq!((f.expiry, f.lot_size), (d(2024, 8, 28), 15));
    }
}
