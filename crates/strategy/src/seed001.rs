//! `seed001`: seed 001's five named entry strategies as one [`StrategySet`].
//!
//! Seed 001 (a stock scanner, "Entry Strategies") names five strategies on two timeframes:
//!
//! | member | seed name | timeframe | rule |
//! |---|---|---|---|
//! | `s12` | "Strategy 12: Long entry on bullish breakout" | `timeframe_slow` (15m) | [`AtrBreakout`], `direction = "long"` |
//! | `s8` | "Strategy 8: Short entry on bearish breakout" | `timeframe_slow` (15m) | [`AtrBreakout`], `direction = "short"` |
//! | `s11` | "Strategy 11: Long entry on bullish momentum" | `timeframe_fast` (5m) | [`AtrBreakout`], `direction = "long"` |
//! | `s10` | "Strategy 10: Short entry on bearish momentum" | `timeframe_fast` (5m) | [`AtrBreakout`], `direction = "short"` |
//! | `s9` | "Strategy 9: Alternative short strategy" | `timeframe_fast` (5m) | [`AtrBreakout`], `direction = "short"`, faster range |
//!
//! All five use the seed's one indicator list (ATR 14, EMA 50/100/200, zero-lag MACD, range
//! breakout, volume confirmation), i.e. the [`AtrBreakout`] rules with the same parameters;
//! the "breakout" (15m) and "momentum" (5m) members differ by timeframe only (the seed gives
//! no separate momentum rule). **`s9`**: the seed gives no rule for the "alternative" short;
//! this project's choice is a faster breakout: its range is `range_bars / 2` candles (integer
//! division, at least 1), so 10 with the default `range_bars = 20`; everything else as `s10`.
//!
//! **Tie-break order** (the seed gives none): `s12`, `s8`, `s11`, `s10`, `s9`: the 15-minute
//! breakouts before the 5-minute ones, long before short, the alternative short last. When
//! several members enter on the same 5-minute candle the first in this order is the one
//! returned ([`StrategySet`]). Each member signals at most once a day per its direction
//! ("Max Strategy Use: 1 per day per strategy"), and [`Strategy::entry_strategy`] names it
//! for the engine's order tag and risk's per-strategy cap.
//!
//! **Config** (`strategy = "seed001"`): the [`AtrBreakout`] keys shared by all members
//! (`range_bars`, `ema_fast`, `ema_mid`, `ema_slow`, `atr_period`, `atr_multiplier`,
//! `volume_period`, `macd_fast`, `macd_slow`, `macd_signal`, same defaults) plus
//! `timeframe_fast` (default `"5m"`) and `timeframe_slow` (default `"15m"`). Unknown keys are
//! errors naming the key; so are `direction` (fixed per member) and `timeframe` (use the two
//! above). `timeframe_slow` must be a whole multiple of `timeframe_fast` and both must divide
//! the 375-minute session. The set's own timeframe is `timeframe_fast`.

use crate::Strategy;
use crate::atr_breakout::{AtrBreakout, AtrBreakoutParams, Directions};
use crate::strategy_set::StrategySet;
use domain::Timeframe;
use serde::Deserialize;

/// Registry name of the set.
pub const NAME: &str = "seed001";

/// Member names in tie-break order.
pub const MEMBERS: [&str; 5] = ["s12", "s8", "s11", "s10", "s9"];

/// `seed001` parameters: the [`AtrBreakoutParams`] shared by all members (same meanings and
/// defaults) and the two timeframes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Seed001Params {
    /// Timeframe of `s11`, `s10`, `s9` and of the set (default `5m`).
    pub timeframe_fast: Timeframe,
    /// Timeframe of `s12`, `s8` (default `15m`).
    pub timeframe_slow: Timeframe,
    /// Breakout lookback of `s12`, `s8`, `s11`, `s10` (default 20); `s9` uses
    /// `max(range_bars / 2, 1)`.
    pub range_bars: usize,
    /// Fast trend EMA period (default 50).
    pub ema_fast: usize,
    /// Middle trend EMA period (default 100).
    pub ema_mid: usize,
    /// Slow trend EMA period (default 200).
    pub ema_slow: usize,
    /// ATR period, Wilder (default 14).
    pub atr_period: usize,
    /// Stop distance = `atr_multiplier × ATR` (default 1.5).
    pub atr_multiplier: f64,
    /// Volume SMA period (default 20).
    pub volume_period: usize,
    /// Zero-lag MACD fast period (default 12).
    pub macd_fast: usize,
    /// Zero-lag MACD slow period (default 26).
    pub macd_slow: usize,
    /// Zero-lag MACD signal period (default 9).
    pub macd_signal: usize,
}

