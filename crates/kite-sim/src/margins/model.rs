//! The simulated margin model (pure arithmetic, no I/O). **A simulation, not NSE's SPAN**: it
//! gives a short option a margin proportional to the underlying's notional and lets a hedge
//! cap it at the spread's maximum loss, so an engine can be tested against "the hedge lowers
//! the margin" and "not enough funds" without a risk-array file.
//!
//! Per order (`POST /margins/orders`, and `orders[]` / `initial` of a basket):
//! - **SELL** (a short option): `span = span_pct % × underlying × quantity`,
//!   `exposure = exposure_pct % × underlying × quantity`, `option_premium = 0`,
//!   `total = span + exposure` (the underlying is the index's price now, ₹);
//! - **BUY** (a long option): `span = exposure = 0`, `option_premium = premium × quantity`,
//!   `total = option_premium` (the premium paid).
//!
//! `initial` adds the orders up. `final` gives the hedge benefit: within one underlying,
//! expiry and option type, each short unit is paired with a long unit (the long whose pairing
//! loses least first); a paired unit is charged the spread's maximum loss at expiry,
//! `max(0, K_long − K_short)` for calls and `max(0, K_short − K_long)` for puts, as `span`
//! (no exposure), unless that is more than the naked margin, which then stays. Unpaired
//! short units keep their naked SPAN + exposure; every long keeps its premium in
//! `option_premium`. `final.total = span + exposure + option_premium`: for a short with a
//! further-OTM hedge of the same size, the spread's maximum loss plus the hedge's premium.
//! Amounts are rounded to the paisa.
//!
//! A stock's NSE share (`option_type` [`OptionType::EQ`], product MIS), BUY or SELL:
//! `var = total =` [`EQUITY_MIS_MARGIN_PCT`] % of the order value (price × quantity), no
//! hedge benefit (an `EQ` leg never pairs with an option, nor a long share with a short one).
//!
//! An index future (`option_type` [`OptionType::FUT`]), BUY or SELL alike, on its notional
//! (price × quantity, the price being the order's limit price, else the future's stream
//! price): NRML `span =` [`FUTURE_SPAN_PCT`] %, `exposure =` [`FUTURE_EXPOSURE_PCT`] % of
//! the notional (13 % in all); MIS the same × [`FUTURE_MIS_FRACTION`] (1: the same as NRML).
//! No hedge benefit: a future never pairs with an option or with an opposite future (a
//! calendar spread is margined as two naked futures, more than NSE charges).

use chrono::NaiveDate;
use domain::{Decimal, OptionType, Segment, Side};

/// The margin of an intraday (MIS) NSE equity order, % of the order value: Zerodha gives
/// "up to 5 times (20% margin) leverage for intraday using Margin intraday square off (MIS)
/// … for equity" (support.zerodha.com, "How much margins/leverage does Zerodha provide?"),
/// the cap of SEBI's peak-margin rules. Real per-stock margins (VAR + ELM) can be higher;
/// this is the simulator's flat figure, so the engine's pre-check sees a 5× leverage.
pub const EQUITY_MIS_MARGIN_PCT: Decimal = Decimal::from_parts(20, 0, 0, false, 0);

/// SPAN of an index future (NRML), % of its notional (price × quantity). **An
/// approximation, not NSE's SPAN**: Zerodha's margin calculator (zerodha.com/margin-calculator)
/// showed roughly 12–15 % of the notional as SPAN + exposure for NIFTY / BANKNIFTY / SENSEX
/// futures in 2024; the simulator uses 10 % SPAN + [`FUTURE_EXPOSURE_PCT`] % exposure = 13 %,
/// the same for every index and date.
pub const FUTURE_SPAN_PCT: Decimal = Decimal::from_parts(10, 0, 0, false, 0);

/// Exposure (extreme-loss) margin of an index future, % of its notional: NSE's exposure
/// margin for index futures is a few per cent of the notional (2–3 %); the simulator uses 3 %
/// (an approximation, see [`FUTURE_SPAN_PCT`]).
pub const FUTURE_EXPOSURE_PCT: Decimal = Decimal::from_parts(3, 0, 0, false, 0);

/// The MIS (intraday) margin of an index future as a fraction of its NRML margin: **1**.
/// Under SEBI's peak-margin framework (fully in force since September 2021) an intraday F&O
/// position needs the full upfront SPAN + exposure, and Zerodha no longer gives F&O MIS any
/// extra leverage, so MIS = NRML (13 % of the notional). Change this constant to model a
/// broker that discounts MIS.
pub const FUTURE_MIS_FRACTION: Decimal = Decimal::ONE;

