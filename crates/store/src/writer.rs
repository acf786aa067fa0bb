//! The background writer: a thread of its own with its own runtime and connection pool, fed
//! through a bounded queue that never blocks the caller. Records are written in batches, one
//! transaction per batch. When the database goes away the writer keeps its batch, reports
//! [`StoreHealth::Down`] once, retries with backoff and reports [`StoreHealth::Up`] when it
//! has caught up; while it is down the queue fills, and records that do not fit are counted
//! and reported ([`StoreHealth::Dropped`]) — the CSV journals stay the complete record.

use crate::StoreError;
use crate::batch::{describe, write};
use crate::db::Store;
use crate::journal_rows::{DayKey, RunInfo, SweepRow};
use crate::url::StoreUrl;
use catalog::TradeTick;
use chrono::NaiveDate;
use domain::{Bar, Trade};
use journal::{DaySummary, Event, FillRow, OrderRow};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Records taken from the queue into one transaction at most.
const BATCH: usize = 4096;
/// How long the writer waits for more records before writing a batch.
const GATHER: Duration = Duration::from_millis(20);
/// Longest wait between retries while the database is down.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One thing to write.
#[derive(Debug, Clone)]
pub enum Record {
    /// A run started.
    Run(RunInfo),
    /// A journal day begins: `replace` deletes the stored rows and summary of
    /// `(journal_mode, date)` first (a replay re-run), otherwise rows are added (a restarted
    /// paper/live day).
    BeginDay {
        /// `replay`, `paper`, `live`.
        journal_mode: String,
        /// Trading day.
        date: NaiveDate,
        /// Delete the day's earlier rows first.
        replace: bool,
    },
    /// An `orders.csv` row.
    Order(Arc<DayKey>, u64, OrderRow),
    /// A `fills.csv` row.
    Fill(Arc<DayKey>, u64, FillRow),
    /// A `trades.csv` row.
    Trade(Arc<DayKey>, u64, Box<Trade>),
    /// An `events.csv` row.
    Event(Arc<DayKey>, u64, Box<Event>),
    /// The day's summary (replaces the run's earlier one).
    Summary(Arc<DayKey>, Box<DaySummary>),
    /// Replace the bars of a series on a day.
    Bars(String, NaiveDate, Vec<Bar>),
    /// Replace the trade ticks of a series on a day.
    Ticks(String, NaiveDate, Vec<TradeTick>),
    /// Recording: one completed bar (replaces a stored bar with the same start).
    Bar(String, NaiveDate, Bar),
    /// Recording: one trade tick, after the day's stored ticks of the series.
    Tick(String, NaiveDate, TradeTick),
    /// The day's instruments dump from a source (`kite`).
    Instruments(NaiveDate, String, String),
    /// Replace a sweep's results.
    Sweep(String, Vec<SweepRow>),
}

/// A change in the writer's state, for the session's event log and notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreHealth {
    /// The database stopped answering; records wait in the queue (critical).
    Down {
        /// The driver's message, one line, password-free.
        error: String,
    },
    /// The database answers again and the waiting records are written.
    Up {
        /// Records written since it came back.
        caught_up: u64,
        /// How long it was down.
        outage: Duration,
    },
    /// The queue was full: records were not stored (they are in the CSV journals).
    Dropped {
        /// Records dropped so far in this run.
        total: u64,
    },
    /// The database refused a record (bad data, not a connection failure); it is skipped.
    Rejected {
        /// What was refused.
        what: String,
        /// The driver's message.
        error: String,
    },
}

/// Where [`StoreHealth`] changes go.
pub type HealthFn = Arc<dyn Fn(StoreHealth) + Send + Sync>;

enum Msg {
    Rec(Box<Record>),
    Flush(oneshot::Sender<()>),
}

#[derive(Default)]
struct Shared {
    written: AtomicU64,
    dropped: AtomicU64,
    dropping: AtomicBool,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// The handle of the background writer. Cloneable; the thread ends when every clone is
/// dropped, after writing what was queued.
#[derive(Clone)]
pub struct StoreWriter {
    tx: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
    health: HealthFn,
    url: StoreUrl,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWriter")
            .field("url", &self.url)
            .finish()
    }
}

