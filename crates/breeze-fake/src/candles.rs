//! A catalog day as the candles Breeze's v2 `historicalcharts` returns for it
//! (breeze-api.md §2, §4).
//!
//! The catalog keeps the regular session only (09:15–15:29 bars). Breeze also reports a
//! 09:07 pre-open candle and post-close candles; the catalog has no data for them, so they
//! are derived the way Breeze reports them:
//!
//! - **09:07** (when the day's first bar starts at 09:15): a flat candle at the day's
//!   opening price, the 09:15 bar's open (O = H = L = C), volume 0 — Breeze's 09:07 candle
//!   carries the opening price and had volume 0 in 2025 (breeze-api.md \[S5\]);
//! - **15:30** (when the day's last bar starts at 15:29): a flat candle at the 15:29 close,
//!   volume 0. The real one carries the closing-session price, which the catalog does not
//!   have; its value does not matter to Kestrel, which keeps 09:15–15:29 only. The flat
//!   15:31/15:34 candles of breeze-api.md \[S5\] are not made up.
//!
//! Prices go out as JSON numbers (`23337.9`, as Breeze writes them), volume as a whole
//! number; an index (or any bar without volume) reports volume 0 (breeze-api.md \[S4\] #114).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use domain::Bar;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

fn number(d: Decimal) -> Value {
    d.to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// One v2 candle object starting at `t` with prices `[open, high, low, close]`.
fn item(
    t: NaiveDateTime,
    ohlc: [Decimal; 4],
    volume: u64,
    code: (&str, &str),
) -> (NaiveDateTime, Value) {
    let [o, h, l, c] = ohlc;
    (
        t,
        json!({
            "close": number(c),
            "datetime": t.format("%Y-%m-%d %H:%M:%S").to_string(),
            "exchange_code": code.1,
            "high": number(h),
            "low": number(l),
            "open": number(o),
            "stock_code": code.0,
            "volume": volume,
        }),
    )
}

/// The v2 candle objects of one day's catalog `bars` (time order), with their IST wall-clock
/// starts: the derived 09:07 candle, the bars, the derived 15:30 candle (module docs).
pub fn day_candles(
    bars: &[Bar],
    stock_code: &str,
    exchange_code: &str,
) -> Vec<(NaiveDateTime, Value)> {
    let mut out = Vec::with_capacity(bars.len() + 2);
    let code = (stock_code, exchange_code);
    let open = NaiveTime::from_hms_opt(9, 15, 0);
    let last = NaiveTime::from_hms_opt(15, 29, 0);
    if let Some(first) = bars.first()
        && Some(first.ts.time()) == open
    {
        let t = first.ts.naive_local() - TimeDelta::minutes(8);
        let p = first.open;
        out.push(item(t, [p; 4], 0, code));
    }
    for b in bars {
        out.push(item(
            b.ts.naive_local(),
            [b.open, b.high, b.low, b.close],
            b.volume.unwrap_or(0),
            code,
        ));
    }
    if let Some(end) = bars.last()
        && Some(end.ts.time()) == last
    {
        let t = end.ts.naive_local() + TimeDelta::minutes(1);
        let p = end.close;
        out.push(item(t, [p; 4], 0, code));
    }
    out
}

/// The dates of `from..=to` (inclusive).
pub fn dates(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_real_day_gets_its_preopen_and_postclose_candles() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let cat = catalog::Catalog::open(repo).unwrap();
        let day = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let bars = cat.bars("NIFTY", day).unwrap();
        let c = day_candles(&bars, "NIFTY", "NSE");
        assert_eq!(c.len(), bars.len() + 2);
        assert_eq!(c[0].1["datetime"], "2024-06-03 09:07:00");
        assert_eq!(c[0].1["open"], c[1].1["open"]);
        assert_eq!(c[0].1["close"], c[1].1["open"]);
        assert_eq!(c[1].1["datetime"], "2024-06-03 09:15:00");
        assert_eq!(
            c[1].1["open"].to_string(),
            bars[0].open.normalize().to_string()
        );
        let n = c.len();
        assert_eq!(c[n - 1].1["datetime"], "2024-06-03 15:30:00");
        assert_eq!(c[n - 1].1["close"], c[n - 2].1["close"]);
        assert!(c.iter().all(|(_, v)| v["volume"] == 0));
    }
}
