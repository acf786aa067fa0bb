//! Fault injection (spec §10.4): what can go wrong with Kite, on demand.
//!
//! Faults are injected three ways: [`crate::Simulator::inject`], scheduled in
//! [`crate::SimConfig::faults`] (fired when the stream reaches an IST time), and over HTTP with
//! `POST /sim/faults` and a JSON body such as `{"kind":"stall_feed","secs":5}`. The CLI takes
//! `--fault HH:MM:SS=KIND[:ARG[:ARG]]` (see [`Fault::from_str`]).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One fault. JSON (`POST /sim/faults`) is tagged by `kind`:
///
/// | variant | JSON |
/// | --- | --- |
/// | [`Fault::DropSocket`] | `{"kind":"drop_socket"}` |
/// | [`Fault::StallFeed`] | `{"kind":"stall_feed","secs":5}` (fractional seconds allowed) |
/// | [`Fault::DelayPlacement`] | `{"kind":"delay_placement","ms":9000,"count":1}` |
/// | [`Fault::RejectOrders`] | `{"kind":"reject_orders","count":1,"message":"…"}` |
/// | [`Fault::ExpireToken`] | `{"kind":"expire_token"}` |
/// | [`Fault::RestoreToken`] | `{"kind":"restore_token"}` |
/// | [`Fault::RateLimit`] | `{"kind":"rate_limit","count":3}` |
/// | [`Fault::BookLater`] | `{"kind":"book_later","ms":700,"count":1}` |
/// | [`Fault::MarginError`] | `{"kind":"margin_error","count":1,"message":"…"}` |
/// | [`Fault::AvailableCash`] | `{"kind":"available_cash","rupees":"5000"}` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FaultSpec", into = "FaultSpec")]
pub enum Fault {
    /// Close every ticker connection now: the TCP connection is dropped without a WebSocket
    /// close frame (the client sees the stream end and reconnects, kite-connect.md §7.6).
    /// Frames already handed to a socket are delivered first, so with
    /// [`crate::SimConfig::hold_while_disconnected`] no tick is lost.
    DropSocket,
    /// Send nothing on the ticker (no ticks, no heartbeats) for this long, wall time; the
    /// simulated clock is paused meanwhile. (Order-update text frames caused by REST calls
    /// still go out.) A stall over 20 s makes the `kiteconnect` client reconnect.
    StallFeed(Duration),
    /// The next `count` placements (`POST /orders/…`) are booked and accepted at once (they
    /// are in the order book and fill normally) but the HTTP answer comes only after `delay`,
    /// so a client with a shorter timeout sees a timeout.
    DelayPlacement {
        /// How long the HTTP answer is held back.
        delay: Duration,
        /// How many placements.
        count: u32,
    },
    /// The next `count` placements are refused by the RMS, as Kite does: the request succeeds
    /// with an `order_id`, the order is booked with status `REJECTED` and `status_message` =
    /// `message`, and the update is pushed on the socket (kite-connect.md §3.3, §6.1).
    RejectOrders {
        /// How many placements.
        count: u32,
        /// The `status_message`.
        message: String,
    },
    /// The access token "expires" (as at 06:00 IST, kite-connect.md §2): every REST call
    /// answers HTTP 403 `TokenException` "Incorrect `api_key` or `access_token`.", new
    /// WebSocket handshakes are refused with 403, existing sockets are closed.
    ExpireToken,
    /// Undo [`Fault::ExpireToken`] (the same token is valid again).
    RestoreToken,
    /// The next `count` REST requests (any endpoint except `/sim/*`) answer HTTP 429
    /// `NetworkException` "Too many requests" (kite-connect.md §4–§5).
    RateLimit {
        /// How many requests.
        count: u32,
    },
    /// The next `count` placements reach the order book only after `delay` (wall time), and
    /// the HTTP answer comes then too: a client with a shorter timeout sees a timeout and an
    /// order book without the order until `delay` has passed (a long `delay`: a placement
    /// never seen). When it is booked, its updates are pushed on the socket as usual.
    BookLater {
        /// How long until the order is booked and answered.
        delay: Duration,
        /// How many placements.
        count: u32,
    },
    /// The next `count` margin calculations (`POST /margins/orders`, `/margins/basket`)
    /// answer HTTP 500 `GeneralException` with `message` (kite-connect.md §4).
    MarginError {
        /// How many calculations.
        count: u32,
        /// The error message.
        message: String,
    },
    /// From now on `GET /user/margins` reports this cash (₹) ± the day's premium cash flow
    /// instead of the configured capital: a small amount makes the funds insufficient for a
    /// basket's `final` margin.
    AvailableCash(rust_decimal::Decimal),
}

