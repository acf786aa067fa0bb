//! The replay's side of the database store (issue 14): which store (`--store`,
//! `KESTREL_STORE_URL`, `[store] url`, else SQLite at `<out>/kestrel.db`), the run record, a
//! day's journal written to both the CSV files and the store, the catalog read from the store
//! for `[data] source = "store"`, and the final flush.

use anyhow::{Context, Result};
use catalog::Catalog;
use config::{Config, DataSource};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store::{DayKey, Record, RunInfo, StoreDays, StoreHealth, StoreJournal, StoreUrl, StoreWriter};

/// How long the end of a run waits for the store to take the last records.
const FINAL_FLUSH: Duration = Duration::from_secs(300);

/// The store URL of this run: `flag`, else `KESTREL_STORE_URL`, else `[store] url`, else
/// `sqlite://<out>/kestrel.db`.
///
/// Errors: a URL that does not parse (one line, password redacted).
pub fn store_url(config: &Config, out: &Path, flag: Option<&str>) -> Result<StoreUrl> {
    Ok(StoreUrl::resolve(flag, &config.store.url_or_default(out))?)
}

/// Start the store's writer for this run and record the run (returns the writer and the run
/// id), or `None` when the store is off
/// (`[store] enabled = false` or `--no-store`).
///
/// Errors: the database cannot be reached or migrated (the run does not start).
pub fn open_writer(
    config: &Config,
    url: &StoreUrl,
    enabled: bool,
    config_path: &Path,
) -> Result<Option<(StoreWriter, String)>> {
    if !enabled {
        return Ok(None);
    }
    let health = Arc::new(|h: StoreHealth| match h {
        StoreHealth::Up { .. } => tracing::info!(?h, "store"),
        _ => tracing::warn!(?h, "store"),
    });
    let writer = StoreWriter::spawn(url, config.store.queue_capacity, health)?;
    let started = chrono::Utc::now().with_timezone(&domain::time::IST);
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let text = std::fs::read_to_string(config_path).unwrap_or_default();
    let run = RunInfo::new("replay", started, command, text);
    let run_id = run.run_id.clone();
    writer.send(Record::Run(run));
    Ok(Some((writer, run_id)))
}

/// The store side of a replay day's journal (a re-run replaces the day's stored rows).
pub fn day_journal(writer: &StoreWriter, run_id: &str, date: chrono::NaiveDate) -> StoreJournal {
    let key = DayKey {
        journal_mode: "replay".into(),
        date,
        run_id: run_id.to_string(),
    };
    StoreJournal::begin(writer, key, true)
}

/// The market data of the run: the file catalog at `data_dir`, or the store for
/// `[data] source = "store"`; cached either way (each day is read once).
///
/// Errors: a missing catalog directory, an unreachable store.
pub fn catalog(config: &Config, data_dir: &Path, url: &StoreUrl) -> Result<Catalog> {
    Ok(match config.data.source {
        DataSource::Files => Catalog::open(data_dir)?.cached(),
        DataSource::Store => {
            let days = StoreDays::open(url).context("[data] source = \"store\"")?;
            Catalog::from_source(Arc::new(days)).cached()
        }
    })
}

/// Wait for the writer to store everything queued; a line for the output when it could not.
pub fn finish(writer: Option<(StoreWriter, String)>) -> Option<String> {
    let (w, _) = writer?;
    let (url, dropped_before) = (w.url().clone(), w.dropped());
    let done = w.close(FINAL_FLUSH);
    let dropped = dropped_before;
    if done && dropped == 0 {
        return None;
    }
    Some(format!(
        "store {}: {} records not stored (queue full or database unreachable); the CSV journals are complete",
        url,
        if done {
            dropped.to_string()
        } else {
            format!("{dropped}+ queued")
        }
    ))
}
