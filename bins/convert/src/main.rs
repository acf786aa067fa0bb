//! `convert`: turn the shipped raw market-data sources into the canonical catalog (spec §9).
//!
//! ```text
//! cargo run -p convert -- --from ../shared/data --to data
//! cargo run -p convert -- --from ../shared/data --to data --only nse-stocks-1min/marketmaya-1min-2025
//! cargo run -p convert -- --breeze RELIND.csv --to data                  # a Breeze CSV export
//! cargo run -p convert -- --breeze exports/ --stock-codes codes.csv --to data
//! ```
//!
//! A thin command line over `catalog::convert` (the catalog library itself has no CLI
//! dependency). Reads every convertible source folder under `--from` (see
//! `catalog::convert::Source`),
//! writes `<to>/<series>/<YYYY-MM-DD>.csv` bars (plain unless `--gzip-bars`; the stock sources'
//! bars always `.csv.gz`, `Source::gzip_bars`) and
//! `<to>/<series>/<YYYY-MM-DD>.ticks.csv.gz` ticks, reads every written file back through the
//! catalog reader, and prints a summary (per source: files, rows, drops; per series: days,
//! rows, first and last day). Errors name the raw file, line and column and are printed on one
//! line, each cause once (exit code 1). Existing files of the same series and day are replaced;
//! nothing else in `--to` is touched.
//!
//! `--breeze FILE|DIR` (repeatable) converts CSV exports of ICICI Breeze historical candles
//! (`catalog::convert::breeze`: columns by header name, pre-open and post-close candles dropped);
//! the series is `--series NAME` or the stock code's row of the built-in map (`RELIND` →
//! `RELIANCE`) extended by `--stock-codes FILE`. With `--breeze` and no `--from`, only the
//! exports are converted.

use catalog::convert::breeze::{BreezeOptions, StockCodes, breeze_files, convert_breeze_csv};
use catalog::convert::{Converted, Source};
use catalog::{Catalog, CatalogError, FileKind};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Convert the raw sources of `shared/data/` into the canonical catalog format.
#[derive(Debug, Parser)]
#[command(name = "convert", version)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["from", "breeze"])))]
struct Args {
    /// Raw data directory (the folder with `index-1min-2024/`, `nfo-ticks-2022-11-18/`,
    /// `nse-stocks-1min/`, …).
    #[arg(long)]
    from: Option<PathBuf>,
    /// Catalog directory to write (created if missing).
    #[arg(long)]
    to: PathBuf,
    /// Only these source folders (comma-separated folder names, e.g.
    /// `nse-stocks-1min/yahoo-5min-2024`); default: all convertible.
    #[arg(long, value_delimiter = ',', requires = "from")]
    only: Vec<String>,
    /// A Breeze historical-data CSV export to convert (a file, or a directory of `*.csv[.gz]`
    /// exports); repeatable.
    #[arg(long, value_name = "FILE|DIR")]
    breeze: Vec<PathBuf>,
    /// Series of the Breeze export(s) (each file must then hold one stock code); default: the
    /// stock code's series in the stock-code map.
    #[arg(long, requires = "breeze")]
    series: Option<String>,
    /// Extra Breeze stock-code map (`stock_code,symbol,kind` CSV; its rows win over the
    /// built-in `RELIND,RELIANCE,equity` and `NIFTY,NIFTY,index`).
    #[arg(long, value_name = "FILE", requires = "breeze")]
    stock_codes: Option<PathBuf>,
    /// Write bars gzip-compressed (`.csv.gz`) instead of plain `.csv`.
    #[arg(long)]
    gzip_bars: bool,
    /// Write ticks as plain `.ticks.csv` instead of `.ticks.csv.gz`.
    #[arg(long)]
    plain_ticks: bool,
    /// Convert and print the summary without writing anything.
    #[arg(long)]
    dry_run: bool,
}

fn run(args: &Args) -> Result<(), CatalogError> {
    let sources: Vec<Source> = if args.from.is_none() {
        Vec::new()
    } else if args.only.is_empty() {
        Source::ALL.to_vec()
    } else {
        args.only
            .iter()
            .map(|name| {
                Source::from_dir_name(name).ok_or_else(|| CatalogError::File {
                    path: args.from.clone().unwrap_or_default().join(name),
                    message: format!(
                        "not a convertible source (known: {})",
                        Source::ALL.map(Source::dir_name).join(", ")
                    ),
                })
            })
            .collect::<Result<_, _>>()?
    };
    let mut converted = match &args.from {
        Some(from) => Converted::from_sources(from, &sources)?,
        None => Converted::default(),
    };
    if !args.breeze.is_empty() {
        let mut codes = StockCodes::builtin()?;
        if let Some(file) = &args.stock_codes {
            codes = codes.extended(StockCodes::from_file(file)?);
        }
        let opts = BreezeOptions {
            series: args.series.clone(),
            codes,
        };
        for arg in &args.breeze {
            for file in breeze_files(arg)? {
                convert_breeze_csv(&file, &opts, &mut converted)?;
            }
        }
    }

    match &args.from {
        Some(from) => println!("sources ({}):", from.display()),
        None => println!("sources:"),
    }
    for r in &converted.reports {
        println!("  {r}");
    }

    let written = if args.dry_run {
        0
    } else {
        let cat = Catalog::create(&args.to)?;
        let paths = converted.write(&cat, args.gzip_bars, !args.plain_ticks)?;
        // Read everything back through the reader the engine uses.
        for (series, date, data) in converted.days() {
            let n = match data.kind() {
                FileKind::Bars => cat.bars(series, date)?.len(),
                FileKind::Ticks => cat.ticks(series, date)?.len(),
            };
            if n != data.len() {
                return Err(CatalogError::File {
                    path: args.to.join(series),
                    message: format!("{date}: read back {n} rows, wrote {}", data.len()),
                });
            }
        }
        paths.len()
    };

    println!();
    println!(
        "{:<24} {:<5} {:>3} {:>5} {:>8}  {:<10} .. {:<10}",
        "series", "kind", "tf", "days", "rows", "first", "last"
    );
    let mut total_rows = 0;
    let summary = converted.summary();
    for s in &summary {
        let tf = match s.kind {
            FileKind::Bars => catalog::series_timeframe(&s.series)?.to_string(),
            FileKind::Ticks => "-".into(),
        };
        let kind = match s.kind {
            FileKind::Bars => "bars",
            FileKind::Ticks => "ticks",
        };
        println!(
            "{:<24} {:<5} {:>3} {:>5} {:>8}  {} .. {}",
            s.series, kind, tf, s.days, s.rows, s.first, s.last
        );
        total_rows += s.rows;
    }
    println!(
        "{} series, {} day files, {} rows{}",
        summary.len(),
        summary.iter().map(|s| s.days).sum::<usize>(),
        total_rows,
        if args.dry_run {
            " (dry run: nothing written)".to_string()
        } else {
            format!(", {written} files written to {}", args.to.display())
        }
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convert: error: {}", cli_error::one_cause_each(&e));
            ExitCode::FAILURE
        }
    }
}
