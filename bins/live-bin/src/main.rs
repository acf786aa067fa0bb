//! `live-bin`: trade one day with REAL Kite orders (spec §1, §10.6). Starts only with
//! `mode = "live"` in the config **and** `--confirm-live`; prints a banner; validates the
//! session before every order; refuses orders outside market hours; Ctrl+C stops entries,
//! writes a final checkpoint and leaves positions as they are unless `--square-off-on-exit`.
//!
//! ```text
//! cargo run -p live-bin -- --config config/sim-live.toml --date 2024-06-03 --confirm-live
//! ```

fn main() -> std::process::ExitCode {
    live::cli::main(live::SessionKind::Live)
}
