//! `catalog`: move market data between the file catalog (spec §9) and the database store
//! (issue 14), and fill it from ICICI Breeze (issue 15).
//!
//! ```text
//! catalog import                                   # data/ → the store ([store] url, default artifacts/kestrel.db)
//! catalog import --series NIFTY,BANKNIFTY --from 2024-06-03 --to 2024-06-14 --store postgres://kestrel@127.0.0.1/kestrel
//! catalog export --out /tmp/catalog [--gz] [--overwrite]   # the store → catalog files
//! catalog fetch --source breeze --series NIFTY --from 2024-06-03 --to 2024-06-14 [--out DIR]   # ICICI Breeze → catalog files (fetch.rs)
//! ```
//!
//! The store URL: `--store`, else `KESTREL_STORE_URL`, else `[store] url` of `--config`, else
//! `sqlite://<journal root>/kestrel.db`. Each series-day is one transaction: an interrupted
//! import leaves whole days. Exit code 0 on success, 1 on any error (one line on stderr,
//! naming the file, line and field, or the database with its password redacted).

mod fetch;

use anyhow::Result;
use catalog::Catalog;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use config::Config;
use std::path::PathBuf;
use std::process::ExitCode;
use store::import::{CopyStats, Selection, export_catalog, import_catalog};
use store::{Store, StoreUrl};

#[derive(Debug, Parser)]
#[command(
    name = "catalog",
    about = "Import the data catalog into the database store, export it back, or fetch days from ICICI Breeze"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load catalog files into the store (replacing the days stored already).
    Import {
        #[command(flatten)]
        common: Common,
        /// Catalog directory (default: `[data] dir` of the config).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Write the store's market data as catalog files.
    Export {
        #[command(flatten)]
        common: Common,
        /// Catalog directory to write (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Write `.csv.gz` files.
        #[arg(long)]
        gz: bool,
        /// Replace day files that exist (default: keep them).
        #[arg(long)]
        overwrite: bool,
    },
    /// Fetch days from a historical data source (ICICI Breeze) into catalog files.
    Fetch(fetch::FetchArgs),
}

#[derive(Debug, Args)]
struct Common {
    /// Configuration file (TOML): `[store] url`, `[data] dir`, `[journal] root`.
    #[arg(long, default_value = "config/default.toml")]
    config: PathBuf,
    /// Store URL: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB` (overrides the config).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Only these series, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    series: Vec<String>,
    /// First day, inclusive.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last day, inclusive.
    #[arg(long)]
    to: Option<NaiveDate>,
}

impl Common {
    fn open(&self) -> Result<(Config, StoreUrl, Selection)> {
        let config = Config::load(&self.config)?;
        let url = StoreUrl::resolve(
            self.store.as_deref(),
            &config.store.url_or_default(&config.journal.root),
        )?;
        let sel = Selection {
            series: self.series.clone(),
            from: self.from,
            to: self.to,
        };
        Ok((config, url, sel))
    }
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
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", cli_error::one_cause_each(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn line(verb: &str, url: &StoreUrl, st: &CopyStats) -> String {
    format!(
        "{verb} {url}: {} series, {} bar days ({} bars), {} tick days ({} ticks){}, {:.2} s, {:.0} rows/s\n",
        st.series,
        st.bar_days,
        st.bars,
        st.tick_days,
        st.ticks,
        if st.skipped > 0 {
            format!(", {} days kept (exist)", st.skipped)
        } else {
            String::new()
        },
        st.elapsed.as_secs_f64(),
        st.rows_per_sec()
    )
}

async fn run(cmd: Command) -> Result<String> {
    match cmd {
        Command::Fetch(args) => fetch::run(args).await,
        Command::Import { common, data_dir } => {
            let (config, url, sel) = common.open()?;
            let cat = Catalog::open(data_dir.unwrap_or(config.data.dir))?;
            let store = Store::connect(&url).await?;
            let st = import_catalog(&cat, &store, &sel, |series, st| {
                tracing::info!(series, bars = st.bars, ticks = st.ticks, "imported");
            })
            .await?;
            store.close().await;
            Ok(line("imported into", &url, &st))
        }
        Command::Export {
            common,
            out,
            gz,
            overwrite,
        } => {
            let (_, url, sel) = common.open()?;
            let cat = Catalog::create(&out)?;
            let store = Store::connect(&url).await?;
            let st = export_catalog(&store, &cat, &sel, gz, overwrite).await?;
            store.close().await;
            Ok(line(
                &format!("exported to {} from", out.display()),
                &url,
                &st,
            ))
        }
    }
}