/// The margin of an open index-future position, % of its notional, for `product` (`MIS` or
/// `NRML`): ([`FUTURE_SPAN_PCT`] + [`FUTURE_EXPOSURE_PCT`]) × [`FUTURE_MIS_FRACTION`] for MIS.
pub fn future_margin_pct(product: &str) -> Decimal {
    let nrml = FUTURE_SPAN_PCT + FUTURE_EXPOSURE_PCT;
    if product == "MIS" {
        nrml * FUTURE_MIS_FRACTION
    } else {
        nrml
    }
}

/// The percentages of the model for one underlying (per cent, `9` = 9 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarginRates {
    /// SPAN of a short option, % of the underlying's notional (index × quantity).
    pub span_pct: Decimal,
    /// Exposure margin of a short option, % of the underlying's notional.
    pub exposure_pct: Decimal,
}

impl Default for MarginRates {
    /// 9 % SPAN + 2 % exposure: the order of magnitude of a NIFTY short option's margin
    /// (a simulation default, not an exchange figure).
    fn default() -> Self {
        Self {
            span_pct: Decimal::new(9, 0),
            exposure_pct: Decimal::new(2, 0),
        }
    }
}

/// One leg as the model sees it: the option, the side, the units, and the prices now (₹).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLeg {
    /// The option's underlying index.
    pub segment: Segment,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// `CE` or `PE`; `EQ` for a stock's share; `FUT` for an index future.
    pub option_type: OptionType,
    /// Strike, index points (0 for a share).
    pub strike: Decimal,
    /// `BUY` or `SELL`.
    pub side: Side,
    /// Units.
    pub quantity: u32,
    /// Premium per unit, ₹ (the order's limit price, else the simulated LTP); for a share or a
    /// future its price (limit price, else the stream price).
    pub premium: Decimal,
    /// Product `MIS` (intraday); `false` = `NRML` (a future's MIS margin is
    /// [`FUTURE_MIS_FRACTION`] of its NRML margin; options and shares ignore it).
    pub mis: bool,
    /// The underlying index now, ₹.
    pub underlying: Decimal,
    /// The rates of its underlying.
    pub rates: MarginRates,
}

/// One margin figure of Kite's shape (₹): `total = span + exposure + option_premium + var`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Margin {
    /// SPAN (simulated).
    pub span: Decimal,
    /// Exposure margin (simulated).
    pub exposure: Decimal,
    /// Premium paid for long options.
    pub option_premium: Decimal,
    /// Equity margin of a share (MIS: [`EQUITY_MIS_MARGIN_PCT`] % of the order value).
    pub var: Decimal,
    /// What is blocked.
    pub total: Decimal,
}

impl Margin {
    fn add(self, o: Margin) -> Margin {
        Margin {
            span: self.span + o.span,
            exposure: self.exposure + o.exposure,
            option_premium: self.option_premium + o.option_premium,
            var: self.var + o.var,
            total: self.total + o.total,
        }
    }

    /// Every amount rounded to the paisa (half away from zero).
    pub fn rounded(self) -> Margin {
        let r = |d: Decimal| {
            d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        };
        Margin {
            span: r(self.span),
            exposure: r(self.exposure),
            option_premium: r(self.option_premium),
            var: r(self.var),
            total: r(self.total),
        }
    }
}

/// A basket's margins: each order alone, their sum (`initial`), and after the hedge
/// benefit (`final`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketMargins {
    /// `initial`: the orders added up.
    pub initial: Margin,
    /// `final`: with the hedge benefit.
    pub final_margin: Margin,
    /// Per order, request order.
    pub orders: Vec<Margin>,
}

/// Per unit: (SPAN, exposure) of a short leg, ₹.
fn naked_per_unit(leg: &PricedLeg) -> (Decimal, Decimal) {
    let pct = |p: Decimal| p / Decimal::ONE_HUNDRED * leg.underlying;
    (pct(leg.rates.span_pct), pct(leg.rates.exposure_pct))
}

