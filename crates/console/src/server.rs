//! The HTTP server: configuration, binding (loopback only unless allowed), the router, and the
//! guard every request passes — bearer token, then the rate limit on mutating calls.
//!
//! ```no_run
//! # async fn f(backend: std::sync::Arc<dyn console::Backend>) -> Result<(), Box<dyn std::error::Error>> {
//! use console::{ApiToken, Console, ConsoleConfig};
//! let (token, _source) = ApiToken::from_env_or_file(std::path::Path::new("state/api_token"))?;
//! let cfg = ConsoleConfig { bind: "127.0.0.1:8000".parse()?, allow_remote: false, token };
//! let console = Console::bind(cfg, backend).await?;
//! println!("console on http://{}", console.local_addr());
//! console.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

use crate::auth::ApiToken;
use crate::backend::Backend;
use crate::error::{ApiError, ConsoleError};
use crate::routes;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Mutating calls allowed per second across the whole server.
pub const RATE_PER_SECOND: u32 = 5;
/// Mutating calls allowed in a burst.
pub const RATE_BURST: u32 = 10;

/// How the console serves.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Address to bind, e.g. `127.0.0.1:8000` (port 0: any free port, see
    /// [`Console::local_addr`]).
    pub bind: SocketAddr,
    /// Allow a non-loopback bind (then a warning is logged). Off: such a bind is refused
    /// ([`ConsoleError::RemoteRefused`]).
    pub allow_remote: bool,
    /// The bearer token of the protected routes.
    pub token: ApiToken,
}

/// Shared by every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    pub backend: Arc<dyn Backend>,
    pub token: Arc<ApiToken>,
    pub limiter: Arc<DefaultDirectRateLimiter>,
    /// Becomes `true` when the server shuts down (event streams end then).
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Take one unit of the mutating-call budget, or a 429 saying how long to wait.
    fn take_rate(&self) -> Result<(), ApiError> {
        self.limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::too_many(secs.max(1))
        })
    }
}

/// A bound, not yet serving console.
pub struct Console {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
}

impl Console {
    /// Check the address (loopback unless `allow_remote`), bind it, and build the router.
    pub async fn bind(cfg: ConsoleConfig, backend: Arc<dyn Backend>) -> Result<Self, ConsoleError> {
        let addr = cfg.bind;
        if !addr.ip().is_loopback() {
            if !cfg.allow_remote {
                return Err(ConsoleError::RemoteRefused { addr });
            }
            tracing::warn!(target: "console", %addr, "console API bound to a non-loopback address: anyone who can reach it and holds the token can trade");
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ConsoleError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| ConsoleError::Bind { addr, source })?;
        let (stop, shutdown) = watch::channel(false);
        let quota = Quota::per_second(nz(RATE_PER_SECOND)).allow_burst(nz(RATE_BURST));
        let state = AppState {
            backend,
            token: Arc::new(cfg.token),
            limiter: Arc::new(RateLimiter::direct(quota)),
            shutdown,
        };
        Ok(Self {
            listener,
            addr: bound,
            state,
            stop,
        })
    }

    /// The address actually bound (the port chosen when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replace the mutating-call budget (default [`RATE_PER_SECOND`] per second, burst
    /// [`RATE_BURST`]); zero is taken as 1.
    pub fn with_rate_limit(mut self, per_second: u32, burst: u32) -> Self {
        let quota = Quota::per_second(nz(per_second)).allow_burst(nz(burst));
        self.state.limiter = Arc::new(RateLimiter::direct(quota));
        self
    }

    /// Serve until `shutdown` completes; then event streams end and in-flight requests finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ConsoleError> {
        let app = router(self.state);
        let stop = self.stop;
        tracing::info!(target: "console", addr = %self.addr, "console serving");
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop.send(true);
            })
            .await
            .map_err(ConsoleError::Serve)
    }
}

/// Bind and serve until `shutdown` completes ([`Console::bind`] then [`Console::run`]).
pub async fn serve(
    cfg: ConsoleConfig,
    backend: Arc<dyn Backend>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ConsoleError> {
    Console::bind(cfg, backend).await?.run(shutdown).await
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

fn router(state: AppState) -> Router {
    routes::routes()
        .fallback(|| async {
            ApiError::new(axum::http::StatusCode::NOT_FOUND, "no such route", None)
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route (see docs/console.md)",
                None,
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Whether a request may go without the bearer token: the page and its assets, status,
/// health and `/metrics` (read-only; a Prometheus scraper carries no bearer token; no money
/// figures beyond what the page shows after login anyway), and
/// Kite's login redirect when it carries a `request_token` (it comes from the trader's own
/// browser, which cannot add a header to a redirect).
pub(crate) fn is_public(method: &Method, path: &str, query: Option<&str>) -> bool {
    if method != Method::GET && method != Method::HEAD {
        return false;
    }
    match path {
        "/" | "/live_trading.html" | "/live/status" | "/live/health" | "/metrics" => true,
        "/live/auth/complete" => query_param(query, "request_token").is_some_and(|t| !t.is_empty()),
        p => p.starts_with("/assets/"),
    }
}

/// Whether a request spends the mutating-call budget: every POST, and the login redirect.
fn is_mutating(method: &Method, path: &str) -> bool {
    method == Method::POST || path == "/live/auth/complete"
}

/// The first value of query parameter `name`.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let public = is_public(req.method(), req.uri().path(), req.uri().query());
    if !public {
        let h = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !st.token.matches_header(h) {
            return ApiError::unauthorized().into_response();
        }
    }
    if is_mutating(req.method(), req.uri().path())
        && let Err(e) = st.take_rate()
    {
        return e.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_routes_are_exactly_the_documented_ones() {
        let g = Method::GET;
        assert!(is_public(&g, "/", None));
        assert!(is_public(&g, "/live_trading.html", None));
        assert!(is_public(&g, "/assets/live_trading.js", None));
        assert!(is_public(&g, "/live/status", None));
        assert!(is_public(&g, "/live/health", None));
        assert!(is_public(&g, "/metrics", None));
        assert!(!is_public(&Method::POST, "/metrics", None));
        assert!(is_public(
            &g,
            "/live/auth/complete",
            Some("request_token=abc")
        ));
        assert!(!is_public(
            &g,
            "/live/auth/complete",
            Some("request_token=")
        ));
        assert!(!is_public(&g, "/live/auth/complete", None));
        assert!(!is_public(&g, "/live/positions", None));
        assert!(!is_public(&g, "/live/trades.csv", None));
        assert!(!is_public(&Method::POST, "/live/status", None));
        assert!(!is_public(
            &Method::POST,
            "/live/auth/complete",
            Some("request_token=a")
        ));
    }

    #[test]
    fn query_param_decodes() {
        assert_eq!(
            query_param(
                Some("a=1&request_token=x%2By&status=success"),
                "request_token"
            )
            .as_deref(),
            Some("x+y")
        );
        assert_eq!(query_param(Some("a=1"), "request_token"), None);
        assert_eq!(query_param(None, "a"), None);
    }
}
