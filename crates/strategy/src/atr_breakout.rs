//! `atr_breakout` (seed 001, spec §4.3; exits spec §4.4).
//!
//! A trend-filtered range breakout for a series **with volume** (futures or stocks; seed 001
//! scans 5- and 15-minute candles). At each completed candle t, with every indicator updated
//! with candle t:
//!
//! - **BUY_CE** (long) iff all four hold:
//!   1. breakout: `close > range_high`, the highest high of the previous `range_bars` candles
//!      (candle t excluded: [`indicators::Donchian`], spec §4.1);
//!   2. trend: `EMA(ema_fast) > EMA(ema_mid) > EMA(ema_slow)` of the close (50/100/200);
//!   3. momentum: zero-lag MACD line `>` its signal line (ZLEMA 12 − ZLEMA 26, EMA 9);
//!   4. volume: `volume > SMA(volume, volume_period)` (20), the SMA over the last
//!      `volume_period` candles **including** candle t.
//! - **BUY_PE** (short) iff the mirror image: `close < range_low` (lowest low of the previous
//!   `range_bars`), `EMA50 < EMA100 < EMA200`, MACD `<` signal, and the same volume filter.
//!
//! All comparisons strict, plain IEEE, no tolerance. Nothing is signalled until every
//! indicator is ready (EMA(200) needs 200 candles: on 5-minute bars ≈ 2.7 sessions, so run
//! it with `[engine] warmup_sessions = 3`).
//!
//! **Once a day per direction** (seed 001: "Max Strategy Use: 1 per day per strategy"; its
//! long and short breakouts are separate strategies and each flags only the *first*
//! qualifying candle of a date): each direction is emitted at most once per trading date, on
//! the first candle of that date that satisfies its conditions. Later qualifying candles of
//! the date give HOLD, whether or not the engine acted on the first. The flags reset when
//! the candle date changes and in [`Strategy::start_day`].
//!
//! **Direction** (`direction`, default `both`): seed 001 splits its breakouts into
//! one-direction named strategies (long "Strategy 12" / "Strategy 11", short "Strategy 8" /
//! "Strategy 10" / "Strategy 9"); `direction = "long"` never emits BUY_PE and `"short"` never
//! BUY_CE. A suppressed direction's conditions are not checked and its once-a-day flag stays
//! clear. With `both` the rules above are unchanged. The named set is
//! [`crate::seed001`].
//!
//! **Stop**: every entry signal carries `stop_points = atr_multiplier × ATR(atr_period)`
//! (Wilder, on the same candles), rounded half away from zero to 2 decimal places, in the
//! signal series' points. The engine uses it as both the initial and the trailing stop
//! distance of that position (seed 001: "Trailing Stop: ATR-based (1.5x ATR distance)").
//!
//! **Volume**: a candle without volume (`volume == None`) never passes the volume filter and
//! does not enter the volume SMA (so gaps do not drag the average to zero). Index candles carry
//! no volume: fed the NIFTY/BANKNIFTY index this strategy never signals. It must be fed a
//! series with real traded volume, e.g. the shipped `NIFTY-FUT_5m` / `BANKNIFTY-FUT_5m`
//! (near-month futures, 5-minute bars).
//!
//! Seed 001's other constraints (square-off 15:20, max 3 open positions, max 5 trades a day,
//! 30 % of capital per trade with leverage) are engine and risk settings, not strategy logic.

use crate::{Evaluation, SignalOrigin, Strategy};
use chrono::NaiveDate;
use domain::{Candle, Decimal, Signal, Timeframe};
use indicators::{
    Atr, Donchian, DonchianChannel, Ema, HighLow, Hlc, Indicator, MacdValue, Sma, ZeroLagMacd,
};
use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::Deserialize;

