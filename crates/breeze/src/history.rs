//! [`BreezeHistory`]: warm-up and catch-up from Breeze's v2 1-minute candles as
//! [`HistoricalData`] (spec §3.1 rule 4), mirroring `broker_kite::KiteHistory`.
//!
//! Requests cover `days_per_request` weekdays at a time (2 by default, ≈ 760 candles, under
//! the 1,000 cap; weekend days between them ride along, so a special Saturday session is not
//! missed) and a capped answer is paged on ([`BreezeClient::candles`]). Only regular-session
//! bars are kept, 09:15 ≤ start ≤ 15:29 IST: the 09:07 pre-open candle and the post-close
//! candles Breeze also returns are dropped (breeze-api.md §4).

use crate::client::BreezeClient;
use crate::codes;
use crate::error::BreezeError;
use async_trait::async_trait;
use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};
use domain::ports::{HistoricalData, HistoryError};
use domain::time::{IST, session_close, session_open};
use domain::{Bar, Segment};
use std::collections::BTreeMap;

/// How far back `sessions_before` looks, calendar days (as Kite's loader).
pub const MAX_LOOKBACK_DAYS: u64 = 60;

/// The start of the last regular 1-minute bar, 15:29 IST.
pub fn last_minute() -> NaiveTime {
    NaiveTime::from_hms_opt(15, 29, 0).unwrap_or(session_close())
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Consecutive `[start, end]` date windows covering `from..=to`, each holding at most `per`
/// weekdays (and the weekend days between them), oldest first.
pub fn windows(from: NaiveDate, to: NaiveDate, per: u32) -> Vec<(NaiveDate, NaiveDate)> {
    let per = per.max(1);
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let mut end = start;
        let mut weekdays = u32::from(is_weekday(end));
        while end < to {
            let Some(next) = end.succ_opt() else { break };
            if is_weekday(next) && weekdays == per {
                break;
            }
            weekdays += u32::from(is_weekday(next));
            end = next;
        }
        out.push((start, end));
        let Some(next) = end.succ_opt() else { break };
        start = next;
    }
    out
}

/// Regular-session bars (09:15..=15:29 IST) of `bars`, by date.
pub fn by_session(bars: Vec<Bar>) -> BTreeMap<NaiveDate, Vec<Bar>> {
    let mut out: BTreeMap<NaiveDate, Vec<Bar>> = BTreeMap::new();
    for b in bars {
        let t = b.ts.time();
        if t >= session_open() && t <= last_minute() {
            out.entry(b.ts.date_naive()).or_default().push(b);
        }
    }
    out
}

/// Breeze 1-minute candles as engine bars.
#[derive(Debug, Clone)]
pub struct BreezeHistory {
    client: BreezeClient,
}

impl BreezeHistory {
    /// A loader sharing `client`'s limits and session.
    pub fn new(client: BreezeClient) -> Self {
        Self { client }
    }

    /// The client.
    pub fn client(&self) -> &BreezeClient {
        &self.client
    }

    /// The regular-session bars of `key` (a segment code or configured stock) on each date
    /// of `from..=to` that has data, requested window by window ([`windows`]) oldest first.
    /// `progress` sees each window's dates and the sessions found in it.
    ///
    /// # Errors
    /// [`BreezeError::Setup`] for an unmapped key; the first failing request's error.
    pub async fn sessions_between(
        &self,
        key: &str,
        from: NaiveDate,
        to: NaiveDate,
        mut progress: impl FnMut(NaiveDate, NaiveDate, usize),
    ) -> Result<BTreeMap<NaiveDate, Vec<Bar>>, BreezeError> {
        let inst = codes::resolve(&self.client.settings().instruments, key)?;
        let per = self.client.settings().days_per_request;
        let mut out = BTreeMap::new();
        for (a, b) in windows(from, to, per) {
            let bars = self
                .client
                .candles(&inst, a.and_time(session_open()), b.and_time(last_minute()))
                .await?;
            let days = by_session(bars);
            progress(a, b, days.len());
            out.extend(days);
        }
        Ok(out)
    }

