//! A set of named member strategies run as one [`Strategy`] (seed 001's scanner runs five
//! named strategies on 5- and 15-minute candles of the same stock: [`crate::seed001`]).
//!
//! **Timeframes.** Each member keeps its own timeframe. The set's [`Strategy::timeframe`] is
//! the finest member timeframe, the *base*: the engine aggregates ticks into base candles and
//! feeds them to [`Strategy::on_candle`]. A member on the base timeframe gets every base
//! candle as is. A member on a coarser timeframe gets candles the set builds from the base
//! candles ([`CoarseCandles`]), aligned the way the engine aligns its own candles
//! ([`Timeframe::bucket_start`]: buckets of `09:15 + k·timeframe` IST): open of the first
//! part, highest high, lowest low, close of the last part, volume the sum of the parts'
//! volumes (`None` only if every part has none). A coarse candle is complete when the base
//! candle that ends its bucket arrives (the 5-minute 09:25 candle completes the 15-minute
//! 09:15 candle) and is fed to its member on that same call. Two gap rules: a bucket whose
//! last base candle is missing is completed by the first later base candle of the same date
//! (the engine completes a candle on the first tick at or after its end), before that candle
//! is used; a bucket still forming when the date changes is dropped (never fed). Every member
//! sees every candle of its timeframe, warm-up included, so its indicators run continuously.
//!
//! **Building.** Every member timeframe must be a whole multiple of the base and divide the
//! 375-minute session (09:15–15:30), so no bucket straddles the close; member names must be
//! distinct and the list non-empty ([`StrategySet::new`] errs otherwise).
//!
//! **Answer of one call.** The members are evaluated in list order (a coarse member only on
//! calls that complete one of its candles). The first member whose evaluation is an entry
//! (BUY_CE / BUY_PE) wins: the set returns that evaluation unchanged (signal, origin,
//! `stop_points`, indicators) and [`Strategy::entry_strategy`] returns that member's name
//! until the next call. The list order is therefore the tie-break when several members enter
//! on the same call; the other members' entries of that call are not returned (each member
//! still ran its own rules on the candle, so a once-a-day member counts its signal as used).
//! With no entry the set returns EXIT if any member said EXIT, else HOLD, with no origin
//! meaning (`Fresh`), no `stop_points`, and the first member's indicators after its latest
//! candle (empty until it has seen one); [`Strategy::entry_strategy`] is then the set's own
//! name. [`Strategy::start_day`] and [`Strategy::on_position_closed`] go to every member.

use crate::{Evaluation, SignalOrigin, Strategy};
use domain::{Candle, Direction, ExitReason, Signal, Timeframe};

/// Length of the regular session in minutes (09:15–15:30 IST).
pub const SESSION_MINUTES: u32 = 375;

/// Builds the candles of one coarser timeframe from base candles (see the module doc for the
/// alignment, completion and gap rules).
#[derive(Debug, Clone)]
pub struct CoarseCandles {
    timeframe: Timeframe,
    forming: Option<Candle>,
}

impl CoarseCandles {
    /// An empty builder of `timeframe` candles.
    pub fn new(timeframe: Timeframe) -> Self {
        Self {
            timeframe,
            forming: None,
        }
    }

    /// The timeframe built.
    pub fn timeframe(&self) -> Timeframe {
        self.timeframe
    }

    /// The candle being built, if any.
    pub fn forming(&self) -> Option<&Candle> {
        self.forming.as_ref()
    }

    /// Add the next base candle; returns the coarse candles it completes, oldest first: none,
    /// one, or two (a gap-completed bucket, then the base candle's own bucket).
    pub fn push(&mut self, base: &Candle) -> Vec<Candle> {
        let mut done = Vec::new();
        let bucket = self.timeframe.bucket_start(&base.start);
        if let Some(f) = self.forming.take_if(|f| f.start != bucket) {
            // A later bucket of the same date completes it; a new date (or an out-of-order
            // candle) drops it.
            if f.start.date_naive() == base.start.date_naive() && f.end() <= base.start {
                done.push(f);
            }
        }
        match &mut self.forming {
            Some(c) => {
                c.high = c.high.max(base.high);
                c.low = c.low.min(base.low);
                c.close = base.close;
                c.volume = match (c.volume, base.volume) {
                    (Some(a), Some(b)) => Some(a.saturating_add(b)),
                    (a, b) => a.or(b),
                };
            }
            None => {
                self.forming = Some(Candle {
                    start: bucket,
                    timeframe: self.timeframe,
                    open: base.open,
                    high: base.high,
                    low: base.low,
                    close: base.close,
                    volume: base.volume,
                });
            }
        }
        if let Some(c) = self.forming.take_if(|c| base.end() >= c.end()) {
            done.push(c);
        }
        done
    }
}

