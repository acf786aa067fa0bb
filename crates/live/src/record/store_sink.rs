//! [`StoreSink`]: recorded market data into the database store (issue 14), through the
//! store's background writer (never waits; a full queue is reported by the writer).

use super::RecordSink;
use catalog::TradeTick;
use chrono::NaiveDate;
use domain::Bar;
use store::{Record, StoreWriter};

/// Sends each recorded tick, bar and the instruments dump to the store's writer.
pub struct StoreSink {
    writer: StoreWriter,
    date: NaiveDate,
}

impl StoreSink {
    /// A sink for the trading day `date` on `writer`.
    pub fn new(writer: StoreWriter, date: NaiveDate) -> StoreSink {
        StoreSink { writer, date }
    }
}

impl RecordSink for StoreSink {
    fn instruments(&mut self, date: NaiveDate, csv: &str) {
        self.writer
            .send(Record::Instruments(date, "kite".into(), csv.to_string()));
    }

    fn tick(&mut self, series: &str, tick: &TradeTick) {
        self.writer
            .send(Record::Tick(series.to_string(), self.date, *tick));
    }

    fn bar(&mut self, series: &str, bar: &Bar) {
        self.writer
            .send(Record::Bar(series.to_string(), self.date, *bar));
    }

    fn finish(&mut self, _date: NaiveDate) -> Result<(), String> {
        // The session flushes the writer once for the journal and the recording together.
        Ok(())
    }
}
