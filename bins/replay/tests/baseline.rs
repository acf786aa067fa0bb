//! Behaviour baseline (issue 9): the `replay` binary over every shipped 2024 day
//! (`--from 2024-01-01 --to 2024-08-20`) under the pinned configuration
//! `tests/baseline/pinned.toml` writes `trades.csv`, `orders.csv` and `fills.csv` whose SHA-256
//! sums equal the list in `tests/baseline/replay-2024.sha256` (recorded before the engine was
//! reshaped). A refactor that changes any byte of a trade, order or fill fails here.
//!
//! The list is in `sha256sum` format, so it can be checked by hand too:
//! `replay --config bins/replay/tests/baseline/pinned.toml --from 2024-01-01 --to 2024-08-20
//! --out /tmp/b --quiet && (cd /tmp/b/replay && sha256sum -c <list>)`.
//!
//! A deliberate behaviour change re-records it: `KESTREL_BLESS=1 cargo test -p replay --test
//! baseline`, and the commit says why the numbers moved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 3] = ["trades.csv", "orders.csv", "fills.csv"];

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/baseline")
}

/// `<sha256>  <date>/<file>` lines for every day directory under `root`, sorted by path.
fn checksums(root: &Path) -> String {
    let mut days: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|d| d.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    days.sort();
    let mut out = String::new();
    for day in days {
        let name = day
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 day dir");
        for f in FILES {
            let bytes = std::fs::read(day.join(f)).unwrap_or_else(|e| panic!("{name}/{f}: {e}"));
            let sum = Sha256::digest(&bytes);
            let hex: String = sum.iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            });
            let _ = writeln!(out, "{hex}  {name}/{f}");
        }
    }
    out
}

#[test]
fn shipped_2024_days_are_byte_identical_to_the_baseline() {
    let out = tempfile::tempdir().expect("tempdir");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let o = Command::new(env!("CARGO_BIN_EXE_replay"))
        .current_dir(&repo)
        .args(["--config", "bins/replay/tests/baseline/pinned.toml"])
        .args([
            "--from",
            "2024-01-01",
            "--to",
            "2024-08-20",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .output()
        .expect("run replay");
    assert!(
        o.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let got = checksums(&out.path().join("replay"));
    let list = here().join("replay-2024.sha256");
    if std::env::var_os("KESTREL_BLESS").is_some() {
        std::fs::write(&list, &got).expect("write baseline list");
        return;
    }
    let want = std::fs::read_to_string(&list)
        .unwrap_or_else(|e| panic!("{}: {e} (KESTREL_BLESS=1 records it)", list.display()));
    assert!(
        got.lines().count() >= 150 * FILES.len(),
        "too few days replayed:\n{got}"
    );
    let differ: Vec<String> = want
        .lines()
        .zip(got.lines())
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("  want {w}\n  got  {g}"))
        .collect();
    assert!(
        differ.is_empty() && want.lines().count() == got.lines().count(),
        "{} of {} files differ from the baseline ({} lines wanted, {} got):\n{}",
        differ.len(),
        want.lines().count(),
        want.lines().count(),
        got.lines().count(),
        differ.join("\n")
    );
}
