//! The client's settings. `Default` gives the production values of breeze-api.md (real hosts,
//! 100 calls a minute, 5,000 a day, 1,000 candles a request). `config`'s `[breeze]` section
//! maps onto this; no secret lives here (see [`crate::credentials`]).

use crate::codes::Instrument;
use std::collections::BTreeMap;
use std::time::Duration;

/// The `customerdetails` root (breeze-api.md §1): `<api_url>customerdetails`.
pub const DEFAULT_API_URL: &str = "https://api.icicidirect.com/breezeapi/api/v1/";
/// The v2 root (breeze-api.md §2): `<data_url>historicalcharts`.
pub const DEFAULT_DATA_URL: &str = "https://breezeapi.icicidirect.com/api/v2/";

/// Everything the client can be configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct BreezeSettings {
    /// Root of `customerdetails`, ending in `/` (the fake's address in tests).
    pub api_url: String,
    /// Root of v2 `historicalcharts`, ending in `/`.
    pub data_url: String,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Client-side call limits.
    pub limits: LimitSettings,
    /// Retries of transport failures and HTTP 5xx.
    pub retry: RetrySettings,
    /// Weekdays asked per request (2: ≈ 760 one-minute candles, under the 1,000 cap;
    /// breeze-api.md §6). A full answer (the cap reached) is paged on from its last candle.
    pub days_per_request: u32,
    /// Candles per answer at most (1,000, breeze-api.md §2): an answer this long is paged.
    pub max_candles: usize,
    /// Instruments by key (a segment code or a stock symbol, e.g. `RELIANCE`) beyond the
    /// built-in indices ([`crate::codes::builtin`]); an entry here wins over a built-in one.
    pub instruments: BTreeMap<String, Instrument>,
}

impl Default for BreezeSettings {
    fn default() -> Self {
        Self {
            api_url: DEFAULT_API_URL.into(),
            data_url: DEFAULT_DATA_URL.into(),
            request_timeout: Duration::from_secs(10),
            limits: LimitSettings::default(),
            retry: RetrySettings::default(),
            days_per_request: 2,
            max_candles: 1000,
            instruments: BTreeMap::new(),
        }
    }
}

/// Client-side call limits (breeze-api.md §6: "100 API calls per minute and 5000 API calls
/// per day", every endpoint counted).
#[derive(Debug, Clone, PartialEq)]
pub struct LimitSettings {
    /// Calls per minute, evenly spaced after the burst.
    pub per_minute: u32,
    /// Calls that may go back to back before the spacing applies.
    pub burst: u32,
    /// Calls per IST day; the next one is refused with [`crate::BreezeError::RateLimited`].
    pub per_day: u32,
    /// Longest wait for a minute-limit permit before giving up.
    pub max_wait: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            per_minute: 100,
            burst: 10,
            per_day: 5000,
            max_wait: Duration::from_secs(120),
        }
    }
}

/// Exponential backoff of retried calls.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySettings {
    /// Retries after the first attempt (0: none).
    pub max_retries: u32,
    /// First delay.
    pub initial: Duration,
    /// Largest delay.
    pub max_delay: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}
