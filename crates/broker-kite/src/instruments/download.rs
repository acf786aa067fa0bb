//! Loading the day's dumps: from the cache file when present, else `GET /instruments/{exchange}`
//! (kite-connect.md §3.7) and written to the cache.

use super::{InstrumentsError, InstrumentsMaster};
use crate::client::KiteClient;
use crate::error::KiteError;
use crate::limits::EndpointClass;
use chrono::NaiveDate;
use domain::Exchange;
use serde::Deserialize;
use std::path::{Path, PathBuf};

impl InstrumentsMaster {
    /// The day's dumps of `exchanges` (NFO for NIFTY/BANKNIFTY, BFO for SENSEX): from the
    /// cache file of `date` when present, else downloaded (`GET /instruments/{exchange}`,
    /// kite-connect.md §3.7) and cached. Expected lot sizes and strike steps come from
    /// `client.settings()`.
    ///
    /// # Errors
    /// Download, I/O or parse errors.
    pub async fn load(
        client: &KiteClient,
        exchanges: &[Exchange],
        date: NaiveDate,
    ) -> Result<Self, InstrumentsError> {
        let mut m = Self::new()
            .with_expectations_from(client.settings())
            .for_date(date);
        let dir = crate::session::expand_home(&client.settings().instruments_cache_dir);
        for ex in exchanges {
            let path = cache_path(&dir, *ex, date);
            if path.exists() {
                let n = m.add_csv_file(&path)?;
                tracing::info!(target: "kite", exchange = %ex, rows = n, file = %path.display(), "instruments from cache");
                continue;
            }
            let body = download(client, *ex).await?;
            let n = m.add_csv(&format!("api:{ex}"), body.as_slice())?;
            if let Err(e) = write_cache(&path, &body) {
                tracing::warn!(target: "kite", file = %path.display(), error = %e, "cannot cache instruments dump");
            }
            tracing::info!(target: "kite", exchange = %ex, rows = n, "instruments downloaded");
        }
        Ok(m)
    }
}

/// Cache file of an exchange's dump for a date.
pub fn cache_path(dir: &Path, exchange: Exchange, date: NaiveDate) -> PathBuf {
    dir.join(format!("{exchange}-{date}.csv"))
}

fn write_cache(path: &Path, body: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = path.with_extension("csv.tmp");
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

async fn download(client: &KiteClient, exchange: Exchange) -> Result<Vec<u8>, KiteError> {
    let ex = exchange.to_string();
    let raw = client
        .read(EndpointClass::Other, "instruments", |k| {
            let ex = ex.clone();
            async move { k.instruments_by_exchange(&ex).response().await }
        })
        .await?;
    let body = raw.body().to_vec();
    if body.trim_ascii_start().starts_with(b"{") {
        // Kite may answer a CSV endpoint with a JSON error envelope and HTTP 200.
        #[derive(Deserialize)]
        struct Env {
            message: Option<String>,
            error_type: Option<String>,
        }
        let env: Env = serde_json::from_slice(&body).map_err(|_| {
            KiteError::Decode("instruments response is neither CSV nor JSON".into())
        })?;
        let msg = kiteconnect::error::sanitize_error(&env.message.unwrap_or_default());
        return Err(match env.error_type.as_deref() {
            Some("TokenException") => KiteError::SessionInvalid(msg),
            _ => KiteError::Server(msg),
        });
    }
    Ok(body)
}
