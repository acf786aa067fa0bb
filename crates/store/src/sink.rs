//! [`StoreJournal`]: a [`journal::Journal`] that queues every row for the background
//! [`StoreWriter`]. It never fails and never waits: the CSV journal beside it (see
//! [`journal::Tee`]) is the crash-safe record, the store the queryable one.

use crate::journal_rows::DayKey;
use crate::writer::{Record, StoreWriter};
use journal::{DaySummary, Event, FillRow, Journal, JournalError, OrderRow};
use std::sync::Arc;

/// The store side of a day's journal: rows of `(journal_mode, date, run)` numbered in the
/// order written, per table.
#[derive(Debug)]
pub struct StoreJournal {
    writer: StoreWriter,
    key: Arc<DayKey>,
    seq: [u64; 4],
}

impl StoreJournal {
    /// Begin the day `key` on `writer`. `replace` deletes the day's stored rows first (a
    /// replay re-run, like `CsvJournal::create`); otherwise rows are added (a restarted
    /// paper/live day, like `CsvJournal::append`).
    pub fn begin(writer: &StoreWriter, key: DayKey, replace: bool) -> StoreJournal {
        writer.send(Record::BeginDay {
            journal_mode: key.journal_mode.clone(),
            date: key.date,
            replace,
        });
        StoreJournal {
            writer: writer.clone(),
            key: Arc::new(key),
            seq: [0; 4],
        }
    }

    fn next(&mut self, i: usize) -> u64 {
        self.seq[i] += 1;
        self.seq[i] - 1
    }
}

impl Journal for StoreJournal {
    fn order(&mut self, row: &OrderRow) -> Result<(), JournalError> {
        let s = self.next(0);
        self.writer
            .send(Record::Order(self.key.clone(), s, row.clone()));
        Ok(())
    }

    fn fill(&mut self, row: &FillRow) -> Result<(), JournalError> {
        let s = self.next(1);
        self.writer
            .send(Record::Fill(self.key.clone(), s, row.clone()));
        Ok(())
    }

    fn trade(&mut self, trade: &domain::Trade) -> Result<(), JournalError> {
        let s = self.next(2);
        self.writer
            .send(Record::Trade(self.key.clone(), s, Box::new(trade.clone())));
        Ok(())
    }

    fn event(&mut self, event: &Event) -> Result<(), JournalError> {
        let s = self.next(3);
        self.writer
            .send(Record::Event(self.key.clone(), s, Box::new(event.clone())));
        Ok(())
    }

    fn summary(&mut self, summary: &DaySummary) -> Result<(), JournalError> {
        self.writer
            .send(Record::Summary(self.key.clone(), Box::new(summary.clone())));
        Ok(())
    }
}
