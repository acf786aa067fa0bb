//! Support code shared by the workspace's integration tests (`tests/`) and benches (`benches/`).

use std::path::PathBuf;

/// The repository root (where the workspace `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped data catalog, `data/` at the repository root.
pub fn data_dir() -> PathBuf {
    repo_root().join("data")
}

/// The acceptance files copied from `../shared/golden/` into `tests/golden/`.
pub fn golden_dir() -> PathBuf {
    repo_root().join("tests").join("golden")
}
