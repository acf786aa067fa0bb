//! One date of a replay range → its [`DayRecord`]: skipped (weekend, holiday, no data) or run
//! through the engine with its journal under `<root>/replay/<date>/` or none.

use crate::record::{DayOutcome, DayRecord};
use anyhow::Result;
use backtest::{NullJournal, ReplayContext, ReplayError, replay_day};
use chrono::NaiveDate;
use domain::Trade;
use journal::{CsvJournal, Journal, Tee};
use std::path::Path;
use store::StoreWriter;
use tokio::runtime::Runtime;

/// Replay `date` under `ctx` on `rt`. `journal_root`: write the day's journal files under
/// `<root>/replay/<date>/` (else keep none); `store`: also into the store's writer under this
/// run id (issue 14). `strict`: a weekend, holiday or missing data is an
/// error (a single `--date`), else a skipped day.
///
/// Errors: the catalog (file, line, field), the engine, or writing the journal.
pub fn replay_date(
    ctx: &ReplayContext,
    rt: &Runtime,
    date: NaiveDate,
    journal_root: Option<&Path>,
    store: Option<&(StoreWriter, String)>,
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
    let journal: Box<dyn Journal> = match (journal_root, store) {
        (Some(root), Some((writer, run_id))) => Box::new(Tee::new(
            Box::new(CsvJournal::create(root, "replay", date)?.buffered()),
            Box::new(crate::storage::day_journal(writer, run_id, date)),
        )),
        (Some(root), None) => Box::new(CsvJournal::create(root, "replay", date)?.buffered()),
        (None, _) => Box::new(NullJournal),
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
