//! `rsi_crossover` (seed 004, spec §4.2, §3.1 rules 5 and 10).
//!
//! Lines on the RSI pane: price strength `ps = EMA(RSI, 3)` (blue), volume strength
//! `vs = WMA(RSI, 6)` (red). At completed candle t:
//! - BUY_CE iff green and `ps[t−1] ≤ vs[t−1]` and `ps[t] > vs[t]`;
//! - BUY_PE iff red and `ps[t−1] ≥ vs[t−1]` and `ps[t] < vs[t]`;
//! - a doji gives nothing; comparisons are plain IEEE, no tolerance.
//!
//! Re-entry (rule 10): an `SL` exit of direction D arms D. At every later completed candle the
//! arming is first cancelled unless the lines are strictly on D's side (`ps > vs` for CE,
//! `ps < vs` for PE); otherwise a candle of D's colour is a D signal. A D exit by anything but
//! `SL` cancels it; another `SL` exit of D keeps it armed. Refused signals leave it armed.

use crate::{Evaluation, SignalOrigin, Strategy};
use domain::{Candle, Direction, ExitReason, Signal, Timeframe};
use indicators::RsiCrossoverSet;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

/// Parameters (spec §4.2 defaults: 5m, RSI 9, EMA 3, WMA 6).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RsiCrossoverParams {
    /// Candle timeframe.
    pub timeframe: Timeframe,
    /// RSI period (Wilder).
    pub rsi_period: usize,
    /// EMA period of the RSI (price strength, blue line).
    pub price_strength_period: usize,
    /// WMA period of the RSI (volume strength, red line).
    pub volume_strength_period: usize,
}

impl Default for RsiCrossoverParams {
    fn default() -> Self {
        Self {
            timeframe: Timeframe::FIVE_MINUTES,
            rsi_period: 9,
            price_strength_period: 3,
            volume_strength_period: 6,
        }
    }
}

/// The strategy state for one segment.
#[derive(Debug, Clone)]
pub struct RsiCrossover {
    params: RsiCrossoverParams,
    set: RsiCrossoverSet,
    /// `(ps, vs)` at the previous completed candle, when both were ready.
    prev: Option<(f64, f64)>,
    /// Direction armed for re-entry after an SL exit.
    reentry: Option<Direction>,
}

impl RsiCrossover {
    /// A fresh strategy (indicators empty).
    pub fn new(params: RsiCrossoverParams) -> Self {
        let set = RsiCrossoverSet::new(
            params.rsi_period,
            params.price_strength_period,
            params.volume_strength_period,
        );
        Self {
            params,
            set,
            prev: None,
            reentry: None,
        }
    }

    /// The direction currently armed for re-entry, if any.
    pub fn reentry_armed(&self) -> Option<Direction> {
        self.reentry
    }
}