/// The JSON shape of a [`Fault`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    DropSocket,
    StallFeed {
        secs: f64,
    },
    DelayPlacement {
        ms: u64,
        #[serde(default = "one")]
        count: u32,
    },
    RejectOrders {
        #[serde(default = "one")]
        count: u32,
        #[serde(default = "default_reject_message")]
        message: String,
    },
    ExpireToken,
    RestoreToken,
    RateLimit {
        #[serde(default = "one")]
        count: u32,
    },
    BookLater {
        ms: u64,
        #[serde(default = "one")]
        count: u32,
    },
    MarginError {
        #[serde(default = "one")]
        count: u32,
        #[serde(default = "default_margin_message")]
        message: String,
    },
    AvailableCash {
        rupees: rust_decimal::Decimal,
    },
}

/// The default message of [`Fault::MarginError`].
pub const DEFAULT_MARGIN_MESSAGE: &str = "Margin calculation failed (simulated fault)";

fn default_margin_message() -> String {
    DEFAULT_MARGIN_MESSAGE.to_string()
}

fn one() -> u32 {
    1
}

/// The default RMS rejection message.
pub const DEFAULT_REJECT_MESSAGE: &str =
    "RMS:Margin Exceeds, Required:0, Available:0 (simulated rejection)";

fn default_reject_message() -> String {
    DEFAULT_REJECT_MESSAGE.to_string()
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;
    fn try_from(s: FaultSpec) -> Result<Self, String> {
        Ok(match s {
            FaultSpec::DropSocket => Fault::DropSocket,
            FaultSpec::StallFeed { secs } => {
                if !(0.0..86_400.0).contains(&secs) {
                    return Err(format!("stall_feed: secs {secs} is not in 0..86400"));
                }
                Fault::StallFeed(Duration::from_secs_f64(secs))
            }
            FaultSpec::DelayPlacement { ms, count } => Fault::DelayPlacement {
                delay: Duration::from_millis(ms),
                count,
            },
            FaultSpec::RejectOrders { count, message } => Fault::RejectOrders { count, message },
            FaultSpec::ExpireToken => Fault::ExpireToken,
            FaultSpec::RestoreToken => Fault::RestoreToken,
            FaultSpec::RateLimit { count } => Fault::RateLimit { count },
            FaultSpec::BookLater { ms, count } => Fault::BookLater {
                delay: Duration::from_millis(ms),
                count,
            },
            FaultSpec::MarginError { count, message } => Fault::MarginError { count, message },
            FaultSpec::AvailableCash { rupees } => {
                if rupees.is_sign_negative() {
                    return Err(format!("available_cash: rupees {rupees} is negative"));
                }
                Fault::AvailableCash(rupees)
            }
        })
    }
}

impl From<Fault> for FaultSpec {
    fn from(f: Fault) -> Self {
        match f {
            Fault::DropSocket => FaultSpec::DropSocket,
            Fault::StallFeed(d) => FaultSpec::StallFeed {
                secs: d.as_secs_f64(),
            },
            Fault::DelayPlacement { delay, count } => FaultSpec::DelayPlacement {
                ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                count,
            },
            Fault::RejectOrders { count, message } => FaultSpec::RejectOrders { count, message },
            Fault::ExpireToken => FaultSpec::ExpireToken,
            Fault::RestoreToken => FaultSpec::RestoreToken,
            Fault::RateLimit { count } => FaultSpec::RateLimit { count },
            Fault::BookLater { delay, count } => FaultSpec::BookLater {
                ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                count,
            },
            Fault::MarginError { count, message } => FaultSpec::MarginError { count, message },
            Fault::AvailableCash(rupees) => FaultSpec::AvailableCash { rupees },
        }
    }
}

impl Fault {
    /// The `kind` name (`drop_socket`, `stall_feed`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::DropSocket => "drop_socket",
            Fault::StallFeed(_) => "stall_feed",
            Fault::DelayPlacement { .. } => "delay_placement",
            Fault::RejectOrders { .. } => "reject_orders",
            Fault::ExpireToken => "expire_token",
            Fault::RestoreToken => "restore_token",
            Fault::RateLimit { .. } => "rate_limit",
            Fault::BookLater { .. } => "book_later",
            Fault::MarginError { .. } => "margin_error",
            Fault::AvailableCash(_) => "available_cash",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::StallFeed(d) => write!(f, "stall_feed:{}", d.as_secs_f64()),
            Fault::DelayPlacement { delay, count } => {
                write!(f, "delay_placement:{}:{count}", delay.as_millis())
            }
            Fault::RejectOrders { count, message } => write!(f, "reject_orders:{count}:{message}"),
            Fault::RateLimit { count } => write!(f, "rate_limit:{count}"),
            Fault::BookLater { delay, count } => {
                write!(f, "book_later:{}:{count}", delay.as_millis())
            }
            Fault::MarginError { count, message } => write!(f, "margin_error:{count}:{message}"),
            Fault::AvailableCash(r) => write!(f, "available_cash:{r}"),
            other => f.write_str(other.kind()),
        }
    }
}

