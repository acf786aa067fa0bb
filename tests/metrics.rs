//! `GET /metrics` during a paper day (issue 12): `kite-sim` streams 2024-06-03, the session
//! `Supervisor` runs a paper session on it and the console serves its metrics without a
//! token. Two scrapes while the day runs show the tick and candle counters moving; the scrape
//! after the close agrees with the journal (trades = rows of `trades.csv`, realized P&L = its
//! net sum, fills = rows of `fills.csv`), the snapshot (orders by status) and the event list
//! (candles and entries per segment); the first order of each tick was timed tick-to-intent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;
mod sim_support;

use console_support::Stack;
use live::SessionKind;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// One scrape: series (`name{labels}` exactly as rendered) → value, and family → type.
#[derive(Debug, Default)]
struct Scrape {
    samples: BTreeMap<String, f64>,
    types: BTreeMap<String, String>,
}

impl Scrape {
    /// Parse the Prometheus text format 0.0.4: `# HELP`/`# TYPE` lines and `series value`
    /// samples; every sample must belong to a family declared by a `# TYPE` line before it.
    fn parse(text: &str) -> Scrape {
        let mut s = Scrape::default();
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with("# HELP ") {
                continue;
            }
            if let Some(t) = line.strip_prefix("# TYPE ") {
                let (name, kind) = t.split_once(' ').expect("# TYPE name kind");
                s.types.insert(name.to_string(), kind.to_string());
                continue;
            }
            assert!(
                !line.starts_with('#'),
                "line {n}: unexpected comment {line:?}"
            );
            let (series, value) = line.rsplit_once(' ').expect("series value");
            let value: f64 = value
                .parse()
                .unwrap_or_else(|e| panic!("line {n}: value {value:?}: {e}"));
            let name = series.split('{').next().unwrap();
            let family = s
                .types
                .keys()
                .find(|f| {
                    name == f.as_str()
                        || ["_bucket", "_sum", "_count"]
                            .iter()
                            .any(|suf| name == format!("{f}{suf}"))
                })
                .unwrap_or_else(|| panic!("line {n}: {name} has no # TYPE before it"));
            assert!(family.starts_with("kestrel_"), "{family}");
            assert!(
                s.samples.insert(series.to_string(), value).is_none(),
                "line {n}: {series} twice"
            );
        }
        s
    }

    fn get(&self, series: &str) -> f64 {
        *self
            .samples
            .get(series)
            .unwrap_or_else(|| panic!("{series} not in the scrape"))
    }

    fn get_or_zero(&self, series: &str) -> f64 {
        self.samples.get(series).copied().unwrap_or(0.0)
    }

    /// Sum of every series of family `name` (labelled or not, histograms excluded).
    fn sum(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .filter(|(k, _)| k.as_str() == name || k.starts_with(&format!("{name}{{")))
            .map(|(_, v)| v)
            .sum()
    }
}

