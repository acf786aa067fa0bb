//! `replay`: run real trading days through the engine with paper fills.
//!
//! ```text
//! cargo run -p replay -- --date 2024-06-03
//! cargo run --release -p replay -- --from 2024-01-01 --to 2024-08-20 --jobs 2
//! replay --grid sweeps/stops.toml --from 2024-01-01 --to 2024-08-20
//! replay --from 2024-01-01 --to 2024-08-20 --shard 0/3 --out run/0   # then:
//! replay merge run/0 run/1 run/2 --out run/all
//! replay --from 2024-06-03 --to 2024-06-14 --report      # + <out>/replay/report.html
//! replay report artifacts                                  # report of existing journals
//! replay compare artifacts journal --b-mode paper          # replay vs paper, seed 004 §9
//! ```
//! A replay writes `<out>/replay/<date>/` (orders, fills, trades, events, summary) and prints a
//! per-day and total summary. Days are independent (spec §3.1 rule 4) and run on a work-stealing
//! pool of `--jobs` threads; the output is the same bytes whatever the number. A sweep
//! (`--grid`) runs every parameter set of a grid file over the range ([`sweep`]); `--shard I/N`
//! (0-based `I`) runs a 1/N share and `replay merge` combines the shares ([`merge`]).
//! Exit code 0 on success, 1 on any error: `error: ` and each cause once on stderr (one line,
//! except a TOML error's caret snippet).

mod days;
mod grid;
mod merge;
mod pool;
mod record;
mod reporting;
mod shard;
mod stats;
mod storage;
mod sweep;
mod table;

