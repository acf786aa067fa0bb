//! Reading journals back: `<root>/<mode>/<YYYY-MM-DD>/` as [`journal::CsvJournal`] writes it
//! (spec §11). `trades.csv` rows are [`domain::Trade`]s; `fills.csv` rows are read into
//! [`FillRecord`] (the columns a report needs); `summary.json` is [`journal::DaySummary`].
//! An empty file (a day without trades or fills: the journal writes no header then) is no rows.

use crate::ReportError;
use chrono::NaiveDate;
use domain::time::IstDateTime;
use domain::{Decimal, Segment, Trade};
use journal::DaySummary;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// One journaled day of one mode.
#[derive(Debug, Clone, PartialEq)]
pub struct DayJournal {
    /// Trading date (the directory name).
    pub date: NaiveDate,
    /// The day's directory.
    pub dir: PathBuf,
    /// `trades.csv`, in file order (exit order).
    pub trades: Vec<Trade>,
    /// `fills.csv`, in file order.
    pub fills: Vec<FillRecord>,
    /// `summary.json`, when the day wrote one.
    pub summary: Option<DaySummary>,
}

/// A `fills.csv` row: the columns the report uses (the file has more, see
/// [`journal::FillRow`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FillRecord {
    /// Execution time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub timestamp: IstDateTime,
    /// Engine order id.
    pub order_id: u64,
    /// Segment.
    pub segment: Segment,
    /// Contract.
    pub tradingsymbol: String,
    /// `BUY`/`SELL`.
    pub side: String,
    /// Units.
    pub quantity: u32,
    /// Fill price, ₹/unit.
    pub price: Decimal,
    /// `MARKET` (a real traded premium) or `MODEL` (priced by the paper broker's model).
    pub premium_source: String,
    /// All charges, ₹.
    pub charges: Decimal,
}

/// Every day directory under `<root>/<mode_dir>/` (names `YYYY-MM-DD`; other entries are
/// ignored), in date order.
///
/// Errors: the mode directory is missing or unreadable ([`ReportError::Io`]); a day without
/// `trades.csv` or `fills.csv` ([`ReportError::Io`] naming the file); a bad row
/// ([`ReportError::Csv`] with file, line and column); a bad `summary.json`
/// ([`ReportError::Json`]).
pub fn load_days(root: &Path, mode_dir: &str) -> Result<Vec<DayJournal>, ReportError> {
    let base = root.join(mode_dir);
    let mut dates = Vec::new();
    for entry in std::fs::read_dir(&base).map_err(ReportError::io(&base))? {
        let entry = entry.map_err(ReportError::io(&base))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Ok(date) = NaiveDate::parse_from_str(name, "%Y-%m-%d")
            && entry.path().is_dir()
        {
            dates.push((date, entry.path()));
        }
    }
    dates.sort();
    dates
        .into_iter()
        .map(|(date, dir)| load_day(date, dir))
        .collect()
}

fn load_day(date: NaiveDate, dir: PathBuf) -> Result<DayJournal, ReportError> {
    let trades = read_trades(&dir.join("trades.csv"))?;
    let fills = read_fills(&dir.join("fills.csv"))?;
    let summary_path = dir.join("summary.json");
    let summary = if summary_path.exists() {
        let text =
            std::fs::read_to_string(&summary_path).map_err(ReportError::io(&summary_path))?;
        Some(serde_json::from_str(&text).map_err(|e| ReportError::Json {
            path: summary_path.clone(),
            message: e.to_string(),
        })?)
    } else {
        None
    };
    Ok(DayJournal {
        date,
        dir,
        trades,
        fills,
        summary,
    })
}

/// The rows of a `trades.csv`.
///
/// Errors: the file is missing ([`ReportError::Io`]); a row does not parse
/// ([`ReportError::Csv`] naming file, line and column).
pub fn read_trades(path: &Path) -> Result<Vec<Trade>, ReportError> {
    read_csv(path)
}

/// The rows of a `fills.csv` (the columns of [`FillRecord`]).
///
/// Errors: as [`read_trades`].
pub fn read_fills(path: &Path) -> Result<Vec<FillRecord>, ReportError> {
    read_csv(path)
}

/// Rows of `path` deserialized by header name; an empty file is no rows.
pub(crate) fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReportError> {
    let bytes = std::fs::read(path).map_err(ReportError::io(path))?;
    parse_csv(path, &bytes)
}

