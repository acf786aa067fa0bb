//! Warm-up and backfill from Kite historical candles (spec §3, kite-connect.md §3.8).
//!
//! Requests are split so that no request spans more than the per-interval maximum (minute 60
//! days, 3/5/10-minute 100, 15/30-minute 200, 60-minute 400, day 2000; we stay one day under
//! each), sent within the historical rate limit (3/s), stitched and de-duplicated on the
//! candle timestamp.

use crate::client::KiteClient;
use crate::convert::rupees;
use crate::error::KiteError;
use crate::limits::EndpointClass;
use async_trait::async_trait;
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use domain::ports::{HistoricalData, HistoryError};
use domain::time::{IST, session_close, session_open};
use domain::{Bar, Segment};
use std::collections::BTreeMap;

/// Kite candle intervals (kite-connect.md §3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    /// `minute`.
    Minute,
    /// `3minute`.
    Minute3,
    /// `5minute`.
    Minute5,
    /// `10minute`.
    Minute10,
    /// `15minute`.
    Minute15,
    /// `30minute`.
    Minute30,
    /// `60minute`.
    Minute60,
    /// `day`.
    Day,
}

impl Interval {
    /// The path segment Kite expects.
    pub fn code(self) -> &'static str {
        match self {
            Interval::Minute => "minute",
            Interval::Minute3 => "3minute",
            Interval::Minute5 => "5minute",
            Interval::Minute10 => "10minute",
            Interval::Minute15 => "15minute",
            Interval::Minute30 => "30minute",
            Interval::Minute60 => "60minute",
            Interval::Day => "day",
        }
    }

    /// The largest span one request may cover, days (Zerodha staff, kite-connect.md §3.8).
    pub fn max_days(self) -> u64 {
        match self {
            Interval::Minute => 60,
            Interval::Minute3 | Interval::Minute5 | Interval::Minute10 => 100,
            Interval::Minute15 | Interval::Minute30 => 200,
            Interval::Minute60 => 400,
            Interval::Day => 2000,
        }
    }
}

/// The `[from, to]` windows (IST wall clock, inclusive) one range is split into, each spanning
/// less than `interval.max_days()` days.
pub fn chunks(
    interval: Interval,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let span = chrono::TimeDelta::days(i64::try_from(interval.max_days() - 1).unwrap_or(1));
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = (start + span).min(to);
        out.push((start, end));
        if end >= to {
            break;
        }
        start = end + chrono::TimeDelta::seconds(1);
    }
    out
}

/// Kite historical candles as engine bars.
#[derive(Debug, Clone)]
pub struct KiteHistory {
    client: KiteClient,
    /// Watched `instrument_token`s of segments that trade what they watch: a stock's NSE
    /// `EQ` row, an index's near-month future; other indices use their own token.
    stocks: BTreeMap<Segment, u32>,
}

impl KiteHistory {
    /// A loader sharing `client`'s limiter and session (index segments; add stocks with
    /// [`KiteHistory::with_stock_tokens`]).
    pub fn new(client: KiteClient) -> Self {
        Self {
            client,
            stocks: BTreeMap::new(),
        }
    }

    /// Serve these segments from these tokens: a stock's NSE `EQ` `instrument_token` (from
    /// the day's instruments dump, [`crate::InstrumentsMaster::watch_token`]), an index
    /// agent's near-month future ([`crate::InstrumentsMaster::future_contract`]; the index's
    /// own token is then not read). A future's candles are its own contract's: Kite serves no
    /// continuous intraday series, so in the days after a roll the warm-up reads the new
    /// month's thinner candles.
    pub fn with_stock_tokens(mut self, tokens: impl IntoIterator<Item = (Segment, u32)>) -> Self {
        self.stocks.extend(tokens);
        self
    }

    /// The token whose candles are `segment`'s: the one set for it
    /// ([`KiteHistory::with_stock_tokens`]), else an index's own.
    fn token(&self, segment: Segment) -> Result<u32, HistoryError> {
        if let Some(t) = self.stocks.get(&segment) {
            return Ok(*t);
        }
        if let Some(t) = segment.index_token() {
            return Ok(t);
        }
        self.stocks.get(&segment).copied().ok_or_else(|| {
            HistoryError::Unavailable(format!(
                "{segment}: no instrument_token for this stock (not in the NSE instruments dump?)"
            ))
        })
    }