impl Default for Seed001Params {
    fn default() -> Self {
        let a = AtrBreakoutParams::default();
        Self {
            timeframe_fast: Timeframe::FIVE_MINUTES,
            timeframe_slow: fifteen_minutes(),
            range_bars: a.range_bars,
            ema_fast: a.ema_fast,
            ema_mid: a.ema_mid,
            ema_slow: a.ema_slow,
            atr_period: a.atr_period,
            atr_multiplier: a.atr_multiplier,
            volume_period: a.volume_period,
            macd_fast: a.macd_fast,
            macd_slow: a.macd_slow,
            macd_signal: a.macd_signal,
        }
    }
}

/// 15 minutes (a valid timeframe: 1..=375).
fn fifteen_minutes() -> Timeframe {
    Timeframe::from_minutes(15).unwrap_or(Timeframe::FIVE_MINUTES)
}

impl Seed001Params {
    /// Parse from a config table (the `[strategy]` table without `name`); see the module doc
    /// for the keys. Errors name the offending key.
    pub fn from_table(params: &toml::Table) -> Result<Self, String> {
        if params.contains_key("direction") {
            return Err(
                "`direction` cannot be set for seed001: each member's is fixed \
                        (s12, s11 long; s8, s10, s9 short)"
                    .into(),
            );
        }
        if params.contains_key("timeframe") {
            return Err(
                "`timeframe` cannot be set for seed001: use `timeframe_fast` (s11, \
                        s10, s9) and `timeframe_slow` (s12, s8)"
                    .into(),
            );
        }
        let p: Self = toml::Value::Table(params.clone())
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        for (_, m) in p.members() {
            m.validate()?;
        }
        Ok(p)
    }

    /// The five members' parameters, `(name, params)` in tie-break order ([`MEMBERS`]).
    pub fn members(&self) -> Vec<(&'static str, AtrBreakoutParams)> {
        let shared = AtrBreakoutParams {
            timeframe: self.timeframe_fast,
            range_bars: self.range_bars,
            ema_fast: self.ema_fast,
            ema_mid: self.ema_mid,
            ema_slow: self.ema_slow,
            atr_period: self.atr_period,
            atr_multiplier: self.atr_multiplier,
            volume_period: self.volume_period,
            macd_fast: self.macd_fast,
            macd_slow: self.macd_slow,
            macd_signal: self.macd_signal,
            direction: Directions::Both,
        };
        let member = |timeframe, direction, range_bars| AtrBreakoutParams {
            timeframe,
            direction,
            range_bars,
            ..shared.clone()
        };
        let (fast, slow, r) = (self.timeframe_fast, self.timeframe_slow, self.range_bars);
        vec![
            ("s12", member(slow, Directions::Long, r)),
            ("s8", member(slow, Directions::Short, r)),
            ("s11", member(fast, Directions::Long, r)),
            ("s10", member(fast, Directions::Short, r)),
            ("s9", member(fast, Directions::Short, (r / 2).max(1))),
        ]
    }
}

