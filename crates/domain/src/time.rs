//! IST time. India has one timezone (UTC+05:30, no DST); every timestamp in the engine is a
//! [`IstDateTime`] in `Asia/Kolkata`, printed as ISO-8601 with `+05:30`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::Tz;

/// The exchange timezone, `Asia/Kolkata`.
pub const IST: Tz = chrono_tz::Asia::Kolkata;

/// A timezone-aware IST timestamp.
pub type IstDateTime = DateTime<Tz>;

/// IST timestamp of a local date and time. Since 1945 IST is UTC+05:30 with no DST, so every
/// local time maps to exactly one instant; a local time the time-zone database does not map
/// (none in the modelled years) is read at +05:30.
pub fn ist(date: NaiveDate, time: NaiveTime) -> IstDateTime {
    let local = NaiveDateTime::new(date, time);
    IST.from_local_datetime(&local)
        .earliest()
        .unwrap_or_else(|| IST.from_utc_datetime(&(local - TimeDelta::minutes(330))))
}

/// IST timestamp from date and `h:m:s`, for literal times in tests and constants.
///
/// # Panics
/// On an invalid time of day (`h > 23`, `m > 59`, `s > 59`): a programming error in a literal.
#[allow(
    clippy::expect_used,
    reason = "a literal-time helper: an invalid literal is a bug at the call site"
)]
pub fn ist_hms(date: NaiveDate, h: u32, m: u32, s: u32) -> IstDateTime {
    ist(
        date,
        NaiveTime::from_hms_opt(h, m, s).expect("valid time of day"),
    )
}

/// `HH:MM:SS` time of day, for literal times in tests and constants.
///
/// # Panics
/// On an invalid time of day (`h > 23`, `m > 59`, `s > 59`): a programming error in a literal.
#[allow(
    clippy::expect_used,
    reason = "a literal-time helper: an invalid literal is a bug at the call site"
)]
pub fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).expect("valid time of day")
}

/// A time-of-day constant, for `const` items only: evaluated at compile time, an invalid
/// time fails the build (never a run-time panic).
pub(crate) const fn const_time(h: u32, m: u32, s: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, s) {
        Some(t) => t,
        None => panic!("invalid time-of-day constant"),
    }
}

/// A date constant, for `const` items only: evaluated at compile time, an invalid date fails
/// the build (never a run-time panic).
pub(crate) const fn const_date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(x) => x,
        None => panic!("invalid date constant"),
    }
}

/// 09:15 IST, [`session_open`] as a constant.
pub(crate) const SESSION_OPEN: NaiveTime = const_time(9, 15, 0);
/// 15:30 IST, [`session_close`] as a constant.
pub(crate) const SESSION_CLOSE: NaiveTime = const_time(15, 30, 0);

/// ISO-8601 with seconds and a `+05:30` offset, e.g. `2024-06-03T09:15:00+05:30` (the journal and
/// catalog format, spec §9, §11).
pub fn fmt_iso(t: &IstDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Parse an ISO-8601 timestamp with an explicit offset (e.g. `+05:30`) into IST.
pub fn parse_iso(s: &str) -> Result<IstDateTime, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&IST))
}

/// Regular NSE/BSE continuous session open, 09:15 IST (kite-connect.md §8.1).
pub fn session_open() -> NaiveTime {
    SESSION_OPEN
}

/// Regular session close, 15:30 IST (kite-connect.md §8.1).
pub fn session_close() -> NaiveTime {
    SESSION_CLOSE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trip() {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let t = ist_hms(d, 9, 15, 0);
        assert_eq!(fmt_iso(&t), "2024-06-03T09:15:00+05:30");
        assert_eq!(parse_iso("2024-06-03T09:15:00+05:30").unwrap(), t);
        assert_eq!(parse_iso("2024-06-03T03:45:00Z").unwrap(), t);
    }
}

/// Serde adapter for [`IstDateTime`] fields: ISO-8601 with offset out, any RFC 3339 offset in
/// (converted to IST). Use as `#[serde(with = "domain::time::serde_ist")]`.
pub mod serde_ist {
    use super::{IstDateTime, fmt_iso, parse_iso};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize as `2024-06-03T09:15:00+05:30`.
    pub fn serialize<S: Serializer>(t: &IstDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fmt_iso(t))
    }

    /// Parse RFC 3339 into IST.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IstDateTime, D::Error> {
        let s = String::deserialize(d)?;
        parse_iso(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for `Option<IstDateTime>` fields (`null` or the [`serde_ist`] form). Use as
/// `#[serde(with = "domain::time::serde_ist_opt", default)]`.
pub mod serde_ist_opt {
    use super::{IstDateTime, fmt_iso, parse_iso};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize as `null` or `2024-06-03T09:15:00+05:30`.
    pub fn serialize<S: Serializer>(t: &Option<IstDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&fmt_iso(t)),
            None => s.serialize_none(),
        }
    }

    /// Parse `null` or RFC 3339 into IST.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IstDateTime>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse_iso(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
