//! Adapter settings: the `[kite]` table of the engine's TOML config (see
//! `config/kite.example.toml`). Unknown keys are an error (spec §14). No secrets live here:
//! the API key, secret and access token come from the environment or the session file
//! ([`crate::session`]).

use crate::convert::{round_down_to_tick, round_up_to_tick};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the adapter can be configured with. `Default` gives the production values of
/// kite-connect.md (real Kite hosts, its rate limits, 7 s timeouts).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KiteSettings {
    /// REST root, no path (kite-connect.md §1). Point it at the simulator or a test double.
    pub api_base_url: String,
    /// WebSocket ticker URL without query (kite-connect.md §7.1).
    pub ticker_url: String,
    /// Session file written by `login` (spec §10.5); `~` expands to `$HOME`.
    /// `None`: [`crate::session::default_session_path`].
    pub session_file: Option<PathBuf>,
    /// Where the day's instruments dumps are cached as CSV (one file per exchange per date).
    pub instruments_cache_dir: PathBuf,
    /// Whole-request timeout of a REST call, milliseconds (official clients: 7 s, kite-connect.md §1).
    /// A placement that times out is settled by tag, never re-sent.
    pub request_timeout_ms: u64,
    /// Rate limits (kite-connect.md §5).
    pub rate_limits: RateLimitSettings,
    /// Retries of reads (GETs) and cancels.
    pub retry: RetrySettings,
    /// Order placement policy.
    pub orders: OrderSettings,
    /// Ticker feed.
    pub feed: FeedSettings,
    /// Expected contract lot size per segment code (`NIFTY`, `BANKNIFTY`, `SENSEX`) from the
    /// engine config; the instruments dump must agree or trading is refused (spec §5).
    pub lot_sizes: BTreeMap<String, u32>,
    /// Expected strike step per segment code, index points; checked against the dump.
    pub strike_steps: BTreeMap<String, Decimal>,
    /// The broker-side protective SL order (`[kite.protective_stop]`, spec §10.3).
    pub protective_stop: ProtectiveStopConfig,
}

impl Default for KiteSettings {
    fn default() -> Self {
        Self {
            api_base_url: kiteconnect::DEFAULT_BASE_URL.to_string(),
            ticker_url: kiteconnect::DEFAULT_TICKER_URL.to_string(),
            session_file: None,
            instruments_cache_dir: PathBuf::from("artifacts/cache/instruments"),
            request_timeout_ms: 7_000,
            rate_limits: RateLimitSettings::default(),
            retry: RetrySettings::default(),
            orders: OrderSettings::default(),
            feed: FeedSettings::default(),
            lot_sizes: BTreeMap::new(),
            strike_steps: BTreeMap::new(),
            protective_stop: ProtectiveStopConfig::default(),
        }
    }
}

impl KiteSettings {
    /// [`Self::request_timeout_ms`] as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// Client-side rate limits, the conservative set of kite-connect.md §5.2.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Order placements per second (10).
    pub orders_per_second: u32,
    /// Order placements per minute (200).
    pub orders_per_minute: u32,
    /// Order placements per IST day (3000).
    pub orders_per_day: u32,
    /// `/quote`, `/quote/ohlc`, `/quote/ltp` requests per second (1).
    pub quote_per_second: u32,
    /// Historical-candle requests per second (3).
    pub historical_per_second: u32,
    /// Every other request (modify, cancel, order book, positions …) per second (10).
    pub other_per_second: u32,
    /// First pause after an HTTP 429, milliseconds; doubles per further 429.
    pub backoff_initial_ms: u64,
    /// Longest pause after repeated 429s, milliseconds.
    pub backoff_max_ms: u64,
    /// Longest a request waits for a limiter permit before failing with `RateLimited`, ms.
    pub max_wait_ms: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            orders_per_second: 10,
            orders_per_minute: 200,
            orders_per_day: 3000,
            quote_per_second: 1,
            historical_per_second: 3,
            other_per_second: 10,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 30_000,
            max_wait_ms: 5_000,
        }
    }
}

/// Retries of requests that are safe to repeat (GETs, cancels), with exponential backoff and
/// jitter (kite-connect.md §4 "Retry rules"). Order placement and modification are never retried.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrySettings {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// First delay, milliseconds.
    pub min_delay_ms: u64,
    /// Longest delay, milliseconds.
    pub max_delay_ms: u64,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay_ms: 250,
            max_delay_ms: 4_000,
        }
    }
}

