//! Writing catalog day files: [`Catalog::write_bars`], [`Catalog::write_ticks`] (validated,
//! atomic, one compression variant per day).

use crate::{Catalog, CatalogError, FileKind, TradeTick, format, naming};
use chrono::NaiveDate;
use domain::Bar;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

impl Catalog {
    /// Write (or replace) the bars of `series` on `date`, gzip-compressed if `gz`.
    ///
    /// The bars are validated with the reader's rules first, written to a temporary file and
    /// renamed into place; the other compression variant of the same day, if present, is
    /// removed so the day stays unambiguous. Returns the path written.
    ///
    /// Errors: [`CatalogError::NotFiles`] for a [`Catalog::from_source`] catalog (read-only).
    pub fn write_bars(
        &self,
        series: &str,
        date: NaiveDate,
        bars: &[Bar],
        gz: bool,
    ) -> Result<PathBuf, CatalogError> {
        self.files_only(|| format!("write bars of {series} on {date}"))?;
        let path = self.target(series, date, FileKind::Bars, gz)?;
        format::validate_bars(bars, &path, date)?;
        write_atomically(&path, gz, |w| format::write_bars(w, bars))?;
        self.remove_variant(series, date, FileKind::Bars, !gz)?;
        Ok(path)
    }

    /// Write (or replace) the trade ticks of `series` on `date` (see [`Catalog::write_bars`];
    /// [`CatalogError::NotFiles`] for a source-backed catalog).
    pub fn write_ticks(
        &self,
        series: &str,
        date: NaiveDate,
        ticks: &[TradeTick],
        gz: bool,
    ) -> Result<PathBuf, CatalogError> {
        self.files_only(|| format!("write ticks of {series} on {date}"))?;
        let path = self.target(series, date, FileKind::Ticks, gz)?;
        format::validate_ticks(ticks, &path, date)?;
        write_atomically(&path, gz, |w| format::write_ticks(w, ticks))?;
        self.remove_variant(series, date, FileKind::Ticks, !gz)?;
        Ok(path)
    }

    fn target(
        &self,
        series: &str,
        date: NaiveDate,
        kind: FileKind,
        gz: bool,
    ) -> Result<PathBuf, CatalogError> {
        naming::validate_series(series)?;
        let dir = self.root.join(series);
        fs::create_dir_all(&dir).map_err(|e| CatalogError::io(&dir, e))?;
        Ok(dir.join(kind.file_name(date, gz)))
    }

    fn remove_variant(
        &self,
        series: &str,
        date: NaiveDate,
        kind: FileKind,
        gz: bool,
    ) -> Result<(), CatalogError> {
        let other = self.root.join(series).join(kind.file_name(date, gz));
        if other.is_file() {
            fs::remove_file(&other).map_err(|e| CatalogError::io(&other, e))?;
        }
        Ok(())
    }
}

/// Write `path` through a temporary sibling file and a rename; gzip (best compression,
/// mtime 0 so the output is reproducible) if `gz`.
fn write_atomically(
    path: &Path,
    gz: bool,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CatalogError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("day");
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let io = |e| CatalogError::io(&tmp, e);
    let file = fs::File::create(&tmp).map_err(io)?;
    let result = if gz {
        let mut enc = flate2::GzBuilder::new()
            .mtime(0)
            .write(file, flate2::Compression::best());
        body(&mut enc)
            .and_then(|()| enc.finish())
            .and_then(|f| f.sync_all())
    } else {
        let mut file = file;
        body(&mut file).and_then(|()| file.sync_all())
    };
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io(e));
    }
    fs::rename(&tmp, path).map_err(|e| CatalogError::io(path, e))
}
