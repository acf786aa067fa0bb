//! Trading days: NSE F&O holidays 2024–2026 and the known special sessions (spec §7 "trading
//! day (holiday calendar)"; kite-connect.md §8.1: "Trading holidays are not exposed by the API.
//! Keep an exchange holiday calendar, updated yearly.").
//!
//! # Sources
//! - Holidays: the NSE F&O holiday lists as published by the NSE holiday API, copied from
//!   `citadel-hq/nse_holidays` (MIT; `shared/data/nse-holidays/`, see its README):
//!   2024 ← commit f5730c75 (2024-11-19), 2025 ← commit 15f15858 (2025-01-04),
//!   2026 ← commit e297a229 (2026-07-12). Embedded unchanged as `crates/domain/data/*.csv`.
//! - **01-Nov-2024 (Diwali Laxmi Pujan)** is added as a holiday although the 2024 list (that
//!   commit) omits it: an earlier version of the same list had it, and the exchanges ran only
//!   the one-hour evening Muhurat session that day — no regular 09:15–15:30 session. The 2025
//!   and 2026 lists keep their Diwali dates (21-Oct-2025, 08-Nov-2026) as holidays. Muhurat
//!   sessions are never treated as trading days here (no regular session, no intraday
//!   strategy of spec §4 trades them).
//! - Special sessions (a regular day's trading on a weekend), from the exchanges' circulars as
//!   reported in the press, and visible in `shared/data/index-1min-2024/` (README there):
//!   - 2024-01-20 (Sat): full session. Planned as a DR-site drill day; converted to a full
//!     trading day when 22-Jan-2024 was declared a holiday.
//!   - 2024-03-02 and 2024-05-18 (Sat): live trading with an intraday switch to the
//!     disaster-recovery site: 09:15–10:00 (primary) and 11:30–12:30 (DR). The shared 1-minute
//!     data has exactly these 105 minutes.
//!   - 2025-02-01 (Sat): full session, Union Budget (NSE circular; livemint.com,
//!     business-standard.com, 23-Dec-2024 / 31-Jan-2025).
//!   - 2026-02-01 (Sun): full session, Union Budget (NSE circular and BSE notice of
//!     16-Jan-2026; business-standard.com, deccanherald.com).
//!
//! # Simplifications (stated, deliberate)
//! - **BSE = NSE.** SENSEX (BFO) uses the NSE F&O list. BSE publishes its own list, which is
//!   assumed identical (not checked date by date); a BSE-only closure would not be known here.
//! - Outside 2024–2026 ([`MarketCalendar::covers`] is false) only weekends are closed; callers
//!   should warn.
//! - Weekends are closed except the listed special sessions.

use crate::time::{const_date, const_time, session_close, session_open};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

/// The embedded NSE F&O holiday lists, one `(year, DD-Mon-YYYY lines)` per covered year.
const HOLIDAY_LISTS: [(i32, &str); 3] = [
    (2024, include_str!("../../data/nse_fo_holidays_2024.csv")),
    (2025, include_str!("../../data/nse_fo_holidays_2025.csv")),
    (2026, include_str!("../../data/nse_fo_holidays_2026.csv")),
];

/// Holidays missing from the embedded lists, with the reason.
const EXTRA_HOLIDAYS: [(NaiveDate, &str); 1] = [(
    const_date(2024, 11, 1),
    "Diwali Laxmi Pujan: Muhurat session only, no regular session (missing from the \
     2024-11-19 version of the NSE list, present in an earlier one)",
)];

/// Error reading a holiday list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A line is not a `DD-Mon-YYYY` date.
    #[error("line {line}: `{text}` is not a DD-Mon-YYYY date")]
    BadDate {
        /// 1-based line number.
        line: usize,
        /// The offending text.
        text: String,
    },
}

/// Parse a holiday list: one `DD-Mon-YYYY` date per line (e.g. `22-Jan-2024`), the NSE API
/// format. Blank lines and lines starting with `#` are ignored.
pub fn parse_holiday_list(text: &str) -> Result<Vec<NaiveDate>, CalendarError> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(line, l)| {
            NaiveDate::parse_from_str(l, "%d-%b-%Y").map_err(|_| CalendarError::BadDate {
                line,
                text: l.to_string(),
            })
        })
        .collect()
}

/// The dates of an embedded list, skipping lines that are not dates (see
/// [`MarketCalendar::builtin`]).
fn parse_holiday_list_lenient(text: &str) -> Vec<NaiveDate> {
    text.lines()
        .filter_map(|l| NaiveDate::parse_from_str(l.trim(), "%d-%b-%Y").ok())
        .collect()
}

