//! `replay --grid FILE.toml --from D1 --to D2` (issue 13): every parameter set of the grid over
//! the range, the (set, day) runs spread over the worker pool, market data parsed once
//! (one cached catalog shared by every set's context).
//!
//! Writes under `<out>/sweep/<name>/`:
//! - `grid.toml`: a copy of the grid file;
//! - `<set>/days.csv`: the set's per-day summary rows; `<set>/record.json`: its days and the
//!   few fields of each trade the statistics need (what `replay merge` reads);
//! - `<set>/replay/<date>/`: full journals, only with `--journal`;
//! - `results.csv` ([`write_results`]): one row per set, net P&L descending; by `replay merge`
//!   for a sharded sweep.

use crate::days::replay_date;
use crate::grid::{Grid, ParamSet, cell};
use crate::pool;
use crate::record::{DayOutcome, DayRecord, SetRecord, TradeLite};
use crate::shard::Shard;
use crate::stats::{COLUMNS, SetStats};
use anyhow::{Context, Result};
use backtest::ReplayContext;
use catalog::Catalog;
use chrono::NaiveDate;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A sweep to run.
pub struct Sweep<'a> {
    /// The store's writer and run id: the results go there too (issue 14).
    pub store: Option<&'a (store::StoreWriter, String)>,
    /// The grid.
    pub grid: &'a Grid,
    /// All its parameter sets (validated).
    pub sets: Vec<ParamSet>,
    /// The (cached) catalog shared by all sets.
    pub catalog: Catalog,
    /// Every date of the range.
    pub dates: Vec<NaiveDate>,
    /// This run's share of the sets.
    pub shard: Shard,
    /// Worker threads.
    pub jobs: usize,
    /// Output root.
    pub out: &'a Path,
    /// Write per-day journals of every set.
    pub journal: bool,
    /// No progress bar.
    pub quiet: bool,
}

/// `<out>/sweep/<name>`.
pub fn sweep_dir(out: &Path, name: &str) -> PathBuf {
    out.join("sweep").join(name)
}

