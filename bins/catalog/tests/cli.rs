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

/// A catalog CSV with its prices in paise form (at least two decimals), as the catalog reads
/// and writes them; a shipped stock or futures file may spell `1232.9`.
fn in_paise(csv: &[u8]) -> String {
    let text = String::from_utf8_lossy(csv);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().to_string();
    let price: Vec<bool> = header
        .split(',')
        .map(|c| matches!(c, "open" | "high" | "low" | "close" | "last_price"))
        .collect();
    let mut out = vec![header.clone()];
    for line in lines {
        let fields: Vec<String> = line
            .split(',')
            .zip(price.iter().chain(std::iter::repeat(&false)))
            .map(|(f, is_price)| match f.split_once('.') {
                _ if !is_price || f.is_empty() => f.to_string(),
                None => format!("{f}.00"),
                Some((_, d)) if d.len() == 1 => format!("{f}0"),
                Some(_) => f.to_string(),
            })
            .collect();
        out.push(fields.join(","));
    }
    out.join("\n")
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
            let (got, want) = (content(&path), content(&shipped(series, &name)));
            assert!(
                got == want || in_paise(&got) == in_paise(&want),
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
