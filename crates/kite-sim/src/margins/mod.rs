//! Kite's margin calculators, simulated (kite-connect.md §3.9): `POST /margins/orders` and
//! `POST /margins/basket[?consider_positions=true]` take a JSON array of orders
//! (`exchange, tradingsymbol, transaction_type, variety, product, order_type, quantity,
//! price, trigger_price`) and answer in the shapes of Zerodha's fixtures
//! (`order_margins.json`, `basket_margins.json`).
//!
//! The figures come from [`model`]: **a documented simulation, not NSE's SPAN**, over the
//! simulator's own prices (the index now, the option's premium now, or the order's limit
//! price). `charges` are all zero (the engine computes charges itself, `domain::charges`);
//! `consider_positions` is accepted and ignored (the basket alone is margined).
//! A streamed stock's share (`exchange` NSE, product MIS) is margined at
//! [`model::EQUITY_MIS_MARGIN_PCT`] % of the order value (`var`, `leverage` 5). An index
//! future (`NFO`/`BFO` `FUT`, MIS or NRML) is margined at [`model::FUTURE_SPAN_PCT`] % SPAN +
//! [`model::FUTURE_EXPOSURE_PCT`] % exposure of its notional (MIS × [`model::FUTURE_MIS_FRACTION`];
//! an approximation of Zerodha's calculator, see there), `leverage` 1; an order without a
//! `product` is margined as NRML.
//! `GET /user/margins` reports [`SimMargins::available_cash`] when set (else the market's
//! capital) ± the day's option premium cash flow, + the shares' day P&L at their stream price −
//! the MIS margin of the open share positions (`sim::Shared::equity_margins`); faults ([`crate::Fault::MarginError`],
//! [`crate::Fault::AvailableCash`]) make the calculators fail or the funds run short.

pub mod model;

use crate::orders::num;
use crate::sim::{ApiError, Shared};
use domain::{Decimal, Exchange, Segment, Side};
use model::{Margin, MarginRates, PricedLeg};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The margin settings of the simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimMargins {
    /// Rates of an underlying without its own entry (default 9 % SPAN + 2 % exposure).
    pub rates: MarginRates,
    /// Per-underlying rates.
    pub segments: BTreeMap<Segment, MarginRates>,
    /// Cash available to trade, ₹ (`GET /user/margins` `equity.available.cash`); `None` = the
    /// market's capital ([`crate::SimMarket::capital`]).
    pub available_cash: Option<Decimal>,
}

impl SimMargins {
    /// The rates of `seg`.
    pub fn rates(&self, seg: Segment) -> MarginRates {
        self.segments.get(&seg).copied().unwrap_or(self.rates)
    }
}

/// One element of the request array (unknown keys such as `market_protection` are ignored,
/// as Kite does).
#[derive(Debug, Deserialize)]
struct OrderParam {
    exchange: String,
    tradingsymbol: String,
    transaction_type: String,
    quantity: i64,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    order_type: Option<String>,
    #[serde(default)]
    price: Option<f64>,
}

/// Parse and price the request body: per order the leg for the model and its echo
/// (`exchange`, `tradingsymbol`). Errors are Kite's `InputException` naming the order (1-based)
/// and the field.
fn priced_legs(sh: &Shared, body: &[u8]) -> Result<Vec<(PricedLeg, String, String)>, ApiError> {
    let raw: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
        ApiError::input(format!(
            "body: expected a JSON array of orders (kite-connect.md §3.9): {e}"
        ))
    })?;
    if raw.is_empty() {
        return Err(ApiError::input("body: no orders"));
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut st = sh.lock();
    for (i, v) in raw.into_iter().enumerate() {
        let n = i + 1;
        let p: OrderParam =
            serde_json::from_value(v).map_err(|e| ApiError::input(format!("order {n}: {e}")))?;
        let ex = match p.exchange.as_str() {
            "NFO" => Exchange::NFO,
            "BFO" => Exchange::BFO,
            "NSE" => Exchange::NSE,
            other => {
                return Err(ApiError::input(format!(
                    "order {n}: `exchange` `{other}`: the simulator margins NFO and BFO options and futures and the streamed stocks on NSE only"
                )));
            }
        };
        let Some(inst) = sh.universe.by_symbol(ex, &p.tradingsymbol) else {
            return Err(ApiError::input(format!(
                "order {n}: `tradingsymbol` `{}` is not listed on {}",
                p.tradingsymbol, p.exchange
            )));
        };
        let side = match p.transaction_type.as_str() {
            "BUY" => Side::Buy,
            "SELL" => Side::Sell,
            other => {
                return Err(ApiError::input(format!(
                    "order {n}: `transaction_type` `{other}`: BUY or SELL"
                )));
            }
        };
        if let Some(prod) = p.product.as_deref() {
            if inst.is_stock() && prod != "MIS" {
                return Err(ApiError::input(format!(
                    "order {n}: `product` `{prod}`: MIS for an NSE equity (the simulator trades shares intraday)"
                )));
            }
            if !matches!(prod, "MIS" | "NRML") {
                return Err(ApiError::input(format!(
                    "order {n}: `product` `{prod}`: MIS or NRML for F&O"
                )));
            }
        }
        let c = &inst.contract;
        let lot = i64::from(c.lot_size.max(1));
        let quantity = u32::try_from(p.quantity)
            .ok()
            .filter(|q| *q > 0 && i64::from(*q) % lot == 0)
            .ok_or_else(|| {
                ApiError::input(format!(
                    "order {n}: `quantity` {} is not a positive multiple of the lot size {lot} of {}",
                    p.quantity, c.tradingsymbol
                ))
            })?;
        let limit = (p.order_type.as_deref() != Some("MARKET"))
            .then_some(p.price)
            .flatten()
            .filter(|x| x.is_finite() && *x > 0.0)
            .and_then(|x| Decimal::try_from(x).ok());
        let premium = match limit {
            Some(px) => px.round_dp(2),
            None => sh.premium_now(&mut st, inst),
        };
        let leg = PricedLeg {
            segment: c.segment,
            expiry: c.expiry,
            option_type: c.option_type,
            strike: c.strike,
            side,
            quantity,
            premium,
            underlying: sh.index_price(&st, c.segment),
            rates: sh.margins.rates(c.segment),
            mis: p.product.as_deref() == Some("MIS"),
        };
        out.push((leg, p.exchange, p.tradingsymbol));
    }
    Ok(out)
}

