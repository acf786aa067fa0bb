//! Where a paper/live session takes its 1-minute history from (`[data] history`, issue 15):
//! the warm-up sessions before the day and the day's candles a restart catches up from.
//!
//! | `[data] history` | warm-up (`sessions_before`) | catch-up (`session_so_far`) |
//! | --- | --- | --- |
//! | `kite` (default) | Kite historical candles | Kite |
//! | `breeze` | ICICI Breeze v2 candles (`[breeze]`, `docs/breeze.md`) | Breeze (completed minutes only on the live day) |
//! | `catalog` | the catalog at `[data] dir` (each segment's `series`) | Kite: a catalog day is complete, the live day's candles so far are Kite's |

use async_trait::async_trait;
use breeze::{BreezeClient, BreezeHistory, Credentials};
use broker_kite::{KiteClient, KiteHistory};
use catalog::Catalog;
use catalog::replay::CatalogHistory;
use chrono::NaiveDate;
use config::{Config, HistorySource};
use domain::ports::{HistoricalData, HistoryError};
use domain::{Bar, Segment};

/// Warm-up from one source, the day so far from another.
struct Split<W, T> {
    warm: W,
    today: T,
}

#[async_trait]
impl<W: HistoricalData, T: HistoricalData> HistoricalData for Split<W, T> {
    async fn sessions_before(
        &self,
        segment: Segment,
        before: NaiveDate,
        sessions: usize,
    ) -> Result<Vec<Vec<Bar>>, HistoryError> {
        self.warm.sessions_before(segment, before, sessions).await
    }

    async fn session_so_far(
        &self,
        segment: Segment,
        date: NaiveDate,
    ) -> Result<Vec<Bar>, HistoryError> {
        self.today.session_so_far(segment, date).await
    }
}

/// The session's history per `config.data.history` (module table); `kite` is the session's
/// Kite client, `stock_tokens` the token each agent that trades what it watches reads: a
/// stock's NSE `EQ` token, an index's near-month future (Kite history is read by token).
///
/// # Errors
/// A message for the session's refusal: Breeze credentials missing or unreadable, a bad
/// Breeze URL, a catalog directory that cannot be opened.
pub fn session_history(
    config: &Config,
    kite: &KiteClient,
    stock_tokens: &[(Segment, u32)],
) -> Result<Box<dyn HistoricalData>, String> {
    let kite_history =
        || KiteHistory::new(kite.clone()).with_stock_tokens(stock_tokens.iter().copied());
    Ok(match config.data.history {
        HistorySource::Kite => Box::new(kite_history()),
        HistorySource::Breeze => {
            let path = config.breeze.credentials_path();
            let client = Credentials::resolve(path.as_deref())
                .and_then(|c| BreezeClient::new(config.breeze.client_settings(), c))
                .map_err(|e| format!("[data] history = \"breeze\": {e}"))?;
            tracing::info!(target: "live", "warm-up and catch-up from ICICI Breeze");
            Box::new(BreezeHistory::new(client))
        }
        HistorySource::Catalog => {
            let cat = Catalog::open(&config.data.dir)
                .map_err(|e| format!("[data] history = \"catalog\": {e}"))?;
            let series = config
                .engine
                .segments
                .iter()
                .map(|s| (*s, config.series(*s)))
                .collect();
            Box::new(Split {
                warm: CatalogHistory::new(cat, series),
                today: kite_history(),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::path::{Path, PathBuf};

    fn data_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
    }

    fn kite() -> KiteClient {
        KiteClient::new(broker_kite::KiteSettings::default(), "unused", None).unwrap()
    }

    fn config(text: &str) -> Config {
        Config::from_toml(text, Path::new("t.toml")).unwrap()
    }

    fn catalog_sessions(before: NaiveDate, n: usize) -> Vec<Vec<Bar>> {
        let cat = Catalog::open(data_dir()).unwrap();
        let days: Vec<_> = cat
            .bar_dates("NIFTY")
            .unwrap()
            .into_iter()
            .filter(|d| *d < before)
            .collect();
        days[days.len() - n..]
            .iter()
            .map(|d| cat.bars("NIFTY", *d).unwrap())
            .collect()
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn breeze_history_is_wired_from_the_config() {
        use std::os::unix::fs::PermissionsExt;
        let fake = breeze_fake::FakeBreeze::start(
            Catalog::open(data_dir()).unwrap(),
            breeze_fake::FakeSettings::default(),
        )
        .await
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let creds = tmp.path().join("breeze.json");
        std::fs::write(
            &creds,
            format!(
                r#"{{"api_key":"{}","session_token":"{}"}}"#,
                fake.settings().api_key,
                fake.settings().session_token
            ),
        )
        .unwrap();
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
        let cfg = config(&format!(
            "[data]\nhistory = \"breeze\"\n[breeze]\napi_url = \"{}\"\ndata_url = \"{}\"\ncredentials_file = \"{}\"\n",
            fake.api_url(),
            fake.data_url(),
            creds.display()
        ));
        let h = session_history(&cfg, &kite(), &[]).unwrap();
        let before = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let got = h.sessions_before(Segment::Nifty, before, 2).await.unwrap();
        assert_eq!(got, catalog_sessions(before, 2));
        assert!(fake.calls().historical >= 1);
        // Credentials readable by others are refused before the session starts.
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = session_history(&cfg, &kite(), &[]).err().unwrap();
        assert!(
            e.starts_with("[data] history = \"breeze\":") && e.contains("chmod 600"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn catalog_history_warms_up_from_the_catalog() {
        let cfg = config(&format!(
            "[data]\nhistory = \"catalog\"\ndir = \"{}\"\n",
            data_dir().display()
        ));
        let h = session_history(&cfg, &kite(), &[]).unwrap();
        let before = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let got = h.sessions_before(Segment::Nifty, before, 3).await.unwrap();
        assert_eq!(got, catalog_sessions(before, 3));
        let missing = config("[data]\nhistory = \"catalog\"\ndir = \"/nonexistent/kestrel\"\n");
        let e = session_history(&missing, &kite(), &[]).err().unwrap();
        assert!(e.contains("/nonexistent/kestrel"), "{e}");
    }
}
