//! One batch of queued [`Record`]s → the statements of one transaction: journal rows grouped
//! per table into multi-row inserts, recorded ticks numbered after the day's stored ones,
//! whole-day replacements, upserts.

use crate::StoreError;
use crate::db::Store;
use crate::journal_rows as jr;
use crate::market;
use crate::sql::{self, Conflict, Row, Stmt};
use crate::tables::{BARS, EVENTS, FILLS, ORDERS, TICKS, TRADES, Table, Ty};
use crate::writer::Record;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// What a record is, for messages.
pub(crate) fn describe(rec: &Record) -> String {
    match rec {
        Record::Run(r) => format!("run {}", r.run_id),
        Record::BeginDay {
            journal_mode, date, ..
        } => format!("begin {journal_mode} {date}"),
        Record::Order(k, s, _) => format!("order row {s} of {} {}", k.journal_mode, k.date),
        Record::Fill(k, s, _) => format!("fill row {s} of {} {}", k.journal_mode, k.date),
        Record::Trade(k, _, t) => format!("trade {} of {} {}", t.trade_id, k.journal_mode, k.date),
        Record::Event(k, s, _) => format!("event row {s} of {} {}", k.journal_mode, k.date),
        Record::Summary(k, _) => format!("summary of {} {}", k.journal_mode, k.date),
        Record::Bars(s, d, _) | Record::Bar(s, d, _) => format!("bars {s} {d}"),
        Record::Ticks(s, d, _) | Record::Tick(s, d, _) => format!("ticks {s} {d}"),
        Record::Instruments(d, s, _) => format!("instruments {s} {d}"),
        Record::Sweep(s, _) => format!("sweep {s}"),
    }
}

/// Rows of consecutive journal records per table, flushed before anything that must come
/// after them.
#[derive(Default)]
struct Groups(BTreeMap<&'static str, (Table, Vec<Row>)>);

impl Groups {
    fn push(&mut self, t: Table, row: Row) {
        self.0
            .entry(t.name)
            .or_insert_with(|| (t, Vec::new()))
            .1
            .push(row);
    }

    fn drain_into(&mut self, store: &Store, out: &mut Vec<Stmt>) {
        for (_, (t, rows)) in std::mem::take(&mut self.0) {
            out.extend(jr::journal_inserts(store, &t, rows));
        }
    }
}

fn csv_err(store: &Store, what: &str, e: &dyn std::fmt::Display) -> StoreError {
    StoreError::Query {
        url: store.url().redacted(),
        what: what.into(),
        message: e.to_string(),
        transient: false,
    }
}

async fn next_seq(
    store: &Store,
    seqs: &mut HashMap<(String, NaiveDate), u64>,
    series: &str,
    date: NaiveDate,
) -> Result<u64, StoreError> {
    let key = (series.to_string(), date);
    if let Some(n) = seqs.get_mut(&key) {
        *n += 1;
        return Ok(*n - 1);
    }
    let e = crate::sql::select_expr(store.backend(), "m", Ty::Int);
    let sql = format!(
        "SELECT {e} FROM (SELECT MAX(\"seq\") AS \"m\" FROM \"ticks\" WHERE \"series\" = $1 AND \"day\" = {}) q",
        if store.backend() == crate::Backend::Postgres {
            "$2::date"
        } else {
            "$2"
        }
    );
    let rows = store
        .fetch_text(
            "next tick seq",
            sql,
            vec![
                Some(series.into()),
                Some(date.format("%Y-%m-%d").to_string()),
            ],
            1,
        )
        .await?;
    let next = rows
        .first()
        .and_then(|r| r[0].as_deref())
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(0, |m| m + 1);
    seqs.insert(key, next + 1);
    Ok(next)
}

/// Write `recs` in one transaction; `seqs` numbers recorded ticks per series-day (restored
/// when the write fails, so a retry numbers them the same).
pub(crate) async fn write(
    store: &Store,
    recs: &[Record],
    seqs: &mut HashMap<(String, NaiveDate), u64>,
) -> Result<(), StoreError> {
    let b = store.backend();
    let mut stmts = Vec::new();
    let mut groups = Groups::default();
    let mut bars: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut ticks: Vec<Row> = Vec::new();
    let saved = seqs.clone();
    for rec in recs {
        match rec {
            Record::Order(k, s, r) => {
                let cells = jr::order_cells(r).map_err(|e| csv_err(store, "order row", &e))?;
                groups.push(ORDERS, jr::keyed(&ORDERS, k, *s, cells));
            }
            Record::Fill(k, s, r) => {
                let cells = jr::fill_cells(r).map_err(|e| csv_err(store, "fill row", &e))?;
                groups.push(FILLS, jr::keyed(&FILLS, k, *s, cells));
            }
            Record::Trade(k, s, t) => {
                let cells = jr::trade_cells(t).map_err(|e| csv_err(store, "trade row", &e))?;
                groups.push(TRADES, jr::keyed(&TRADES, k, *s, cells));
            }
            Record::Event(k, s, e) => {
                let cells = jr::event_cells(e).map_err(|e| csv_err(store, "event row", &e))?;
                groups.push(EVENTS, jr::keyed(&EVENTS, k, *s, cells));
            }
            Record::Bar(series, d, bar) => {
                // One row per (series, start): a later version of a bar replaces an earlier one.
                let row = market::bar_row(series, *d, bar);
                bars.insert((series.clone(), domain::time::fmt_iso(&bar.ts)), row);
            }
            Record::Tick(series, d, t) => {
                let seq = match next_seq(store, seqs, series, *d).await {
                    Ok(s) => s,
                    Err(e) => {
                        *seqs = saved;
                        return Err(e);
                    }
                };
                ticks.push(market::tick_row(series, *d, seq, t));
            }
            other => {
                groups.drain_into(store, &mut stmts);
                match other {
                    Record::Run(r) => stmts.extend(jr::run_insert(store, r)),
                    Record::BeginDay {
                        journal_mode,
                        date,
                        replace: true,
                    } => stmts.extend(jr::clear_day(store, journal_mode, *date)),
                    Record::Summary(k, s) => stmts.extend(
                        jr::summary_upsert(store, k, s)
                            .map_err(|e| csv_err(store, "summary", &e))?,
                    ),
                    Record::Bars(series, d, v) => {
                        stmts.extend(market::replace_bars(store, series, *d, v))
                    }
                    Record::Ticks(series, d, v) => {
                        seqs.remove(&(series.clone(), *d));
                        stmts.extend(market::replace_ticks(store, series, *d, v))
                    }
                    Record::Instruments(d, source, csv) => {
                        let row = vec![
                            Some(d.format("%Y-%m-%d").to_string()),
                            Some(source.clone()),
                            Some(csv.clone()),
                        ];
                        stmts.extend(sql::inserts(
                            b,
                            &crate::tables::INSTRUMENTS,
                            vec![row],
                            Conflict::Update(&["day", "source"]),
                        ));
                    }
                    Record::Sweep(name, rows) => {
                        // Whole-sweep replacement runs in its own transaction below.
                        groups.drain_into(store, &mut stmts);
                        if let Err(e) = store.put_sweep(name, rows).await {
                            *seqs = saved;
                            return Err(e);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    groups.drain_into(store, &mut stmts);
    stmts.extend(sql::inserts(
        b,
        &BARS,
        bars.into_values().collect(),
        Conflict::Update(&["series", "ts"]),
    ));
    stmts.extend(sql::inserts(b, &TICKS, ticks, Conflict::Ignore));
    let r = store.run("write batch", stmts).await.map(|_| ());
    if r.is_err() {
        *seqs = saved;
    }
    r
}
