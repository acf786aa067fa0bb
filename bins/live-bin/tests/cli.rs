//! `live-bin` guardrails (spec §10.6): it refuses to start without `mode = "live"` and the
//! confirmation flag, says why, and touches no network before that.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// `live-bin --no-http` (no console: no test fights over port 8000).
fn live_bin() -> Command {
    let mut c = console_live_bin();
    c.arg("--no-http");
    c
}

/// `live-bin` with its console on (it binds only once a guardrail passes).
fn console_live_bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_live-bin"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    c
}

#[test]
fn with_the_console_on_a_guardrail_still_refuses_with_exit_2() {
    let out = console_live_bin()
        .args([
            "--config",
            "config/sim-live.toml",
            "--date",
            "2024-06-03",
            "--http-bind",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--confirm-live"), "{err}");
}

#[test]
fn a_remote_bind_needs_allow_remote() {
    let out = console_live_bin()
        .args([
            "--config",
            "config/sim-live.toml",
            "--date",
            "2024-06-03",
            "--confirm-live",
            "--http-bind",
            "0.0.0.0:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0.0.0.0:0") && err.contains("--allow-remote"),
        "{err}"
    );
    // `--no-http` conflicts with the console's flags.
    let out = live_bin().args(["--idle"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "clap usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--idle"));
}

#[test]
fn refuses_without_the_confirmation_flag() {
    let out = live_bin()
        .args(["--config", "config/sim-live.toml", "--date", "2024-06-03"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--confirm-live") && err.contains("REAL orders"),
        "{err}"
    );
}

#[test]
fn refuses_a_config_that_is_not_live() {
    let out = live_bin()
        .args([
            "--config",
            "config/sim.toml",
            "--date",
            "2024-06-03",
            "--confirm-live",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mode = \\\"live\\\"") || err.contains("mode = \"live\""),
        "{err}"
    );
    assert!(err.contains("config/sim.toml"), "{err}");
}

#[test]
fn an_unknown_kite_key_names_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        format!(
            "include = {:?}\n[kite]\nbase_url = \"http://127.0.0.1:1\"\n",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/sim-live.toml")
        ),
    )
    .unwrap();
    let out = live_bin()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--date",
            "2024-06-03",
            "--confirm-live",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("[kite]") && err.contains("base_url"),
        "{err}"
    );
}
