//! # journal — what happened, row by row (spec §11)
//!
//! [`CsvJournal`] writes, under `<root>/<mode>/<YYYY-MM-DD>/`:
//! - `orders.csv`: every order and each status change ([`OrderRow`]);
//! - `fills.csv`: every execution with its charges ([`FillRow`]);
//! - `trades.csv`: one row per completed trade ([`domain::Trade`], the columns of spec §11);
//! - `events.csv` and `events.jsonl`: the event log ([`Event`]): candle processed, signal,
//!   entry taken/skipped with reason, risk decision, SL/TSL update, exit;
//! - `summary.json`: the day's statistics ([`DaySummary`]).
//!
//! Every row is flushed as it is written (a crash loses no completed row), except in a journal
//! made [`CsvJournal::buffered`] (replays: flushed at the day's summary). Files are created
//! fresh by [`CsvJournal::create`] (a replay re-run replaces its day) or appended to by
//! [`CsvJournal::append`] (a restarted live/paper day).

pub mod excel;
pub mod summary;
pub mod tee;
pub mod writer;

pub use tee::Tee;

pub use summary::{DaySummary, SegmentSummary};

use domain::time::IstDateTime;
use domain::{Decimal, Fill, OrderState, Segment, Trade};
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Journal failures (I/O or encoding), naming the file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The writer thread of a [`writer::WriterThread`] journal has stopped.
    #[error("journal writer thread stopped")]
    WriterStopped,
    /// Could not create/write a file.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Could not encode a row.
    #[error("{path}: {source}")]
    Csv {
        /// File.
        path: PathBuf,
        /// Cause.
        source: csv::Error,
    },
    /// Could not build or save an Excel workbook ([`excel`]).
    #[error("{path}: {message}")]
    Xlsx {
        /// File (or the download's name).
        path: PathBuf,
        /// rust_xlsxwriter's message.
        message: String,
    },
    /// Could not encode JSON.
    #[error("{path}: {source}")]
    Json {
        /// File.
        path: PathBuf,
        /// Cause.
        source: serde_json::Error,
    },
}

/// Where journal rows go. The engine holds a `Box<dyn Journal>`.
pub trait Journal: Send {
    /// An order was created or changed status.
    fn order(&mut self, row: &OrderRow) -> Result<(), JournalError>;
    /// An execution.
    fn fill(&mut self, row: &FillRow) -> Result<(), JournalError>;
    /// A completed trade.
    fn trade(&mut self, trade: &Trade) -> Result<(), JournalError>;
    /// An event-log entry.
    fn event(&mut self, event: &Event) -> Result<(), JournalError>;
    /// The day's summary (written at the end of the day; may be rewritten).
    fn summary(&mut self, summary: &DaySummary) -> Result<(), JournalError>;
}

/// One `orders.csv` row: an order's state after a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRow {
    /// Time of the change, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub timestamp: IstDateTime,
    /// Engine order id.
    pub order_id: u64,
    /// Kite tag.
    pub tag: String,
    /// Broker order id, once known.
    pub broker_order_id: String,
    /// Segment.
    pub segment: Segment,
    /// Contract.
    pub tradingsymbol: String,
    /// `BUY`/`SELL`.
    pub side: &'static str,
    /// `ENTRY`, `PYRAMID_ADD`, `EXIT`, `PROTECT`.
    pub purpose: &'static str,
    /// `MARKET`, `LIMIT`, `SL`.
    pub order_type: &'static str,
    /// Limit price, ₹ (empty for market).
    pub price: Option<Decimal>,
    /// Quantity, units.
    pub quantity: u32,
    /// Status after the change.
    pub status: &'static str,
    /// Filled so far, units.
    pub filled_quantity: u32,
    /// Average fill price, ₹.
    pub average_price: Option<Decimal>,
    /// Broker message / rejection reason.
    pub message: String,
}

impl OrderRow {
    /// The row for an order's current state.
    pub fn from_state(o: &OrderState) -> Self {
        let r = o.request();
        let (order_type, price) = match r.kind {
            domain::OrderKind::Market => ("MARKET", None),
            domain::OrderKind::Limit { price } => ("LIMIT", Some(price)),
            domain::OrderKind::StopLimit { price, .. } => ("SL", Some(price)),
        };
        Self {
            timestamp: o.updated(),
            order_id: r.id.0,
            tag: r.tag.clone(),
            broker_order_id: o.broker_order_id().unwrap_or_default().to_string(),
            segment: r.contract.segment,
            tradingsymbol: r.contract.tradingsymbol.clone(),
            side: r.side.code(),
            purpose: r.purpose.code(),
            order_type,
            price,
            quantity: r.quantity,
            status: o.status().code(),
            filled_quantity: o.filled_quantity(),
            average_price: o.average_price(),
            message: o.message().unwrap_or_default().to_string(),
        }
    }
}

