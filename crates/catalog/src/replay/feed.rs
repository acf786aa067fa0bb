//! [`ReplayFeed`]: one day's index ticks from catalog bars as a [`MarketData`] feed.

use super::ticks::{bar_minutes, in_session, synthesize_ticks_in};
use crate::{Catalog, CatalogError};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::ports::{MarketData, MarketDataError, MarketEvent};
use domain::time::{IstDateTime, ist, session_close};
use domain::{Bar, Segment, Tick};
use std::collections::VecDeque;
use std::sync::Arc;

/// Replay ticks of one day for several segments: each 1-minute bar becomes four ticks
/// (spec §3.1 rule 2), merged in timestamp order with ties in segment order (spec §3), then
/// [`MarketEvent::EndOfSession`] at 15:30 IST (or the last tick's time if later).
pub struct ReplayFeed {
    events: VecDeque<MarketEvent>,
}

impl ReplayFeed {
    /// The feed for `date` from each segment's bars (bars outside the session are skipped),
    /// as `(segment, watched instrument_token, bars)`. `bars` may be owned (`Vec<Bar>`) or
    /// shared (`Arc<[Bar]>` from a cached catalog).
    pub fn new<B: AsRef<[Bar]>>(date: NaiveDate, bars: &[(Segment, u32, B)]) -> Self {
        Self::from_ticks(date, &Self::ticks(bars))
    }

    /// The feed for `date` from its merged index ticks ([`ReplayFeed::ticks`], or
    /// [`day_ticks`]).
    pub fn from_ticks(date: NaiveDate, ticks: &[Tick]) -> Self {
        let end = ticks
            .last()
            .map(|t| t.ts)
            .unwrap_or_else(|| ist(date, session_close()))
            .max(ist(date, session_close()));
        let mut events: VecDeque<MarketEvent> = VecDeque::with_capacity(ticks.len() + 1);
        events.extend(ticks.iter().copied().map(MarketEvent::Tick));
        events.push_back(MarketEvent::EndOfSession(end));
        Self { events }
    }

    /// The ticks of each segment's bars (four per in-session bar) under the segment's watched
    /// `instrument_token` (an index's token, a stock's own), merged in timestamp order with
    /// ties in segment order: what the feed delivers, and what a restarted session catches up
    /// from (spec §11).
    pub fn ticks<B: AsRef<[Bar]>>(bars: &[(Segment, u32, B)]) -> Vec<Tick> {
        let mut ticks: Vec<(IstDateTime, Segment, Tick)> = Vec::new();
        for (seg, token, bars) in bars {
            let bars = bars.as_ref();
            let minutes = bar_minutes(bars);
            for bar in bars.iter().filter(|b| in_session(b)) {
                for t in synthesize_ticks_in(*token, bar, minutes) {
                    ticks.push((t.ts, *seg, t));
                }
            }
        }
        // Stable: within a segment the bar order is kept.
        ticks.sort_by_key(|(ts, seg, _)| (*ts, *seg));
        ticks.into_iter().map(|(_, _, t)| t).collect()
    }

    /// Events left.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// The merged replay ticks of `date` for these (segment, catalog series) pairs
/// ([`ReplayFeed::ticks`] of their bars): computed once per day and pair list on a
/// [`Catalog::cached`] catalog (a sweep replays the same day under many parameter sets), else
/// every call.
///
/// Errors: reading a series' bars (file, line, field).
pub fn day_ticks(
    catalog: &Catalog,
    date: NaiveDate,
    series: &[(Segment, String)],
) -> Result<Arc<[Tick]>, CatalogError> {
    let load = || {
        let mut bars = Vec::with_capacity(series.len());
        let tokens = catalog.watch_tokens(series)?;
        for ((seg, name), token) in series.iter().zip(tokens) {
            bars.push((*seg, token, catalog.bars_shared(name, date)?));
        }
        Ok(ReplayFeed::ticks(&bars))
    };
    match catalog.cache() {
        Some(c) => c.feed_ticks(date, series, load),
        None => load().map(Arc::from),
    }
}

#[async_trait]
impl MarketData for ReplayFeed {
    async fn subscribe(&mut self, _tokens: &[u32]) -> Result<(), MarketDataError> {
        Ok(())
    }
    async fn unsubscribe(&mut self, _tokens: &[u32]) -> Result<(), MarketDataError> {
        Ok(())
    }
    async fn next_event(&mut self) -> Option<MarketEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::ist_hms;

    fn bar(d: NaiveDate, h: u32, m: u32, p: i64) -> Bar {
        Bar {
            ts: ist_hms(d, h, m, 0),
            open: p.into(),
            high: (p + 2).into(),
            low: (p - 1).into(),
            close: (p + 1).into(),
            volume: None,
        }
    }

    #[tokio::test]
    async fn ticks_merge_by_time_ties_in_segment_order_then_end_of_session() {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let mut f = ReplayFeed::new(
            d,
            &[
                (Segment::BankNifty, 260105, vec![bar(d, 9, 15, 50000)]),
                (
                    Segment::Nifty,
                    256265,
                    vec![bar(d, 9, 14, 1), bar(d, 9, 15, 23000)],
                ),
            ],
        );
        assert_eq!(f.len(), 9);
        let mut seen = Vec::new();
        while let Some(e) = f.next_event().await {
            seen.push(e);
        }
        let tokens: Vec<u32> = seen
            .iter()
            .filter_map(|e| match e {
                MarketEvent::Tick(t) => Some(t.token),
                _ => None,
            })
            .collect();
        let (n, b) = (
            domain::Index::Nifty.token(),
            domain::Index::BankNifty.token(),
        );
        assert_eq!(tokens, [n, b, n, b, n, b, n, b]);
        assert!(
            matches!(seen.last(), Some(MarketEvent::EndOfSession(t)) if *t == ist_hms(d, 15, 30, 0))
        );
        assert!(f.is_empty());
    }
}