use anyhow::{Result, bail};
use backtest::ReplayContext;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use config::Config;
use domain::Segment;
use record::ReplayShardFile;
use shard::Shard;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Replay historical trading days through the engine (paper fills, simulated clock).
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Combine the outputs of `--shard I/N` runs into the results of one run (summary table
    /// and day journals of a replay; results.csv and set directories of a sweep).
    Merge {
        /// Output directories of the shard runs (each one's `--out`).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged results go.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write `report.html` for existing journals: DIR is a journal root (the page covers every
    /// day under `DIR/<mode>/`) or a sweep directory holding `results.csv` (heat map + top sets).
    ///
    /// With `--store URL` instead of DIR, the same page from the database store's journals
    /// (issue 14): the days of `--mode` in `--from`..`--to` (or `--date`, default every day).
    Report {
        /// Journal root or sweep directory.
        #[arg(required_unless_present = "store", conflicts_with = "store")]
        dir: Option<PathBuf>,
        /// The journal's mode directory: `replay`, `paper` or `live`.
        #[arg(long, default_value = "replay")]
        mode: String,
        /// Read the journals from this store (`sqlite://PATH`, `postgres://USER@HOST:PORT/DB`).
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// With `--store`: one day, YYYY-MM-DD.
        #[arg(long, requires = "store", conflicts_with_all = ["from", "to"])]
        date: Option<NaiveDate>,
        /// With `--store`: first day (inclusive).
        #[arg(long, requires = "store")]
        from: Option<NaiveDate>,
        /// With `--store`: last day (inclusive).
        #[arg(long, requires = "store")]
        to: Option<NaiveDate>,
        /// With `--store`: where the page goes (default `<directory of a SQLite
        /// database>/<mode>/report.html`; required for PostgreSQL).
        #[arg(long, requires = "store")]
        html: Option<PathBuf>,
        /// Configuration file shown in the report.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Sweep heat map axes, two grid keys `X,Y` (default: the grid's first two keys).
        #[arg(long, value_parser = reporting::parse_heatmap)]
        heatmap: Option<(String, String)>,
    },
    /// Put two journals of the same dates side by side (replay vs paper, seed 004 §9): trades
    /// matched per day, differences in entry/exit price and net P&L, unmatched trades.
    Compare {
        /// First journal root.
        a: PathBuf,
        /// Second journal root.
        b: PathBuf,
        /// Mode directory of A.
        #[arg(long, default_value = "replay")]
        a_mode: String,
        /// Mode directory of B.
        #[arg(long, default_value = "paper")]
        b_mode: String,
        /// Also write the comparison as a page.
        #[arg(long)]
        html: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// One trading date, YYYY-MM-DD.
    #[arg(long, conflicts_with_all = ["from", "to"], required_unless_present = "from")]
    date: Option<NaiveDate>,
    /// First date of a range (inclusive).
    #[arg(long, requires = "to")]
    from: Option<NaiveDate>,
    /// Last date of a range (inclusive).
    #[arg(long, requires = "from")]
    to: Option<NaiveDate>,
    /// Segments to trade, comma-separated (overrides config), e.g. NIFTY,BANKNIFTY.
    #[arg(long, value_delimiter = ',')]
    segments: Option<Vec<Segment>>,
    /// Configuration file (TOML).
    #[arg(long, default_value = "config/default.toml")]
    config: PathBuf,
    /// Stock universe: a symbol list CSV with a `Symbol` column (seed 001's
    /// `symbol_list_live.csv`), one agent per symbol (overrides config `[universe] symbols`).
    #[arg(long, value_name = "FILE")]
    symbols: Option<PathBuf>,
    /// Keep the first N symbols of the list (overrides config `[universe] max_symbols`).
    #[arg(long, value_name = "N")]
    max_symbols: Option<usize>,
    /// Data catalog directory (overrides config `[data] dir`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Journal root (overrides config `[journal] root`); days go to `<out>/replay/<date>/`,
    /// sweeps to `<out>/sweep/<name>/`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print no progress bar.
    #[arg(long)]
    quiet: bool,
    /// Worker threads (default: the available cores); the output does not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Sweep: a TOML file of value lists keyed by config key paths; runs their cartesian
    /// product over the range and writes `<out>/sweep/<name>/results.csv`.
    #[arg(long, requires = "from", conflicts_with = "date")]
    grid: Option<PathBuf>,
    /// Sweep: also write every set's per-day journals (`<out>/sweep/<name>/<set>/replay/`).
    #[arg(long, requires = "grid")]
    journal: bool,
    /// Run only share I of N (0-based I, as JOB_COMPLETION_INDEX): every N-th date of the
    /// range (or parameter set of a sweep) from the I-th; `replay merge` combines the shares.
    #[arg(long, conflicts_with = "date")]
    shard: Option<Shard>,
    /// Also write one self-contained `report.html`: `<out>/replay/report.html` for a replay,
    /// `<out>/sweep/<name>/report.html` (heat map, top sets) for a sweep.
    #[arg(long)]
    report: bool,
    /// Database store for the journals (and the market data with `[data] source = "store"`):
    /// `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`; overrides `KESTREL_STORE_URL` and
    /// `[store] url` (default `sqlite://<out>/kestrel.db`).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Do not write the store this run (the CSV journals are written as always).
    #[arg(long, conflicts_with = "store")]
    no_store: bool,
    /// Sweep heat map axes, two grid keys `X,Y` (with `--report`; default: the first two).
    #[arg(long, requires = "grid", value_parser = reporting::parse_heatmap)]
    heatmap: Option<(String, String)>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KESTREL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Merge { dirs, out }) => merge::merge(&dirs, &out),
        Some(Command::Report {
            dir,
            mode,
            store,
            date,
            from,
            to,
            html,
            config,
            heatmap,
        }) => match (dir, store) {
            (Some(dir), _) => {
                reporting::report_dir(&dir, &mode, config.as_deref(), heatmap.as_ref())
            }
            (None, store) => reporting::report_store(&reporting::StoreReport {
                url: store.as_deref().unwrap_or_default(),
                mode: &mode,
                from: date.or(from),
                to: date.or(to),
                html: html.as_deref(),
                config: config.as_deref(),
            }),
        }
        .map(|p| format!("report: {}\n", p.display())),
        Some(Command::Compare {
            a,
            b,
            a_mode,
            b_mode,
            html,
        }) => reporting::compare(&a, &a_mode, &b, &b_mode, html.as_deref()),
        None => run(cli.run),
    };
    match result.and_then(|text| print(&text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli_error::one_cause_each(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// The report is built in memory and written at the end: a reader that stops early (`| head`)
/// ends the output, not the program with a panic.
fn print(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn run(a: RunArgs) -> Result<String> {
    let mut config = Config::load(&a.config)?;
    if let Some(segs) = &a.segments {
        config.engine.segments = segs.clone();
        config.validate().map_err(anyhow::Error::msg)?;
    }
    if let Some(f) = &a.symbols {
        config.universe.symbols = Some(f.clone());
    }
    if let Some(n) = a.max_symbols {
        config.universe.max_symbols = n;
    }
    config.expand_universe()?;
    let data_dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| config.data.dir.clone());
    let out = a.out.clone().unwrap_or_else(|| config.journal.root.clone());
    let store_url = storage::store_url(&config, &out, a.store.as_deref())?;
    // One parse per file for the whole run: warm-up days, premiums and sweep sets share it.
    let catalog = storage::catalog(&config, &data_dir, &store_url)?;
    let store_on = config.store.enabled && !a.no_store;
    let (from, to) = match (a.date, a.from, a.to) {
        (Some(d), _, _) => (d, d),
        (None, Some(f), Some(t)) if f <= t => (f, t),
        (None, Some(f), Some(t)) => bail!("--from {f} is after --to {t}"),
        _ => bail!("give --date or --from and --to"),
    };
    let dates: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let jobs = a.jobs.unwrap_or_else(pool::default_jobs);
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let shard = a.shard.unwrap_or(Shard::ALL);

    if let Some(grid_path) = &a.grid {
        let grid = grid::Grid::load(grid_path)?;
        let mut table = grid::config_table(&a.config)?;
        if let Some(segs) = &a.segments {
            let codes = segs.iter().map(|s| toml::Value::from(s.code())).collect();
            grid::set_key(&mut table, "engine.segments", toml::Value::Array(codes))?;
        }
        if let Some(f) = &a.symbols {
            let path = toml::Value::from(f.display().to_string());
            grid::set_key(&mut table, "universe.symbols", path)?;
        }
        if let Some(n) = a.max_symbols {
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            grid::set_key(&mut table, "universe.max_symbols", toml::Value::from(n))?;
        }
        let sets = grid.sets(&table, &a.config)?;
        // Opened once the input is known good: a bad grid leaves nothing behind.
        let writer = storage::open_writer(&config, &store_url, store_on, &a.config)?;
        let sweep_dir = sweep::sweep_dir(&out, &grid.name);
        let mut text = sweep::run(sweep::Sweep {
            store: writer.as_ref(),
            grid: &grid,
            sets,
            catalog,
            dates,
            shard,
            jobs,
            out: &out,
            journal: a.journal,
            quiet: a.quiet,
        })?;
        if a.report && shard.count == 1 {
            let page = reporting::sweep_report(&sweep_dir, a.heatmap.as_ref())?;
            let _ = writeln!(text, "report: {}", page.display());
        }
        if let Some(line) = storage::finish(writer) {
            let _ = writeln!(text, "{line}");
        }
        return Ok(text);
    }

    let single = a.date.is_some();
    let ctx = ReplayContext::new(config, catalog)?;
    let writer = storage::open_writer(&ctx.config, &store_url, store_on, &a.config)?;
    let picked: Vec<NaiveDate> = dates
        .iter()
        .enumerate()
        .filter(|(k, _)| shard.owns(*k))
        .map(|(_, d)| *d)
        .collect();
    let bar = pool::progress(picked.len(), "days", single || a.quiet);
    let days = pool::run_all(jobs, picked, &bar, |rt, date| {
        days::replay_date(&ctx, rt, date, Some(&out), writer.as_ref(), single)
    })?;
    bar.finish_and_clear();

    let mut o = String::new();
    if single && let Some(d) = days.first() {
        table::trades(&mut o, d.trades());
        let dir = out.join("replay").join(d.date.to_string());
        let _ = writeln!(o, "journal: {}", dir.display());
    }
    let segments = ctx.config.engine.segments.clone();
    table::summary(&mut o, &days, &segments, &out, single);
    if shard.count > 1 {
        let file = write_shard_file(&out, from, to, shard, segments, days)?;
        let _ = writeln!(
            o,
            "shard {shard}: {} (combine with `replay merge`)",
            file.display()
        );
    } else if a.report {
        let page = reporting::replay_report(&out, from, to, &a.config)?;
        let _ = writeln!(o, "report: {}", page.display());
    }
    if let Some(line) = storage::finish(writer) {
        let _ = writeln!(o, "{line}");
    }
    Ok(o)
}

/// `<out>/shards/replay-<I>-of-<N>.json`: what `replay merge` needs of this share.
fn write_shard_file(
    out: &Path,
    from: NaiveDate,
    to: NaiveDate,
    shard: Shard,
    segments: Vec<Segment>,
    days: Vec<record::DayRecord<domain::Trade>>,
) -> Result<PathBuf> {
    let dir = out.join("shards");
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let path = dir.join(ReplayShardFile::file_name(shard));
    let file = ReplayShardFile {
        from,
        to,
        shard,
        segments,
        days,
    };
    std::fs::write(&path, serde_json::to_vec(&file)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(path)
}
