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
    write_checkpoint_with(path, cp, true)
}

/// Write `cp` to `path` atomically; with `durable`, fsync before the rename (survives a power
/// loss; without it, a process crash still leaves the old or the new file whole).
///
/// # Errors
/// As [`write_checkpoint`].
pub fn write_checkpoint_with(
    path: &Path,
    cp: &Checkpoint,
    durable: bool,
) -> Result<(), std::io::Error> {
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
    if durable {
        f.sync_all()?;
    }
    drop(f);
    std::fs::rename(&tmp, path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// What is at the checkpoint path when a session starts.
#[derive(Debug)]
pub enum Found {
    /// No checkpoint: a flat start.
    Nothing,
    /// A checkpoint of the session's date (restore it).
    Today(Box<Checkpoint>),
    /// A checkpoint of another date, moved to the archive path given.
    Archived(PathBuf),
}

/// Read the checkpoint at `path` for a session of `date` (spec §11): the same date is
/// returned for restoring; another date is moved to `checkpoints/archive/<file stem>_<date>.json`
/// (never restored, never lost); an unreadable or corrupt file is an error (a silent flat
/// start could leave positions at the broker unmanaged).
///
/// # Errors
/// The message names the file and what is wrong with it.
pub fn read_checkpoint(path: &Path, date: chrono::NaiveDate) -> Result<Found, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(format!("{}: unreadable: {e}", path.display())),
    };
    let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: line {} column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if cp.date == date {
        return Ok(Found::Today(Box::new(cp)));
    }
    let dir = path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("archive");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("checkpoint");
    let mut to = dir.join(format!("{stem}_{}.json", cp.date));
    let mut n = 1;
    while to.exists() {
        n += 1;
        to = dir.join(format!("{stem}_{}_{n}.json", cp.date));
    }
    std::fs::rename(path, &to)
        .map_err(|e| format!("archiving {} to {}: {e}", path.display(), to.display()))?;
    Ok(Found::Archived(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_corrupt_and_other_dates() {
        let dir = tempfile::tempdir().unwrap();
        let path = checkpoint_path(dir.path(), "live");
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        assert!(matches!(read_checkpoint(&path, d), Ok(Found::Nothing)));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"format\": 2, \"mode\": ").unwrap();
        let e = read_checkpoint(&path, d).unwrap_err();
        assert!(
            e.contains("live_state_latest.json") && e.contains("line"),
            "{e}"
        );
        assert!(path.exists(), "a corrupt checkpoint is left where it is");
    }
}

/// The in-flight tick file (spec §11): before the engine processes an index tick, the tick is
/// written to `<journal root>/checkpoints/<mode>_inflight.json`. A crash while processing it
/// (after an order went out, before the checkpoint of that tick) leaves the tick there; the
/// restart processes it again first, so the same decision is made again and takes over the
/// order the broker already has instead of placing a second one.
///
/// One fixed-size record rewritten in place with a single positioned write (padded with
/// spaces): a process crash leaves the old or the new record, never a mix. No fsync (the
/// checkpoint is the durable record; this only bridges the instant of a crash).
#[derive(Debug)]
pub struct InflightTick {
    file: std::fs::File,
    path: PathBuf,
}

/// Bytes of one in-flight record.
const INFLIGHT_RECORD: usize = 256;

/// What the in-flight file holds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct InflightRecord {
    date: chrono::NaiveDate,
    tick: domain::Tick,
}

impl InflightTick {
    /// Where the in-flight tick of `mode` lives.
    pub fn path(journal_root: &Path, mode: &str) -> PathBuf {
        journal_root
            .join("checkpoints")
            .join(format!("{mode}_inflight.json"))
    }

    /// The tick left by a crash on `date`, if any (another day's, or an unreadable record, is
    /// ignored: the checkpoint and the catch-up cover the rest).
    pub fn read(path: &Path, date: chrono::NaiveDate) -> Option<domain::Tick> {
        let text = std::fs::read_to_string(path).ok()?;
        let r: InflightRecord = serde_json::from_str(text.trim()).ok()?;
        (r.date == date).then_some(r.tick)
    }

    /// Open (create) the file for writing.
    ///
    /// # Errors
    /// The folder or file cannot be created.
    pub fn open(path: &Path) -> Result<Self, std::io::Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Record `tick` of `date` as the one being processed.
    ///
    /// # Errors
    /// The write failed (the message names the file).
    pub fn record(
        &mut self,
        date: chrono::NaiveDate,
        tick: &domain::Tick,
    ) -> Result<(), std::io::Error> {
        use std::os::unix::fs::FileExt;
        let mut bytes = serde_json::to_vec(&InflightRecord { date, tick: *tick })
            .map_err(std::io::Error::other)?;
        if bytes.len() > INFLIGHT_RECORD {
            return Err(std::io::Error::other(format!(
                "{}: in-flight record of {} bytes exceeds {INFLIGHT_RECORD}",
                self.path.display(),
                bytes.len()
            )));
        }
        bytes.resize(INFLIGHT_RECORD, b' ');
        self.file
            .write_all_at(&bytes, 0)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }
}

#[cfg(test)]
mod inflight_tests {
    use super::*;

    #[test]
    fn a_record_is_read_back_only_for_its_date() {
        let dir = tempfile::tempdir().unwrap();
        let path = InflightTick::path(dir.path(), "live");
        let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let t = domain::Tick {
            token: 256265,
            ts: domain::time::ist_hms(d, 9, 45, 0),
            price: rust_decimal::Decimal::new(2310580, 2),
            volume: None,
        };
        let mut w = InflightTick::open(&path).unwrap();
        w.record(d, &t).unwrap();
        let shorter = domain::Tick {
            volume: None,
            price: rust_decimal::Decimal::ONE,
            ..t
        };
        w.record(d, &shorter).unwrap();
        assert_eq!(InflightTick::read(&path, d), Some(shorter));
        assert_eq!(InflightTick::read(&path, d.succ_opt().unwrap()), None);
    }
}
