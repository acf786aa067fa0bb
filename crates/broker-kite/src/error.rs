//! Kite errors, classified by what the engine must do about them (kite-connect.md §4).
//!
//! | Kite answer | [`KiteError`] | reads | order writes |
//! | --- | --- | --- | --- |
//! | `TokenException` (403) | `SessionInvalid` | no retry; session marked invalid | `BrokerError::SessionInvalid`, entries blocked |
//! | HTTP 429 (`NetworkException` "Too many requests") | `RateLimited` | back off, retry | `BrokerError::RateLimited`, nothing placed |
//! | `InputException`, `OrderException`, `MarginException`, `PermissionException`, … | `Rejected` | no retry | `BrokerError::Rejected` with Kite's message |
//! | 5xx, `NetworkException`, `DataException`, `GeneralException` | `Server` | retry with backoff | outcome **unknown**: settle by tag |
//! | timeout, connection reset | `Transport` | retry with backoff | outcome **unknown**: settle by tag |
//!
//! Every message passes through `kiteconnect::error::sanitize_error`, so no token, secret or
//! checksum can reach a log line or an error string.

use domain::ports::BrokerError;
use kiteconnect::error::{ErrorKind, sanitize_error};

/// A classified Kite failure. Messages are sanitized (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KiteError {
    /// The access token is invalid or expired (`TokenException`, HTTP 403): log in again.
    #[error("Kite session invalid: {0}")]
    SessionInvalid(String),
    /// Rate limited (HTTP 429, or the client-side daily cap of kite-connect.md §5.2).
    #[error("Kite rate limit: {0}")]
    RateLimited(String),
    /// Refused by Kite with its message (`InputException`, `OrderException`, …) or refused
    /// locally before sending (bad tag, quantity not a lot multiple).
    #[error("rejected: {0}")]
    Rejected(String),
    /// Kite or its OMS failed (5xx, `NetworkException`, `DataException`, `GeneralException`).
    #[error("Kite server error: {0}")]
    Server(String),
    /// No (complete) response: timeout, connection refused or reset.
    #[error("Kite transport error: {0}")]
    Transport(String),
    /// A 2xx response whose body did not decode.
    #[error("Kite response did not decode: {0}")]
    Decode(String),
    /// Cloudflare blocked the request before it reached Kite.
    #[error("blocked before reaching Kite: {0}")]
    Blocked(String),
    /// Local setup problem: bad URL, missing token, bad file.
    #[error("Kite adapter setup: {0}")]
    Setup(String),
}

impl KiteError {
    /// Classify an error of the `kiteconnect` crate (kite-connect.md §4: `error_type` first,
    /// the HTTP status only when `error_type` is absent).
    pub fn from_kite(err: &kiteconnect::Error) -> Self {
        use kiteconnect::Error as E;
        match err {
            E::Api(api) => {
                let msg = sanitize_error(&api.message);
                let status = api.status;
                match &api.kind {
                    ErrorKind::Token => KiteError::SessionInvalid(msg),
                    _ if status == 429 => KiteError::RateLimited(msg),
                    ErrorKind::Input
                    | ErrorKind::Order
                    | ErrorKind::Permission
                    | ErrorKind::User
                    | ErrorKind::TwoFA => {
                        KiteError::Rejected(format!("{}: {msg}", api.kind.as_str()))
                    }
                    ErrorKind::Other(kind) if kind != "Unknown" && status < 500 => {
                        // MarginException, HoldingException and future 4xx kinds.
                        KiteError::Rejected(format!("{kind}: {msg}"))
                    }
                    ErrorKind::Other(kind) if kind == "Unknown" => Self::from_status(status, msg),
                    _ => KiteError::Server(format!("{} (HTTP {status}): {msg}", api.kind)),
                }
            }
            E::Http { status, path } => {
                Self::from_status(*status, format!("HTTP {status} from {path}"))
            }
            E::Blocked { .. } => KiteError::Blocked(sanitize_error(&err.to_string())),
            E::Transport(source) => {
                KiteError::Transport(sanitize_error(&format!("request failed: {source}")))
            }
            E::Decode { path, .. } => KiteError::Decode(format!("response from {path}")),
            E::NoAccessToken => KiteError::Setup("no access token set".into()),
            other => KiteError::Setup(sanitize_error(&other.to_string())),
        }
    }

