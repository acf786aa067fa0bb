//! The console reads past days from the store (issue 14 "Reading"): a real replay day
//! (2024-06-03, the shipped data) journaled to CSV and to a SQLite store, then the console on
//! the session `Supervisor` (no session running) answers `?date=` trades and events, the
//! day's summary and the list of days from the store, equal to the CSV journal; bad query
//! fields are 400 naming them, no store is 404, an unreachable store 503 without its password.
//! The same against PostgreSQL when `KESTREL_PG_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use backtest::{ReplayContext, replay_day};
use chrono::NaiveDate;
use console::{ApiToken, Backend, Console, ConsoleConfig};
use journal::{CsvJournal, Journal, Tee};
use live::Supervisor;
use live::session::{SessionKind, SessionOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use store::{DayKey, StoreJournal, StoreUrl, StoreWriter};

const TOKEN: &str = "history-test-token-0123456789abcdef";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
}

/// Replay 2024-06-03 into `<root>/replay/2024-06-03/` and every store of `urls`.
fn journal_a_real_day(root: &Path, urls: &[StoreUrl]) {
    let config = config::Config::load(&repo().join("config/default.toml")).unwrap();
    let catalog = catalog::Catalog::open(repo().join("data")).unwrap();
    let ctx = ReplayContext::new(config, catalog).unwrap();
    let writers: Vec<StoreWriter> = urls
        .iter()
        .map(|u| {
            StoreWriter::spawn(u, 1 << 16, Arc::new(|h| panic!("store health {h:?}"))).unwrap()
        })
        .collect();
    let mut j: Box<dyn Journal> = Box::new(CsvJournal::create(root, "replay", day()).unwrap());
    for w in &writers {
        let key = DayKey {
            journal_mode: "replay".into(),
            date: day(),
            run_id: "test-run".into(),
        };
        j = Box::new(Tee::new(j, Box::new(StoreJournal::begin(w, key, true))));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(replay_day(&ctx, day(), j)).unwrap();
    for w in &writers {
        assert!(w.flush(Duration::from_secs(60)), "{}: flush", w.url());
    }
}

fn options(root: &Path, store_url: Option<String>, enabled: bool) -> SessionOptions {
    let mut config = config::Config::default();
    config.engine.mode = config::Mode::Paper;
    let kite = format!(
        "api_base_url = \"http://127.0.0.1:9\"\nsession_file = {:?}\n",
        root.join("missing_session.json").display().to_string()
    );
    config.kite = Some(kite.parse().unwrap());
    config.store.url = store_url;
    config.store.enabled = enabled;
    SessionOptions {
        kind: SessionKind::Paper,
        config,
        config_path: "x.toml".into(),
        date: day(),
        journal_root: root.to_path_buf(),
        confirm_live: false,
        square_off_on_exit: false,
        resolve_unknown: None,
    }
}

/// A console on a supervisor of `opts`; its base URL.
async fn console(opts: SessionOptions) -> String {
    let (sup, _ends) = Supervisor::new(opts).unwrap();
    let c = Console::bind(
        ConsoleConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            allow_remote: false,
            token: ApiToken::new(TOKEN).unwrap(),
        },
        sup as Arc<dyn Backend>,
    )
    .await
    .unwrap();
    let base = format!("http://{}", c.local_addr());
    tokio::spawn(c.run(std::future::pending()));
    base
}

async fn get(base: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut rq = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        rq = rq.header("Authorization", format!("Bearer {t}"));
    }
    let r = rq.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

fn csv_rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

