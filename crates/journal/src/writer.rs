//! A journal on its own thread: rows are handed over a channel and written (with their file
//! flushes) off the caller's thread, so an async runtime thread never blocks on disk
//! (paper/live). A write failure surfaces at the next call; dropping the journal writes what
//! is queued and joins the thread.

use crate::{DaySummary, Event, FillRow, Journal, JournalError, OrderRow};
use domain::Trade;
use std::sync::mpsc;
use std::thread::JoinHandle;

enum Row {
    Order(OrderRow),
    Fill(FillRow),
    Trade(Box<Trade>),
    Event(Event),
    Summary(Box<DaySummary>),
}

/// A [`Journal`] that writes through `inner` on a dedicated thread.
pub struct WriterThread {
    tx: Option<mpsc::Sender<Row>>,
    errors: mpsc::Receiver<JournalError>,
    handle: Option<JoinHandle<()>>,
}

impl WriterThread {
    /// Start the thread writing to `inner`.
    ///
    /// # Errors
    /// [`JournalError::WriterStopped`] if the thread cannot be started.
    pub fn spawn(mut inner: Box<dyn Journal>) -> Result<Self, JournalError> {
        let (tx, rx) = mpsc::channel::<Row>();
        let (etx, errors) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || {
                for row in rx {
                    let res = match row {
                        Row::Order(r) => inner.order(&r),
                        Row::Fill(r) => inner.fill(&r),
                        Row::Trade(t) => inner.trade(&t),
                        Row::Event(e) => inner.event(&e),
                        Row::Summary(s) => inner.summary(&s),
                    };
                    if let Err(e) = res {
                        // The caller may be gone; nothing else to tell.
                        let _ = etx.send(e);
                    }
                }
            })
            .map_err(|_| JournalError::WriterStopped)?;
        Ok(Self {
            tx: Some(tx),
            errors,
            handle: Some(handle),
        })
    }

    fn send(&mut self, row: Row) -> Result<(), JournalError> {
        if let Ok(e) = self.errors.try_recv() {
            return Err(e);
        }
        match &self.tx {
            Some(tx) => tx.send(row).map_err(|_| JournalError::WriterStopped),
            None => Err(JournalError::WriterStopped),
        }
    }
}

impl Journal for WriterThread {
    fn order(&mut self, row: &OrderRow) -> Result<(), JournalError> {
        self.send(Row::Order(row.clone()))
    }
    fn fill(&mut self, row: &FillRow) -> Result<(), JournalError> {
        self.send(Row::Fill(row.clone()))
    }
    fn trade(&mut self, trade: &Trade) -> Result<(), JournalError> {
        self.send(Row::Trade(Box::new(trade.clone())))
    }
    fn event(&mut self, event: &Event) -> Result<(), JournalError> {
        self.send(Row::Event(event.clone()))
    }
    fn summary(&mut self, summary: &DaySummary) -> Result<(), JournalError> {
        self.send(Row::Summary(Box::new(summary.clone())))
    }
}

impl Drop for WriterThread {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SharedJournal;

    #[test]
    fn rows_arrive_in_order_and_all_by_drop() {
        let shared = SharedJournal::default();
        let mut w = WriterThread::spawn(Box::new(shared.clone())).unwrap();
        for i in 0..50 {
            w.event(&Event {
                timestamp: domain::time::ist_hms(
                    chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
                    9,
                    15,
                    0,
                ),
                segment: None,
                kind: "session",
                message: format!("n{i}"),
                data: serde_json::Value::Null,
            })
            .unwrap();
        }
        drop(w);
        let got: Vec<String> = shared
            .snapshot()
            .events
            .iter()
            .map(|e| e.message.clone())
            .collect();
        let want: Vec<String> = (0..50).map(|i| format!("n{i}")).collect();
        assert_eq!(got, want);
    }
}
