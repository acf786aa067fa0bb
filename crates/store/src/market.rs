//! Market data in the store: bars and trade ticks per series per day, and the day's
//! instruments dump, in the shapes of the catalog (spec §9).

use crate::StoreError;
use crate::db::Store;
use crate::sql::{self, Conflict, Row};
use crate::tables::{BARS, INSTRUMENTS, TICKS, Ty};
use catalog::TradeTick;
use chrono::NaiveDate;
use domain::time::{IstDateTime, fmt_iso, parse_iso};
use domain::{Bar, Decimal};
use std::str::FromStr;

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn opt<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|x| x.to_string())
}

pub(crate) fn bar_row(series: &str, date: NaiveDate, b: &Bar) -> Row {
    vec![
        Some(series.to_string()),
        Some(day(date)),
        Some(fmt_iso(&b.ts)),
        Some(b.open.to_string()),
        Some(b.high.to_string()),
        Some(b.low.to_string()),
        Some(b.close.to_string()),
        opt(b.volume),
    ]
}

pub(crate) fn tick_row(series: &str, date: NaiveDate, seq: u64, t: &TradeTick) -> Row {
    vec![
        Some(series.to_string()),
        Some(day(date)),
        Some(seq.to_string()),
        Some(fmt_iso(&t.ts)),
        Some(t.last_price.to_string()),
        opt(t.volume),
        opt(t.oi),
    ]
}

/// Statements that replace the bars of `series` on `date`.
pub(crate) fn replace_bars(
    store: &Store,
    series: &str,
    date: NaiveDate,
    bars: &[Bar],
) -> Vec<sql::Stmt> {
    let b = store.backend();
    let mut s = vec![sql::delete(
        b,
        &BARS,
        BARS.key,
        vec![Some(series.to_string()), Some(day(date))],
    )];
    let rows = bars.iter().map(|x| bar_row(series, date, x)).collect();
    s.extend(sql::inserts(b, &BARS, rows, Conflict::Fail));
    s
}

/// Statements that replace the trade ticks of `series` on `date` (seq = 0, 1, …).
pub(crate) fn replace_ticks(
    store: &Store,
    series: &str,
    date: NaiveDate,
    ticks: &[TradeTick],
) -> Vec<sql::Stmt> {
    let b = store.backend();
    let mut s = vec![sql::delete(
        b,
        &TICKS,
        &TICKS.key[..2],
        vec![Some(series.to_string()), Some(day(date))],
    )];
    let rows = ticks
        .iter()
        .enumerate()
        .map(|(i, t)| tick_row(series, date, i as u64, t))
        .collect();
    s.extend(sql::inserts(b, &TICKS, rows, Conflict::Fail));
    s
}

fn bad(store: &Store, table: &str, column: &str, value: &str, reason: String) -> StoreError {
    StoreError::BadValue {
        url: store.url().redacted(),
        table: table.into(),
        column: column.into(),
        value: value.into(),
        reason,
    }
}

fn req<'a>(store: &Store, t: &str, c: &str, v: &'a Option<String>) -> Result<&'a str, StoreError> {
    v.as_deref()
        .ok_or_else(|| bad(store, t, c, "NULL", "required".into()))
}

fn ts(store: &Store, t: &str, c: &str, v: &Option<String>) -> Result<IstDateTime, StoreError> {
    let s = req(store, t, c, v)?;
    parse_iso(s).map_err(|e| bad(store, t, c, s, e.to_string()))
}

fn dec(store: &Store, t: &str, c: &str, v: &Option<String>) -> Result<Decimal, StoreError> {
    let s = req(store, t, c, v)?;
    Decimal::from_str(s).map_err(|e| bad(store, t, c, s, e.to_string()))
}

fn int(store: &Store, t: &str, c: &str, v: &Option<String>) -> Result<Option<u64>, StoreError> {
    v.as_deref()
        .map(|s| {
            s.parse::<u64>()
                .map_err(|e| bad(store, t, c, s, e.to_string()))
        })
        .transpose()
}

impl Store {
    /// Replace the bars of `series` on `date` with `bars` (one transaction).
    pub async fn put_bars(
        &self,
        series: &str,
        date: NaiveDate,
        bars: &[Bar],
    ) -> Result<u64, StoreError> {
        let what = format!("write bars {series} {date}");
        self.run(&what, replace_bars(self, series, date, bars))
            .await
    }

    /// Replace the trade ticks of `series` on `date` with `ticks`, in this order.
    pub async fn put_ticks(
        &self,
        series: &str,
        date: NaiveDate,
        ticks: &[TradeTick],
    ) -> Result<u64, StoreError> {
        let what = format!("write ticks {series} {date}");
        self.run(&what, replace_ticks(self, series, date, ticks))
            .await
    }

