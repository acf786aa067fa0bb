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