/// One `fills.csv` row: an execution and its charges (₹).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FillRow {
    /// Execution time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub timestamp: IstDateTime,
    /// Engine order id.
    pub order_id: u64,
    /// Broker fill id.
    pub fill_id: String,
    /// Segment.
    pub segment: Segment,
    /// Contract.
    pub tradingsymbol: String,
    /// `BUY`/`SELL`.
    pub side: &'static str,
    /// Units.
    pub quantity: u32,
    /// Fill price, ₹/unit.
    pub price: Decimal,
    /// Price before slippage, ₹/unit.
    pub reference_price: Decimal,
    /// `MARKET` or `MODEL`.
    pub premium_source: &'static str,
    /// Brokerage, ₹.
    pub brokerage: Decimal,
    /// STT, ₹.
    pub stt: Decimal,
    /// Exchange transaction charges including NSE's IPFT contribution (as on Zerodha's
    /// contract notes; `docs/reference-data.md` §4), ₹.
    pub exchange_txn: Decimal,
    /// SEBI fee, ₹.
    pub sebi: Decimal,
    /// Stamp duty, ₹.
    pub stamp: Decimal,
    /// GST, ₹.
    pub gst: Decimal,
    /// All charges, ₹.
    pub charges: Decimal,
}

impl FillRow {
    /// The row for `fill` in `segment` with its charge breakdown.
    pub fn new(fill: &Fill, segment: Segment, c: &domain::charges::ChargeBreakdown) -> Self {
        Self {
            timestamp: fill.ts,
            order_id: fill.order_id.0,
            fill_id: fill.fill_id.clone(),
            segment,
            tradingsymbol: fill.tradingsymbol.clone(),
            side: fill.side.code(),
            quantity: fill.quantity,
            price: fill.price,
            reference_price: fill.reference_price,
            premium_source: fill.premium_source.code(),
            brokerage: c.brokerage,
            stt: c.stt,
            exchange_txn: c.exchange_txn,
            sebi: c.sebi,
            stamp: c.stamp,
            gst: c.gst,
            charges: c.total,
        }
    }
}

/// An event-log entry (seed 004 §7.2, spec §11).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub timestamp: IstDateTime,
    /// Segment, when the event belongs to one.
    pub segment: Option<Segment>,
    /// Kind, snake_case: `candle`, `signal`, `entry`, `entry_skipped`, `signal_ignored`,
    /// `risk`, `stop_update`, `exit`, `order_error`, `session`.
    pub kind: &'static str,
    /// Human-readable one-liner.
    pub message: String,
    /// Structured details.
    pub data: serde_json::Value,
}

/// Flat `events.csv` row (the JSON details as one column).
#[derive(Serialize)]
struct EventCsvRow<'a> {
    #[serde(with = "domain::time::serde_ist")]
    timestamp: IstDateTime,
    segment: Option<Segment>,
    kind: &'a str,
    message: &'a str,
    data: String,
}

/// `trades` as the rows of `trades.csv` (header line first, exactly as [`CsvJournal`] writes
/// them; nothing at all for no trades, like the journal's file) to any writer (the console's
/// download).
pub fn write_trades_csv<W: Write>(w: W, trades: &[Trade]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(w);
    trades.iter().try_for_each(|t| w.serialize(t))?;
    w.flush().map_err(csv::Error::from)
}

/// `events` as the rows of `events.csv` (header line first, as [`CsvJournal`] writes them) to
/// any writer (the console's download).
pub fn write_events_csv<W: Write>(w: W, events: &[Event]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(w);
    for e in events {
        w.serialize(EventCsvRow {
            timestamp: e.timestamp,
            segment: e.segment,
            kind: e.kind,
            message: &e.message,
            data: e.data.to_string(),
        })?;
    }
    w.flush().map_err(csv::Error::from)
}

struct CsvFile {
    path: PathBuf,
    w: csv::Writer<File>,
}