impl StoreWriter {
    /// Connect to `url` and start the writer thread with a queue of `capacity` records.
    /// Blocks the calling thread until connected (at most
    /// [`CONNECT_TIMEOUT`](crate::CONNECT_TIMEOUT) per attempt).
    ///
    /// Errors: the [`Store::connect`] errors: a session refuses to start on them.
    pub fn spawn(
        url: &StoreUrl,
        capacity: usize,
        health: HealthFn,
    ) -> Result<StoreWriter, StoreError> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let shared = Arc::new(Shared::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let (url2, shared2, health2) = (url.clone(), shared.clone(), health.clone());
        let handle = std::thread::Builder::new()
            .name("kestrel-store".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(StoreError::Connect {
                            url: url2.redacted(),
                            message: e.to_string(),
                        }));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Store::connect(&url2).await {
                        Ok(store) => {
                            let _ = ready_tx.send(Ok(()));
                            run(&store, rx, shared2, health2).await;
                            // Closing the pool checkpoints SQLite's write-ahead log.
                            store.close().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| StoreError::Connect {
                url: url.redacted(),
                message: e.to_string(),
            })?;
        ready_rx.recv().map_err(|_| StoreError::WriterStopped)??;
        if let Ok(mut t) = shared.thread.lock() {
            *t = Some(handle);
        }
        Ok(StoreWriter {
            tx,
            shared,
            health,
            url: url.clone(),
        })
    }

    /// Queue a record; never waits. Returns false when it was dropped (queue full or the
    /// writer stopped); the first drop of a run of drops is reported.
    pub fn send(&self, rec: Record) -> bool {
        match self.tx.try_send(Msg::Rec(Box::new(rec))) {
            Ok(()) => {
                self.shared.dropping.store(false, Ordering::Relaxed);
                true
            }
            Err(_) => {
                let total = self.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if !self.shared.dropping.swap(true, Ordering::Relaxed) {
                    (self.health)(StoreHealth::Dropped { total });
                }
                false
            }
        }
    }

    /// Wait until everything queued before this call is written (or `timeout` passes);
    /// returns whether it was. For async callers see [`StoreWriter::flush_async`].
    pub fn flush(&self, timeout: Duration) -> bool {
        let (ack, done) = oneshot::channel();
        if self.tx.try_send(Msg::Flush(ack)).is_err() {
            return false;
        }
        let deadline = Instant::now() + timeout;
        let mut done = done;
        loop {
            match done.try_recv() {
                Ok(()) => return true,
                Err(oneshot::error::TryRecvError::Closed) => return false,
                Err(oneshot::error::TryRecvError::Empty) if Instant::now() >= deadline => {
                    return false;
                }
                Err(oneshot::error::TryRecvError::Empty) => {
                    std::thread::sleep(Duration::from_millis(2))
                }
            }
        }
    }

    /// [`StoreWriter::flush`] for async callers.
    pub async fn flush_async(&self, timeout: Duration) -> bool {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).await.is_err() {
            return false;
        }
        matches!(tokio::time::timeout(timeout, done).await, Ok(Ok(())))
    }

    /// Write what is queued, then end the writer and close the database (waits up to
    /// `timeout` in all). Returns whether everything queued was written. Other clones of this
    /// handle must be gone (the thread ends with the last one).
    pub fn close(self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let done = self.flush(timeout);
        let handle = self.shared.thread.lock().ok().and_then(|mut t| t.take());
        drop(self.tx);
        if let Some(h) = handle {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
        done
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Records dropped so far (queue full).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// The database (password redacted when displayed).
    pub fn url(&self) -> &StoreUrl {
        &self.url
    }
}

async fn run(store: &Store, mut rx: mpsc::Receiver<Msg>, shared: Arc<Shared>, health: HealthFn) {
    let mut pending: Vec<Record> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    let mut seqs: HashMap<(String, NaiveDate), u64> = HashMap::new();
    let mut down: Option<(Instant, u64)> = None;
    let mut backoff = Duration::from_millis(100);
    let mut open = true;
    loop {
        if pending.is_empty() && waiters.is_empty() {
            match rx.recv().await {
                Some(Msg::Rec(r)) => pending.push(*r),
                Some(Msg::Flush(ack)) => {
                    let _ = ack.send(());
                    continue;
                }
                None => return,
            }
        }
        // Gather a batch: what is queued, and what arrives within GATHER (one transaction per
        // record would cost more than the rows themselves).
        let gather_until = tokio::time::Instant::now() + GATHER;
        while open && pending.len() < BATCH && waiters.is_empty() {
            match rx.try_recv() {
                Ok(Msg::Rec(r)) => pending.push(*r),
                Ok(Msg::Flush(ack)) => waiters.push(ack),
                Err(mpsc::error::TryRecvError::Disconnected) => open = false,
                Err(mpsc::error::TryRecvError::Empty) => {
                    match tokio::time::timeout_at(gather_until, rx.recv()).await {
                        Ok(Some(Msg::Rec(r))) => pending.push(*r),
                        Ok(Some(Msg::Flush(ack))) => waiters.push(ack),
                        Ok(None) => open = false,
                        Err(_) => break,
                    }
                }
            }
        }
        match write(store, &pending, &mut seqs).await {
            Ok(()) => {
                let n = pending.len() as u64;
                shared.written.fetch_add(n, Ordering::Relaxed);
                pending.clear();
                backoff = Duration::from_millis(100);
                if let Some((since, before)) = down.take() {
                    let caught_up = shared.written.load(Ordering::Relaxed) - before;
                    tracing::info!(store = %store.url(), caught_up, "store: database back, caught up");
                    health(StoreHealth::Up {
                        caught_up,
                        outage: since.elapsed(),
                    });
                }
                for w in waiters.drain(..) {
                    let _ = w.send(());
                }
                if !open && pending.is_empty() {
                    return;
                }
            }
            Err(e) if e.is_transient() => {
                if down.is_none() {
                    tracing::error!(store = %store.url(), error = %e, "store: database unreachable; records wait in the queue");
                    down = Some((Instant::now(), shared.written.load(Ordering::Relaxed)));
                    health(StoreHealth::Down {
                        error: e.to_string(),
                    });
                }
                // Connections to a restarted server are stale: let the pool make new ones.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(_) => {
                // A refused statement: write record by record, skipping the refused ones.
                let batch = std::mem::take(&mut pending);
                let mut requeue = Vec::new();
                for (i, rec) in batch.iter().enumerate() {
                    match write(store, std::slice::from_ref(rec), &mut seqs).await {
                        Ok(()) => {
                            shared.written.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) if e.is_transient() => {
                            requeue.extend(batch[i..].iter().cloned());
                            break;
                        }
                        Err(e) => {
                            let what = describe(rec);
                            tracing::error!(store = %store.url(), record = %what, error = %e, "store: record refused, skipped");
                            health(StoreHealth::Rejected {
                                what,
                                error: e.to_string(),
                            });
                        }
                    }
                }
                pending = requeue;
                if pending.is_empty() {
                    for w in waiters.drain(..) {
                        let _ = w.send(());
                    }
                }
            }
        }
    }
}
