//! The day's positions and premium cash flow from the simulated fills (`GET /portfolio/positions`,
//! `GET /user/margins`; kite-connect.md §3.5, §6).

use super::{OrderRec, num};
use domain::{Decimal, Segment, Side};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Positions of the day from the fills (`GET /portfolio/positions` → `{net, day}`;
/// kite-connect.md §3.5). `ltp` gives the current premium of a token.
pub fn positions(orders: &[OrderRec], ltp: &mut dyn FnMut(u32) -> Decimal) -> Value {
    #[derive(Default)]
    struct Agg {
        exchange: String,
        token: u32,
        buy_q: i64,
        buy_v: Decimal,
        sell_q: i64,
        sell_v: Decimal,
    }
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut by: BTreeMap<(String, String), Agg> = BTreeMap::new();
    for r in orders {
        for f in &r.o.fills {
            let k = (r.o.tradingsymbol.clone(), r.o.product.clone());
            let a = by.entry(k.clone()).or_insert_with(|| {
                keys.push(k.clone());
                Agg {
                    exchange: r.o.exchange.clone(),
                    token: r.o.instrument_token,
                    ..Agg::default()
                }
            });
            let v = Decimal::from(f.quantity) * f.price;
            match r.o.side {
                Side::Buy => {
                    a.buy_q += i64::from(f.quantity);
                    a.buy_v += v;
                }
                Side::Sell => {
                    a.sell_q += i64::from(f.quantity);
                    a.sell_v += v;
                }
            }
        }
    }
    let rows: Vec<Value> = keys
        .iter()
        .map(|k| {
            let a = &by[k];
            let q = a.buy_q - a.sell_q;
            let last = ltp(a.token);
            let avg = |v: Decimal, n: i64| {
                if n == 0 {
                    Decimal::ZERO
                } else {
                    (v / Decimal::from(n)).round_dp(2)
                }
            };
            let buy_p = avg(a.buy_v, a.buy_q);
            let sell_p = avg(a.sell_v, a.sell_q);
            let average = match q {
                0 => Decimal::ZERO,
                q if q > 0 => buy_p,
                _ => sell_p,
            };
            let value = a.sell_v - a.buy_v;
            let pnl = value + Decimal::from(q) * last;
            let unrealised = Decimal::from(q) * (last - average);
            json!({
                "tradingsymbol": k.0,
                "exchange": a.exchange,
                "instrument_token": a.token,
                "product": k.1,
                "quantity": q,
                "overnight_quantity": 0,
                "multiplier": 1,
                "average_price": num(average),
                "close_price": 0,
                "last_price": num(last),
                "value": num(value),
                "pnl": num(pnl),
                "m2m": num(pnl),
                "unrealised": num(unrealised),
                "realised": num(pnl - unrealised),
                "buy_quantity": a.buy_q,
                "buy_price": num(buy_p),
                "buy_value": num(a.buy_v),
                "buy_m2m": num(a.buy_v),
                "sell_quantity": a.sell_q,
                "sell_price": num(sell_p),
                "sell_value": num(a.sell_v),
                "sell_m2m": num(a.sell_v),
                "day_buy_quantity": a.buy_q,
                "day_buy_price": num(buy_p),
                "day_buy_value": num(a.buy_v),
                "day_sell_quantity": a.sell_q,
                "day_sell_price": num(sell_p),
                "day_sell_value": num(a.sell_v),
            })
        })
        .collect();
    json!({"net": rows, "day": rows})
}

/// Net premium cash flow of the day's option fills (sells − buys), ₹. Stock shares (MIS) and
/// index futures are left out: see [`equity_usage`] and [`futures_usage`].
pub fn cash_flow(orders: &[OrderRec]) -> Decimal {
    orders
        .iter()
        .filter(|r| !r.underlying)
        .flat_map(|r| r.o.fills.iter().map(move |f| (r.o.side, f)))
        .map(|(s, f)| {
            let v = Decimal::from(f.quantity) * f.price;
            if s == Side::Buy { -v } else { v }
        })
        .sum()
}

/// Net quantity (buys − sells, units) and cash (sells − buys, ₹) of the fills of `orders`,
/// grouped by `key`, with each group's segment.
fn net_by<'a, K: Ord>(
    orders: impl Iterator<Item = &'a OrderRec>,
    key: impl Fn(&OrderRec) -> K,
) -> BTreeMap<K, (Segment, i64, Decimal)> {
    let mut by: BTreeMap<K, (Segment, i64, Decimal)> = BTreeMap::new();
    for r in orders {
        for f in &r.o.fills {
            let e = by.entry(key(r)).or_insert((r.segment, 0, Decimal::ZERO));
            let (q, v) = (i64::from(f.quantity), Decimal::from(f.quantity) * f.price);
            match r.o.side {
                Side::Buy => (e.1 += q, e.2 -= v),
                Side::Sell => (e.1 -= q, e.2 += v),
            };
        }
    }
    by
}

/// `(m2m, blocked)` of net positions, ₹: `m2m` = cash + net quantity × `ltp(segment)`,
/// `blocked` = `pct` % × |net quantity| × that price.
fn usage(
    nets: impl Iterator<Item = (Decimal, (Segment, i64, Decimal))>,
    ltp: &mut dyn FnMut(Segment) -> Decimal,
) -> (Decimal, Decimal) {
    let mut m2m = Decimal::ZERO;
    let mut blocked = Decimal::ZERO;
    for (pct, (seg, q, cash)) in nets {
        let last = ltp(seg);
        m2m += cash + Decimal::from(q) * last;
        blocked += pct / Decimal::ONE_HUNDRED * Decimal::from(q.abs()) * last;
    }
    (m2m, blocked)
}

/// The stock shares' (NSE MIS) day, summed over the stocks, ₹: `(m2m, blocked)` with
/// `m2m` = sells − buys + net quantity × `ltp(stock)` (the day's P&L at the price now) and
/// `blocked` = `margin_pct` % × |net quantity| × `ltp(stock)` (the MIS margin of the open
/// positions).
pub fn equity_usage(
    orders: &[OrderRec],
    ltp: &mut dyn FnMut(Segment) -> Decimal,
    margin_pct: Decimal,
) -> (Decimal, Decimal) {
    let nets = net_by(
        orders.iter().filter(|r| r.segment.symbol().is_some()),
        |r| r.segment,
    );
    usage(nets.into_values().map(|n| (margin_pct, n)), ltp)
}

/// The index futures' day, summed over the contracts and products, ₹: `(m2m, blocked)` with
/// `m2m` = sells − buys + net quantity × `ltp(segment)` (a future is marked at its segment's
/// stream price) and `blocked` = `margin_pct(product)` % × |net quantity| × that price (the
/// margin of the open positions; `product` `MIS` or `NRML`).
pub fn futures_usage(
    orders: &[OrderRec],
    ltp: &mut dyn FnMut(Segment) -> Decimal,
    margin_pct: &dyn Fn(&str) -> Decimal,
) -> (Decimal, Decimal) {
    let nets = net_by(
        orders
            .iter()
            .filter(|r| r.underlying && r.segment.symbol().is_none()),
        |r| (r.o.tradingsymbol.clone(), r.o.product.clone()),
    );
    usage(
        nets.into_iter()
            .map(|((_, product), n)| (margin_pct(&product), n)),
        ltp,
    )
}
