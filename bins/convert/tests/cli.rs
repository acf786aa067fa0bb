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
        "timestamp,open,high,low,close,volume\n2024-06-03T09:15:00+05:30,23337.90,23400,23300,23350,\n"
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
