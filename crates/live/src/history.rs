//! Past days for the console (issue 14 "Reading"): [`StoreHistory`] implements
//! [`console::History`] over the database store of the process's configuration (`[store]
//! url`, `KESTREL_STORE_URL`, default SQLite `<journal root>/kestrel.db`). The store is opened
//! on the first read (and again after a failed open), and only read.

use async_trait::async_trait;
use chrono::NaiveDate;
use config::Config;
use console::{History, HistoryError, JournalMode};
use domain::Trade;
use engine::{EngineEvent, EventRecord};
use journal::DaySummary;
use std::path::Path;
use store::{Store, StoreError, StoreUrl};

/// The console's reader of past days (see the module).
pub struct StoreHistory {
    /// `[store] enabled`.
    enabled: bool,
    /// `[store] url`, else the default SQLite file of the journal root.
    configured: String,
    own: JournalMode,
    store: tokio::sync::Mutex<Option<Store>>,
}

impl std::fmt::Debug for StoreHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHistory")
            .field("enabled", &self.enabled)
            .field("own", &self.own)
            .finish_non_exhaustive()
    }
}

impl StoreHistory {
    /// The history of a process with `config` journaling under `journal_root` as `own`
    /// (`paper` or `live`). Opens nothing yet.
    pub fn new(config: &Config, journal_root: &Path, own: JournalMode) -> StoreHistory {
        StoreHistory {
            enabled: config.store.enabled,
            configured: config.store.url_or_default(journal_root),
            own,
            store: tokio::sync::Mutex::new(None),
        }
    }

    /// The open store, opening it first when needed.
    ///
    /// Errors: [`HistoryError::NoStore`] when the store is off or its SQLite file does not
    /// exist yet (nothing journaled there); [`HistoryError::Store`] when the URL is bad or
    /// the database cannot be reached (one line, password redacted).
    async fn store(&self) -> Result<Store, HistoryError> {
        if !self.enabled {
            return Err(HistoryError::NoStore(
                "no store: [store] enabled = false in this process's configuration".into(),
            ));
        }
        let mut slot = self.store.lock().await;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let url = StoreUrl::resolve(None, &self.configured).map_err(store_err)?;
        if let StoreUrl::Sqlite { path } = &url
            && !path.exists()
        {
            return Err(HistoryError::NoStore(format!(
                "no store database at {url} yet: no day has been journaled there"
            )));
        }
        let store = Store::connect(&url).await.map_err(store_err)?;
        *slot = Some(store.clone());
        Ok(store)
    }
}

fn store_err(e: StoreError) -> HistoryError {
    HistoryError::Store(e.to_string())
}

/// A stored `events` row (`timestamp, segment, kind, message, data`) as the engine's record.
///
/// Errors: a cell that does not parse, naming the row (1-based) and column.
fn event_record(row: &[String], n: usize) -> Result<EventRecord, String> {
    let cell = |i: usize| row.get(i).map(String::as_str).unwrap_or_default();
    let bad = |col: &str, why: String| format!("events row {n}, column {col}: {why}");
    let ts = domain::time::parse_iso(cell(0)).map_err(|e| bad("timestamp", e.to_string()))?;
    let segment = match cell(1) {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|e: domain::segment::UnknownSegment| bad("segment", e.to_string()))?,
        ),
    };
    let event = EngineEvent::from_kind(cell(2))
        .ok_or_else(|| bad("kind", format!("unknown kind `{}`", cell(2))))?;
    let data = match cell(4) {
        "" => serde_json::Value::Null,
        d => serde_json::from_str(d).map_err(|e| bad("data", e.to_string()))?,
    };
    Ok(EventRecord {
        ts,
        segment,
        event,
        message: cell(3).to_string(),
        data,
    })
}

#[async_trait]
impl History for StoreHistory {
    fn own_mode(&self) -> JournalMode {
        self.own
    }

    async fn trades(&self, mode: JournalMode, date: NaiveDate) -> Result<Vec<Trade>, HistoryError> {
        let s = self.store().await?;
        s.trades(mode.as_str(), date).await.map_err(store_err)
    }

    async fn events(
        &self,
        mode: JournalMode,
        date: NaiveDate,
    ) -> Result<Vec<EventRecord>, HistoryError> {
        let s = self.store().await?;
        let rows = s
            .journal_rows(&store::tables::EVENTS, mode.as_str(), date)
            .await
            .map_err(store_err)?;
        rows.iter()
            .enumerate()
            .map(|(i, r)| event_record(r, i + 1))
            .collect::<Result<_, _>>()
            .map_err(|e| HistoryError::Store(format!("store {}: {mode} {date}: {e}", s.url())))
    }

    async fn summary(
        &self,
        mode: JournalMode,
        date: NaiveDate,
    ) -> Result<Option<DaySummary>, HistoryError> {
        let s = self.store().await?;
        s.summary(mode.as_str(), date).await.map_err(store_err)
    }

    async fn days(&self, mode: JournalMode) -> Result<Vec<NaiveDate>, HistoryError> {
        let s = self.store().await?;
        s.journal_days(mode.as_str()).await.map_err(store_err)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn event_rows_read_back_or_name_the_column() {
        let e = event_record(
            &row(&[
                "2024-06-03T09:20:00+05:30",
                "NIFTY",
                "signal",
                "RSI crossed",
                "{\"rsi\":61.2}",
            ]),
            1,
        )
        .unwrap();
        assert_eq!(e.event, EngineEvent::Signal);
        assert_eq!(e.segment, Some(domain::Segment::Nifty));
        assert_eq!(e.data["rsi"], 61.2);
        let e = event_record(
            &row(&["2024-06-03T09:20:00+05:30", "", "session", "m", ""]),
            1,
        )
        .unwrap();
        assert_eq!((e.segment, e.data), (None, serde_json::Value::Null));
        let err =
            event_record(&row(&["2024-06-03T09:20:00+05:30", "", "nope", "m", ""]), 7).unwrap_err();
        assert!(err.contains("row 7") && err.contains("kind"), "{err}");
        let err = event_record(&row(&["09:20", "", "session", "m", ""]), 2).unwrap_err();
        assert!(err.contains("timestamp"), "{err}");
    }

    #[tokio::test]
    async fn off_or_missing_store_is_no_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        let h = StoreHistory::new(&config, dir.path(), JournalMode::Paper);
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let e = h.trades(JournalMode::Paper, d).await.unwrap_err();
        assert!(
            matches!(&e, HistoryError::NoStore(m) if m.contains("kestrel.db")),
            "{e:?}"
        );
        assert!(
            !dir.path().join("kestrel.db").exists(),
            "reading created the database"
        );
        config.store.enabled = false;
        let h = StoreHistory::new(&config, dir.path(), JournalMode::Paper);
        let e = h.days(JournalMode::Paper).await.unwrap_err();
        assert!(matches!(&e, HistoryError::NoStore(m) if m.contains("enabled = false")));
        config.store.enabled = true;
        config.store.url = Some("postgres://k:s3cret@127.0.0.1:1/db".into());
        let h = StoreHistory::new(&config, dir.path(), JournalMode::Paper);
        let e = h.days(JournalMode::Paper).await.unwrap_err();
        assert!(
            matches!(&e, HistoryError::Store(m) if !m.contains("s3cret") && m.contains("***")),
            "{e:?}"
        );
    }
}
