//! # kite-sim — a Kite Connect simulator on loopback (spec §10.4)
//!
//! Kite has no sandbox. This crate is a local server that speaks the Kite Connect v3 REST API
//! and the binary WebSocket ticker (as written down in `kite-connect.md` §1–§7 and checked
//! against Zerodha's fixtures), streams **one trading day from the data catalog** at a chosen
//! speed, fills orders against that stream, pushes order updates and injects faults. It
//! serves two purposes:
//!
//! - a new user tries `paper` / `live-bin` end to end with nothing real at stake;
//! - CI proves replay / paper / live parity: the ticks it streams are **exactly** the ticks
//!   replay feeds the engine (`catalog::replay::ReplayFeed`: four ticks per 1-minute bar,
//!   spec §3.1 rule 2, merged by timestamp, ties in segment order), with the exchange
//!   timestamp of each packet equal to the tick's time.
//!
//! It streams the three indices and NSE stocks (issue 15, seed 001's scanner): a stock
//! segment streams its catalog series under its real Kite token (`data/instruments.csv`,
//! e.g. RELIANCE 738561), its packets carry the day's cumulative volume, the NSE dump lists
//! its `EQ` row, and it trades as an NSE MIS share filled at its stream price. An index with a
//! futures series (`NIFTY-FUT_5m`) streams under its future's token, not the index token
//! ([`market::futures`]); index `FUT` rows trade like shares, in lots, MIS or NRML.
//!
//! It listens on **127.0.0.1 (or ::1) only**; any other bind address is refused.
//!
//! ## What it serves
//!
//! | endpoint | what |
//! | --- | --- |
//! | `POST /session/token` | login exchange (any request token; checksum checked when an API secret is configured) |
//! | `GET /user/profile`, `/user/margins[/equity]` | user `SIM001`; margins = [`SimMargins::available_cash`] (else [`SimMarket::capital`]) ± the day's option premium cash flow + the shares' day P&L − their open MIS margin |
//! | `GET /instruments[/{exchange}]` | CSV dump: per streamed index the next 4 expiries, strikes ±10 % of the day's open at the configured step, CE and PE, lot size of the date; its near- and next-month futures (`FUT`, `NFO-FUT`/`BFO-FUT`); index rows (`INDICES`); per streamed stock its NSE `EQ` row (real token, lot 1, NSE's equity tick size of the date) |
//! | `GET /quote`, `/quote/ltp`, `/quote/ohlc` | current simulated prices (`NSE:NIFTY 50`, `NSE:NIFTY BANK`, `BSE:SENSEX`, `NFO:…`, `BFO:…`, `NFO:NIFTY24AUGFUT`, `NSE:RELIANCE`; an index streaming its future is not quoted) |
//! | `GET /instruments/historical/{token}/{interval}` | index and stock candles (a stock's with volume) from the catalog: days before the simulated date plus the simulated date's bars completed by the simulated clock; Kite's per-interval span limits |
//! | `POST/PUT/DELETE /orders/regular[/{id}]`, `GET /orders[/{id}[/trades]]`, `/trades` | the order book with Kite's status history |
//! | `POST /margins/orders`, `/margins/basket` | Kite's margin calculators on a documented simulated model ([`margins`]: a short option = SPAN + exposure as % of the index notional, a long = its premium, a hedged pair = the spread's maximum loss + the hedge's premium, an NSE MIS share = 20 % of the order value, an index future = 13 % of its notional) |
//! | `GET /portfolio/positions`, `/portfolio/holdings` | positions from the fills, `net` and `day` (the same rows: nothing is carried overnight); no holdings |
//! | `GET /ws` (also `/`) | the ticker: subscribe/unsubscribe/mode messages, ltp/quote/full packets, heartbeats, order-update text frames |
//! | `POST /sim/faults`, `GET /sim/status`, `GET /sim/orders` | control (no auth) |
//! | `POST /sim/advance {"until":"HH:MM:SS"}` | control: stream up to and including that time even while no client listens (held otherwise), unpaced while nobody listens, resting orders matched (an `SL` triggers while the engine is down); answers when done with the status ([`Simulator::advance_until`]) |
//!
//! Units: prices on the wire are paise (₹ × 100) in binary packets and ₹ JSON numbers in
//! REST; [`SimOrder`] holds exact ₹ [`rust_decimal::Decimal`]s. Every time is IST on the
//! **simulated clock** (the streamed day), not the wall clock: ticker timestamps are epoch
//! seconds, REST timestamps `YYYY-MM-DD HH:MM:SS`, candles `YYYY-MM-DDTHH:MM:SS+0530`.
//!
//! ## Prices and fills
//!
//! An option's premium at a time is `broker_paper::pricer::Pricer::model_premium` (Black-76,
//! IV per segment and the rate from [`SimMarket`]) on the latest index price of its segment;
//! when the catalog has real prices of that tradingsymbol on the date, those win (as in
//! replay). The simulated touch is premium ± ₹0.05. `MARKET` fills at once one tick through
//! (BUY at LTP + 0.05, SELL at LTP − 0.05, at least 0.05); a marketable `LIMIT` fills at the
//! touch, else rests and is checked on every later tick of its index; `SL` rests
//! `TRIGGER PENDING` until the LTP crosses the trigger (SELL: LTP ≤ trigger), then fills as a
//! limit at its price (marketable: at the touch). `SL-M` is refused as Kite refuses it for
//! index options. One trade per fill. The book, trades and positions belong to the simulator,
//! not to a connection: a client that reconnects (or a new one) sees every earlier order, and
//! every ticker client receives the updates of every order.
//!
//! A stock's share (`exchange=NSE`, product `MIS`, lot 1) is priced at its stream price, with
//! no spread: `MARKET` BUY and SELL (a SELL may open a short) fill at the current stream
//! price, `LIMIT` and `SL` as above against it, `SL-M` accepted; positions are signed.
//!
//! The simulated clock moves only with delivered frames: with hold it stops while nobody
//! listens; [`Simulator::advance_until`] moves it on regardless (an engine "down" while its
//! protective stop triggers).
//!
//! ## Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use domain::Segment;
//! use kite_sim::{Fault, SimConfig, SimMarket, Simulator, Speed};
//! let date = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).ok_or("date")?;
//! let segments = vec![Segment::Nifty, Segment::BankNifty];
//! let mut cfg = SimConfig::new(date, segments, SimMarket::default(), "data".into());
//! cfg.speed = Speed::Times(60.0);
//! cfg.faults.push((chrono::NaiveTime::from_hms_opt(11, 0, 0).ok_or("time")?, Fault::DropSocket));
//! let sim = Simulator::start(cfg).await?;
//! sim.write_session_file("artifacts/sim/kite_session.json".as_ref())?;
//! println!("REST {} ticker {}", sim.base_url(), sim.ticker_url());
//! sim.wait_finished().await;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod control;
pub mod fault;
pub mod history;
pub mod margins;
pub mod market;
pub mod orders;
mod server;
mod session;
pub mod settings;
mod sim;
mod stream;
pub mod wire;

