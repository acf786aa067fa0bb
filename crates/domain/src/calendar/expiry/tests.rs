//! Unit tests of the expiry calendar against spec examples and Kite dumps, per segment and year, and their invariants.

use super::*;
#[allow(non_upper_case_globals)]
const Nifty: Segment = Segment::Nifty;
#[allow(non_upper_case_globals)]
const BankNifty: Segment = Segment::BankNifty;
#[allow(non_upper_case_globals)]
const Sensex: Segment = Segment::Sensex;

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