    fn from_status(status: u16, msg: String) -> Self {
        match status {
            403 => KiteError::SessionInvalid(msg),
            429 => KiteError::RateLimited(msg),
            500..=599 => KiteError::Server(msg),
            _ => KiteError::Rejected(msg),
        }
    }

    /// Safe to retry a *read* (GET) after a backoff: 429, 5xx and transport failures
    /// (kite-connect.md §4 "Retry rules").
    pub fn is_retryable_read(&self) -> bool {
        matches!(
            self,
            KiteError::RateLimited(_) | KiteError::Server(_) | KiteError::Transport(_)
        )
    }

    /// For an order *write* (place/modify): the request may have been executed although no
    /// answer says so. Such an outcome is settled by tag, never by re-sending.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            KiteError::Server(_) | KiteError::Transport(_) | KiteError::Decode(_)
        )
    }

    /// The engine's view of a failed *read* (nothing was changed at Kite).
    pub fn into_broker_error(self) -> BrokerError {
        match self {
            KiteError::SessionInvalid(m) => BrokerError::SessionInvalid(m),
            KiteError::RateLimited(m) => BrokerError::RateLimited(m),
            KiteError::Rejected(m) => BrokerError::Rejected(m),
            other => BrokerError::Unavailable(other.to_string()),
        }
    }

    /// The engine's view of a failed order *write*: an unknown outcome is
    /// [`BrokerError::Unknown`], never a rejection (spec §10.2).
    pub fn into_write_error(self) -> BrokerError {
        if self.outcome_unknown() {
            BrokerError::Unknown(self.to_string())
        } else {
            self.into_broker_error()
        }
    }
}

impl From<&kiteconnect::Error> for KiteError {
    fn from(err: &kiteconnect::Error) -> Self {
        KiteError::from_kite(err)
    }
}

impl From<kiteconnect::Error> for KiteError {
    fn from(err: kiteconnect::Error) -> Self {
        KiteError::from_kite(&err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiteconnect::error::ApiError;

    fn api(kind: &str, status: u16) -> kiteconnect::Error {
        kiteconnect::Error::Api(ApiError::new(
            ErrorKind::from(kind),
            "msg access_token=SENTINEL",
            status,
            None,
        ))
    }

    #[test]
    fn classification_follows_kite_connect_section_4() {
        assert!(matches!(
            KiteError::from_kite(&api("TokenException", 403)),
            KiteError::SessionInvalid(_)
        ));
        assert!(matches!(
            KiteError::from_kite(&api("NetworkException", 429)),
            KiteError::RateLimited(_)
        ));
        assert!(matches!(
            KiteError::from_kite(&api("InputException", 400)),
            KiteError::Rejected(_)
        ));
        assert!(matches!(
            KiteError::from_kite(&api("MarginException", 400)),
            KiteError::Rejected(_)
        ));
        assert!(matches!(
            KiteError::from_kite(&api("NetworkException", 502)),
            KiteError::Server(_)
        ));
        assert!(matches!(
            KiteError::from_kite(&api("Unknown", 403)),
            KiteError::SessionInvalid(_)
        ));
        let e = KiteError::from_kite(&api("OrderException", 400));
        assert!(!e.to_string().contains("SENTINEL"), "{e}");
        assert!(KiteError::Transport("x".into()).outcome_unknown());
        assert!(!KiteError::RateLimited("x".into()).outcome_unknown());
        assert!(matches!(
            KiteError::Server("x".into()).into_write_error(),
            BrokerError::Unknown(_)
        ));
    }
}
