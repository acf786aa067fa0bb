//! The command line shared by `paper` and `live-bin` (spec §1, §10.6, §14: CLI flags
//! override the config).

use crate::session::{
    SessionError, SessionKind, SessionOptions, SessionOutcome, Stop, check_guardrails, run_session,
};
use crate::supervisor::{SessionEnd, Supervisor, needs_login};
use chrono::NaiveDate;
use clap::Parser;
use config::Config;
use domain::Segment;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
    /// The console's socket address (default: the config's `[http] bind`, `127.0.0.1:8000`;
    /// port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub http_bind: Option<std::net::SocketAddr>,
    /// No console: the session runs exactly as without one (the process ends with it).
    #[arg(long, conflicts_with_all = ["http_bind", "allow_remote", "idle"])]
    pub no_http: bool,
    /// Allow a non-loopback `--http-bind` (the console can place orders: a warning is printed).
    #[arg(long)]
    pub allow_remote: bool,
    /// Start no session at launch: wait for `POST /live/start-trading` from the console; the
    /// process then stays up after a session ends.
    #[arg(long)]
    pub idle: bool,
    /// Database store for journals and recorded market data: `sqlite://PATH` or
    /// `postgres://USER@HOST:PORT/DB` (overrides `KESTREL_STORE_URL` and `[store] url`; a
    /// password belongs in the environment variable or the config file, not here).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// No database store this run (the CSV journals are written as always).
    #[arg(long, conflicts_with = "store")]
    pub no_store: bool,
    /// Do not record the session's market data (`[data] record = false`).
    #[arg(long)]
    pub no_record: bool,
}