pub use control::SimStatus;
pub use fault::Fault;
pub use margins::SimMargins;
pub use margins::model::MarginRates;
pub use orders::{SimFill, SimOrder};
pub use settings::{SimMarket, SimSegment};

use broker_paper::pricer::{ModelParams, NoMarketPremiums, Pricer};
use catalog::Catalog;
use catalog::replay::CatalogPremiums;
use chrono::{NaiveDate, NaiveTime};
use domain::calendar::{LotSizes, MarketCalendar};
use domain::time::IST;
use domain::{Decimal, OptionContract, Segment};
use sha2::{Digest, Sha256};
use sim::{Settings, Shared, State};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How fast the day is streamed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the socket takes: frames back to back, each awaited, no sleeps.
    Max,
    /// `x` times real time: the wall gap between two frames is their exchange-time gap ÷ `x`
    /// (`Times(1.0)` = real time, `Times(60.0)` = a 6¼-hour session in ~6¼ minutes).
    Times(f64),
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Max => f.write_str("max"),
            Speed::Times(x) => write!(f, "{x}x"),
        }
    }
}

/// `max` or a positive factor (`60`, `1.5`, `10x`).
impl FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        if t == "max" {
            return Ok(Speed::Max);
        }
        t.trim_end_matches('x')
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .map(Speed::Times)
            .ok_or_else(|| format!("speed `{s}`: expected `max` or a factor above 0 (e.g. 60)"))
    }
}