/// A trading session on a day that is normally closed (a weekend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialSession {
    /// The date.
    pub date: NaiveDate,
    /// Continuous-trading windows `[start, end)`, IST, in order.
    pub windows: Vec<(NaiveTime, NaiveTime)>,
    /// Why the session was held.
    pub reason: String,
}

impl SpecialSession {
    /// A full 09:15–15:30 session.
    pub fn full(date: NaiveDate, reason: &str) -> Self {
        Self {
            date,
            windows: vec![(session_open(), session_close())],
            reason: reason.to_string(),
        }
    }

    /// Whether the session is a full 09:15–15:30 one.
    pub fn is_full(&self) -> bool {
        self.windows == [(session_open(), session_close())]
    }

    /// Minutes of continuous trading in the session.
    pub fn minutes(&self) -> u32 {
        self.windows
            .iter()
            .map(|(s, e)| (*e - *s).num_minutes().max(0) as u32)
            .sum()
    }
}

/// Trading days of the Indian index-derivatives market (NSE F&O; BSE assumed identical).
///
/// See the module documentation for sources and simplifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketCalendar {
    holidays: BTreeSet<NaiveDate>,
    special: BTreeMap<NaiveDate, SpecialSession>,
    covered_years: RangeInclusive<i32>,
}

/// The special sessions of the module documentation: date, whether it is a DR-drill session
/// ([`DR_DRILL_WINDOWS`]; else a full 09:15–15:30 one), reason.
const SPECIAL_SESSIONS: [(NaiveDate, bool, &str); 5] = [
    (
        const_date(2024, 1, 20),
        false,
        "Saturday full session (DR drill day converted after 22-Jan-2024 became a holiday)",
    ),
    (
        const_date(2024, 3, 2),
        true,
        "live trading with intraday switch-over to the DR site (Saturday)",
    ),
    (
        const_date(2024, 5, 18),
        true,
        "live trading with intraday switch-over to the DR site (Saturday)",
    ),
    (const_date(2025, 2, 1), false, "Union Budget (Saturday)"),
    (const_date(2026, 2, 1), false, "Union Budget (Sunday)"),
];