async fn scrape(s: &Stack) -> Scrape {
    // No token: scrapers carry none.
    let r = reqwest::get(format!("{}/metrics", s.base)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape::parse(&r.text().await.unwrap())
}

/// Poll `/metrics` until `ok`; the scrape.
async fn scrape_until(s: &Stack, what: &str, ok: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        let m = scrape(s).await;
        if ok(&m) {
            return m;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn find(dir: &Path, file: &str) -> PathBuf {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            let f = find(&p, file);
            if f.exists() {
                return f;
            }
        } else if p.file_name().is_some_and(|n| n == file) {
            return p;
        }
    }
    dir.join("not-found").join(file)
}

/// The rows of a journal CSV as header → value maps.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            h.iter()
                .zip(rec.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

const NIFTY: &str = "kestrel_ticks_total{segment=\"NIFTY\"}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_during_a_paper_day_and_agree_with_the_journal() {
    let s = Stack::start(SessionKind::Paper, 400.0).await;

    // Two scrapes while the day runs: ticks and candles move.
    let first = scrape_until(&s, "first candle", |m| {
        m.sum("kestrel_candles_total") >= 1.0 && m.get_or_zero(NIFTY) > 0.0
    })
    .await;
    assert_eq!(first.types["kestrel_ticks_total"], "counter");
    assert_eq!(first.types["kestrel_tick_to_intent_seconds"], "histogram");
    let second = scrape_until(&s, "more candles", |m| {
        m.sum("kestrel_candles_total") >= first.sum("kestrel_candles_total") + 2.0
    })
    .await;
    assert!(second.get(NIFTY) > first.get(NIFTY));
    assert!(second.sum("kestrel_ticks_total") > first.sum("kestrel_ticks_total"));
    let age = second.get("kestrel_last_tick_age_seconds");
    assert!((0.0..60.0).contains(&age), "tick age {age}");

    // The close: the session ends by itself.
    s.wait_status("session end", |_| {
        !s.sup.published().health().session_running
    })
    .await;
    let end = scrape(&s).await;

    // Trades and realized P&L = trades.csv.
    let trades = rows(&find(s.dir(), "trades.csv"));
    assert!(!trades.is_empty(), "2024-06-03 trades");
    assert_eq!(end.get("kestrel_trades"), trades.len() as f64);
    let net: Decimal = trades
        .iter()
        .map(|t| Decimal::from_str(&t["net_pnl"]).unwrap())
        .sum();
    let realized = end.get("kestrel_realized_pnl_rupees");
    assert!(
        (realized - f64::try_from(net).unwrap()).abs() < 0.005,
        "realized {realized} vs trades.csv {net}"
    );
    let snap = s.sup.published().snapshot().unwrap();
    assert_eq!(snap.totals.trades as usize, trades.len());
    assert_eq!(snap.totals.net_pnl, net);
    assert_eq!(end.get("kestrel_open_pnl_rupees"), 0.0, "flat at the close");

    // Fills = fills.csv; orders by status = the snapshot's orders.
    let fills = rows(&find(s.dir(), "fills.csv"));
    assert_eq!(end.get("kestrel_fills_total"), fills.len() as f64);
    assert_eq!(end.sum("kestrel_orders"), snap.orders.len() as f64);
    let complete = snap
        .orders
        .iter()
        .filter(|o| o.status.code() == "COMPLETE")
        .count();
    assert_eq!(
        end.get("kestrel_orders{status=\"COMPLETE\"}"),
        complete as f64
    );

    // Candles and entries per segment = the day's events.
    let events = s.sup.published().events(0);
    for seg in ["NIFTY", "BANKNIFTY"] {
        let count = |kind: &str| {
            events
                .iter()
                .filter(|e| e.event.kind() == kind && e.segment.is_some_and(|g| g.code() == seg))
                .count() as f64
        };
        assert_eq!(
            end.get(&format!("kestrel_candles_total{{segment=\"{seg}\"}}")),
            count("candle"),
            "{seg} candles"
        );
        assert_eq!(
            end.get_or_zero(&format!(
                "kestrel_events_total{{event=\"entry\",segment=\"{seg}\"}}"
            )),
            count("entry"),
            "{seg} entries"
        );
        assert!(
            end.get(&format!("kestrel_ticks_total{{segment=\"{seg}\"}}")) > count("candle"),
            "{seg}: more ticks than candles"
        );
    }

    // Every order of a paper day comes from a tick and is acknowledged; the first order of
    // each tick is timed tick-to-intent: at least one per entry (entries of a segment are on
    // distinct ticks), at most one per order.
    let requests = end.get("kestrel_order_requests_total");
    assert_eq!(requests, snap.orders.len() as f64);
    assert_eq!(end.get("kestrel_order_round_trip_seconds_count"), requests);
    let timed = end.get("kestrel_tick_to_intent_seconds_count");
    let entries = events.iter().filter(|e| e.event.kind() == "entry").count() as f64;
    assert!(
        entries >= 1.0 && timed >= entries && timed <= requests,
        "timed {timed}, entries {entries}, requests {requests}"
    );
    assert_eq!(
        end.get("kestrel_tick_to_intent_seconds_bucket{le=\"+Inf\"}"),
        timed
    );
    let latency = s.sup.published().metrics().latency();
    assert_eq!(
        latency.tick_to_intent.unwrap().count as f64,
        timed,
        "{latency}"
    );
    assert_eq!(end.sum("kestrel_broker_errors_total"), 0.0);
}