/// The margin of one order standing alone (exact; [`Margin::rounded`] for the wire).
pub fn order_margin(leg: &PricedLeg) -> Margin {
    let q = Decimal::from(leg.quantity);
    if leg.option_type == OptionType::FUT {
        let notional = leg.premium * q;
        let frac = if leg.mis {
            FUTURE_MIS_FRACTION
        } else {
            Decimal::ONE
        };
        let span = FUTURE_SPAN_PCT / Decimal::ONE_HUNDRED * notional * frac;
        let exposure = FUTURE_EXPOSURE_PCT / Decimal::ONE_HUNDRED * notional * frac;
        return Margin {
            span,
            exposure,
            total: span + exposure,
            ..Margin::default()
        };
    }
    if leg.option_type == OptionType::EQ {
        let var = EQUITY_MIS_MARGIN_PCT / Decimal::ONE_HUNDRED * leg.premium * q;
        return Margin {
            var,
            total: var,
            ..Margin::default()
        };
    }
    match leg.side {
        Side::Sell => {
            let (s, e) = naked_per_unit(leg);
            Margin {
                span: s * q,
                exposure: e * q,
                total: (s + e) * q,
                ..Margin::default()
            }
        }
        Side::Buy => {
            let p = leg.premium * q;
            Margin {
                option_premium: p,
                total: p,
                ..Margin::default()
            }
        }
    }
}

/// The loss per unit at expiry of a short at `short` hedged by a long at `long` (same type),
/// before premiums: the width when the long is further out of the money, else 0.
pub fn spread_loss(option_type: OptionType, short: Decimal, long: Decimal) -> Decimal {
    let w = match option_type {
        OptionType::PE => short - long,
        _ => long - short,
    };
    w.max(Decimal::ZERO)
}

