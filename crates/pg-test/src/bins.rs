//! Finding the PostgreSQL server binaries and running them as the right user.

use crate::BINDIR_VAR;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory of the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`), the
/// first of: env `KESTREL_PG_BINDIR`; `pg_config --bindir`; the highest-numbered
/// `/usr/lib/postgresql/<n>/bin` (Debian's layout); the directory of an `initdb` on `PATH`
/// (symlinks resolved). Only a directory holding both `initdb` and `pg_ctl` counts; `None`
/// when there is none.
pub fn bindir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(BINDIR_VAR).filter(|v| !v.is_empty()) {
        // An explicit choice is the answer, usable or not (start() then says what is missing).
        return Some(PathBuf::from(dir));
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    from_pg_config
        .into_iter()
        .chain(debian_bindirs())
        .chain(path_initdb_dir())
        .find(|d| has_server(d))
}

/// Whether PostgreSQL server binaries were found ([`bindir`] holds `initdb` and `pg_ctl`) and,
/// when running as root, `runuser` and a `postgres` user exist to run them as.
pub fn available() -> bool {
    unavailable_reason().is_none()
}

/// Why [`available`] is false, or `None` when it is true.
pub(crate) fn unavailable_reason() -> Option<String> {
    match bindir() {
        None => Some(format!(
            "no PostgreSQL server binaries (no initdb and pg_ctl from {BINDIR_VAR}, pg_config \
             --bindir, /usr/lib/postgresql/*/bin or PATH)"
        )),
        Some(d) if !has_server(&d) => Some(format!(
            "{BINDIR_VAR}={} has no initdb and pg_ctl",
            d.display()
        )),
        Some(_) if is_root() && !can_run_as_postgres() => Some(
            "running as root without runuser and a `postgres` user to run the server as".into(),
        ),
        Some(_) => None,
    }
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

/// `/usr/lib/postgresql/<n>/bin`, highest `<n>` first.
fn debian_bindirs() -> Vec<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    found.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    found.into_iter().map(|(_, dir)| dir).collect()
}

/// The directory of the real `initdb` found on `PATH`.
fn path_initdb_dir() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("initdb"))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

/// Whether this process runs as root (then PostgreSQL, which refuses root, runs as
/// `postgres`).
pub(crate) fn is_root() -> bool {
    std::fs::metadata("/proc/self").map_or_else(
        |_| {
            Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        },
        |m| m.uid() == 0,
    )
}

fn can_run_as_postgres() -> bool {
    let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        .iter()
        .any(|p| Path::new(p).is_file());
    runuser && postgres_ids().is_some()
}

/// The uid and gid of the `postgres` user.
pub(crate) fn postgres_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| {
        Command::new("id")
            .args([flag, "postgres"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u32>()
                    .ok()
            })
    };
    Some((id("-u")?, id("-g")?))
}

/// `bin/<program>` as a command, run through `runuser -u postgres --` when we are root.
pub(crate) fn command(bindir: &Path, program: &str) -> Command {
    let exe = bindir.join(program);
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

/// Run `cmd`; `Err` with its stderr and stdout when it fails to start or exits non-zero.
pub(crate) fn run(mut cmd: Command, what: &str) -> Result<Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(out)
    } else {
        let text: Vec<String> = [&out.stderr, &out.stdout]
            .iter()
            .map(|b| String::from_utf8_lossy(b).trim().replace('\n', " | "))
            .filter(|t| !t.is_empty())
            .collect();
        Err(format!(
            "{what} failed ({}): {}",
            out.status,
            text.join(" | ")
        ))
    }
}
