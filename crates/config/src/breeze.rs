//! `[data] history` (where paper/live take warm-up and catch-up candles from) and the
//! `[breeze]` section: ICICI Breeze as that source and for `catalog fetch --source breeze`
//! (issue 15, `docs/breeze.md`). Unknown keys are an error. No secret lives here: the app
//! key, secret key and the day's session token come from `BREEZE_API_KEY`,
//! `BREEZE_SECRET_KEY`, `BREEZE_SESSION_TOKEN` or the 0600 file at `credentials_file`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[data] history`: the 1-minute history `paper`/`live-bin` warm up and catch up from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistorySource {
    /// Kite historical candles (default; the session's Kite client).
    #[default]
    Kite,
    /// ICICI Breeze v2 historical candles (`[breeze]`).
    Breeze,
    /// The data catalog at `[data] dir` (e.g. days fetched or recorded before).
    Catalog,
}

/// `[breeze]`: the Breeze client's settings (breeze-api.md; defaults are Breeze's own
/// hosts and documented limits).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreezeSection {
    /// Root of `customerdetails` (default `https://api.icicidirect.com/breezeapi/api/v1/`).
    pub api_url: String,
    /// Root of v2 `historicalcharts` (default `https://breezeapi.icicidirect.com/api/v2/`).
    pub data_url: String,
    /// JSON file with `api_key`, `secret_key`, `session_token` (mode 0600; `~` = `$HOME`);
    /// the environment variables win. Default `~/.config/kestrel/breeze.json`.
    pub credentials_file: Option<PathBuf>,
    /// Calls per minute (default 100, Breeze's limit).
    pub calls_per_minute: u32,
    /// Calls that may go back to back before the per-minute spacing (default 10).
    pub burst: u32,
    /// Calls per IST day (default 5000, Breeze's limit); the next call is refused.
    pub calls_per_day: u32,
    /// Longest wait for a per-minute permit, seconds (default 120).
    pub max_wait_secs: u64,
    /// Whole-request timeout, seconds (default 10).
    pub request_timeout_secs: u64,
    /// Retries of a call after a transport error or HTTP 5xx (default 3).
    pub retries: u32,
    /// Weekdays of 1-minute candles per request, 1..=5 (default 2: ≈ 760 candles, under the
    /// 1,000 per answer; a full answer is paged on).
    pub days_per_request: u32,
    /// Stock symbol → ICICI short code (`RELIANCE = "RELIND"`, from Breeze's
    /// `SecurityMaster.zip`), NSE cash. NIFTY, BANKNIFTY (`CNXBAN`) and SENSEX (`BSESEN`)
    /// are built in.
    pub stock_codes: BTreeMap<String, String>,
}

impl Default for BreezeSection {
    fn default() -> Self {
        Self {
            api_url: "https://api.icicidirect.com/breezeapi/api/v1/".into(),
            data_url: "https://breezeapi.icicidirect.com/api/v2/".into(),
            credentials_file: None,
            calls_per_minute: 100,
            burst: 10,
            calls_per_day: 5000,
            max_wait_secs: 120,
            request_timeout_secs: 10,
            retries: 3,
            days_per_request: 2,
            stock_codes: BTreeMap::new(),
        }
    }
}

