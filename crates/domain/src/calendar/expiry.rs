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

fn rules(segment: Segment) -> &'static Rules {
    match segment {
        Segment::Nifty => &NIFTY,
        Segment::BankNifty => &BANKNIFTY,
        Segment::Sensex => &SENSEX,
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
mod tests {
    use super::*;
    use Segment::{BankNifty, Nifty, Sensex};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dates(v: &[Expiry]) -> Vec<NaiveDate> {
        v.iter().map(|e| e.date).collect()
    }

    fn monthly(v: &[Expiry]) -> Vec<NaiveDate> {
        v.iter().filter(|e| e.monthly).map(|e| e.date).collect()
    }

    #[test]
    fn last_weekday_helper() {
        assert_eq!(last_weekday_of_month(2024, 6, Thu).unwrap(), d(2024, 6, 27));
        assert_eq!(last_weekday_of_month(2024, 6, Wed).unwrap(), d(2024, 6, 26));
        assert_eq!(
            last_weekday_of_month(2024, 12, Wed).unwrap(),
            d(2024, 12, 25)
        );
        assert_eq!(last_weekday_of_month(2025, 9, Tue).unwrap(), d(2025, 9, 30));
        assert_eq!(last_weekday_of_month(2024, 2, Thu).unwrap(), d(2024, 2, 29));
    }

    #[test]
    fn nifty_2024_all_weekly_expiries() {
        let c = ExpiryCalendar::builtin();
        let got = c.expiries_in(Nifty, d(2024, 1, 1), d(2024, 12, 31));
        // Every Thursday of 2024, except the two Thursday holidays, shifted to Wednesday:
        // 2024-04-11 (Id-ul-Fitr) → 04-10 and 2024-08-15 (Independence Day) → 08-14.
        let mut want = Vec::new();
        let mut t = d(2024, 1, 4);
        while t.year() == 2024 {
            want.push(match t {
                x if x == d(2024, 4, 11) => d(2024, 4, 10),
                x if x == d(2024, 8, 15) => d(2024, 8, 14),
                x => x,
            });
            t += Duration::weeks(1);
        }
        assert_eq!(dates(&got), want);
        assert_eq!(got.len(), 52);
        // Monthly = last Thursday of each month (none of them a holiday in 2024).
        let months: Vec<NaiveDate> = (1..=12)
            .map(|m| last_weekday_of_month(2024, m, Thu).unwrap())
            .collect();
        assert_eq!(monthly(&got), months);
    }

    #[test]
    fn spec_examples_2024() {
        let c = ExpiryCalendar::builtin();
        let e = c.next_expiry(Nifty, d(2024, 6, 3)).unwrap();
        assert_eq!(
            e,
            Expiry {
                date: d(2024, 6, 6),
                monthly: false
            }
        );
        let e = c.next_expiry(BankNifty, d(2024, 6, 3)).unwrap();
        assert_eq!(
            e,
            Expiry {
                date: d(2024, 6, 5),
                monthly: false
            }
        );
        // On the expiry day itself, that day.
        assert_eq!(
            c.next_expiry(Nifty, d(2024, 6, 6)).unwrap().date,
            d(2024, 6, 6)
        );
        assert_eq!(
            c.next_expiry_after(Nifty, d(2024, 6, 6)).unwrap().date,
            d(2024, 6, 13)
        );
        // Holiday shifts.
        assert_eq!(
            c.next_expiry(Nifty, d(2024, 4, 8)).unwrap().date,
            d(2024, 4, 10)
        );
        assert_eq!(
            c.next_expiry(BankNifty, d(2024, 4, 15)).unwrap().date,
            d(2024, 4, 16)
        );
        assert_eq!(
            c.next_expiry(Nifty, d(2024, 8, 12)).unwrap().date,
            d(2024, 8, 14)
        );
        // Week of Holi (03-25) and Good Friday (03-29): Thursday 03-28 is open, and monthly.
        assert_eq!(
            c.next_expiry(Nifty, d(2024, 3, 26)).unwrap(),
            Expiry {
                date: d(2024, 3, 28),
                monthly: true
            }
        );
        // Monthly flags in June 2024: NIFTY last Thursday; BANKNIFTY last *Wednesday* (its
        // monthly moved to Wednesday from the March 2024 series, NSE circular 29-Dec-2023).
        assert_eq!(
            c.next_expiry(Nifty, d(2024, 6, 24)).unwrap(),
            Expiry {
                date: d(2024, 6, 27),
                monthly: true
            }
        );
        assert_eq!(
            c.next_expiry(BankNifty, d(2024, 6, 24)).unwrap(),
            Expiry {
                date: d(2024, 6, 26),
                monthly: true
            }
        );
        assert!(!c.next_expiry(Nifty, d(2024, 6, 20)).unwrap().monthly);
    }

    #[test]
    fn banknifty_2024_weeklies_then_monthly_only() {
        let c = ExpiryCalendar::builtin();
        let got = c.expiries_in(BankNifty, d(2024, 1, 1), d(2024, 12, 31));
        let ds = dates(&got);
        // Jan–Feb 2024: Wednesday weeklies, no Wednesday weekly in the monthly week, monthly on
        // the last Thursday (01-25, 02-29); the Wednesday after the January monthly (01-31)
        // is a weekly.
        assert_eq!(
            &ds[..9],
            &[
                d(2024, 1, 3),
                d(2024, 1, 10),
                d(2024, 1, 17),
                d(2024, 1, 25),
                d(2024, 1, 31),
                d(2024, 2, 7),
                d(2024, 2, 14),
                d(2024, 2, 21),
                d(2024, 2, 29),
            ]
        );
        // Wednesday holidays move to Tuesday.
        for (holiday, shifted) in [
            (d(2024, 4, 17), d(2024, 4, 16)),
            (d(2024, 5, 1), d(2024, 4, 30)),
            (d(2024, 7, 17), d(2024, 7, 16)),
            (d(2024, 10, 2), d(2024, 10, 1)),
        ] {
            assert!(!ds.contains(&holiday));
            assert!(ds.contains(&shifted), "{shifted}");
        }
        // Monthlies: last Thursday for Jan/Feb, last Wednesday from March (Dec 25 → 24),
        // matching the quarterly dates of the NSE circular of 29-Dec-2023.
        assert_eq!(
            monthly(&got),
            vec![
                d(2024, 1, 25),
                d(2024, 2, 29),
                d(2024, 3, 27),
                d(2024, 4, 24),
                d(2024, 5, 29),
                d(2024, 6, 26),
                d(2024, 7, 31),
                d(2024, 8, 28),
                d(2024, 9, 25),
                d(2024, 10, 30),
                d(2024, 11, 27),
                d(2024, 12, 24),
            ]
        );
        // Last weekly 2024-11-13; then monthly only.
        let tail: Vec<NaiveDate> = ds
            .iter()
            .copied()
            .filter(|x| *x >= d(2024, 11, 1))
            .collect();
        assert_eq!(
            tail,
            vec![
                d(2024, 11, 6),
                d(2024, 11, 13),
                d(2024, 11, 27),
                d(2024, 12, 24)
            ]
        );
        assert_eq!(
            c.next_expiry(BankNifty, d(2024, 11, 14)).unwrap().date,
            d(2024, 11, 27)
        );
        // The futures sample of shared/data: Aug-2024 BANKNIFTY series expires 2024-08-28.
        assert_eq!(c.monthly_expiry(BankNifty, 2024, 8), Some(d(2024, 8, 28)));
    }

    #[test]
    fn banknifty_2023_switch_to_wednesday() {
        let c = ExpiryCalendar::builtin();
        let got = dates(&c.expiries_in(BankNifty, d(2023, 8, 21), d(2023, 9, 30)));
        // Holidays are not known for 2023 (no shift); Sep 28 (Thu) is the monthly.
        assert_eq!(
            got,
            vec![
                d(2023, 8, 24),
                d(2023, 8, 31),
                d(2023, 9, 6),
                d(2023, 9, 13),
                d(2023, 9, 20),
                d(2023, 9, 28),
            ]
        );
    }

    #[test]
    fn banknifty_2025_monthlies() {
        let c = ExpiryCalendar::builtin();
        let m: Vec<NaiveDate> = (1..=12)
            .filter_map(|mo| c.monthly_expiry(BankNifty, 2025, mo))
            .collect();
        assert_eq!(
            m,
            vec![
                d(2025, 1, 30),
                d(2025, 2, 27),
                d(2025, 3, 27),
                d(2025, 4, 24),
                d(2025, 5, 29),
                d(2025, 6, 26),
                d(2025, 7, 31),
                d(2025, 8, 28),
                d(2025, 9, 30),
                d(2025, 10, 28),
                d(2025, 11, 25),
                d(2025, 12, 30),
            ]
        );
        // The NSE option chain of 2025-08-29: nearest BANKNIFTY expiry 2025-09-30.
        assert_eq!(
            c.next_expiry(BankNifty, d(2025, 8, 29)).unwrap(),
            Expiry {
                date: d(2025, 9, 30),
                monthly: true
            }
        );
        // Only monthlies: every expiry is monthly.
        assert!(
            c.expiries_in(BankNifty, d(2025, 1, 1), d(2026, 12, 31))
                .iter()
                .all(|e| e.monthly)
        );
    }

    #[test]
    fn nifty_tuesday_switch_2025() {
        let c = ExpiryCalendar::builtin();
        let got = c.expiries_in(Nifty, d(2025, 8, 18), d(2025, 10, 31));
        assert_eq!(
            dates(&got),
            vec![
                d(2025, 8, 21),
                d(2025, 8, 28), // last Thursday monthly
                d(2025, 9, 2),  // first Tuesday weekly
                d(2025, 9, 9),
                d(2025, 9, 16),
                d(2025, 9, 23),
                d(2025, 9, 30), // monthly
                d(2025, 10, 7),
                d(2025, 10, 14),
                d(2025, 10, 20), // Tue 10-21 Diwali → Mon 10-20
                d(2025, 10, 28), // monthly
            ]
        );
        assert_eq!(
            monthly(&got),
            vec![d(2025, 8, 28), d(2025, 9, 30), d(2025, 10, 28)]
        );
        // The NSE option chain of 2025-08-29 lists 2025-09-02 as the nearest.
        assert_eq!(
            c.next_expiry(Nifty, d(2025, 8, 29)).unwrap().date,
            d(2025, 9, 2)
        );
        // 2025-05-01 (Thu, Maharashtra Day) → Wed 04-30, after April's monthly (04-24).
        assert_eq!(
            c.next_expiry(Nifty, d(2025, 4, 25)).unwrap(),
            Expiry {
                date: d(2025, 4, 30),
                monthly: false
            }
        );
        // 2025-04-10 (Thu, Mahavir Jayanti) → 04-09.
        assert_eq!(
            c.next_expiry(Nifty, d(2025, 4, 7)).unwrap().date,
            d(2025, 4, 9)
        );
    }

    #[test]
    fn nifty_2026_matches_kite_dump() {
        // shared/data/kite-instruments/instruments_nfo_bfo_2026-08.csv.gz (NIFTY option expiries).
        let c = ExpiryCalendar::builtin();
        let got = c.expiries_in(Nifty, d(2026, 8, 18), d(2026, 9, 15));
        assert_eq!(
            dates(&got),
            vec![
                d(2026, 8, 18),
                d(2026, 8, 25),
                d(2026, 9, 1),
                d(2026, 9, 8),
                d(2026, 9, 15)
            ]
        );
        assert_eq!(c.monthly_expiry(Nifty, 2026, 9), Some(d(2026, 9, 29)));
        assert_eq!(c.monthly_expiry(Nifty, 2026, 10), Some(d(2026, 10, 27)));
        assert_eq!(c.monthly_expiry(Nifty, 2026, 12), Some(d(2026, 12, 29)));
        assert_eq!(c.monthly_expiry(BankNifty, 2026, 8), Some(d(2026, 8, 25)));
        // Tuesday holidays of 2026 move to Monday.
        assert_eq!(
            c.next_expiry(Nifty, d(2026, 3, 2)).unwrap().date,
            d(2026, 3, 2)
        );
        assert_eq!(c.monthly_expiry(Nifty, 2026, 3), Some(d(2026, 3, 30)));
    }

    #[test]
    fn sensex_history() {
        let c = ExpiryCalendar::builtin();
        assert_eq!(
            c.next_expiry(Sensex, d(2023, 5, 10)).unwrap().date,
            d(2023, 5, 19)
        );
        // 2024 Friday weeklies and holiday shifts.
        for (on, want, m) in [
            (d(2024, 6, 3), d(2024, 6, 7), false),
            (d(2024, 6, 24), d(2024, 6, 28), true),
            (d(2024, 1, 22), d(2024, 1, 25), true), // Fri 01-26 Republic Day (monthly)
            (d(2024, 3, 4), d(2024, 3, 7), false),  // Fri 03-08 Mahashivratri
            (d(2024, 3, 26), d(2024, 3, 28), true), // Fri 03-29 Good Friday (monthly)
            (d(2024, 10, 28), d(2024, 10, 31), false), // Fri 11-01 Diwali
            (d(2024, 11, 11), d(2024, 11, 14), false), // Fri 11-15 Guru Nanak
        ] {
            assert_eq!(
                c.next_expiry(Sensex, on).unwrap(),
                Expiry {
                    date: want,
                    monthly: m
                },
                "{on}"
            );
        }
        // January 2025: the 01-03 Friday weekly kept its day, then Tuesdays, monthly 01-28.
        let jan = c.expiries_in(Sensex, d(2024, 12, 23), d(2025, 2, 4));
        assert_eq!(
            dates(&jan),
            vec![
                d(2024, 12, 27),
                d(2025, 1, 3),
                d(2025, 1, 7),
                d(2025, 1, 14),
                d(2025, 1, 21),
                d(2025, 1, 28),
                d(2025, 2, 4),
            ]
        );
        assert_eq!(monthly(&jan), vec![d(2024, 12, 27), d(2025, 1, 28)]);
        // September 2025: last Tuesday monthly 08-26, first Thursday weekly 09-04.
        let sep = c.expiries_in(Sensex, d(2025, 8, 25), d(2025, 9, 30));
        assert_eq!(
            dates(&sep),
            vec![
                d(2025, 8, 26),
                d(2025, 9, 4),
                d(2025, 9, 11),
                d(2025, 9, 18),
                d(2025, 9, 25)
            ]
        );
        assert_eq!(monthly(&sep), vec![d(2025, 8, 26), d(2025, 9, 25)]);
    }

    #[test]
    fn sensex_matches_kite_bfo_dumps() {
        let c = ExpiryCalendar::builtin();
        // instruments_bfo_2025-09.csv.gz: weekly/monthly SENSEX expiries from 2025-09-11.
        let got = c.expiries_in(Sensex, d(2025, 9, 11), d(2025, 10, 30));
        assert_eq!(
            dates(&got),
            vec![
                d(2025, 9, 11),
                d(2025, 9, 18),
                d(2025, 9, 25),
                d(2025, 10, 1), // Thu 10-02 Gandhi Jayanti
                d(2025, 10, 9),
                d(2025, 10, 16),
                d(2025, 10, 23),
                d(2025, 10, 30),
            ]
        );
        assert_eq!(c.monthly_expiry(Sensex, 2025, 11), Some(d(2025, 11, 27)));
        assert_eq!(c.monthly_expiry(Sensex, 2025, 12), Some(d(2025, 12, 24)));
        // The Sep-2025 dump lists 2026-03-26, the last Thursday; it predates the 2026 holiday
        // list, which made 26-Mar-2026 (Ram Navami) a holiday, so the expiry moves to 03-25.
        assert_eq!(c.monthly_expiry(Sensex, 2026, 3), Some(d(2026, 3, 25)));
        assert_eq!(c.monthly_expiry(Sensex, 2026, 12), Some(d(2026, 12, 31)));
        // instruments_nfo_bfo_2026-08.csv.gz.
        let got = c.expiries_in(Sensex, d(2026, 8, 20), d(2026, 10, 1));
        assert_eq!(
            dates(&got),
            vec![
                d(2026, 8, 20),
                d(2026, 8, 27),
                d(2026, 9, 3),
                d(2026, 9, 10),
                d(2026, 9, 17),
                d(2026, 9, 24),
                d(2026, 10, 1),
            ]
        );
        assert_eq!(monthly(&got), vec![d(2026, 8, 27), d(2026, 9, 24)]);
    }

    #[test]
    fn nifty_2022_11_replay_sample() {
        // shared/data/nfo-ticks-2022-11-18: the 2022-11-24 expiry is that month's monthly.
        let c = ExpiryCalendar::builtin();
        assert_eq!(
            c.next_expiry(Nifty, d(2022, 11, 18)).unwrap(),
            Expiry {
                date: d(2022, 11, 24),
                monthly: true
            }
        );
        assert_eq!(
            c.next_expiry(BankNifty, d(2022, 11, 18)).unwrap().date,
            d(2022, 11, 24)
        );
    }

    #[test]
    fn unsupported_history_and_empty_ranges() {
        let c = ExpiryCalendar::builtin();
        assert!(
            c.expiries_in(Sensex, d(2023, 1, 1), d(2023, 5, 14))
                .is_empty()
        );
        assert!(c.next_expiry(Sensex, d(2020, 1, 1)).is_none());
        assert!(
            c.expiries_in(Nifty, d(2024, 6, 10), d(2024, 6, 9))
                .is_empty()
        );
        assert!(c.is_expiry_day(Nifty, d(2024, 6, 6)));
        assert!(!c.is_expiry_day(Nifty, d(2024, 6, 5)));
        assert!(c.is_expiry_day(BankNifty, d(2024, 6, 5)));
    }

    #[test]
    fn expiries_are_trading_days_and_one_per_week() {
        let c = ExpiryCalendar::builtin();
        for seg in Segment::ALL {
            let all = c.expiries_in(seg, d(2024, 1, 1), d(2026, 12, 31));
            for w in all.windows(2) {
                assert!(w[0].date < w[1].date);
            }
            for e in &all {
                assert!(
                    c.calendar().is_regular_trading_day(e.date),
                    "{seg} {}",
                    e.date
                );
            }
            // Exactly one monthly per month.
            for y in 2024..=2026 {
                for m in 1..=12 {
                    let n = all
                        .iter()
                        .filter(|e| e.monthly && e.date.year() == y && e.date.month() == m)
                        .count();
                    assert_eq!(n, 1, "{seg} {y}-{m}");
                }
            }
        }
    }
}
