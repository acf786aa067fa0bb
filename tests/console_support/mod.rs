//! One process as `paper`/`live-bin` run it, in-process for the console tests: `kite-sim`
//! streaming 2024-06-03, the session `Supervisor` running a session on it, and the `console`
//! server on a free loopback port, with a small HTTP client and JSON helpers.

#![allow(dead_code)]

use crate::sim_support;
use console::auth::ApiToken;
use console::backend::Backend;
use console::server::{Console, ConsoleConfig};
use kite_sim::{Simulator, Speed};
use live::{SessionKind, Supervisor};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The API token of the tests.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// One process as `paper`/`live-bin` run it: the simulator, the supervisor with its session,
/// the console on a free loopback port.
pub struct Stack {
    pub sim: Simulator,
    pub sup: Arc<Supervisor>,
    pub base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Stack {
    pub async fn start(kind: SessionKind, speed: f64) -> Stack {
        Self::start_with(
            kind,
            speed,
            sim_support::parity_config(),
            "config/default.toml",
            sim_support::day(),
        )
        .await
    }

    /// [`Stack::start`] with any configuration (read from `config_path`; a `[universe]` is
    /// streamed and traded too) on `date`.
    pub async fn start_with(
        kind: SessionKind,
        speed: f64,
        config: config::Config,
        config_path: &str,
        date: chrono::NaiveDate,
    ) -> Stack {
        let mut c = kite_sim_cli::sim_config(date, &config, kestrel_support::data_dir());
        c.speed = Speed::Times(speed);
        let sim = Simulator::start(c).await.expect("simulator starts");
        let dir = tempfile::tempdir().unwrap();
        let opts =
            sim_support::session_options(kind, &sim, dir.path(), "", config, config_path, date);
        let (sup, _ends) = Supervisor::new(opts.clone()).expect("supervisor");
        sup.start_session(opts).await.expect("session starts");
        let console = Console::bind(
            ConsoleConfig {
                bind: "127.0.0.1:0".parse().unwrap(),
                allow_remote: false,
                token: ApiToken::new(TOKEN).unwrap(),
            },
            sup.clone() as Arc<dyn Backend>,
        )
        .await
        .expect("console binds");
        let base = format!("http://{}", console.local_addr());
        tokio::spawn(console.run(std::future::pending()));
        Stack {
            sim,
            sup,
            base,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// The temporary folder of the run (journal under `journal/`).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut rq = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        if let Some(t) = token {
            rq = rq.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            rq = rq
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let r = rq.send().await.expect("HTTP answer");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.call("GET", path, Some(TOKEN), None).await;
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (s, v) = self
            .call("POST", path, Some(TOKEN), Some(&body.to_string()))
            .await;
        assert_eq!(s, 200, "POST {path} {body}: {v}");
        v
    }

    /// Poll `GET /live/status` (no token needed) until `ok`; the status.
    pub async fn wait_status(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
        loop {
            let (s, v) = self.call("GET", "/live/status", None, None).await;
            assert_eq!(s, 200, "status: {v}");
            if ok(&v) {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not seen; last status {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Poll `GET /live/events?from=N` until an event satisfies `ok`.
    pub async fn wait_event(&self, what: &str, from: usize, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
        loop {
            let v = self.get(&format!("/live/events?from={from}")).await;
            if let Some(e) = events(&v).into_iter().find(|e| ok(e)) {
                return e;
            }
            assert!(tokio::time::Instant::now() < deadline, "{what}: not seen");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The event list of `GET /live/events` (a bare array or `{"events": [...]}`).
pub fn events(v: &Value) -> Vec<Value> {
    v.as_array()
        .or_else(|| v["events"].as_array())
        .cloned()
        .unwrap_or_default()
}

pub fn snapshot(status: &Value) -> &Value {
    if status["snapshot"].is_object() {
        &status["snapshot"]
    } else {
        status
    }
}

pub fn cards(status: &Value) -> Vec<Value> {
    snapshot(status)["segments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub fn in_position(status: &Value) -> Option<String> {
    cards(status)
        .iter()
        .find(|c| c["state"] == "IN_POSITION" && c["position"].is_object())
        .and_then(|c| c["segment"].as_str().map(String::from))
}

pub fn trades(status: &Value) -> Vec<Value> {
    snapshot(status)["trades"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