/// The `seed001` set from validated parameters. Errors: `timeframe_slow` finer than
/// `timeframe_fast`, or timeframes the set rejects ([`StrategySet::new`]).
pub fn build(params: &Seed001Params) -> Result<StrategySet, String> {
    if params.timeframe_slow < params.timeframe_fast {
        return Err(format!(
            "timeframe_slow ({}) is finer than timeframe_fast ({})",
            params.timeframe_slow, params.timeframe_fast
        ));
    }
    let members = params
        .members()
        .into_iter()
        .map(|(n, p)| (n, Box::new(AtrBreakout::new(p)) as Box<dyn Strategy>))
        .collect();
    StrategySet::new(NAME, members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    fn table(s: &str) -> toml::Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn members_in_order_with_their_directions_and_timeframes() {
        let p = Seed001Params::default();
        let m = p.members();
        let names: Vec<_> = m.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, MEMBERS);
        let five = Timeframe::FIVE_MINUTES;
        let fifteen = Timeframe::from_minutes(15).unwrap();
        let want = [
            (fifteen, Directions::Long, 20),
            (fifteen, Directions::Short, 20),
            (five, Directions::Long, 20),
            (five, Directions::Short, 20),
            (five, Directions::Short, 10),
        ];
        for ((_, a), (tf, dir, range)) in m.iter().zip(want) {
            assert_eq!((a.timeframe, a.direction, a.range_bars), (tf, dir, range));
            let shared = AtrBreakoutParams {
                timeframe: a.timeframe,
                direction: a.direction,
                range_bars: a.range_bars,
                ..AtrBreakoutParams::default()
            };
            assert_eq!(a, &shared);
        }
    }

    #[test]
    fn s9_range_is_half_at_least_one() {
        for (r, want) in [(20, 10), (21, 10), (3, 1), (2, 1), (1, 1)] {
            let p = Seed001Params {
                range_bars: r,
                ..Seed001Params::default()
            };
            assert_eq!(p.members()[4].1.range_bars, want, "range_bars {r}");
        }
    }

    #[test]
    fn registry_builds_seed001() {
        assert!(registry::STRATEGIES.contains(&"seed001"));
        let s = registry::build("seed001", &toml::Table::new()).unwrap();
        assert_eq!(s.name(), "seed001");
        assert_eq!(s.timeframe(), Timeframe::FIVE_MINUTES);
        assert_eq!(s.entry_strategy(), "seed001");
        let t = table(
            "timeframe_fast = \"3m\"\ntimeframe_slow = \"15m\"\nrange_bars = 12\n\
             atr_multiplier = 2.0",
        );
        let p = Seed001Params::from_table(&t).unwrap();
        assert_eq!(p.members()[4].1.range_bars, 6);
        let set = build(&p).unwrap();
        assert_eq!(set.timeframe().minutes(), 3);
        let tfs: Vec<_> = set.members().map(|(n, tf)| (n, tf.minutes())).collect();
        assert_eq!(
            tfs,
            [("s12", 15), ("s8", 15), ("s11", 3), ("s10", 3), ("s9", 3)]
        );
        assert_eq!(
            Seed001Params::from_table(&toml::Table::new()).unwrap(),
            Seed001Params::default()
        );
    }

    /// The default set over the shipped real stock bars (`data/RELIANCE_5m`, 5-minute bars
    /// with volume, 19 days from 2024-03-20) as one continuous stream, `start_day` at each
    /// date: no panic; every entry is named by a member, in that member's direction, with a
    /// positive ATR stop; at most one entry per member per day. Run with `--nocapture` to see
    /// them.
    #[test]
    fn real_reliance_days() {
        use domain::{Candle, Direction};
        use std::collections::BTreeMap;
        let data = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let cat = catalog::Catalog::open(data).unwrap();
        let series = "RELIANCE_5m";
        let tf = cat.bar_timeframe(series).unwrap();
        assert_eq!(tf, Timeframe::FIVE_MINUTES);
        let mut set = build(&Seed001Params::default()).unwrap();
        let mut per_day = BTreeMap::new();
        let dates = cat.bar_dates(series).unwrap();
        assert!(dates.len() >= 10, "{dates:?}");
        for date in dates {
            set.start_day();
            for b in cat.bars(series, date).unwrap() {
                let c = Candle {
                    start: b.ts,
                    timeframe: tf,
                    open: b.open,
                    high: b.high,
                    low: b.low,
                    close: b.close,
                    volume: b.volume,
                };
                let e = set.on_candle(&c);
                let Some(dir) = e.signal.direction() else {
                    assert_eq!(set.entry_strategy(), NAME);
                    continue;
                };
                let who = set.entry_strategy();
                let long = match who {
                    "s12" | "s11" => true,
                    "s8" | "s10" | "s9" => false,
                    other => panic!("entry named {other}"),
                };
                assert_eq!(dir == Direction::Long, long, "{who} {}", e.signal);
                assert!(e.stop_points.is_some_and(|p| p > domain::Decimal::ZERO));
                println!("{} {who} {} stop {:?}", c.start, e.signal, e.stop_points);
                *per_day.entry((date, who)).or_insert(0) += 1;
            }
        }
        assert!(per_day.values().all(|n| *n == 1), "{per_day:?}");
        assert!(!per_day.is_empty(), "no entry on the shipped days");
        println!("{} entries", per_day.len());
    }

    #[test]
    fn registry_rejects_bad_seed001_params() {
        for (bad, key) in [
            ("direction = \"long\"", "direction"),
            ("timeframe = \"5m\"", "timeframe"),
            ("range_bar = 20", "range_bar"),
            ("range_bars = 0", "range_bars"),
            ("ema_slow = 0", "ema_slow"),
            ("atr_multiplier = -1.0", "atr_multiplier"),
            ("volume_period = \"20\"", ""),
            ("timeframe_fast = \"7x\"", ""),
            ("timeframe_slow = \"10m\"", "10m"), // 375 is not a multiple of 10
            ("timeframe_fast = \"4m\"", "4m"),   // 15 is not a multiple of 4
            (
                "timeframe_fast = \"15m\"\ntimeframe_slow = \"5m\"",
                "timeframe_slow",
            ),
        ] {
            let e = registry::build("seed001", &table(bad))
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"))
                .to_string();
            assert!(e.starts_with("strategy `seed001`"), "{bad}: {e}");
            assert!(e.contains(key), "{bad}: {e}");
        }
    }
}
