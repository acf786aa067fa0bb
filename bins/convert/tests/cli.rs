//! The `convert` binary as a user runs it: a summary on success, and on bad raw data one
//! line on stderr naming file, line and field, each cause once, with exit code 1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn convert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convert"))
        .args(args)
        .output()
        .expect("run convert")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const HEADER: &str = "Instrument,Date,Time,Open,High,Low,Close\n";

#[test]
fn converts_and_summarises() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "raw/index-1min-2024/NIFTY_2024.csv",
        &format!("{HEADER}NIFTY,20240603,09:15,23337.90,23400,23300,23350\n"),
    );
    write(tmp.path(), "raw/index-1min-2024/BNF_2024.csv", HEADER);
    let out = tmp.path().join("out");
    let o = convert(&[
        "--from",
        tmp.path().join("raw").to_str().unwrap(),
        "--to",
        out.to_str().unwrap(),
        "--only",
        "index-1min-2024",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("1 series, 1 day files, 1 rows"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(out.join("NIFTY/2024-06-03.csv")).unwrap(),
        "timestamp,open,high,low,close,volume\n2024-06-03T09:15:00+05:30,23337.90,23400.00,23300.00,23350.00,\n"
    );
}

#[test]
fn bad_raw_value_is_one_line_naming_file_line_field() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "index-1min-2024/NIFTY_2024.csv",
        &format!(
            "{HEADER}NIFTY,20240603,09:15,23337.90,23400,23300,23350\nNIFTY,20240603,09:16,23350,23x1,23300,23350\n"
        ),
    );
    write(tmp.path(), "index-1min-2024/BNF_2024.csv", HEADER);
    let o = convert(&[
        "--from",
        tmp.path().to_str().unwrap(),
        "--to",
        tmp.path().join("out").to_str().unwrap(),
        "--only",
        "index-1min-2024",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "convert: error: {}:3: field `High`: invalid decimal \"23x1\"\n",
            tmp.path().join("index-1min-2024/NIFTY_2024.csv").display()
        )
    );
}

/// The Breeze export of real rows shipped as a catalog test fixture.
fn breeze_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/catalog/tests/data/breeze_RELIND_2025-01-02.csv")
}

#[test]
fn breeze_export_converts_with_the_stock_code_map_or_series() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let fixture = breeze_fixture();
    let o = convert(&[
        "--breeze",
        fixture.to_str().unwrap(),
        "--to",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("stock_code RELIND → RELIANCE"), "{stdout}");
    assert!(
        stdout.contains("dropped 1 rows: RELIANCE: pre-open candles (09:07)"),
        "{stdout}"
    );
    assert!(stdout.contains("1 series, 1 day files, 4 rows"), "{stdout}");
    let text = std::fs::read_to_string(out.join("RELIANCE/2025-01-02.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[1],
        "2025-01-02T09:15:00+05:30,1225.65,1225.65,1222.00,1223.05,204896"
    );
    assert_eq!(
        lines[4],
        "2025-01-02T15:29:00+05:30,1240.55,1240.95,1240.20,1240.80,17591"
    );
    // --series names it instead (gzip on request)
    let o = convert(&[
        "--breeze",
        fixture.to_str().unwrap(),
        "--series",
        "RIL",
        "--gzip-bars",
        "--to",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("RIL/2025-01-02.csv.gz").is_file());
}

#[test]
fn broken_breeze_row_is_one_line_naming_file_line_field() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(breeze_fixture()).unwrap();
    let bad = tmp.path().join("RELIND.csv");
    std::fs::write(&bad, text.replacen(",84505", ",8450.5", 1)).unwrap();
    let o = convert(&[
        "--breeze",
        bad.to_str().unwrap(),
        "--to",
        tmp.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "convert: error: {}:4: field `volume`: invalid volume \"8450.5\" (expected a whole number of units or empty)\n",
            bad.display()
        )
    );
    assert!(!tmp.path().join("out").exists(), "nothing written");
}

#[test]
fn an_input_is_required() {
    let tmp = tempfile::tempdir().unwrap();
    let o = convert(&["--to", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = convert(&["--series", "X", "--to", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "--series needs --breeze");
}