/// What to simulate and how. `Debug` redacts the access token and the API secret.
#[derive(Clone)]
pub struct SimConfig {
    /// The trading day to stream.
    pub date: NaiveDate,
    /// The market: per-index series, IV, strike step and freeze quantity, lot-size
    /// overrides, the premium model's rate and the account's capital.
    pub market: SimMarket,
    /// The data catalog's root (spec §9).
    pub data_dir: PathBuf,
    /// Indices to stream (each needs a catalog day file).
    pub segments: Vec<Segment>,
    /// Stream speed.
    pub speed: Speed,
    /// Listen address: loopback only (`127.0.0.1` / `::1`); port 0 = an ephemeral port.
    pub bind: SocketAddr,
    /// The accepted API key.
    pub api_key: String,
    /// The accepted access token (`Authorization: token api_key:access_token`, and the
    /// ticker URL's query).
    pub access_token: String,
    /// When set, `POST /session/token` requires `checksum = sha256(api_key + request_token +
    /// api_secret)` (kite-connect.md §2); `None` accepts any checksum.
    pub api_secret: Option<String>,
    /// The day's clock stops while no ticker client is connected and subscribed, and the
    /// frame a dropped client missed is sent again after it resubscribes: a drop loses no
    /// ticks. `false`: the stream goes on regardless.
    pub hold_while_disconnected: bool,
    /// Faults injected when the stream reaches an IST time, before that time's ticks.
    pub faults: Vec<(NaiveTime, Fault)>,
    /// The margin calculators' model and the available cash ([`margins`]).
    pub margins: SimMargins,
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("date", &self.date)
            .field("data_dir", &self.data_dir)
            .field("segments", &self.segments)
            .field("speed", &self.speed)
            .field("bind", &self.bind)
            .field("api_key", &self.api_key)
            .field("access_token", &"<redacted>")
            .field(
                "api_secret",
                &self.api_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("hold_while_disconnected", &self.hold_while_disconnected)
            .field("faults", &self.faults)
            .field("margins", &self.margins)
            .finish_non_exhaustive()
    }
}

impl SimConfig {
    /// Stream `segments` of `date` from the catalog at `data_dir` in `market`. Defaults:
    /// [`Speed::Max`], `127.0.0.1:0`, API key `kestrel-sim`, a random access token, no API
    /// secret, hold while disconnected, no faults, [`SimMargins::default`].
    pub fn new(
        date: NaiveDate,
        segments: Vec<Segment>,
        market: SimMarket,
        data_dir: PathBuf,
    ) -> Self {
        Self {
            date,
            market,
            data_dir,
            segments,
            speed: Speed::Max,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            api_key: "kestrel-sim".to_string(),
            access_token: random_token(),
            api_secret: None,
            hold_while_disconnected: true,
            faults: Vec::new(),
            margins: SimMargins::default(),
        }
    }
}

fn random_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(now.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let local = 0u8;
    h.update((&raw const local as usize).to_le_bytes());
    format!("{:x}", h.finalize())[..32].to_string()
}

/// Why the simulator could not start or act. Messages name the file, directory or flag.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A bind address that is not loopback.
    #[error("refusing to listen on {0}: the simulator binds loopback only (127.0.0.1 or ::1)")]
    NonLoopback(SocketAddr),
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// Missing or bad catalog data (names the directory, series and date).
    #[error("{0}")]
    Data(String),
    /// A bad setting.
    #[error("{0}")]
    Config(String),
    /// An order the simulator refused ([`Simulator::place_manual`]), with Kite's message.
    #[error("{0}")]
    Order(String),
    /// Writing the session file failed.
    #[error("session file {path}: {reason}")]
    SessionFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// One REST request as the simulator received it (`/sim/*` and the ticker excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRequest {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    pub method: String,
    /// The path, e.g. `/orders/regular`.
    pub path: String,
    /// The raw query string (`from=…&to=…`), empty when none.
    pub query: String,
    /// When it arrived (wall clock).
    pub at: Instant,
}

