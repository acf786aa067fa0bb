//! `donchian_breakout` (seed 002, spec §4.3; exits spec §4.4).
//!
//! A Donchian channel breakout on index candles (1-minute by default). At each completed
//! candle t, the channel is that of the **previous** `length` candles, candle t excluded
//! (spec §4.1, [`indicators::Donchian`]): `upper` = highest high, `lower` = lowest low,
//! `mid = (upper + lower)/2`. Comparisons are plain IEEE on the close in rupees, no tolerance.
//!
//! `option_type = "CE"` (default, the seed's setup: "typically CE … focusing on long calls"):
//! - **BUY_CE** iff `close > upper`;
//! - **EXIT** iff `close < lower` (`exit_option = "lower"`, default) or `close < mid`
//!   (`exit_option = "mid"`).
//!
//! `option_type = "PE"`, the mirror image (a downside breakout buys a put):
//! - **BUY_PE** iff `close < lower`;
//! - **EXIT** iff `close > upper` (`exit_option = "lower"`: the opposite band) or
//!   `close > mid` (`exit_option = "mid"`).
//!
//! Why mirrored: seed 002's trader takes its BUY signal from the upside breakout and buys the
//! configured `option_type`, so a literal `PE` would buy puts on an *upside* breakout (a bet
//! against the signal) with the engine's stops placed for a bearish view. The only coherent
//! reading in this engine, where BUY_PE means a bearish view on the index (spec §4.4 stops are
//! mirrored for PE), is the mirrored channel rule above.
//!
//! The rule is a level test, as spec §4.3 states it (`close > upper`), not a crossover: every
//! candle that closes outside the band repeats the signal. The engine ignores a BUY while in
//! position and an EXIT while flat (spec §4), so the strategy needs no position state; the
//! consequence is that after an exit by stop/target/max-holding a candle still closing outside
//! the band enters again. (The seed's original code used a strict crossover,
//! `close > upper and close[−1] ≤ upper[−1]`; see `docs/strategies.md`.)
//!
//! A candle can never give both a BUY and an EXIT (`lower ≤ mid ≤ upper`). Before `length + 1`
//! candles the channel is not ready and the signal is HOLD. The channel runs across days
//! (warm-up, spec §3); the strategy has no per-day state.
//!
//! The seed's exits — option-premium stop % and target %, `max_holding_minutes` — are engine
//! exits (spec §4.4), not part of this strategy.

use crate::{Evaluation, SignalOrigin, Strategy};
use domain::{Candle, OptionType, Signal, Timeframe};
use indicators::{Donchian, HighLow, Indicator};
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

/// Which band closes a position (seed 002 `exit_option`: 1 = lower band, 2 = basis/mid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExitOption {
    /// The far band: `close < lower` for CE; mirrored, `close > upper`, for PE.
    #[default]
    Lower,
    /// The mid band `(upper + lower)/2`: `close < mid` for CE, `close > mid` for PE.
    Mid,
}

/// Parameters (spec §4.3; defaults from seed 002's `DonchianBreakoutStrategy`: length 20,
/// exit on the lower band, CE, 1-minute NIFTY candles).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DonchianBreakoutParams {
    /// Candle timeframe (default `1m`).
    pub timeframe: Timeframe,
    /// Donchian length: the channel of the previous `length` candles (default 20).
    pub length: usize,
    /// `lower` (default) or `mid`.
    pub exit_option: ExitOption,
    /// `CE` (default): upside breakout buys calls. `PE`: downside breakout buys puts.
    pub option_type: OptionType,
}

impl Default for DonchianBreakoutParams {
    fn default() -> Self {
        Self {
            timeframe: Timeframe::ONE_MINUTE,
            length: 20,
            exit_option: ExitOption::Lower,
            option_type: OptionType::CE,
        }
    }
}

impl DonchianBreakoutParams {
    /// Parse from a config table (the `[strategy]` table without `name`); unknown keys,
    /// wrong types and `length = 0` are errors.
    pub fn from_table(params: &toml::Table) -> Result<Self, String> {
        let p: Self = toml::Value::Table(params.clone())
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        if p.length < 1 {
            return Err("length must be ≥ 1".into());
        }
        if !p.option_type.is_option() {
            return Err(format!(
                "option_type must be CE or PE, not {}",
                p.option_type
            ));
        }
        Ok(p)
    }
}

/// The strategy state for one segment.
#[derive(Debug, Clone)]
pub struct DonchianBreakout {
    params: DonchianBreakoutParams,
    channel: Donchian,
}