/// The `leverage` of a leg's margin object: 5 for an equity MIS share (20 % margin), else 1.
fn leverage(leg: &PricedLeg) -> u8 {
    if leg.option_type == domain::OptionType::EQ {
        5
    } else {
        1
    }
}

fn zero_charges() -> Value {
    json!({
        "transaction_tax": 0, "transaction_tax_type": "", "exchange_turnover_charge": 0,
        "sebi_turnover_charge": 0, "brokerage": 0, "stamp_duty": 0,
        "gst": {"igst": 0, "cgst": 0, "sgst": 0, "total": 0}, "total": 0
    })
}

/// A margin object of Kite's shape (`order_margins.json`).
fn margin_json(m: &Margin, kind: &str, exchange: &str, symbol: &str, leverage: u8) -> Value {
    json!({
        "type": kind, "tradingsymbol": symbol, "exchange": exchange,
        "span": num(m.span), "exposure": num(m.exposure), "option_premium": num(m.option_premium),
        "additional": 0, "bo": 0, "cash": 0, "var": num(m.var),
        "pnl": {"realised": 0, "unrealised": 0},
        "leverage": leverage, "charges": zero_charges(), "total": num(m.total)
    })
}

impl Shared {
    /// Take one pending [`crate::Fault::MarginError`]: its message.
    fn take_margin_fault(&self) -> Option<String> {
        let mut st = self.lock();
        let (n, msg) = st.margin_fail.as_mut()?;
        let msg = msg.clone();
        *n = n.saturating_sub(1);
        if *n == 0 {
            st.margin_fail = None;
        }
        Some(msg)
    }

    /// `POST /margins/orders` data: one margin object per order.
    ///
    /// # Errors
    /// `InputException` naming the order and field; the injected fault's 500.
    pub fn order_margins(&self, body: &[u8]) -> Result<Value, ApiError> {
        if let Some(m) = self.take_margin_fault() {
            return Err(ApiError::general(m));
        }
        let legs = priced_legs(self, body)?;
        Ok(Value::Array(
            legs.iter()
                .map(|(l, ex, sym)| {
                    margin_json(
                        &model::order_margin(l).rounded(),
                        "equity",
                        ex,
                        sym,
                        leverage(l),
                    )
                })
                .collect(),
        ))
    }

    /// `POST /margins/basket` data: `{initial, final, orders[], charges}`.
    ///
    /// # Errors
    /// As [`Shared::order_margins`].
    pub fn basket_margins(&self, body: &[u8]) -> Result<Value, ApiError> {
        if let Some(m) = self.take_margin_fault() {
            return Err(ApiError::general(m));
        }
        let legs = priced_legs(self, body)?;
        let plain: Vec<PricedLeg> = legs.iter().map(|(l, _, _)| l.clone()).collect();
        let b = model::basket(&plain);
        let orders: Vec<Value> = b
            .orders
            .iter()
            .zip(&legs)
            .map(|(m, (l, ex, sym))| margin_json(m, "equity", ex, sym, leverage(l)))
            .collect();
        Ok(json!({
            "initial": margin_json(&b.initial, "", "", "", 0),
            "final": margin_json(&b.final_margin, "", "", "", 0),
            "orders": orders,
            "charges": zero_charges(),
        }))
    }
}