/// Parameters (spec §4.3, seed 001): 5-minute candles, EMA 50/100/200, ATR 14 × 1.5,
/// volume SMA 20, zero-lag MACD 12/26/9. `range_bars` has no value in the seed; 20 (100
/// minutes of 5-minute candles) is this project's default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AtrBreakoutParams {
    /// Candle timeframe (default `5m`).
    pub timeframe: Timeframe,
    /// Breakout lookback: highest high / lowest low of the previous `range_bars` candles
    /// (default 20).
    pub range_bars: usize,
    /// Fast trend EMA period (default 50).
    pub ema_fast: usize,
    /// Middle trend EMA period (default 100).
    pub ema_mid: usize,
    /// Slow trend EMA period (default 200).
    pub ema_slow: usize,
    /// ATR period, Wilder (default 14).
    pub atr_period: usize,
    /// Stop distance = `atr_multiplier × ATR`, in points (default 1.5).
    pub atr_multiplier: f64,
    /// Volume SMA period (default 20).
    pub volume_period: usize,
    /// Zero-lag MACD fast ZLEMA period (default 12).
    pub macd_fast: usize,
    /// Zero-lag MACD slow ZLEMA period (default 26).
    pub macd_slow: usize,
    /// Zero-lag MACD signal EMA period (default 9).
    pub macd_signal: usize,
    /// Which entries this strategy may emit (default `both`). Seed 001 runs its long and
    /// short breakouts as separate named strategies ("Strategy 12: long entry on bullish
    /// breakout", "Strategy 8: short entry on bearish breakout", and on 5 minutes "Strategy
    /// 11" long, "Strategy 10" / "Strategy 9" short): `long` never emits BUY_PE, `short` never
    /// emits BUY_CE.
    pub direction: Directions,
}

/// The entry directions an [`AtrBreakout`] may signal (config `direction = "both" | "long" |
/// "short"`, seed 001's one-direction named strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Directions {
    /// BUY_CE and BUY_PE (the default).
    #[default]
    Both,
    /// BUY_CE only (seed 001 "Strategy 12", "Strategy 11").
    Long,
    /// BUY_PE only (seed 001 "Strategy 8", "Strategy 10", "Strategy 9").
    Short,
}

impl Directions {
    /// Long entries (BUY_CE) allowed.
    pub fn long(self) -> bool {
        self != Directions::Short
    }

    /// Short entries (BUY_PE) allowed.
    pub fn short(self) -> bool {
        self != Directions::Long
    }
}

impl Default for AtrBreakoutParams {
    fn default() -> Self {
        Self {
            timeframe: Timeframe::FIVE_MINUTES,
            range_bars: 20,
            ema_fast: 50,
            ema_mid: 100,
            ema_slow: 200,
            atr_period: 14,
            atr_multiplier: 1.5,
            volume_period: 20,
            macd_fast: 12,
            macd_slow: 26,
            macd_signal: 9,
            direction: Directions::Both,
        }
    }
}

impl AtrBreakoutParams {
    /// Parse from a config table (the `[strategy]` table without `name`); unknown keys,
    /// wrong types, a period of 0 and a non-positive multiplier are errors.
    pub fn from_table(params: &toml::Table) -> Result<Self, String> {
        let p: Self = toml::Value::Table(params.clone())
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        p.validate()?;
        Ok(p)
    }

    /// Every period ≥ 1, `atr_multiplier` finite and > 0.
    pub fn validate(&self) -> Result<(), String> {
        let periods = [
            ("range_bars", self.range_bars),
            ("ema_fast", self.ema_fast),
            ("ema_mid", self.ema_mid),
            ("ema_slow", self.ema_slow),
            ("atr_period", self.atr_period),
            ("volume_period", self.volume_period),
            ("macd_fast", self.macd_fast),
            ("macd_slow", self.macd_slow),
            ("macd_signal", self.macd_signal),
        ];
        if let Some((k, _)) = periods.iter().find(|(_, v)| *v < 1) {
            return Err(format!("{k} must be ≥ 1"));
        }
        if !(self.atr_multiplier.is_finite() && self.atr_multiplier > 0.0) {
            return Err("atr_multiplier must be > 0".into());
        }
        Ok(())
    }
}

/// The indicator readings at one completed candle, all ready.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Readings {
    /// The candle's close.
    pub close: f64,
    /// Channel of the previous `range_bars` candles.
    pub range: DonchianChannel,
    /// `(EMA fast, EMA mid, EMA slow)` of the close.
    pub ema: (f64, f64, f64),
    /// Zero-lag MACD line and signal.
    pub macd: MacdValue,
    /// The candle's volume (`None`: the series has none).
    pub volume: Option<f64>,
    /// SMA of the volume, this candle included.
    pub volume_sma: f64,
}

impl Readings {
    fn volume_ok(&self) -> bool {
        self.volume.is_some_and(|v| v > self.volume_sma)
    }

