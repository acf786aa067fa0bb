//! # breeze — ICICI Breeze historical candles as a [`domain::ports::HistoricalData`] source
//!
//! Seed 003 takes its historical data from ICICI Securities' Breeze API. This crate speaks
//! the part of it Kestrel needs, as written down in `../shared/docs/breeze-api.md`:
//!
//! - the session: `GET customerdetails` with a JSON body `{"SessionToken","AppKey"}`; its
//!   `Success.session_token` (base64 of `user_id:session_key`) is the `X-SessionToken` of
//!   every later call ([`BreezeClient::open_session`]);
//! - v2 `historicalcharts` 1-minute candles (no checksum): IST wall-clock times sent with a
//!   `Z` suffix, ≤ 1,000 candles an answer (two weekdays a request, paged past the cap),
//!   JSON-number prices, the `{Success, Status, Error}` envelope (`Success: []` = no data)
//!   ([`wire`], [`BreezeClient::candles`]);
//! - regular-session bars only (09:15–15:29 IST, labelled by their start), index volume 0 →
//!   `None` ([`BreezeHistory`]);
//! - 100 calls a minute (a `governor` bucket) and 5,000 a day (a counter that refuses the
//!   5,001st call clearly), retries with backoff (`backon`) on transport errors and HTTP 5xx
//!   only ([`limits`], [`error`]);
//! - segment codes → `(stock_code, exch_code, product_type)` ([`codes`]);
//! - credentials from `BREEZE_API_KEY` / `BREEZE_SECRET_KEY` / `BREEZE_SESSION_TOKEN` or a
//!   0600 file, never printed ([`credentials`]).
//!
//! Tests run against `breeze-fake`, a loopback server serving the catalog's real days the
//! way Breeze formats them; no test reaches the internet. `docs/breeze.md` has the setup.
//!
//! ```no_run
//! # async fn demo() -> Result<(), breeze::BreezeError> {
//! use breeze::{BreezeClient, BreezeHistory, BreezeSettings, Credentials};
//! use domain::ports::HistoricalData;
//! let client = BreezeClient::new(BreezeSettings::default(), Credentials::resolve(None)?)?;
//! let history = BreezeHistory::new(client);
//! let day = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap_or_default();
//! let sessions = history.sessions_before(domain::Segment::Nifty, day, 5).await;
//! # let _ = sessions; Ok(()) }
//! ```

pub mod client;
pub mod codes;
pub mod credentials;
pub mod error;
pub mod history;
pub mod limits;
pub mod settings;
pub mod wire;

pub use client::BreezeClient;
pub use codes::Instrument;
pub use credentials::{Credentials, Secret};
pub use error::BreezeError;
pub use history::BreezeHistory;
pub use settings::{BreezeSettings, LimitSettings, RetrySettings};
