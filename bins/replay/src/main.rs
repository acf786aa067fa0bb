//! `replay`: run real trading days through the engine with paper fills.
//!
//! ```text
//! cargo run -p replay -- --date 2024-06-03
//! cargo run --release -p replay -- --from 2024-01-01 --to 2024-08-20
//! ```
//! Writes `artifacts/replay/<date>/` (orders, fills, trades, events, summary) and prints a
//! per-day and total summary. Exit code 0 on success, 1 on any error: `error: ` and each cause
//! once on stderr (one line, except a TOML error's caret snippet).

use anyhow::{Context, Result, bail};
use backtest::{ReplayContext, ReplayError, replay_day};
use chrono::NaiveDate;
use clap::Parser;
use config::Config;
use domain::{Decimal, Segment, Trade};
use journal::{CsvJournal, SegmentSummary};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Replay historical trading days through the engine (paper fills, simulated clock).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
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
    /// Data catalog directory (overrides config `[data] dir`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Journal root (overrides config `[journal] root`); days go to `<out>/replay/<date>/`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print no progress bar.
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KESTREL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli_error::one_cause_each(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let mut config = Config::load(&cli.config)?;
    if let Some(segs) = cli.segments {
        config.engine.segments = segs;
        config.validate().map_err(anyhow::Error::msg)?;
    }
    let data_dir = cli.data_dir.unwrap_or_else(|| config.data.dir.clone());
    let out = cli.out.unwrap_or_else(|| config.journal.root.clone());
    let catalog = catalog::Catalog::open(&data_dir)?;
    let ctx = ReplayContext::new(config, catalog)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;

    let single = cli.date.is_some();
    let (from, to) = match (cli.date, cli.from, cli.to) {
        (Some(d), _, _) => (d, d),
        (None, Some(f), Some(t)) if f <= t => (f, t),
        (None, Some(f), Some(t)) => bail!("--from {f} is after --to {t}"),
        _ => bail!("give --date or --from and --to"),
    };
    let dates: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let bar = if single || cli.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(dates.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} days {msg} [{elapsed}]")
        {
            b.set_style(style);
        }
        b
    };

    // The report is built in memory and written at the end: a reader that stops early
    // (`| head`) ends the output, not the program with a panic.
    let mut out_text = String::new();
    let o = &mut out_text;
    let mut all: Vec<Trade> = Vec::new();
    let mut days = Vec::new();
    let mut skipped_no_data = Vec::new();
    let mut non_trading = 0usize;
    for date in dates {
        bar.set_message(date.to_string());
        match ctx.check_date(date) {
            Ok(()) => {}
            Err(e @ (ReplayError::NotTradingDay { .. } | ReplayError::NoData(_))) if !single => {
                if matches!(e, ReplayError::NoData(_)) {
                    skipped_no_data.push(date);
                } else {
                    non_trading += 1;
                }
                bar.inc(1);
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let journal = CsvJournal::create(&out, "replay", date)?;
        let dir = journal.dir().to_path_buf();
        let report = rt.block_on(replay_day(&ctx, date, Box::new(journal)))?;
        if single {
            print_trades(o, &report.trades);
            let _ = writeln!(o, "journal: {}", dir.display());
        }
        all.extend(report.trades.iter().cloned());
        days.push((date, report.summary.total.clone()));
        bar.inc(1);
    }
    bar.finish_and_clear();

    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<12} {:>6} {:>5} {:>8} {:>13} {:>11} {:>13} {:>11}",
        "date", "trades", "wins", "win%", "gross ₹", "charges ₹", "net ₹", "max DD ₹"
    );
    for (d, s) in &days {
        print_row(o, &d.to_string(), s);
    }
    let total = SegmentSummary::from_trades(&all);
    let _ = writeln!(o, "{}", "-".repeat(86));
    print_row(o, &format!("TOTAL {}d", days.len()), &total);
    if !single {
        for seg in &ctx.config.engine.segments {
            let s = SegmentSummary::from_trades(all.iter().filter(|t| t.segment == *seg));
            print_row(o, &format!("  {seg}"), &s);
        }
        if non_trading > 0 {
            let _ = writeln!(o, "{non_trading} non-trading days in the range skipped");
        }
        if !skipped_no_data.is_empty() {
            let list: Vec<String> = skipped_no_data.iter().map(|d| d.to_string()).collect();
            let _ = writeln!(
                o,
                "{} trading days without data skipped: {}",
                list.len(),
                list.join(", ")
            );
        }
        let _ = writeln!(o, "journals: {}/replay/<date>/", out.display());
    }
    match std::io::stdout().lock().write_all(out_text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn print_row(o: &mut String, label: &str, s: &SegmentSummary) {
    let _ = writeln!(
        o,
        "{:<12} {:>6} {:>5} {:>8} {:>13} {:>11} {:>13} {:>11}",
        label, s.trades, s.wins, s.win_rate_pct, s.gross_pnl, s.charges, s.net_pnl, s.max_drawdown
    );
}

fn print_trades(o: &mut String, trades: &[Trade]) {
    if trades.is_empty() {
        let _ = writeln!(o, "no trades");
        return;
    }
    let _ = writeln!(
        o,
        "{:<10} {:<7} {:<20} {:>5} {:<8} {:>10} {:<8} {:>10} {:<4} {:>8} {:>8} {:>10}",
        "segment",
        "signal",
        "option",
        "qty",
        "entry",
        "index",
        "exit",
        "index",
        "why",
        "prem in",
        "prem out",
        "net ₹"
    );
    for t in trades {
        let _ = writeln!(
            o,
            "{:<10} {:<7} {:<20} {:>5} {:<8} {:>10} {:<8} {:>10} {:<4} {:>8} {:>8} {:>10}",
            t.segment.code(),
            t.signal_type.code().trim_start_matches("BUY_"),
            t.option_symbol,
            t.quantity,
            t.entry_time.format("%H:%M:%S"),
            t.index_entry_spot,
            t.exit_time.format("%H:%M:%S"),
            t.index_exit_spot,
            t.exit_reason.code(),
            t.entry_price,
            t.exit_price,
            t.net_pnl
        );
    }
    let net: Decimal = trades.iter().map(|t| t.net_pnl).sum();
    let _ = writeln!(o, "{} trades, net ₹{net}", trades.len());
}
