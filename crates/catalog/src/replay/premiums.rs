//! [`CatalogPremiums`]: real option prices of the replayed date from the catalog, for the
//! paper pricer (spec §6).

use super::ticks::{bar_minutes, synthesize_ticks_in};
use crate::Catalog;
use broker_paper::pricer::MarketPremiums;
use chrono::NaiveDate;
use domain::Decimal;
use domain::time::IstDateTime;
use std::collections::HashMap;

/// Real option prices from the catalog's tick files (or bars, read as their replay ticks) of
/// the contract on the replayed date: the last price at or before `at`.
pub struct CatalogPremiums {
    catalog: Catalog,
    date: NaiveDate,
    /// Per tradingsymbol: its day's prices in time order, or `None` when the catalog has none.
    cache: HashMap<String, Option<PriceSeries>>,
}

/// `(time, price ₹)` in time order.
type PriceSeries = Vec<(IstDateTime, Decimal)>;

impl CatalogPremiums {
    /// Premiums of `date` from `catalog`.
    pub fn new(catalog: Catalog, date: NaiveDate) -> Self {
        Self {
            catalog,
            date,
            cache: HashMap::new(),
        }
    }

    fn load(&self, symbol: &str) -> Option<PriceSeries> {
        if self.catalog.has_ticks(symbol, self.date) {
            let ticks = self.catalog.ticks_shared(symbol, self.date).ok()?;
            return Some(ticks.iter().map(|t| (t.ts, t.last_price)).collect());
        }
        // Bars: 1-minute under the symbol itself, or another timeframe as `<symbol>_<n>m`.
        let series = std::iter::once(symbol.to_string())
            .chain(["3m", "5m", "15m"].map(|tf| format!("{symbol}_{tf}")))
            .find(|s| self.catalog.has_bars(s, self.date))?;
        let bars = self.catalog.bars_shared(&series, self.date).ok()?;
        let minutes = bar_minutes(&bars);
        Some(
            bars.iter()
                .flat_map(|b| synthesize_ticks_in(0, b, minutes))
                .map(|t| (t.ts, t.price))
                .collect(),
        )
    }
}

impl MarketPremiums for CatalogPremiums {
    /// The last catalog price of `symbol` at or before `at`; `None` before its first price or
    /// when the catalog has no (readable) file of it on the date.
    fn last_traded(&mut self, symbol: &str, at: IstDateTime) -> Option<Decimal> {
        if !self.cache.contains_key(symbol) {
            let loaded = self.load(symbol);
            self.cache.insert(symbol.to_string(), loaded);
        }
        let series = self.cache.get(symbol)?.as_ref()?;
        let n = series.partition_point(|(ts, _)| *ts <= at);
        n.checked_sub(1).and_then(|i| series.get(i)).map(|p| p.1)
    }
}