/// Run the sweep; the text to print.
///
/// Errors: a day that fails (catalog, engine, journal), writing the outputs.
pub fn run(s: Sweep<'_>) -> Result<String> {
    let dir = sweep_dir(s.out, &s.grid.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write(&dir.join("grid.toml"), s.grid.text.as_bytes())?;
    let total_sets = s.sets.len();
    let mine: Vec<ParamSet> = s
        .sets
        .into_iter()
        .filter(|p| s.shard.owns(p.index))
        .collect();
    let mut ctxs = Vec::with_capacity(mine.len());
    for p in &mine {
        ctxs.push(ReplayContext::new(p.config.clone(), s.catalog.clone())?);
    }
    let items: Vec<(usize, NaiveDate)> = (0..mine.len())
        .flat_map(|i| s.dates.iter().map(move |d| (i, *d)))
        .collect();
    let bar = pool::progress(items.len(), "set-days", s.quiet);
    let journal_dirs: Vec<Option<PathBuf>> = mine
        .iter()
        .map(|p| s.journal.then(|| dir.join(&p.id)))
        .collect();
    let days = pool::run_all(s.jobs, items, &bar, |rt, (i, date)| {
        let r = replay_date(&ctxs[i], rt, date, journal_dirs[i].as_deref(), None, false)?;
        Ok(lite(r))
    })?;
    bar.finish_and_clear();

    let per_set = s.dates.len().max(1);
    let mut records = Vec::with_capacity(mine.len());
    for (p, days) in mine.iter().zip(days.chunks(per_set)) {
        let rec = SetRecord {
            set: p.id.clone(),
            total_sets,
            values: p.values.iter().map(|v| v.to_string()).collect(),
            days: days.to_vec(),
        };
        write_set(&dir, &rec)?;
        records.push(rec);
    }
    let mut o = String::new();
    if s.shard.count == 1 {
        o.push_str(&write_results(&dir, s.grid, &records)?);
        if let Some((writer, _)) = s.store {
            writer.send(store::Record::Sweep(
                s.grid.name.clone(),
                store_rows(s.grid, &records),
            ));
        }
    } else {
        let _ = writeln!(
            o,
            "shard {}: {} of {total_sets} sets × {} days in {}/<set>/ (combine with `replay merge`)",
            s.shard,
            records.len(),
            s.dates.len(),
            dir.display()
        );
    }
    Ok(o)
}

/// The rows of `results.csv` for the store: set id, parameters as a JSON object, the
/// [`COLUMNS`] cells.
fn store_rows(grid: &Grid, records: &[SetRecord]) -> Vec<store::SweepRow> {
    records
        .iter()
        .map(|r| {
            let params: serde_json::Map<String, serde_json::Value> = grid
                .keys
                .iter()
                .zip(&r.values)
                .map(|((k, _), v)| (k.clone(), serde_json::Value::String(value_cell(v))))
                .collect();
            let cells = SetStats::of(&r.days).cells();
            store::SweepRow {
                set_id: r.set.clone(),
                params: serde_json::Value::Object(params).to_string(),
                cells: std::array::from_fn(|i| cells.get(i).cloned().unwrap_or_default()),
            }
        })
        .collect()
}

fn lite(r: DayRecord<domain::Trade>) -> DayRecord<TradeLite> {
    let outcome = match r.outcome {
        DayOutcome::Traded { summary, trades } => DayOutcome::Traded {
            summary,
            trades: trades.iter().map(TradeLite::from).collect(),
        },
        DayOutcome::NonTrading => DayOutcome::NonTrading,
        DayOutcome::NoData => DayOutcome::NoData,
    };
    DayRecord {
        date: r.date,
        outcome,
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// `<set>/days.csv` and `<set>/record.json`.
pub fn write_set(dir: &Path, rec: &SetRecord) -> Result<()> {
    let set_dir = dir.join(&rec.set);
    std::fs::create_dir_all(&set_dir).with_context(|| format!("creating {}", set_dir.display()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "date",
        "trades",
        "wins",
        "win_rate_pct",
        "gross_pnl",
        "charges",
        "net_pnl",
        "max_drawdown",
    ])?;
    for d in &rec.days {
        if let DayOutcome::Traded { summary: s, .. } = &d.outcome {
            w.write_record([
                d.date.to_string(),
                s.trades.to_string(),
                s.wins.to_string(),
                s.win_rate_pct.to_string(),
                s.gross_pnl.to_string(),
                s.charges.to_string(),
                s.net_pnl.to_string(),
                s.max_drawdown.to_string(),
            ])?;
        }
    }
    write(&set_dir.join("days.csv"), &w.into_inner()?)?;
    write(&set_dir.join("record.json"), &serde_json::to_vec(rec)?)
}

/// `results.csv` of the sets in `records` (any order): one row per set, net P&L descending,
/// ties by set id; columns `set`, one per grid key (its dotted name, grid-file order), then
/// [`COLUMNS`]. Returns the text to print: the best sets and the file's path.
pub fn write_results(dir: &Path, grid: &Grid, records: &[SetRecord]) -> Result<String> {
    let mut rows: Vec<(&SetRecord, SetStats)> =
        records.iter().map(|r| (r, SetStats::of(&r.days))).collect();
    rows.sort_by(|(a, sa), (b, sb)| sb.net_pnl.cmp(&sa.net_pnl).then(a.set.cmp(&b.set)));
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = std::iter::once("set")
        .chain(grid.keys.iter().map(|(k, _)| k.as_str()))
        .chain(COLUMNS)
        .collect();
    w.write_record(&header)?;
    for (r, st) in &rows {
        let values = r.values.iter().map(|v| value_cell(v));
        let row: Vec<String> = std::iter::once(r.set.clone())
            .chain(values)
            .chain(st.cells())
            .collect();
        w.write_record(&row)?;
    }
    let path = dir.join("results.csv");
    write(&path, &w.into_inner()?)?;

    let mut o = String::new();
    let days = records.first().map_or(0, |r| {
        r.days
            .iter()
            .filter(|d| matches!(d.outcome, DayOutcome::Traded { .. }))
            .count()
    });
    let _ = writeln!(
        o,
        "sweep {}: {} sets × {days} trading days",
        grid.name,
        records.len()
    );
    let _ = writeln!(
        o,
        "{:<9} {:>6} {:>8} {:>13} {:>11} {:>9}  parameters",
        "set", "trades", "win", "net ₹", "max DD ₹", "sharpe"
    );
    for (r, st) in rows.iter().take(10) {
        let params: Vec<String> = grid
            .keys
            .iter()
            .zip(&r.values)
            .map(|((k, _), v)| format!("{k}={}", value_cell(v)))
            .collect();
        let c = st.cells();
        let _ = writeln!(
            o,
            "{:<9} {:>6} {:>8} {:>13} {:>11} {:>9}  {}",
            r.set,
            st.trades,
            c[1],
            st.net_pnl,
            st.max_drawdown,
            c[8],
            params.join(" ")
        );
    }
    let _ = writeln!(o, "results: {}", path.display());
    Ok(o)
}

/// A recorded value (TOML text) as a CSV cell.
fn value_cell(text: &str) -> String {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .map_or_else(|| text.to_string(), |v| cell(&v))
}
