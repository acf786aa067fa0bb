//! [`CatalogSink`]: a recording day into the file catalog of spec §9.
//!
//! Rows are spooled as they come ([`super::spool`]: `<root>/.recording/<date>/`), flushed
//! whenever the exchange clock enters a new second and after every completed bar, so a crash
//! loses at most the last second. At [`RecordSink::finish`] every spool of the day (this run's
//! and an earlier run's of the same day) becomes its catalog day file through
//! [`Catalog::write_bars`] / [`Catalog::write_ticks`] (validated, atomic); a day file that
//! already exists is **never overwritten**: a warning names it and the spool is kept. Spools
//! written to the catalog are removed.
//!
//! The instruments dump goes to `<root>/.instruments/<YYYY-MM-DD>.csv` (a hidden folder: the
//! catalog's series listing skips it), written atomically once; an existing file is kept.

use super::RecordSink;
use super::spool::{open_append, parse_spool_name, read_spool, spool_dir, spool_file};
use catalog::{Catalog, FileKind, TradeTick};
use chrono::NaiveDate;
use domain::Bar;
use domain::time::fmt_iso;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The instruments dump file of `date` under a catalog root.
pub fn instruments_file(root: &Path, date: NaiveDate) -> PathBuf {
    root.join(".instruments").join(format!("{date}.csv"))
}

/// Records into the file catalog at a root directory (see the module docs).
pub struct CatalogSink {
    root: PathBuf,
    date: NaiveDate,
    spool: PathBuf,
    files: HashMap<(String, FileKind), BufWriter<File>>,
    /// The exchange second (epoch seconds) of the last flush.
    flushed: i64,
    /// The first error (recording never stops a session: it is reported at the end).
    error: Option<String>,
}

impl CatalogSink {
    /// A sink recording `date` into the catalog at `root` (created when missing at the
    /// first row).
    pub fn new(root: impl Into<PathBuf>, date: NaiveDate) -> Self {
        let root = root.into();
        Self {
            spool: spool_dir(&root, date),
            root,
            date,
            files: HashMap::new(),
            flushed: i64::MIN,
            error: None,
        }
    }

    fn fail(&mut self, what: String) {
        if self.error.is_none() {
            tracing::warn!(target: "live", error = %what, "recording: write failed (trading goes on)");
            self.error = Some(what);
        }
    }

    fn flush_all(&mut self) {
        let mut failed = None;
        for ((series, _), w) in &mut self.files {
            if let Err(e) = w.flush() {
                failed = Some(format!("spool of {series}: {e}"));
            }
        }
        if let Some(e) = failed {
            self.fail(e);
        }
    }

    /// Append `row` to the spool of `series`/`kind`, flushing first when the second moved.
    fn append(&mut self, series: &str, kind: FileKind, second: i64, row: &str) {
        if second != self.flushed {
            self.flush_all();
            self.flushed = second;
        }
        let key = (series.to_string(), kind);
        if !self.files.contains_key(&key) {
            let path = spool_file(&self.spool, series, kind);
            match open_append(&path, kind) {
                Ok(w) => {
                    self.files.insert(key.clone(), w);
                }
                Err(e) => {
                    self.fail(format!("{}: {e}", path.display()));
                    return;
                }
            }
        }
        if let Some(w) = self.files.get_mut(&key)
            && let Err(e) = w.write_all(row.as_bytes())
        {
            self.fail(format!("spool of {series}: {e}"));
        }
    }

    /// One spool file into the catalog; `Ok(true)` when written (the spool can go).
    fn publish(
        &self,
        cat: &Catalog,
        path: &Path,
        series: &str,
        kind: FileKind,
    ) -> Result<bool, String> {
        let exists = match kind {
            FileKind::Bars => cat.has_bars(series, self.date),
            FileKind::Ticks => cat.has_ticks(series, self.date),
        };
        if exists {
            let day = cat
                .day_file(series, self.date, kind)
                .map_or_else(|_| series.to_string(), |p| p.display().to_string());
            tracing::warn!(target: "live", file = %day, spool = %path.display(), "recording: catalog day file exists, not overwritten; the recording stays in its spool");
            return Ok(false);
        }
        let text = read_spool(path, kind).map_err(|e| format!("{}: {e}", path.display()))?;
        let written = match kind {
            FileKind::Bars => {
                let bars = catalog::format::read_bars(text.as_bytes(), path, Some(self.date))
                    .map_err(|e| e.to_string())?;
                cat.write_bars(series, self.date, &bars, false)
            }
            FileKind::Ticks => {
                let ticks = catalog::format::read_ticks(text.as_bytes(), path, Some(self.date))
                    .map_err(|e| e.to_string())?;
                cat.write_ticks(series, self.date, &ticks, false)
            }
        }
        .map_err(|e| e.to_string())?;
        tracing::info!(target: "live", file = %written.display(), "recording: catalog day file written");
        Ok(true)
    }
}

fn opt(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl RecordSink for CatalogSink {
    fn instruments(&mut self, date: NaiveDate, csv: &str) {
        let path = instruments_file(&self.root, date);
        if path.exists() {
            tracing::info!(target: "live", file = %path.display(), "recording: instruments dump of the day already recorded, kept");
            return;
        }
        let tmp = path.with_extension("csv.tmp");
        let write = || -> std::io::Result<()> {
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(&tmp, csv)?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            self.fail(format!("{}: {e}", path.display()));
        }
    }

    fn tick(&mut self, series: &str, t: &TradeTick) {
        let row = format!(
            "{},{},{},{}\n",
            fmt_iso(&t.ts),
            t.last_price,
            opt(t.volume),
            opt(t.oi)
        );
        self.append(series, FileKind::Ticks, t.ts.timestamp(), &row);
    }

    fn bar(&mut self, series: &str, b: &Bar) {
        let row = format!(
            "{},{},{},{},{},{}\n",
            fmt_iso(&b.ts),
            b.open,
            b.high,
            b.low,
            b.close,
            opt(b.volume)
        );
        self.append(series, FileKind::Bars, b.ts.timestamp(), &row);
        self.flush_all();
    }

    fn finish(&mut self, date: NaiveDate) -> Result<(), String> {
        self.flush_all();
        self.files.clear();
        if date != self.date {
            return Err(format!("recording of {} finished as {date}", self.date));
        }
        let mut errors: Vec<String> = self.error.take().into_iter().collect();
        let entries = match std::fs::read_dir(&self.spool) {
            Ok(e) => e,
            // Nothing was recorded (no tick reached the sink).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return join(errors),
            Err(e) => return Err(format!("{}: {e}", self.spool.display())),
        };
        let cat = Catalog::create(&self.root).map_err(|e| e.to_string())?;
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        let mut kept = false;
        for path in names {
            let Some((series, kind)) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_spool_name)
            else {
                continue;
            };
            match self.publish(&cat, &path, &series, kind) {
                Ok(true) => {
                    if let Err(e) = std::fs::remove_file(&path) {
                        errors.push(format!("{}: {e}", path.display()));
                    }
                }
                Ok(false) => kept = true,
                Err(e) => {
                    kept = true;
                    errors.push(e);
                }
            }
        }
        if !kept {
            // Empty now: the day's spool folder goes, and `.recording` when nothing else is in it.
            let _ = std::fs::remove_dir(&self.spool);
            if let Some(parent) = self.spool.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
        join(errors)
    }
}

fn join(errors: Vec<String>) -> Result<(), String> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}
