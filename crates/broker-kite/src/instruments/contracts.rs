//! Contracts from the dump: the configuration check before trading, a token's contract and
//! [`ContractSource`] for option selection (spec §5) and a stock's share (issue 15);
//! mismatches refuse trading.

use super::{InstrumentRow, InstrumentsMaster};
use chrono::NaiveDate;
use domain::ports::{ContractError, ContractSource};
use domain::{OptionContract, OptionType, Segment};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

impl InstrumentsMaster {
    /// Check the dump against the configuration before trading `segment` on `date`: an expiry
    /// exists, its lot size equals the configured one, and the strike step (near `spot` when
    /// given) equals the configured one.
    ///
    /// # Errors
    /// [`ContractError::NotFound`] or [`ContractError::Mismatch`]: refuse to trade.
    pub fn check_config(
        &self,
        segment: Segment,
        date: NaiveDate,
        skip_expiry_day: bool,
        spot: Option<Decimal>,
    ) -> Result<(), ContractError> {
        if let Some(sym) = segment.symbol() {
            // A stock trades its share: the dump must list it, lot 1, with a tick.
            return self
                .equity_contract(segment, sym.as_str(), date)
                .map(|_| ());
        }
        let expiry = self
            .nearest_expiry(segment, date, skip_expiry_day)
            .ok_or_else(|| {
                ContractError::NotFound(format!(
                    "{segment}: no option expiry on or after {date} in the instruments dump"
                ))
            })?;
        if let Some(&lot) = self.expected_lots.get(&segment) {
            let lots: BTreeSet<u32> = self
                .options
                .range((segment, expiry, Decimal::MIN, 0)..=(segment, expiry, Decimal::MAX, 1))
                .filter_map(|(_, t)| self.rows.get(t))
                .map(|r| r.lot_size)
                .collect();
            if lots.iter().any(|l| *l != lot) {
                return Err(ContractError::Mismatch(format!(
                    "{segment} {expiry}: instruments dump lot size {lots:?} != configured {lot}"
                )));
            }
        }
        if let Some(&step) = self.expected_steps.get(&segment)
            && let Some(found) = self.strike_step(segment, expiry, spot)
            && found != step
        {
            return Err(ContractError::Mismatch(format!(
                "{segment} {expiry}: instruments dump strike step {found} != configured {step}"
            )));
        }
        Ok(())
    }

    fn contract_from_row(
        &self,
        segment: Segment,
        row: &InstrumentRow,
    ) -> Result<OptionContract, ContractError> {
        if let Some(&lot) = self.expected_lots.get(&segment)
            && lot != row.lot_size
        {
            return Err(ContractError::Mismatch(format!(
                "{}: instruments dump lot size {} != configured {lot}",
                row.tradingsymbol, row.lot_size
            )));
        }
        if row.lot_size == 0 || row.tick_size <= Decimal::ZERO {
            return Err(ContractError::Mismatch(format!(
                "{}: dump has lot size {} / tick size {}",
                row.tradingsymbol, row.lot_size, row.tick_size
            )));
        }
        Ok(OptionContract {
            segment,
            exchange: segment.exchange(),
            expiry: row.expiry.ok_or_else(|| {
                ContractError::NotFound(format!("{} has no expiry", row.tradingsymbol))
            })?,
            strike: row.strike,
            option_type: match row.instrument_type.as_str() {
                "FUT" => OptionType::FUT,
                _ => row.option_type().ok_or_else(|| {
                    ContractError::NotFound(format!(
                        "{} is not an option or a future",
                        row.tradingsymbol
                    ))
                })?,
            },
            lot_size: row.lot_size,
            tick_size: row.tick_size,
            tradingsymbol: row.tradingsymbol.clone(),
            instrument_token: Some(row.instrument_token),
        })
    }

    /// The NSE share of stock `segment` (`symbol`) traded on `date`: its `EQ` row as a
    /// contract (`option_type` EQ, `expiry` = `date`: an MIS position lives one day, strike 0,
    /// lot and tick from the dump).
    ///
    /// # Errors
    /// [`ContractError::NotFound`] when the NSE dump has no such share;
    /// [`ContractError::Mismatch`] for a lot size other than 1 or no tick size.
    pub fn equity_contract(
        &self,
        segment: Segment,
        symbol: &str,
        date: NaiveDate,
    ) -> Result<OptionContract, ContractError> {
        let row = self.equity_row(symbol).ok_or_else(|| {
            ContractError::NotFound(format!(
                "{symbol}: no NSE EQ row in the instruments dump (is the NSE dump loaded and the symbol listed?)"
            ))
        })?;
        if row.lot_size != 1 || row.tick_size <= Decimal::ZERO {
            return Err(ContractError::Mismatch(format!(
                "{symbol}: the NSE dump has lot size {} / tick size {} (a share trades in lots of 1)",
                row.lot_size, row.tick_size
            )));
        }
        Ok(OptionContract {
            segment,
            exchange: domain::Exchange::NSE,
            expiry: date,
            strike: Decimal::ZERO,
            option_type: OptionType::EQ,
            lot_size: 1,
            tick_size: row.tick_size,
            tradingsymbol: row.tradingsymbol.clone(),
            instrument_token: Some(row.instrument_token),
        })
    }

