//! `catalog import` then `catalog export` through the binary: the exported files are the
//! shipped files, byte for byte (gzip-compressed ones compared decompressed); the import is
//! idempotent; bad input gives one line naming it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn catalog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_catalog"))
        .current_dir(repo())
        .env_remove("KESTREL_STORE_URL")
        .args(args)
        .output()
        .expect("run catalog")
}

fn content(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    }
}

/// The shipped file of `series` on `day`, plain or gzip.
fn shipped(series: &str, file: &str) -> PathBuf {
    let p = repo().join("data").join(series).join(file);
    if p.exists() {
        p
    } else {
        p.with_file_name(format!("{file}.gz"))
    }
}

#[test]
fn import_then_export_gives_back_the_shipped_files() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/k.db", tmp.path().display());
    let args = [
        "--store",
        &url,
        "--series",
        "NIFTY,BANKNIFTY,NIFTY22NOV18000CE,BANKNIFTY-FUT_5m",
        "--from",
        "2022-11-17",
        "--to",
        "2024-07-31",
    ];
    let mut import = vec!["import"];
    import.extend(args);
    for _ in 0..2 {
        let out = catalog(&import);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with(&format!("imported into {url}: 4 series")),
            "{text}"
        );
    }
    let dest = tmp.path().join("exported");
    let mut export = vec!["export", "--out", dest.to_str().unwrap()];
    export.extend(args);
    let out = catalog(&export);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut files = 0;
    for series in [
        "NIFTY",
        "BANKNIFTY",
        "NIFTY22NOV18000CE",
        "BANKNIFTY-FUT_5m",
    ] {
        for e in std::fs::read_dir(dest.join(series)).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            assert!(
                content(&path) == content(&shipped(series, &name)),
                "{series}/{name}"
            );
            files += 1;
        }
    }
    assert!(files > 300, "only {files} files compared");

    // Exporting again keeps the files that exist.
    let again = catalog(&export);
    assert!(String::from_utf8_lossy(&again.stdout).contains("days kept (exist)"));
}

#[test]
fn bad_input_is_one_line() {
    let out = catalog(&["import", "--store", "mysql://u:pw@h/db"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("u:***@h") && !err.contains("pw@"), "{err}");
    let out = catalog(&[
        "import",
        "--data-dir",
        "/nonexistent/catalog",
        "--store",
        "sqlite:///tmp/x-never.db",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("/nonexistent/catalog"),
        "{err}"
    );
}
