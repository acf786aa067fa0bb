//! Build a large stock universe for the scanner's scale benchmark (issue 15,
//! `docs/benchmarks.md`): `N` symbols over the five shipped 2025 1-minute stock series.
//!
//! ```text
//! cargo run --release -p replay --example bench_universe -- data /tmp/universe 200
//! target/release/replay --config config/scanner.toml --data-dir /tmp/universe \
//!     --symbols /tmp/universe/symbols.csv --from 2025-03-03 --to 2025-04-01 --no-store --quiet
//! ```
//!
//! Symbol `k` is `<SOURCE>-B<k>` (e.g. `RELIANCE-B005`): its series directory is a symbolic link
//! to the real series `RELIANCE`, its `instruments.csv` row a made-up unique token
//! (exchange token 900000 + k). The prices are real but repeat every five symbols: for timing
//! and memory only, never for acceptance results (those use the real names).

use std::fmt::Write as _;
use std::path::PathBuf;

/// The shipped stock series with 1-minute bars, volume and Kite tokens (2025).
const SOURCES: [&str; 5] = ["RELIANCE", "TCS", "ICICIBANK", "BHARTIARTL", "BAJAJ-AUTO"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, out, n] = args.as_slice() else {
        return Err("usage: bench_universe DATA_DIR OUT_DIR N".into());
    };
    let n: usize = n.parse().map_err(|_| format!("N: not a number: {n}"))?;
    let data = std::fs::canonicalize(data)?;
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out)?;
    let mut symbols = String::from("Symbol\n");
    let mut instruments =
        String::from("series,exchange,symbol,exchange_token,instrument_token,source\n");
    for k in 0..n {
        let source = SOURCES[k % SOURCES.len()];
        let name = format!("{source}-B{k:03}");
        let link = out.join(&name);
        if !link.exists() {
            std::os::unix::fs::symlink(data.join(source), &link)?;
        }
        let token = 900_000 + k as u32;
        writeln!(symbols, "{name}")?;
        writeln!(
            instruments,
            "{name},NSE,{name},{token},{},bench copy of {source}",
            token * 256 + 1
        )?;
    }
    std::fs::write(out.join("symbols.csv"), symbols)?;
    std::fs::write(out.join("instruments.csv"), instruments)?;
    println!("{n} symbols in {}", out.display());
    Ok(())
}
