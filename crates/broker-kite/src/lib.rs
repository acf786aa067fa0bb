//! # broker-kite — the Kite Connect adapter (spec §10)
//!
//! Built on Zerodha's [`kiteconnect`] crate 1.0.1 (typed REST, WebSocket ticker with
//! reconnect and resubscription, redacted secrets). This crate adapts it to the engine's
//! traits and adds what a trading engine needs on top:
//!
//! | module | what | engine trait |
//! | --- | --- | --- |
//! | [`client`] | [`KiteClient`]: shared REST client with client-side rate limits (governor), retries of safe reads (backon), the 429 pause and the session flag | — |
//! | [`instruments`] | [`InstrumentsMaster`]: NFO/BFO dumps (API or cached CSV), by token and by (underlying, expiry, strike, CE/PE); lot/tick size; config checks | `ContractSource` |
//! | [`feed`] | [`KiteFeed`]: ticker → IST ticks, subscriptions, feed health, touch book, order frames | `MarketData` |
//! | [`history`] | [`KiteHistory`]: historical candles within the per-interval limits, warm-up | `HistoricalData` |
//! | [`broker`] | [`KiteBroker`]: place (tagged, marketable limit or market+protection), modify, cancel, updates, fills, reconciliation snapshot | `Broker` |
//! | [`margins`] | [`KiteMargins`]: basket margin (`POST /margins/basket`, with the hedge benefit) and the funds (`GET /user/margins`) | `MarginCalculator` |
//! | [`session`] | credentials, the 0600 session file of `login`, [`SessionState`] | — |
//!
//! Units: prices and money are exact [`rust_decimal::Decimal`] rupees (₹; Kite's paise ÷ 100),
//! times are IST ([`domain::IstDateTime`]). Secrets never appear in `Debug`, errors or logs.
//!
//! Wiring (live mode):
//! ```no_run
//! # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
//! use broker_kite::{KiteBroker, KiteClient, KiteFeed, KiteHistory, InstrumentsMaster, QuoteBook};
//! use domain::{Exchange, Segment, ports::MarketData};
//! let settings = broker_kite::KiteSettings::default();
//! let client = KiteClient::from_session(settings)?;       // session file from `login`
//! client.validate_session().await?;                        // profile call at start-up
//! let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 6).unwrap();
//! let master = InstrumentsMaster::load(&client, &[Exchange::NFO, Exchange::BFO], today).await?;
//! master.check_config(Segment::Nifty, today, false, None)?; // lot size/strike step vs config
//! let quotes = QuoteBook::new();
//! let mut broker = KiteBroker::new(client.clone(), quotes.clone());
//! let mut feed = KiteFeed::spawn(&client, Some(broker.order_feed()), quotes)?;
//! feed.subscribe_segments(&[Segment::Nifty, Segment::BankNifty]).await?;
//! let history = KiteHistory::new(client.clone());
//! # let _ = (&mut broker, history); Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod broker;
pub mod client;
pub mod convert;
pub mod error;
pub mod feed;
pub mod history;
pub mod instruments;
pub mod limits;
pub mod margins;
pub mod orders;
pub mod session;
pub mod settings;

pub use broker::KiteBroker;
pub use client::KiteClient;
pub use error::KiteError;
pub use feed::{FeedHealth, FeedHealthSnapshot, KiteFeed, OrderFeed, QuoteBook};
pub use history::{Interval, KiteHistory};
pub use instruments::{InstrumentRow, InstrumentsMaster, verify_index_tokens};
pub use margins::KiteMargins;
pub use orders::{BookOrder, BookPosition, BookTrade, BrokerSnapshot};
pub use session::{Credentials, SessionFile, SessionState};
pub use settings::{KiteSettings, MarketOrderStyle, ProtectiveStopConfig};
