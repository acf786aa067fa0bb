//! Breeze's wire format (breeze-api.md §1, §2, §4): request times, the v2 query, the
//! `{Success, Status, Error}` envelope, candles as engine bars, the session token.

use crate::codes::Instrument;
use crate::credentials::Secret;
use crate::error::BreezeError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use domain::Bar;
use domain::time::{IST, IstDateTime};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// The 1-minute interval name of v2.
pub const INTERVAL_1MINUTE: &str = "1minute";

/// A request time: the IST wall-clock time with a `Z` suffix, `2024-06-03T09:15:00.000Z`
/// (breeze-api.md §4: Breeze compares it with IST candle times despite the `Z`).
pub fn request_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// Parse a request time written by [`request_time`] (the fake reads it back).
pub fn parse_request_time(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3fZ").ok()
}

/// The v2 `historicalcharts` query of 1-minute candles of `inst` between `from` and `to`
/// (IST wall clock, inclusive), only non-empty parameters (breeze-api.md §2).
pub fn historical_query(
    inst: &Instrument,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Vec<(&'static str, String)> {
    vec![
        ("interval", INTERVAL_1MINUTE.to_string()),
        ("from_date", request_time(from)),
        ("to_date", request_time(to)),
        ("stock_code", inst.stock_code.clone()),
        ("exch_code", inst.exch_code.clone()),
        ("product_type", inst.product_type.clone()),
    ]
}

/// The `Success` value of an envelope; an `Error` (or a `Status` other than 200) becomes the
/// classified [`BreezeError`].
///
/// # Errors
/// [`BreezeError::Decode`] for a body that is not an envelope; the envelope's error.
pub fn success(body: &[u8]) -> Result<Value, BreezeError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        BreezeError::Decode(format!(
            "not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(mut o) = v else {
        return Err(BreezeError::Decode("not a JSON object".into()));
    };
    let status = o.get("Status").and_then(Value::as_i64).unwrap_or(200);
    let error = match o.get("Error") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    };
    if let Some(m) = error {
        return Err(BreezeError::from_envelope(status, &m));
    }
    if status != 200 {
        return Err(BreezeError::from_envelope(status, "no Error message"));
    }
    Ok(o.remove("Success").unwrap_or(Value::Null))
}

/// The `X-SessionToken` of later calls from `customerdetails`' `Success`: its
/// `session_token` is base64 of `user_id:session_key`; it is decoded, checked and encoded
/// again as the SDK does (breeze-api.md §1).
///
/// # Errors
/// [`BreezeError::Decode`] when the field is missing or not base64 of `user:key`.
pub fn session_header(success: &Value) -> Result<Secret, BreezeError> {
    let raw = success
        .get("session_token")
        .and_then(Value::as_str)
        .ok_or_else(|| BreezeError::Decode("customerdetails: no Success.session_token".into()))?;
    let bad = || {
        BreezeError::Decode(
            "customerdetails: session_token is not base64 of user_id:session_key".into(),
        )
    };
    let decoded = STANDARD.decode(raw.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (user, key) = text.split_once(':').ok_or_else(bad)?;
    if user.is_empty() || key.is_empty() {
        return Err(bad());
    }
    Ok(Secret::new(STANDARD.encode(format!("{user}:{key}"))))
}

/// The candles of a historical `Success` as bars, in answer order: `[]` (or an empty
/// string/null) is no data; label = `datetime` (IST, candle start); prices to at least two
/// decimals (paise, as the catalog writes them); volume `None` for an `index` reporting 0.
///
/// # Errors
/// [`BreezeError::Decode`] naming the candle (0-based) and the field.
pub fn candles(success: &Value, index: bool) -> Result<Vec<Bar>, BreezeError> {
    let items = match success {
        Value::Array(a) => a,
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.is_empty() => return Ok(Vec::new()),
        _ => {
            return Err(BreezeError::Decode(
                "Success is not a list of candles".into(),
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, c)| candle(i, c, index))
        .collect()
}

fn candle(i: usize, c: &Value, index: bool) -> Result<Bar, BreezeError> {
    let bad = |field: &str, why: &str| BreezeError::Decode(format!("candle {i}: {field}: {why}"));
    let ts = c
        .get("datetime")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("datetime", "missing"))?;
    let ts = parse_datetime(ts).ok_or_else(|| bad("datetime", "not YYYY-MM-DD HH:MM:SS"))?;
    let price = |f: &str| -> Result<Decimal, BreezeError> {
        let v = c.get(f).ok_or_else(|| bad(f, "missing"))?;
        let text = match v {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(bad(f, "not a number")),
        };
        let mut d = Decimal::from_str(text.trim()).map_err(|_| bad(f, "not a decimal"))?;
        if d.scale() < 2 {
            d.rescale(2);
        }
        Ok(d)
    };
    let volume = match c.get("volume") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| f as u64)
                })
                .ok_or_else(|| bad("volume", "not a whole number"))?,
        ),
        Some(Value::String(s)) => Some(
            s.trim()
                .parse()
                .map_err(|_| bad("volume", "not a whole number"))?,
        ),
        Some(_) => return Err(bad("volume", "not a number")),
    };
    Ok(Bar {
        ts,
        open: price("open")?,
        high: price("high")?,
        low: price("low")?,
        close: price("close")?,
        volume: if index && volume == Some(0) {
            None
        } else {
            volume
        },
    })
}