/// The margins of a basket (see the module docs).
pub fn basket(legs: &[PricedLeg]) -> BasketMargins {
    let orders: Vec<Margin> = legs.iter().map(order_margin).collect();
    let initial = orders.iter().fold(Margin::default(), |a, m| a.add(*m));
    let is_option = |l: &PricedLeg| l.option_type.is_option();
    let mut long_left: Vec<u32> = legs
        .iter()
        .map(|l| {
            if l.side == Side::Buy && is_option(l) {
                l.quantity
            } else {
                0
            }
        })
        .collect();
    let mut fin = Margin::default();
    for leg in legs {
        if !is_option(leg) {
            let m = order_margin(leg);
            fin.span += m.span;
            fin.exposure += m.exposure;
            fin.var += m.var;
            continue;
        }
        match leg.side {
            Side::Buy => {
                let p = leg.premium * Decimal::from(leg.quantity);
                fin.option_premium += p;
            }
            Side::Sell => {
                let (s, e) = naked_per_unit(leg);
                let mut left = leg.quantity;
                while left > 0 {
                    let best = legs
                        .iter()
                        .enumerate()
                        .filter(|(j, l)| {
                            long_left[*j] > 0
                                && l.segment == leg.segment
                                && l.expiry == leg.expiry
                                && l.option_type == leg.option_type
                        })
                        .min_by_key(|(_, l)| spread_loss(leg.option_type, leg.strike, l.strike));
                    let Some((j, long)) = best else { break };
                    let q = left.min(long_left[j]);
                    long_left[j] -= q;
                    left -= q;
                    let loss = spread_loss(leg.option_type, leg.strike, long.strike);
                    if loss < s + e {
                        fin.span += loss * Decimal::from(q);
                    } else {
                        fin.span += s * Decimal::from(q);
                        fin.exposure += e * Decimal::from(q);
                    }
                }
                fin.span += s * Decimal::from(left);
                fin.exposure += e * Decimal::from(left);
            }
        }
    }
    fin.total = fin.span + fin.exposure + fin.option_premium + fin.var;
    BasketMargins {
        initial: initial.rounded(),
        final_margin: fin.rounded(),
        orders: orders.into_iter().map(Margin::rounded).collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn leg(ot: OptionType, strike: Decimal, side: Side, qty: u32, premium: Decimal) -> PricedLeg {
        PricedLeg {
            segment: Segment::Nifty,
            expiry: NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
            option_type: ot,
            strike,
            side,
            quantity: qty,
            premium,
            underlying: dec!(22500),
            rates: MarginRates::default(),
            mis: true,
        }
    }

    #[test]
    fn a_naked_short_is_span_plus_exposure_of_the_notional() {
        let short = leg(OptionType::CE, dec!(22600), Side::Sell, 25, dec!(80));
        let m = order_margin(&short);
        let notional = short.underlying * Decimal::from(short.quantity);
        assert_eq!(m.span, notional * short.rates.span_pct / dec!(100));
        assert_eq!(m.exposure, notional * short.rates.exposure_pct / dec!(100));
        assert_eq!(m.option_premium, Decimal::ZERO);
        assert_eq!(m.total, m.span + m.exposure);
        let b = basket(std::slice::from_ref(&short));
        assert_eq!(b.initial, b.final_margin, "nothing to hedge with");
    }

    #[test]
    fn a_long_option_is_its_premium() {
        let long = leg(OptionType::PE, dec!(22400), Side::Buy, 50, dec!(61.35));
        let m = order_margin(&long);
        assert_eq!(m.total, long.premium * Decimal::from(long.quantity));
        assert_eq!(m.span + m.exposure, Decimal::ZERO);
    }

    #[test]
    fn a_further_otm_hedge_caps_the_short_at_the_spreads_max_loss_plus_premium() {
        for (ot, short_k, hedge_k) in [
            (OptionType::CE, dec!(22600), dec!(22800)),
            (OptionType::PE, dec!(22400), dec!(22200)),
        ] {
            let short = leg(ot, short_k, Side::Sell, 25, dec!(80));
            let hedge = leg(ot, hedge_k, Side::Buy, 25, dec!(20));
            let naked = basket(std::slice::from_ref(&short));
            let hedged = basket(&[hedge.clone(), short.clone()]);
            let width = (hedge_k - short_k).abs();
            let q = Decimal::from(short.quantity);
            assert_eq!(
                hedged.final_margin.total,
                width * q + hedge.premium * q,
                "{ot:?}"
            );
            assert!(
                hedged.final_margin.total < naked.final_margin.total,
                "{ot:?}"
            );
            assert_eq!(
                hedged.initial.total,
                naked.initial.total + hedge.premium * q,
                "initial adds the legs up"
            );
            assert_eq!(hedged.orders.len(), 2);
        }
    }

    #[test]
    fn a_hedge_covers_only_its_own_quantity_type_and_expiry() {
        let short = leg(OptionType::CE, dec!(22600), Side::Sell, 50, dec!(80));
        let hedge = leg(OptionType::CE, dec!(22800), Side::Buy, 25, dec!(20));
        let b = basket(&[short.clone(), hedge.clone()]);
        let (s, e) = naked_per_unit(&short);
        let want = dec!(200) * dec!(25) + (s + e) * dec!(25) + dec!(20) * dec!(25);
        assert_eq!(b.final_margin.total, want);
        let put = leg(OptionType::PE, dec!(22800), Side::Buy, 50, dec!(20));
        let mut other_expiry = hedge.clone();
        other_expiry.quantity = 50;
        other_expiry.expiry = NaiveDate::from_ymd_opt(2024, 6, 13).unwrap();
        for h in [put, other_expiry] {
            let b = basket(&[short.clone(), h.clone()]);
            assert_eq!(b.final_margin, b.initial, "{h:?} does not hedge");
        }
    }

    #[test]
    fn a_hedge_nearer_the_money_leaves_only_the_premium_and_a_huge_width_keeps_the_naked_margin() {
        let short = leg(OptionType::CE, dec!(22600), Side::Sell, 25, dec!(80));
        let itm_long = leg(OptionType::CE, dec!(22500), Side::Buy, 25, dec!(120));
        let b = basket(&[short.clone(), itm_long]);
        assert_eq!(b.final_margin.total, dec!(120) * dec!(25));
        let far = leg(OptionType::CE, dec!(30000), Side::Buy, 25, dec!(0.05));
        let b = basket(&[short.clone(), far]);
        let naked = order_margin(&short);
        assert_eq!(b.final_margin.total, naked.total + dec!(1.25));
    }

    #[test]
    fn an_mis_share_is_a_fifth_of_its_value_either_side_and_never_hedges() {
        let share = |side: Side, qty: u32| PricedLeg {
            segment: "RELIANCE".parse().unwrap(),
            expiry: NaiveDate::from_ymd_opt(2025, 1, 13).unwrap(),
            option_type: OptionType::EQ,
            strike: Decimal::ZERO,
            side,
            quantity: qty,
            premium: dec!(1229.95),
            underlying: dec!(1229.95),
            rates: MarginRates::default(),
            mis: true,
        };
        for side in [Side::Buy, Side::Sell] {
            let m = order_margin(&share(side, 10));
            assert_eq!((m.var, m.total), (dec!(2459.90), dec!(2459.90)));
            assert_eq!(m.span + m.exposure + m.option_premium, Decimal::ZERO);
        }
        // A long and a short share of the same stock, with an option short: no pairing.
        let short = leg(OptionType::CE, dec!(22600), Side::Sell, 25, dec!(80));
        let b = basket(&[share(Side::Buy, 10), share(Side::Sell, 10), short]);
        assert_eq!(b.final_margin, b.initial);
        assert_eq!(b.final_margin.var, dec!(4919.80));
    }
}
