//! `replay merge DIR... --out OUT` (issue 13): the outputs of `--shard I/N` runs combined into
//! what one run writes and prints.
//!
//! - Replay shards (`DIR/shards/replay-<I>-of-<N>.json`): every index `0..N` exactly once, the
//!   same range and segments; the day journals are copied to `OUT/replay/<date>/` and the
//!   summary table printed as one run prints it.
//! - Sweep shards (`DIR/sweep/<name>/<set>/record.json`): the same grid file everywhere and
//!   every set once; the set directories are copied to `OUT/sweep/<name>/` and `results.csv`
//!   written (and its best rows printed) as one run does.

use crate::grid::Grid;
use crate::record::{DayOutcome, ReplayShardFile, SetRecord};
use crate::sweep::{sweep_dir, write_results, write_set};
use crate::table;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Merge the shard outputs under `dirs` into `out`; the text to print.
///
/// Errors: no shard output found, shards of different runs, a missing or repeated shard or
/// set (each named), unreadable or malformed files (named).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<String> {
    let mut replay_files = Vec::new();
    let mut sweeps: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for d in dirs {
        if !d.is_dir() {
            bail!("{}: not a directory", d.display());
        }
        for f in list(&d.join("shards"))? {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with("replay-") && name.ends_with(".json") {
                replay_files.push((d.clone(), f));
            }
        }
        for s in list(&d.join("sweep"))? {
            if s.is_dir()
                && let Some(name) = s.file_name().and_then(|n| n.to_str())
            {
                sweeps.entry(name.to_string()).or_default().push(s.clone());
            }
        }
    }
    if replay_files.is_empty() && sweeps.is_empty() {
        bail!(
            "no shard output (shards/replay-*.json or sweep/<name>/) under the given directories"
        );
    }
    let mut text = String::new();
    if !replay_files.is_empty() {
        text.push_str(&merge_replay(&replay_files, out)?);
    }
    for (name, parts) in &sweeps {
        text.push_str(&merge_sweep(name, parts, out)?);
    }
    Ok(text)
}

/// Entries of `dir`, sorted; none when it does not exist.
fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    v.sort();
    Ok(v)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}: not a shard file", path.display()))
}

fn merge_replay(files: &[(PathBuf, PathBuf)], out: &Path) -> Result<String> {
    let mut shards: Vec<(PathBuf, ReplayShardFile)> = Vec::new();
    for (dir, f) in files {
        shards.push((dir.clone(), read_json(f)?));
    }
    let first = &shards[0].1;
    let (from, to, count, segments) = (first.from, first.to, first.shard.count, &first.segments);
    let mut seen: Vec<Option<PathBuf>> = vec![None; count];
    for (dir, s) in &shards {
        if (s.from, s.to, s.shard.count, &s.segments) != (from, to, count, segments) {
            bail!(
                "{}: shard {} of {}..{} ({} segments) does not belong with shard {} of {from}..{to}",
                dir.display(),
                s.shard,
                s.from,
                s.to,
                s.segments.len(),
                first.shard
            );
        }
        match seen.get_mut(s.shard.index) {
            Some(Some(other)) => bail!(
                "shard {} given twice: {} and {}",
                s.shard,
                other.display(),
                dir.display()
            ),
            Some(slot) => *slot = Some(dir.clone()),
            None => bail!("{}: shard {} out of range", dir.display(), s.shard),
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| seen[*i].is_none())
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!("missing shards: {}", missing.join(", "));
    }
    let mut days = Vec::new();
    for (dir, s) in &shards {
        for d in &s.days {
            if matches!(d.outcome, DayOutcome::Traded { .. }) {
                let rel = Path::new("replay").join(d.date.to_string());
                copy_tree(&dir.join(&rel), &out.join(&rel))?;
            }
        }
        days.extend(s.days.iter().cloned());
    }
    days.sort_by_key(|d| d.date);
    if let Some(w) = days.windows(2).find(|w| w[0].date == w[1].date) {
        bail!("{} is in more than one shard", w[0].date);
    }
    let mut text = String::new();
    table::summary(&mut text, &days, segments, out, false);
    Ok(text)
}

fn merge_sweep(name: &str, parts: &[PathBuf], out: &Path) -> Result<String> {
    let dir = sweep_dir(out, name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let grid_text = |p: &Path| {
        std::fs::read_to_string(p.join("grid.toml"))
            .with_context(|| format!("reading {}", p.join("grid.toml").display()))
    };
    let text = grid_text(&parts[0])?;
    let mut records: BTreeMap<String, SetRecord> = BTreeMap::new();
    let mut total = None;
    for part in parts {
        if grid_text(part)? != text {
            bail!(
                "{}: grid.toml differs from {}: shards of different sweeps",
                part.display(),
                parts[0].display()
            );
        }
        for set_dir in list(part)?.into_iter().filter(|p| p.is_dir()) {
            let rec_path = set_dir.join("record.json");
            if !rec_path.is_file() {
                continue;
            }
            let rec: SetRecord = read_json(&rec_path)?;
            if *total.get_or_insert(rec.total_sets) != rec.total_sets {
                bail!("{}: from a grid of another size", rec_path.display());
            }
            let journals = set_dir.join("replay");
            if journals.is_dir() {
                copy_tree(&journals, &dir.join(&rec.set).join("replay"))?;
            }
            if records.insert(rec.set.clone(), rec).is_some() {
                bail!("{}: set given twice", rec_path.display());
            }
        }
    }
    let total = total.unwrap_or(0);
    let missing: Vec<String> = (1..=total)
        .map(|i| format!("set-{i:04}"))
        .filter(|s| !records.contains_key(s))
        .collect();
    if !missing.is_empty() || total == 0 {
        bail!(
            "sweep {name}: missing sets (is a shard missing?): {}",
            missing.join(", ")
        );
    }
    let grid_path = dir.join("grid.toml");
    std::fs::write(&grid_path, &text)
        .with_context(|| format!("writing {}", grid_path.display()))?;
    let mut grid = Grid::load(&grid_path)?;
    grid.name = name.to_string();
    let records: Vec<SetRecord> = records.into_values().collect();
    for r in &records {
        write_set(&dir, r)?;
    }
    write_results(&dir, &grid, &records)
}

/// Copy the directory tree `from` into `to` (no-op when both are the same directory).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    if let (Ok(a), Ok(b)) = (from.canonicalize(), to.canonicalize())
        && a == b
    {
        return Ok(());
    }
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in list(from)? {
        let target = to.join(entry.file_name().unwrap_or_default());
        if entry.is_dir() {
            copy_tree(&entry, &target)?;
        } else {
            std::fs::copy(&entry, &target)
                .with_context(|| format!("copying {} to {}", entry.display(), target.display()))?;
        }
    }
    Ok(())
}
