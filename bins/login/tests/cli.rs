//! The `login` binary end to end against `kite-sim` on loopback (127.0.0.1 only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use kite_sim::{Fault, SimConfig, SimMarket, Simulator};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "testkey";
const SECRET: &str = "SENTINEL-SECRET-5be1";
const TOKEN: &str = "SENTINEL-ACCESS-0d9f";

/// A simulator accepting `KEY`, `TOKEN` and checking the checksum against `SECRET`; its REST
/// root is `KITE_API_BASE_URL`.
async fn server() -> (String, Simulator) {
    let mut cfg = SimConfig::new(
        NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        vec![domain::Segment::Nifty],
        SimMarket::default(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data"),
    );
    cfg.api_key = KEY.into();
    cfg.access_token = TOKEN.into();
    cfg.api_secret = Some(SECRET.into());
    let sim = Simulator::start(cfg).await.unwrap();
    (sim.base_url(), sim)
}

fn cmd(home: &Path, base: Option<&str>, secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_login"));
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KITE_API_KEY", KEY)
        .env("KITE_API_SECRET", secret)
        .stdin(Stdio::null());
    if let Some(b) = base {
        c.env("KITE_API_BASE_URL", b);
    }
    c
}

async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn help_documents_the_flow() {
    let dir = tempfile::tempdir().unwrap();
    let o = run({
        let mut c = cmd(dir.path(), None, SECRET);
        c.arg("--help");
        c
    })
    .await;
    assert!(o.status.success());
    let t = text(&o);
    for needle in [
        "login URL",
        "request_token",
        "redirect",
        "--check",
        "0600",
        "KITE_API_KEY",
        "KITE_API_SECRET",
        "SHA-256",
        "06:00 IST",
        "kite_session.json",
    ] {
        assert!(t.contains(needle), "--help lacks {needle}");
    }
}

#[tokio::test]
async fn check_without_a_session_says_so_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let o = run({
        let mut c = cmd(dir.path(), None, SECRET);
        c.arg("--check");
        c
    })
    .await;
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(
        t.contains("no Kite session at") && t.contains("run `login` first"),
        "{t}"
    );
}

#[tokio::test]
async fn exchange_writes_a_private_session_and_check_validates_it() {
    let (base, state) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kite").join("session.json");
    let o = run({
        let mut c = cmd(dir.path(), Some(&base), SECRET);
        c.args(["--request-token", "rt-123", "--session-file"])
            .arg(&file);
        c
    })
    .await;
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("Logged in to Kite as SIM001"), "{t}");
    assert!(
        !t.contains(TOKEN) && !t.contains(SECRET),
        "secret printed: {t}"
    );
    assert_eq!(state.count("POST", "/session/token"), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["access_token"], TOKEN);
    assert_eq!(saved["user_id"], "SIM001");
    // Kite's login_time (IST wall clock) and its date.
    let issued = saved["login_time"].as_str().unwrap().to_string();
    let at = chrono::NaiveDateTime::parse_from_str(&issued, "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!(saved["date"], at.date().to_string());
    assert!(
        saved.get("api_secret").is_none(),
        "the secret is not stored unless asked"
    );
    // --check: valid, says when it was issued.
    let check = |s: &Path| {
        let mut c = cmd(dir.path(), Some(&base), SECRET);
        c.arg("--check").arg("--session-file").arg(s);
        c
    };
    let o = run(check(&file)).await;
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("session valid") && t.contains(&format!("issued {issued} IST")),
        "{t}"
    );
    assert!(!t.contains(TOKEN));
    // Expired token: exit 3, clear message.
    state.inject(Fault::ExpireToken);
    let o = run(check(&file)).await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("no longer valid"));
}

#[tokio::test]
async fn wrong_secret_is_refused_without_echoing_it() {
    let (base, _sim) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    let o = run({
        let mut c = cmd(dir.path(), Some(&base), "SENTINEL-WRONG-SECRET");
        c.args(["--request-token", "rt", "--session-file"])
            .arg(&file);
        c
    })
    .await;
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("refused the request token"), "{t}");
    assert!(!t.contains("SENTINEL"), "{t}");
    assert!(!file.exists());
}

#[tokio::test]
async fn the_redirect_is_caught_on_loopback() {
    let (base, state) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = cmd(dir.path(), Some(&base), SECRET);
    c.args([
        "--port",
        &port.to_string(),
        "--timeout",
        "20",
        "--session-file",
    ])
    .arg(&file)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    // The browser's redirect, as Kite sends it.
    let body = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                write!(
                    s,
                    "GET /?action=login&type=login&status=success&request_token=rt-redirect HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                .unwrap();
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                return out;
            }
            assert!(Instant::now() < deadline, "login never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    assert!(body.contains("login received"), "{body}");
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("https://kite.zerodha.com/connect/login?"), "{t}");
    assert!(!t.contains(TOKEN) && !t.contains(SECRET));
    assert_eq!(state.count("POST", "/session/token"), 1);
    assert!(file.exists());
}
