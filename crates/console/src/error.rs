//! Errors: the JSON error body every route answers (`{"error": msg, "field": name-or-null}`),
//! the mapping of the port's errors to HTTP statuses, and the server's own failures.

use crate::backend::{AuthError, StartError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::control::CommandError;
use serde::Serialize;
use std::net::SocketAddr;

/// An HTTP error answer: status plus `{"error": ..., "field": ...}` (and `retry_after_secs`
/// on a 429).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, one line.
    pub error: String,
    /// The request field at fault (`Authorization`, a JSON body field such as `quantity` or
    /// `risk.max_daily_loss`, a path parameter `id`, a query parameter), when one is.
    pub field: Option<String>,
    /// Seconds to wait (429 only).
    pub retry_after_secs: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
}

impl ApiError {
    /// An error with a status, message and optional field.
    pub fn new(status: StatusCode, error: impl Into<String>, field: Option<&str>) -> Self {
        Self {
            status,
            error: error.into(),
            field: field.map(str::to_string),
            retry_after_secs: None,
        }
    }

    /// 400 naming `field`.
    pub fn bad_request(field: &str, error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, Some(field))
    }

    /// 401: the bearer token is missing or wrong (field `Authorization`).
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong API token: send `Authorization: Bearer <token>` (the token is in the api_token file the server printed)",
            Some("Authorization"),
        )
    }

    /// 429 with the wait.
    pub fn too_many(retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            error: format!("too many requests: retry after {retry_after_secs} s"),
            field: None,
            retry_after_secs: Some(retry_after_secs),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: &self.error,
            field: self.field.as_deref(),
            retry_after_secs: self.retry_after_secs,
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<CommandError> for ApiError {
    /// `Invalid` 400 (field), `NotFound` 404, `Risk` 422, `Broker` 502, `Engine` 503 (as
    /// [`CommandError`]'s docs say).
    fn from(e: CommandError) -> Self {
        let msg = e.to_string();
        match e {
            CommandError::Invalid { field, message } => {
                Self::new(StatusCode::BAD_REQUEST, message, Some(&field))
            }
            CommandError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, msg, None),
            CommandError::Risk { .. } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, msg, None),
            CommandError::Broker(_) => Self::new(StatusCode::BAD_GATEWAY, msg, None),
            CommandError::Engine(_) => Self::new(StatusCode::SERVICE_UNAVAILABLE, msg, None),
        }
    }
}

impl From<StartError> for ApiError {
    /// `Invalid` 400 (field), `Refused` 403, `Failed` 502.
    fn from(e: StartError) -> Self {
        let msg = e.to_string();
        match e {
            StartError::Invalid { field, message } => {
                Self::new(StatusCode::BAD_REQUEST, message, Some(&field))
            }
            StartError::Refused(_) => Self::new(StatusCode::FORBIDDEN, msg, None),
            StartError::Failed(_) => Self::new(StatusCode::BAD_GATEWAY, msg, None),
        }
    }
}

impl From<AuthError> for ApiError {
    /// `Invalid` 400 (field), `NotConfigured` 503 (the process cannot log in until its
    /// configuration is fixed), `Kite` 502.
    fn from(e: AuthError) -> Self {
        let msg = e.to_string();
        match e {
            AuthError::Invalid { field, message } => {
                Self::new(StatusCode::BAD_REQUEST, message, Some(&field))
            }
            AuthError::NotConfigured(_) => Self::new(StatusCode::SERVICE_UNAVAILABLE, msg, None),
            AuthError::Kite(_) => Self::new(StatusCode::BAD_GATEWAY, msg, None),
        }
    }
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The bind address is not loopback and `allow_remote` is off.
    #[error(
        "console bind {addr}: not a loopback address; refusing to serve the trading API on the network without allow_remote (--console-allow-remote)"
    )]
    RemoteRefused {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Binding failed (address in use, permission).
    #[error("console bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// The server failed while serving.
    #[error("console server: {0}")]
    Serve(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_errors_map_to_their_documented_statuses() {
        let cases = [
            (
                CommandError::Invalid {
                    field: "quantity".into(),
                    message: "not a whole number of lots".into(),
                },
                400,
                Some("quantity"),
            ),
            (CommandError::NotFound("no position".into()), 404, None),
            (
                CommandError::Risk {
                    rule: "MAX_TRADES".into(),
                    reason: "3 of 3".into(),
                },
                422,
                None,
            ),
            (CommandError::Broker("down".into()), 502, None),
            (CommandError::Engine("stopped".into()), 503, None),
        ];
        for (e, status, field) in cases {
            let a = ApiError::from(e);
            assert_eq!(a.status.as_u16(), status);
            assert_eq!(a.field.as_deref(), field);
        }
        assert_eq!(
            ApiError::from(StartError::Refused("x".into()))
                .status
                .as_u16(),
            403
        );
        assert_eq!(
            ApiError::from(AuthError::Kite("x".into())).status.as_u16(),
            502
        );
    }
}
