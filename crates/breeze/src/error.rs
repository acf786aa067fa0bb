//! Breeze errors, classified by what a caller must do about them.
//!
//! | Breeze answer | [`BreezeError`] | retried |
//! | --- | --- | --- |
//! | envelope `Error` `Invalid session.` / `Resource not available.` (breeze-api.md §1) | `SessionInvalid` | no: run the Breeze login again |
//! | envelope `Error` `Public Key does not exist.` | `BadAppKey` | no |
//! | any other envelope `Error` (`Status` ≠ 200) | `Rejected` | no |
//! | HTTP 5xx | `Server` | yes, with backoff |
//! | timeout, connection refused/reset | `Transport` | yes, with backoff |
//! | a body that is not the documented JSON | `Decode` | no |
//! | the client-side day cap (5,000 calls, breeze-api.md §6) or a minute-limit wait too long | `RateLimited` | no |
//! | missing credentials, bad URL, unmapped segment | `Setup` | no |
//!
//! No message ever contains the app key, the secret or a session token: URLs are printed
//! without their query, and envelope messages are Breeze's own short texts.

use domain::ports::HistoryError;

/// A classified Breeze failure (see the module table).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreezeError {
    /// The session is invalid or expired: log in to Breeze again (a new `API_Session`).
    #[error("Breeze session invalid: {0}")]
    SessionInvalid(String),
    /// Breeze does not know the app key (`Public Key does not exist.`).
    #[error("Breeze app key refused: {0}")]
    BadAppKey(String),
    /// Breeze refused the request with this message.
    #[error("Breeze refused the request: {0}")]
    Rejected(String),
    /// An HTTP 5xx answer (retried before it is reported).
    #[error("Breeze server error: {0}")]
    Server(String),
    /// No complete answer: timeout, connection refused or reset (retried before it is
    /// reported).
    #[error("Breeze transport error: {0}")]
    Transport(String),
    /// A 2xx answer whose body is not the documented JSON.
    #[error("Breeze response did not decode: {0}")]
    Decode(String),
    /// A client-side rate limit: the day's call budget is spent, or the minute limit would
    /// need a longer wait than allowed.
    #[error("Breeze rate limit: {0}")]
    RateLimited(String),
    /// Local setup: credentials, URLs, an instrument without a Breeze code.
    #[error("Breeze setup: {0}")]
    Setup(String),
}

impl BreezeError {
    /// Whether the request may be sent again (transport failures and HTTP 5xx only).
    pub fn is_retryable(&self) -> bool {
        matches!(self, BreezeError::Server(_) | BreezeError::Transport(_))
    }

    /// The error for an envelope `Error` message (breeze-api.md §1: the SDK's mapping).
    pub fn from_envelope(status: i64, message: &str) -> Self {
        let m = message.trim();
        match m {
            "Invalid session." | "Resource not available." => {
                BreezeError::SessionInvalid(m.to_string())
            }
            "Public Key does not exist." => BreezeError::BadAppKey(m.to_string()),
            _ => BreezeError::Rejected(format!("Status {status}: {m}")),
        }
    }
}

impl From<BreezeError> for HistoryError {
    /// A refusal of the request itself (no such instrument, bad parameters) is
    /// [`HistoryError::Unavailable`]; everything else (session, limits, transport) is
    /// [`HistoryError::Source`].
    fn from(e: BreezeError) -> Self {
        match e {
            BreezeError::Rejected(_) => HistoryError::Unavailable(e.to_string()),
            other => HistoryError::Source(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_messages_map_like_the_sdk() {
        assert!(matches!(
            BreezeError::from_envelope(500, "Invalid session."),
            BreezeError::SessionInvalid(_)
        ));
        assert!(matches!(
            BreezeError::from_envelope(500, "Resource not available."),
            BreezeError::SessionInvalid(_)
        ));
        assert!(matches!(
            BreezeError::from_envelope(500, "Public Key does not exist."),
            BreezeError::BadAppKey(_)
        ));
        let other = BreezeError::from_envelope(500, "Interval is compulsory");
        assert_eq!(
            other.to_string(),
            "Breeze refused the request: Status 500: Interval is compulsory"
        );
        assert!(!other.is_retryable());
        assert!(BreezeError::Server("HTTP 503".into()).is_retryable());
        assert!(BreezeError::Transport("reset".into()).is_retryable());
    }
}
