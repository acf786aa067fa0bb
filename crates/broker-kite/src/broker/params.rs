//! From an engine [`OrderRequest`] to Kite order parameters: the request check, the
//! marketable-limit price of a MARKET order ([`MarketOrderStyle`]) and the order params
//! (kite-connect.md §3.3).

use super::{KiteBroker, valid_tag};
use crate::convert::{
    kite_exchange, kite_product, kite_side, round_down_to_tick, round_up_to_tick, rupees,
    to_wire_price,
};
use crate::limits::EndpointClass;
use crate::settings::MarketOrderStyle;
use domain::Side;
use domain::order::{OrderKind, OrderRequest};
use domain::ports::BrokerError;
use kiteconnect::{OrderParams, OrderType, Validity};
use rust_decimal::Decimal;
use std::time::Duration;

impl KiteBroker {
    pub(super) async fn price_for_market(
        &self,
        req: &OrderRequest,
    ) -> Result<Decimal, BrokerError> {
        let c = &req.contract;
        let max_age = Duration::from_millis(self.client.settings().orders.max_quote_age_ms);
        let fresh = c
            .instrument_token
            .and_then(|t| self.quotes.get(t))
            .filter(|t| t.at.elapsed() <= max_age);
        let (ltp, bid, ask) = match fresh {
            Some(t) => (t.ltp, t.bid, t.ask),
            None => {
                let key = format!("{}:{}", c.exchange, c.tradingsymbol);
                let q = self
                    .client
                    .read(EndpointClass::Quote, "quote", |k| {
                        let key = key.clone();
                        async move { k.quote(&[key.as_str()]).await }
                    })
                    .await
                    .map_err(|e| {
                        BrokerError::Unavailable(format!(
                            "no price for {} (order not sent): {e}",
                            c.tradingsymbol
                        ))
                    })?;
                let q = q.get(&key).ok_or_else(|| {
                    BrokerError::Unavailable(format!("no quote for {key} (order not sent)"))
                })?;
                let best = |v: &[kiteconnect::DepthItem]| {
                    v.first()
                        .filter(|l| l.quantity > 0 && l.price > 0.0)
                        .map(|l| rupees(l.price))
                };
                let (bid, ask) = q
                    .depth
                    .as_ref()
                    .map_or((None, None), |d| (best(&d.buy), best(&d.sell)));
                let ltp = rupees(q.last_price);
                if let Some(t) = c.instrument_token {
                    self.quotes.update(t, ltp, bid, ask);
                }
                (ltp, bid, ask)
            }
        };
        let pct = self.client.settings().orders.limit_buffer_pct / Decimal::ONE_HUNDRED;
        let price = match req.side {
            Side::Buy => round_up_to_tick(ask.unwrap_or(ltp) * (Decimal::ONE + pct), c.tick_size),
            Side::Sell => {
                round_down_to_tick(bid.unwrap_or(ltp) * (Decimal::ONE - pct), c.tick_size)
                    .max(c.tick_size)
            }
        };
        if price <= Decimal::ZERO {
            return Err(BrokerError::Unavailable(format!(
                "no usable price for {} (order not sent)",
                c.tradingsymbol
            )));
        }
        Ok(price)
    }

    pub(super) async fn params_for(&self, req: &OrderRequest) -> Result<OrderParams, BrokerError> {
        let c = &req.contract;
        let mut p = OrderParams::new()
            .exchange(kite_exchange(c.exchange))
            .tradingsymbol(c.tradingsymbol.clone())
            .transaction_type(kite_side(req.side))
            .quantity(i64::from(req.quantity))
            .product(kite_product(req.product))
            .validity(Validity::Day)
            .tag(req.tag.clone());
        let o = &self.client.settings().orders;
        p = match req.kind {
            OrderKind::Market => match o.market_order_style {
                MarketOrderStyle::Limit => {
                    let px = self.price_for_market(req).await?;
                    p.order_type(OrderType::Limit).price(to_wire_price(px))
                }
                MarketOrderStyle::Market => p
                    .order_type(OrderType::Market)
                    .market_protection(f64::from(o.market_protection)),
            },
            OrderKind::Limit { price } => {
                // Never worse than asked: a BUY rounds down, a SELL up, to the tick.
                let px = match req.side {
                    Side::Buy => round_down_to_tick(price, c.tick_size),
                    Side::Sell => round_up_to_tick(price, c.tick_size),
                };
                p.order_type(OrderType::Limit).price(to_wire_price(px))
            }
            OrderKind::StopLimit { trigger, price } => {
                let (trigger, price) = stop_prices(req.side, trigger, price, c.tick_size);
                p.order_type(OrderType::Sl)
                    .trigger_price(to_wire_price(trigger))
                    .price(to_wire_price(price))
            }
        };
        Ok(p)
    }

