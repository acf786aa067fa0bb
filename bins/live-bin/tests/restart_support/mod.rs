//! Support of `restart.rs` (issue 10, "Done when"): an in-process `kite-sim` paced so the real
//! `live-bin` binary keeps up, a temp config pointing at it, and the child process started,
//! SIGKILLed and restarted with the same command. Waits poll the simulator's book and clock
//! (never a bare sleep as synchronisation); a wall-clock cap only guards against a hang.
//! Loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use chrono::{NaiveDate, NaiveTime};
use domain::{Side, Trade};
use kite_sim::{SimOrder, Simulator, Speed};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The day of the restart tests.
pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 3).expect("date")
}

/// Stream speed: 120× real time runs the 09:15–15:30 session in about 3 minutes of wall time,
/// slow enough that a debug `live-bin` on a busy 2-core machine processes every frame before
/// the next (an exit decided on one 15-second tick is placed long before the next).
pub const SPEED: f64 = 120.0;

/// Longest any single wait may take in wall time before the test gives up as hung.
const WALL_CAP: Duration = Duration::from_secs(600);

/// Poll interval of every wait.
const POLL: Duration = Duration::from_millis(5);

/// `HH:MM[:SS]` on the session date.
pub fn hm(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .expect("HH:MM[:SS]")
}

/// `config/default.toml` with pyramiding off (on since issue 11: on this day it halts the day
/// at 10:03 after two trades, docs/pyramiding.md; the restart plan needs the day's 9 trades).
pub fn restart_config() -> config::Config {
    let mut c = kestrel_support::config("config/default.toml");
    c.pyramiding.enabled = false;
    c
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .expect("repo root")
}

/// What the replay of `day()` with `config/default.toml` trades, as comparison keys (segment,
/// signal, entry time, index entry price, exit time, index exit price, exit reason), sorted;
/// and the trades themselves sorted by entry time.
pub async fn replay_trades() -> Vec<Trade> {
    let mut trades =
        tokio::task::spawn_blocking(|| kestrel_support::replay(restart_config(), day()))
            .await
            .expect("replay")
            .trades;
    assert!(!trades.is_empty(), "the replay of {} has trades", day());
    trades.sort_by_key(|t| t.entry_time);
    trades
}

/// The comparison key of a trade (issue 10: segment, signal, entry/exit time, index prices,
/// reason).
pub fn key(t: &Trade) -> String {
    format!(
        "{} {} {}@{} → {}@{} {}",
        t.segment.code(),
        t.signal_type.code(),
        domain::time::fmt_iso(&t.entry_time),
        t.index_entry_spot.normalize(),
        domain::time::fmt_iso(&t.exit_time),
        t.index_exit_spot.normalize(),
        t.exit_reason.code(),
    )
}

/// Sorted keys of trades.
pub fn keys(trades: &[Trade]) -> Vec<String> {
    let mut k: Vec<String> = trades.iter().map(key).collect();
    k.sort();
    k
}

