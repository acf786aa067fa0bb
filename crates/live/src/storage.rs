//! The session's side of the database store (issue 14): the writer opened before trading
//! (an unreachable database refuses the start with one line), the day's journal written to
//! the CSV files and the store, the store's health turned into session events (the database
//! going away is a critical event while trading and CSV journaling go on), and the final
//! flush.

use crate::session::SessionError;
use config::Config;
use engine::{Engine, EngineError, EngineEvent};
use journal::{Journal, Tee};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store::{DayKey, Record, RunInfo, StoreHealth, StoreJournal, StoreUrl, StoreWriter};
use tokio::sync::mpsc;

/// How long the end of a session waits for the store to take the last records.
const FINAL_FLUSH: Duration = Duration::from_secs(30);

/// The open store of a session.
pub struct SessionStore {
    writer: StoreWriter,
    run_id: String,
    health: mpsc::UnboundedReceiver<StoreHealth>,
}

impl SessionStore {
    /// Open the store of `config` (`--store`, else `KESTREL_STORE_URL`, else `[store] url`, else SQLite at
    /// `<journal root>/kestrel.db`) for a `mode_dir` (`paper`/`live`) session and record the
    /// run; `None` when `[store] enabled = false`.
    ///
    /// Errors: [`SessionError::Refused`] naming the database (password redacted) when it
    /// cannot be reached or migrated: the session does not start.
    pub async fn open(
        config: &Config,
        config_path: &Path,
        journal_root: &Path,
        mode_dir: &str,
    ) -> Result<Option<SessionStore>, SessionError> {
        if !config.store.enabled {
            return Ok(None);
        }
        let refused = |e: store::StoreError| SessionError::Refused(e.to_string());
        let url = StoreUrl::resolve(
            config.store.cli_url.as_deref(),
            &config.store.url_or_default(journal_root),
        )
        .map_err(refused)?;
        let (tx, health) = mpsc::unbounded_channel();
        let on_health = Arc::new(move |h: StoreHealth| {
            let _ = tx.send(h);
        });
        let capacity = config.store.queue_capacity;
        let u = url.clone();
        let writer =
            tokio::task::spawn_blocking(move || StoreWriter::spawn(&u, capacity, on_health))
                .await
                .map_err(|e| SessionError::Refused(format!("store {url}: {e}")))?
                .map_err(refused)?;
        let started = chrono::Utc::now().with_timezone(&domain::time::IST);
        let command = std::env::args().collect::<Vec<_>>().join(" ");
        let text = std::fs::read_to_string(config_path).unwrap_or_default();
        let run = RunInfo::new(mode_dir, started, command, text);
        let run_id = run.run_id.clone();
        writer.send(Record::Run(run));
        tracing::info!(target: "live", store = %url, "store open");
        Ok(Some(SessionStore {
            writer,
            run_id,
            health,
        }))
    }

    /// The day's journal: `csv` (authoritative) and the store (rows added to the day's earlier
    /// runs, as the CSV journal appends).
    pub fn journal(
        &self,
        csv: Box<dyn Journal>,
        mode_dir: &str,
        date: chrono::NaiveDate,
    ) -> Box<dyn Journal> {
        let key = DayKey {
            journal_mode: mode_dir.into(),
            date,
            run_id: self.run_id.clone(),
        };
        Box::new(Tee::new(
            csv,
            Box::new(StoreJournal::begin(&self.writer, key, false)),
        ))
    }

    /// The writer (for recording market data).
    pub fn writer(&self) -> &StoreWriter {
        &self.writer
    }

    /// The next change of the store's health (pending forever when there is none).
    pub async fn next_health(&mut self) -> StoreHealth {
        match self.health.recv().await {
            Some(h) => h,
            None => std::future::pending().await,
        }
    }

    /// Wait for the last records to be stored; logs what could not be.
    pub async fn finish(self) {
        let done = self.writer.flush_async(FINAL_FLUSH).await;
        let dropped = self.writer.dropped();
        let writer = self.writer;
        // The recorder's clone is gone by now: end the writer, checkpoint SQLite.
        let _ = tokio::task::spawn_blocking(move || writer.close(Duration::from_secs(5))).await;
        if !done || dropped > 0 {
            tracing::error!(target: "live", dropped, flushed = done,
                "store: not every record was stored; the CSV journals are complete");
        }
    }
}

/// The next health change of the session's store, if it has one (else pending forever): a
/// `select!` arm of the session loop.
pub async fn next_health(store: &mut Option<SessionStore>) -> StoreHealth {
    match store {
        Some(s) => s.next_health().await,
        None => std::future::pending().await,
    }
}

/// Put a store health change into the session's event log: `Down` and `Dropped` are critical
/// (console, Telegram), `Up` and `Rejected` are session notes.
///
/// Errors: the engine's journal.
pub fn note_health(engine: &mut Engine, h: StoreHealth) -> Result<(), EngineError> {
    let (kind, text, data) = match h {
        StoreHealth::Down { error } => (
            EngineEvent::Critical,
            format!(
                "store unreachable ({error}): trading and CSV journals go on; records wait and are written when it returns"
            ),
            json!({"store": "down", "error": error}),
        ),
        StoreHealth::Up { caught_up, outage } => (
            EngineEvent::Session,
            format!(
                "store back after {:.0} s: {caught_up} waiting records written",
                outage.as_secs_f64()
            ),
            json!({"store": "up", "caught_up": caught_up, "outage_secs": outage.as_secs_f64()}),
        ),
        StoreHealth::Dropped { total } => (
            EngineEvent::Critical,
            format!("store queue full: {total} records not stored (the CSV journals have them)"),
            json!({"store": "dropped", "total": total}),
        ),
        StoreHealth::Rejected { what, error } => (
            EngineEvent::Session,
            format!("store refused {what}: {error}"),
            json!({"store": "rejected", "what": what, "error": error}),
        ),
    };
    engine.note(None, kind, text, data)
}
