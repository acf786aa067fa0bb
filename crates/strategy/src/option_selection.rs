//! Option selection (spec §5): ATM strike, ITM offset, expiry, lot size.

use chrono::NaiveDate;
use domain::ports::{ContractError, ContractSource};
use domain::{Decimal, Direction, OptionContract, Segment};

/// ATM strike: `index` rounded to the nearest multiple of `step`, half rounding up (spec §5).
pub fn atm_strike(index: Decimal, step: Decimal) -> Decimal {
    let q = index / step;
    let floor = q.floor();
    let frac = q - floor;
    let k = if frac >= Decimal::new(5, 1) {
        floor + Decimal::ONE
    } else {
        floor
    };
    (k * step).normalize()
}

/// ITM strike for a direction: CE → ATM − offset; PE → ATM + offset (spec §5).
pub fn itm_strike(index: Decimal, step: Decimal, offset: Decimal, direction: Direction) -> Decimal {
    let atm = atm_strike(index, step);
    match direction {
        Direction::Long => atm - offset,
        Direction::Short => atm + offset,
    }
}

/// Parameters of the selection (per segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectionParams {
    /// Strike step, index points (NIFTY 50, BANKNIFTY/SENSEX 100).
    pub strike_step: Decimal,
    /// ITM offset from ATM, index points (default 100).
    pub itm_offset: Decimal,
    /// Skip the nearest expiry when it is the trading date itself.
    pub skip_expiry_day: bool,
}

/// The contract to buy for a signal at index price `index` on `date`.
pub fn select_contract(
    source: &dyn ContractSource,
    segment: Segment,
    direction: Direction,
    index: Decimal,
    date: NaiveDate,
    params: &SelectionParams,
) -> Result<OptionContract, ContractError> {
    let strike = itm_strike(index, params.strike_step, params.itm_offset, direction);
    source.option_contract(
        segment,
        date,
        strike,
        direction.option_type(),
        params.skip_expiry_day,
    )
}

/// The two legs of a hedged short (spec §4.3, seed 003) for a signal of `direction`: the
/// short and its hedge, in that order. A bullish view sells the PE at the selected strike
/// (ATM + `itm_offset`, so `itm_offset = 0` sells the ATM PE) and buys the PE `hedge_offset`
/// strike steps lower; a bearish view sells the CE at ATM − `itm_offset` and buys the CE
/// `hedge_offset` steps higher. Both legs have the same expiry.
///
/// # Errors
/// [`ContractError`] when either strike is not listed, or the hedge's nearest expiry is not the
/// short's.
pub fn select_spread(
    source: &dyn ContractSource,
    segment: Segment,
    direction: Direction,
    index: Decimal,
    date: NaiveDate,
    params: &SelectionParams,
    hedge_offset: u32,
) -> Result<(OptionContract, OptionContract), ContractError> {
    // The option sold is the one a buyer of the other view would buy.
    let sold = match direction {
        Direction::Long => Direction::Short,
        Direction::Short => Direction::Long,
    };
    let short = select_contract(source, segment, sold, index, date, params)?;
    let width = params.strike_step * Decimal::from(hedge_offset);
    let strike = match direction {
        Direction::Long => short.strike - width,
        Direction::Short => short.strike + width,
    };
    let hedge = source.option_contract(
        segment,
        date,
        strike,
        short.option_type,
        params.skip_expiry_day,
    )?;
    if hedge.expiry != short.expiry {
        return Err(ContractError::NotFound(format!(
            "hedge {} expires {}, the short {} expires {}",
            hedge.tradingsymbol, hedge.expiry, short.tradingsymbol, short.expiry
        )));
    }
    Ok((short, hedge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn atm_rounds_half_up() {
        assert_eq!(atm_strike(dec!(23124.99), dec!(50)), dec!(23100));
        assert_eq!(atm_strike(dec!(23125), dec!(50)), dec!(23150));
        assert_eq!(atm_strike(dec!(50449.95), dec!(100)), dec!(50400));
        assert_eq!(atm_strike(dec!(50450), dec!(100)), dec!(50500));
    }

    #[test]
    fn itm_offsets() {
        assert_eq!(
            itm_strike(dec!(23105.80), dec!(50), dec!(100), Direction::Short),
            dec!(23200)
        );
        assert_eq!(
            itm_strike(dec!(23177.75), dec!(50), dec!(100), Direction::Long),
            dec!(23100)
        );
    }
}