impl DonchianBreakout {
    /// A fresh strategy (channel empty).
    ///
    /// # Panics
    /// If `params.length` is 0 (the registry rejects it first).
    pub fn new(params: DonchianBreakoutParams) -> Self {
        let channel = Donchian::new(params.length);
        Self { params, channel }
    }

    /// The parameters.
    pub fn params(&self) -> &DonchianBreakoutParams {
        &self.params
    }
}

impl Strategy for DonchianBreakout {
    fn name(&self) -> &'static str {
        "donchian_breakout"
    }

    fn timeframe(&self) -> Timeframe {
        self.params.timeframe
    }

    fn on_candle(&mut self, candle: &Candle) -> Evaluation {
        let f = |d: domain::Decimal| d.to_f64().unwrap_or(f64::NAN);
        let close = f(candle.close);
        // The channel of the previous `length` candles; this candle joins it afterwards.
        let ch = self
            .channel
            .update(HighLow::new(f(candle.high), f(candle.low)));
        let signal = match ch {
            None => Signal::Hold,
            Some(ch) => {
                let (upper, lower, mid) = (ch.upper, ch.lower, ch.middle());
                match self.params.option_type {
                    OptionType::CE => {
                        let exit_level = match self.params.exit_option {
                            ExitOption::Lower => lower,
                            ExitOption::Mid => mid,
                        };
                        if close > upper {
                            Signal::BuyCe
                        } else if close < exit_level {
                            Signal::Exit
                        } else {
                            Signal::Hold
                        }
                    }
                    // `from_table` admits CE and PE only.
                    OptionType::PE | OptionType::FUT | OptionType::EQ => {
                        let exit_level = match self.params.exit_option {
                            ExitOption::Lower => upper,
                            ExitOption::Mid => mid,
                        };
                        if close < lower {
                            Signal::BuyPe
                        } else if close > exit_level {
                            Signal::Exit
                        } else {
                            Signal::Hold
                        }
                    }
                }
            }
        };
        Evaluation {
            signal,
            origin: SignalOrigin::Fresh,
            indicators: vec![
                ("donchian_upper", ch.map(|c| c.upper)),
                ("donchian_lower", ch.map(|c| c.lower)),
                ("donchian_mid", ch.map(|c| c.middle())),
            ],
            stop_points: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;
    use domain::time::ist_hms;
    use rust_decimal::Decimal;

    /// 1-minute candle i (09:15 + i) with the given high, low and close (open = close).
    fn candle(i: i64, high: i64, low: i64, close: i64) -> Candle {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 8, 1).unwrap();
        Candle {
            start: ist_hms(d, 9, 15, 0) + chrono::TimeDelta::minutes(i),
            timeframe: Timeframe::from_minutes(1).unwrap(),
            open: Decimal::from(close),
            high: Decimal::from(high),
            low: Decimal::from(low),
            close: Decimal::from(close),
            volume: None,
        }
    }

    fn strat(length: usize, exit: ExitOption, ot: OptionType) -> DonchianBreakout {
        DonchianBreakout::new(DonchianBreakoutParams {
            length,
            exit_option: exit,
            option_type: ot,
            ..DonchianBreakoutParams::default()
        })
    }

    /// Three flat candles in 100..110 make a channel upper 110, lower 100, mid 105.
    fn flat(s: &mut DonchianBreakout) {
        for i in 0..3 {
            let e = s.on_candle(&candle(i, 110, 100, 105));
            assert_eq!(e.signal, Signal::Hold);
            assert_eq!(
                e.indicators[0],
                ("donchian_upper", None),
                "not ready at {i}"
            );
        }
    }

    #[test]
    fn defaults_follow_the_seed() {
        let p = DonchianBreakoutParams::default();
        assert_eq!(p.timeframe.minutes(), 1);
        assert_eq!(p.length, 20);
        assert_eq!(p.exit_option, ExitOption::Lower);
        assert_eq!(p.option_type, OptionType::CE);
    }

    #[test]
    fn ce_breakout_and_lower_band_exit() {
        let mut s = strat(3, ExitOption::Lower, OptionType::CE);
        flat(&mut s);
        // Close equal to the upper band is not a breakout (strict).
        let e = s.on_candle(&candle(3, 110, 104, 110));
        assert_eq!(e.signal, Signal::Hold);
        assert_eq!(
            e.indicators,
            vec![
                ("donchian_upper", Some(110.0)),
                ("donchian_lower", Some(100.0)),
                ("donchian_mid", Some(105.0)),
            ]
        );
        // The current candle's own high (120) is not in its channel: close 111 > 110 breaks out.
        let e = s.on_candle(&candle(4, 120, 105, 111));
        assert_eq!(e.signal, Signal::BuyCe);
        assert_eq!(e.origin, SignalOrigin::Fresh);
        assert_eq!(e.stop_points, None);
        // Channel now: candles 2..4 → upper 120, lower 100. Close 101 is inside: hold.
        assert_eq!(s.on_candle(&candle(5, 106, 101, 101)).signal, Signal::Hold);
        // Channel candles 3..5 → lower 101: close 100 < 101 exits.
        let e = s.on_candle(&candle(6, 104, 99, 100));
        assert_eq!(e.indicators[1], ("donchian_lower", Some(101.0)));
        assert_eq!(e.signal, Signal::Exit);
    }

    #[test]
    fn ce_mid_band_exit() {
        let mut s = strat(3, ExitOption::Mid, OptionType::CE);
        flat(&mut s);
        // Mid 105: close 104 exits under "mid", would hold under "lower".
        assert_eq!(s.on_candle(&candle(3, 106, 103, 104)).signal, Signal::Exit);
        let mut l = strat(3, ExitOption::Lower, OptionType::CE);
        flat(&mut l);
        assert_eq!(l.on_candle(&candle(3, 106, 103, 104)).signal, Signal::Hold);
        // Close exactly at mid is no exit.
        let mut m = strat(3, ExitOption::Mid, OptionType::CE);
        flat(&mut m);
        assert_eq!(m.on_candle(&candle(3, 106, 103, 105)).signal, Signal::Hold);
    }

    #[test]
    fn pe_is_mirrored() {
        let mut s = strat(3, ExitOption::Lower, OptionType::PE);
        flat(&mut s);
        // Upside breakout: for PE that is the exit (opposite band), never a BUY_CE.
        assert_eq!(s.on_candle(&candle(3, 112, 108, 111)).signal, Signal::Exit);
        // Channel candles 1..3: upper 112, lower 100. Close 99 < 100: BUY_PE.
        assert_eq!(s.on_candle(&candle(4, 101, 95, 99)).signal, Signal::BuyPe);
        // Channel 2..4: upper 112, lower 95, mid 103.5. 104 is above mid but below upper: hold.
        assert_eq!(s.on_candle(&candle(5, 105, 98, 104)).signal, Signal::Hold);

        let mut m = strat(3, ExitOption::Mid, OptionType::PE);
        flat(&mut m);
        assert_eq!(m.on_candle(&candle(3, 101, 95, 99)).signal, Signal::BuyPe);
        // Channel 1..3: upper 110, lower 95, mid 102.5. Close 103 > mid: exit.
        assert_eq!(m.on_candle(&candle(4, 104, 100, 103)).signal, Signal::Exit);
    }

    /// The level rule repeats while the close stays outside the band.
    #[test]
    fn repeats_while_outside_the_band() {
        let mut s = strat(2, ExitOption::Lower, OptionType::CE);
        s.on_candle(&candle(0, 101, 99, 100));
        s.on_candle(&candle(1, 101, 99, 100));
        let mut got = vec![];
        for (i, c) in [(2, 103), (3, 106), (4, 109)] {
            got.push(s.on_candle(&candle(i, c + 1, c - 1, c)).signal);
        }
        assert_eq!(got, vec![Signal::BuyCe; 3]);
    }

    #[test]
    fn registry_builds_and_validates() {
        let t: toml::Table = toml::from_str(
            "timeframe = \"3m\"\nlength = 55\nexit_option = \"mid\"\noption_type = \"PE\"",
        )
        .unwrap();
        let s = registry::build("donchian_breakout", &t).unwrap();
        assert_eq!(s.name(), "donchian_breakout");
        assert_eq!(s.timeframe().minutes(), 3);
        let p = DonchianBreakoutParams::from_table(&t).unwrap();
        assert_eq!(p.length, 55);
        assert_eq!(p.exit_option, ExitOption::Mid);
        assert_eq!(p.option_type, OptionType::PE);
        // Defaults from an empty table.
        assert_eq!(
            DonchianBreakoutParams::from_table(&toml::Table::new()).unwrap(),
            DonchianBreakoutParams::default()
        );
        for bad in [
            "lenght = 20",
            "length = 0",
            "exit_option = \"upper\"",
            "option_type = \"FUT\"",
        ] {
            let t: toml::Table = toml::from_str(bad).unwrap();
            let e = registry::build("donchian_breakout", &t)
                .err()
                .unwrap()
                .to_string();
            assert!(e.starts_with("strategy `donchian_breakout`"), "{bad}: {e}");
        }
        let t: toml::Table = toml::from_str("lenght = 20").unwrap();
        let e = registry::build("donchian_breakout", &t)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("lenght"), "{e}");
    }
}
