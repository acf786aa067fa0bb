//! The command line shared by `paper` and `live-bin` (spec §1, §10.6, §14: CLI flags
//! override the config).

use crate::session::{SessionError, SessionKind, SessionOptions, run_session};
use chrono::NaiveDate;
use clap::Parser;
use config::Config;
use domain::Segment;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `paper` and `live-bin`.
#[derive(Debug, Clone, Parser)]
pub struct SessionArgs {
    /// Config file (TOML, spec §14); may `include = "default.toml"` and override it.
    #[arg(long, default_value = "config/default.toml")]
    pub config: PathBuf,
    /// Trading date, YYYY-MM-DD (default: today in IST). Against the simulator, its date.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Segments to trade, e.g. NIFTY,BANKNIFTY (default: the config's).
    #[arg(long, value_delimiter = ',')]
    pub segments: Option<Vec<Segment>>,
    /// Journal root (default: the config's `[journal] root`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// live-bin only: confirm that REAL orders may be placed (spec §10.6).
    #[arg(long)]
    pub confirm_live: bool,
    /// On Ctrl+C, close open positions before exiting (default: leave them).
    #[arg(long)]
    pub square_off_on_exit: bool,
    /// Positions and open orders at the broker that the engine does not know (found when
    /// reconciling at start, spec §11): `adopt` manages them, `flatten` sells/cancels them.
    /// Without it they block entries until resolved.
    #[arg(long, value_name = "adopt|flatten")]
    pub resolve_unknown: Option<ResolveArg>,
}

/// `--resolve-unknown` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResolveArg {
    /// Manage unknown positions as the engine's; leave unknown open orders alone.
    Adopt,
    /// Sell unknown positions at market; cancel unknown open orders.
    Flatten,
}

impl SessionArgs {
    /// Resolve the flags over the config file.
    ///
    /// # Errors
    /// The config file is unreadable or invalid (the message names the file and key).
    pub fn options(&self, kind: SessionKind) -> Result<SessionOptions, String> {
        let mut config = Config::load(&self.config).map_err(|e| e.to_string())?;
        if let Some(s) = &self.segments {
            config.engine.segments = s.clone();
        }
        let date = self.date.unwrap_or_else(|| {
            chrono::Utc::now()
                .with_timezone(&domain::time::IST)
                .date_naive()
        });
        let journal_root = self
            .out
            .clone()
            .unwrap_or_else(|| config.journal.root.clone());
        Ok(SessionOptions {
            kind,
            config,
            config_path: self.config.clone(),
            date,
            journal_root,
            confirm_live: self.confirm_live,
            square_off_on_exit: self.square_off_on_exit,
            resolve_unknown: self.resolve_unknown.map(|r| match r {
                ResolveArg::Adopt => engine::reconcile::Resolve::Adopt,
                ResolveArg::Flatten => engine::reconcile::Resolve::Flatten,
            }),
        })
    }
}

/// Logs to stderr; `KESTREL_LOG` sets the filter (default `info`). Secrets never reach the
/// log: the Kite types redact them.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KESTREL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The whole `main` of `paper` and `live-bin`: parse, run until the close or Ctrl+C, print
/// the day. Exit codes: 0 done, 1 error, 2 refused by a guardrail.
pub fn main(kind: SessionKind) -> ExitCode {
    let args = SessionArgs::parse();
    init_logging();
    let name = match kind {
        SessionKind::Paper => "paper",
        SessionKind::Live => "live-bin",
    };
    let opts = match args.options(kind) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(1);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let shutdown = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        eprintln!("{name}: Ctrl+C: stopping entries, writing the checkpoint …");
    };
    match rt.block_on(run_session(opts, shutdown)) {
        Ok(out) => {
            let t = &out.report.summary.total;
            println!(
                "{name} {}: {} trades, win rate {}%, net ₹{}{}",
                out.report.summary.date,
                t.trades,
                t.win_rate_pct,
                t.net_pnl,
                if out.interrupted {
                    " (interrupted)"
                } else {
                    ""
                }
            );
            for tr in &out.report.trades {
                println!(
                    "  {} {} {} {} → {} {} lots {} net ₹{}",
                    tr.segment.code(),
                    tr.signal_type.code(),
                    tr.option_symbol,
                    domain::time::fmt_iso(&tr.entry_time),
                    domain::time::fmt_iso(&tr.exit_time),
                    tr.exit_reason.code(),
                    tr.lots,
                    tr.net_pnl
                );
            }
            println!("journal: {}", out.journal_dir.display());
            println!("checkpoint: {}", out.checkpoint.display());
            ExitCode::SUCCESS
        }
        Err(e @ SessionError::Refused(_)) => {
            eprintln!("{name}: {}", cli_error::one_cause_each(&e));
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{name}: {}", cli_error::one_cause_each(&e));
            ExitCode::from(1)
        }
    }
}