impl CsvFile {
    fn open(path: PathBuf, append: bool, header: bool) -> Result<Self, JournalError> {
        let existed =
            append && path.exists() && path.metadata().map(|m| m.len() > 0).unwrap_or(false);
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&path)
            .map_err(|source| JournalError::Io {
                path: path.clone(),
                source,
            })?;
        let w = csv::WriterBuilder::new()
            .has_headers(header && !existed)
            .from_writer(file);
        Ok(Self { path, w })
    }

    fn write<T: Serialize>(&mut self, row: &T, flush: bool) -> Result<(), JournalError> {
        self.w.serialize(row).map_err(|source| JournalError::Csv {
            path: self.path.clone(),
            source,
        })?;
        if flush { self.flush() } else { Ok(()) }
    }

    fn flush(&mut self) -> Result<(), JournalError> {
        self.w.flush().map_err(|source| JournalError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// The CSV/JSONL journal of one mode and day.
pub struct CsvJournal {
    dir: PathBuf,
    orders: CsvFile,
    fills: CsvFile,
    trades: CsvFile,
    events: CsvFile,
    jsonl_path: PathBuf,
    jsonl: BufWriter<File>,
    /// `trade_id`s already in `trades.csv` (appending: a restart that books a trade the
    /// earlier run already wrote does not write it twice, spec §11).
    trade_ids: std::collections::BTreeSet<String>,
    /// Flush every row as it is written (the default; see [`CsvJournal::buffered`]).
    flush_each_row: bool,
}

/// The `trade_id` column of an existing `trades.csv` (empty when the file does not exist).
fn existing_trade_ids(path: &Path) -> Result<std::collections::BTreeSet<String>, JournalError> {
    if !path.exists() {
        return Ok(Default::default());
    }
    let err = |source: csv::Error| JournalError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut r = csv::Reader::from_path(path).map_err(err)?;
    let col = r
        .headers()
        .map_err(err)?
        .iter()
        .position(|h| h == "trade_id");
    let mut ids = std::collections::BTreeSet::new();
    if let Some(col) = col {
        for rec in r.records() {
            if let Some(id) = rec.map_err(err)?.get(col) {
                ids.insert(id.to_string());
            }
        }
    }
    Ok(ids)
}

impl CsvJournal {
    /// Fresh files under `<root>/<mode>/<date>/` (existing files of that day are replaced).
    pub fn create(root: &Path, mode: &str, date: chrono::NaiveDate) -> Result<Self, JournalError> {
        Self::open(root, mode, date, false)
    }

    /// Append to the files of `<root>/<mode>/<date>/` (headers only for new files).
    pub fn append(root: &Path, mode: &str, date: chrono::NaiveDate) -> Result<Self, JournalError> {
        Self::open(root, mode, date, true)
    }

    fn open(
        root: &Path,
        mode: &str,
        date: chrono::NaiveDate,
        append: bool,
    ) -> Result<Self, JournalError> {
        let dir = root.join(mode).join(date.format("%Y-%m-%d").to_string());
        std::fs::create_dir_all(&dir).map_err(|source| JournalError::Io {
            path: dir.clone(),
            source,
        })?;
        let f = |name: &str| CsvFile::open(dir.join(name), append, true);
        let orders = f("orders.csv")?;
        let fills = f("fills.csv")?;
        let trade_ids = if append {
            existing_trade_ids(&dir.join("trades.csv"))?
        } else {
            Default::default()
        };
        let trades = f("trades.csv")?;
        let events = f("events.csv")?;
        let jsonl_path = dir.join("events.jsonl");
        let jsonl = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&jsonl_path)
            .map_err(|source| JournalError::Io {
                path: jsonl_path.clone(),
                source,
            })?;
        Ok(Self {
            dir,
            orders,
            fills,
            trades,
            events,
            jsonl_path,
            jsonl: BufWriter::new(jsonl),
            trade_ids,
            flush_each_row: true,
        })
    }

    /// Rows are buffered and flushed at [`Journal::summary`] (the day's end) or when the
    /// journal is dropped, instead of one flush per row. For replays and sweeps, where a crash
    /// loses nothing a re-run does not write again; paper and live keep the per-row flush
    /// (spec §11: a crash loses no completed row). Same bytes either way.
    pub fn buffered(mut self) -> Self {
        self.flush_each_row = false;
        self
    }

    fn flush_all(&mut self) -> Result<(), JournalError> {
        for f in [
            &mut self.orders,
            &mut self.fills,
            &mut self.trades,
            &mut self.events,
        ] {
            f.flush()?;
        }
        self.jsonl.flush().map_err(|source| JournalError::Io {
            path: self.jsonl_path.clone(),
            source,
        })
    }

    /// The day's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Journal for CsvJournal {
    fn order(&mut self, row: &OrderRow) -> Result<(), JournalError> {
        self.orders.write(row, self.flush_each_row)
    }

    fn fill(&mut self, row: &FillRow) -> Result<(), JournalError> {
        self.fills.write(row, self.flush_each_row)
    }

    fn trade(&mut self, trade: &Trade) -> Result<(), JournalError> {
        if !self.trade_ids.insert(trade.trade_id.clone()) {
            tracing::warn!(target: "journal", trade_id = %trade.trade_id, "trade already in trades.csv (restart): not written twice");
            return Ok(());
        }
        self.trades.write(trade, self.flush_each_row)
    }

    fn event(&mut self, e: &Event) -> Result<(), JournalError> {
        self.events.write(
            &EventCsvRow {
                timestamp: e.timestamp,
                segment: e.segment,
                kind: e.kind,
                message: &e.message,
                data: e.data.to_string(),
            },
            self.flush_each_row,
        )?;
        let io = |source| JournalError::Io {
            path: self.jsonl_path.clone(),
            source,
        };
        serde_json::to_writer(&mut self.jsonl, e).map_err(|source| JournalError::Json {
            path: self.jsonl_path.clone(),
            source,
        })?;
        self.jsonl.write_all(b"\n").map_err(io)?;
        if !self.flush_each_row {
            return Ok(());
        }
        self.jsonl.flush().map_err(|source| JournalError::Io {
            path: self.jsonl_path.clone(),
            source,
        })
    }

    fn summary(&mut self, s: &DaySummary) -> Result<(), JournalError> {
        self.flush_all()?;
        let path = self.dir.join("summary.json");
        let tmp = self.dir.join("summary.json.tmp");
        let body = serde_json::to_vec_pretty(s).map_err(|source| JournalError::Json {
            path: path.clone(),
            source,
        })?;
        std::fs::write(&tmp, body)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|source| JournalError::Io { path, source })
    }
}

