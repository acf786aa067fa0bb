//! Running independent replay days (spec §3.1 rule 4) on a rayon work-stealing pool of
//! `--jobs` threads. Each worker drives its days on a current-thread tokio runtime of its own;
//! results come back in input order, so whatever the number of threads the caller sees the
//! same sequence (and prints the same bytes).

use anyhow::{Context, Result, anyhow};
use indicatif::ProgressBar;
use rayon::prelude::*;
use tokio::runtime::Runtime;

/// Stack of a pool thread: the engine's futures are driven with `block_on` on the worker's
/// own stack (8 MiB, as the main thread has).
const STACK_BYTES: usize = 8 << 20;

/// `--jobs` default: the number of cores available to this process.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f(runtime, item)` for every item on `jobs` threads; the results in item order. `bar`
/// advances once per item.
pub fn run_all<I, T, F>(jobs: usize, items: Vec<I>, bar: &ProgressBar, f: F) -> Result<Vec<T>>
where
    I: Send,
    T: Send,
    F: Fn(&Runtime, I) -> Result<T> + Sync + Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .stack_size(STACK_BYTES)
        .thread_name(|i| format!("replay-{i}"))
        .build()
        .context("starting the worker pool")?;
    let results: Vec<Result<T>> = pool.install(|| {
        items
            .into_par_iter()
            .map_init(
                || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                },
                |rt, item| {
                    let r = match rt {
                        Ok(rt) => f(rt, item),
                        Err(e) => Err(anyhow!("tokio runtime: {e}")),
                    };
                    bar.inc(1);
                    r
                },
            )
            .collect()
    });
    // The first error in item order: the one a sequential run would have stopped at.
    results.into_iter().collect()
}

/// The progress bar of a run: hidden when `hidden`, else `len` steps with ETA on stderr.
pub fn progress(len: usize, unit: &str, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} [{{elapsed}} < {{eta}}]");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}