/// One started `live-bin` process.
struct Run {
    child: Child,
    /// Extra flags of this start (e.g. `--resolve-unknown flatten`).
    extra: Vec<String>,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// A simulator, a temp dir with the config and the journal, and the `live-bin` child.
pub struct Harness {
    /// The simulator (in-process, on the test's runtime).
    pub sim: Simulator,
    /// Temp dir: `live.toml`, `kite_session.json`, the journal root `out/`, process logs.
    pub dir: tempfile::TempDir,
    config: PathBuf,
    runs: Vec<Run>,
    /// Notes printed with the result (kill points, deviations from the plan).
    pub notes: Vec<String>,
    /// When the harness started (wall time reported on failure).
    born: Instant,
}

impl Harness {
    /// Start a paced simulator of `day()` (hold while disconnected) and write the config:
    /// `config/default.toml` (absolute include) with `mode = "live"`, pyramiding off, a `[kite]` table at the
    /// simulator and MARKET orders; `kite_extra` is appended (TOML, e.g. another `[kite.x]`
    /// table).
    pub async fn start(kite_extra: &str) -> Harness {
        let root = repo_root();
        let cfg = restart_config();
        let mut c = kite_sim_cli::sim_config(day(), &cfg, root.join("data"));
        c.speed = Speed::Times(SPEED);
        c.hold_while_disconnected = true;
        let sim = Simulator::start(c).await.expect("simulator starts");
        let dir = tempfile::Builder::new()
            .prefix("kestrel-restart-")
            .disable_cleanup(std::env::var_os("KESTREL_KEEP_TEST_DIR").is_some())
            .tempdir()
            .expect("temp dir");
        let session = dir.path().join("kite_session.json");
        sim.write_session_file(&session).expect("session file");
        let config = dir.path().join("live.toml");
        let text = format!(
            "include = {:?}\n\n[engine]\nmode = \"live\"\n\n[pyramiding]\nenabled = false\n\n[kite]\napi_base_url = {:?}\nticker_url = {:?}\nsession_file = {:?}\ninstruments_cache_dir = {:?}\n\n[kite.orders]\nmarket_order_style = \"market\"\n\n[data]\nrecord_dir = {:?}\n\n{kite_extra}\n",
            root.join("config/default.toml").display().to_string(),
            sim.base_url(),
            sim.ticker_url(),
            session.display().to_string(),
            dir.path().join("instruments").display().to_string(),
            // The session records the day (issue 14) into the test's folder, never `data/`.
            dir.path().join("catalog").display().to_string(),
        );
        std::fs::write(&config, text).expect("config written");
        Harness {
            sim,
            dir,
            config,
            runs: Vec::new(),
            notes: Vec::new(),
            born: Instant::now(),
        }
    }

    /// How many times live-bin was started.
    pub fn starts(&self) -> usize {
        self.runs.len()
    }

    /// The journal root passed as `--out`.
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// The day's journal folder, `<out>/live/<date>/`.
    pub fn journal(&self) -> PathBuf {
        self.out()
            .join("live")
            .join(day().format("%Y-%m-%d").to_string())
    }

