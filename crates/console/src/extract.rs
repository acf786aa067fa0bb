//! JSON request bodies. axum's own `Json` rejection answers plain text; these extractors answer
//! the console's JSON error naming the field at fault: an unknown field, a field of the wrong
//! type or value, a missing required field (`{"error": ..., "field": "risk.max_daily_loss"}`).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// Largest accepted body, bytes (a start request is well under 2 KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A required JSON body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// An optional JSON body: an empty body (or only whitespace) is `T::default()`.
#[derive(Debug)]
pub struct JsonOrDefault<T>(pub T);

async fn body_bytes(req: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body unreadable or over {MAX_BODY_BYTES} bytes: {e}"),
                None,
            )
        })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "a JSON body is required",
                None,
            ));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for JsonOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonOrDefault(T::default()));
        }
        parse_json(&bytes).map(JsonOrDefault)
    }
}

/// Parse a JSON object body; on failure a 400 whose `field` is the dotted path of the field at fault
/// (`null` for malformed JSON or a body of the wrong shape altogether).
/// Every body of this API is a JSON object (serde would otherwise read a struct from an array,
/// by position).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request_none(
            "the body must be a JSON object".to_string(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut err = classify(&path, &inner);
            if let Some(f) = err.field.as_mut().filter(|f| f.contains('?'))
                && let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
            {
                *f = resolve_unknown_keys(&v, f);
            }
            return Err(err);
        }
    };
    de.end()
        .map_err(|e| ApiError::bad_request_none(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// serde_path_to_error writes `?` for a map key it cannot see (an enum key such as a segment
/// code): put back the one key of that map whose value holds the rest of the path.
fn resolve_unknown_keys(root: &serde_json::Value, path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut node = Some(root);
    for (i, part) in parts.iter().enumerate() {
        let obj = node.and_then(|n| n.as_object());
        if *part == "?" {
            let next = parts.get(i + 1);
            let hits: Vec<&String> = obj
                .map(|o| {
                    o.iter()
                        .filter(|(_, v)| match next {
                            Some(n) => v.as_object().is_some_and(|c| c.contains_key(*n)),
                            None => true,
                        })
                        .map(|(k, _)| k)
                        .collect()
                })
                .unwrap_or_default();
            match hits.as_slice() {
                [k] => {
                    out.push((*k).clone());
                    node = obj.and_then(|o| o.get(*k));
                }
                _ => {
                    out.push("?".to_string());
                    node = None;
                }
            }
        } else {
            out.push((*part).to_string());
            node = obj.and_then(|o| o.get(*part));
        }
    }
    out.join(".")
}

fn classify(path: &str, e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request_none(format!("malformed JSON: {e}"))
        }
        Category::Data => {
            // serde_json's message ends with " at line L column C"; keep only the message.
            let full = e.to_string();
            let msg = full
                .rsplit_once(" at line ")
                .map(|(m, _)| m.to_string())
                .unwrap_or(full);
            let base = if path == "." || path.is_empty() {
                None
            } else {
                Some(path.to_string())
            };
            let named = ["unknown field `", "missing field `"]
                .iter()
                .find_map(|p| msg.strip_prefix(p))
                .and_then(|rest| rest.split('`').next())
                .map(str::to_string);
            let field = match (base, named) {
                (Some(b), Some(n)) if b == n || b.ends_with(&format!(".{n}")) => Some(b),
                (Some(b), Some(n)) => Some(format!("{b}.{n}")),
                (None, Some(n)) => Some(n),
                (Some(b), None) => Some(b),
                (None, None) => None,
            };
            ApiError::new(StatusCode::BAD_REQUEST, msg, field.as_deref())
        }
    }
}

impl ApiError {
    /// 400 with no field (malformed JSON).
    fn bad_request_none(error: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::StartRequest;
    use engine::control::ManualOrder;

    fn field_of<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> Option<String> {
        let e = parse_json::<T>(body.as_bytes()).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{e:?}");
        e.field
    }

    #[test]
    fn unknown_field_is_named() {
        assert_eq!(
            field_of::<StartRequest>(r#"{"mode":"paper","colour":1}"#).as_deref(),
            Some("colour")
        );
        assert_eq!(
            field_of::<StartRequest>(r#"{"risk":{"max_daily_los":5}}"#).as_deref(),
            Some("risk.max_daily_los")
        );
    }

    #[test]
    fn wrong_type_is_named() {
        assert_eq!(
            field_of::<StartRequest>(r#"{"rsi_period":"fourteen"}"#).as_deref(),
            Some("rsi_period")
        );
        assert_eq!(
            field_of::<StartRequest>(r#"{"risk":{"max_trades_per_segment":-1}}"#).as_deref(),
            Some("risk.max_trades_per_segment")
        );
        assert_eq!(
            field_of::<ManualOrder>(
                r#"{"tradingsymbol":"NIFTY2460623200PE","side":"HOLD","quantity":75}"#
            )
            .as_deref(),
            Some("side")
        );
    }

    #[test]
    fn missing_field_is_named() {
        assert_eq!(
            field_of::<ManualOrder>(r#"{"tradingsymbol":"NIFTY2460623200PE","side":"BUY"}"#)
                .as_deref(),
            Some("quantity")
        );
    }

    #[test]
    fn malformed_json_names_no_field() {
        assert_eq!(field_of::<StartRequest>(r#"{"mode": "#), None);
        assert_eq!(field_of::<StartRequest>(r#"{} trailing"#), None);
        assert_eq!(field_of::<StartRequest>(r#"[1,2]"#), None);
    }

    #[test]
    fn money_may_be_a_json_number_or_string() {
        let r: StartRequest =
            parse_json(br#"{"capital":100000,"sl_points":"12.5","itm_offset":100.25}"#).unwrap();
        assert_eq!(r.capital, Some(rust_decimal::Decimal::from(100_000)));
        assert_eq!(r.sl_points.map(|d| d.to_string()).as_deref(), Some("12.5"));
        assert_eq!(
            r.itm_offset.map(|d| d.to_string()).as_deref(),
            Some("100.25")
        );
    }

    #[test]
    fn a_good_body_parses() {
        let r: StartRequest = parse_json(br#"{"mode":"paper","rsi_period":14}"#).unwrap();
        assert_eq!(r.rsi_period, Some(14));
    }
}
