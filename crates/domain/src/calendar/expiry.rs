//! Option expiries of NIFTY, BANKNIFTY and SENSEX for replay (spec §5: "an expiry calendar that
//! knows the weekday rules and their changes over time and moves an expiry on a holiday to the
//! previous trading day"; facts in kite-connect.md §8.7).
//!
//! Live and paper mode read `expiry` from the Kite instruments dump instead (kite-connect.md
//! §8.7: "never compute expiry from the weekday").
//!
//! # Model
//! For each Monday-to-Sunday week there is at most one expiry per segment:
//! - if the week contains the segment's **monthly** expiry (the last `W` of the month, `W` the
//!   monthly weekday in force for that month), that is the week's expiry, flagged
//!   [`Expiry::monthly`] (Kite writes it in the monthly tradingsymbol form, kite-connect.md
//!   §8.4); a weekly on another weekday is not listed in that week;
//! - otherwise the **weekly** expiry on the weekly weekday in force for that week, if the
//!   segment has weeklies then;
//! - a date that is not a regular trading day moves to the previous regular trading day
//!   (every circular below: "If … is a trading holiday then expiry day will be the previous
//!   trading day"). Holidays are known for 2024–2026 only ([`MarketCalendar::covers`]).
//!
//! # Rules and their sources (nominal weekday before the holiday shift)
//! NIFTY (NSE):
//! - weekly Thursday from the week of 2019-02-11 (first NIFTY weekly options; earlier dates are
//!   not supported) until Aug 2025; monthly last Thursday until Aug 2025;
//! - weekly Tuesday and monthly last Tuesday for contracts expiring on or after 2025-09-01
//!   (SEBI circular SEBI/HO/MRD/TPD-1/P/CIR/2025/76 of 26-May-2025; NSE circulars of
//!   17/23-Jun-2025, FAOP68589; first Tuesday weekly 2025-09-02; kite-connect.md §8.7).
//!   NSE's earlier plan to move to Monday from 04-Apr-2025 (FAOP66938) was withdrawn.
//!
//! BANKNIFTY (NSE):
//! - weekly Thursday until the week of 2023-08-28; monthly last Thursday;
//! - weekly **Wednesday** from the week of 2023-09-04 (first 2023-09-06), "excluding the expiry
//!   week of the monthly contract" — the monthly stayed on the last Thursday (NSE circular of
//!   12-Jul-2023; cnbctv18.com, livemint.com). An NSE plan (circular 88/2023, 06-Jun-2023) to
//!   move BANKNIFTY to Friday was withdrawn before taking effect;
//! - monthly **last Wednesday** from the March 2024 series (NSE circular of 29-Dec-2023,
//!   effective trade date 01-Mar-2024; first Wednesday monthly 2024-03-27; businesstoday.in,
//!   livemint.com). **Note:** so 2024-06-26 (Wed) *is* the June 2024 monthly, not a weekly;
//! - weekly contracts discontinued after the SEBI circular SEBI/HO/MRD/TPD-1/P/CIR/2024/132 of
//!   01-Oct-2024 (one weekly benchmark per exchange, effective 20-Nov-2024): NSE circular of
//!   10-Oct-2024 — **last BANKNIFTY weekly 2024-11-13** (business-standard.com);
//! - monthly last Thursday from 01-Jan-2025 (NSE circular of 29-Nov-2024;
//!   business-standard.com 30-Nov-2024), last Tuesday from Sep 2025 (as NIFTY above).
//!
//! SENSEX (BSE):
//! - relaunched with weekly Friday expiries on 15-May-2023 (kite-connect.md §8.7; earlier
//!   dates are not supported); monthly last Friday;
//! - weekly Tuesday and monthly last Tuesday from 01-Jan-2025 (BSE circular of 28-Nov-2024),
//!   "as an exception, the weekly contract expiring on 03-Jan-2025 retains its Friday expiry"
//!   (latestly.com, 10-Jan-2025) — so the first Tuesday weekly is 2025-01-07;
//! - weekly Thursday and monthly last Thursday for contracts expiring on or after 2025-09-01
//!   (SEBI circular of 26-May-2025; first Thursday weekly 2025-09-04; kite-connect.md §8.7).
//!
//! Checked against real data: the Kite BFO dump of Sep 2025 (SENSEX 2025-10-01 for the
//! 02-Oct holiday, 2025-12-24 for Christmas; its 2026-03-26 predates the 2026 holiday list,
//! which moves that expiry to 2026-03-25), the NFO/BFO dump of Aug 2026, the NSE option
//! chain of 2025-08-29 (NIFTY 2025-09-02, BANKNIFTY 2025-09-30) and the BANKNIFTY quarterly
//! dates in the NSE circular of 29-Dec-2023 (2024-06-26, 2024-09-25, 2024-12-24).