/// The 2024 DR-drill sessions' windows: 09:15–10:00 (primary site) and 11:30–12:30 (DR site).
const DR_DRILL_WINDOWS: [(NaiveTime, NaiveTime); 2] = [
    (const_time(9, 15, 0), const_time(10, 0, 0)),
    (const_time(11, 30, 0), const_time(12, 30, 0)),
];

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl MarketCalendar {
    /// The embedded calendar: NSE F&O holidays 2024–2026 (plus 01-Nov-2024) and the special
    /// sessions listed in the module documentation.
    ///
    /// The embedded lists are constants; the unit test `embedded_lists_parse_with_expected_counts`
    /// checks every line parses (a line that did not would be skipped here, never a panic).
    pub fn builtin() -> Self {
        let mut holidays = BTreeSet::new();
        for (year, text) in HOLIDAY_LISTS {
            let dates = parse_holiday_list_lenient(text);
            debug_assert!(dates.iter().all(|d| d.year() == year));
            holidays.extend(dates);
        }
        holidays.extend(EXTRA_HOLIDAYS.iter().map(|(d, _)| *d));

        let special = SPECIAL_SESSIONS.iter().map(|(date, drill, reason)| {
            if *drill {
                SpecialSession {
                    date: *date,
                    windows: DR_DRILL_WINDOWS.to_vec(),
                    reason: (*reason).to_string(),
                }
            } else {
                SpecialSession::full(*date, reason)
            }
        });
        Self::new(holidays, special, 2024..=2026)
    }

    /// A calendar from explicit holidays, special sessions and the years the holiday list is
    /// complete for (e.g. an updated list loaded from config).
    pub fn new(
        holidays: impl IntoIterator<Item = NaiveDate>,
        special_sessions: impl IntoIterator<Item = SpecialSession>,
        covered_years: RangeInclusive<i32>,
    ) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
            special: special_sessions.into_iter().map(|s| (s.date, s)).collect(),
            covered_years,
        }
    }

    /// Whether `date`'s year is in the embedded holiday lists (2024–2026 for
    /// [`MarketCalendar::builtin`]). Outside, only weekends are known closed: warn.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.covered_years.contains(&date.year())
    }

    /// The years the holiday lists cover.
    pub fn covered_years(&self) -> RangeInclusive<i32> {
        self.covered_years.clone()
    }

    /// Whether `date` is a listed exchange holiday (weekend holidays are listed too, e.g.
    /// 14-Apr-2024, a Sunday). A plain weekend is not a "holiday" here; use
    /// [`MarketCalendar::is_trading_day`] to ask whether the market is open.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    /// Whether the market holds a session on `date`: a weekday that is not a holiday, or a
    /// listed special session (including the partial DR-drill sessions).
    pub fn is_trading_day(&self, date: NaiveDate) -> bool {
        self.special.contains_key(&date) || self.is_regular_trading_day(date)
    }

    /// A weekday that is not a holiday (special weekend sessions excluded). Expiries fall
    /// only on these days.
    pub fn is_regular_trading_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_holiday(date)
    }

    /// The special session on `date`, if one is listed.
    pub fn special_session(&self, date: NaiveDate) -> Option<&SpecialSession> {
        self.special.get(&date)
    }

    /// The continuous-trading windows `[start, end)` of `date`, IST: 09:15–15:30 on a regular
    /// trading day, the listed windows on a special session, none on a closed day.
    pub fn session_windows(&self, date: NaiveDate) -> Vec<(NaiveTime, NaiveTime)> {
        if let Some(s) = self.special.get(&date) {
            s.windows.clone()
        } else if self.is_regular_trading_day(date) {
            vec![(session_open(), session_close())]
        } else {
            Vec::new()
        }
    }

    /// Minutes of continuous trading on `date`: 375 on a regular day, 105 on the 2024 DR-drill
    /// Saturdays, 0 when closed.
    pub fn session_minutes(&self, date: NaiveDate) -> u32 {
        self.session_windows(date)
            .iter()
            .map(|(s, e)| (*e - *s).num_minutes().max(0) as u32)
            .sum()
    }

    /// The last trading day strictly before `date`.
    pub fn previous_trading_day(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date - Duration::days(1);
        while !self.is_trading_day(d) {
            d -= Duration::days(1);
        }
        d
    }

    /// The first trading day strictly after `date`.
    pub fn next_trading_day(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date + Duration::days(1);
        while !self.is_trading_day(d) {
            d += Duration::days(1);
        }
        d
    }

    /// `date` itself if it is a regular trading day, else the last regular trading day before
    /// it: the exchanges' rule for an expiry that falls on a holiday ("If Wednesday is a
    /// trading holiday then expiry day will be the previous trading day", NSE circular of
    /// 29-Dec-2023; kite-connect.md §8.1).
    pub fn on_or_before_regular(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_regular_trading_day(d) {
            d -= Duration::days(1);
        }
        d
    }

    /// Trading days in `from..=to`, in order.
    pub fn trading_days(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.is_trading_day(*d))
            .collect()
    }
}

impl Default for MarketCalendar {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn embedded_lists_parse_with_expected_counts() {
        let n: Vec<usize> = HOLIDAY_LISTS
            .iter()
            .map(|(_, t)| parse_holiday_list(t).unwrap().len())
            .collect();
        // shared/data/README.md: 21, 18 and 20 dates.
        assert_eq!(n, vec![21, 18, 20]);
        // `builtin` reads the same dates (its lenient parse skips nothing).
        for (_, t) in HOLIDAY_LISTS {
            assert_eq!(
                parse_holiday_list_lenient(t),
                parse_holiday_list(t).unwrap()
            );
        }
    }

    #[test]
    fn parse_errors_name_the_line() {
        assert_eq!(
            parse_holiday_list("# c\n22-Jan-2024\n\n2024-01-26\n"),
            Err(CalendarError::BadDate {
                line: 4,
                text: "2024-01-26".into()
            })
        );
    }

    #[test]
    fn holidays_2024() {
        let c = MarketCalendar::builtin();
        for h in [
            d(2024, 1, 22),
            d(2024, 1, 26),
            d(2024, 3, 8),
            d(2024, 3, 25),
            d(2024, 3, 29),
            d(2024, 4, 11),
            d(2024, 4, 17),
            d(2024, 5, 1),
            d(2024, 5, 20),
            d(2024, 6, 17),
            d(2024, 7, 17),
            d(2024, 8, 15),
            d(2024, 10, 2),
            d(2024, 11, 1), // added: Diwali, Muhurat only
            d(2024, 11, 15),
            d(2024, 11, 20),
            d(2024, 12, 25),
        ] {
            assert!(c.is_holiday(h), "{h}");
            assert!(!c.is_trading_day(h), "{h}");
        }
        for t in [
            d(2024, 6, 3),
            d(2024, 3, 28),
            d(2024, 4, 10),
            d(2024, 8, 14),
        ] {
            assert!(c.is_trading_day(t), "{t}");
            assert!(!c.is_holiday(t), "{t}");
        }
    }

