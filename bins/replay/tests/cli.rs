//! The `replay` binary as a user runs it: output, journal files, and one-line errors with a
//! non-zero exit on bad input (issue 2).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;

mod common;
use common::{replay, repo};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn one_day_writes_journal_and_summary() {
    let out = tempfile::tempdir().unwrap();
    let o = replay(&[
        "--date",
        "2024-06-03",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("TOTAL"), "{stdout}");
    let day = out.path().join("replay/2024-06-03");
    for f in [
        "orders.csv",
        "fills.csv",
        "trades.csv",
        "events.csv",
        "events.jsonl",
        "summary.json",
    ] {
        assert!(day.join(f).exists(), "{f} missing");
    }
    let trades = std::fs::read_to_string(day.join("trades.csv")).unwrap();
    let header = trades.lines().next().unwrap();
    for col in [
        "trade_id",
        "mode",
        "segment",
        "index_symbol",
        "index_entry_spot",
        "time_interval",
        "rsi_period",
        "signal_type",
        "option_symbol",
        "option_type",
        "strike_price",
        "expiry",
        "lots",
        "quantity",
        "entry_time",
        "entry_price",
        "stop_loss_points",
        "initial_sl_price",
        "trailing_stop_points",
        "exit_time",
        "index_exit_spot",
        "exit_price",
        "exit_reason",
        "pnl_points",
        "pnl_value",
        "charges",
        "net_pnl",
        "return_pct",
        "max_favorable_excursion",
        "max_adverse_excursion",
        "premium_source",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "trades.csv lacks {col}: {header}"
        );
    }
    // The default config pyramids (seed 004): the day's two trades add lots and stop out,
    // and the 2 % daily-loss rule halts it (docs/pyramiding.md). Without pyramiding the same
    // day gives the golden lists' 9 trades (tests/golden.rs).
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(day.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        trades.lines().count() - 1,
        summary["total"]["trades"].as_u64().unwrap() as usize,
        "trades.csv rows = summary.json total trades"
    );
    assert_eq!(trades.lines().count(), 1 + 2, "{trades}");
    assert!(
        trades.lines().skip(1).all(|l| l.contains(",11,")),
        "both trades pyramided to 11 lots: {trades}"
    );
}

fn assert_one_line_error(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected failure");
    let e = stderr(o);
    let lines: Vec<&str> = e.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {e}");
    assert!(lines[0].contains(needle), "{needle:?} not in {e}");
}

#[test]
fn non_trading_day_is_an_error() {
    let o = replay(&[
        "--date",
        "2024-06-08",
        "--out",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
    ]);
    assert_one_line_error(&o, "2024-06-08 is not a trading day");
    let o = replay(&[
        "--date",
        "2024-08-15",
        "--out",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
    ]);
    assert_one_line_error(&o, "2024-08-15 is not a trading day");
}

#[test]
fn trading_day_without_data_is_an_error() {
    let o = replay(&[
        "--date",
        "2024-02-01",
        "--out",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
    ]);
    assert_one_line_error(&o, "no data for NIFTY on 2024-02-01");
}

#[test]
fn unknown_config_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[risk]\nmax_trade = 3\n").unwrap();
    let o = replay(&["--date", "2024-06-03", "--config", cfg.to_str().unwrap()]);
    assert!(!o.status.success(), "expected failure");
    let e = stderr(&o);
    assert!(
        e.starts_with(&format!(
            "error: {}: TOML parse error at line 2, column 1\n",
            cfg.display()
        )),
        "{e}"
    );
    assert!(e.contains("unknown field `max_trade`"), "{e}");
    assert_eq!(e.matches("max_trade`").count(), 1, "one cause, once: {e}");
}

#[test]
fn bad_config_value_shows_the_toml_caret() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("x.toml");
    std::fs::write(
        &cfg,
        "[engine]\nsegments = [\"NIFTY\"]\nwarmup_sessions = \"x\"\n",
    )
    .unwrap();
    let o = replay(&["--date", "2024-06-03", "--config", cfg.to_str().unwrap()]);
    assert!(!o.status.success(), "expected failure");
    let e = stderr(&o);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "error: {}: TOML parse error at line 3, column 19",
            cfg.display()
        ),
        "{e}"
    );
    assert_eq!(
        &lines[1..5],
        [
            "  |",
            "3 | warmup_sessions = \"x\"",
            "  |                   ^^^",
            "invalid type: string \"x\", expected usize",
        ],
        "{e}"
    );
}

#[test]
fn malformed_csv_row_names_file_line_field() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for seg in ["NIFTY", "BANKNIFTY"] {
        std::fs::create_dir_all(data.join(seg)).unwrap();
        for d in ["2024-05-30", "2024-05-31", "2024-06-03"] {
            std::fs::copy(
                repo().join(format!("data/{seg}/{d}.csv")),
                data.join(format!("{seg}/{d}.csv")),
            )
            .unwrap();
        }
    }
    let f = data.join("NIFTY/2024-06-03.csv");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Line 6 of the file (header is line 1): corrupt its `high` field.
    let mut fields: Vec<String> = lines[5].split(',').map(String::from).collect();
    fields[2] = "23x1".into();
    lines[5] = fields.join(",");
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let o = replay(&[
        "--date",
        "2024-06-03",
        "--data-dir",
        data.to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    // Each cause once: the catalog error already names file, line and field; the replay
    // error wrapping it adds nothing and is not repeated.
    assert!(!o.status.success(), "expected failure");
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}:6: field `high`: invalid decimal \"23x1\"\n",
            f.display()
        )
    );
}