use super::holidays::MarketCalendar;
use crate::segment::Segment;
use crate::time::const_date;
use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// One expiry date of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Expiry {
    /// The expiry date, already moved back for holidays.
    pub date: NaiveDate,
    /// The month's monthly contract: Kite names it in the monthly form
    /// (`NIFTY24JUN23000CE`) even though it is also that week's weekly (kite-connect.md §8.4).
    pub monthly: bool,
}

/// Expiry calendars of the three segments, with holiday shifts from a [`MarketCalendar`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryCalendar {
    calendar: MarketCalendar,
}

/// Weekly weekday in force from the week starting on a Monday (`None`: no weeklies).
type WeeklyEra = (NaiveDate, Option<Weekday>);
/// Monthly weekday (last such weekday of the month) in force from a month.
type MonthlyEra = ((i32, u32), Weekday);

struct Rules {
    /// No expiry before this date is generated (start of the modelled history).
    supported_from: NaiveDate,
    weekly: &'static [WeeklyEra],
    monthly: &'static [MonthlyEra],
}

use Weekday::{Fri, Thu, Tue, Wed};

const NIFTY: Rules = Rules {
    supported_from: const_date(2019, 2, 11),
    weekly: &[
        (const_date(2019, 2, 11), Some(Thu)),
        (const_date(2025, 9, 1), Some(Tue)),
    ],
    monthly: &[((2019, 1), Thu), ((2025, 9), Tue)],
};

const BANKNIFTY: Rules = Rules {
    supported_from: const_date(2019, 2, 11),
    weekly: &[
        (const_date(2019, 2, 11), Some(Thu)),
        (const_date(2023, 9, 4), Some(Wed)),
        (const_date(2024, 11, 18), None),
    ],
    monthly: &[
        ((2019, 1), Thu),
        ((2024, 3), Wed),
        ((2025, 1), Thu),
        ((2025, 9), Tue),
    ],
};

const SENSEX: Rules = Rules {
    supported_from: const_date(2023, 5, 15),
    weekly: &[
        (const_date(2023, 5, 15), Some(Fri)),
        (const_date(2025, 1, 6), Some(Tue)),
        (const_date(2025, 9, 1), Some(Thu)),
    ],
    monthly: &[((2023, 5), Fri), ((2025, 1), Tue), ((2025, 9), Thu)],
};

/// NSE stock futures and options: monthly only, the last Thursday, the last Tuesday from
/// 2025-09 (the SEBI circular of 26-May-2025 and NSE FAOP68589 cited above moved all NSE
/// derivatives expiries to Tuesday, stock derivatives included).
const STOCK: Rules = Rules {
    supported_from: const_date(2019, 2, 11),
    weekly: &[(const_date(2019, 2, 11), None)],
    monthly: &[((2019, 1), Thu), ((2025, 9), Tue)],
};

