//! `--report`, `replay report DIR`, `replay report --store URL` and `replay compare A B`: the
//! replay CLI's side of the `report` crate (issue 13, seed 004 §9; the store, issue 14). The
//! pages are one self-contained HTML file each.

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// `<out>/replay/report.html` for the days `from..=to` of a replay written under `out`.
///
/// Errors: a journal file that does not parse (file, line, field), no day in the range,
/// reading the configuration, writing the page.
pub fn replay_report(out: &Path, from: NaiveDate, to: NaiveDate, config: &Path) -> Result<PathBuf> {
    let days: Vec<_> = report::load_days(out, "replay")?
        .into_iter()
        .filter(|d| d.date >= from && d.date <= to)
        .collect();
    let target = out.join("replay").join("report.html");
    write_journal_report(days, "replay", Some(config), &target)?;
    Ok(target)
}

/// `<sweep dir>/report.html`: the heat map of net P&L over `heatmap` (two grid keys; default
/// the grid's first two, or its only key on both axes) and the top sets.
///
/// Errors: `results.csv` unreadable, a heat-map key that is not a grid key, writing the page.
pub fn sweep_report(dir: &Path, heatmap: Option<&(String, String)>) -> Result<PathBuf> {
    let results = dir.join("results.csv");
    let (x, y) = match heatmap {
        Some((x, y)) => (x.clone(), y.clone()),
        None => {
            let res = report::read_sweep(&results)?;
            match res.params.as_slice() {
                [] => bail!("{}: no parameter columns", results.display()),
                [only] => (only.clone(), only.clone()),
                [x, y, ..] => (x.clone(), y.clone()),
            }
        }
    };
    let target = dir.join("report.html");
    report::write_sweep_html(&results, &x, &y, &target)?;
    Ok(target)
}

/// `replay report DIR`: a sweep directory (it holds `results.csv`) gets the sweep page; a
/// journal root gets the report of every day under `DIR/<mode>/`.
pub fn report_dir(
    dir: &Path,
    mode: &str,
    config: Option<&Path>,
    heatmap: Option<&(String, String)>,
) -> Result<PathBuf> {
    if dir.join("results.csv").is_file() {
        return sweep_report(dir, heatmap);
    }
    let days = report::load_days(dir, mode)?;
    let target = dir.join(mode).join("report.html");
    write_journal_report(days, mode, config, &target)?;
    Ok(target)
}

/// `replay report --store URL`: which journals and where the page goes.
#[derive(Debug, Clone, Copy)]
pub struct StoreReport<'a> {
    /// The store URL (`sqlite://PATH`, `postgres://…`).
    pub url: &'a str,
    /// `replay`, `paper` or `live`.
    pub mode: &'a str,
    /// First day (inclusive), none: from the first stored day.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive), none: to the last stored day.
    pub to: Option<NaiveDate>,
    /// The page; default `<directory of the SQLite file>/<mode>/report.html`.
    pub html: Option<&'a Path>,
    /// Configuration file shown in the report.
    pub config: Option<&'a Path>,
}

/// `replay report --store URL`: the report of the store's journals of `mode` in the range,
/// the same page `replay report DIR` makes of the CSV journals of the same run.
///
/// Errors: a bad URL or unreachable database (one line, password redacted), a stored row
/// that does not parse (naming the store, day, table, line and column), no day in the range,
/// no `--html` for a PostgreSQL store, writing the page.
pub fn report_store(r: &StoreReport<'_>) -> Result<PathBuf> {
    let url = store::StoreUrl::parse(r.url)?;
    let target = match (r.html, &url) {
        (Some(p), _) => p.to_path_buf(),
        (None, store::StoreUrl::Sqlite { path }) => path
            .parent()
            .unwrap_or(Path::new(""))
            .join(r.mode)
            .join("report.html"),
        (None, _) => bail!("--html FILE: where to write the report of a PostgreSQL store"),
    };
    if let store::StoreUrl::Sqlite { path } = &url
        && !path.is_file()
    {
        bail!("store {url}: no such database file");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let days = rt.block_on(store_days(&url, r.mode, r.from, r.to))?;
    if days.is_empty() {
        bail!(
            "no {} day in the store {url}{}",
            r.mode,
            match (r.from, r.to) {
                (Some(f), Some(t)) => format!(" between {f} and {t}"),
                _ => String::new(),
            }
        );
    }
    write_journal_report(days, r.mode, r.config, &target)?;
    Ok(target)
}

/// The store's days of `mode` in `from..=to` as the report's [`report::DayJournal`]s.
async fn store_days(
    url: &store::StoreUrl,
    mode: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<report::DayJournal>> {
    use store::tables::{FILLS, TRADES, Table};
    let s = store::Store::connect(url).await?;
    let header = |t: &Table| t.cols.iter().map(|(c, _)| *c).collect::<Vec<&str>>();
    let (th, fh) = (header(&TRADES), header(&FILLS));
    let mut days = Vec::new();
    for date in s.journal_days(mode).await? {
        if from.is_some_and(|f| date < f) || to.is_some_and(|t| date > t) {
            continue;
        }
        let trades = s.journal_rows(&TRADES, mode, date).await?;
        let fills = s.journal_rows(&FILLS, mode, date).await?;
        let summary = s.summary(mode, date).await?;
        days.push(report::DayJournal::from_rows(
            date,
            PathBuf::from(format!("store {url} {mode}/{date}")),
            report::TableRows {
                header: &th,
                rows: &trades,
            },
            report::TableRows {
                header: &fh,
                rows: &fills,
            },
            summary,
        )?);
    }
    s.close().await;
    Ok(days)
}

/// `replay compare A B`: the comparison as a text table, and as a page when `html` is given.
pub fn compare(
    a: &Path,
    a_mode: &str,
    b: &Path,
    b_mode: &str,
    html: Option<&Path>,
) -> Result<String> {
    let cmp = report::compare(a, a_mode, b, b_mode)?;
    if let Some(path) = html {
        report::write_compare_html(&cmp, path)?;
    }
    Ok(cmp.to_string())
}

/// `--heatmap X,Y` → (X, Y).
pub fn parse_heatmap(s: &str) -> Result<(String, String), String> {
    match s.split_once(',') {
        Some((x, y)) if !x.trim().is_empty() && !y.trim().is_empty() => {
            Ok((x.trim().to_string(), y.trim().to_string()))
        }
        _ => Err(format!("expected two grid keys as X,Y, got `{s}`")),
    }
}

fn write_journal_report(
    days: Vec<report::DayJournal>,
    mode: &str,
    config: Option<&Path>,
    target: &Path,
) -> Result<()> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        bail!("no {mode} day to report on under {}", target.display());
    };
    let title = format!("{} {} .. {}", capitalised(mode), first.date, last.date);
    let mut input = report::ReportInput::new(title, mode, days);
    if let Some(path) = config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration {}", path.display()))?;
        input = input.with_config(path.display().to_string(), text);
    }
    report::write_html(&input, target)?;
    Ok(())
}

fn capitalised(mode: &str) -> String {
    let mut c = mode.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heatmap_needs_two_keys() {
        assert_eq!(
            parse_heatmap("exits.sl_points, strategy.rsi_period"),
            Ok(("exits.sl_points".into(), "strategy.rsi_period".into()))
        );
        assert!(parse_heatmap("exits.sl_points").is_err());
        assert!(parse_heatmap(",x").is_err());
    }

    #[test]
    fn mode_titles() {
        assert_eq!(capitalised("replay"), "Replay");
        assert_eq!(capitalised(""), "");
    }
}
