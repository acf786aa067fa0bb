//! Journal rows in the store: runs, orders (every status change), fills, trades, events, day
//! summaries and sweep results, with the same columns and text as the CSV journals
//! (`journal::CsvJournal`), so a day read back from either is the same.

use crate::StoreError;
use crate::db::Store;
use crate::sql::{self, Conflict, Row};
use crate::tables::{self, RUNS, SUMMARIES, SWEEP_RESULTS, TRADES, Table, Ty};
use chrono::NaiveDate;
use domain::Trade;
use domain::time::{IstDateTime, fmt_iso};
use journal::{DaySummary, Event, FillRow, OrderRow};
use serde::Serialize;

/// The journal a row belongs to: the mode's directory (`replay`, `paper`, `live`), the
/// trading day and the run that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DayKey {
    /// `replay`, `paper` or `live` (the journal directory's name).
    pub journal_mode: String,
    /// Trading day (IST).
    pub date: NaiveDate,
    /// The run ([`RunInfo::run_id`]).
    pub run_id: String,
}

/// One run of a binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// Unique, sorting by start time: `<YYYYMMDDTHHMMSS.ffffff>-<pid>` (see [`RunInfo::new`]).
    pub run_id: String,
    /// `replay`, `paper`, `live`.
    pub mode: String,
    /// Start, IST.
    pub started_at: IstDateTime,
    /// The command line (no secrets: Kestrel takes none on the command line).
    pub command: String,
    /// The configuration text in effect.
    pub config: String,
}

impl RunInfo {
    /// A run started at `started_at` by this process.
    pub fn new(mode: &str, started_at: IstDateTime, command: String, config: String) -> RunInfo {
        RunInfo {
            run_id: format!(
                "{}-{}",
                started_at.format("%Y%m%dT%H%M%S%.6f"),
                std::process::id()
            ),
            mode: mode.into(),
            started_at,
            command,
            config,
        }
    }
}

/// One row of a sweep's `results.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepRow {
    /// The set's id (`s007`).
    pub set_id: String,
    /// The set's parameters as a JSON object of dotted key → value.
    pub params: String,
    /// trades, win_rate, gross_pnl, net_pnl, charges, max_drawdown, worst_day,
    /// profit_factor, sharpe (the text of `results.csv`; empty = none).
    pub cells: [String; 9],
}

/// The CSV cells of one serialised row (exactly the text `CsvJournal` writes).
pub(crate) fn csv_cells<T: Serialize>(row: &T) -> Result<Vec<String>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.serialize(row)?;
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    let rec = r.records().next().transpose()?.unwrap_or_default();
    Ok(rec.iter().map(str::to_string).collect())
}

/// The cells of an event row (`events.csv`: timestamp, segment, kind, message, data JSON).
pub(crate) fn event_cells(e: &Event) -> Result<Vec<String>, csv::Error> {
    csv_cells(&(
        fmt_iso(&e.timestamp),
        e.segment,
        e.kind,
        &e.message,
        e.data.to_string(),
    ))
}

/// A full row: the key values, then `cells` typed by the table's columns.
pub(crate) fn keyed(t: &Table, key: &DayKey, seq: u64, cells: Vec<String>) -> Row {
    let mut row: Row = vec![
        Some(key.journal_mode.clone()),
        Some(key.date.format("%Y-%m-%d").to_string()),
        Some(key.run_id.clone()),
        Some(seq.to_string()),
    ];
    row.extend(
        t.cols
            .iter()
            .zip(cells)
            .map(|((_, ty), v)| sql::cell(*ty, &v)),
    );
    row
}

pub(crate) fn order_cells(r: &OrderRow) -> Result<Vec<String>, csv::Error> {
    csv_cells(r)
}

pub(crate) fn fill_cells(r: &FillRow) -> Result<Vec<String>, csv::Error> {
    csv_cells(r)
}

pub(crate) fn trade_cells(t: &Trade) -> Result<Vec<String>, csv::Error> {
    csv_cells(t)
}

/// The insert of journal rows into `t` (trades: a trade id already stored for the day is
/// kept, as `CsvJournal::append` does).
pub(crate) fn journal_inserts(store: &Store, t: &Table, rows: Vec<Row>) -> Vec<sql::Stmt> {
    let conflict = if t.name == TRADES.name {
        Conflict::Ignore
    } else {
        Conflict::Fail
    };
    sql::inserts(store.backend(), t, rows, conflict)
}