impl Strategy for RsiCrossover {
    fn name(&self) -> &'static str {
        "rsi_crossover"
    }

    fn timeframe(&self) -> Timeframe {
        self.params.timeframe
    }

    fn rsi_period(&self) -> u32 {
        self.params.rsi_period as u32
    }

    fn on_candle(&mut self, candle: &Candle) -> Evaluation {
        let close = candle.close.to_f64().unwrap_or(f64::NAN);
        let v = self.set.update(close);
        let indicators = vec![
            ("rsi", v.rsi),
            ("price_strength", v.price_strength),
            ("volume_strength", v.volume_strength),
        ];
        let lines = match (v.price_strength, v.volume_strength) {
            (Some(ps), Some(vs)) => Some((ps, vs)),
            _ => None,
        };
        let mut signal = Signal::Hold;
        let mut origin = SignalOrigin::Fresh;
        if let (Some((ps, vs)), Some((pps, pvs))) = (lines, self.prev) {
            let cross_up = pps <= pvs && ps > vs;
            let cross_down = pps >= pvs && ps < vs;
            if candle.is_green() && cross_up {
                signal = Signal::BuyCe;
            } else if candle.is_red() && cross_down {
                signal = Signal::BuyPe;
            }
        }
        // Re-entry: cancel unless the lines are strictly on the armed side, then colour rule.
        if let Some(d) = self.reentry {
            let on_side = match (lines, d) {
                (Some((ps, vs)), Direction::Long) => ps > vs,
                (Some((ps, vs)), Direction::Short) => ps < vs,
                (None, _) => false,
            };
            if !on_side {
                self.reentry = None;
            } else if signal == Signal::Hold {
                let coloured = match d {
                    Direction::Long => candle.is_green(),
                    Direction::Short => candle.is_red(),
                };
                if coloured {
                    signal = d.signal();
                    origin = SignalOrigin::ReEntry;
                }
            }
        }
        self.prev = lines;
        Evaluation {
            signal,
            origin,
            indicators,
            stop_points: None,
        }
    }

    fn on_position_closed(&mut self, direction: Direction, reason: ExitReason) {
        match reason {
            ExitReason::StopLoss => self.reentry = Some(direction),
            _ => {
                if self.reentry == Some(direction) {
                    self.reentry = None;
                }
            }
        }
    }

    fn start_day(&mut self) {
        self.reentry = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::ist_hms;
    use rust_decimal::Decimal;

    fn candle(i: u32, open: i64, close: i64) -> Candle {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let t = ist_hms(d, 9, 15, 0) + chrono::TimeDelta::minutes(5 * i as i64);
        Candle {
            start: t,
            timeframe: Timeframe::from_minutes(5).unwrap(),
            open: Decimal::from(open),
            high: Decimal::from(open.max(close)),
            low: Decimal::from(open.min(close)),
            close: Decimal::from(close),
            volume: None,
        }
    }

    /// Falling closes, then a sharp rally: the blue line crosses above the red line on a green
    /// candle exactly once, and the strategy emits exactly one fresh BUY_CE.
    #[test]
    fn cross_up_on_green_candle() {
        let mut s = RsiCrossover::new(RsiCrossoverParams::default());
        let mut price: i64 = 1000;
        let mut signals = vec![];
        for i in 0..30u32 {
            let next = if i < 20 {
                price - 3 + (i as i64 % 2) * 2
            } else {
                price + 10
            };
            signals.push(s.on_candle(&candle(i, price, next)).signal);
            price = next;
        }
        let ce: Vec<_> = signals.iter().filter(|s| **s == Signal::BuyCe).collect();
        assert_eq!(ce.len(), 1, "{signals:?}");
        let first_ce = signals.iter().position(|s| *s == Signal::BuyCe).unwrap();
        assert!(
            first_ce >= 20,
            "the cross comes with the rally: {signals:?}"
        );
    }

    #[test]
    fn reentry_armed_by_sl_cancelled_by_tsl() {
        let mut s = RsiCrossover::new(RsiCrossoverParams::default());
        s.on_position_closed(Direction::Long, ExitReason::StopLoss);
        assert_eq!(s.reentry_armed(), Some(Direction::Long));
        s.on_position_closed(Direction::Long, ExitReason::TrailingStop);
        assert_eq!(s.reentry_armed(), None);
        s.on_position_closed(Direction::Short, ExitReason::StopLoss);
        s.start_day();
        assert_eq!(s.reentry_armed(), None);
    }

    /// Armed long re-entry: green candles with ps > vs are BUY_CE re-entries; the first candle
    /// with the lines not strictly above cancels it for good.
    #[test]
    fn reentry_signals_while_lines_on_side() {
        let mut s = RsiCrossover::new(RsiCrossoverParams::default());
        let mut price: i64 = 1000;
        // Choppy, then a steady rally: RSI rises every candle, so EMA(3) leads WMA(6) (ps > vs).
        for i in 0..25 {
            let next = price
                + if i < 20 {
                    if i % 2 == 0 { -5 } else { 4 }
                } else {
                    8
                };
            s.on_candle(&candle(i, price, next));
            price = next;
        }
        s.on_position_closed(Direction::Long, ExitReason::StopLoss);
        let e = s.on_candle(&candle(25, price, price + 5));
        assert_eq!(e.signal, Signal::BuyCe);
        assert_eq!(e.origin, SignalOrigin::ReEntry);
        // A red candle does not signal but keeps it armed while lines stay above.
        let e = s.on_candle(&candle(26, price + 5, price + 4));
        assert_eq!(e.signal, Signal::Hold);
        // A crash pulls the lines under: cancelled.
        let mut p = price + 4;
        for i in 27..40 {
            s.on_candle(&candle(i, p, p - 30));
            p -= 30;
        }
        assert_eq!(s.reentry_armed(), None);
    }
}
