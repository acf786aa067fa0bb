//! `paper`: trade one day on Kite market data (real Kite or the simulator, by `[kite]` URLs)
//! with paper fills (spec §1, §8). No order reaches a broker.
//!
//! ```text
//! cargo run -p paper -- --config config/sim.toml --date 2024-06-03
//! ```

fn main() -> std::process::ExitCode {
    live::cli::main(live::SessionKind::Paper)
}
