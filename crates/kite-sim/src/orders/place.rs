//! Validation of an order placement form (`POST /orders/{variety}`, kite-connect.md §3.3):
//! Kite's `InputException` messages for a bad field, a non-lot multiple, the freeze limit,
//! the tick size and a refused `SL-M`.

use super::{OrderType, PlaceRequest, sl_m_refusal};
use crate::market::{Instrument, Universe};
use domain::{Decimal, Exchange, Segment, Side};
use std::collections::HashMap;
use std::str::FromStr;

fn form_decimal(f: &HashMap<String, String>, key: &str) -> Result<Decimal, String> {
    match f.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(Decimal::ZERO),
        Some(v) => Decimal::from_str(v)
            .or_else(|_| Decimal::from_scientific(v))
            .map_err(|_| format!("Invalid `{key}`: `{v}` is not a number.")),
    }
}

/// Validate a `POST /orders/{variety}` form (kite-connect.md §3.3). `Err` is the message of a
/// 400 `InputException`.
pub fn parse_place(
    variety: &str,
    f: &HashMap<String, String>,
    universe: &Universe,
    freeze_quantity: impl Fn(Segment) -> u32,
) -> Result<PlaceRequest, String> {
    if variety != "regular" {
        return Err(format!(
            "Invalid variety `{variety}`: the simulator supports `regular` orders only."
        ));
    }
    let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or("");
    for k in [
        "tradingsymbol",
        "exchange",
        "transaction_type",
        "order_type",
        "quantity",
        "product",
    ] {
        if get(k).is_empty() {
            return Err(format!("Missing `{k}`."));
        }
    }
    let exchange = match get("exchange") {
        "NFO" => Exchange::NFO,
        "BFO" => Exchange::BFO,
        "NSE" => Exchange::NSE,
        other => {
            return Err(format!(
                "Invalid `exchange` `{other}`: the simulator trades NFO and BFO index options and futures and the streamed stocks on NSE."
            ));
        }
    };
    let symbol = get("tradingsymbol");
    let inst: &Instrument = universe.by_symbol(exchange, symbol).ok_or_else(|| {
        format!("Invalid `tradingsymbol`: {exchange}:{symbol} is not in the instruments list.")
    })?;
    let side = match get("transaction_type") {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        other => return Err(format!("Invalid `transaction_type` `{other}`.")),
    };
    let order_type = OrderType::parse(get("order_type"))
        .ok_or_else(|| format!("Invalid `order_type` `{}`.", get("order_type")))?;
    let stock = inst.is_stock();
    if order_type == OrderType::SlM
        && let Some(m) = sl_m_refusal(inst)
    {
        return Err(m.to_string());
    }
    let product = match get("product") {
        "MIS" => "MIS".to_string(),
        "NRML" if !stock => "NRML".to_string(),
        other if stock => {
            return Err(format!(
                "Invalid `product` `{other}` for an NSE equity: the simulator trades shares intraday, use MIS."
            ));
        }
        other => {
            return Err(format!(
                "Invalid `product` `{other}` for F&O: use MIS or NRML."
            ));
        }
    };
    let quantity: u32 = get("quantity")
        .parse()
        .ok()
        .filter(|q| *q > 0)
        .ok_or_else(|| format!("Invalid `quantity` `{}`.", get("quantity")))?;
    let c = &inst.contract;
    if !quantity.is_multiple_of(c.lot_size) {
        return Err(format!(
            "Quantity should be a multiple of the lot size {} of {}.",
            c.lot_size, c.tradingsymbol
        ));
    }
    let freeze = freeze_quantity(c.segment);
    if quantity > freeze {
        return Err(format!(
            "Quantity {quantity} exceeds the freeze limit {freeze} of {}: split the order.",
            c.tradingsymbol
        ));
    }
    let price = form_decimal(f, "price")?;
    let trigger = form_decimal(f, "trigger_price")?;
    if order_type.needs_price() && price <= Decimal::ZERO {
        return Err(format!(
            "Invalid `price`: a {} order needs a price above 0.",
            order_type.code()
        ));
    }
    if order_type.is_stop() && trigger <= Decimal::ZERO {
        return Err(format!(
            "Invalid `trigger_price`: a {} order needs a trigger price above 0.",
            order_type.code()
        ));
    }
    let tick = c.tick_size;
    for (k, v) in [("price", price), ("trigger_price", trigger)] {
        if v < Decimal::ZERO || !(v % tick).is_zero() {
            return Err(format!(
                "Invalid `{k}` {v}: it must be a multiple of the tick size {tick}."
            ));
        }
    }
    let validity = match get("validity") {
        "" | "DAY" | "TTL" => "DAY".to_string(),
        "IOC" => "IOC".to_string(),
        other => return Err(format!("Invalid `validity` `{other}`.")),
    };
    let tag = match get("tag") {
        "" => None,
        t if t.len() > 20 || !t.chars().all(|c| c.is_ascii_alphanumeric()) => {
            return Err(format!(
                "Invalid `tag` `{t}`: at most 20 alphanumeric characters."
            ));
        }
        t => Some(t.to_string()),
    };
    let market_protection = match get("market_protection") {
        "" => None,
        v => Some(
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && (*x == -1.0 || (0.0..=100.0).contains(x)))
                .ok_or_else(|| format!("Invalid `market_protection` `{v}`."))?,
        ),
    };
    Ok(PlaceRequest {
        token: inst.token(),
        side,
        order_type,
        quantity,
        product,
        price: if order_type.needs_price() {
            price
        } else {
            Decimal::ZERO
        },
        trigger: if order_type.is_stop() {
            trigger
        } else {
            Decimal::ZERO
        },
        validity,
        tag,
        market_protection,
    })
}
