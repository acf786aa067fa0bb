//! [`PrivateCluster`]: a throwaway PostgreSQL server of a test's own.

use crate::bins::{self, bindir, command, is_root, postgres_ids, run, unavailable_reason};
use crate::{BINDIR_VAR, REQUIRE_VAR, required};
use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long a start or stop may take before it is an error.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Free ports tried when the first one is taken by the time the server binds it.
const PORT_ATTEMPTS: usize = 5;

/// A PostgreSQL server of its own for a test that stops and restarts the database: a fresh
/// `initdb -A trust -U postgres` cluster in a temporary directory, listening on a free
/// loopback port only (unix socket inside the directory), run as the `postgres` user
/// (`runuser -u postgres --`) when the test runs as root. Never touches a system cluster.
///
/// Dropping it stops the server (immediate shutdown) and removes the directory.
#[derive(Debug)]
pub struct PrivateCluster {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    port: u16,
    running: bool,
}

impl PrivateCluster {
    /// Make and start a cluster (see the type); returns once it accepts connections.
    ///
    /// Errors (one line, with the server log's last lines where there is one): no binaries,
    /// root without a `postgres` user, `initdb` or `pg_ctl start` failing, not ready within
    /// 30 s.
    pub fn start() -> Result<Self, String> {
        let bindir = bindir().ok_or_else(|| {
            format!(
                "no PostgreSQL server binaries found (set {BINDIR_VAR}, or install Debian's \
                 postgresql package)"
            )
        })?;
        for program in ["initdb", "pg_ctl", "postgres"] {
            if !bindir.join(program).is_file() {
                return Err(format!("{} has no {program}", bindir.display()));
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("kestrel-pg-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let sock = dir.path().join("sock");
        fs::create_dir(&sock).map_err(|e| format!("{}: {e}", sock.display()))?;
        if is_root() {
            let (uid, gid) =
                postgres_ids().ok_or("running as root but there is no `postgres` user")?;
            for path in [dir.path(), &sock] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .map_err(|e| format!("chown postgres {}: {e}", path.display()))?;
            }
        }
        let mut initdb = command(&bindir, "initdb");
        initdb
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .arg("-D")
            .arg(dir.path().join("data"));
        run(initdb, "initdb")?;
        let mut cluster = PrivateCluster {
            dir,
            bindir,
            port: 0,
            running: false,
        };
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            cluster.port = free_port()?;
            cluster.write_settings()?;
            match cluster.start_again() {
                Ok(()) => return Ok(cluster),
                // Another process took the port between our check and the server's bind.
                Err(e) if e.contains("already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// A started cluster for the test named `test`, or `None` after printing why the test is
    /// skipped when PostgreSQL's binaries are missing ([`crate::available`]).
    ///
    /// # Panics
    /// When the binaries are missing and `KESTREL_REQUIRE_PG=1`, or when they are there but
    /// the cluster does not start.
    pub fn for_test(test: &str) -> Option<Self> {
        if let Some(why) = unavailable_reason() {
            if required() {
                panic!("{test}: {REQUIRE_VAR}=1 but {why}; install postgresql or set {BINDIR_VAR}");
            }
            eprintln!("skipping {test}: {why}; install postgresql or set {BINDIR_VAR}");
            return None;
        }
        match PrivateCluster::start() {
            Ok(c) => Some(c),
            Err(e) => panic!("{test}: cannot start a private PostgreSQL: {e}"),
        }
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, no password).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The loopback TCP port, the same across [`PrivateCluster::restart`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory (inside the temporary directory).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Whether the server was started and not stopped since (by this value).
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The postmaster's process id while it runs (first line of `postmaster.pid`).
    pub fn pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Stop the server with a fast shutdown (clients disconnected, data flushed) and wait
    /// until it is down. A no-op when stopped.
    pub fn stop(&mut self) -> Result<(), String> {
        if !self.running {
            return Ok(());
        }
        self.pg_ctl_stop("fast")?;
        self.running = false;
        Ok(())
    }

    /// Start the stopped server again on the same data and port and wait until it accepts
    /// connections. A no-op when running.
    pub fn start_again(&mut self) -> Result<(), String> {
        if self.running {
            return Ok(());
        }
        let mut pg_ctl = command(&self.bindir, "pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_path())
            .args(["-w", "-t", &TIMEOUT.as_secs().to_string(), "start"])
            .stdin(Stdio::null());
        if let Err(e) = run(pg_ctl, "pg_ctl start") {
            return Err(format!("{e}; server log: {}", self.log_tail()));
        }
        self.running = true;
        self.wait_for_tcp()
    }

    /// [`PrivateCluster::stop`] then [`PrivateCluster::start_again`].
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop()?;
        self.start_again()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server log's last lines, on one line.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// The cluster's own settings in `kestrel.conf`, included from `postgresql.conf`:
    /// loopback only, our port and socket dir, no fsync (a throwaway cluster).
    fn write_settings(&self) -> Result<(), String> {
        let data = self.data_dir();
        let conf = data.join("postgresql.conf");
        let include = "\ninclude = 'kestrel.conf'\n";
        let text = fs::read_to_string(&conf).map_err(|e| format!("{}: {e}", conf.display()))?;
        if !text.contains(include) {
            fs::write(&conf, text + include).map_err(|e| format!("{}: {e}", conf.display()))?;
        }
        let settings = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n",
            self.port,
            quote(&self.dir.path().join("sock")),
        );
        let path = data.join("kestrel.conf");
        fs::write(&path, settings).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn wait_for_tcp(&self) -> Result<(), String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "PostgreSQL not accepting connections on {addr} after {} s; server log: {}",
                    TIMEOUT.as_secs(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pg_ctl_stop(&self, mode: &str) -> Result<(), String> {
        let mut pg_ctl = command(&self.bindir, "pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(self.data_dir())
            .args([
                "-m",
                mode,
                "-w",
                "-t",
                &TIMEOUT.as_secs().to_string(),
                "stop",
            ])
            .stdin(Stdio::null());
        bins::run(pg_ctl, "pg_ctl stop").map(|_| ())
    }
}

impl Drop for PrivateCluster {
    /// Immediate shutdown (no checkpoint: the data is thrown away), then the temporary
    /// directory goes with the [`tempfile::TempDir`].
    fn drop(&mut self) {
        if (self.running || self.pid().is_some())
            && let Err(e) = self.pg_ctl_stop("immediate")
        {
            eprintln!(
                "pg-test: stopping the private cluster on port {}: {e}",
                self.port
            );
        }
    }
}

/// A port free on 127.0.0.1 right now (the OS's pick).
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

/// `path` for a single-quoted postgresql.conf value.
fn quote(path: &Path) -> String {
    path.display().to_string().replace('\'', "''")
}
