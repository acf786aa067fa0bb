//! One date of a replay range → its [`DayRecord`]: skipped (weekend, holiday, no data) or run
//! through the engine with its journal under `<root>/replay/<date>/` or none.

use crate::record::{DayOutcome, DayRecord};
use anyhow::Result;
use backtest::{NullJournal, ReplayContext, ReplayError, replay_day};
use chrono::NaiveDate;
use domain::Trade;
use journal::{CsvJournal, Journal};
use std::path::Path;
use tokio::runtime::Runtime;

/// Replay `date` under `ctx` on `rt`. `journal_root`: write the day's journal files under
/// `<root>/replay/<date>/` (else keep none). `strict`: a weekend, holiday or missing data is an
/// error (a single `--date`), else a skipped day.
///
/// Errors: the catalog (file, line, field), the engine, or writing the journal.
pub fn replay_date(
    ctx: &ReplayContext,
    rt: &Runtime,
    date: NaiveDate,
    journal_root: Option<&Path>,
    strict: bool,
) -> Result<DayRecord<Trade>> {
    let skipped = |outcome| DayRecord { date, outcome };
    match ctx.check_date(date) {
        Ok(()) => {}
        Err(ReplayError::NotTradingDay { .. }) if !strict => {
            return Ok(skipped(DayOutcome::NonTrading));
        }
        Err(ReplayError::NoData(_)) if !strict => return Ok(skipped(DayOutcome::NoData)),
        Err(e) => return Err(e.into()),
    }
    let journal: Box<dyn Journal> = match journal_root {
        Some(root) => Box::new(CsvJournal::create(root, "replay", date)?.buffered()),
        None => Box::new(NullJournal),
    };
    let report = rt.block_on(replay_day(ctx, date, journal))?;
    Ok(DayRecord {
        date,
        outcome: DayOutcome::Traded {
            summary: report.summary.total,
            trades: report.trades,
        },
    })
}