/// The console's answers for the day equal the CSV journal under `root`.
async fn check_day(base: &str, root: &Path) {
    let dir = root.join("replay/2024-06-03");
    let q = "date=2024-06-03&mode=replay";

    let (s, v) = get(base, &format!("/live/trades?{q}"), Some(TOKEN)).await;
    assert_eq!(s, 200, "{v}");
    let trades = v["trades"].as_array().unwrap();
    let want = csv_rows(&dir.join("trades.csv"));
    assert!(!want.is_empty(), "the day has trades");
    assert_eq!(trades.len(), want.len());
    for (t, w) in trades.iter().zip(&want) {
        assert_eq!(t["trade_id"], w[0]);
        assert_eq!(
            t["net_pnl"].as_str().unwrap(),
            &w[26],
            "net_pnl of {}",
            &w[0]
        );
        assert_eq!(t["exit_reason"], w[22]);
    }
    assert_eq!(
        (v["date"].as_str(), v["mode"].as_str()),
        (Some("2024-06-03"), Some("replay"))
    );

    let (s, v) = get(base, &format!("/live/events?{q}&from=0"), Some(TOKEN)).await;
    assert_eq!(s, 200, "{v}");
    let events = v["events"].as_array().unwrap();
    let want = csv_rows(&dir.join("events.csv"));
    assert_eq!(events.len(), want.len());
    assert_eq!(v["next"], want.len());
    for (e, w) in events.iter().zip(&want) {
        assert_eq!(e["event"], w[2]);
        assert_eq!(e["message"], w[3]);
        assert_eq!(e["data"], serde_json::from_str::<Value>(&w[4]).unwrap());
    }
    let (_, tail) = get(base, &format!("/live/events?{q}&from=10"), Some(TOKEN)).await;
    assert_eq!(tail["events"][0], events[10]);

    let (s, v) = get(base, &format!("/live/summary?{q}"), Some(TOKEN)).await;
    assert_eq!(s, 200, "{v}");
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(v, file);

    let (s, v) = get(base, "/live/days?mode=replay", Some(TOKEN)).await;
    assert_eq!(
        (s, v["days"].clone()),
        (200, serde_json::json!(["2024-06-03"]))
    );
    let (s, v) = get(base, "/live/days", Some(TOKEN)).await;
    assert_eq!(
        (s, v["mode"].as_str(), v["days"].clone()),
        (200, Some("paper"), serde_json::json!([]))
    );

    // No summary for a day without a journal; bad fields named; the token is needed.
    let (s, v) = get(
        base,
        "/live/summary?date=2024-06-04&mode=replay",
        Some(TOKEN),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    for (path, field) in [
        ("/live/trades?date=2024-02-30", "date"),
        ("/live/events?date=2024-06-03&mode=sim", "mode"),
        ("/live/summary", "date"),
        ("/live/days?mode=x", "mode"),
    ] {
        let (s, v) = get(base, path, Some(TOKEN)).await;
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{path}: {v}");
    }
    for path in [
        "/live/trades?date=2024-06-03",
        "/live/summary?date=2024-06-03",
        "/live/days",
    ] {
        assert_eq!(get(base, path, None).await.0, 401, "{path}");
    }
}

#[test]
fn console_reads_a_past_day_from_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let sqlite = StoreUrl::parse(&format!("sqlite://{}/kestrel.db", root.display())).unwrap();
    let pg = pg_test::shared_schema_url("console_reads_a_past_day");
    let mut urls = vec![sqlite];
    if let Some(u) = &pg {
        urls.push(StoreUrl::parse(u).unwrap());
    }
    journal_a_real_day(root, &urls);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // The default store: SQLite in the journal root.
        check_day(&console(options(root, None, true)).await, root).await;
        if let Some(u) = pg {
            check_day(&console(options(root, Some(u), true)).await, root).await;
        }
        // The store off: 404 with the reason; unreachable: 503, one line, no password.
        let base = console(options(root, None, false)).await;
        let (s, v) = get(&base, "/live/trades?date=2024-06-03", Some(TOKEN)).await;
        assert_eq!(s, 404, "{v}");
        assert!(
            v["error"].as_str().unwrap().contains("enabled = false"),
            "{v}"
        );
        let url = "postgres://k:s3cret@127.0.0.1:1/db".to_string();
        let base = console(options(root, Some(url), true)).await;
        let (s, v) = get(&base, "/live/events?date=2024-06-03", Some(TOKEN)).await;
        let e = v["error"].as_str().unwrap();
        assert_eq!(s, 503, "{v}");
        assert!(
            !e.contains("s3cret") && e.contains("k:***@") && !e.contains('\n'),
            "{e}"
        );
    });
}
