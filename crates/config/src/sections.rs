//! The tables of the configuration file (spec §14), one struct each, with their defaults.
//! Unknown keys are rejected (`deny_unknown_fields`).

use chrono::NaiveTime;
use domain::{Decimal, Segment};
use rust_decimal_macros::dec;
use serde::Deserialize;
use std::path::PathBuf;

pub use engine::settings::{Instrument, Mode, StopBasis};

/// `[engine]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSection {
    /// Mode the config is meant for; live mode also needs a CLI confirmation (spec §10.6).
    pub mode: Mode,
    /// Enabled segments, in any order (agents run in NIFTY, BANKNIFTY, SENSEX order).
    pub segments: Vec<Segment>,
    /// Capital, ₹ (for % limits and returns).
    pub capital: Decimal,
    /// Sessions of warm-up before the trading date (spec §3, default 2).
    pub warmup_sessions: usize,
    /// EOD square-off time, IST (default 15:15:00).
    pub square_off_time: NaiveTime,
}

impl Default for EngineSection {
    fn default() -> Self {
        Self {
            mode: Mode::Replay,
            segments: vec![Segment::Nifty, Segment::BankNifty],
            capital: dec!(1000000),
            warmup_sessions: 2,
            square_off_time: domain::time::hms(15, 15, 0),
        }
    }
}

/// `[exits]`: exit rules for every segment (spec §4.4), evaluated on every tick in the order
/// stop loss, trailing stop, target, strategy EXIT, max holding time, EOD.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExitsSection {
    /// Stop basis.
    pub stop_basis: StopBasis,
    /// Initial stop, index points (underlying basis; default 50).
    pub sl_points: Decimal,
    /// Trailing stop, index points (underlying basis; default = `sl_points`).
    pub trailing_stop_points: Option<Decimal>,
    /// Premium stop, % of the average entry premium (option basis; default 30).
    pub stop_loss_pct: Decimal,
    /// Target in index points from the entry index price (optional).
    pub target_points: Option<Decimal>,
    /// Target as % gain of the premium (optional, seed 002).
    pub profit_target_pct: Option<Decimal>,
    /// Close after this many minutes in the position (optional, seed 002).
    pub max_holding_minutes: Option<u32>,
    /// An opposite entry signal closes the position (reason `SIGNAL`) and enters the other way.
    pub exit_on_opposite_signal: bool,
}

impl Default for ExitsSection {
    fn default() -> Self {
        Self {
            stop_basis: StopBasis::Underlying,
            sl_points: dec!(50),
            trailing_stop_points: None,
            stop_loss_pct: dec!(30),
            target_points: None,
            profit_target_pct: None,
            max_holding_minutes: None,
            exit_on_opposite_signal: false,
        }
    }
}

/// `[pyramiding]` (spec §6): per-segment amounts come from `[segments.<CODE>]`.
///
/// Off by default: with seed 004's thresholds (NIFTY ₹10/unit) and 50-point stops, adds come
/// within minutes and a reversal stops out the whole pyramid — on 2024-06-03 it turns the
/// day's −₹1,987 into −₹21,011 and a daily-loss halt at 10:03. Turn it on deliberately.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PyramidingSection {
    /// Add lots to winning positions (seed 004 §4.2; default false).
    pub enabled: bool,
}

/// `[options]`: contract choice and sizing defaults (spec §5).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptionsSection {
    /// ITM offset from ATM, index points (default 100).
    pub itm_offset: Decimal,
    /// Lots per entry (default 1).
    pub initial_lots: u32,
    /// Skip the nearest expiry on its own expiry day.
    pub skip_expiry_day: bool,
    /// Kite product.
    pub product: domain::Product,
    /// What agents trade (issue 15): `option` (an ITM CE/PE, default) or `underlying` (the
    /// watched instrument itself, long and short: an index's near-month future). Per segment:
    /// `[segments.<CODE>] instrument`.
    pub instrument: Instrument,
    /// Entry size: `lots` (`initial_lots` lots, default) or `capital` (seed 001: `capital ×
    /// capital_alloc_pct % × leverage / price`, whole lots).
    pub sizing: SizingMode,
    /// `sizing = "capital"`: share of `[engine] capital` per trade, % (default 30, seed 001).
    pub capital_alloc_pct: Decimal,
    /// `sizing = "capital"`: leverage multiple (default 1).
    pub leverage: Decimal,
}