/// Parses the CLI form `KIND[:ARG[:ARG]]`:
///
/// | text | fault |
/// | --- | --- |
/// | `drop_socket` | [`Fault::DropSocket`] |
/// | `stall_feed:SECS` | [`Fault::StallFeed`] (default 5 s) |
/// | `delay_placement:MS[:COUNT]` | [`Fault::DelayPlacement`] (default 9000 ms, 1) |
/// | `reject_orders[:COUNT[:MESSAGE]]` | [`Fault::RejectOrders`] (default 1, an RMS message) |
/// | `expire_token`, `restore_token` | [`Fault::ExpireToken`], [`Fault::RestoreToken`] |
/// | `rate_limit[:COUNT]` | [`Fault::RateLimit`] (default 1) |
/// | `book_later:MS[:COUNT]` | [`Fault::BookLater`] (default 9000 ms, 1) |
/// | `margin_error[:COUNT[:MESSAGE]]` | [`Fault::MarginError`] (default 1, a fixed message) |
/// | `available_cash:RUPEES` | [`Fault::AvailableCash`] |
///
/// Hyphens may replace underscores in the kind.
impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.trim().splitn(3, ':');
        let kind = parts.next().unwrap_or("").trim().replace('-', "_");
        let a1 = parts.next().map(str::trim).filter(|a| !a.is_empty());
        let a2 = parts.next().filter(|a| !a.trim().is_empty());
        let num = |a: Option<&str>, what: &str, default: u64| -> Result<u64, String> {
            a.map_or(Ok(default), |v| {
                v.parse::<u64>()
                    .map_err(|_| format!("{kind}: {what} `{v}` is not a whole number"))
            })
        };
        let count = |a: Option<&str>| -> Result<u32, String> {
            u32::try_from(num(a, "count", 1)?).map_err(|_| format!("{kind}: count too large"))
        };
        let no_args = |f: Fault| {
            if a1.is_some() {
                Err(format!("{kind} takes no argument"))
            } else {
                Ok(f)
            }
        };
        match kind.as_str() {
            "drop_socket" => no_args(Fault::DropSocket),
            "expire_token" => no_args(Fault::ExpireToken),
            "restore_token" => no_args(Fault::RestoreToken),
            "stall_feed" => {
                let secs = match a1 {
                    None => 5.0,
                    Some(v) => v
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0 && *x < 86_400.0)
                        .ok_or_else(|| format!("stall_feed: `{v}` is not a number of seconds"))?,
                };
                Ok(Fault::StallFeed(Duration::from_secs_f64(secs)))
            }
            "delay_placement" => Ok(Fault::DelayPlacement {
                delay: Duration::from_millis(num(a1, "milliseconds", 9_000)?),
                count: count(a2)?,
            }),
            "reject_orders" => Ok(Fault::RejectOrders {
                count: count(a1)?,
                message: a2.map_or_else(default_reject_message, |m| m.trim().to_string()),
            }),
            "rate_limit" => Ok(Fault::RateLimit { count: count(a1)? }),
            "book_later" => Ok(Fault::BookLater {
                delay: Duration::from_millis(num(a1, "milliseconds", 9_000)?),
                count: count(a2)?,
            }),
            "margin_error" => Ok(Fault::MarginError {
                count: count(a1)?,
                message: a2.map_or_else(default_margin_message, |m| m.trim().to_string()),
            }),
            "available_cash" => {
                let v = a1.ok_or("available_cash: give the rupees, e.g. available_cash:5000")?;
                rust_decimal::Decimal::from_str(v)
                    .ok()
                    .filter(|d| !d.is_sign_negative())
                    .map(Fault::AvailableCash)
                    .ok_or_else(|| format!("available_cash: `{v}` is not an amount of rupees"))
            }
            "" => Err("empty fault".to_string()),
            other => Err(format!(
                "unknown fault `{other}` (expected drop_socket, stall_feed, delay_placement, reject_orders, expire_token, restore_token, rate_limit, book_later, margin_error or available_cash)"
            )),
        }
    }
}

/// A scheduled fault from the CLI form `HH:MM:SS=KIND[:ARG[:ARG]]` (IST time of the stream).
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_scheduled(s: &str) -> Result<(chrono::NaiveTime, Fault), String> {
    let (time, fault) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected HH:MM:SS=KIND[:ARG]"))?;
    let t = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M"))
        .map_err(|_| format!("`{time}` is not an IST time HH:MM:SS"))?;
    Ok((t, fault.parse()?))
}

#[cfg(test)]
#[path = "fault_tests.rs"]
mod tests;