/// A journal that keeps everything in memory (tests, embedding tools).
#[derive(Debug, Default, Clone)]
pub struct MemoryJournal {
    /// Order rows.
    pub orders: Vec<OrderRow>,
    /// Fill rows.
    pub fills: Vec<FillRow>,
    /// Trades.
    pub trades: Vec<Trade>,
    /// Events.
    pub events: Vec<Event>,
    /// Last summary.
    pub summary: Option<DaySummary>,
}

impl Journal for MemoryJournal {
    fn order(&mut self, row: &OrderRow) -> Result<(), JournalError> {
        self.orders.push(row.clone());
        Ok(())
    }
    fn fill(&mut self, row: &FillRow) -> Result<(), JournalError> {
        self.fills.push(row.clone());
        Ok(())
    }
    fn trade(&mut self, trade: &Trade) -> Result<(), JournalError> {
        self.trades.push(trade.clone());
        Ok(())
    }
    fn event(&mut self, event: &Event) -> Result<(), JournalError> {
        self.events.push(event.clone());
        Ok(())
    }
    fn summary(&mut self, summary: &DaySummary) -> Result<(), JournalError> {
        self.summary = Some(summary.clone());
        Ok(())
    }
}

/// A [`MemoryJournal`] that stays readable after the engine took its box: clone it, hand one
/// clone to the engine, read the other with [`SharedJournal::snapshot`].
#[derive(Debug, Default, Clone)]
pub struct SharedJournal(std::sync::Arc<std::sync::Mutex<MemoryJournal>>);

impl SharedJournal {
    /// A copy of everything journaled so far.
    pub fn snapshot(&self) -> MemoryJournal {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryJournal> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Journal for SharedJournal {
    fn order(&mut self, row: &OrderRow) -> Result<(), JournalError> {
        self.lock().order(row)
    }
    fn fill(&mut self, row: &FillRow) -> Result<(), JournalError> {
        self.lock().fill(row)
    }
    fn trade(&mut self, trade: &Trade) -> Result<(), JournalError> {
        self.lock().trade(trade)
    }
    fn event(&mut self, event: &Event) -> Result<(), JournalError> {
        self.lock().event(event)
    }
    fn summary(&mut self, summary: &DaySummary) -> Result<(), JournalError> {
        self.lock().summary(summary)
    }
}
