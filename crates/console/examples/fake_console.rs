//! The console over the tests' fake backend, for trying the page (and for a browser test):
//! `cargo run -p console --example fake_console -- 127.0.0.1:8000`. The token is the tests'
//! `support::TOKEN`; a sample snapshot (one open NIFTY position, one trade) is served and an
//! event is journaled every 2 s. Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use console::{ApiToken, Console, ConsoleConfig};
use engine::EngineEvent;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let fake = support::Fake::new(Some(support::sample_snapshot()));
    let cfg = ConsoleConfig {
        bind: bind.parse().expect("bind address, e.g. 127.0.0.1:8000"),
        allow_remote: false,
        token: ApiToken::new(support::TOKEN).unwrap(),
    };
    let console = Console::bind(cfg, fake.clone()).await.expect("bind");
    println!(
        "http://{}/  token: {}",
        console.local_addr(),
        support::TOKEN
    );
    let f = fake.clone();
    tokio::spawn(async move {
        for i in 0u64.. {
            let kind = if i % 3 == 2 {
                EngineEvent::EntrySkipped
            } else {
                EngineEvent::Candle
            };
            f.push_event(support::sample_event(kind, &format!("fake event {i}")));
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
    console
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("serve");
}