/// How an engine `Market` order is sent (spec §10.2, kite-connect.md §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MarketOrderStyle {
    /// A `LIMIT` order priced through the touch: BUY at best ask (else LTP) plus
    /// `limit_buffer_pct`, rounded up to the tick; SELL at best bid (else LTP) minus it,
    /// rounded down. The default: the worst price is known before sending.
    #[default]
    Limit,
    /// A `MARKET` order with `market_protection` (mandatory since April 2026; 0 is refused).
    Market,
}

/// Order placement policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderSettings {
    /// How engine market orders are sent.
    pub market_order_style: MarketOrderStyle,
    /// Buffer through the touch for [`MarketOrderStyle::Limit`], percent of the price.
    pub limit_buffer_pct: Decimal,
    /// `market_protection` for [`MarketOrderStyle::Market`]: `-1` automatic, `1..=100` percent.
    pub market_protection: i32,
    /// A touch/LTP older than this is not used to price a limit; a `/quote` call is made instead.
    pub max_quote_age_ms: u64,
    /// How often open orders are re-read (order history) while any is open, milliseconds.
    pub poll_interval_ms: u64,
    /// An unsettled placement (timeout, 5xx) that the order book still does not show after this
    /// long is reported `REJECTED` ("not received by Kite"), seconds.
    pub unknown_grace_secs: u64,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            market_order_style: MarketOrderStyle::Limit,
            limit_buffer_pct: Decimal::ONE,
            market_protection: -1,
            max_quote_age_ms: 5_000,
            poll_interval_ms: 1_000,
            unknown_grace_secs: 60,
        }
    }
}

/// Ticker feed settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedSettings {
    /// After this long without any event the feed yields `MarketEvent::Timer` (ms; 0 = never),
    /// so candles complete by the clock while the market is silent (spec §3).
    pub timer_interval_ms: u64,
    /// A feed with no tick for this long is stale (spec §7 `feed_stale_seconds`).
    pub stale_after_secs: u64,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            timer_interval_ms: 1_000,
            stale_after_secs: 10,
        }
    }
}

/// The protective stop at the broker (`[kite.protective_stop]`, spec §10.3): while the engine
/// holds a long option position, an `SL` SELL order (stop-loss limit; `SL-M` is blocked for
/// index options, see `KiteBroker`'s `StopLimit` mapping) rests at Kite for the whole quantity,
/// so the position is protected while the engine is down or lagging.
///
/// TOML (unknown keys are errors; each value is checked when read):
/// ```toml
/// [kite.protective_stop]
/// enabled = true
/// premium_pct = 30        # optional: trigger 30 % below the entry premium
/// limit_offset_pct = 5    # the SL's limit price 5 % below its trigger
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawProtectiveStop")]
pub struct ProtectiveStopConfig {
    /// Place the protective order at all (default `false`).
    pub enabled: bool,
    /// `Some(pct)`: the trigger sits at entry premium × (1 − pct/100), ₹, instead of the
    /// premium equivalent of the engine's stop distance. Percent, above 0 and below 100.
    pub premium_pct: Option<Decimal>,
    /// The SL's limit price sits this percent below its trigger (so a gap through the trigger
    /// still fills), rounded down to the tick. Percent, 0 to below 100 (default 5).
    pub limit_offset_pct: Decimal,
}

impl Default for ProtectiveStopConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            premium_pct: None,
            limit_offset_pct: Decimal::from(5),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawProtectiveStop {
    enabled: bool,
    premium_pct: Option<Decimal>,
    limit_offset_pct: Decimal,
}

impl Default for RawProtectiveStop {
    fn default() -> Self {
        let d = ProtectiveStopConfig::default();
        Self {
            enabled: d.enabled,
            premium_pct: d.premium_pct,
            limit_offset_pct: d.limit_offset_pct,
        }
    }
}

impl TryFrom<RawProtectiveStop> for ProtectiveStopConfig {
    type Error = String;
    fn try_from(r: RawProtectiveStop) -> Result<Self, String> {
        let c = Self {
            enabled: r.enabled,
            premium_pct: r.premium_pct,
            limit_offset_pct: r.limit_offset_pct,
        };
        c.validate()?;
        Ok(c)
    }
}