    /// Candles of `token` between `from` and `to` (IST wall clock, inclusive), oldest first,
    /// de-duplicated on the candle start. Prices exact ₹; volume `None` for indices (Kite sends
    /// 0 there), else `Some`.
    ///
    /// # Errors
    /// The classified Kite error of the first failing window (after retries).
    pub async fn candles(
        &self,
        token: u32,
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<Bar>, KiteError> {
        let index = token & 0xFF == 9;
        let mut by_ts: BTreeMap<i64, Bar> = BTreeMap::new();
        for (a, b) in chunks(interval, from, to) {
            let candles = self
                .client
                .read(EndpointClass::Historical, "historical", |k| async move {
                    k.historical_data(token, interval.code(), a, b, false, false)
                        .await
                })
                .await?;
            for c in candles {
                let ts = c.date.with_timezone(&IST);
                let vol = if index && c.volume == 0 {
                    None
                } else {
                    Some(c.volume)
                };
                by_ts.insert(
                    ts.timestamp(),
                    Bar {
                        ts,
                        open: rupees(c.open),
                        high: rupees(c.high),
                        low: rupees(c.low),
                        close: rupees(c.close),
                        volume: vol,
                    },
                );
            }
        }
        Ok(by_ts.into_values().collect())
    }

    /// 1-minute bars of today's session so far (09:15 to `until`), for a restart mid-day.
    ///
    /// # Errors
    /// As [`Self::candles`].
    pub async fn backfill_today(
        &self,
        token: u32,
        date: NaiveDate,
        until: NaiveTime,
    ) -> Result<Vec<Bar>, KiteError> {
        let from = date.and_time(session_open());
        let to = date.and_time(until.min(session_close()));
        self.candles(token, Interval::Minute, from, to).await
    }

    /// The 1-minute bars of the last `sessions` sessions before `before` that have data
    /// (sessions = dates present in the data, spec §3.1 rule 4), oldest first; rows outside
    /// 09:15–15:29 dropped. Looks back in windows of 20 calendar days, at most 60 days.
    ///
    /// # Errors
    /// As [`Self::candles`].
    pub async fn sessions_before_token(
        &self,
        token: u32,
        before: NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<Bar>>, KiteError> {
        if sessions == 0 {
            return Ok(Vec::new());
        }
        let last_minute = NaiveTime::from_hms_opt(15, 29, 0).unwrap_or(session_close());
        let mut lookback = 10u64.max(sessions as u64 * 3);
        loop {
            let from_day = before
                .checked_sub_days(Days::new(lookback))
                .unwrap_or(before);
            let to_day = before.pred_opt().unwrap_or(before);
            let bars = self
                .candles(
                    token,
                    Interval::Minute,
                    from_day.and_time(session_open()),
                    to_day.and_time(last_minute),
                )
                .await?;
            let mut by_day: BTreeMap<NaiveDate, Vec<Bar>> = BTreeMap::new();
            for b in bars {
                let t = b.ts.time();
                if t >= session_open() && t <= last_minute && b.ts.date_naive() < before {
                    by_day.entry(b.ts.date_naive()).or_default().push(b);
                }
            }
            if by_day.len() >= sessions || lookback >= 59 {
                let skip = by_day.len().saturating_sub(sessions);
                return Ok(by_day.into_values().skip(skip).collect());
            }
            lookback = (lookback * 2).min(59);
        }
    }
}

#[async_trait]
impl HistoricalData for KiteHistory {
    async fn sessions_before(
        &self,
        segment: Segment,
        before: NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<Bar>>, HistoryError> {
        let token = self.token(segment)?;
        self.sessions_before_token(token, before, sessions)
            .await
            .map_err(|e| match e {
                KiteError::Rejected(m) => HistoryError::Unavailable(m),
                other => HistoryError::Source(other.to_string()),
            })
    }

    /// Today's 1-minute candles so far (`GET /instruments/historical`, kite-connect.md §4.1).
    /// On the real trading day Kite also returns the forming minute: a bar that has not ended
    /// on the wall clock (IST) is dropped.
    async fn session_so_far(
        &self,
        segment: Segment,
        date: NaiveDate,
    ) -> Result<Vec<Bar>, HistoryError> {
        let last_minute = NaiveTime::from_hms_opt(15, 29, 0).unwrap_or(session_close());
        let bars = self
            .backfill_today(self.token(segment)?, date, last_minute)
            .await
            .map_err(|e| match e {
                KiteError::Rejected(m) => HistoryError::Unavailable(m),
                other => HistoryError::Source(other.to_string()),
            })?;
        let now = chrono::Utc::now().with_timezone(&domain::time::IST);
        let live_day = now.date_naive() == date;
        Ok(bars
            .into_iter()
            .filter(|b| {
                b.ts.date_naive() == date
                    && (!live_day || b.ts + chrono::TimeDelta::minutes(1) <= now)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_the_interval_limits() {
        let d = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let c = chunks(
            Interval::Minute,
            d("2024-01-01 09:15:00"),
            d("2024-05-30 15:30:00"),
        );
        assert_eq!(c.len(), 3);
        for (a, b) in &c {
            assert!(*b - *a < chrono::TimeDelta::days(60), "{a} {b}");
        }
        assert_eq!(c[0].0, d("2024-01-01 09:15:00"));
        assert_eq!(c.last().unwrap().1, d("2024-05-30 15:30:00"));
        for w in c.windows(2) {
            assert_eq!(w[1].0, w[0].1 + chrono::TimeDelta::seconds(1));
        }
        assert_eq!(
            chunks(
                Interval::Day,
                d("2020-01-01 00:00:00"),
                d("2024-01-01 00:00:00")
            )
            .len(),
            1
        );
    }
}