/// One member: its name, strategy and (when coarser than the base) its candle builder.
struct Member {
    name: &'static str,
    strategy: Box<dyn Strategy>,
    coarse: Option<CoarseCandles>,
}

/// Named member strategies as one [`Strategy`] (module doc: timeframes, first entry wins).
pub struct StrategySet {
    name: &'static str,
    base: Timeframe,
    members: Vec<Member>,
    /// The member whose entry the last call returned.
    entry: Option<&'static str>,
    /// The first member's indicators after its latest candle.
    first_indicators: Vec<(&'static str, Option<f64>)>,
}

impl std::fmt::Debug for StrategySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrategySet")
            .field("name", &self.name)
            .field("base", &self.base)
            .field("members", &self.members().collect::<Vec<_>>())
            .field("entry", &self.entry)
            .finish()
    }
}

impl StrategySet {
    /// A set named `name` (its registry name) of `members` in tie-break order.
    ///
    /// Errors: no member, a repeated member name, a member timeframe that is not a whole
    /// multiple of the finest one or does not divide the 375-minute session.
    pub fn new(
        name: &'static str,
        members: Vec<(&'static str, Box<dyn Strategy>)>,
    ) -> Result<Self, String> {
        let base = members
            .iter()
            .map(|(_, s)| s.timeframe())
            .min()
            .ok_or_else(|| format!("strategy set `{name}` has no member"))?;
        for (i, (n, s)) in members.iter().enumerate() {
            if members[..i].iter().any(|(m, _)| m == n) {
                return Err(format!("member name `{n}` repeated"));
            }
            let tf = s.timeframe();
            if !SESSION_MINUTES.is_multiple_of(tf.minutes()) {
                return Err(format!(
                    "member `{n}`: timeframe {tf} does not divide the {SESSION_MINUTES}-minute \
                     session"
                ));
            }
            if !tf.minutes().is_multiple_of(base.minutes()) {
                return Err(format!(
                    "member `{n}`: timeframe {tf} is not a whole multiple of the base \
                     timeframe {base}"
                ));
            }
        }
        let members = members
            .into_iter()
            .map(|(name, strategy)| {
                let tf = strategy.timeframe();
                Member {
                    name,
                    coarse: (tf != base).then(|| CoarseCandles::new(tf)),
                    strategy,
                }
            })
            .collect();
        Ok(Self {
            name,
            base,
            members,
            entry: None,
            first_indicators: Vec::new(),
        })
    }

    /// `(name, timeframe)` of each member, in tie-break order.
    pub fn members(&self) -> impl Iterator<Item = (&'static str, Timeframe)> + '_ {
        self.members
            .iter()
            .map(|m| (m.name, m.strategy.timeframe()))
    }
}

impl Strategy for StrategySet {
    fn name(&self) -> &'static str {
        self.name
    }

    fn timeframe(&self) -> Timeframe {
        self.base
    }

    fn on_candle(&mut self, candle: &Candle) -> Evaluation {
        self.entry = None;
        let mut winner: Option<Evaluation> = None;
        let mut exit = false;
        for (i, m) in self.members.iter_mut().enumerate() {
            let completed;
            let candles: &[Candle] = match &mut m.coarse {
                None => std::slice::from_ref(candle),
                Some(coarse) => {
                    completed = coarse.push(candle);
                    &completed
                }
            };
            for c in candles {
                let e = m.strategy.on_candle(c);
                if i == 0 {
                    self.first_indicators.clone_from(&e.indicators);
                }
                if winner.is_none() && e.signal.direction().is_some() {
                    self.entry = Some(m.name);
                    winner = Some(e);
                } else if e.signal == Signal::Exit {
                    exit = true;
                }
            }
        }
        winner.unwrap_or_else(|| Evaluation {
            signal: if exit { Signal::Exit } else { Signal::Hold },
            origin: SignalOrigin::Fresh,
            indicators: self.first_indicators.clone(),
            stop_points: None,
        })
    }

    fn entry_strategy(&self) -> &'static str {
        self.entry.unwrap_or(self.name)
    }

