//! Exchange calendars: trading days and holidays ([`MarketCalendar`]), option expiries
//! ([`ExpiryCalendar`]) and contract lot sizes ([`LotSizes`]).
//!
//! These are the replay-mode facts of spec §5 and §7. In live and paper mode the Kite
//! instruments dump is authoritative for expiries and lot sizes (kite-connect.md §8.6, §8.7:
//! "never compute expiry from the weekday"); these tables are what replay uses, and what live
//! mode cross-checks the dump against.
//!
//! Every rule carries the source it was taken from in its doc comment; the tables and their
//! sources are collected in `docs/reference-data.md`.
//!
//! Coverage: the embedded holiday lists cover **2024–2026** ([`MarketCalendar::covers`]).
//! Outside those years only weekends are known to be closed, so callers should warn when a
//! date is not covered.

pub mod expiry;
pub mod holidays;
pub mod lot_size;

pub use expiry::{Expiry, ExpiryCalendar};
pub use holidays::{CalendarError, MarketCalendar, SpecialSession, parse_holiday_list};
pub use lot_size::{LotSizeEntry, LotSizeError, LotSizes};

/// Serde adapter for [`chrono::NaiveDate`] fields in config files.
///
/// Accepts both a quoted ISO date (`effective_from = "2024-10-01"`) and a TOML local date
/// (`effective_from = 2024-10-01`, which the `toml` crate hands over as a one-entry map that
/// chrono's own `Deserialize` rejects). Serializes as `YYYY-MM-DD`.
///
/// Use as `#[serde(with = "domain::calendar::serde_date")]`.
pub mod serde_date {
    use chrono::NaiveDate;
    use serde::de::{self, MapAccess, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;

    /// Serialize as `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.format("%Y-%m-%d"))
    }

    /// Parse `YYYY-MM-DD` from a string or a TOML local date.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        d.deserialize_any(DateVisitor)
    }

    struct DateVisitor;

    impl<'de> Visitor<'de> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date `YYYY-MM-DD`")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<NaiveDate, E> {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map_err(|e| E::custom(format!("invalid date `{v}`: {e} (expected YYYY-MM-DD)")))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NaiveDate, A::Error> {
            // TOML datetimes arrive as `{ "$__toml_private_datetime": "2024-10-01" }`.
            let Some((_key, value)) = map.next_entry::<String, String>()? else {
                return Err(de::Error::custom("empty value where a date was expected"));
            };
            if value.len() != 10 {
                return Err(de::Error::custom(format!(
                    "`{value}` is not a plain date (expected YYYY-MM-DD without a time)"
                )));
            }
            self.visit_str(&value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::serde_date;
    use chrono::NaiveDate;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct D {
        #[serde(with = "serde_date")]
        d: NaiveDate,
    }

    #[test]
    fn serde_date_accepts_string_and_toml_date() {
        let want = NaiveDate::from_ymd_opt(2024, 10, 1).unwrap();
        let a: D = toml::from_str("d = \"2024-10-01\"").unwrap();
        let b: D = toml::from_str("d = 2024-10-01").unwrap();
        let c: D = serde_json::from_str(r#"{"d":"2024-10-01"}"#).unwrap();
        assert_eq!((a.d, b.d, c.d), (want, want, want));
        assert!(toml::from_str::<D>("d = 2024-10-01T09:15:00").is_err());
        assert!(toml::from_str::<D>("d = \"01-10-2024\"").is_err());
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"d":"2024-10-01"}"#);
    }
}
