//! [`KiteClient`]: the `kiteconnect` REST client plus what it lacks for a trading engine —
//! client-side rate limits, retries of safe reads with backoff, the 429 pause, and the shared
//! session flag that a `TokenException` clears (spec §10.1, kite-connect.md §4–§5).

use crate::error::KiteError;
use crate::limits::{EndpointClass, RateLimits};
use crate::session::{Credentials, SessionFile, SessionState, default_session_path, expand_home};
use crate::settings::KiteSettings;
use backon::{ExponentialBuilder, Retryable};
use kiteconnect::{AccessToken, KiteConnect, UserProfile};
use std::future::{Future, IntoFuture};
use std::sync::{Arc, RwLock};
use std::time::Duration;

struct Inner {
    kite: RwLock<KiteConnect>,
    limits: RateLimits,
    session: SessionState,
    settings: KiteSettings,
}

/// A shared, cloneable Kite REST client (one per API key): the broker, the feed, the
/// instruments loader and the historical loader all hold clones of it, so they share one
/// connection pool, one set of rate limiters and one session flag.
///
/// `Debug` shows no secret.
#[derive(Clone)]
pub struct KiteClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KiteClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KiteClient")
            .field("api_base_url", &self.inner.settings.api_base_url)
            .field("session_valid", &self.inner.session.is_valid())
            .finish_non_exhaustive()
    }
}

impl KiteClient {
    /// A client for `api_key` with an optional access token (none: only the login exchange and
    /// public instrument dumps work). REST root and timeout from `settings`.
    ///
    /// # Errors
    /// [`KiteError::Setup`] for a blank key or a bad base URL (a URL with a path is refused).
    pub fn new(
        settings: KiteSettings,
        api_key: &str,
        access_token: Option<AccessToken>,
    ) -> Result<Self, KiteError> {
        let mut b = KiteConnect::builder(api_key)
            .base_url(settings.api_base_url.clone())
            .timeout(settings.request_timeout())
            .app_name(concat!("kestrel/", env!("CARGO_PKG_VERSION")));
        if let Some(t) = access_token {
            b = b.access_token(t);
        }
        let kite = b.build().map_err(KiteError::from)?;
        Ok(Self {
            inner: Arc::new(Inner {
                kite: RwLock::new(kite),
                limits: RateLimits::new(&settings.rate_limits),
                session: SessionState::new(),
                settings,
            }),
        })
    }

    /// A trading client from the session file (`settings.session_file`, else
    /// [`default_session_path`]) and the environment: `KITE_API_KEY` (or the file's `api_key`),
    /// `KITE_ACCESS_TOKEN` (or the file's `access_token`).
    ///
    /// # Errors
    /// [`KiteError::Setup`] when the file is missing/unreadable or a credential is absent; the
    /// message says to run `login` and never contains a secret.
    pub fn from_session(settings: KiteSettings) -> Result<Self, KiteError> {
        let path = settings
            .session_file
            .as_deref()
            .map_or_else(default_session_path, expand_home);
        let file = match SessionFile::load(&path) {
            Ok(f) => Some(f),
            Err(crate::session::SessionError::Missing(_))
                if std::env::var(crate::session::ENV_ACCESS_TOKEN).is_ok() =>
            {
                None
            }
            Err(e) => return Err(KiteError::Setup(e.to_string())),
        };
        let creds =
            Credentials::resolve(file.as_ref()).map_err(|e| KiteError::Setup(e.to_string()))?;
        let token = Credentials::access_token(file.as_ref())
            .map_err(|e| KiteError::Setup(e.to_string()))?;
        Self::new(settings, &creds.api_key, Some(token))
    }

