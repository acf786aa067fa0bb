//! [`KiteMargins`]: the engine's [`MarginCalculator`] on Kite's basket margin calculator
//! (kite-connect.md §3.9, `POST /margins/basket?consider_positions=true`, through the
//! `kiteconnect` crate's `basket_margins`) and the funds (`GET /user/margins`, `equity.net`,
//! §3.1). Asked before a hedged short is entered (issue 15): `final` (with the hedge benefit
//! and the open positions) against what is available.
//!
//! Both calls change nothing at Kite, so they go through [`KiteClient::read`]: rate limited,
//! retried with backoff on 429, 5xx and transport errors, never on a `TokenException` or an
//! `InputException`. Errors map as every read of the adapter does
//! ([`KiteError::into_broker_error`]). Money comes back as exact ₹ rounded to the paisa
//! ([`crate::convert::money`]: Kite computes margins in floating point).

use crate::client::KiteClient;
use crate::convert::{kite_exchange, kite_product, kite_side, money, to_wire_price};
use crate::error::KiteError;
use crate::limits::EndpointClass;
use async_trait::async_trait;
use domain::ports::{BasketMargin, BrokerError, MarginCalculator, MarginLeg};
use kiteconnect::{BasketParams, OrderMarginParam, OrderType, Variety};

/// Kite's margin calculator as the engine's [`MarginCalculator`]. Cheap to clone (shares the
/// client).
#[derive(Debug, Clone)]
pub struct KiteMargins {
    client: KiteClient,
}

/// The `POST /margins/basket` element of a leg: `regular` variety, `LIMIT` at the leg's price
/// (₹, on the wire as Kite's float) or `MARKET` when it has none.
///
/// # Errors
/// A message naming the leg (1-based) and its symbol when the quantity is not a positive
/// multiple of the lot size.
pub fn margin_param(n: usize, leg: &MarginLeg) -> Result<OrderMarginParam, String> {
    let c = &leg.contract;
    if leg.quantity == 0 || c.lot_size == 0 || !leg.quantity.is_multiple_of(c.lot_size) {
        return Err(format!(
            "leg {n} ({}): quantity {} is not a positive multiple of the lot size {}",
            c.tradingsymbol, leg.quantity, c.lot_size
        ));
    }
    let base = |t: OrderType| {
        OrderMarginParam::new(
            kite_exchange(c.exchange),
            c.tradingsymbol.clone(),
            kite_side(leg.side),
            Variety::Regular,
            kite_product(leg.product),
            t,
            i64::from(leg.quantity),
        )
    };
    Ok(match leg.price {
        Some(p) if p > domain::Decimal::ZERO => base(OrderType::Limit).price(to_wire_price(p)),
        Some(p) => {
            return Err(format!(
                "leg {n} ({}): price {p} is not above ₹0",
                c.tradingsymbol
            ));
        }
        None => base(OrderType::Market),
    })
}

impl KiteMargins {
    /// A calculator on `client`.
    pub fn new(client: KiteClient) -> Self {
        Self { client }
    }

    /// `initial.total` and `final.total` of the basket, ₹ (`consider_positions=true`).
    ///
    /// # Errors
    /// [`KiteError::Rejected`] for an empty basket or a bad leg (nothing sent); else the
    /// classified Kite error.
    pub async fn basket_totals(
        &self,
        legs: &[MarginLeg],
    ) -> Result<(domain::Decimal, domain::Decimal), KiteError> {
        if legs.is_empty() {
            return Err(KiteError::Rejected("not sent: an empty basket".into()));
        }
        let params = legs
            .iter()
            .enumerate()
            .map(|(i, l)| margin_param(i + 1, l))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| KiteError::Rejected(format!("not sent: {m}")))?;
        let b = self
            .client
            .read(EndpointClass::Other, "basket_margins", |k| {
                let p = BasketParams::new(params.clone()).consider_positions(true);
                async move { k.basket_margins(p).await }
            })
            .await?;
        Ok((money(b.initial.total), money(b.final_margin.total)))
    }

    /// Money available to trade in the equity segment (`GET /user/margins`, `equity.net`), ₹.
    ///
    /// # Errors
    /// The classified Kite error.
    pub async fn available(&self) -> Result<domain::Decimal, KiteError> {
        let m = self
            .client
            .read(EndpointClass::Other, "margins", |k| async move {
                k.margins().await
            })
            .await?;
        Ok(money(m.equity.net))
    }
}

#[async_trait]
impl MarginCalculator for KiteMargins {
    /// The basket's totals, then the funds; `available` is always `Some` (a failed funds
    /// call is an error: a margin check must not pass blind).
    async fn basket_margin(&self, legs: &[MarginLeg]) -> Result<BasketMargin, BrokerError> {
        let (initial_total, final_total) = self
            .basket_totals(legs)
            .await
            .map_err(KiteError::into_broker_error)?;
        let available = self
            .available()
            .await
            .map_err(KiteError::into_broker_error)?;
        tracing::info!(target: "kite", legs = legs.len(), %initial_total, %final_total, %available, "basket margin");
        Ok(BasketMargin {
            initial_total,
            final_total,
            available: Some(available),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use domain::{Exchange, OptionContract, OptionType, Product, Segment, Side};
    use rust_decimal_macros::dec;

    fn leg(quantity: u32, price: Option<domain::Decimal>) -> MarginLeg {
        MarginLeg {
            contract: OptionContract {
                segment: Segment::Nifty,
                exchange: Exchange::NFO,
                expiry: chrono::NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
                strike: dec!(23300),
                option_type: OptionType::CE,
                lot_size: 25,
                tick_size: dec!(0.05),
                tradingsymbol: "NIFTY2460623300CE".into(),
                instrument_token: None,
            },
            side: Side::Sell,
            quantity,
            product: Product::MIS,
            price,
        }
    }

    #[test]
    fn legs_serialize_as_kites_basket_elements() {
        let v =
            serde_json::to_value(margin_param(1, &leg(50, Some(dec!(81.35)))).unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "exchange": "NFO", "tradingsymbol": "NIFTY2460623300CE",
                "transaction_type": "SELL", "variety": "regular", "product": "MIS",
                "order_type": "LIMIT", "quantity": 50, "price": 81.35
            })
        );
        let v = serde_json::to_value(margin_param(1, &leg(25, None)).unwrap()).unwrap();
        assert_eq!(v["order_type"], "MARKET");
        assert!(v.get("price").is_none());
    }

    #[test]
    fn bad_legs_are_named() {
        let e = margin_param(2, &leg(30, None)).unwrap_err();
        assert!(e.contains("leg 2 (NIFTY2460623300CE): quantity 30"), "{e}");
        let e = margin_param(1, &leg(25, Some(dec!(0)))).unwrap_err();
        assert!(e.contains("price 0"), "{e}");
    }
}
