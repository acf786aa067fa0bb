//! Test support: the fake [`Backend`] of `fake.rs` (shared with the Telegram bot's tests), a
//! server on `127.0.0.1:0`, and a small client.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod fake;
pub use fake::*;

use console::{ApiToken, Console, ConsoleConfig};
use engine::control::Snapshot;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The token every test server uses.
pub const TOKEN: &str = "test-token-0123456789abcdef0123456789abcdef";

/// A running server; dropping it shuts it down.
pub struct Server {
    pub addr: SocketAddr,
    pub fake: Arc<Fake>,
    stop: Option<oneshot::Sender<()>>,
    pub handle: Option<tokio::task::JoinHandle<Result<(), console::ConsoleError>>>,
}

impl Server {
    /// A server with the default rate limit.
    pub async fn start(snapshot: Option<Snapshot>) -> Self {
        Self::start_with(snapshot, None).await
    }

    /// A server with `(per_second, burst)` as its rate limit when given.
    pub async fn start_with(snapshot: Option<Snapshot>, rate: Option<(u32, u32)>) -> Self {
        let fake = Fake::new(snapshot);
        let cfg = ConsoleConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            allow_remote: false,
            token: ApiToken::new(TOKEN).unwrap(),
        };
        let mut console = Console::bind(cfg, fake.clone()).await.unwrap();
        if let Some((p, b)) = rate {
            console = console.with_rate_limit(p, b);
        }
        let addr = console.local_addr();
        let (stop, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(console.run(async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            fake,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stop and wait for the server to end.
    pub async fn shutdown(mut self) -> Result<(), console::ConsoleError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.handle.take().unwrap().await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A client.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Status and JSON body of a response.
pub async fn json(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}
