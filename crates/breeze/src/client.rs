//! [`BreezeClient`]: the session (`customerdetails`) and v2 `historicalcharts` calls, each
//! through the shared call limits and retried with backoff on transport errors and HTTP 5xx
//! only (breeze-api.md §1, §2, §6).

use crate::codes::Instrument;
use crate::credentials::{Credentials, Secret};
use crate::error::BreezeError;
use crate::limits::CallLimits;
use crate::settings::BreezeSettings;
use crate::wire;
use backon::{ExponentialBuilder, Retryable};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use domain::Bar;
use domain::time::IST;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

struct Inner {
    http: reqwest::Client,
    settings: BreezeSettings,
    credentials: Credentials,
    limits: CallLimits,
    /// `X-SessionToken` once `customerdetails` answered.
    session: tokio::sync::Mutex<Option<Secret>>,
}

/// A Breeze client. Clones share the HTTP pool, the limits and the session.
#[derive(Clone)]
pub struct BreezeClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BreezeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreezeClient")
            .field("api_url", &self.inner.settings.api_url)
            .field("data_url", &self.inner.settings.data_url)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

/// The IST date now (the day the call budget is counted on).
fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&IST).date_naive()
}

fn join(root: &str, endpoint: &str) -> Result<url::Url, BreezeError> {
    let root = if root.ends_with('/') {
        root.to_string()
    } else {
        format!("{root}/")
    };
    url::Url::parse(&root)
        .and_then(|u| u.join(endpoint))
        .map_err(|e| BreezeError::Setup(format!("bad Breeze URL {root:?}: {e}")))
}

fn transport(what: &str, e: reqwest::Error) -> BreezeError {
    // Without the URL: no query in messages (no secret is in one, but keep them short).
    BreezeError::Transport(format!("{what}: {}", e.without_url()))
}