/// Statements deleting every journal row and the summary of `(journal_mode, date)`.
pub(crate) fn clear_day(store: &Store, journal_mode: &str, date: NaiveDate) -> Vec<sql::Stmt> {
    let keys = [("journal_mode", Ty::Text), ("day", Ty::Date)];
    let vals = || {
        vec![
            Some(journal_mode.to_string()),
            Some(date.format("%Y-%m-%d").to_string()),
        ]
    };
    tables::JOURNAL_TABLES
        .iter()
        .chain([&SUMMARIES])
        .map(|t| sql::delete(store.backend(), t, &keys, vals()))
        .collect()
}

pub(crate) fn run_insert(store: &Store, run: &RunInfo) -> Vec<sql::Stmt> {
    let row = vec![
        Some(run.run_id.clone()),
        Some(run.mode.clone()),
        Some(fmt_iso(&run.started_at)),
        Some(run.command.clone()),
        Some(run.config.clone()),
    ];
    sql::inserts(store.backend(), &RUNS, vec![row], Conflict::Ignore)
}

pub(crate) fn summary_upsert(
    store: &Store,
    key: &DayKey,
    s: &DaySummary,
) -> Result<Vec<sql::Stmt>, serde_json::Error> {
    let row = vec![
        Some(key.journal_mode.clone()),
        Some(key.date.format("%Y-%m-%d").to_string()),
        Some(key.run_id.clone()),
        Some(s.strategy.clone()),
        Some(s.total.trades.to_string()),
        Some(s.total.gross_pnl.to_string()),
        Some(s.total.charges.to_string()),
        Some(s.total.net_pnl.to_string()),
        Some(s.total.max_drawdown.to_string()),
        Some(serde_json::to_string(s)?),
    ];
    Ok(sql::inserts(
        store.backend(),
        &SUMMARIES,
        vec![row],
        Conflict::Update(&["journal_mode", "day", "run_id"]),
    ))
}