    /// The near-month future of index `segment` traded on `date`
    /// ([`InstrumentsMaster::future_row`]) as a contract: `option_type` FUT, strike 0, expiry,
    /// lot and tick from the dump, lot checked against the configured one. An index agent with
    /// `instrument = "underlying"` watches and trades it (issue 15). Intraday positions are
    /// squared off before the future expires at 15:30 on its expiry day, so no roll is needed:
    /// the next session's dump no longer lists the expired contract and the next month's is
    /// picked.
    ///
    /// # Errors
    /// [`ContractError::NotFound`] when the loaded dumps list no future of `segment` expiring
    /// on or after `date`; [`ContractError::Mismatch`] for a lot size other than configured.
    pub fn future_contract(
        &self,
        segment: Segment,
        date: NaiveDate,
    ) -> Result<OptionContract, ContractError> {
        let row = self.future_row(segment, date, 0).ok_or_else(|| {
            ContractError::NotFound(format!(
                "{segment}: no future expiring on or after {date} in the instruments dump (is the {} dump loaded?)",
                segment.exchange()
            ))
        })?;
        self.contract_from_row(segment, row)
    }

    /// The contract of a token (e.g. reconciling a position), checked like any other: an
    /// option of a traded index, or an NSE share (its `expiry` the dump's trading date,
    /// [`InstrumentsMaster::trading_date`]).
    ///
    /// # Errors
    /// Not an option of a traded segment nor a share, or a mismatch.
    pub fn contract_by_token(&self, token: u32) -> Result<OptionContract, ContractError> {
        let row = self.by_token(token).ok_or_else(|| {
            ContractError::NotFound(format!("token {token} not in the instruments dump"))
        })?;
        if row.is_nse_equity() {
            let seg = row
                .tradingsymbol
                .parse::<Segment>()
                .map_err(|e| ContractError::NotFound(format!("{}: {e}", row.tradingsymbol)))?;
            let date = self.trading_date().ok_or_else(|| {
                ContractError::NotFound(format!(
                    "{}: the instruments dump's trading date is unknown",
                    row.tradingsymbol
                ))
            })?;
            return self.equity_contract(seg, &row.tradingsymbol, date);
        }
        let seg = row.underlying().ok_or_else(|| {
            ContractError::NotFound(format!(
                "{} is not a NIFTY/BANKNIFTY/SENSEX contract",
                row.tradingsymbol
            ))
        })?;
        self.contract_from_row(seg, row)
    }
}

impl ContractSource for InstrumentsMaster {
    /// A stock's NSE share ([`InstrumentsMaster::equity_contract`]); an index's near-month
    /// future ([`InstrumentsMaster::future_contract`]).
    fn underlying_contract(
        &self,
        segment: Segment,
        trade_date: NaiveDate,
        _price: Decimal,
    ) -> Result<OptionContract, ContractError> {
        match segment.symbol() {
            Some(sym) => self.equity_contract(segment, sym.as_str(), trade_date),
            None => self.future_contract(segment, trade_date),
        }
    }

    fn by_tradingsymbol(&self, tradingsymbol: &str) -> Option<OptionContract> {
        let token = self
            .rows
            .iter()
            .find(|(_, r)| r.tradingsymbol == tradingsymbol)
            .map(|(t, _)| *t)?;
        self.contract_by_token(token).ok()
    }

    fn option_contract(
        &self,
        segment: Segment,
        trade_date: NaiveDate,
        strike: Decimal,
        option_type: OptionType,
        skip_expiry_day: bool,
    ) -> Result<OptionContract, ContractError> {
        let expiry = self
            .nearest_expiry(segment, trade_date, skip_expiry_day)
            .ok_or_else(|| {
                ContractError::NotFound(format!(
                    "{segment}: no option expiry on or after {trade_date} in the instruments dump"
                ))
            })?;
        let row = self
            .option_row(segment, expiry, strike, option_type)
            .ok_or_else(|| {
                let strikes = self.strikes(segment, expiry);
                let near: Vec<String> = {
                    let mut s = strikes.clone();
                    s.sort_by_key(|x| (*x - strike).abs());
                    s.into_iter().take(4).map(|d| d.to_string()).collect()
                };
                ContractError::NotFound(format!(
                    "{segment} {expiry} {strike} {option_type} is not in the instruments dump (nearest listed strikes: {})",
                    near.join(", ")
                ))
            })?;
        self.contract_from_row(segment, row)
    }
}
