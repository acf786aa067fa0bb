//! Option premiums for paper fills and marks (spec §8): a real price when there is one,
//! else Black-76 on the index with a configured implied volatility.

use crate::black76::{black76_price, round_to_tick, years_to_expiry};
use domain::calendar::MarketCalendar;
use domain::ports::PremiumMarks;
use domain::time::IstDateTime;
use domain::{Decimal, OptionContract, PremiumSource, Segment, Tick};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use std::collections::{BTreeMap, HashMap};

/// Historical real option prices (the data catalog in replay).
pub trait MarketPremiums: Send {
    /// The last traded price of `tradingsymbol` at or before `at`, ₹; `None` without data.
    fn last_traded(&mut self, tradingsymbol: &str, at: IstDateTime) -> Option<Decimal>;
}

/// No historical option data.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMarketPremiums;

impl MarketPremiums for NoMarketPremiums {
    fn last_traded(&mut self, _: &str, _: IstDateTime) -> Option<Decimal> {
        None
    }
}

/// Black-76 model settings (spec §8): IV per segment (annualised, e.g. 0.14), risk-free rate
/// (default 6.5 %), time in trading minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParams {
    /// Implied volatility per segment, annualised fraction.
    pub iv: BTreeMap<Segment, f64>,
    /// Used for a segment missing from `iv`.
    pub default_iv: f64,
    /// Risk-free rate, annual fraction (0.065).
    pub rate: f64,
}

/// Real prices first (option LTPs seen on the feed, then historical data), Black-76 otherwise.
pub struct Pricer {
    market: Box<dyn MarketPremiums>,
    model: ModelParams,
    calendar: MarketCalendar,
    ltp: HashMap<u32, Decimal>,
}

impl Pricer {
    /// A pricer over `market` data and the `model` fallback.
    pub fn new(
        market: Box<dyn MarketPremiums>,
        model: ModelParams,
        calendar: MarketCalendar,
    ) -> Self {
        Self {
            market,
            model,
            calendar,
            ltp: HashMap::new(),
        }
    }

    /// The modelled premium, ₹ per unit, rounded to the contract tick (at least one tick).
    pub fn model_premium(
        &self,
        c: &OptionContract,
        underlying: Decimal,
        at: IstDateTime,
    ) -> Decimal {
        let iv = self
            .model
            .iv
            .get(&c.segment)
            .copied()
            .unwrap_or(self.model.default_iv);
        let t = years_to_expiry(at, c.expiry, &self.calendar);
        let s = underlying.to_f64().unwrap_or(0.0);
        let k = c.strike.to_f64().unwrap_or(0.0);
        let p = black76_price(c.option_type, s, k, t, iv, self.model.rate);
        let p = Decimal::from_f64(p).unwrap_or(Decimal::ZERO);
        round_to_tick(p, c.tick_size).max(c.tick_size)
    }
}

impl PremiumMarks for Pricer {
    fn observe(&mut self, tick: &Tick) {
        if Segment::from_index_token(tick.token).is_none() {
            self.ltp.insert(tick.token, tick.price);
        }
    }

    fn mark(
        &mut self,
        c: &OptionContract,
        underlying: Decimal,
        at: IstDateTime,
    ) -> Option<(Decimal, PremiumSource)> {
        if let Some(p) = c.instrument_token.and_then(|t| self.ltp.get(&t)) {
            return Some((*p, PremiumSource::Market));
        }
        // A future or share traded by the agent that watches it (`instrument =
        // "underlying"`): the watched series' price is the instrument's own, a market price.
        if !c.option_type.is_option() {
            return (underlying > Decimal::ZERO).then_some((underlying, PremiumSource::Market));
        }
        if let Some(p) = self.market.last_traded(&c.tradingsymbol, at) {
            return Some((p, PremiumSource::Market));
        }
        if underlying <= Decimal::ZERO {
            return None;
        }
        Some((self.model_premium(c, underlying, at), PremiumSource::Model))
    }
}