/// A response `datetime` (`YYYY-MM-DD HH:MM:SS`, IST, no offset).
pub fn parse_datetime(s: &str) -> Option<IstDateTime> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    t.and_local_timezone(IST).single()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn request_times_carry_ist_with_a_z() {
        let t = NaiveDateTime::parse_from_str("2025-02-03 09:20:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(request_time(t), "2025-02-03T09:20:00.000Z");
        assert_eq!(parse_request_time("2025-02-03T09:20:00.000Z"), Some(t));
        let q = historical_query(&Instrument::nse_stock("RELIND"), t, t);
        let keys: Vec<_> = q.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "interval",
                "from_date",
                "to_date",
                "stock_code",
                "exch_code",
                "product_type"
            ]
        );
    }

    /// The real v2 items quoted in breeze-api.md §2 (\[S5\] 2025-01-02).
    #[test]
    fn real_items_decode_exactly() {
        let body = br#"{"Error": null, "Status": 200, "Success": [
            {"close": 1221.25, "datetime": "2025-01-02 09:07:00", "exchange_code": "NSE", "high": 1221.25, "low": 1221.25, "open": 1221.25, "stock_code": "RELIND", "volume": 0},
            {"close": 1223.05, "datetime": "2025-01-02 09:15:00", "exchange_code": "NSE", "high": 1225.65, "low": 1222.0, "open": 1225.65, "stock_code": "RELIND", "volume": 204896}]}"#;
        let bars = candles(&success(body).unwrap(), false).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(
            domain::time::fmt_iso(&bars[1].ts),
            "2025-01-02T09:15:00+05:30"
        );
        assert_eq!(bars[1].low.to_string(), "1222.00");
        assert_eq!(bars[1].close.to_string(), "1223.05");
        assert_eq!(bars[1].volume, Some(204896));
        assert_eq!(bars[0].volume, Some(0));
        let idx = candles(&success(body).unwrap(), true).unwrap();
        assert_eq!(idx[0].volume, None);
        assert_eq!(idx[1].volume, Some(204896));
    }

    #[test]
    fn envelopes_and_bad_candles() {
        assert!(
            candles(
                &success(br#"{"Success":[],"Status":200,"Error":null}"#).unwrap(),
                true
            )
            .unwrap()
            .is_empty()
        );
        let e = success(br#"{"Success":null,"Status":500,"Error":"Resource not available."}"#)
            .unwrap_err();
        assert!(matches!(e, BreezeError::SessionInvalid(_)), "{e}");
        let e = success(br#"{"Success":"","Status":500,"Error":"Interval is compulsory"}"#)
            .unwrap_err();
        assert!(matches!(e, BreezeError::Rejected(_)), "{e}");
        assert!(matches!(
            success(b"<html>").unwrap_err(),
            BreezeError::Decode(_)
        ));
        let bad = json!([{"datetime": "2025-01-02 09:15:00", "open": 1, "high": "x", "low": 1, "close": 1, "volume": 1}]);
        assert_eq!(
            candles(&bad, false).unwrap_err().to_string(),
            "Breeze response did not decode: candle 0: high: not a decimal"
        );
    }

    #[test]
    fn session_token_is_reencoded_and_checked() {
        let tok = STANDARD.encode("USER1:KEY123");
        let s = session_header(&json!({"session_token": tok})).unwrap();
        assert_eq!(s.expose(), tok);
        assert!(session_header(&json!({"session_token": STANDARD.encode("nocolon")})).is_err());
        assert!(session_header(&json!({})).is_err());
    }
}
