//! `[hedging]`: seed 003's hedged short (spec §4.3, `instrument = "hedged_short"`): the
//! hedge's distance in strikes and the spread's own exits.

use chrono::NaiveTime;
use domain::Decimal;
use engine::settings::HedgeSettings;
use serde::Deserialize;

/// `[hedging]` (used by segments with `instrument = "hedged_short"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HedgingSection {
    /// The hedge is this many strike steps further out of the money than the short
    /// (default 2; at least 1).
    pub hedge_offset: u32,
    /// Stop: exit when the spread's value rose this % above the entry credit (default 50;
    /// 0 = no stop).
    pub spread_stop_pct: Decimal,
    /// Target: exit when the spread's value fell this % below the entry credit (default 50;
    /// 0 = no target; below 100).
    pub spread_target_pct: Decimal,
    /// On the legs' expiry day exit at this IST time, e.g. `"14:30:00"` (seed 003's
    /// "Wednesday exit"; default: none, only the EOD square-off).
    pub expiry_day_exit_time: Option<NaiveTime>,
}

impl Default for HedgingSection {
    fn default() -> Self {
        let d = HedgeSettings::default();
        Self {
            hedge_offset: d.hedge_offset,
            spread_stop_pct: d.spread_stop_pct.unwrap_or_default(),
            spread_target_pct: d.spread_target_pct.unwrap_or_default(),
            expiry_day_exit_time: d.expiry_day_exit_time,
        }
    }
}

impl HedgingSection {
    /// The engine's settings (0 % = off).
    pub fn settings(&self) -> HedgeSettings {
        let pct = |p: Decimal| Some(p).filter(|p| *p > Decimal::ZERO);
        HedgeSettings {
            hedge_offset: self.hedge_offset,
            spread_stop_pct: pct(self.spread_stop_pct),
            spread_target_pct: pct(self.spread_target_pct),
            expiry_day_exit_time: self.expiry_day_exit_time,
        }
    }

    /// The values make sense: an offset of at least one strike, percentages in range.
    ///
    /// # Errors
    /// A message naming the `hedging.<key>`.
    pub fn validate(&self) -> Result<(), String> {
        if self.hedge_offset == 0 {
            return Err("hedging.hedge_offset must be ≥ 1 (strikes)".into());
        }
        if self.spread_stop_pct < Decimal::ZERO {
            return Err("hedging.spread_stop_pct must be ≥ 0".into());
        }
        if self.spread_target_pct < Decimal::ZERO || self.spread_target_pct >= Decimal::ONE_HUNDRED
        {
            return Err("hedging.spread_target_pct must be in [0, 100)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn reads_checks_and_maps_zero_to_off() {
        let h: HedgingSection = toml::from_str(
            "hedge_offset = 3\nspread_stop_pct = 0\nexpiry_day_exit_time = \"14:30:00\"",
        )
        .unwrap();
        let s = h.settings();
        assert_eq!(s.hedge_offset, 3);
        assert_eq!(s.spread_stop_pct, None);
        assert_eq!(s.spread_target_pct, Some(dec!(50)));
        assert_eq!(s.expiry_day_exit_time, Some(domain::time::hms(14, 30, 0)));
        assert!(h.validate().is_ok());
        let bad = HedgingSection {
            hedge_offset: 0,
            ..HedgingSection::default()
        };
        assert!(bad.validate().unwrap_err().contains("hedging.hedge_offset"));
        let e = toml::from_str::<HedgingSection>("hedge_ofset = 1").unwrap_err();
        assert!(e.to_string().contains("hedge_ofset"), "{e}");
    }
}
