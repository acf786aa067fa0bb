//! Shared setup of the client tests: the fake on the shipped catalog, a client pointed at it.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use breeze::{BreezeClient, BreezeSettings, Credentials, Secret};
use breeze_fake::{FakeBreeze, FakeSettings};
use catalog::Catalog;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The shipped catalog (`data/`).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The shipped catalog.
pub fn shipped() -> Catalog {
    Catalog::open(data_dir()).unwrap()
}

/// The fake with `settings`, serving the shipped catalog.
pub async fn fake(settings: FakeSettings) -> FakeBreeze {
    FakeBreeze::start(shipped(), settings).await.unwrap()
}

/// The fake's own credentials.
pub fn credentials(fake: &FakeBreeze) -> Credentials {
    Credentials {
        api_key: Secret::new(fake.settings().api_key.clone()),
        secret_key: None,
        session_token: Secret::new(fake.settings().session_token.clone()),
    }
}

/// Settings pointed at `fake` with fast retries.
pub fn settings(fake: &FakeBreeze) -> BreezeSettings {
    let mut s = BreezeSettings {
        api_url: fake.api_url(),
        data_url: fake.data_url(),
        ..BreezeSettings::default()
    };
    s.retry.initial = Duration::from_millis(5);
    s.retry.max_delay = Duration::from_millis(20);
    s
}

/// A client of `fake` with its credentials.
pub fn client(fake: &FakeBreeze, settings: BreezeSettings) -> BreezeClient {
    BreezeClient::new(settings, credentials(fake)).unwrap()
}

/// A date.
pub fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
