//! Spool files: the rows of a recording day as they come, appended to
//! `<record_dir>/.recording/<YYYY-MM-DD>/<series>.csv` (bars) and `<series>.ticks.csv` (trade
//! ticks) in the catalog's own format (spec §9), so that a crash loses at most the rows not yet
//! flushed and a restarted session the same day continues the same files.
//!
//! A file is created with its header; reopened, a torn last line (a crash mid-write) is cut
//! off before appending. [`read_spool`] gives a spool's rows back in time order for the
//! catalog (bars: one per label, the first kept; ticks: stable by time).

use catalog::FileKind;
use chrono::NaiveDate;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The spool folder of `date` under a catalog root: `<root>/.recording/<YYYY-MM-DD>`.
pub fn spool_dir(root: &Path, date: NaiveDate) -> PathBuf {
    root.join(".recording").join(date.to_string())
}

/// The spool file of `series` in `dir`: `<series>.csv` (bars) or `<series>.ticks.csv`.
pub fn spool_file(dir: &Path, series: &str, kind: FileKind) -> PathBuf {
    match kind {
        FileKind::Bars => dir.join(format!("{series}.csv")),
        FileKind::Ticks => dir.join(format!("{series}.ticks.csv")),
    }
}

/// The series and kind of a spool file name (`NIFTY.csv`, `NIFTY24JUN23000CE.ticks.csv`).
pub fn parse_spool_name(name: &str) -> Option<(String, FileKind)> {
    if let Some(s) = name.strip_suffix(".ticks.csv") {
        return Some((s.to_string(), FileKind::Ticks));
    }
    name.strip_suffix(".csv")
        .map(|s| (s.to_string(), FileKind::Bars))
}

/// The catalog header of a kind of file.
pub fn header(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Bars => "timestamp,open,high,low,close,volume",
        FileKind::Ticks => "timestamp,last_price,volume,oi",
    }
}

/// Open a spool file for appending: created with its header, or reopened with a torn last
/// line removed.
///
/// # Errors
/// I/O errors of the folder or the file.
pub fn open_append(path: &Path, kind: FileKind) -> io::Result<BufWriter<File>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let mut text = Vec::new();
    f.read_to_end(&mut text)?;
    let keep = match text.iter().rposition(|b| *b == b'\n') {
        Some(i) => i + 1,
        None => 0,
    };
    if keep != text.len() {
        tracing::warn!(target: "live", file = %path.display(), bytes = text.len() - keep, "spool: torn last line cut off");
        f.set_len(keep as u64)?;
    }
    f.seek(SeekFrom::Start(keep as u64))?;
    let mut w = BufWriter::with_capacity(64 * 1024, f);
    if keep == 0 {
        writeln!(w, "{}", header(kind))?;
    }
    Ok(w)
}

/// A spool file's text in catalog order: the header, then the rows sorted by timestamp
/// (stable: ticks of one second keep their order), bars deduplicated by label (the first
/// kept; a restart can rebuild a minute the crashed run had already spooled only if the clock
/// went back). Timestamps are all `+05:30` ISO-8601, so their text order is their time order.
///
/// # Errors
/// I/O errors reading the file.
pub fn read_spool(path: &Path, kind: FileKind) -> io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let mut rows: Vec<&str> = if first == header(kind) {
        lines.filter(|l| !l.is_empty()).collect()
    } else {
        // No header (cannot happen with open_append): every line is a row.
        text.lines().filter(|l| !l.is_empty()).collect()
    };
    let ts = |l: &str| l.split(',').next().unwrap_or_default().to_string();
    rows.sort_by_key(|l| ts(l));
    if kind == FileKind::Bars {
        rows.dedup_by_key(|l| ts(l));
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(header(kind));
    out.push('\n');
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn names_round_trip() {
        let d = Path::new("/x");
        for (s, k) in [
            ("NIFTY", FileKind::Bars),
            ("NIFTY24JUN23000CE", FileKind::Ticks),
        ] {
            let p = spool_file(d, s, k);
            let name = p.file_name().unwrap().to_str().unwrap();
            assert_eq!(parse_spool_name(name), Some((s.to_string(), k)));
        }
        assert_eq!(parse_spool_name("notes.txt"), None);
    }

    #[test]
    fn reopen_appends_after_cutting_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a").join("X.ticks.csv");
        let mut w = open_append(&p, FileKind::Ticks).unwrap();
        writeln!(w, "2024-06-03T09:15:01+05:30,10.05,5,").unwrap();
        w.flush().unwrap();
        drop(w);
        // A crash mid-row.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        write!(f, "2024-06-03T09:15:0").unwrap();
        drop(f);
        let mut w = open_append(&p, FileKind::Ticks).unwrap();
        writeln!(w, "2024-06-03T09:15:02+05:30,10.10,,").unwrap();
        w.flush().unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "timestamp,last_price,volume,oi\n2024-06-03T09:15:01+05:30,10.05,5,\n2024-06-03T09:15:02+05:30,10.10,,\n"
        );
    }

    #[test]
    fn read_spool_sorts_and_dedups_bars_keeps_ticks_of_a_second_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let b = dir.path().join("N.csv");
        std::fs::write(
            &b,
            "timestamp,open,high,low,close,volume\n\
             2024-06-03T09:16:00+05:30,2,2,2,2,\n\
             2024-06-03T09:15:00+05:30,1,1,1,1,\n\
             2024-06-03T09:16:00+05:30,3,3,3,3,\n",
        )
        .unwrap();
        assert_eq!(
            read_spool(&b, FileKind::Bars).unwrap(),
            "timestamp,open,high,low,close,volume\n\
             2024-06-03T09:15:00+05:30,1,1,1,1,\n\
             2024-06-03T09:16:00+05:30,2,2,2,2,\n"
        );
        let t = dir.path().join("N.ticks.csv");
        std::fs::write(
            &t,
            "timestamp,last_price,volume,oi\n\
             2024-06-03T09:15:01+05:30,5,,\n\
             2024-06-03T09:15:00+05:30,4,,\n\
             2024-06-03T09:15:01+05:30,6,,\n",
        )
        .unwrap();
        assert_eq!(
            read_spool(&t, FileKind::Ticks).unwrap(),
            "timestamp,last_price,volume,oi\n\
             2024-06-03T09:15:00+05:30,4,,\n\
             2024-06-03T09:15:01+05:30,5,,\n\
             2024-06-03T09:15:01+05:30,6,,\n"
        );
    }
}