/// `[options] sizing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SizingMode {
    /// `initial_lots` lots.
    #[default]
    Lots,
    /// A share of the capital with leverage (seed 001).
    Capital,
}

impl Default for OptionsSection {
    fn default() -> Self {
        Self {
            itm_offset: dec!(100),
            initial_lots: 1,
            skip_expiry_day: false,
            product: domain::Product::MIS,
            instrument: Instrument::Option,
            sizing: SizingMode::Lots,
            capital_alloc_pct: dec!(30),
            leverage: Decimal::ONE,
        }
    }
}

impl OptionsSection {
    /// The engine's sizing rule.
    pub fn sizing(&self) -> engine::settings::Sizing {
        match self.sizing {
            SizingMode::Lots => engine::settings::Sizing::Lots,
            SizingMode::Capital => engine::settings::Sizing::Capital {
                alloc_pct: self.capital_alloc_pct,
                leverage: self.leverage,
            },
        }
    }
}

/// `[paper]`: the fill model (spec §8).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaperSection {
    /// Slippage in ticks against each order (default 1).
    pub slippage_ticks: u32,
    /// Risk-free rate for Black-76 (default 0.065).
    pub rate: f64,
    /// Implied volatility when a segment has none configured (annualised, default 0.15).
    pub default_iv: f64,
}

impl Default for PaperSection {
    fn default() -> Self {
        Self {
            slippage_ticks: 1,
            rate: 0.065,
            default_iv: 0.15,
        }
    }
}

/// `[segments.<CODE>]`: per-segment overrides.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SegmentSection {
    /// Strike step, index points (defaults: NIFTY 50, others 100).
    pub strike_step: Option<Decimal>,
    /// Implied volatility for the premium model, annualised.
    pub iv: Option<f64>,
    /// Initial stop, index points.
    pub sl_points: Option<Decimal>,
    /// Trailing stop, index points.
    pub trailing_stop_points: Option<Decimal>,
    /// ITM offset, index points.
    pub itm_offset: Option<Decimal>,
    /// Lots per entry.
    pub initial_lots: Option<u32>,
    /// Pyramiding: premium ₹ per unit of open profit per add (spec §6).
    pub pyramid_points: Option<Decimal>,
    /// Pyramiding: lots per add.
    pub lot_addition: Option<u32>,
    /// Pyramiding: quantity cap, units.
    pub max_quantity: Option<u32>,
    /// Exchange freeze quantity (max units per order); larger orders are split (spec §7).
    pub freeze_quantity: Option<u32>,
    /// What this segment's agent trades (default `[options] instrument`).
    pub instrument: Option<Instrument>,
    /// Replay: the catalog series whose bars drive this segment (default the segment code,
    /// the index). `NIFTY-FUT_5m` feeds `atr_breakout` futures candles with volume; the agent
    /// then prices strikes and stops off the futures price.
    pub series: Option<String>,
}

/// `[journal]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalSection {
    /// Root of `artifacts/<mode>/<date>/` (default `artifacts`).
    pub root: PathBuf,
}

impl Default for JournalSection {
    fn default() -> Self {
        Self {
            root: PathBuf::from("artifacts"),
        }
    }
}

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataSection {
    /// The data catalog directory (default `data`).
    pub dir: PathBuf,
    /// Where `replay` reads market data: [`DataSource::Files`] (the catalog at `dir`, default)
    /// or [`DataSource::Store`] (the database of `[store]`, filled by `catalog import` or by
    /// a recorded paper/live day; issue 14).
    pub source: DataSource,
    /// `paper`/`live-bin`: record what the session receives (index and option ticks, completed
    /// 1-minute bars, the instruments dump) into the store and into the catalog at
    /// `record_dir` (default true; issue 14).
    pub record: bool,
    /// The catalog directory recorded days are written to (default: `dir`). An existing file
    /// for the same series and day is never overwritten.
    pub record_dir: Option<PathBuf>,
    /// `paper`/`live-bin`: where warm-up and catch-up candles come from: `kite` (default),
    /// `breeze` (`[breeze]`, issue 15) or `catalog` (the catalog at `dir`).
    pub history: crate::HistorySource,
}

impl Default for DataSection {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data"),
            source: DataSource::Files,
            record: true,
            record_dir: None,
            history: crate::HistorySource::Kite,
        }
    }
}

impl DataSection {
    /// The catalog directory recorded days go to: `record_dir`, else `dir`.
    pub fn record_dir(&self) -> &std::path::Path {
        self.record_dir.as_deref().unwrap_or(&self.dir)
    }
}