    fn on_position_closed(&mut self, direction: Direction, reason: ExitReason) {
        for m in &mut self.members {
            m.strategy.on_position_closed(direction, reason);
        }
    }

    fn start_day(&mut self) {
        for m in &mut self.members {
            m.strategy.start_day();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Strategy;
    use crate::atr_breakout::{AtrBreakout, AtrBreakoutParams};
    use chrono::{NaiveDate, TimeDelta};
    use domain::Decimal;
    use domain::time::ist_hms;
    use proptest::prelude::*;
    use proptest::strategy::Strategy as _;
    use rust_decimal::prelude::FromPrimitive;
    use std::sync::{Arc, Mutex};

    type Log = Arc<Mutex<Vec<(Candle, Evaluation)>>>;

    /// Wraps a strategy and records every candle it gets with its evaluation.
    struct Recorder {
        inner: Box<dyn Strategy>,
        log: Log,
    }

    impl Recorder {
        fn boxed(inner: impl Strategy + 'static) -> (Box<dyn Strategy>, Log) {
            let log = Log::default();
            let r = Recorder {
                inner: Box::new(inner),
                log: log.clone(),
            };
            (Box::new(r), log)
        }
    }

    impl Strategy for Recorder {
        fn name(&self) -> &'static str {
            self.inner.name()
        }
        fn timeframe(&self) -> Timeframe {
            self.inner.timeframe()
        }
        fn on_candle(&mut self, candle: &Candle) -> Evaluation {
            let e = self.inner.on_candle(candle);
            self.log.lock().unwrap().push((*candle, e.clone()));
            e
        }
    }

    /// `(start_day calls, on_position_closed calls)`.
    type Calls = Arc<Mutex<(usize, usize)>>;

    /// Answers `rule(candle)` with indicator `("tag", tag)` and `stop_points = tag`.
    struct Scripted {
        timeframe: Timeframe,
        rule: fn(&Candle) -> Signal,
        tag: f64,
        calls: Calls,
    }

    fn scripted(minutes: u32, rule: fn(&Candle) -> Signal, tag: f64) -> (Box<dyn Strategy>, Calls) {
        let calls = Calls::default();
        let s = Scripted {
            timeframe: Timeframe::from_minutes(minutes).unwrap(),
            rule,
            tag,
            calls: calls.clone(),
        };
        (Box::new(s), calls)
    }

    impl Strategy for Scripted {
        fn name(&self) -> &'static str {
            "scripted"
        }
        fn timeframe(&self) -> Timeframe {
            self.timeframe
        }
        fn on_candle(&mut self, candle: &Candle) -> Evaluation {
            Evaluation {
                signal: (self.rule)(candle),
                origin: SignalOrigin::ReEntry,
                indicators: vec![("tag", Some(self.tag))],
                stop_points: Decimal::from_f64(self.tag),
            }
        }
        fn start_day(&mut self) {
            self.calls.lock().unwrap().0 += 1;
        }
        fn on_position_closed(&mut self, _: Direction, _: ExitReason) {
            self.calls.lock().unwrap().1 += 1;
        }
    }