    #[test]
    fn holidays_2025_2026_spot_checks() {
        let c = MarketCalendar::builtin();
        for h in [
            d(2025, 2, 26),
            d(2025, 8, 27),
            d(2025, 10, 21),
            d(2025, 10, 22),
            d(2025, 12, 25),
            d(2026, 1, 15),
            d(2026, 3, 3),
            d(2026, 3, 31),
            d(2026, 11, 24),
        ] {
            assert!(!c.is_trading_day(h), "{h}");
        }
        assert!(c.is_trading_day(d(2025, 8, 29)));
    }

    #[test]
    fn weekends_and_special_sessions() {
        let c = MarketCalendar::builtin();
        assert!(!c.is_trading_day(d(2024, 6, 1))); // Saturday
        assert!(!c.is_trading_day(d(2024, 6, 2))); // Sunday
        assert!(!c.is_holiday(d(2024, 6, 1)));
        assert!(c.is_holiday(d(2024, 4, 14))); // Sunday, listed
        for s in [
            d(2024, 1, 20),
            d(2024, 3, 2),
            d(2024, 5, 18),
            d(2025, 2, 1),
            d(2026, 2, 1),
        ] {
            assert!(c.is_trading_day(s), "{s}");
            assert!(!c.is_regular_trading_day(s), "{s}");
        }
        assert_eq!(c.session_minutes(d(2024, 1, 20)), 375);
        assert_eq!(c.session_minutes(d(2024, 3, 2)), 105);
        assert_eq!(c.session_minutes(d(2024, 5, 18)), 105);
        assert!(!c.special_session(d(2024, 3, 2)).unwrap().is_full());
        assert!(c.special_session(d(2026, 2, 1)).unwrap().is_full());
        assert_eq!(c.session_minutes(d(2024, 6, 3)), 375);
        assert_eq!(c.session_minutes(d(2024, 6, 1)), 0);
    }

    #[test]
    fn previous_and_next_trading_day() {
        let c = MarketCalendar::builtin();
        // Holi Monday 2024-03-25: Friday 03-22 before, Tuesday 03-26 after.
        assert_eq!(c.previous_trading_day(d(2024, 3, 26)), d(2024, 3, 22));
        assert_eq!(c.next_trading_day(d(2024, 3, 22)), d(2024, 3, 26));
        // Good Friday 2024-03-29: Thursday 03-28 is open, next is Monday 04-01.
        assert_eq!(c.next_trading_day(d(2024, 3, 28)), d(2024, 4, 1));
        // The special Saturday 2024-01-20 counts; 01-22 is a holiday.
        assert_eq!(c.next_trading_day(d(2024, 1, 19)), d(2024, 1, 20));
        assert_eq!(c.next_trading_day(d(2024, 1, 20)), d(2024, 1, 23));
        assert_eq!(c.previous_trading_day(d(2024, 1, 23)), d(2024, 1, 20));
        // Diwali 2024: 10-31 (Thu) then 11-04 (Mon).
        assert_eq!(c.next_trading_day(d(2024, 10, 31)), d(2024, 11, 4));
        // Year boundary.
        assert_eq!(c.previous_trading_day(d(2025, 1, 1)), d(2024, 12, 31));
        assert_eq!(c.on_or_before_regular(d(2024, 4, 11)), d(2024, 4, 10));
        assert_eq!(c.on_or_before_regular(d(2024, 4, 10)), d(2024, 4, 10));
    }

    #[test]
    fn coverage() {
        let c = MarketCalendar::builtin();
        assert!(c.covers(d(2024, 1, 1)) && c.covers(d(2026, 12, 31)));
        assert!(!c.covers(d(2023, 12, 29)) && !c.covers(d(2027, 1, 4)));
        // Outside coverage only weekends are closed.
        assert!(c.is_trading_day(d(2022, 11, 18)));
        assert!(!c.is_trading_day(d(2022, 11, 19)));
    }

    #[test]
    fn trading_days_in_range() {
        let c = MarketCalendar::builtin();
        let days = c.trading_days(d(2024, 3, 22), d(2024, 4, 1));
        assert_eq!(
            days,
            vec![
                d(2024, 3, 22),
                d(2024, 3, 26),
                d(2024, 3, 27),
                d(2024, 3, 28),
                d(2024, 4, 1)
            ]
        );
        // shared/data/index-1min-2024 has 153 sessions (150 full + 3 Saturdays) in
        // 2024-01-01..=2024-08-20, and 5 real trading days are absent from it (README there).
        let n = c.trading_days(d(2024, 1, 1), d(2024, 8, 20)).len();
        assert_eq!(n, 153 + 5);
    }
}
