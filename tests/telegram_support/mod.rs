//! The process of `paper` with Telegram on, in-process (issue 12): `kite-sim` streaming
//! 2024-06-03, the session `Supervisor`, the bot (`live::notify::start_with`, as the binaries
//! start it) pointed at a loopback fake Bot API, and `trades.csv` read back.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use crate::sim_support;
use kite_sim::{Simulator, Speed};
use live::notify::Telegram;
use live::{SessionEnd, SessionKind, SessionOutcome, Supervisor};
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use telegram::{BotToken, TelegramSettings};
use telegram_fake::FakeBotApi;
use tokio::sync::mpsc::UnboundedReceiver;

/// The bot token of the tests (the fake checks it in the URL path).
pub const BOT_TOKEN: &str = "987654:TEST-telegram-token";
/// The authorised chat.
pub const CHAT: i64 = 777_001;
/// Someone else.
pub const STRANGER: i64 = 999_999;

/// The simulator, supervisor, bot and fake.
pub struct TgStack {
    pub sim: Simulator,
    pub sup: Arc<Supervisor>,
    pub ends: UnboundedReceiver<SessionEnd>,
    pub fake: FakeBotApi,
    pub bot: Option<Telegram>,
    pub dir: tempfile::TempDir,
}

impl TgStack {
    /// Start the simulator at `speed`, the supervisor, the bot (sending every `interval`),
    /// then the paper session. `before_start` runs on the fake first (e.g. a 429 burst).
    pub async fn start(
        speed: f64,
        interval: Duration,
        before_start: impl FnOnce(&FakeBotApi),
    ) -> TgStack {
        let fake = FakeBotApi::start(BOT_TOKEN).await.unwrap();
        before_start(&fake);
        let mut c = kite_sim_cli::sim_config(
            sim_support::day(),
            &sim_support::parity_config(),
            kestrel_support::data_dir(),
        );
        c.speed = Speed::Times(speed);
        let sim = Simulator::start(c).await.expect("simulator starts");
        let dir = tempfile::tempdir().unwrap();
        let opts = sim_support::options(SessionKind::Paper, &sim, dir.path(), "");
        let (sup, ends) = Supervisor::new(opts.clone()).expect("supervisor");
        let mut s = TelegramSettings::new(fake.url(), BotToken::new(BOT_TOKEN).unwrap(), CHAT);
        s.send_interval = interval;
        s.poll_timeout_secs = 1;
        let bot = live::notify::start_with("paper", s, sup.clone());
        sup.start_session(opts).await.expect("session starts");
        TgStack {
            sim,
            sup,
            ends,
            fake,
            bot: Some(bot),
            dir,
        }
    }

    /// Wait for the session to end by itself (the close); its outcome.
    pub async fn wait_end(&mut self) -> SessionOutcome {
        let end = tokio::time::timeout(Duration::from_secs(400), self.ends.recv())
            .await
            .expect("the session ends within 400 s")
            .expect("a session end");
        end.result.expect("the session succeeds")
    }

    /// Poll the supervisor's snapshot until `ok`.
    pub async fn wait_snapshot(&self, what: &str, ok: impl Fn(&engine::control::Snapshot) -> bool) {
        use console::backend::Backend;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        loop {
            if self.sup.snapshot().is_some_and(|s| ok(&s)) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "{what}: not seen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One row of `trades.csv`, the fields the messages carry.
#[derive(Debug, Clone)]
pub struct TradeRow {
    pub segment: String,
    pub signal_type: String,
    pub option_symbol: String,
    pub quantity: String,
    pub exit_reason: String,
    pub net_pnl: Decimal,
}

/// The rows of `<journal_dir>/trades.csv`.
pub fn trades_csv(journal_dir: &Path) -> Vec<TradeRow> {
    let mut r = csv::Reader::from_path(journal_dir.join("trades.csv")).expect("trades.csv");
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (seg, sig, opt, qty, why, net) = (
        col("segment"),
        col("signal_type"),
        col("option_symbol"),
        col("quantity"),
        col("exit_reason"),
        col("net_pnl"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            TradeRow {
                segment: rec[seg].to_string(),
                signal_type: rec[sig].to_string(),
                option_symbol: rec[opt].to_string(),
                quantity: rec[qty].to_string(),
                exit_reason: rec[why].to_string(),
                net_pnl: rec[net].parse().expect("net_pnl"),
            }
        })
        .collect()
}