    fn tf(minutes: u32) -> Timeframe {
        Timeframe::from_minutes(minutes).unwrap()
    }

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 8, day).unwrap()
    }

    /// Base candle `i` (from 09:15) of `minutes` on `day`, prices from `i`.
    fn base(minutes: u32, day: u32, i: i64, volume: Option<u64>) -> Candle {
        let d = |x: i64| Decimal::from(x);
        let open = 1000 + 3 * i + (i * 7) % 5;
        let close = 1000 + 3 * i + (i * 11) % 7 - 3;
        Candle {
            start: ist_hms(date(day), 9, 15, 0) + TimeDelta::minutes(minutes as i64 * i),
            timeframe: tf(minutes),
            open: d(open),
            high: d(open.max(close) + i % 4),
            low: d(open.min(close) - i % 3 - 1),
            close: d(close),
            volume,
        }
    }

    /// Reference aggregation: group the base candles by (date, `timeframe` bucket); a group
    /// is a candle if it holds its bucket's last base candle or a later base candle of the
    /// same date follows it.
    fn reference(candles: &[Candle], timeframe: Timeframe) -> Vec<Candle> {
        let mut groups: Vec<Vec<&Candle>> = vec![];
        for c in candles {
            let b = timeframe.bucket_start(&c.start);
            match groups.last_mut() {
                Some(g) if timeframe.bucket_start(&g[0].start) == b => g.push(c),
                _ => groups.push(vec![c]),
            }
        }
        let mut out = vec![];
        for (k, g) in groups.iter().enumerate() {
            let start = timeframe.bucket_start(&g[0].start);
            let end = start + timeframe.duration();
            let ends_bucket = g.iter().any(|c| c.end() == end);
            let followed = groups
                .get(k + 1)
                .is_some_and(|n| n[0].start.date_naive() == start.date_naive());
            if !(ends_bucket || followed) {
                continue;
            }
            let volumes: Vec<u64> = g.iter().filter_map(|c| c.volume).collect();
            out.push(Candle {
                start,
                timeframe,
                open: g[0].open,
                high: g.iter().map(|c| c.high).max().unwrap(),
                low: g.iter().map(|c| c.low).min().unwrap(),
                close: g[g.len() - 1].close,
                volume: (!volumes.is_empty()).then(|| volumes.iter().sum()),
            });
        }
        out
    }

    /// 15-minute candles built from 5-minute ones match the reference, arrive on the call of
    /// the bucket's last 5-minute candle, sum volume (None only when all parts are None) and
    /// drop the partial bucket at the date change; the 5-minute member gets every candle.
    #[test]
    fn fifteen_from_five() {
        let mut five = vec![];
        for i in 0..17 {
            // 09:15 .. 10:35: five whole 15-minute buckets, then 10:30 and 10:35 (partial).
            five.push(base(5, 1, i, (i != 0).then_some(100 + i as u64)));
        }
        for i in 0..6 {
            // the first bucket of day 2 has no volume at all
            five.push(base(5, 2, i, (i >= 3).then_some(10)));
        }
        let (m15, log15) = Recorder::boxed(AtrBreakout::new(AtrBreakoutParams {
            timeframe: tf(15),
            ..AtrBreakoutParams::default()
        }));
        let (m5, log5) = Recorder::boxed(AtrBreakout::new(AtrBreakoutParams::default()));
        let mut set = StrategySet::new("set", vec![("m15", m15), ("m5", m5)]).unwrap();
        assert_eq!(set.timeframe(), tf(5));
        let mut arrivals = vec![];
        for (k, c) in five.iter().enumerate() {
            let before = log15.lock().unwrap().len();
            set.on_candle(c);
            let log = log15.lock().unwrap();
            if log.len() > before {
                assert_eq!(log.len(), before + 1);
                arrivals.push((k, log[before].0.start));
            }
        }
        let got: Vec<Candle> = log15.lock().unwrap().iter().map(|x| x.0).collect();
        assert_eq!(got, reference(&five, tf(15)));
        assert_eq!(got.len(), 7);
        // Arrival: with the 09:25, 09:40, … candles; day 2's with its 09:25 and 09:40.
        let want: Vec<_> = [(2, 1, 0), (5, 1, 15), (8, 1, 30), (11, 1, 45), (14, 1, 60)]
            .into_iter()
            .chain([(19, 2, 0), (22, 2, 15)])
            .map(|(k, d, m)| (k, ist_hms(date(d), 9, 15, 0) + TimeDelta::minutes(m)))
            .collect();
        assert_eq!(arrivals, want);
        // By hand: the first candle of each day.
        let first = &got[0];
        assert_eq!(first.timeframe, tf(15));
        assert_eq!(first.open, five[0].open);
        assert_eq!(first.close, five[2].close);
        assert_eq!(first.high, five[..3].iter().map(|c| c.high).max().unwrap());
        assert_eq!(first.low, five[..3].iter().map(|c| c.low).min().unwrap());
        assert_eq!(first.volume, Some(101 + 102)); // 09:15 has none
        assert_eq!(got[5].volume, None);
        assert_eq!(got[6].volume, Some(30));
        // The 5-minute member saw every candle unchanged.
        let got5: Vec<Candle> = log5.lock().unwrap().iter().map(|x| x.0).collect();
        assert_eq!(got5, five);
    }

    /// A bucket missing its last base candle is completed by the next candle of the same
    /// date, before that candle's own bucket (which it may complete in the same push).
    #[test]
    fn gap_completes_the_bucket_on_the_next_candle() {
        let mut b = CoarseCandles::new(tf(15));
        assert!(b.push(&base(5, 1, 0, Some(1))).is_empty());
        assert!(b.push(&base(5, 1, 1, Some(2))).is_empty());
        // 09:25 missing; 09:35 completes 09:15 (two parts) and starts 09:30.
        let out = b.push(&base(5, 1, 4, Some(4)));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].start, ist_hms(date(1), 9, 15, 0));
        assert_eq!(out[0].volume, Some(3));
        assert_eq!(out[0].close, base(5, 1, 1, None).close);
        assert_eq!(b.forming().unwrap().start, ist_hms(date(1), 9, 30, 0));
        // 09:40 missing too; 09:55 ends the 09:45 bucket: both come out, oldest first.
        let out = b.push(&base(5, 1, 8, None));
        let starts: Vec<_> = out.iter().map(|c| c.start.time()).collect();
        assert_eq!(
            starts,
            [domain::time::hms(9, 30, 0), domain::time::hms(9, 45, 0)]
        );
        assert_eq!(out[1].volume, None);
        assert!(b.forming().is_none());
        // A partial bucket is dropped at the date change.
        assert!(b.push(&base(5, 1, 9, Some(1))).is_empty());
        assert!(b.push(&base(5, 2, 0, Some(1))).is_empty());
        assert_eq!(b.forming().unwrap().start, ist_hms(date(2), 9, 15, 0));
        assert_eq!(b.forming().unwrap().volume, Some(1));
    }

    fn entry_when_odd(c: &Candle) -> Signal {
        if (c.start.time() - domain::time::hms(9, 15, 0)).num_minutes() / 5 % 2 == 1 {
            Signal::BuyPe
        } else {
            Signal::Hold
        }
    }

    /// The first member (list order) with an entry wins and is the entry strategy until the
    /// next call; without an entry: EXIT if any member says so, with the first member's
    /// latest indicators; day and position events reach every member.
    #[test]
    fn first_entry_wins() {
        let (slow, slow_calls) = scripted(15, |_| Signal::BuyCe, 15.0);
        let (exit, _) = scripted(5, |_| Signal::Exit, 1.0);
        let (fast, fast_calls) = scripted(5, entry_when_odd, 5.0);
        let mut set =
            StrategySet::new("set", vec![("slow", slow), ("exit", exit), ("fast", fast)]).unwrap();
        assert_eq!(set.entry_strategy(), "set");
        let mut got = vec![];
        for i in 0..6 {
            let e = set.on_candle(&base(5, 1, i, Some(1)));
            got.push((e.signal, set.entry_strategy(), e.indicators, e.stop_points));
        }
        let tag = |x: f64| vec![("tag", Some(x))];
        let sp = |x: f64| Decimal::from_f64(x);
        assert_eq!(
            got,
            [
                (Signal::Exit, "set", vec![], None), // slow has not evaluated yet
                (Signal::BuyPe, "fast", tag(5.0), sp(5.0)),
                (Signal::BuyCe, "slow", tag(15.0), sp(15.0)),
                (Signal::BuyPe, "fast", tag(5.0), sp(5.0)),
                (Signal::Exit, "set", tag(15.0), None),
                (Signal::BuyCe, "slow", tag(15.0), sp(15.0)), // fast's BUY_PE loses
            ]
        );
        // The winner's evaluation comes back unchanged (origin included).
        let e = set.on_candle(&base(5, 1, 7, Some(1)));
        assert_eq!(
            (e.origin, set.entry_strategy()),
            (SignalOrigin::ReEntry, "fast")
        );

        set.start_day();
        set.on_position_closed(Direction::Short, ExitReason::StopLoss);
        assert_eq!(*slow_calls.lock().unwrap(), (1, 1));
        assert_eq!(*fast_calls.lock().unwrap(), (1, 1));

        // Reversed order: on 09:40 the fast member wins.
        let (slow, _) = scripted(15, |_| Signal::BuyCe, 15.0);
        let (fast, _) = scripted(5, entry_when_odd, 5.0);
        let mut set = StrategySet::new("set", vec![("fast", fast), ("slow", slow)]).unwrap();
        let mut winners = vec![];
        for i in 0..6 {
            let e = set.on_candle(&base(5, 1, i, None));
            winners.push((e.signal, set.entry_strategy()));
        }
        assert_eq!(winners[2], (Signal::BuyCe, "slow"));
        assert_eq!(winners[5], (Signal::BuyPe, "fast"));
        // Nothing at all: HOLD.
        let (hold, _) = scripted(5, |_| Signal::Hold, 2.0);
        let mut set = StrategySet::new("set", vec![("hold", hold)]).unwrap();
        let e = set.on_candle(&base(5, 1, 0, None));
        assert_eq!((e.signal, e.stop_points), (Signal::Hold, None));
        assert_eq!(e.indicators, tag(2.0));
    }

    #[test]
    fn building_checks_timeframes_and_names() {
        let ok = |m: u32| scripted(m, |_| Signal::Hold, 0.0).0;
        let set = StrategySet::new("set", vec![("a", ok(15)), ("b", ok(3)), ("c", ok(75))]);
        let set = set.unwrap();
        assert_eq!(set.timeframe(), tf(3));
        let members: Vec<_> = set.members().map(|(n, t)| (n, t.minutes())).collect();
        assert_eq!(members, [("a", 15), ("b", 3), ("c", 75)]);
        for (members, needle) in [
            (vec![], "no member"),
            (vec![("a", ok(5)), ("b", ok(10))], "does not divide"),
            (vec![("a", ok(3)), ("b", ok(5))], "multiple"),
            (vec![("a", ok(5)), ("a", ok(15))], "repeated"),
        ] {
            let e = StrategySet::new("set", members).err().unwrap();
            assert!(e.contains(needle), "{e}");
        }
    }

    /// Small periods so random series warm up and signal (see atr_breakout's tests).
    fn small(minutes: u32) -> AtrBreakoutParams {
        AtrBreakoutParams {
            timeframe: tf(minutes),
            range_bars: 3,
            ema_fast: 2,
            ema_mid: 3,
            ema_slow: 4,
            atr_period: 2,
            volume_period: 3,
            macd_fast: 3,
            macd_slow: 4,
            macd_signal: 2,
            ..AtrBreakoutParams::default()
        }
    }

    /// Random days of 5-minute candles: per candle (present?, close move, wick, volume).
    fn days() -> impl proptest::strategy::Strategy<Value = Vec<Candle>> {
        let candle = (
            0u8..10,
            -30i64..=30,
            0i64..8,
            proptest::option::of(0u64..500),
        );
        prop::collection::vec(prop::collection::vec(candle, 1..60), 1..6).prop_map(|days| {
            let mut out = vec![];
            let mut px = 1000i64;
            for (d, day) in days.iter().enumerate() {
                for (i, &(present, mv, wick, volume)) in day.iter().enumerate() {
                    let open = px;
                    px = (px + mv).max(10);
                    if present == 0 {
                        continue; // a gap
                    }
                    out.push(Candle {
                        start: ist_hms(date(1 + d as u32), 9, 15, 0)
                            + TimeDelta::minutes(5 * i as i64),
                        timeframe: tf(5),
                        open: open.into(),
                        high: (open.max(px) + wick).into(),
                        low: (open.min(px) - wick / 2).into(),
                        close: px.into(),
                        volume,
                    });
                }
            }
            out
        })
    }

    proptest! {
        /// The set's 15-minute member sees exactly the candles, and gives exactly the
        /// evaluations, of a standalone 15-minute AtrBreakout fed the pre-aggregated candles;
        /// the set returns its entries (it is first) and names it.
        #[test]
        fn member_sees_what_a_standalone_sees(five in days()) {
            let (m15, log) = Recorder::boxed(AtrBreakout::new(small(15)));
            let m5 = Box::new(AtrBreakout::new(small(5)));
            let mut set = StrategySet::new("set", vec![("m15", m15), ("m5", m5)]).unwrap();
            let mut set_entries = vec![];
            for c in &five {
                let before = log.lock().unwrap().len();
                let e = set.on_candle(c);
                let log = log.lock().unwrap();
                let m15_entry = log[before..].iter().find(|x| x.1.signal.direction().is_some());
                if let Some((_, m)) = m15_entry {
                    prop_assert_eq!(set.entry_strategy(), "m15");
                    prop_assert_eq!(&e, m);
                    set_entries.push(m.signal);
                } else {
                    prop_assert_ne!(set.entry_strategy(), "m15");
                }
            }
            let mut alone = AtrBreakout::new(small(15));
            let want: Vec<(Candle, Evaluation)> = reference(&five, tf(15))
                .into_iter()
                .map(|c| { let e = alone.on_candle(&c); (c, e) })
                .collect();
            let got = log.lock().unwrap().clone();
            prop_assert_eq!(&got, &want);
            let alone_entries: Vec<Signal> = want
                .iter()
                .map(|x| x.1.signal)
                .filter(|s| s.direction().is_some())
                .collect();
            prop_assert_eq!(set_entries, alone_entries);
        }
    }
}
