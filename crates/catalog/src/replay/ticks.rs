//! Replay tick synthesis (spec §3.1 rule 2): the four ticks of a bar, the bar length of a
//! series, and the regular-session filter.

use chrono::TimeDelta;
use domain::time::{session_close, session_open};
use domain::{Bar, Tick};

/// Whether a 1-minute bar label is inside the regular session 09:15–15:29 IST (spec §3.1
/// rule 2).
pub fn in_session(bar: &Bar) -> bool {
    let t = bar.ts.time();
    t >= session_open() && t < session_close()
}

/// The four replay ticks of a 1-minute bar (spec §3.1 rule 2): open at +0 s, whichever of
/// high/low is nearer the open at +15 s (exact tie → high first), the other at +30 s, close at
/// +45 s. Equal prices still make separate ticks. The bar's volume, if any, rides on the close
/// tick.
pub fn synthesize_ticks(token: u32, bar: &Bar) -> [Tick; 4] {
    synthesize_ticks_in(token, bar, 1)
}

/// [`synthesize_ticks`] for a bar of `bar_minutes` minutes: the same order, at quarters of the
/// bar (+0, +¼, +½, +¾ of its length; 15 s apart for a 1-minute bar).
pub fn synthesize_ticks_in(token: u32, bar: &Bar, bar_minutes: u32) -> [Tick; 4] {
    let step = 15 * i64::from(bar_minutes.max(1));
    let high_first = (bar.high - bar.open).abs() <= (bar.open - bar.low).abs();
    let (second, third) = if high_first {
        (bar.high, bar.low)
    } else {
        (bar.low, bar.high)
    };
    // The bar's own offset for all four ticks: IST has had no offset change since 1945, and
    // this skips a time-zone lookup per tick (issue 13 profile). Same instants and offsets
    // as `bar.ts + TimeDelta::seconds(s)`.
    let (utc, offset) = (bar.ts.naive_utc(), *bar.ts.offset());
    let t = |s: i64, price, volume| Tick {
        token,
        ts: chrono::DateTime::from_naive_utc_and_offset(utc + TimeDelta::seconds(s), offset),
        price,
        volume,
    };
    [
        t(0, bar.open, None),
        t(step, second, None),
        t(2 * step, third, None),
        t(3 * step, bar.close, bar.volume),
    ]
}

/// The bar length of a series of bars in minutes: the smallest gap between consecutive labels
/// (1 for a single bar). Catalog series are 1-minute unless named otherwise (`NIFTY-FUT_5m`).
pub fn bar_minutes(bars: &[Bar]) -> u32 {
    bars.windows(2)
        .map(|w| (w[1].ts - w[0].ts).num_minutes())
        .filter(|m| *m > 0)
        .min()
        .map_or(1, |m| u32::try_from(m).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::ist_hms;
    use rust_decimal_macros::dec;

    fn bar(m: u32, o: i64, h: i64, l: i64, c: i64) -> Bar {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        Bar {
            ts: ist_hms(d, 9, 15 + m, 0),
            open: o.into(),
            high: h.into(),
            low: l.into(),
            close: c.into(),
            volume: None,
        }
    }

    #[test]
    fn tick_order_nearer_extreme_first_tie_high() {
        let t = synthesize_ticks(1, &bar(0, 100, 103, 99, 101));
        assert_eq!(
            t.map(|t| t.price),
            [dec!(100), dec!(99), dec!(103), dec!(101)]
        );
        let t = synthesize_ticks(1, &bar(0, 100, 102, 98, 101));
        assert_eq!(
            t.map(|t| t.price),
            [dec!(100), dec!(102), dec!(98), dec!(101)]
        );
        assert_eq!((t[3].ts - t[0].ts).num_seconds(), 45);
    }

    #[test]
    fn a_five_minute_bar_spreads_its_ticks_over_quarters_and_the_close_carries_volume() {
        let mut b = bar(0, 100, 103, 99, 101);
        b.volume = Some(7);
        let t = synthesize_ticks_in(1, &b, 5);
        let secs: Vec<i64> = t.iter().map(|x| (x.ts - b.ts).num_seconds()).collect();
        assert_eq!(secs, [0, 75, 150, 225]);
        assert_eq!(t.map(|x| x.volume), [None, None, None, Some(7)]);
    }

    #[test]
    fn bar_minutes_is_the_smallest_gap_and_session_excludes_the_close() {
        assert_eq!(bar_minutes(&[bar(0, 1, 1, 1, 1)]), 1);
        assert_eq!(
            bar_minutes(&[bar(0, 1, 1, 1, 1), bar(5, 1, 1, 1, 1), bar(15, 1, 1, 1, 1)]),
            5
        );
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let mut b = bar(0, 1, 1, 1, 1);
        assert!(in_session(&b));
        b.ts = ist_hms(d, 15, 29, 0);
        assert!(in_session(&b));
        b.ts = ist_hms(d, 15, 30, 0);
        assert!(!in_session(&b));
        b.ts = ist_hms(d, 9, 14, 0);
        assert!(!in_session(&b));
    }
}