    /// The four long conditions (breakout, trend, momentum, volume).
    pub fn long_ok(&self) -> bool {
        let (f, m, s) = self.ema;
        self.close > self.range.upper
            && f > m
            && m > s
            && self.macd.macd > self.macd.signal
            && self.volume_ok()
    }

    /// The four short conditions, mirrored.
    pub fn short_ok(&self) -> bool {
        let (f, m, s) = self.ema;
        self.close < self.range.lower
            && f < m
            && m < s
            && self.macd.macd < self.macd.signal
            && self.volume_ok()
    }
}

/// The strategy state for one segment.
#[derive(Debug, Clone)]
pub struct AtrBreakout {
    params: AtrBreakoutParams,
    range: Donchian,
    ema_fast: Ema,
    ema_mid: Ema,
    ema_slow: Ema,
    atr: Atr,
    volume_sma: Sma,
    macd: ZeroLagMacd,
    /// Trading date of the last candle seen.
    day: Option<NaiveDate>,
    /// Long already signalled on `day`.
    long_used: bool,
    /// Short already signalled on `day`.
    short_used: bool,
}

impl AtrBreakout {
    /// A fresh strategy (indicators empty).
    ///
    /// # Panics
    /// If a period is 0 (the registry validates first).
    pub fn new(params: AtrBreakoutParams) -> Self {
        Self {
            range: Donchian::new(params.range_bars),
            ema_fast: Ema::new(params.ema_fast),
            ema_mid: Ema::new(params.ema_mid),
            ema_slow: Ema::new(params.ema_slow),
            atr: Atr::new(params.atr_period),
            volume_sma: Sma::new(params.volume_period),
            macd: ZeroLagMacd::new(params.macd_fast, params.macd_slow, params.macd_signal),
            params,
            day: None,
            long_used: false,
            short_used: false,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &AtrBreakoutParams {
        &self.params
    }

    /// `(long, short)` already signalled today.
    pub fn used_today(&self) -> (bool, bool) {
        (self.long_used, self.short_used)
    }

    /// `atr_multiplier × atr` as a stop distance, 2 dp, half away from zero.
    fn stop_points(&self, atr: f64) -> Option<Decimal> {
        Decimal::from_f64(self.params.atr_multiplier * atr)
            .map(|d| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }
}

impl Strategy for AtrBreakout {
    fn name(&self) -> &'static str {
        "atr_breakout"
    }

    fn timeframe(&self) -> Timeframe {
        self.params.timeframe
    }

    fn on_candle(&mut self, candle: &Candle) -> Evaluation {
        let date = candle.start.date_naive();
        if self.day != Some(date) {
            self.day = Some(date);
            self.long_used = false;
            self.short_used = false;
        }
        let f = |d: Decimal| d.to_f64().unwrap_or(f64::NAN);
        let (high, low, close) = (f(candle.high), f(candle.low), f(candle.close));
        let range = self.range.update(HighLow::new(high, low));
        let ema_fast = self.ema_fast.update(close);
        let ema_mid = self.ema_mid.update(close);
        let ema_slow = self.ema_slow.update(close);
        let atr = self.atr.update(Hlc::new(high, low, close));
        let macd = self.macd.update(close);
        let volume = candle.volume.map(|v| v as f64);
        let volume_sma = match volume {
            Some(v) => self.volume_sma.update(v),
            None => self.volume_sma.value(),
        };

        let mut signal = Signal::Hold;
        let mut stop_points = None;
        if let (Some(range), Some(ef), Some(em), Some(es), Some(atr), Some(macd), Some(vs)) =
            (range, ema_fast, ema_mid, ema_slow, atr, macd, volume_sma)
        {
            let r = Readings {
                close,
                range,
                ema: (ef, em, es),
                macd,
                volume,
                volume_sma: vs,
            };
            let allowed = self.params.direction;
            if allowed.long() && !self.long_used && r.long_ok() {
                self.long_used = true;
                signal = Signal::BuyCe;
            } else if allowed.short() && !self.short_used && r.short_ok() {
                self.short_used = true;
                signal = Signal::BuyPe;
            }
            if signal != Signal::Hold {
                stop_points = self.stop_points(atr);
            }
        }
        Evaluation {
            signal,
            origin: SignalOrigin::Fresh,
            indicators: vec![
                ("range_high", range.map(|c| c.upper)),
                ("range_low", range.map(|c| c.lower)),
                ("ema_fast", ema_fast),
                ("ema_mid", ema_mid),
                ("ema_slow", ema_slow),
                ("atr", atr),
                ("zl_macd", macd.map(|m| m.macd)),
                ("zl_signal", macd.map(|m| m.signal)),
                ("volume_sma", volume_sma),
            ],
            stop_points,
        }
    }

    fn start_day(&mut self) {
        self.long_used = false;
        self.short_used = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;
    use domain::time::ist_hms;
    use rust_decimal_macros::dec;

    /// Small periods so hand-made series warm up quickly: range 3, EMA 2/3/4, ATR 2 × 1.5,
    /// volume SMA 3, zero-lag MACD 3/4/2 (ready after 6 candles). An odd fast period has no
    /// lag on a linear trend and an even slow one half a bar, so on a rally the MACD line rises
    /// and stays above its signal (with 2/3 it would be the other way round).
    fn small() -> AtrBreakoutParams {
        AtrBreakoutParams {
            range_bars: 3,
            ema_fast: 2,
            ema_mid: 3,
            ema_slow: 4,
            atr_period: 2,
            atr_multiplier: 1.5,
            volume_period: 3,
            macd_fast: 3,
            macd_slow: 4,
            macd_signal: 2,
            ..AtrBreakoutParams::default()
        }
    }

    /// 5-minute candle `i` of the session on day `day` (August 2024).
    fn candle(day: u32, i: i64, open: f64, close: f64, volume: Option<u64>) -> Candle {
        let d = NaiveDate::from_ymd_opt(2024, 8, day).unwrap();
        let dec = |x: f64| Decimal::from_f64(x).unwrap();
        Candle {
            start: ist_hms(d, 9, 15, 0) + chrono::TimeDelta::minutes(5 * i),
            timeframe: Timeframe::from_minutes(5).unwrap(),
            open: dec(open),
            high: dec(open.max(close) + 1.0),
            low: dec(open.min(close) - 1.0),
            close: dec(close),
            volume,
        }
    }

    /// An accelerating series (closes 1000 ± k², volumes rising): every filter agrees with
    /// the direction once the indicators are ready.
    fn accelerating(day: u32, up: bool, volume: bool) -> Vec<Candle> {
        let sign = if up { 1.0 } else { -1.0 };
        (0..12)
            .map(|k| {
                let px = |k: i64| 1000.0 + sign * (k * k) as f64;
                let v = volume.then_some(100 + 10 * k as u64);
                candle(day, k, px(k - 1), px(k), v)
            })
            .collect()
    }

    fn readings() -> Readings {
        Readings {
            close: 105.0,
            range: DonchianChannel {
                upper: 104.0,
                lower: 90.0,
            },
            ema: (103.0, 102.0, 101.0),
            macd: MacdValue {
                macd: 1.0,
                signal: 0.5,
            },
            volume: Some(200.0),
            volume_sma: 150.0,
        }
    }

    #[test]
    fn defaults_follow_seed_and_spec() {
        let p = AtrBreakoutParams::default();
        assert_eq!(p.timeframe.minutes(), 5);
        assert_eq!(p.range_bars, 20);
        assert_eq!((p.ema_fast, p.ema_mid, p.ema_slow), (50, 100, 200));
        assert_eq!((p.atr_period, p.atr_multiplier), (14, 1.5));
        assert_eq!(p.volume_period, 20);
        assert_eq!((p.macd_fast, p.macd_slow, p.macd_signal), (12, 26, 9));
    }

    /// Each of the four long conditions is necessary; all four are sufficient.
    #[test]
    fn long_needs_all_four_conditions() {
        let r = readings();
        assert!(r.long_ok() && !r.short_ok());
        let mut x = r;
        x.close = 104.0; // equal to the range high: no breakout
        assert!(!x.long_ok());
        let mut x = r;
        x.ema = (103.0, 101.0, 102.0); // mid < slow
        assert!(!x.long_ok());
        let mut x = r;
        x.ema = (102.0, 102.0, 101.0); // fast == mid
        assert!(!x.long_ok());
        let mut x = r;
        x.macd.signal = 1.0; // MACD == signal
        assert!(!x.long_ok());
        let mut x = r;
        x.volume = Some(150.0); // volume == SMA
        assert!(!x.long_ok());
        let mut x = r;
        x.volume = None; // no volume series
        assert!(!x.long_ok());
    }

    #[test]
    fn short_is_mirrored() {
        let r = Readings {
            close: 89.0,
            ema: (100.0, 101.0, 102.0),
            macd: MacdValue {
                macd: -1.0,
                signal: -0.5,
            },
            ..readings()
        };
        assert!(r.short_ok() && !r.long_ok());
        let mut x = r;
        x.close = 90.0;
        assert!(!x.short_ok());
        let mut x = r;
        x.ema = (100.0, 102.0, 101.0);
        assert!(!x.short_ok());
        let mut x = r;
        x.macd.macd = -0.5;
        assert!(!x.short_ok());
        let mut x = r;
        x.volume = None;
        assert!(!x.short_ok());
    }

    /// On an accelerating rally the first candle with all indicators ready and all four
    /// conditions true is a BUY_CE with the ATR stop; the following qualifying candles of the
    /// same date are HOLD; the next date signals again.
    #[test]
    fn long_once_a_day_with_atr_stop() {
        let mut s = AtrBreakout::new(small());
        let mut signals = vec![];
        for c in accelerating(1, true, true) {
            let e = s.on_candle(&c);
            if e.signal != Signal::Hold {
                let atr = e
                    .indicators
                    .iter()
                    .find(|(n, _)| *n == "atr")
                    .unwrap()
                    .1
                    .unwrap();
                let expect = Decimal::from_f64(1.5 * atr)
                    .unwrap()
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
                assert_eq!(e.stop_points, Some(expect));
                assert!(expect > Decimal::ZERO);
                signals.push((c.start, e.signal));
            } else {
                assert_eq!(e.stop_points, None);
            }
        }
        assert_eq!(signals.len(), 1, "{signals:?}");
        assert_eq!(signals[0].1, Signal::BuyCe);
        assert_eq!(s.used_today(), (true, false));
        // The MACD (3/4/2) is ready at the 6th candle (09:40): the first possible signal.
        let day1 = NaiveDate::from_ymd_opt(2024, 8, 1).unwrap();
        assert_eq!(signals[0].0, ist_hms(day1, 9, 40, 0));

        // Next date: continues the rally (indicators carry over), signals once more.
        let mut next = vec![];
        for k in 12..20i64 {
            let px = |k: i64| 1000.0 + (k * k) as f64;
            let c = candle(2, k - 12, px(k - 1), px(k), Some(100 + 10 * k as u64));
            next.push(s.on_candle(&c).signal);
        }
        assert_eq!(next[0], Signal::BuyCe, "{next:?}");
        assert!(next[1..].iter().all(|x| *x == Signal::Hold), "{next:?}");
    }

    #[test]
    fn short_once_a_day() {
        let mut s = AtrBreakout::new(small());
        let got: Vec<_> = accelerating(1, false, true)
            .iter()
            .map(|c| s.on_candle(c))
            .filter(|e| e.signal != Signal::Hold)
            .collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal, Signal::BuyPe);
        assert!(got[0].stop_points.unwrap() > Decimal::ZERO);
    }

    /// `start_day` re-arms both directions (the engine calls it after warm-up).
    #[test]
    fn start_day_rearms() {
        let mut s = AtrBreakout::new(small());
        let candles = accelerating(1, true, true);
        let mut n = 0;
        for (i, c) in candles.iter().enumerate() {
            if i == 9 {
                s.start_day();
            }
            if s.on_candle(c).signal == Signal::BuyCe {
                n += 1;
            }
        }
        assert_eq!(n, 2);
    }

    /// The same rally without volume (an index series) never signals.
    #[test]
    fn no_volume_no_signal() {
        let mut s = AtrBreakout::new(small());
        for c in accelerating(1, true, false) {
            let e = s.on_candle(&c);
            assert_eq!(e.signal, Signal::Hold);
            assert_eq!(e.indicators.last().unwrap(), &("volume_sma", None));
        }
    }

    /// Constant volume: volume == SMA, the strict filter fails.
    #[test]
    fn flat_volume_no_signal() {
        let mut s = AtrBreakout::new(small());
        for mut c in accelerating(1, true, true) {
            c.volume = Some(500);
            assert_eq!(s.on_candle(&c).signal, Signal::Hold);
        }
    }

    /// `direction = "long"` never emits BUY_PE (nor `"short"` BUY_CE); the allowed direction
    /// signals exactly as with `both`.
    #[test]
    fn one_direction_only() {
        let run = |direction, up| {
            let mut s = AtrBreakout::new(AtrBreakoutParams {
                direction,
                ..small()
            });
            let mut out = vec![];
            for day in [1, 2] {
                for c in accelerating(day, up, true) {
                    out.push(s.on_candle(&c).signal);
                }
            }
            out
        };
        // With `both`, minus the other direction's signals (the two conditions exclude each
        // other, so dropping one never changes the other).
        let only = |v: Vec<Signal>, keep: Signal| -> Vec<Signal> {
            v.into_iter()
                .map(|s| if s == keep { s } else { Signal::Hold })
                .collect()
        };
        for up in [true, false] {
            let both = run(Directions::Both, up);
            let long = run(Directions::Long, up);
            let short = run(Directions::Short, up);
            assert!(!long.contains(&Signal::BuyPe) && !short.contains(&Signal::BuyCe));
            assert_eq!(long, only(both.clone(), Signal::BuyCe));
            assert_eq!(short, only(both, Signal::BuyPe));
        }
        assert!(run(Directions::Long, true).contains(&Signal::BuyCe));
        assert!(run(Directions::Short, false).contains(&Signal::BuyPe));
        let entries = |v: &[Signal]| v.iter().filter(|s| **s != Signal::Hold).count();
        assert_eq!(entries(&run(Directions::Long, false)), 0);
        assert_eq!(entries(&run(Directions::Short, true)), 0);
    }

    #[test]
    fn direction_from_config() {
        assert_eq!(AtrBreakoutParams::default().direction, Directions::Both);
        for (text, want) in [
            ("both", Directions::Both),
            ("long", Directions::Long),
            ("short", Directions::Short),
        ] {
            let t: toml::Table = toml::from_str(&format!("direction = \"{text}\"")).unwrap();
            assert_eq!(AtrBreakoutParams::from_table(&t).unwrap().direction, want);
        }
        for bad in ["Long", "up", "BOTH"] {
            let t: toml::Table = toml::from_str(&format!("direction = \"{bad}\"")).unwrap();
            let e = registry::build("atr_breakout", &t)
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains(bad), "{e}");
        }
        let (long, short) = (Directions::Long, Directions::Short);
        assert!(long.long() && !long.short() && short.short() && !short.long());
    }

    #[test]
    fn stop_rounding() {
        let s = AtrBreakout::new(AtrBreakoutParams::default());
        assert_eq!(s.stop_points(10.0), Some(dec!(15.00)));
        assert_eq!(s.stop_points(12.3456), Some(dec!(18.52))); // 18.5184
        assert_eq!(s.stop_points(1.0 / 3.0), Some(dec!(0.50)));
    }

    #[test]
    fn registry_builds_and_validates() {
        let t: toml::Table = toml::from_str(
            "timeframe = \"15m\"\nrange_bars = 12\natr_multiplier = 2.0\nema_slow = 150",
        )
        .unwrap();
        let s = registry::build("atr_breakout", &t).unwrap();
        assert_eq!(s.name(), "atr_breakout");
        assert_eq!(s.timeframe().minutes(), 15);
        assert_eq!(
            AtrBreakoutParams::from_table(&toml::Table::new()).unwrap(),
            AtrBreakoutParams::default()
        );
        for bad in [
            "range_bar = 20",
            "range_bars = 0",
            "ema_slow = 0",
            "atr_multiplier = 0.0",
            "atr_multiplier = -1.5",
            "atr_multiplier = inf",
            "volume_period = \"20\"",
        ] {
            let t: toml::Table = toml::from_str(bad).unwrap();
            let e = registry::build("atr_breakout", &t)
                .err()
                .unwrap()
                .to_string();
            assert!(e.starts_with("strategy `atr_breakout`"), "{bad}: {e}");
        }
        let t: toml::Table = toml::from_str("range_bar = 20").unwrap();
        let e = registry::build("atr_breakout", &t)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("range_bar"), "{e}");
    }
}
