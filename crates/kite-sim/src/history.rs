//! Historical candles (`GET /instruments/historical/{token}/{interval}`, kite-connect.md §3.8)
//! from the catalog's 1-minute bars: intervals aggregated from 1-minute bars, aligned to the
//! session open 09:15 IST; `day` candles labelled at 00:00 IST.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use domain::Bar;
use domain::time::{IstDateTime, ist, session_open};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A Kite candle interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// `minute`, `3minute`, … `60minute`: this many minutes.
    Minutes(u32),
    /// `day`.
    Day,
}

impl Interval {
    /// Parse Kite's path segment (`minute`, `3minute`, `5minute`, `10minute`, `15minute`,
    /// `30minute`, `60minute`, `day`).
    pub fn parse(s: &str) -> Option<Interval> {
        Some(match s {
            "minute" => Interval::Minutes(1),
            "3minute" => Interval::Minutes(3),
            "5minute" => Interval::Minutes(5),
            "10minute" => Interval::Minutes(10),
            "15minute" => Interval::Minutes(15),
            "30minute" => Interval::Minutes(30),
            "60minute" => Interval::Minutes(60),
            "day" => Interval::Day,
            _ => return None,
        })
    }

    /// The largest span of one request, days (Zerodha staff; kite-connect.md §3.8).
    pub fn max_days(self) -> i64 {
        match self {
            Interval::Minutes(1) => 60,
            Interval::Minutes(3 | 5 | 10) => 100,
            Interval::Minutes(15 | 30) => 200,
            Interval::Minutes(_) => 400,
            Interval::Day => 2000,
        }
    }
}

/// Parse a `from`/`to` query value: `YYYY-MM-DD HH:MM:SS` (also `T`-separated or a bare date;
/// a bare `to` date means the end of that day).
pub fn parse_bound(s: &str, end_of_day: bool) -> Option<NaiveDateTime> {
    let s = s.trim();
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t);
        }
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(if end_of_day {
        d.and_time(NaiveTime::from_hms_opt(23, 59, 59)?)
    } else {
        d.and_time(NaiveTime::MIN)
    })
}

/// Aggregate one session's 1-minute `bars` (time order) into `interval` candles: buckets of
/// `n` minutes from 09:15 (`09:15 + k·n`), or one candle labelled 00:00 for `day`. Open =
/// first open, high = max, low = min, close = last close, volume = sum (`None` if no bar has
/// one).
pub fn aggregate(bars: &[Bar], interval: Interval) -> Vec<Bar> {
    if interval == Interval::Minutes(1) {
        return bars.to_vec();
    }
    let mut out: BTreeMap<IstDateTime, Bar> = BTreeMap::new();
    for b in bars {
        let label = bucket(b.ts, interval);
        out.entry(label)
            .and_modify(|c| {
                c.high = c.high.max(b.high);
                c.low = c.low.min(b.low);
                c.close = b.close;
                c.volume = match (c.volume, b.volume) {
                    (None, None) => None,
                    (x, y) => Some(x.unwrap_or(0) + y.unwrap_or(0)),
                };
            })
            .or_insert(Bar { ts: label, ..*b });
    }
    out.into_values().collect()
}

fn bucket(ts: IstDateTime, interval: Interval) -> IstDateTime {
    let date = ts.date_naive();
    match interval {
        Interval::Day => ist(date, NaiveTime::MIN),
        Interval::Minutes(n) => {
            let open = ist(date, session_open());
            let mins = (ts - open).num_minutes();
            let k = mins.div_euclid(i64::from(n.max(1)));
            open + TimeDelta::minutes(k * i64::from(n))
        }
    }
}

/// A Kite candle row `["2024-05-31T09:15:00+0530", o, h, l, c, v]` (volume 0 when unknown, as
/// Kite sends for indices).
pub fn candle_json(b: &Bar) -> Value {
    let f = |d: domain::Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
    json!([
        b.ts.format("%Y-%m-%dT%H:%M:%S%z").to_string(),
        f(b.open),
        f(b.high),
        f(b.low),
        f(b.close),
        b.volume.unwrap_or(0),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::ist_hms;
    use rust_decimal_macros::dec;

    fn bar(h: u32, m: u32, o: i64, hi: i64, lo: i64, c: i64) -> Bar {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        Bar {
            ts: ist_hms(d, h, m, 0),
            open: o.into(),
            high: hi.into(),
            low: lo.into(),
            close: c.into(),
            volume: None,
        }
    }

    #[test]
    fn five_minute_candles_align_to_the_open() {
        let bars: Vec<Bar> = (0..12)
            .map(|i| {
                let m = 15 + i;
                let p = 100 + i64::from(i);
                bar(9, m, p, p + 5, p - 5, p + 1)
            })
            .collect();
        let c = aggregate(&bars, Interval::Minutes(5));
        assert_eq!(c.len(), 3);
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        assert_eq!(c[0].ts, ist_hms(d, 9, 15, 0));
        assert_eq!(c[1].ts, ist_hms(d, 9, 20, 0));
        assert_eq!(c[2].ts, ist_hms(d, 9, 25, 0));
        assert_eq!(
            (c[0].open, c[0].high, c[0].low, c[0].close),
            (dec!(100), dec!(109), dec!(95), dec!(105))
        );
        assert_eq!((c[2].open, c[2].close), (dec!(110), dec!(112)));
        assert_eq!(c[0].volume, None);
        // 60-minute: 09:15–10:14, then 10:15…; the last hour of the day is 15:15–15:29.
        let late = vec![
            bar(10, 14, 1, 2, 1, 2),
            bar(10, 15, 3, 4, 3, 4),
            bar(15, 29, 5, 6, 5, 6),
        ];
        let h = aggregate(&late, Interval::Minutes(60));
        assert_eq!(
            h.iter().map(|b| b.ts.time()).collect::<Vec<_>>(),
            [
                NaiveTime::from_hms_opt(9, 15, 0).unwrap(),
                NaiveTime::from_hms_opt(10, 15, 0).unwrap(),
                NaiveTime::from_hms_opt(15, 15, 0).unwrap()
            ]
        );
        let day = aggregate(&late, Interval::Day);
        assert_eq!(day.len(), 1);
        assert_eq!(day[0].ts.time(), NaiveTime::MIN);
        assert_eq!(
            (day[0].open, day[0].high, day[0].close),
            (1.into(), 6.into(), 6.into())
        );
        assert_eq!(
            candle_json(&day[0]).to_string(),
            r#"["2024-06-03T00:00:00+0530",1.0,6.0,1.0,6.0,0]"#
        );
        assert_eq!(
            candle_json(&bar(9, 15, 1, 2, 1, 2)).to_string(),
            r#"["2024-06-03T09:15:00+0530",1.0,2.0,1.0,2.0,0]"#
        );
    }

    #[test]
    fn intervals_and_bounds() {
        assert_eq!(Interval::parse("minute"), Some(Interval::Minutes(1)));
        assert_eq!(Interval::parse("60minute").unwrap().max_days(), 400);
        assert_eq!(Interval::parse("minute").unwrap().max_days(), 60);
        assert_eq!(Interval::parse("day").unwrap().max_days(), 2000);
        assert!(Interval::parse("week").is_none());
        assert_eq!(
            parse_bound("2024-05-31 09:15:00", false)
                .unwrap()
                .to_string(),
            "2024-05-31 09:15:00"
        );
        assert_eq!(
            parse_bound("2024-05-31", true).unwrap().to_string(),
            "2024-05-31 23:59:59"
        );
        assert!(parse_bound("31-05-2024", false).is_none());
    }
}