/// `[data] source`: where `replay` takes its market data from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataSource {
    /// The file catalog at `[data] dir` (spec §9).
    #[default]
    Files,
    /// The database of `[store]` (issue 14): same series and days as the catalog format.
    Store,
}

/// `[store]`: the database that keeps market data and journals across days (issue 14).
/// SQLite, embedded, by default; PostgreSQL (TimescaleDB hypertables when the extension is
/// installed) when `url` is a `postgres://` URL. The CSV journals stay the crash-safe record;
/// the store is written by a background writer, never on the tick path.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// Write journals (and, in `paper`/`live-bin`, recorded market data) to the store
    /// (default true). `--no-store` turns it off for one run.
    pub enabled: bool,
    /// Database URL: `sqlite://PATH` (created if missing) or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`. Default (absent): SQLite at
    /// `<journal root>/kestrel.db`. `--store URL` and the `KESTREL_STORE_URL` environment
    /// variable override it; a password in it is never logged.
    pub url: Option<String>,
    /// Records waiting for the background writer (default 65536); when the queue is full
    /// (the database away for long), further records are counted and reported, never waited
    /// for: the engine never waits on the database, the CSV journals have every row.
    pub queue_capacity: usize,
    /// `--store URL` of the command line (not a file key): wins over `KESTREL_STORE_URL`
    /// and `url`.
    #[serde(skip)]
    pub cli_url: Option<String>,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            enabled: true,
            url: None,
            queue_capacity: 65_536,
            cli_url: None,
        }
    }
}

impl StoreSection {
    /// The database URL to use: `url`, else `sqlite://<journal_root>/kestrel.db`.
    pub fn url_or_default(&self, journal_root: &std::path::Path) -> String {
        match &self.url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", journal_root.join("kestrel.db").display()),
        }
    }
}

/// `[http]`: the trader's console of `paper` and `live-bin` (spec §12). CLI flags
/// (`--http-bind`, `--allow-remote`, `--no-http`) override it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    /// Socket address the console listens on (default `127.0.0.1:8000`; port 0 picks a free
    /// port).
    pub bind: std::net::SocketAddr,
    /// Allow a non-loopback `bind` (the API can place real orders: default false).
    pub allow_remote: bool,
    /// File holding the console's API token (default `<journal root>/api_token`).
    pub token_file: Option<PathBuf>,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 8000)),
            allow_remote: false,
            token_file: None,
        }
    }
}

impl HttpSection {
    /// The API token file: `token_file`, else `<journal_root>/api_token`.
    pub fn token_file(&self, journal_root: &std::path::Path) -> PathBuf {
        self.token_file
            .clone()
            .unwrap_or_else(|| journal_root.join("api_token"))
    }

    /// `Err` naming the key when `bind` is not a loopback address and `allow_remote` is off
    /// (checked by `paper`/`live-bin` after their flags, not when the file loads).
    pub fn check_bind(&self) -> Result<(), String> {
        if !self.bind.ip().is_loopback() && !self.allow_remote {
            return Err(format!(
                "http.bind = \"{}\" is not a loopback address: set http.allow_remote = true (or pass --allow-remote) to serve the console beyond this machine",
                self.bind
            ));
        }
        Ok(())
    }
}

/// `[telegram]`: notifications and chat commands of `paper` and `live-bin` (issue 12,
/// `docs/telegram.md`). The bot token and chat id are secrets: they come from the environment
/// (`TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID`) or the 0600 secrets file, never from here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramSection {
    /// Start the bot beside the console (default false).
    pub enabled: bool,
    /// Bot API base URL without the `/bot<token>` part (default `https://api.telegram.org`;
    /// tests point it at a loopback fake).
    pub api_url: String,
    /// Messages waiting to be sent before low-priority ones are merged (default 256).
    pub queue_capacity: usize,
    /// Send the day's summary (trades, gross, charges, net ₹) when the session ends (default
    /// true).
    pub daily_summary: bool,
    /// Seconds without an index tick, while a session runs and after its first tick, before a
    /// critical "feed stale" message (default 30; 0 = off). Ticks resuming send "feed back".
    pub feed_stale_secs: u64,
}

impl Default for TelegramSection {
    fn default() -> Self {
        Self {
            enabled: false,
            api_url: "https://api.telegram.org".into(),
            queue_capacity: 256,
            daily_summary: true,
            feed_stale_secs: 30,
        }
    }
}