    /// The 1-minute bars of the last `sessions` sessions of `key` before `before` that have
    /// data (sessions = dates Breeze has bars for), oldest first; windows are asked newest
    /// first until enough sessions are found or [`MAX_LOOKBACK_DAYS`] are covered.
    ///
    /// # Errors
    /// As [`Self::sessions_between`].
    pub async fn sessions_before_key(
        &self,
        key: &str,
        before: NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<Bar>>, BreezeError> {
        if sessions == 0 {
            return Ok(Vec::new());
        }
        let inst = codes::resolve(&self.client.settings().instruments, key)?;
        let per = self.client.settings().days_per_request;
        let earliest = before
            .checked_sub_days(Days::new(MAX_LOOKBACK_DAYS))
            .unwrap_or(before);
        let mut found: BTreeMap<NaiveDate, Vec<Bar>> = BTreeMap::new();
        let mut end = before.pred_opt().unwrap_or(before);
        while found.len() < sessions && end >= earliest {
            // The window ending at `end` with `per` weekdays.
            let mut start = end;
            let mut weekdays = u32::from(is_weekday(start));
            while weekdays < per.max(1) && start > earliest {
                let Some(prev) = start.pred_opt() else { break };
                start = prev;
                weekdays += u32::from(is_weekday(start));
            }
            let bars = self
                .client
                .candles(
                    &inst,
                    start.and_time(session_open()),
                    end.and_time(last_minute()),
                )
                .await?;
            found.extend(by_session(bars).into_iter().filter(|(d, _)| *d < before));
            let Some(prev) = start.pred_opt() else { break };
            end = prev;
        }
        let skip = found.len().saturating_sub(sessions);
        Ok(found.into_values().skip(skip).collect())
    }
}

#[async_trait]
impl HistoricalData for BreezeHistory {
    async fn sessions_before(
        &self,
        segment: Segment,
        before: NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<Bar>>, HistoryError> {
        Ok(self
            .sessions_before_key(segment.code(), before, sessions)
            .await?)
    }

    /// The day's regular-session bars so far (one request, 09:15–15:29); on the real
    /// trading day a bar that has not ended on the wall clock (IST) is dropped.
    async fn session_so_far(
        &self,
        segment: Segment,
        date: NaiveDate,
    ) -> Result<Vec<Bar>, HistoryError> {
        let inst = codes::resolve(&self.client.settings().instruments, segment.code())?;
        let bars = self
            .client
            .candles(
                &inst,
                date.and_time(session_open()),
                date.and_time(last_minute()),
            )
            .await?;
        let now = chrono::Utc::now().with_timezone(&IST);
        let live_day = now.date_naive() == date;
        Ok(by_session(bars)
            .remove(&date)
            .unwrap_or_default()
            .into_iter()
            .filter(|b| !live_day || b.ts + chrono::TimeDelta::minutes(1) <= now)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn windows_hold_two_weekdays_and_the_weekends_between() {
        // 2024-05-30 is a Thursday.
        let w = windows(d("2024-05-30"), d("2024-06-07"), 2);
        assert_eq!(
            w,
            vec![
                // Thu, Fri and the weekend after them.
                (d("2024-05-30"), d("2024-06-02")),
                (d("2024-06-03"), d("2024-06-04")),
                (d("2024-06-05"), d("2024-06-06")),
                (d("2024-06-07"), d("2024-06-07")),
            ]
        );
        for pair in w.windows(2) {
            assert_eq!(pair[0].1.succ_opt().unwrap(), pair[1].0);
        }
        assert_eq!(windows(d("2024-06-03"), d("2024-06-03"), 2).len(), 1);
        assert!(windows(d("2024-06-04"), d("2024-06-03"), 2).is_empty());
    }
}