impl BreezeSection {
    /// The credentials file: `credentials_file` with `~` expanded, else
    /// `~/.config/kestrel/breeze.json` (`None` without a home directory).
    pub fn credentials_path(&self) -> Option<PathBuf> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        match &self.credentials_file {
            Some(p) => match (p.strip_prefix("~"), home) {
                (Ok(rest), Some(h)) => Some(h.join(rest)),
                _ => Some(p.clone()),
            },
            None => home.map(|h| h.join(".config/kestrel/breeze.json")),
        }
    }

    /// The Breeze client's settings: these values over [`breeze::BreezeSettings::default`],
    /// `stock_codes` as NSE cash instruments.
    pub fn client_settings(&self) -> breeze::BreezeSettings {
        let d = breeze::BreezeSettings::default();
        breeze::BreezeSettings {
            api_url: self.api_url.clone(),
            data_url: self.data_url.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            limits: breeze::LimitSettings {
                per_minute: self.calls_per_minute,
                burst: self.burst,
                per_day: self.calls_per_day,
                max_wait: Duration::from_secs(self.max_wait_secs),
            },
            retry: breeze::RetrySettings {
                max_retries: self.retries,
                ..d.retry
            },
            days_per_request: self.days_per_request,
            instruments: self
                .stock_codes
                .iter()
                .map(|(symbol, code)| (symbol.clone(), breeze::Instrument::nse_stock(code)))
                .collect(),
            ..d
        }
    }

    /// Check the values (named `breeze.<key>` in the message).
    pub fn validate(&self) -> Result<(), String> {
        for (key, url) in [("api_url", &self.api_url), ("data_url", &self.data_url)] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!(
                    "breeze.{key}: expected an http(s) URL, got {url:?}"
                ));
            }
        }
        for (key, v) in [
            ("calls_per_minute", self.calls_per_minute),
            ("burst", self.burst),
            ("calls_per_day", self.calls_per_day),
        ] {
            if v == 0 {
                return Err(format!("breeze.{key} must be ≥ 1"));
            }
        }
        if !(1..=5).contains(&self.days_per_request) {
            return Err(format!(
                "breeze.days_per_request must be 1..=5, got {}",
                self.days_per_request
            ));
        }
        for (symbol, code) in &self.stock_codes {
            let ok = !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok || symbol.trim().is_empty() {
                return Err(format!(
                    "breeze.stock_codes.{symbol}: expected an ICICI short code (letters and digits, e.g. \"RELIND\"), got {code:?}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::Config;
    use std::path::Path;

    #[test]
    fn history_and_breeze_parse_and_unknown_keys_are_errors() {
        let c = Config::from_toml(
            "[data]\nhistory = \"breeze\"\n[breeze]\ncalls_per_day = 50\n[breeze.stock_codes]\nRELIANCE = \"RELIND\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c.data.history, super::HistorySource::Breeze);
        assert_eq!(c.breeze.calls_per_day, 50);
        assert_eq!(c.breeze.calls_per_minute, 100);
        assert_eq!(c.breeze.stock_codes["RELIANCE"], "RELIND");
        let s = c.breeze.client_settings();
        assert_eq!(s.limits.per_day, 50);
        assert_eq!(s.instruments["RELIANCE"].stock_code, "RELIND");
        assert_eq!(s.data_url, breeze::settings::DEFAULT_DATA_URL);
        assert_eq!(s.api_url, breeze::settings::DEFAULT_API_URL);
        assert_eq!(Config::default().data.history, super::HistorySource::Kite);
        let e = Config::from_toml("[breeze]\ncalls_per_hour = 1\n", Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("calls_per_hour") && e.contains("t.toml"), "{e}");
        let e = Config::from_toml("[data]\nhistory = \"yahoo\"\n", Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("yahoo") || e.contains("history"), "{e}");
        let e = Config::from_toml(
            "[breeze.stock_codes]\nRELIANCE = \"REL IND\"\n",
            Path::new("t.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("breeze.stock_codes.RELIANCE"), "{e}");
        let e = Config::from_toml("[breeze]\ndays_per_request = 9\n", Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("days_per_request"), "{e}");
    }

    #[test]
    fn the_example_file_loads() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/breeze.example.toml");
        let c = Config::load(&p).unwrap();
        assert_eq!(c.data.history, super::HistorySource::Breeze);
        assert_eq!(
            c.breeze,
            super::BreezeSection {
                credentials_file: Some("~/.config/kestrel/breeze.json".into()),
                stock_codes: [("RELIANCE".to_string(), "RELIND".to_string())].into(),
                ..Default::default()
            }
        );
    }
}
