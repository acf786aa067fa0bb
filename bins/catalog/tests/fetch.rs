//! `catalog fetch --source breeze` through the binary against `breeze-fake` serving the
//! shipped catalog: the files written are the shipped files byte for byte; existing days are
//! kept (and not even asked for) unless `--overwrite`; a refused session is one line naming
//! Breeze's reason, with no secret in the output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use breeze_fake::{FakeBreeze, FakeSettings};
use catalog::Catalog;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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

/// The shipped bar file of `series` on `day`, plain or gzip.
fn shipped(series: &str, day: &str) -> PathBuf {
    let p = repo().join("data").join(series).join(format!("{day}.csv"));
    if p.exists() {
        p
    } else {
        p.with_file_name(format!("{day}.csv.gz"))
    }
}

/// A config pointing `[breeze]` at `fake`, in `dir`.
fn config(dir: &Path, fake: &FakeBreeze) -> PathBuf {
    let path = dir.join("breeze.toml");
    std::fs::write(
        &path,
        format!(
            "[breeze]\napi_url = \"{}\"\ndata_url = \"{}\"\ncredentials_file = \"{}\"\n",
            fake.api_url(),
            fake.data_url(),
            dir.join("absent.json").display()
        ),
    )
    .unwrap();
    path
}

fn fetch(fake: &FakeBreeze, session: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_catalog"))
        .current_dir(repo())
        .env("BREEZE_API_KEY", &fake.settings().api_key)
        .env("BREEZE_SESSION_TOKEN", session)
        .env_remove("BREEZE_SECRET_KEY")
        .arg("fetch")
        .args(["--source", "breeze"])
        .args(args)
        .output()
        .expect("run catalog")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_days_are_the_shipped_files_and_existing_days_are_kept() {
    let fake = FakeBreeze::start(
        Catalog::open(repo().join("data")).unwrap(),
        FakeSettings::default(),
    )
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &fake);
    let out_dir = tmp.path().join("cat");
    let session = fake.settings().session_token.clone();
    let args = [
        "--config",
        cfg.to_str().unwrap(),
        "--series",
        "NIFTY,BANKNIFTY",
        "--from",
        "2024-05-29",
        "--to",
        "2024-06-04",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let o = fetch(&fake, &session, &args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // 05-29, 05-30, 05-31, 06-03, 06-04 for each series.
    assert!(stdout.contains("10 days written, 0 kept"), "{stdout}");
    assert!(
        stderr.contains("fetch NIFTY 2024-05-29..2024-05-30: 2 sessions, 2 written"),
        "{stderr}"
    );
    for series in ["NIFTY", "BANKNIFTY"] {
        for day in [
            "2024-05-29",
            "2024-05-30",
            "2024-05-31",
            "2024-06-03",
            "2024-06-04",
        ] {
            let got = out_dir.join(series).join(format!("{day}.csv"));
            assert_eq!(
                content(&got),
                content(&shipped(series, day)),
                "{series} {day}"
            );
        }
        assert_eq!(std::fs::read_dir(out_dir.join(series)).unwrap().count(), 5);
    }
    for text in [&stdout, &stderr] {
        assert!(!text.contains(&session) && !text.contains(&fake.settings().api_key));
    }
    let calls = fake.calls().historical;
    // Again: every weekday is present, so nothing is asked for or written.
    let o = fetch(&fake, &session, &args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        stdout.contains("0 days written, 0 kept (exist), 6 requests skipped"),
        "{stdout}"
    );
    assert_eq!(fake.calls().historical, calls);
    // A damaged day is kept without --overwrite and restored with it.
    let damaged = out_dir.join("NIFTY").join("2024-05-31.csv");
    std::fs::write(&damaged, "timestamp,open,high,low,close,volume\n").unwrap();
    let o = fetch(&fake, &session, &args);
    assert!(o.status.success());
    assert_eq!(std::fs::read(&damaged).unwrap().len(), 37, "kept as it is");
    let mut with_overwrite = args.to_vec();
    with_overwrite.push("--overwrite");
    let o = fetch(&fake, &session, &with_overwrite);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("10 days written"), "{stdout}");
    assert_eq!(content(&damaged), content(&shipped("NIFTY", "2024-05-31")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_session_is_one_line_without_secrets() {
    let fake = FakeBreeze::start(
        Catalog::open(repo().join("data")).unwrap(),
        FakeSettings::default(),
    )
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &fake);
    let out_dir = tmp.path().join("cat");
    let args = [
        "--config",
        cfg.to_str().unwrap(),
        "--series",
        "NIFTY",
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-03",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let o = fetch(&fake, "SENTINEL-STALE-SESSION", &args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Invalid session."), "{stderr}");
    assert!(!stderr.contains("SENTINEL"), "{stderr}");
    assert!(!out_dir.join("NIFTY").exists());
    // An unmapped stock names the table to add it to.
    let mut stock = args.to_vec();
    stock[3] = "RELIANCE";
    let o = fetch(&fake, &fake.settings().session_token.clone(), &stock);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(stderr.contains("[breeze.stock_codes]"), "{stderr}");
}