    /// A clone of the underlying `kiteconnect` client (cheap; shares the pool).
    pub fn kite(&self) -> KiteConnect {
        self.inner
            .kite
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The adapter settings.
    pub fn settings(&self) -> &KiteSettings {
        &self.inner.settings
    }

    /// The shared session flag (read it before allowing entries, spec §7).
    pub fn session(&self) -> &SessionState {
        &self.inner.session
    }

    /// The shared rate limiters.
    pub fn limits(&self) -> &RateLimits {
        &self.inner.limits
    }

    /// Install a new access token (after a new `login`) and mark the session valid again.
    /// A running ticker keeps its old token: spawn a new [`crate::KiteFeed`].
    pub fn set_access_token(&self, token: AccessToken) {
        self.inner
            .kite
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .set_access_token(token);
        self.inner.session.revalidate();
    }

    /// Re-read the session file (after a new `login` while the engine runs): when it holds a
    /// different access token, install it (marking the session valid) and return `true`.
    /// A running [`crate::KiteFeed`] keeps the token it was spawned with: spawn a new one.
    ///
    /// # Errors
    /// [`KiteError::Setup`] when the file is missing or unreadable.
    pub fn reload_session(&self) -> Result<bool, KiteError> {
        let path = self
            .inner
            .settings
            .session_file
            .as_deref()
            .map_or_else(default_session_path, expand_home);
        let file = SessionFile::load(&path).map_err(|e| KiteError::Setup(e.to_string()))?;
        let token =
            Credentials::access_token(Some(&file)).map_err(|e| KiteError::Setup(e.to_string()))?;
        if self.kite().access_token() == Some(&token) {
            return Ok(false);
        }
        tracing::info!(target: "kite", user = file.user_id, "new Kite access token installed from the session file");
        self.set_access_token(token);
        Ok(true)
    }

    /// The ticker URL from the settings.
    ///
    /// # Errors
    /// [`KiteError::Setup`] when it does not parse.
    pub fn ticker_url(&self) -> Result<url::Url, KiteError> {
        url::Url::parse(&self.inner.settings.ticker_url)
            .map_err(|e| KiteError::Setup(format!("ticker_url: {e}")))
    }

    /// `GET /user/profile`, bypassing the session gate: validates the token (start-up check,
    /// kite-connect.md §2). Success marks the session valid; a `TokenException` invalid.
    ///
    /// # Errors
    /// The classified Kite error.
    pub async fn validate_session(&self) -> Result<UserProfile, KiteError> {
        self.inner.limits.acquire(EndpointClass::Other).await?;
        match self.kite().profile().await {
            Ok(p) => {
                self.inner.session.revalidate();
                Ok(p)
            }
            Err(e) => Err(self.note_error(EndpointClass::Other, &e)),
        }
    }

    /// Exchange a login `request_token` for a session (`POST /session/token`; the checksum is
    /// SHA-256 of `api_key + request_token + api_secret`, kite-connect.md §2, computed by the
    /// `kiteconnect` crate). Installs the new access token in this client and returns what
    /// `login` stores.
    ///
    /// # Errors
    /// A `TokenException` (bad, late or reused request token, wrong secret) is
    /// [`KiteError::SessionInvalid`]; transport errors as classified.
    pub async fn exchange_request_token(
        &self,
        request_token: &str,
        api_secret: &kiteconnect::ApiSecret,
    ) -> Result<crate::session::SessionFile, KiteError> {
        self.inner.limits.acquire(EndpointClass::Other).await?;
        let s = self
            .kite()
            .generate_session(request_token.trim(), api_secret)
            .await
            .map_err(|e| KiteError::from_kite(&e))?;
        self.set_access_token(s.access_token.clone());
        Ok(crate::session::SessionFile {
            user_id: s.profile.user_id.clone(),
            user_name: s.profile.user_name.clone(),
            access_token: Some(s.access_token.clone()),
            login_time: s.login_time.format("%Y-%m-%d %H:%M:%S").to_string(),
            date: Some(s.login_time.date()),
            api_key: None,
            api_secret: None,
        })
    }

    /// Classify a `kiteconnect` error and apply its side effects: a `TokenException` marks the
    /// session invalid, a 429 pauses the endpoint class.
    pub fn note_error(&self, class: EndpointClass, err: &kiteconnect::Error) -> KiteError {
        let k = KiteError::from_kite(err);
        match &k {
            KiteError::SessionInvalid(m) => self.inner.session.invalidate(m),
            KiteError::RateLimited(_) => {
                self.inner.limits.on_rate_limited(class);
            }
            _ => {}
        }
        k
    }

    fn gate(&self) -> Result<(), KiteError> {
        match self.inner.session.invalid_reason() {
            None => Ok(()),
            Some(r) => Err(KiteError::SessionInvalid(format!(
                "not sent, session invalid since: {r}"
            ))),
        }
    }

    /// One attempt, no retry: session gate, rate limit, send, classify. For order writes.
    ///
    /// # Errors
    /// [`KiteError::SessionInvalid`] without a request when the session is already invalid;
    /// [`KiteError::RateLimited`] without a request when no permit comes in time; else the
    /// classified Kite error.
    pub async fn send_once<T, C>(&self, class: EndpointClass, call: C) -> Result<T, KiteError>
    where
        C: FnOnce(KiteConnect) -> kiteconnect::Call<T>,
        T: Send + 'static,
    {
        self.gate()?;
        self.inner.limits.acquire(class).await?;
        match call(self.kite()).into_future().await {
            Ok(v) => {
                self.inner.limits.on_success(class);
                Ok(v)
            }
            Err(e) => Err(self.note_error(class, &e)),
        }
    }

    /// A request that is safe to repeat (GETs, cancels): retried with exponential backoff and
    /// jitter on 429, 5xx and transport errors (kite-connect.md §4); never on a
    /// `TokenException` or a rejection.
    ///
    /// # Errors
    /// The last classified error once retries are exhausted or the error is not retryable.
    pub async fn read<T, F, Fut>(
        &self,
        class: EndpointClass,
        what: &'static str,
        call: F,
    ) -> Result<T, KiteError>
    where
        F: Fn(KiteConnect) -> Fut,
        Fut: Future<Output = kiteconnect::Result<T>>,
    {
        let r = &self.inner.settings.retry;
        let policy = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(r.min_delay_ms))
            .with_max_delay(Duration::from_millis(r.max_delay_ms.max(r.min_delay_ms)))
            .with_max_times(r.max_retries)
            .with_jitter();
        let attempt = || async {
            self.gate()?;
            self.inner.limits.acquire(class).await?;
            match call(self.kite()).await {
                Ok(v) => {
                    self.inner.limits.on_success(class);
                    Ok(v)
                }
                Err(e) => Err(self.note_error(class, &e)),
            }
        };
        attempt
            .retry(policy)
            .sleep(tokio::time::sleep)
            .when(KiteError::is_retryable_read)
            .notify(|e: &KiteError, d: Duration| {
                tracing::warn!(target: "kite", what, error = %e, retry_in_ms = d.as_millis() as u64, "Kite request failed, retrying");
            })
            .await
    }
}