/// The console's settings, resolved from the flags over the config's `[http]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Socket address to listen on.
    pub bind: std::net::SocketAddr,
    /// A non-loopback bind was allowed (`--allow-remote` or `[http] allow_remote`).
    pub allow_remote: bool,
    /// The API token file (`[http] token_file`, else `<journal root>/api_token`).
    pub token_file: PathBuf,
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
    /// The console's settings (`None` with `--no-http`).
    ///
    /// # Errors
    /// A non-loopback address without `--allow-remote` / `[http] allow_remote`.
    pub fn http(&self, opts: &SessionOptions) -> Result<Option<HttpOptions>, String> {
        if self.no_http {
            return Ok(None);
        }
        let http = &opts.config.http;
        let bind = self.http_bind.unwrap_or(http.bind);
        let allow_remote = self.allow_remote || http.allow_remote;
        if !bind.ip().is_loopback() && !allow_remote {
            return Err(format!(
                "--http-bind {bind} is not a loopback address: pass --allow-remote (or set [http] allow_remote = true) to serve the console beyond this machine"
            ));
        }
        Ok(Some(HttpOptions {
            bind,
            allow_remote,
            token_file: http.token_file(&opts.journal_root),
        }))
    }

    /// Resolve the flags over the config file.
    ///
    /// # Errors
    /// The config file is unreadable or invalid (the message names the file and key).
    pub fn options(&self, kind: SessionKind) -> Result<SessionOptions, String> {
        let mut config = Config::load(&self.config).map_err(|e| e.to_string())?;
        if let Some(s) = &self.segments {
            config.engine.segments = s.clone();
        }
        config.store.cli_url = self.store.clone();
        if self.no_store {
            config.store.enabled = false;
        }
        if self.no_record {
            config.data.record = false;
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

/// Serve the console (spec §12) for `supervisor` on `http` until the process ends: the API
/// token from `KESTREL_API_TOKEN` or the 0600 token file (its path is printed, never the
/// token), then [`console::server::Console`] on the address.
///
/// # Errors
/// The token file cannot be read or written, the address cannot be bound, or serving fails.
async fn serve_console(
    name: &'static str,
    supervisor: Arc<Supervisor>,
    http: HttpOptions,
) -> Result<(), String> {
    use console::auth::{ApiToken, TokenSource};
    use console::server::{Console, ConsoleConfig};
    let (token, source) =
        ApiToken::from_env_or_file(&http.token_file).map_err(|e| e.to_string())?;
    let console = Console::bind(
        ConsoleConfig {
            bind: http.bind,
            allow_remote: http.allow_remote,
            token,
        },
        supervisor,
    )
    .await
    .map_err(|e| e.to_string())?;
    let from = match source {
        TokenSource::Env => "KESTREL_API_TOKEN".to_string(),
        TokenSource::File { path, created } => format!(
            "{}{}",
            path.display(),
            if created { " (new, mode 0600)" } else { "" }
        ),
    };
    eprintln!(
        "{name}: console on http://{}/  (API token: {from})",
        console.local_addr()
    );
    console
        .run(std::future::pending())
        .await
        .map_err(|e| e.to_string())
}

/// `paper`/`live-bin`: parse, run until the close or Ctrl+C, print the day. With the console
/// on (no `--no-http`), sessions run under a [`Supervisor`] served by the console
/// (`serve_console`). Exit codes: 0
/// done, 1 error, 2 refused by a guardrail.
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
    let http = match args.http(&opts) {
        Ok(h) => h,
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
    let Some(http) = http else {
        // `--no-http`: exactly the session of old.
        if opts.config.telegram.enabled {
            eprintln!("{name}: [telegram] is a client of the console: not started with --no-http");
        }
        let shutdown = async {
            ctrl_c().await;
            eprintln!("{name}: Ctrl+C: stopping entries, writing the checkpoint …");
        };
        return exit_for(name, rt.block_on(run_session(opts, shutdown)));
    };
    rt.block_on(supervised(name, kind, opts, http, args.idle))
}

async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The console's process: a supervisor, the server, the session (unless `idle`).
async fn supervised(
    name: &'static str,
    kind: SessionKind,
    opts: SessionOptions,
    http: HttpOptions,
    idle: bool,
) -> ExitCode {
    if !idle
        && let Err(e) = check_guardrails(kind, &opts.config, &opts.config_path, opts.confirm_live)
    {
        eprintln!("{name}: {}", cli_error::one_cause_each(&e));
        return ExitCode::from(2);
    }
    let (supervisor, mut ends) = match Supervisor::new(opts.clone()) {
        Ok(s) => s,
        Err(e) => return exit_for(name, Err(e)),
    };
    if http.allow_remote && !http.bind.ip().is_loopback() {
        eprintln!(
            "{name}: WARNING: the console listens on {} beyond this machine: anyone who reaches it with the API token can {} orders",
            http.bind,
            if kind == SessionKind::Live {
                "place REAL"
            } else {
                "place paper"
            }
        );
    }
    let mut server = tokio::spawn(serve_console(name, supervisor.clone(), http.clone()));
    let telegram = match crate::notify::start(name, &opts.config.telegram, supervisor.clone()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(1);
        }
    };
    if idle {
        eprintln!(
            "{name}: --idle: no session started; POST /live/start-trading on http://{} starts one",
            http.bind
        );
    } else if let Err(e) = supervisor.start_session(opts).await {
        if needs_login(&e) {
            eprintln!(
                "{name}: {}; the console on http://{} is waiting for a Kite login (then POST /live/start-trading)",
                cli_error::one_cause_each(&e),
                http.bind
            );
        } else {
            return exit_for(name, Err(e));
        }
    }
    let code = loop {
        tokio::select! {
            () = ctrl_c() => {
                eprintln!("{name}: Ctrl+C: stopping entries, writing the checkpoint …");
                if !supervisor.stop(Stop::ctrl_c()).await {
                    break ExitCode::SUCCESS;
                }
                break match ends.recv().await {
                    Some(SessionEnd { result }) => exit_for(name, result),
                    None => ExitCode::SUCCESS,
                };
            }
            end = ends.recv() => {
                let Some(SessionEnd { result }) = end else {
                    break ExitCode::SUCCESS;
                };
                if idle {
                    print_end(name, &result);
                    continue;
                }
                break exit_for(name, result);
            }
            r = &mut server => {
                let why = match r {
                    Ok(Ok(())) => "the console server stopped".to_string(),
                    Ok(Err(e)) => format!("console: {e}"),
                    Err(e) => format!("console task: {e}"),
                };
                eprintln!("{name}: {why}");
                if supervisor.stop(Stop::ctrl_c()).await
                    && let Some(SessionEnd { result }) = ends.recv().await
                {
                    print_end(name, &result);
                }
                break ExitCode::from(1);
            }
        }
    };
    if let Some(t) = telegram {
        t.finish().await;
    }
    code
}

fn print_outcome(name: &str, out: &SessionOutcome) {
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
            tr.direction(),
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
}

/// Print a session's end (the outcome, or the error on stderr).
fn print_end(name: &str, result: &Result<SessionOutcome, SessionError>) {
    match result {
        Ok(out) => print_outcome(name, out),
        Err(e) => eprintln!("{name}: {}", cli_error::one_cause_each(e)),
    }
}

/// Print a session's end and its exit code: 0 done, 2 refused, 1 any other error.
fn exit_for(name: &str, result: Result<SessionOutcome, SessionError>) -> ExitCode {
    print_end(name, &result);
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(SessionError::Refused(_)) => ExitCode::from(2),
        Err(_) => ExitCode::from(1),
    }
}
