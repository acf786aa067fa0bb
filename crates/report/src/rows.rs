//! Journals read from somewhere other than files (issue 14: the database store, whose rows
//! are the CSV files' cells, columns as `store::tables`): the same [`DayJournal`] the file
//! loader makes, through the same parsing, so a report of the store's days is the report of
//! the files'.

use crate::ReportError;
use crate::load::{DayJournal, parse_csv};
use chrono::NaiveDate;
use journal::DaySummary;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// One journal table of one day as text cells: the header (column names, as the CSV file's)
/// and the rows in the order written.
#[derive(Debug, Clone, Copy)]
pub struct TableRows<'a> {
    /// Column names.
    pub header: &'a [&'a str],
    /// Rows of cells (a `NULL` as the empty string).
    pub rows: &'a [Vec<String>],
}

/// Rows of `table` deserialized by column name, as [`crate::read_trades`] /
/// [`crate::read_fills`] read a file.
///
/// Errors: [`ReportError::Csv`] naming `label` (for example
/// `store sqlite://artifacts/kestrel.db replay/2024-06-03/trades.csv`), the line the row would
/// have in the file (the header is line 1) and the column.
pub fn parse_rows<T: DeserializeOwned>(
    label: &Path,
    table: TableRows<'_>,
) -> Result<Vec<T>, ReportError> {
    if table.rows.is_empty() {
        return Ok(Vec::new());
    }
    let err = |e: csv::Error| ReportError::Csv {
        path: label.to_path_buf(),
        line: 0,
        field: "-".into(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(table.header).map_err(err)?;
    for r in table.rows {
        w.write_record(r).map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| err(e.into_error().into()))?;
    parse_csv(label, &bytes)
}

impl DayJournal {
    /// A day from rows read elsewhere: `trades` with the columns of `trades.csv`, `fills`
    /// with those of `fills.csv`. `source` stands for the day's directory (it names the day
    /// in errors: `<source>/trades.csv:LINE: field …`).
    ///
    /// Errors: as [`parse_rows`].
    pub fn from_rows(
        date: NaiveDate,
        source: PathBuf,
        trades: TableRows<'_>,
        fills: TableRows<'_>,
        summary: Option<DaySummary>,
    ) -> Result<DayJournal, ReportError> {
        Ok(DayJournal {
            date,
            trades: parse_rows(&source.join("trades.csv"), trades)?,
            fills: parse_rows(&source.join("fills.csv"), fills)?,
            summary,
            dir: source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FillRecord;

    const HEADER: &[&str] = &[
        "timestamp",
        "order_id",
        "fill_id",
        "segment",
        "tradingsymbol",
        "side",
        "quantity",
        "price",
        "reference_price",
        "premium_source",
        "brokerage",
        "stt",
        "exchange_txn",
        "sebi",
        "stamp",
        "gst",
        "charges",
    ];

    fn row(price: &str) -> Vec<String> {
        format!("2024-06-03T09:30:00+05:30,1,F1,NIFTY,NIFTY24JUN22500CE,BUY,25,{price},101.45,MARKET,20,0,0.9,0,1,3.8,25.7")
            .split(',')
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn rows_parse_as_the_file_would_and_errors_name_line_and_column() {
        let rows = vec![row("101.5"), row("abc")];
        let label = Path::new("store x replay/2024-06-03/fills.csv");
        let t = TableRows {
            header: HEADER,
            rows: &rows[..1],
        };
        let got: Vec<FillRecord> = parse_rows(label, t).unwrap();
        assert_eq!(got[0].price, domain::Decimal::new(1015, 1));
        let t = TableRows {
            header: HEADER,
            rows: &rows,
        };
        let e = parse_rows::<FillRecord>(label, t).unwrap_err().to_string();
        assert!(e.contains("fills.csv:3: field `price`"), "{e}");
        let none = TableRows {
            header: HEADER,
            rows: &[],
        };
        let d = DayJournal::from_rows(
            NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            "src".into(),
            none,
            none,
            None,
        )
        .unwrap();
        assert!(d.trades.is_empty() && d.fills.is_empty());
    }
}