impl BreezeClient {
    /// A client for `settings` with `credentials`; no call is made yet (the session opens on
    /// the first request, or with [`Self::open_session`]).
    ///
    /// # Errors
    /// [`BreezeError::Setup`] for a bad URL or an HTTP client that cannot be built.
    pub fn new(settings: BreezeSettings, credentials: Credentials) -> Result<Self, BreezeError> {
        join(&settings.api_url, "customerdetails")?;
        join(&settings.data_url, "historicalcharts")?;
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .build()
            .map_err(|e| BreezeError::Setup(format!("HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                limits: CallLimits::new(&settings.limits),
                settings,
                credentials,
                session: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &BreezeSettings {
        &self.inner.settings
    }

    /// Calls counted today (IST) and the day's budget.
    pub fn calls_today(&self) -> (u32, u32) {
        (self.inner.limits.used(today()), self.inner.limits.per_day())
    }

    /// Send `attempt` through the limits, retrying retryable failures.
    async fn call<T, F, Fut>(&self, what: &'static str, attempt: F) -> Result<T, BreezeError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, BreezeError>>,
    {
        let r = &self.inner.settings.retry;
        let policy = ExponentialBuilder::default()
            .with_min_delay(r.initial)
            .with_max_delay(r.max_delay.max(r.initial))
            .with_max_times(r.max_retries as usize)
            .with_jitter();
        let once = || async {
            self.inner.limits.acquire(today()).await?;
            attempt().await
        };
        once.retry(policy)
            .sleep(tokio::time::sleep)
            .when(BreezeError::is_retryable)
            .notify(|e: &BreezeError, d: Duration| {
                tracing::warn!(target: "breeze", what, error = %e, retry_in_ms = d.as_millis() as u64, "Breeze request failed, retrying");
            })
            .await
    }

    /// Read a response: Breeze reports its errors in the envelope, whatever the HTTP status;
    /// an HTTP 5xx without one is [`BreezeError::Server`].
    async fn body(what: &str, resp: reqwest::Response) -> Result<serde_json::Value, BreezeError> {
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| transport(what, e))?;
        if status.is_server_error() {
            // Breeze's own error in the envelope wins (a session error is not retried);
            // anything else from a 5xx is a server failure, retried.
            return match wire::success(&bytes) {
                Err(e) if !matches!(e, BreezeError::Decode(_)) => Err(e),
                _ => Err(BreezeError::Server(format!(
                    "{what}: HTTP {}",
                    status.as_u16()
                ))),
            };
        }
        match wire::success(&bytes) {
            Err(BreezeError::Decode(m)) if !status.is_success() => Err(BreezeError::Rejected(
                format!("{what}: HTTP {}: {m}", status.as_u16()),
            )),
            other => other,
        }
    }

    /// `GET customerdetails` with the JSON body `{"SessionToken":…,"AppKey":…}` (compact),
    /// keeping the `X-SessionToken` of later calls (breeze-api.md §1). Done once; later
    /// calls reuse it.
    ///
    /// # Errors
    /// [`BreezeError::SessionInvalid`] / [`BreezeError::BadAppKey`] as Breeze answers, or
    /// any call failure.
    pub async fn open_session(&self) -> Result<Secret, BreezeError> {
        let mut guard = self.inner.session.lock().await;
        if let Some(s) = guard.as_ref() {
            return Ok(s.clone());
        }
        let url = join(&self.inner.settings.api_url, "customerdetails")?;
        let c = &self.inner.credentials;
        let body = serde_json::json!({
            "SessionToken": c.session_token.expose(),
            "AppKey": c.api_key.expose(),
        })
        .to_string();
        let success = self
            .call("customerdetails", || async {
                let resp = self
                    .inner
                    .http
                    .get(url.clone())
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| transport("customerdetails", e))?;
                Self::body("customerdetails", resp).await
            })
            .await?;
        let token = wire::session_header(&success)?;
        tracing::info!(target: "breeze", "Breeze session opened");
        *guard = Some(token.clone());
        Ok(token)
    }

    /// One v2 `historicalcharts` request of 1-minute candles of `inst` between `from` and
    /// `to` (IST wall clock, inclusive), as Breeze answers it (at most `max_candles`; pre-open
    /// and post-close candles included).
    ///
    /// # Errors
    /// Any call failure, the envelope's error, an undecodable candle.
    pub async fn request(
        &self,
        inst: &Instrument,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<Bar>, BreezeError> {
        let session = self.open_session().await?;
        let mut url = join(&self.inner.settings.data_url, "historicalcharts")?;
        url.query_pairs_mut()
            .extend_pairs(wire::historical_query(inst, from, to));
        let key = self.inner.credentials.api_key.expose();
        let success = self
            .call("historicalcharts", || async {
                let resp = self
                    .inner
                    .http
                    .get(url.clone())
                    .header("Content-Type", "application/json")
                    .header("X-SessionToken", session.expose())
                    .header("apikey", key)
                    .send()
                    .await
                    .map_err(|e| transport("historicalcharts", e))?;
                Self::body("historicalcharts", resp).await
            })
            .await?;
        wire::candles(&success, inst.index)
    }

    /// All 1-minute candles of `inst` between `from` and `to` (IST wall clock, inclusive),
    /// oldest first, de-duplicated on the start: an answer of `max_candles` candles is
    /// continued from its last candle's next minute (paging past the 1,000 cap).
    ///
    /// # Errors
    /// As [`Self::request`].
    pub async fn candles(
        &self,
        inst: &Instrument,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<Bar>, BreezeError> {
        let cap = self.inner.settings.max_candles.max(1);
        let mut by_ts: BTreeMap<i64, Bar> = BTreeMap::new();
        let mut start = from;
        while start <= to {
            let got = self.request(inst, start, to).await?;
            let full = got.len() >= cap;
            let last = got.iter().map(|b| b.ts.naive_local()).max();
            for b in got {
                by_ts.insert(b.ts.timestamp(), b);
            }
            match last {
                Some(l) if full && l >= start => start = l + TimeDelta::minutes(1),
                _ => break,
            }
        }
        Ok(by_ts.into_values().collect())
    }
}
