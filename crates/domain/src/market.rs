//! Market data: ticks, 1-minute bars, timeframe candles (spec §3, §9).

use crate::time::IstDateTime;
use chrono::TimeDelta;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One trade/LTP update of an instrument.
///
/// `token` is the Kite `instrument_token` (index tokens per [`crate::Segment::index_token`]).
/// In replay, index ticks are synthesized from 1-minute bars (spec §3.1 rule 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    /// Kite instrument token.
    pub token: u32,
    /// Exchange timestamp, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub ts: IstDateTime,
    /// Last traded price, ₹ (index points for an index).
    pub price: Decimal,
    /// Traded quantity of this tick (units), where the source has it.
    pub volume: Option<u64>,
}

/// One OHLCV bar as stored in the catalog (spec §9): label = bar start, IST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// Bar start (label), IST.
    #[serde(with = "crate::time::serde_ist")]
    pub ts: IstDateTime,
    /// Open, ₹.
    pub open: Decimal,
    /// High, ₹.
    pub high: Decimal,
    /// Low, ₹.
    pub low: Decimal,
    /// Close, ₹.
    pub close: Decimal,
    /// Volume in units; `None` where the source has none (all index series).
    pub volume: Option<u64>,
}

/// A candle timeframe, a whole number of minutes (spec §3: 1m, 3m, 5m, 15m, 30m, 1h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timeframe {
    minutes: u32,
}

impl Timeframe {
    /// One minute, the catalog's base timeframe.
    pub const ONE_MINUTE: Timeframe = Timeframe { minutes: 1 };

    /// Five minutes (the default signal timeframe of spec §4.2).
    pub const FIVE_MINUTES: Timeframe = Timeframe { minutes: 5 };

    /// A timeframe of `minutes` (1..=375).
    pub fn from_minutes(minutes: u32) -> Result<Self, TimeframeError> {
        if (1..=375).contains(&minutes) {
            Ok(Self { minutes })
        } else {
            Err(TimeframeError(format!("{minutes}m")))
        }
    }

    /// Length in minutes.
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// Length as a duration.
    pub fn duration(self) -> TimeDelta {
        TimeDelta::minutes(self.minutes as i64)
    }

    /// Start of the bucket containing `t`, aligned to the 09:15 session open
    /// (bucket = 09:15 + k·timeframe, spec §3.1 rule 3). Times before 09:15 map to 09:15.
    pub fn bucket_start(self, t: &IstDateTime) -> IstDateTime {
        let open = crate::time::SESSION_OPEN;
        let since = (t.time() - open).num_seconds().max(0);
        let k = since / (self.minutes as i64 * 60);
        let start = open + TimeDelta::seconds(k * self.minutes as i64 * 60);
        crate::time::ist(t.date_naive(), start)
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minutes.is_multiple_of(60) {
            write!(f, "{}h", self.minutes / 60)
        } else {
            write!(f, "{}m", self.minutes)
        }
    }
}

/// Error for a timeframe string that is not `<n>m` or `<n>h` within a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timeframe `{0}` (expected e.g. 1m, 3m, 5m, 15m, 30m, 1h)")]
pub struct TimeframeError(pub String);

impl FromStr for Timeframe {
    type Err = TimeframeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let err = || TimeframeError(s.to_string());
        let (num, mult) = if let Some(n) = t.strip_suffix("min") {
            (n, 1)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, 1)
        } else if let Some(n) = t.strip_suffix('h') {
            (n, 60)
        } else {
            return Err(err());
        };
        let n: u32 = num.trim().parse().map_err(|_| err())?;
        Timeframe::from_minutes(n * mult).map_err(|_| err())
    }
}

impl Serialize for Timeframe {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timeframe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A completed (or forming) timeframe candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Bucket start, IST.
    #[serde(with = "crate::time::serde_ist")]
    pub start: IstDateTime,
    /// Timeframe.
    pub timeframe: Timeframe,
    /// Open, ₹/points.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
    /// Summed volume where the ticks carried any.
    pub volume: Option<u64>,
}

impl Candle {
    /// Bucket end (exclusive): `start + timeframe`.
    pub fn end(&self) -> IstDateTime {
        self.start + self.timeframe.duration()
    }

    /// Green: `close > open` (spec §4.2).
    pub fn is_green(&self) -> bool {
        self.close > self.open
    }

    /// Red: `close < open`. A doji (`close == open`) is neither (spec §3.1 rule 5).
    pub fn is_red(&self) -> bool {
        self.close < self.open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ist_hms;
    use chrono::NaiveDate;

    #[test]
    fn timeframe_parse_and_buckets() {
        let tf: Timeframe = "5m".parse().unwrap();
        assert_eq!(tf.minutes(), 5);
        assert_eq!("1h".parse::<Timeframe>().unwrap().minutes(), 60);
        assert!("7x".parse::<Timeframe>().is_err());
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        assert_eq!(
            tf.bucket_start(&ist_hms(d, 9, 19, 59)),
            ist_hms(d, 9, 15, 0)
        );
        assert_eq!(tf.bucket_start(&ist_hms(d, 9, 20, 0)), ist_hms(d, 9, 20, 0));
        let h: Timeframe = "1h".parse().unwrap();
        assert_eq!(
            h.bucket_start(&ist_hms(d, 15, 29, 0)),
            ist_hms(d, 15, 15, 0)
        );
    }
}
