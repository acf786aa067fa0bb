//! `kite-sim`: a Kite Connect simulator on loopback streaming one catalog day (spec §10.4):
//! the config's indices and its `[universe]` stocks (their NSE shares, issue 15).
//!
//! ```text
//! kite-sim --date 2024-06-03 [--config config/default.toml] [--data-dir DIR]
//!          [--segments NIFTY,BANKNIFTY] [--speed max|60] [--port 8800]
//!          [--session-file artifacts/sim/kite_session.json]
//!          [--fault HH:MM:SS=KIND[:ARG]]... [--exit-when-done] [--grace-secs 5]
//! ```
//!
//! Point `paper` / `live-bin` at it with `[kite] api_base_url = "http://127.0.0.1:8800"`,
//! `ticker_url = "ws://127.0.0.1:8800/ws"`, `session_file = "artifacts/sim/kite_session.json"`.
//! Streaming starts when the engine subscribes; Ctrl+C stops. The access token is never
//! printed (it is in the session file, mode 0600). `POST /sim/advance {"until":"HH:MM:SS"}`
//! moves the day on while no engine listens (see `--help`).

use anyhow::{Context, Result, anyhow};
use chrono::{NaiveDate, NaiveTime};
use clap::Parser;
use domain::Segment;
use kite_sim::{Fault, Simulator, Speed};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The control endpoints, shown after `--help`.
const CONTROL: &str = "Control endpoints (no auth, 127.0.0.1):
  GET  /sim/status                     clock (sim_time), counters, connections
  GET  /sim/orders                     the order book with status histories and fills
  POST /sim/faults  {\"kind\":...}       inject a fault now (see --fault)
  POST /sim/advance {\"until\":\"HH:MM:SS\"}
                                       stream up to and including that IST time even while
                                       no client listens (unpaced then); resting SL orders
                                       trigger on the way (an engine down while its stop
                                       fills). Answers when done; the stream then holds
                                       again until a client subscribes.
The book, trades and positions outlive client restarts.";

/// A Kite Connect compatible simulator (REST + binary WebSocket ticker) on 127.0.0.1 that
/// streams one trading day from the data catalog, fills orders against it and can inject
/// faults.
#[derive(Debug, Parser)]
#[command(name = "kite-sim", version, after_help = CONTROL)]
struct Cli {
    /// Trading day to stream, YYYY-MM-DD (needs catalog files for each segment).
    #[arg(long, value_parser = parse_date)]
    date: NaiveDate,
    /// Engine configuration (IVs, rate, strike steps, lot sizes, segments, data dir).
    #[arg(long, default_value = "config/default.toml")]
    config: PathBuf,
    /// Data catalog directory (default: the config's [data] dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Indices to stream, comma separated (default: the config's [engine] segments); the
    /// config's [universe] stocks are streamed either way.
    #[arg(long, value_delimiter = ',')]
    segments: Vec<Segment>,
    /// `max` (as fast as the client reads) or a factor of real time.
    #[arg(long, default_value = "60")]
    speed: Speed,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8800)]
    port: u16,
    /// Session file to write for the client (user SIM001, API key, access token; mode 0600).
    #[arg(long, default_value = "artifacts/sim/kite_session.json")]
    session_file: PathBuf,
    /// Scheduled fault `HH:MM:SS=KIND[:ARG[:ARG]]` (IST time of the stream), repeatable.
    /// KIND: drop_socket, stall_feed:SECS, delay_placement:MS[:COUNT],
    /// reject_orders[:COUNT[:MESSAGE]], expire_token, restore_token, rate_limit[:COUNT].
    #[arg(long = "fault", value_parser = kite_sim::fault::parse_scheduled)]
    faults: Vec<(NaiveTime, Fault)>,
    /// Exit after the day's closing frame and a grace period (else serve until Ctrl+C).
    #[arg(long)]
    exit_when_done: bool,
    /// Grace period before exiting with --exit-when-done, seconds.
    #[arg(long, default_value_t = 5)]
    grace_secs: u64,
    /// Keep streaming while no client is connected (ticks are lost on a drop).
    #[arg(long)]
    no_hold: bool,
    /// The API key clients must use.
    #[arg(long, default_value = "kestrel-sim")]
    api_key: String,
    /// Check the login checksum against this API secret (default: accept any).
    #[arg(long)]
    api_secret: Option<String>,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("`{s}` is not YYYY-MM-DD"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                print!("{e}");
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("bad arguments");
            eprintln!(
                "kite-sim: {} (see --help)",
                line.trim_start_matches("error: ")
            );
            return ExitCode::from(1);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kite-sim: error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(run(cli));
    rt.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kite-sim: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let config = config::Config::load(&cli.config).map_err(|e| anyhow!("--config {e}"))?;
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(|| config.data.dir.clone());
    let streamed = kite_sim_cli::sim_segments(&config).map_err(|e| anyhow!("--config {e}"))?;
    let mut cfg = kite_sim_cli::sim_config(cli.date, &config, data_dir);
    cfg.segments = streamed;
    if !cli.segments.is_empty() {
        // `--segments` picks the indices; the config's stocks stay.
        let stocks = cfg
            .segments
            .iter()
            .filter(|s| s.symbol().is_some())
            .copied();
        let mut segs: Vec<Segment> = cli.segments.iter().copied().chain(stocks).collect();
        segs.sort();
        segs.dedup();
        cfg.segments = segs;
    }
    cfg.speed = cli.speed;
    cfg.bind = SocketAddr::from((Ipv4Addr::LOCALHOST, cli.port));
    cfg.api_key = cli.api_key.clone();
    cfg.api_secret = cli.api_secret.clone();
    cfg.hold_while_disconnected = !cli.no_hold;
    cfg.faults = cli.faults.clone();
    let list = |stock: bool| {
        let codes: Vec<&str> = cfg
            .segments
            .iter()
            .filter(|s| s.symbol().is_some() == stock)
            .map(|s| s.code())
            .collect();
        codes.join(",")
    };
    let (indices, stocks) = (list(false), list(true));
    let segments = match (indices.is_empty(), stocks.is_empty()) {
        (_, true) => indices,
        (true, false) => format!("stocks {stocks}"),
        (false, false) => format!("{indices} + stocks {stocks}"),
    };
    let sim = Simulator::start(cfg).await.map_err(|e| match e {
        kite_sim::SimError::Bind { addr, reason } => {
            anyhow!("--port {}: cannot listen on {addr}: {reason}", cli.port)
        }
        other => anyhow!(other),
    })?;
    sim.write_session_file(&cli.session_file)
        .with_context(|| "--session-file")?;
    let base = sim.base_url();
    let ticker = sim.ticker_url();
    let session = cli.session_file.display();
    println!(
        "kite-sim: {} {segments} at {} | REST {base} | ticker {ticker} | session {session} | next: in your config's [kite] set api_base_url = \"{base}\", ticker_url = \"{ticker}\", session_file = \"{session}\", then start `paper` or `live-bin` (streaming starts when it subscribes; Ctrl+C stops)",
        cli.date, cli.speed,
    );
    let mut progress = tokio::time::interval(Duration::from_secs(5));
    progress.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_line = String::new();
    let mut finished = false;
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                r.context("Ctrl+C handler")?;
                println!("kite-sim: stopping (Ctrl+C)");
                break;
            }
            () = sim.wait_finished(), if !finished => {
                finished = true;
                let s = sim.status();
                println!(
                    "kite-sim: day {} finished: {} ticks, {} orders{}",
                    s.date,
                    s.ticks_sent,
                    s.orders,
                    if cli.exit_when_done { format!("; exiting in {} s", cli.grace_secs) } else { "; still serving REST (Ctrl+C stops)".to_string() },
                );
                if cli.exit_when_done {
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(cli.grace_secs)) => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                    break;
                }
            }
            _ = progress.tick() => {
                let s = sim.status();
                let line = format!(
                    "kite-sim: {} IST | frames {}/{} | ticks {} | clients {} | orders {} (open {}){}{}",
                    s.sim_time.format("%H:%M:%S"),
                    s.frames_done,
                    s.frames_total,
                    s.ticks_sent,
                    s.connections,
                    s.orders,
                    s.open_orders,
                    if s.started { "" } else { " | waiting for a ticker subscription" },
                    if s.stalled { " | stalled" } else if s.token_expired { " | token expired" } else { "" },
                );
                if line != last_line {
                    println!("{line}");
                    last_line = line;
                }
            }
        }
    }
    sim.shutdown().await;
    Ok(())
}