/// A running simulator (server + streamer on the current Tokio runtime). Dropping it stops
/// everything; [`Simulator::shutdown`] does so gracefully.
pub struct Simulator {
    sh: Arc<Shared>,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .field("date", &self.sh.day.date)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Load the day, bind, and spawn the server, the streamer and the heartbeat task.
    /// Streaming begins when the first ticker client subscribes.
    ///
    /// # Errors
    /// [`SimError::NonLoopback`], [`SimError::Bind`], [`SimError::Data`] (naming the
    /// directory, series and date), [`SimError::Config`].
    pub async fn start(cfg: SimConfig) -> Result<Simulator, SimError> {
        if !cfg.bind.ip().is_loopback() {
            return Err(SimError::NonLoopback(cfg.bind));
        }
        for (what, v) in [
            ("api_key", &cfg.api_key),
            ("access_token", &cfg.access_token),
        ] {
            if v.trim().is_empty() || v.chars().any(|c| c.is_whitespace() || c == ':') {
                return Err(SimError::Config(format!(
                    "{what} must be non-blank without spaces or `:`"
                )));
            }
        }
        if let Speed::Times(x) = cfg.speed
            && !(x.is_finite() && x > 0.0)
        {
            return Err(SimError::Config(format!("speed {x}: must be above 0")));
        }
        let catalog = Catalog::open(&cfg.data_dir).map_err(|e| {
            SimError::Data(format!("data directory {}: {e}", cfg.data_dir.display()))
        })?;
        let calendar = MarketCalendar::builtin();
        let mut lots = LotSizes::builtin();
        if !cfg.market.lot_sizes.is_empty() {
            lots.extend(cfg.market.lot_sizes.clone())
                .map_err(|e| SimError::Config(format!("lot_sizes: {e}")))?;
        }
        let day = market::Day::load(&catalog, &cfg.market, cfg.date, &cfg.segments).await?;
        let universe = market::Universe::build(&day, &cfg.market, &calendar, &lots);
        let model = ModelParams {
            iv: day
                .segments
                .iter()
                .map(|s| (*s, cfg.market.segment(*s).iv))
                .collect(),
            default_iv: cfg.market.default_iv,
            rate: cfg.market.rate,
        };
        let state = State {
            clock: None,
            advance_to: None,
            last: BTreeMap::new(),
            high: BTreeMap::new(),
            low: BTreeMap::new(),
            volume: BTreeMap::new(),
            opt_ohlc: HashMap::new(),
            started: false,
            finished: false,
            groups_done: 0,
            ticks_sent: 0,
            frames_sent: 0,
            heartbeats_sent: 0,
            placements: 0,
            rate_limited: 0,
            last_frame_at: Instant::now(),
            subs_changed_at: None,
            conns: BTreeMap::new(),
            next_conn: 0,
            orders: Vec::new(),
            order_seq: 0,
            trade_seq: 0,
            stall_until: None,
            delay: None,
            reject: None,
            rate_limit: 0,
            book_later: None,
            requests: Vec::new(),
            placement_forms: Vec::new(),
            token_expired: false,
            margin_fail: None,
            cash: cfg.margins.available_cash,
            pricer: Pricer::new(Box::new(NoMarketPremiums), model, calendar.clone()),
            market: CatalogPremiums::new(catalog.clone(), cfg.date),
        };
        let listener =
            tokio::net::TcpListener::bind(cfg.bind)
                .await
                .map_err(|e| SimError::Bind {
                    addr: cfg.bind,
                    reason: e.to_string(),
                })?;
        let addr = listener.local_addr().map_err(|e| SimError::Bind {
            addr: cfg.bind,
            reason: e.to_string(),
        })?;
        let sh = Arc::new(Shared {
            settings: Settings {
                api_key: cfg.api_key.clone(),
                access_token: cfg.access_token.clone(),
                api_secret: cfg.api_secret.clone(),
                hold: cfg.hold_while_disconnected,
                speed: cfg.speed,
            },
            market: cfg.market.clone(),
            margins: cfg.margins.clone(),
            day,
            universe,
            catalog,
            state: Mutex::new(state),
            changes: watch::channel(0).0,
            finished: watch::channel(false).0,
            shutdown: watch::channel(false).0,
            hist_cache: Mutex::new(HashMap::new()),
        });
        let app = server::router(sh.clone());
        let mut stop = sh.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let graceful = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(graceful)
                .await
            {
                tracing::error!(target: "kite_sim", error = %e, "server stopped");
            }
        });
        let streamer = tokio::spawn(stream::run(sh.clone(), cfg.faults.clone()));
        let heartbeats = tokio::spawn(stream::heartbeats(sh.clone()));
        tracing::info!(target: "kite_sim", %addr, date = %cfg.date, speed = %cfg.speed, options = sh.universe.options.len() - sh.universe.stocks().count() - sh.universe.futures().count(), futures = sh.universe.futures().count(), stocks = sh.universe.stocks().count(), "Kite simulator listening");
        Ok(Simulator {
            sh,
            addr,
            tasks: vec![server, streamer, heartbeats],
        })
    }

    /// The listening address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The REST root, `http://127.0.0.1:PORT` (the `[kite] api_base_url`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The ticker URL, `ws://127.0.0.1:PORT/ws` (the `[kite] ticker_url`).
    pub fn ticker_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The accepted API key.
    pub fn api_key(&self) -> &str {
        &self.sh.settings.api_key
    }

    /// The accepted access token. Keep it out of logs, like a real one.
    pub fn access_token(&self) -> &str {
        &self.sh.settings.access_token
    }

    /// The streamed date.
    pub fn date(&self) -> NaiveDate {
        self.sh.day.date
    }

    /// Write a `broker_kite::SessionFile` (user `SIM001`, the API key and access token, today's
    /// IST date and the wall-clock login time) with mode 0600, creating the directory (0700),
    /// so `KiteClient::from_session` works against the simulator. Unlike
    /// `SessionFile::save` it may write inside the repository (e.g. `artifacts/sim/`): the
    /// token is only good for this simulator. `KITE_API_KEY` / `KITE_ACCESS_TOKEN` in the
    /// environment override the file's values in the client.
    ///
    /// # Errors
    /// [`SimError::SessionFile`] naming the file.
    pub fn write_session_file(&self, path: &Path) -> Result<(), SimError> {
        let err = |reason: String| SimError::SessionFile {
            path: path.to_path_buf(),
            reason,
        };
        let now = chrono::Utc::now().with_timezone(&IST);
        let json = session::session_json(
            sim::USER_ID,
            &self.sh.settings.api_key,
            &self.sh.settings.access_token,
            now,
        );
        session::write_private(path, &json).map_err(|e| err(e.to_string()))
    }

    /// Inject a fault now (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.sh.inject(fault);
    }

    /// The order book, placement order.
    pub fn orders(&self) -> Vec<SimOrder> {
        self.sh.lock().orders.iter().map(|r| r.o.clone()).collect()
    }

    /// Every REST request received so far (`/sim/*` and the ticker excluded), arrival order.
    pub fn requests(&self) -> Vec<SimRequest> {
        self.sh.lock().requests.clone()
    }

    /// How many REST requests had this method and a path starting with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.sh
            .lock()
            .requests
            .iter()
            .filter(|r| r.method == method && r.path.starts_with(path_prefix))
            .count()
    }

    /// The form fields of every placement (`POST /orders/{variety}`) received, valid or
    /// not, arrival order: what the client sent (`tag`, `order_type`, `price`, …).
    pub fn placement_forms(&self) -> Vec<BTreeMap<String, String>> {
        self.sh.lock().placement_forms.clone()
    }

    /// Current counters and clock.
    pub fn status(&self) -> SimStatus {
        self.sh.status()
    }

    /// The listed option (or index future, `option_type` FUT, or streamed stock's NSE share,
    /// `option_type` EQ) with this Kite tradingsymbol (any exchange), with its token.
    pub fn contract(&self, tradingsymbol: &str) -> Option<OptionContract> {
        self.sh
            .universe
            .options
            .iter()
            .find(|o| o.contract.tradingsymbol == tradingsymbol)
            .map(|o| o.contract.clone())
    }

    /// The current premium of a listed option (₹), as quoted and filled now; for a stock's or
    /// an index future's token its segment's stream price now.
    pub fn premium(&self, token: u32) -> Option<Decimal> {
        let inst = self.sh.universe.by_token(token)?;
        let mut st = self.sh.lock();
        Some(self.sh.premium_now(&mut st, inst))
    }

    /// Resolves once the day's closing frame has been written to every connected socket
    /// (immediately if that already happened).
    pub async fn wait_finished(&self) {
        let mut rx = self.sh.finished.subscribe();
        let _ = rx.wait_for(|f| *f).await;
    }

    /// Stop: close the ticker connections, stop streaming, stop the server (waits up to 3 s
    /// for in-flight requests).
    pub async fn shutdown(mut self) {
        self.sh.shutdown.send_replace(true);
        self.sh.lock().drop_all();
        for t in std::mem::take(&mut self.tasks) {
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        tracing::info!(target: "kite_sim", "Kite simulator stopped");
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.sh.shutdown.send_replace(true);
        self.sh.lock().drop_all();
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[cfg(test)]
mod futures_tests;
#[cfg(test)]
mod tests;