impl ProtectiveStopConfig {
    /// Check the ranges.
    ///
    /// # Errors
    /// The key and the allowed range: `premium_pct` outside (0, 100), `limit_offset_pct`
    /// outside [0, 100).
    pub fn validate(&self) -> Result<(), String> {
        let hundred = Decimal::ONE_HUNDRED;
        if let Some(p) = self.premium_pct
            && (p <= Decimal::ZERO || p >= hundred)
        {
            return Err(format!(
                "kite.protective_stop.premium_pct = {p}: a percent above 0 and below 100"
            ));
        }
        let o = self.limit_offset_pct;
        if o < Decimal::ZERO || o >= hundred {
            return Err(format!(
                "kite.protective_stop.limit_offset_pct = {o}: a percent from 0 to below 100"
            ));
        }
        Ok(())
    }

    /// The trigger from `premium_pct`, ₹: `entry_premium` × (1 − pct/100) rounded up to
    /// `tick` (the stop is never looser than asked); `None` when `premium_pct` is unset (the
    /// caller uses the engine-stop equivalent) or the result is not above one tick.
    pub fn trigger_from_entry(&self, entry_premium: Decimal, tick: Decimal) -> Option<Decimal> {
        let pct = self.premium_pct?;
        let t = round_up_to_tick(
            entry_premium * (Decimal::ONE - pct / Decimal::ONE_HUNDRED),
            tick,
        );
        (t > tick.max(Decimal::ZERO)).then_some(t)
    }

    /// The SL's limit price for `trigger`, ₹: trigger × (1 − `limit_offset_pct`/100) rounded
    /// down to `tick`, at least one tick.
    pub fn limit_for(&self, trigger: Decimal, tick: Decimal) -> Decimal {
        let p = trigger * (Decimal::ONE - self.limit_offset_pct / Decimal::ONE_HUNDRED);
        round_down_to_tick(p, tick).max(tick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        kite: KiteSettings,
    }

    fn parse(text: &str) -> Result<ProtectiveStopConfig, String> {
        toml::from_str::<File>(text)
            .map(|f| f.kite.protective_stop)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn protective_stop_defaults_off_with_a_five_percent_limit_offset() {
        let c = parse("[kite]\n").unwrap();
        assert_eq!(c, ProtectiveStopConfig::default());
        assert!(!c.enabled);
        assert_eq!(c.premium_pct, None);
        assert_eq!(c.limit_offset_pct, dec!(5));
        let c = parse(
            "[kite.protective_stop]\nenabled = true\npremium_pct = 30\nlimit_offset_pct = 2.5\n",
        )
        .unwrap();
        assert!(c.enabled);
        assert_eq!(c.premium_pct, Some(dec!(30)));
        assert_eq!(c.limit_offset_pct, dec!(2.5));
    }

    #[test]
    fn protective_stop_refuses_unknown_keys_and_bad_ranges() {
        let e = parse("[kite.protective_stop]\nenable = true\n").unwrap_err();
        assert!(e.contains("enable"), "{e}");
        let e = parse("[kite.protective_stop]\npremium_pct = 100\n").unwrap_err();
        assert!(e.contains("premium_pct"), "{e}");
        let e = parse("[kite.protective_stop]\npremium_pct = 0\n").unwrap_err();
        assert!(e.contains("premium_pct"), "{e}");
        let e = parse("[kite.protective_stop]\nlimit_offset_pct = -1\n").unwrap_err();
        assert!(e.contains("limit_offset_pct"), "{e}");
    }

    #[test]
    fn protective_stop_prices() {
        let tick = dec!(0.05);
        let c = ProtectiveStopConfig {
            enabled: true,
            premium_pct: Some(dec!(30)),
            limit_offset_pct: dec!(5),
        };
        // 101.03 × 0.7 = 70.721 → up to 70.75; limit 70.75 × 0.95 = 67.2125 → down to 67.20.
        assert_eq!(c.trigger_from_entry(dec!(101.03), tick), Some(dec!(70.75)));
        assert_eq!(c.limit_for(dec!(70.75), tick), dec!(67.2));
        assert_eq!(c.limit_for(dec!(0.05), tick), dec!(0.05));
        assert_eq!(c.trigger_from_entry(dec!(0.05), tick), None);
        let engine_stop = ProtectiveStopConfig::default();
        assert_eq!(engine_stop.trigger_from_entry(dec!(100), tick), None);
    }
}
