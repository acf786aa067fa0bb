//! Running the `replay` binary from the repository root, as a user does (shared by the
//! binary's integration tests).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (this package is `bins/replay`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `replay ARGS…` run in the repository root; its status and output.
pub fn replay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_replay"))
        .current_dir(repo())
        .args(args)
        .output()
        .expect("run replay")
}

/// Rows of one day's CSV journal (`name` under `day`) as header → cell maps.
#[allow(dead_code)] // not every test binary reads journals
pub fn rows(day: &Path, name: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(day.join(name)).expect("journal file");
    let header = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}