fn day_filter(journal_mode: &str, date: NaiveDate) -> ([(&'static str, Ty); 2], Row) {
    (
        [("journal_mode", Ty::Text), ("day", Ty::Date)],
        vec![
            Some(journal_mode.to_string()),
            Some(date.format("%Y-%m-%d").to_string()),
        ],
    )
}

impl Store {
    /// The rows of a journal table ([`tables::ORDERS`], [`tables::FILLS`], [`TRADES`], [`tables::EVENTS`]) for
    /// `(journal_mode, date)`, in the order written (run by run), each as the CSV file's cells
    /// (NULL → empty), without the key columns.
    pub async fn journal_rows(
        &self,
        t: &Table,
        journal_mode: &str,
        date: NaiveDate,
    ) -> Result<Vec<Vec<String>>, StoreError> {
        let (keys, vals) = day_filter(journal_mode, date);
        let what = format!("read {} {journal_mode} {date}", t.name);
        let order = format!("\"{0}\".\"run_id\", \"{0}\".\"seq\"", t.name);
        let rows = self.select(&what, t, t.cols, &keys, vals, &order).await?;
        Ok(rows
            .into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect())
    }

    /// The completed trades of `(journal_mode, date)` as [`Trade`]s, in the order written.
    ///
    /// Errors: [`StoreError::BadValue`] when a stored row does not parse as a trade.
    pub async fn trades(
        &self,
        journal_mode: &str,
        date: NaiveDate,
    ) -> Result<Vec<Trade>, StoreError> {
        let rows = self.journal_rows(&TRADES, journal_mode, date).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let header: Vec<&str> = TRADES.cols.iter().map(|(c, _)| *c).collect();
        let to_err = |e: &dyn std::fmt::Display| StoreError::BadValue {
            url: self.url().redacted(),
            table: "trades".into(),
            column: "*".into(),
            value: String::new(),
            reason: e.to_string(),
        };
        w.write_record(&header).map_err(|e| to_err(&e))?;
        for r in &rows {
            w.write_record(r).map_err(|e| to_err(&e))?;
        }
        let bytes = w.into_inner().map_err(|e| to_err(&e))?;
        csv::Reader::from_reader(bytes.as_slice())
            .deserialize()
            .collect::<Result<Vec<Trade>, _>>()
            .map_err(|e| to_err(&e))
    }

    /// The day's summary written last for `(journal_mode, date)`, if any.
    pub async fn summary(
        &self,
        journal_mode: &str,
        date: NaiveDate,
    ) -> Result<Option<DaySummary>, StoreError> {
        let (keys, vals) = day_filter(journal_mode, date);
        let rows = self
            .select(
                "read summary",
                &SUMMARIES,
                &[("json", Ty::Text)],
                &keys,
                vals,
                "\"summaries\".\"run_id\" DESC",
            )
            .await?;
        let Some(json) = rows.into_iter().next().and_then(|mut r| r.pop().flatten()) else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| StoreError::BadValue {
                url: self.url().redacted(),
                table: "summaries".into(),
                column: "json".into(),
                value: json.chars().take(60).collect(),
                reason: e.to_string(),
            })
    }

    /// Trading days with a journal (events or a summary) for `journal_mode`, sorted.
    pub async fn journal_days(&self, journal_mode: &str) -> Result<Vec<NaiveDate>, StoreError> {
        let d = sql::select_expr(self.backend(), "day", Ty::Date);
        let sql = format!(
            "SELECT {d} FROM \"events\" WHERE \"journal_mode\" = $1 UNION \
             SELECT {d} FROM \"summaries\" WHERE \"journal_mode\" = $1 ORDER BY 1"
        );
        let rows = self
            .fetch_text("list journal days", sql, vec![Some(journal_mode.into())], 1)
            .await?;
        rows.iter()
            .filter_map(|r| r[0].as_deref())
            .map(|s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::BadValue {
                    url: self.url().redacted(),
                    table: "events".into(),
                    column: "day".into(),
                    value: s.into(),
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Record a run.
    pub async fn put_run(&self, run: &RunInfo) -> Result<(), StoreError> {
        self.run("write run", run_insert(self, run))
            .await
            .map(|_| ())
    }

    /// Replace a sweep's results (all rows of `sweep`).
    pub async fn put_sweep(&self, sweep: &str, rows: &[SweepRow]) -> Result<u64, StoreError> {
        let b = self.backend();
        let mut stmts = vec![sql::delete(
            b,
            &SWEEP_RESULTS,
            &SWEEP_RESULTS.key[..1],
            vec![Some(sweep.into())],
        )];
        let rows = rows
            .iter()
            .map(|r| {
                let mut row: Row = vec![
                    Some(sweep.into()),
                    Some(r.set_id.clone()),
                    Some(r.params.clone()),
                ];
                row.extend(
                    SWEEP_RESULTS.cols[1..]
                        .iter()
                        .zip(&r.cells)
                        .map(|((_, ty), v)| sql::cell(*ty, v)),
                );
                row
            })
            .collect();
        stmts.extend(sql::inserts(b, &SWEEP_RESULTS, rows, Conflict::Fail));
        self.run("write sweep results", stmts).await
    }

    /// A sweep's results, best net P&L first: `(set_id, params JSON, cells)`.
    pub async fn sweep(&self, sweep: &str) -> Result<Vec<SweepRow>, StoreError> {
        let mut cols: Vec<(&str, Ty)> = vec![("set_id", Ty::Text)];
        cols.extend(SWEEP_RESULTS.cols.iter().copied());
        let rows = self
            .select(
                "read sweep results",
                &SWEEP_RESULTS,
                &cols,
                &SWEEP_RESULTS.key[..1],
                vec![Some(sweep.into())],
                match self.backend() {
                    crate::Backend::Sqlite => "CAST(\"sweep_results\".\"net_pnl\" AS REAL) DESC, \"sweep_results\".\"set_id\"",
                    crate::Backend::Postgres => "\"sweep_results\".\"net_pnl\" DESC, \"sweep_results\".\"set_id\"",
                },
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut it = r.into_iter().map(Option::unwrap_or_default);
                let set_id = it.next().unwrap_or_default();
                let params = it.next().unwrap_or_default();
                let cells: Vec<String> = it.collect();
                SweepRow {
                    set_id,
                    params,
                    cells: std::array::from_fn(|i| cells.get(i).cloned().unwrap_or_default()),
                }
            })
            .collect())
    }
}