    /// Store (or replace) the instruments dump of `date` from `source` (e.g. `kite`).
    pub async fn put_instruments(
        &self,
        date: NaiveDate,
        source: &str,
        csv: &str,
    ) -> Result<u64, StoreError> {
        let row = vec![Some(day(date)), Some(source.into()), Some(csv.into())];
        let stmts = sql::inserts(
            self.backend(),
            &INSTRUMENTS,
            vec![row],
            Conflict::Update(&["day", "source"]),
        );
        self.run("write instruments", stmts).await
    }

    /// The instruments dump of `date` from `source`, if stored.
    pub async fn instruments(
        &self,
        date: NaiveDate,
        source: &str,
    ) -> Result<Option<String>, StoreError> {
        let rows = self
            .select(
                "read instruments",
                &INSTRUMENTS,
                &[("csv", Ty::Text)],
                INSTRUMENTS.key,
                vec![Some(day(date)), Some(source.into())],
                "",
            )
            .await?;
        Ok(rows.into_iter().next().and_then(|mut r| r.pop().flatten()))
    }

    /// The bars of `series` on `date`, sorted by start (empty when none).
    pub async fn bars(&self, series: &str, date: NaiveDate) -> Result<Vec<Bar>, StoreError> {
        let what = format!("read bars {series} {date}");
        let rows = self
            .select(
                &what,
                &BARS,
                BARS.cols,
                BARS.key,
                vec![Some(series.into()), Some(day(date))],
                "\"bars\".\"ts\"",
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Bar {
                    ts: ts(self, "bars", "ts", &r[0])?,
                    open: dec(self, "bars", "open", &r[1])?,
                    high: dec(self, "bars", "high", &r[2])?,
                    low: dec(self, "bars", "low", &r[3])?,
                    close: dec(self, "bars", "close", &r[4])?,
                    volume: int(self, "bars", "volume", &r[5])?,
                })
            })
            .collect()
    }

    /// The trade ticks of `series` on `date` in arrival order (empty when none).
    pub async fn ticks(&self, series: &str, date: NaiveDate) -> Result<Vec<TradeTick>, StoreError> {
        let what = format!("read ticks {series} {date}");
        let rows = self
            .select(
                &what,
                &TICKS,
                TICKS.cols,
                &TICKS.key[..2],
                vec![Some(series.into()), Some(day(date))],
                "\"ticks\".\"seq\"",
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TradeTick {
                    ts: ts(self, "ticks", "ts", &r[0])?,
                    last_price: dec(self, "ticks", "last_price", &r[1])?,
                    volume: int(self, "ticks", "volume", &r[2])?,
                    oi: int(self, "ticks", "oi", &r[3])?,
                })
            })
            .collect()
    }

    /// Every series with its bar days and tick days (two queries).
    pub async fn listing(
        &self,
    ) -> Result<
        std::collections::BTreeMap<
            String,
            (
                std::collections::BTreeSet<NaiveDate>,
                std::collections::BTreeSet<NaiveDate>,
            ),
        >,
        StoreError,
    > {
        let mut out: std::collections::BTreeMap<
            String,
            (
                std::collections::BTreeSet<NaiveDate>,
                std::collections::BTreeSet<NaiveDate>,
            ),
        > = Default::default();
        let d = crate::sql::select_expr(self.backend(), "day", Ty::Date);
        for (table, ticks) in [("bars", false), ("ticks", true)] {
            let sql = format!("SELECT DISTINCT \"series\", {d} FROM \"{table}\"");
            for r in self
                .fetch_text(&format!("list {table}"), sql, vec![], 2)
                .await?
            {
                let series = req(self, table, "series", &r[0])?.to_string();
                let s = req(self, table, "day", &r[1])?;
                let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|e| bad(self, table, "day", s, e.to_string()))?;
                let e = out.entry(series).or_default();
                if ticks {
                    e.1.insert(day)
                } else {
                    e.0.insert(day)
                };
            }
        }
        Ok(out)
    }

    /// Every series with bars or ticks, sorted.
    pub async fn series(&self) -> Result<Vec<String>, StoreError> {
        let sql =
            "SELECT \"series\" FROM \"bars\" UNION SELECT \"series\" FROM \"ticks\" ORDER BY 1";
        let rows = self
            .fetch_text("list series", sql.into(), vec![], 1)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut r| r.pop().flatten())
            .collect())
    }

    /// Sorted dates with bars (`ticks = false`) or ticks of `series`.
    pub async fn dates(&self, series: &str, ticks: bool) -> Result<Vec<NaiveDate>, StoreError> {
        let table = if ticks { "ticks" } else { "bars" };
        let d = crate::sql::select_expr(self.backend(), "day", Ty::Date);
        let sql = format!("SELECT DISTINCT {d} FROM \"{table}\" WHERE \"series\" = $1 ORDER BY 1");
        let rows = self
            .fetch_text(
                &format!("list {table} dates {series}"),
                sql,
                vec![Some(series.into())],
                1,
            )
            .await?;
        rows.iter()
            .map(|r| {
                let s = req(self, table, "day", &r[0])?;
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|e| bad(self, table, "day", s, e.to_string()))
            })
            .collect()
    }
}