    /// Start `live-bin --config <tmp> --date <day> --out <tmp>/out --confirm-live --no-http [extra]`.
    pub fn launch(&mut self, extra: &[&str]) {
        assert!(
            self.running().is_none(),
            "launch while live-bin is still running"
        );
        let n = self.runs.len() + 1;
        let stdout = self.dir.path().join(format!("run{n}.stdout"));
        let stderr = self.dir.path().join(format!("run{n}.stderr"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_live-bin"));
        cmd.current_dir(repo_root())
            .arg("--config")
            .arg(&self.config)
            .arg("--date")
            .arg(day().to_string())
            .arg("--out")
            .arg(self.out())
            .arg("--confirm-live")
            .arg("--no-http")
            .args(extra)
            .env_remove("KITE_API_KEY")
            .env_remove("KITE_ACCESS_TOKEN")
            .env("KESTREL_LOG", "info")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"));
        let child = cmd.spawn().expect("live-bin starts");
        self.runs.push(Run {
            child,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            stdout,
            stderr,
        });
    }

    /// The running child, if any (`None` once it exited).
    fn running(&mut self) -> Option<&mut Child> {
        let run = self.runs.last_mut()?;
        match run.child.try_wait() {
            Ok(None) => Some(&mut run.child),
            _ => None,
        }
    }

    /// SIGKILL the running `live-bin` (`Child::kill` sends SIGKILL on unix) and reap it. A
    /// child that already exited fails the test.
    pub fn kill(&mut self, why: &str) {
        let at = self.clock();
        let run = self.runs.last_mut().expect("a run");
        if let Ok(Some(st)) = run.child.try_wait() {
            self.fail(&format!(
                "wanted to kill live-bin ({why}) but it had exited: {st}"
            ));
        }
        run.child.kill().expect("SIGKILL");
        run.child.wait().expect("reaped");
        self.notes.push(format!(
            "run {}: SIGKILL at sim {at} ({why})",
            self.runs.len()
        ));
    }

    /// Start again with the flags of the last start (the same command).
    pub fn restart(&mut self) {
        let extra = self
            .runs
            .last()
            .map(|r| r.extra.clone())
            .unwrap_or_default();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        self.launch(&extra);
    }

    /// Kill, then restart with the same command.
    pub fn kill_and_restart(&mut self, why: &str) {
        self.kill(why);
        self.restart();
    }

    /// The simulator's clock (IST time of day of the last delivered frame).
    pub fn clock(&self) -> NaiveTime {
        self.sim.status().sim_time.time()
    }

    /// The simulator's order book, placement order.
    pub fn book(&self) -> Vec<SimOrder> {
        self.sim.orders()
    }

    /// Poll every few ms until `probe` gives a value. `Err(())` when the simulated clock
    /// reaches `until` (or the day finishes) first. Fails the test when live-bin exits (unless
    /// `exit_ok`) or the wall-clock cap passes.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        until: NaiveTime,
        mut probe: impl FnMut(&Harness) -> Option<T>,
    ) -> Result<T, ()> {
        let start = Instant::now();
        loop {
            if let Some(v) = probe(self) {
                return Ok(v);
            }
            let st = self.sim.status();
            if st.sim_time.time() >= until || st.finished {
                return Err(());
            }
            if !self.runs.is_empty() && self.running().is_none() {
                let code = self.exit_code();
                self.fail(&format!(
                    "live-bin exited ({code:?}) while waiting for {what} (sim {})",
                    st.sim_time.time()
                ));
            }
            if start.elapsed() > WALL_CAP {
                self.fail(&format!(
                    "no {what} within {WALL_CAP:?} of wall time (sim {})",
                    st.sim_time.time()
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// As [`Self::wait_for`], but missing the deadline fails the test.
    pub async fn expect<T>(
        &mut self,
        what: &str,
        until: NaiveTime,
        probe: impl FnMut(&Harness) -> Option<T>,
    ) -> T {
        match self.wait_for(what, until, probe).await {
            Ok(v) => v,
            Err(()) => {
                let clock = self.clock();
                self.fail(&format!("no {what} by sim {until} (sim at {clock})"))
            }
        }
    }

    /// With live-bin down: wait until the simulator's clock reaches `until` (or the day
    /// finishes), e.g. after `POST /sim/advance`.
    pub async fn wait_sim(&self, until: NaiveTime) {
        let start = Instant::now();
        loop {
            let st = self.sim.status();
            if st.sim_time.time() >= until || st.finished {
                return;
            }
            if start.elapsed() > WALL_CAP {
                self.fail(&format!(
                    "the simulator did not reach {until} (at {})",
                    st.sim_time.time()
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Exit code of the last run once it exited.
    fn exit_code(&mut self) -> Option<i32> {
        let run = self.runs.last_mut()?;
        run.child.try_wait().ok().flatten().and_then(|s| s.code())
    }

    /// Wait for live-bin to end the session by itself (the 15:30 close) and require exit 0.
    pub async fn wait_exit_ok(&mut self) {
        let start = Instant::now();
        loop {
            if self.running().is_none() {
                break;
            }
            if start.elapsed() > WALL_CAP {
                self.fail("live-bin did not end the session within the wall-clock cap");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let code = self.exit_code();
        if code != Some(0) {
            self.fail(&format!("live-bin ended with {code:?}, not 0"));
        }
        // The session's end writes the day's workbook beside the CSVs.
        if !self.journal().join("report.xlsx").is_file() {
            self.fail("no report.xlsx in the journal after the close");
        }
    }

    /// The last lines of every run's stdout/stderr.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for (i, r) in self.runs.iter().enumerate() {
            for (name, p) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = &lines[lines.len().saturating_sub(25)..];
                s.push_str(&format!(
                    "---- run {} {name} ({} lines, last {}) ----\n{}\n",
                    i + 1,
                    lines.len(),
                    tail.len(),
                    tail.join("\n")
                ));
            }
        }
        s
    }

    /// Print the notes, the simulator's book and the logs, then panic with `msg`.
    pub fn fail(&self, msg: &str) -> ! {
        eprintln!("{}", self.notes.join("\n"));
        eprintln!("---- simulator book ----\n{}", book_table(&self.book()));
        eprintln!("{}", self.logs());
        panic!(
            "{msg}\n(after {:.1} s of wall time, {} live-bin starts)",
            self.born.elapsed().as_secs_f64(),
            self.runs.len()
        );
    }

    /// Trades in `<out>/live/<date>/trades.csv` (none when the file is missing).
    pub fn trades(&self) -> Vec<Trade> {
        let path = self.journal().join("trades.csv");
        let Ok(mut r) = csv::Reader::from_path(&path) else {
            return Vec::new();
        };
        r.deserialize()
            .map(|t| t.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .collect()
    }

    /// `events.csv` rows as (kind, message).
    pub fn events(&self) -> Vec<(String, String)> {
        let Ok(mut r) = csv::Reader::from_path(self.journal().join("events.csv")) else {
            return Vec::new();
        };
        let h = r.headers().unwrap().clone();
        let col = |name: &str| h.iter().position(|c| c == name).expect(name);
        let (kind, msg) = (col("kind"), col("message"));
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec[kind].to_string(), rec[msg].to_string())
            })
            .collect()
    }

    /// One REST call to the simulator (HTTP/1.1 on loopback, `Connection: close`), with the
    /// Kite `Authorization` header when `auth`. Returns (status, body).
    pub async fn http(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
        auth: bool,
    ) -> (u16, String) {
        let addr = self.sim.local_addr();
        let auth = auth.then(|| {
            format!(
                "Authorization: token {}:{}\r\n",
                self.sim.api_key(),
                self.sim.access_token()
            )
        });
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-Kite-Version: 3\r\n{}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            auth.unwrap_or_default(),
            body.len()
        );
        tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).expect("connect to the simulator");
            s.set_read_timeout(Some(Duration::from_secs(120))).ok();
            s.write_all(req.as_bytes()).expect("request sent");
            let mut raw = Vec::new();
            s.read_to_end(&mut raw).expect("response read");
            let text = String::from_utf8_lossy(&raw).to_string();
            let status = text
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
            let body = if head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked")
            {
                dechunk(body)
            } else {
                body.to_string()
            };
            (status, body)
        })
        .await
        .expect("http task")
    }
}

impl Drop for Harness {
    /// Never leave a `live-bin` behind (a failed test kills its child).
    fn drop(&mut self) {
        for r in &mut self.runs {
            if let Ok(None) = r.child.try_wait() {
                let _ = r.child.kill();
                let _ = r.child.wait();
            }
        }
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// The book as one line per order (for failure output).
pub fn book_table(book: &[SimOrder]) -> String {
    book.iter()
        .map(|o| {
            format!(
                "{} {:<20} {:?} {:<22} {:<6} {:>5} filled {:>5} {:<16} placed {} ",
                o.order_id,
                o.tag.clone().unwrap_or_else(|| "-".into()),
                o.side,
                o.tradingsymbol,
                o.order_type,
                o.quantity,
                o.filled_quantity,
                o.status,
                o.placed_at.time(),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Engine orders carry tags starting with `K` (`K<yymmdd>…`).
pub fn is_engine(o: &SimOrder) -> bool {
    o.tag.as_deref().is_some_and(|t| t.starts_with('K'))
}

/// Orders of `symbol` on `side`.
pub fn of<'a>(book: &'a [SimOrder], symbol: &str, side: Side) -> Vec<&'a SimOrder> {
    book.iter()
        .filter(|o| o.tradingsymbol == symbol && o.side == side)
        .collect()
}

/// Tags used by more than one order of the book.
pub fn duplicate_tags(book: &[SimOrder]) -> Vec<String> {
    let mut seen = BTreeMap::<&str, usize>::new();
    for o in book {
        if let Some(t) = &o.tag {
            *seen.entry(t).or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(t, n)| format!("{t}×{n}"))
        .collect()
}

/// Per tradingsymbol, filled BUY units − filled SELL units, only the non-zero ones.
pub fn open_quantities(book: &[SimOrder]) -> BTreeMap<String, i64> {
    let mut net = BTreeMap::<String, i64>::new();
    for o in book {
        let q = i64::from(o.filled_quantity);
        *net.entry(o.tradingsymbol.clone()).or_default() += match o.side {
            Side::Buy => q,
            Side::Sell => -q,
        };
    }
    net.retain(|_, q| *q != 0);
    net
}

/// Order ids of the book (to tell later placements from earlier ones).
pub fn ids(book: &[SimOrder]) -> BTreeSet<String> {
    book.iter().map(|o| o.order_id.clone()).collect()
}