fn rules(segment: Segment) -> &'static Rules {
    match segment {
        Segment::Nifty => &NIFTY,
        Segment::BankNifty => &BANKNIFTY,
        Segment::Sensex => &SENSEX,
        Segment::Stock(_) => &STOCK,
    }
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The last `wd` of month `(y, m)` (`None` only for a month outside chrono's range).
fn last_weekday_of_month(y: i32, m: u32, wd: Weekday) -> Option<NaiveDate> {
    let first_next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }?;
    let last = first_next - Duration::days(1);
    let back = (7 + last.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
    Some(last - Duration::days(i64::from(back)))
}

impl Rules {
    fn weekly_weekday(&self, monday: NaiveDate) -> Option<Weekday> {
        self.weekly
            .iter()
            .rev()
            .find(|(from, _)| *from <= monday)
            .and_then(|(_, wd)| *wd)
    }

    fn monthly_weekday(&self, y: i32, m: u32) -> Option<Weekday> {
        self.monthly
            .iter()
            .rev()
            .find(|((fy, fm), _)| (*fy, *fm) <= (y, m))
            .map(|(_, wd)| *wd)
    }

    /// The nominal (unshifted) expiry of the week starting `monday`.
    fn nominal_in_week(&self, monday: NaiveDate) -> Option<Expiry> {
        let sunday = monday + Duration::days(6);
        let supported = self.supported_from;
        for d in [monday, sunday] {
            if let Some(wd) = self.monthly_weekday(d.year(), d.month()) {
                let Some(m) = last_weekday_of_month(d.year(), d.month(), wd) else {
                    continue;
                };
                if (monday..=sunday).contains(&m) {
                    return (m >= supported).then_some(Expiry {
                        date: m,
                        monthly: true,
                    });
                }
            }
        }
        let wd = self.weekly_weekday(monday)?;
        let date = monday + Duration::days(i64::from(wd.num_days_from_monday()));
        (date >= supported).then_some(Expiry {
            date,
            monthly: false,
        })
    }
}

impl ExpiryCalendar {
    /// Expiry rules over the embedded [`MarketCalendar::builtin`].
    pub fn builtin() -> Self {
        Self::new(MarketCalendar::builtin())
    }

    /// Expiry rules with holiday shifts from `calendar`.
    pub fn new(calendar: MarketCalendar) -> Self {
        Self { calendar }
    }

    /// The market calendar used for holiday shifts.
    pub fn calendar(&self) -> &MarketCalendar {
        &self.calendar
    }

    /// The first date for which `segment`'s expiries are modelled (NIFTY, BANKNIFTY
    /// 2019-02-11; SENSEX 2023-05-15, its relaunch).
    pub fn supported_from(&self, segment: Segment) -> NaiveDate {
        rules(segment).supported_from
    }

    /// The nearest expiry on or after `on_or_after` (spec §5; on an expiry day, that day).
    /// `None` only if no expiry is modelled within 10 weeks (before the supported history).
    pub fn next_expiry(&self, segment: Segment, on_or_after: NaiveDate) -> Option<Expiry> {
        self.expiries_in(segment, on_or_after, on_or_after + Duration::weeks(10))
            .into_iter()
            .next()
    }

    /// The nearest expiry strictly after `date` (spec §5: config may skip the expiry day).
    pub fn next_expiry_after(&self, segment: Segment, date: NaiveDate) -> Option<Expiry> {
        self.next_expiry(segment, date + Duration::days(1))
    }

    /// Whether `date` is an expiry day of `segment` (e.g. for a weekly-expiry-day exit).
    pub fn is_expiry_day(&self, segment: Segment, date: NaiveDate) -> bool {
        self.next_expiry(segment, date)
            .is_some_and(|e| e.date == date)
    }

    /// The monthly expiry of `segment` in month `(year, month)`, if modelled.
    pub fn monthly_expiry(&self, segment: Segment, year: i32, month: u32) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let end = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }? - Duration::days(1);
        self.expiries_in(segment, first, end)
            .into_iter()
            .find(|e| e.monthly)
            .map(|e| e.date)
    }

    /// All expiries of `segment` with dates in `from..=to`, in order.
    pub fn expiries_in(&self, segment: Segment, from: NaiveDate, to: NaiveDate) -> Vec<Expiry> {
        if to < from {
            return Vec::new();
        }
        let r = rules(segment);
        let mut out: Vec<Expiry> = Vec::new();
        // A holiday shift moves an expiry back by a few days, possibly into the previous week:
        // start one week early and scan one week past `to`.
        let mut monday = monday_of(from) - Duration::weeks(1);
        let stop = to + Duration::weeks(1);
        while monday <= stop {
            if let Some(nominal) = r.nominal_in_week(monday) {
                let date = self.calendar.on_or_before_regular(nominal.date);
                if (from..=to).contains(&date) {
                    let e = Expiry {
                        date,
                        monthly: nominal.monthly,
                    };
                    match out.iter_mut().find(|x| x.date == date) {
                        Some(x) => x.monthly |= e.monthly,
                        None => out.push(e),
                    }
                }
            }
            monday += Duration::weeks(1);
        }
        out.sort();
        out
    }
}

impl Default for ExpiryCalendar {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests;
