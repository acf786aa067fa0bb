//! `convert`: turn the shipped raw market-data sources into the canonical catalog (spec §9).
//!
//! ```text
//! cargo run -p convert -- --from ../shared/data --to data
//! ```
//!
//! A thin command line over `catalog::convert` (the catalog library itself has no CLI
//! dependency). Reads every convertible source folder under `--from` (see
//! `catalog::convert::Source`),
//! writes `<to>/<series>/<YYYY-MM-DD>.csv` bars (plain unless `--gzip-bars`) and
//! `<to>/<series>/<YYYY-MM-DD>.ticks.csv.gz` ticks, reads every written file back through the
//! catalog reader, and prints a summary (per source: files, rows, drops; per series: days,
//! rows, first and last day). Errors name the raw file, line and column and are printed on one
//! line, each cause once (exit code 1). Existing files of the same series and day are replaced;
//! nothing else in `--to` is touched.

use catalog::convert::{Converted, Source};
use catalog::{Catalog, CatalogError, FileKind};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Convert the raw sources of `shared/data/` into the canonical catalog format.
#[derive(Debug, Parser)]
#[command(name = "convert", version)]
struct Args {
    /// Raw data directory (the folder with `index-1min-2024/`, `nfo-ticks-2022-11-18/`, …).
    #[arg(long)]
    from: PathBuf,
    /// Catalog directory to write (created if missing).
    #[arg(long)]
    to: PathBuf,
    /// Only these source folders (comma-separated folder names); default: all convertible.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
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
    let sources: Vec<Source> = if args.only.is_empty() {
        Source::ALL.to_vec()
    } else {
        args.only
            .iter()
            .map(|name| {
                Source::from_dir_name(name).ok_or_else(|| CatalogError::File {
                    path: args.from.join(name),
                    message: format!(
                        "not a convertible source (known: {})",
                        Source::ALL.map(Source::dir_name).join(", ")
                    ),
                })
            })
            .collect::<Result<_, _>>()?
    };
    let converted = Converted::from_sources(&args.from, &sources)?;

    println!("sources ({}):", args.from.display());
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