/// Rows of the CSV text `bytes` deserialized by header name; errors name `path` (the file,
/// or the label of rows read from elsewhere), line and column.
pub(crate) fn parse_csv<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<T>, ReportError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Vec::new());
    }
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r
        .headers()
        .map_err(|e| csv_error(path, &csv::StringRecord::new(), &e))?
        .clone();
    let mut rows = Vec::new();
    for rec in r.deserialize::<crate::columns::Tracked<T>>() {
        rows.push(rec.map_err(|e| csv_error(path, &headers, &e))?.0);
    }
    Ok(rows)
}

/// A csv error as [`ReportError::Csv`]: the record's line and the column's header name.
pub(crate) fn csv_error(path: &Path, headers: &csv::StringRecord, e: &csv::Error) -> ReportError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let column = |i: Option<u64>| {
        i.and_then(|i| headers.get(i as usize))
            .map(str::to_string)
            .unwrap_or_else(|| "-".to_string())
    };
    let (field, message) = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let message = err.kind().to_string();
            match crate::columns::split(&message) {
                (Some(i), m) => (column(Some(i as u64)), m.to_string()),
                (None, m) => (column(err.field()), m.to_string()),
            }
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => (
            "-".to_string(),
            format!("{len} fields where the header has {expected_len}"),
        ),
        other => ("-".to_string(), format!("{other:?}")),
    };
    ReportError::Csv {
        path: path.to_path_buf(),
        line,
        field,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILLS: &str = "timestamp,order_id,fill_id,segment,tradingsymbol,side,quantity,price,reference_price,premium_source,brokerage,stt,exchange_txn,sebi,stamp,gst,charges\n\
2024-06-03T09:30:00+05:30,1,F1,NIFTY,NIFTY24JUN22500CE,BUY,25,101.5,101.45,MARKET,20,0,0.9,0,1,3.8,25.7\n\
2024-06-03T10:00:00+05:30,2,F2,NIFTY,NIFTY24JUN22500CE,SELL,25,abc,110,MODEL,20,2.7,0.9,0,0,3.8,27.4\n";

    #[test]
    fn a_bad_value_names_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fills.csv");
        std::fs::write(&p, FILLS).unwrap();
        let e = read_fills(&p).unwrap_err();
        match &e {
            ReportError::Csv { line, field, .. } => {
                assert_eq!(*line, 3);
                assert_eq!(field, "price");
            }
            other => panic!("{other:?}"),
        }
        let text = e.to_string();
        assert!(text.contains("fills.csv:3: field `price`"), "{text}");
    }

    #[test]
    fn a_short_row_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fills.csv");
        let mut text: String = FILLS.lines().take(2).collect::<Vec<_>>().join("\n");
        text.push_str("\n2024-06-03T10:00:00+05:30,2,F2\n");
        std::fs::write(&p, text).unwrap();
        let e = read_fills(&p).unwrap_err().to_string();
        assert!(e.contains("fills.csv:3:"), "{e}");
    }

    #[test]
    fn good_rows_and_empty_files_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fills.csv");
        let good: String = FILLS.lines().take(2).collect::<Vec<_>>().join("\n");
        std::fs::write(&p, good).unwrap();
        let rows = read_fills(&p).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].premium_source, "MARKET");
        assert_eq!(rows[0].price, Decimal::new(1015, 1));
        std::fs::write(&p, "").unwrap();
        assert!(read_fills(&p).unwrap().is_empty());
        assert!(read_trades(&p).unwrap().is_empty());
    }

    #[test]
    fn load_days_lists_dated_directories_in_order_and_names_a_missing_file() {
        let root = tempfile::tempdir().unwrap();
        for d in ["2024-06-04", "2024-06-03"] {
            let dir = root.path().join("replay").join(d);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("trades.csv"), "").unwrap();
            std::fs::write(dir.join("fills.csv"), "").unwrap();
        }
        std::fs::create_dir_all(root.path().join("replay").join("sweep")).unwrap();
        let days = load_days(root.path(), "replay").unwrap();
        let dates: Vec<String> = days.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(dates, ["2024-06-03", "2024-06-04"]);
        std::fs::remove_file(root.path().join("replay/2024-06-04/fills.csv")).unwrap();
        let e = load_days(root.path(), "replay").unwrap_err().to_string();
        assert!(e.contains("2024-06-04/fills.csv"), "{e}");
        let e = load_days(root.path(), "paper").unwrap_err().to_string();
        assert!(e.contains("paper"), "{e}");
    }
}
