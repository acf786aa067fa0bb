//! The checkpoint file (spec §11): `<journal root>/checkpoints/<mode>_state_latest.json`,
//! written atomically (temp file in the same folder, fsync, rename) so a crash leaves either
//! the previous or the new checkpoint, never a torn one.

use engine::checkpoint::Checkpoint;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the checkpoint of `mode` (`paper`, `live`) lives under the journal root.
pub fn checkpoint_path(journal_root: &Path, mode: &str) -> PathBuf {
    journal_root
        .join("checkpoints")
        .join(format!("{mode}_state_latest.json"))
}

/// Write `cp` to `path` atomically.
///
/// # Errors
/// The folder cannot be created or the file written/renamed (the error names the path).
pub fn write_checkpoint(path: &Path, cp: &Checkpoint) -> Result<(), std::io::Error> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("checkpoint")
    ));
    let json = serde_json::to_vec_pretty(cp).map_err(std::io::Error::other)?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&json)?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}
