//! The day's Excel workbook at session end (spec §12 downloads): `report.xlsx` in the day's
//! journal folder, sheets `Trades`, `Events` and `Summary` ([`journal::excel`]), written off
//! the runtime's threads.

use engine::{DayReport, EventRecord};
use std::path::{Path, PathBuf};

/// The workbook's file name in the journal folder.
pub const WORKBOOK: &str = "report.xlsx";

/// Write `<journal_dir>/report.xlsx` from the day's report and this session's events.
///
/// # Errors
/// The workbook could not be built or written (the message names the file).
pub async fn write_day_workbook(
    journal_dir: &Path,
    report: &DayReport,
    events: &[EventRecord],
) -> Result<PathBuf, String> {
    let path = journal_dir.join(WORKBOOK);
    let rows: Vec<journal::Event> = events.iter().map(EventRecord::to_journal).collect();
    let (trades, summary, file) = (report.trades.clone(), report.summary.clone(), path.clone());
    tokio::task::spawn_blocking(move || {
        journal::excel::write_workbook(&file, &trades, &rows, &summary)
    })
    .await
    .map_err(|e| format!("{}: {e}", path.display()))?
    .map_err(|e| e.to_string())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_workbook_is_written_and_a_bad_folder_named() {
        let date = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let segs = [domain::Segment::Nifty];
        let report = DayReport {
            trades: vec![],
            summary: journal::DaySummary::from_trades(
                date,
                "PAPER",
                "rsi_crossover",
                &segs,
                &[],
                0,
            ),
        };
        let events = vec![EventRecord {
            ts: domain::time::ist(date, domain::time::hms(9, 15, 0)),
            segment: None,
            event: engine::EngineEvent::Session,
            message: "session started".into(),
            data: serde_json::json!({}),
        }];
        let dir = tempfile::tempdir().unwrap();
        let p = write_day_workbook(dir.path(), &report, &events)
            .await
            .unwrap();
        assert_eq!(p, dir.path().join(WORKBOOK));
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.starts_with(b"PK"), "an xlsx is a zip");
        let e = write_day_workbook(&dir.path().join("missing"), &report, &events)
            .await
            .unwrap_err();
        assert!(e.contains("missing"), "{e}");
    }
}