    pub(super) fn check_request(req: &OrderRequest) -> Result<(), String> {
        if let OrderKind::StopLimit { trigger, price } = req.kind
            && (trigger <= Decimal::ZERO || price <= Decimal::ZERO)
        {
            return Err(format!(
                "SL order of {} needs a trigger and a limit price above ₹0 (got trigger {trigger}, price {price})",
                req.contract.tradingsymbol
            ));
        }
        if !valid_tag(&req.tag) {
            return Err(format!(
                "tag `{}` is not 1-20 alphanumeric characters (kite-connect.md §3.3)",
                req.tag
            ));
        }
        let lot = req.contract.lot_size;
        if req.quantity == 0 || lot == 0 || !req.quantity.is_multiple_of(lot) {
            return Err(format!(
                "quantity {} is not a positive multiple of the lot size {lot} of {}",
                req.quantity, req.contract.tradingsymbol
            ));
        }
        Ok(())
    }
}

/// The trigger and limit price of an engine [`OrderKind::StopLimit`] as sent: Kite order type
/// `SL` (stop-loss limit, kite-connect.md §3.3) with `trigger_price` and `price`, both on the
/// contract's tick. A SELL stop's trigger rounds up and its limit down (a BUY stop the other
/// way), so the stop triggers no later and fills no less readily than asked; the limit never
/// sits on the wrong side of the trigger (Kite refuses a SELL `SL` whose price is above its
/// trigger).
///
/// Why never `SL-M`: kite-connect.md lists `SL-M` (stop-loss market, `market_protection`
/// mandatory, §5.3) but says nothing of index options; the exchanges withdrew it there (NSE
/// for index and stock options from 27 September 2021, BSE for every segment) and Kite blocks
/// it, so the protective stop of spec §10.3 is an SL-limit whose price sits a configured
/// distance beyond the trigger ([`crate::settings::ProtectiveStopConfig`]).
pub(crate) fn stop_prices(
    side: Side,
    trigger: Decimal,
    price: Decimal,
    tick: Decimal,
) -> (Decimal, Decimal) {
    match side {
        Side::Sell => {
            let t = round_up_to_tick(trigger, tick);
            let p = round_down_to_tick(price, tick).max(tick).min(t);
            (t, p)
        }
        Side::Buy => {
            let t = round_down_to_tick(trigger, tick).max(tick);
            let p = round_up_to_tick(price, tick).max(t);
            (t, p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn stop_prices_sit_on_the_tick_on_the_safe_side() {
        let tick = dec!(0.05);
        assert_eq!(
            stop_prices(Side::Sell, dec!(80.03), dec!(76.02), tick),
            (dec!(80.05), dec!(76.00))
        );
        // A limit above a SELL trigger is pulled down to it.
        assert_eq!(
            stop_prices(Side::Sell, dec!(80), dec!(81), tick),
            (dec!(80), dec!(80))
        );
        assert_eq!(
            stop_prices(Side::Buy, dec!(120.07), dec!(126.01), tick),
            (dec!(120.05), dec!(126.05))
        );
        assert_eq!(
            stop_prices(Side::Buy, dec!(120), dec!(110), tick),
            (dec!(120), dec!(120))
        );
    }
}
