//! `catalog fetch --source breeze`: fill the file catalog from ICICI Breeze's v2 1-minute
//! candles (issue 15, `docs/breeze.md`).
//!
//! ```text
//! catalog fetch --source breeze --series NIFTY,BANKNIFTY --from 2024-06-03 --to 2024-06-14 [--out DIR] [--gz] [--overwrite]
//! ```
//!
//! Series are segment codes or stocks mapped in `[breeze.stock_codes]`; days are written as
//! the catalog's bar files (09:15–15:29 bars, index volume empty), an existing day is kept
//! unless `--overwrite`, and a window whose weekdays all exist already is not asked for.
//! Requests go two weekdays at a time within Breeze's limits (`[breeze]`); one progress line
//! per request on stderr, a summary on stdout. Today's session is not written before 15:45
//! IST (it is not complete).

use anyhow::{Context, Result, bail};
use breeze::history::windows;
use breeze::{BreezeClient, BreezeHistory, Credentials};
use catalog::Catalog;
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use clap::{Args, ValueEnum};
use config::Config;
use std::path::PathBuf;
use std::time::Instant;

/// Where `fetch` takes days from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// ICICI Breeze v2 historical candles (`[breeze]`, credentials from the environment or
    /// the credentials file).
    Breeze,
}

/// `catalog fetch` arguments.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Data source.
    #[arg(long, value_enum)]
    source: Source,
    /// Configuration file (TOML): `[breeze]`, `[data] dir`.
    #[arg(long, default_value = "config/default.toml")]
    config: PathBuf,
    /// Series to fetch, comma-separated: NIFTY, BANKNIFTY, SENSEX or a stock of
    /// `[breeze.stock_codes]`.
    #[arg(long, value_delimiter = ',', required = true)]
    series: Vec<String>,
    /// First day, inclusive.
    #[arg(long)]
    from: NaiveDate,
    /// Last day, inclusive.
    #[arg(long)]
    to: NaiveDate,
    /// Catalog directory to write (default: `[data] dir` of the config; created if missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write `.csv.gz` files.
    #[arg(long)]
    gz: bool,
    /// Replace day files that exist (default: keep them).
    #[arg(long)]
    overwrite: bool,
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Whether `date`'s session may be incomplete (today before 15:45 IST, or later).
fn incomplete(date: NaiveDate) -> bool {
    let now = chrono::Utc::now().with_timezone(&domain::time::IST);
    let done = NaiveTime::from_hms_opt(15, 45, 0).unwrap_or(NaiveTime::MIN);
    date > now.date_naive() || (date == now.date_naive() && now.time() < done)
}

/// Run `fetch`; the summary line on success.
pub async fn run(a: FetchArgs) -> Result<String> {
    let Source::Breeze = a.source;
    if a.from > a.to {
        bail!("--from {} is after --to {}", a.from, a.to);
    }
    let config = Config::load(&a.config)?;
    for s in &a.series {
        catalog::naming::validate_series(s)?;
        if catalog::series_timeframe(s)?.minutes() != 1 {
            bail!("{s}: Breeze is fetched as 1-minute bars; name the 1-minute series");
        }
    }
    let out = a.out.clone().unwrap_or_else(|| config.data.dir.clone());
    let cat = Catalog::create(&out)?;
    let creds_path = config.breeze.credentials_path();
    let credentials = Credentials::resolve(creds_path.as_deref())?;
    let client = BreezeClient::new(config.breeze.client_settings(), credentials)?;
    let history = BreezeHistory::new(client.clone());
    let per = client.settings().days_per_request;
    let started = Instant::now();
    let (mut written, mut kept, mut skipped_windows) = (0usize, 0usize, 0usize);
    for series in &a.series {
        for (from, to) in windows(a.from, a.to, per) {
            let have_all = breeze_days(from, to).all(|d| cat.has_bars(series, d));
            if have_all && !a.overwrite {
                skipped_windows += 1;
                continue;
            }
            let days = history
                .sessions_between(series, from, to, |_, _, _| {})
                .await
                .with_context(|| format!("fetch {series} {from}..{to} from Breeze"))?;
            let (mut w, mut k) = (0usize, 0usize);
            for (date, bars) in &days {
                if incomplete(*date) {
                    eprintln!("fetch {series} {date}: session not complete yet, not written");
                    continue;
                }
                if cat.has_bars(series, *date) && !a.overwrite {
                    k += 1;
                    continue;
                }
                cat.write_bars(series, *date, bars, a.gz)?;
                w += 1;
            }
            let (used, budget) = client.calls_today();
            eprintln!(
                "fetch {series} {from}..{to}: {} sessions, {w} written, {k} kept (exist); Breeze calls today {used}/{budget}",
                days.len()
            );
            written += w;
            kept += k;
        }
    }
    let (used, budget) = client.calls_today();
    Ok(format!(
        "fetched {} from Breeze into {}: {written} days written, {kept} kept (exist), {skipped_windows} requests skipped (days present), {used}/{budget} calls today, {:.2} s\n",
        a.series.join(","),
        out.display(),
        started.elapsed().as_secs_f64()
    ))
}

/// The weekdays of `from..=to` (the days a window could hold sessions on, bar rare special
/// Saturday sessions).
fn breeze_days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days()
        .take_while(move |d| *d <= to)
        .filter(|d| is_weekday(*d))
}
