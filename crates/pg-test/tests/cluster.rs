//! Integration tests against real PostgreSQL servers: a private cluster starts, serves `psql`,
//! stops, starts again with its data, and leaves no process or directory behind; the shared
//! server (when `.ci/run` provides one) answers on its URL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pg_test::PrivateCluster;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// `psql -X -tAc <sql>` on `url` (as any OS user: trust authentication over TCP).
fn psql(url: &str, sql: &str) -> Result<String, String> {
    let bin = pg_test::bindir().expect("binaries found").join("psql");
    let out = Command::new(bin)
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-tA", "-d", url, "-c", sql])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether `pid` is gone within a few seconds (a stopped postmaster's last children exit
/// right after `pg_ctl stop` returns).
fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

#[test]
fn private_cluster_starts_stops_restarts_and_cleans_up() {
    let Some(mut pg) = PrivateCluster::for_test("private_cluster_lifecycle") else {
        return;
    };
    let url = pg.url();
    assert_eq!(
        url,
        format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port())
    );
    assert!(pg.is_running());
    let pid = pg.pid().expect("postmaster.pid while running");
    assert!(process_alive(pid));
    psql(
        &url,
        "create table kept (x int); insert into kept values (41), (1)",
    )
    .unwrap();
    assert_eq!(psql(&url, "select sum(x) from kept").unwrap(), "42");
    // loopback only: the server's own listen setting
    assert_eq!(psql(&url, "show listen_addresses").unwrap(), "127.0.0.1");

    pg.stop().unwrap();
    assert!(!pg.is_running());
    assert!(gone(pid), "postmaster {pid} still running after stop");
    assert!(TcpStream::connect(("127.0.0.1", pg.port())).is_err());
    assert!(psql(&url, "select 1").is_err());
    pg.stop().unwrap(); // stopping a stopped cluster is a no-op

    pg.start_again().unwrap();
    assert_eq!(pg.url(), url, "same port after a restart");
    assert_eq!(psql(&url, "select sum(x) from kept").unwrap(), "42");
    let pid2 = pg.pid().unwrap();
    assert_ne!(pid2, pid);

    pg.restart().unwrap();
    assert_eq!(psql(&url, "select count(*) from kept").unwrap(), "2");
    let pid3 = pg.pid().unwrap();
    assert!(gone(pid2));

    let dir = pg.data_dir();
    assert!(dir.is_dir());
    drop(pg);
    assert!(gone(pid3), "postmaster {pid3} still running after drop");
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(!dir.parent().unwrap().exists());
}

#[test]
fn two_private_clusters_run_side_by_side() {
    let Some(a) = PrivateCluster::for_test("two_private_clusters_a") else {
        return;
    };
    let Some(b) = PrivateCluster::for_test("two_private_clusters_b") else {
        return;
    };
    assert_ne!(a.port(), b.port());
    assert_ne!(a.data_dir(), b.data_dir());
    psql(&a.url(), "create table only_in_a (x int)").unwrap();
    assert!(psql(&b.url(), "select * from only_in_a").is_err());
}

#[test]
fn shared_server_answers_when_provided() {
    let Some(url) = pg_test::shared_url() else {
        eprintln!("skipping shared_server_answers_when_provided: KESTREL_PG_URL is not set");
        return;
    };
    assert_eq!(psql(&url, "select 1").unwrap(), "1");
    let with_schema = pg_test::schema_url(&url, "shared_server_answers");
    let schema = with_schema.rsplit_once("schema=").unwrap().1;
    // the schema name is a valid identifier as it stands (no quoting needed)
    psql(
        &url,
        &format!(
            "create schema {schema}; create table {schema}.t (x int); drop schema {schema} cascade"
        ),
    )
    .unwrap();
}
