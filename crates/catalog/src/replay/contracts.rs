//! [`CalendarContracts`]: option contracts of a replay day from the expiry calendar and the
//! lot-size schedule (spec §5).

use chrono::NaiveDate;
use domain::calendar::{ExpiryCalendar, LotSizes};
use domain::instrument::kite_option_symbol;
use domain::ports::{ContractError, ContractSource};
use domain::{Decimal, OptionContract, OptionType, Segment};

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
}
