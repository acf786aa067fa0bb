//! Headless Chromium for the browser tests (issue 11): Debian's `chromium` driven through its
//! `chromedriver` (WebDriver) with `fantoccini`. `.ci/run` installs both packages when missing
//! and sets `KESTREL_REQUIRE_BROWSER=1`, so in CI a missing browser fails the test; elsewhere
//! (a machine with only the Rust toolchain) the browser tests say they are skipped and pass.

#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the browser and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's `chromium-driver`.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session: the driver process, the WebDriver client, a download folder.
pub struct Browser {
    driver: Child,
    /// The WebDriver client.
    pub client: Client,
    /// Where the browser saves downloads.
    pub downloads: PathBuf,
    _profile: tempfile::TempDir,
}

/// `None` (with a note on stderr) when the browser is not installed and CI did not ask for it.
pub fn available(test: &str) -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var_os("KESTREL_REQUIRE_BROWSER").is_none(),
            "{test}: {CHROMIUM} or {CHROMEDRIVER} missing and KESTREL_REQUIRE_BROWSER is set (apt-get install -y chromium chromium-driver)"
        );
        eprintln!(
            "{test}: SKIPPED: no {CHROMIUM}/{CHROMEDRIVER} (apt-get install -y chromium chromium-driver; CI installs them)"
        );
    }
    present
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Start chromedriver on a free loopback port and open a headless window whose downloads go
    /// to `downloads`.
    pub async fn start(downloads: &Path) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                // The machine's network is closed: no background connections, no first-run UI.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-quic", "--no-first-run", "--window-size=1400,1600",
                         format!("--user-data-dir={}", profile.path().display())],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false
                }
            }
        });
        let caps = caps.as_object().cloned().expect("capabilities object");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("WebDriver session at {url}: {e}"),
            }
        };
        Browser {
            driver,
            client,
            downloads: downloads.to_path_buf(),
            _profile: profile,
        }
    }

    /// Click the element with id `id`.
    pub async fn click(&self, id: &str) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click #{id}: {e}"));
    }

    /// Type `text` into the input with id `id` (after clearing it).
    pub async fn fill(&self, id: &str, text: &str) {
        let el = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("clear #{id}: {e}"));
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into #{id}: {e}"));
    }

    /// The visible text of the element with id `id` (empty when absent).
    pub async fn text(&self, id: &str) -> String {
        match self.client.find(Locator::Id(id)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Wait up to `secs` for the text of `id` to satisfy `ok`; its last text, or a panic
    /// naming what was seen.
    pub async fn wait_text(&self, id: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.text(id).await;
            if ok(&t) {
                return t;
            }
            assert!(Instant::now() < deadline, "#{id} after {secs}s: {t:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Wait up to `secs` for a finished download whose name ends with `suffix`; its path.
    pub async fn wait_download(&self, suffix: &str, secs: u64) -> PathBuf {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok(rd) = std::fs::read_dir(&self.downloads) {
                for e in rd.flatten() {
                    let p = e.path();
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    if name.ends_with(suffix) && !name.ends_with(".crdownload") {
                        return p;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "no download *{suffix} in {} after {secs}s",
                self.downloads.display()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Save a PNG screenshot of the window to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Close the window and stop the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
