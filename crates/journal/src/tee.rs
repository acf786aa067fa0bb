//! [`Tee`]: one journal written to two places, the first one authoritative.

use crate::{DaySummary, Event, FillRow, Journal, JournalError, OrderRow};

/// Writes every row to `primary` and then `secondary`. A `primary` error is returned (the
/// CSV journal is the crash-safe record, spec §11); a `secondary` error (e.g. the database
/// store, issue 14) is logged and otherwise ignored, so it can never stop trading.
pub struct Tee {
    primary: Box<dyn Journal>,
    secondary: Box<dyn Journal>,
}

impl Tee {
    /// `primary` first, then `secondary`.
    pub fn new(primary: Box<dyn Journal>, secondary: Box<dyn Journal>) -> Tee {
        Tee { primary, secondary }
    }

    fn second(r: Result<(), JournalError>) {
        if let Err(e) = r {
            tracing::warn!(error = %e, "secondary journal failed; the primary journal has the row");
        }
    }
}

impl Journal for Tee {
    fn order(&mut self, row: &OrderRow) -> Result<(), JournalError> {
        self.primary.order(row)?;
        Self::second(self.secondary.order(row));
        Ok(())
    }

    fn fill(&mut self, row: &FillRow) -> Result<(), JournalError> {
        self.primary.fill(row)?;
        Self::second(self.secondary.fill(row));
        Ok(())
    }

    fn trade(&mut self, trade: &domain::Trade) -> Result<(), JournalError> {
        self.primary.trade(trade)?;
        Self::second(self.secondary.trade(trade));
        Ok(())
    }

    fn event(&mut self, event: &Event) -> Result<(), JournalError> {
        self.primary.event(event)?;
        Self::second(self.secondary.event(event));
        Ok(())
    }

    fn summary(&mut self, summary: &DaySummary) -> Result<(), JournalError> {
        self.primary.summary(summary)?;
        Self::second(self.secondary.summary(summary));
        Ok(())
    }
}
