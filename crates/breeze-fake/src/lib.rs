//! # breeze-fake — a loopback ICICI Breeze for tests and demos
//!
//! Serves the two endpoints Kestrel uses, as `../shared/docs/breeze-api.md` documents them:
//!
//! - `GET /breezeapi/api/v1/customerdetails` with a JSON body `{"SessionToken","AppKey"}`
//!   → `Success.session_token` = base64(`user_id:session_key`); a wrong `AppKey` answers
//!   `Public Key does not exist.`, a wrong `SessionToken` `Invalid session.` (§1);
//! - `GET /api/v2/historicalcharts?interval=1minute&from_date=…&to_date=…&stock_code=…&exch_code=…&product_type=cash`
//!   with headers `apikey` and `X-SessionToken` (§2): the catalog's real 1-minute bars of
//!   the mapped series, formatted as Breeze does (see [`candles`]: derived 09:07 and 15:30
//!   candles), filtered by IST wall clock between the `Z`-suffixed times (§4), at most
//!   `max_candles` (1,000) per answer — the oldest ones —, `Success: []` when there is
//!   nothing (also for an unknown `stock_code`). A bad `apikey` answers `Public Key does not
//!   exist.`, a bad session `Invalid session.`, an expired one ([`FakeBreeze::expire_session`])
//!   `Resource not available.`. Errors are HTTP 200 with `{"Success": null, "Status": 500,
//!   "Error": …}` (the envelope a real session error came back in, GitHub
//!   `Idirect-Tech/Breeze-Python-SDK` issue #210). Only `1minute` is served.
//!
//! Every call is counted and every historical request recorded ([`FakeBreeze::calls`],
//! [`FakeBreeze::requests`]) so tests can assert paging and rate limits;
//! [`FakeBreeze::fail_next`] answers the next calls with HTTP 503 (retries).
//! The fake does not enforce Breeze's rate limits itself (how Breeze answers an exceeded
//! limit is not documented); tests assert the client's spacing from the recorded times.

pub mod candles;
mod routes;

use catalog::Catalog;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the fake accepts and serves.
#[derive(Debug, Clone)]
pub struct FakeSettings {
    /// The app key it knows.
    pub api_key: String,
    /// The day's `API_Session` it accepts at `customerdetails`.
    pub session_token: String,
    /// The user id inside the issued session token.
    pub user_id: String,
    /// The session key inside the issued session token.
    pub session_key: String,
    /// Candles per answer at most (1,000, breeze-api.md §2).
    pub max_candles: usize,
    /// `stock_code` → (`exch_code`, catalog series): `NIFTY`, `CNXBAN`, `BSESEN` built in.
    pub instruments: BTreeMap<String, (String, String)>,
}

impl Default for FakeSettings {
    fn default() -> Self {
        let instruments = [
            ("NIFTY", "NSE", "NIFTY"),
            ("CNXBAN", "NSE", "BANKNIFTY"),
            ("BSESEN", "BSE", "SENSEX"),
        ]
        .into_iter()
        .map(|(c, e, s)| (c.to_string(), (e.to_string(), s.to_string())))
        .collect();
        Self {
            api_key: "FAKE-APP-KEY".into(),
            session_token: "FAKE-API-SESSION".into(),
            user_id: "FAKEUSER".into(),
            session_key: "FAKE-SESSION-KEY".into(),
            max_candles: 1000,
            instruments,
        }
    }
}

impl FakeSettings {
    /// Also serve catalog `series` as NSE cash `stock_code` (e.g. `RELIND` → `RELIANCE`).
    pub fn with_stock(mut self, stock_code: &str, series: &str) -> Self {
        self.instruments
            .insert(stock_code.into(), ("NSE".into(), series.into()));
        self
    }
}

/// One recorded historical request (the parsed query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `stock_code`.
    pub stock_code: String,
    /// `from_date` as sent.
    pub from_date: String,
    /// `to_date` as sent.
    pub to_date: String,
    /// Candles answered.
    pub candles: usize,
}

/// Calls received, by endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    /// `customerdetails` calls.
    pub customerdetails: u32,
    /// `historicalcharts` calls (failed ones included).
    pub historical: u32,
}

/// State shared by the handlers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) settings: FakeSettings,
    pub(crate) catalog: Catalog,
    pub(crate) customerdetails: AtomicU32,
    pub(crate) historical: AtomicU32,
    pub(crate) fail_next: AtomicU32,
    pub(crate) expired: AtomicBool,
    pub(crate) times: Mutex<Vec<Instant>>,
    pub(crate) requests: Mutex<Vec<Request>>,
}

impl Shared {
    /// The `X-SessionToken` it issues and accepts: base64(`user_id:session_key`).
    pub(crate) fn issued_token(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.settings.user_id, self.settings.session_key
        ))
    }

    pub(crate) fn note_call(&self) {
        self.times
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Instant::now());
    }
}

/// A running fake on loopback; dropping it stops the server.
#[derive(Debug)]
pub struct FakeBreeze {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeBreeze {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeBreeze {
    /// Bind `127.0.0.1:0` and serve `catalog` on the current Tokio runtime.
    ///
    /// # Errors
    /// The bind's I/O error.
    pub async fn start(catalog: Catalog, settings: FakeSettings) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            settings,
            catalog: catalog.cached(),
            customerdetails: AtomicU32::new(0),
            historical: AtomicU32::new(0),
            fail_next: AtomicU32::new(0),
            expired: AtomicBool::new(false),
            times: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let app = routes::router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(target: "breeze_fake", error = %e, "fake Breeze stopped");
            }
        });
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `customerdetails` root: `<base>/breezeapi/api/v1/`.
    pub fn api_url(&self) -> String {
        format!("{}/breezeapi/api/v1/", self.base_url())
    }

    /// The v2 root: `<base>/api/v2/`.
    pub fn data_url(&self) -> String {
        format!("{}/api/v2/", self.base_url())
    }

    /// The settings it runs with (its keys, for a test's credentials).
    pub fn settings(&self) -> &FakeSettings {
        &self.shared.settings
    }

    /// Calls received so far.
    pub fn calls(&self) -> Calls {
        Calls {
            customerdetails: self.shared.customerdetails.load(Ordering::SeqCst),
            historical: self.shared.historical.load(Ordering::SeqCst),
        }
    }

    /// When each call (either endpoint) arrived, in order.
    pub fn call_times(&self) -> Vec<Instant> {
        self.shared
            .times
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The historical requests answered (not the failed ones), in order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Answer the next `n` calls (either endpoint) with HTTP 503 and no body.
    pub fn fail_next(&self, n: u32) {
        self.shared.fail_next.store(n, Ordering::SeqCst);
    }

    /// From now on, historical calls with the issued session answer `Resource not
    /// available.` (an expired session, breeze-api.md §1).
    pub fn expire_session(&self) {
        self.shared.expired.store(true, Ordering::SeqCst);
    }
}
