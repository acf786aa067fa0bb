//! Issue 13 acceptance: parallel days, sweeps, shards and `replay merge`, through the binary.
//!
//! - `--jobs 1` and `--jobs 2` write byte-identical journals (every file of every day) and
//!   print the same text, over the 153 shipped 2024 days.
//! - A sweep row equals a plain replay of the same range with that set applied to the config,
//!   and the set's `--journal` trades equal the plain replay's.
//! - Three shards merged equal one run (replay: printed table and journals; sweep:
//!   results.csv); a missing shard is an error naming it.
//! - A bad grid key or value is one error naming the key and the grid file, before anything
//!   runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const PINNED: &str = "bins/replay/tests/baseline/pinned.toml";

mod common;
use common::{replay, repo};

fn ok(args: &[&str]) -> String {
    let o = replay(args);
    assert!(
        o.status.success(),
        "replay {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `root`, by relative path.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &BTreeMap<PathBuf, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb), "file lists differ");
    for (k, v) in &ta {
        assert!(tb[k] == *v, "{} differs", k.display());
    }
}

#[test]
fn jobs_1_and_jobs_2_write_the_same_bytes_for_the_shipped_2024_days() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let run = |out: &Path, jobs: &str| {
        ok(&[
            "--config",
            PINNED,
            "--from",
            "2024-01-01",
            "--to",
            "2024-08-20",
            "--quiet",
            "--jobs",
            jobs,
            "--out",
            s(out),
        ])
    };
    let text_one = run(&one, "1");
    let text_two = run(&two, "2");
    assert_eq!(
        text_one.replace(s(&one), "OUT"),
        text_two.replace(s(&two), "OUT")
    );
    let days = std::fs::read_dir(one.join("replay")).unwrap().count();
    assert!(days >= 150, "only {days} days replayed");
    assert_same_tree(&one.join("replay"), &two.join("replay"));
}

/// `base` with `key` (dotted) set to the TOML value text `value`.
fn with_key(base: &toml::Table, key: &str, value: &str) -> toml::Table {
    let mut t = base.clone();
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = &mut t;
    for p in &parts[..parts.len() - 1] {
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(Default::default()))
            .as_table_mut()
            .unwrap();
    }
    let v: toml::Table = format!("v = {value}").parse().unwrap();
    cur.insert(parts[parts.len() - 1].to_string(), v["v"].clone());
    t
}

/// The TOTAL row of a replay's printed table: trades, wins, gross, charges, net, max DD.
fn total_row(text: &str) -> Vec<String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("TOTAL"))
        .unwrap_or_else(|| panic!("no TOTAL in\n{text}"));
    let f: Vec<&str> = line.split_whitespace().collect();
    // TOTAL Nd trades wins win% gross charges net maxdd
    [f[2], f[3], f[5], f[6], f[7], f[8]]
        .map(String::from)
        .to_vec()
}

fn results(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            h.iter()
                .zip(rec.unwrap().iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn a_sweep_row_equals_the_plain_replay_with_that_set() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tmp.path().join("g.toml");
    std::fs::write(
        &grid,
        "name = \"t\"\n\"exits.sl_points\" = [30, 60]\n[strategy]\nrsi_period = [7, 14]\n",
    )
    .unwrap();
    let out = tmp.path().join("sweep");
    let range = ["--from", "2024-06-03", "--to", "2024-06-11"];
    let mut args = vec![
        "--config",
        PINNED,
        "--grid",
        s(&grid),
        "--quiet",
        "--journal",
    ];
    args.extend(range);
    args.extend(["--out", s(&out)]);
    ok(&args);
    let dir = out.join("sweep/t");
    let rows = results(&dir.join("results.csv"));
    assert_eq!(rows.len(), 4);
    let header = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    assert_eq!(
        header.lines().next().unwrap(),
        "set,exits.sl_points,strategy.rsi_period,trades,win_rate,gross_pnl,net_pnl,charges,max_drawdown,worst_day,profit_factor,sharpe"
    );
    let nets: Vec<f64> = rows.iter().map(|r| r["net_pnl"].parse().unwrap()).collect();
    assert!(
        nets.windows(2).all(|w| w[0] >= w[1]),
        "not sorted: {nets:?}"
    );
    assert!(std::fs::read(dir.join("grid.toml")).unwrap() == std::fs::read(&grid).unwrap());

    let base: toml::Table = std::fs::read_to_string(repo().join(PINNED))
        .unwrap()
        .parse()
        .unwrap();
    // set-0003 = (60, 7) in cartesian order; check it and the best row.
    for set in ["set-0003", rows[0]["set"].as_str()] {
        let row = rows.iter().find(|r| r["set"] == set).unwrap();
        let cfg = with_key(
            &with_key(&base, "exits.sl_points", &row["exits.sl_points"]),
            "strategy.rsi_period",
            &row["strategy.rsi_period"],
        );
        let cfg_path = tmp.path().join(format!("{set}.toml"));
        std::fs::write(&cfg_path, toml::to_string(&cfg).unwrap()).unwrap();
        let plain = tmp.path().join(format!("plain-{set}"));
        let mut args = vec!["--config", s(&cfg_path), "--quiet"];
        args.extend(range);
        args.extend(["--out", s(&plain)]);
        let total = total_row(&ok(&args));
        let trades: u32 = row["trades"].parse().unwrap();
        let win_rate: f64 = row["win_rate"].parse().unwrap();
        assert_eq!(total[0], row["trades"], "{set} trades");
        assert_eq!(
            total[1],
            format!("{}", (win_rate * f64::from(trades)).round()),
            "{set} wins"
        );
        assert_eq!(total[2], row["gross_pnl"], "{set} gross");
        assert_eq!(total[3], row["charges"], "{set} charges");
        assert_eq!(total[4], row["net_pnl"], "{set} net");
        assert_eq!(total[5], row["max_drawdown"], "{set} max DD");
        assert_same_tree(&plain.join("replay"), &dir.join(set).join("replay"));
    }
}

#[test]
fn three_replay_shards_merged_equal_one_run_and_a_missing_shard_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let range = ["--from", "2024-03-01", "--to", "2024-04-10"];
    let one = tmp.path().join("one");
    let mut args = vec!["--config", PINNED, "--quiet"];
    args.extend(range);
    args.extend(["--out", s(&one)]);
    let text_one = ok(&args);
    let shards: Vec<PathBuf> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        let shard = format!("{i}/3");
        let mut args = vec!["--config", PINNED, "--quiet", "--shard", &shard];
        args.extend(range);
        args.extend(["--out", s(dir)]);
        ok(&args);
    }
    let merged = tmp.path().join("merged");
    let text_merged = ok(&[
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        s(&shards[2]),
        "--out",
        s(&merged),
    ]);
    assert_eq!(
        text_merged.replace(s(&merged), "OUT"),
        text_one.replace(s(&one), "OUT")
    );
    assert_same_tree(&one.join("replay"), &merged.join("replay"));

    let o = replay(&["merge", s(&shards[0]), s(&shards[2]), "--out", s(&merged)]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing shards: 1/3"), "{err}");
}

#[test]
fn three_sweep_shards_merged_equal_one_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = tmp.path().join("stops.toml");
    std::fs::write(
        &grid,
        "exits.sl_points = [30, 50]\noptions.itm_offset = [0, 100, 200]\n",
    )
    .unwrap();
    let range = ["--from", "2024-06-03", "--to", "2024-06-07"];
    let run = |out: &Path, shard: Option<&str>| {
        let mut args = vec!["--config", PINNED, "--grid", s(&grid), "--quiet"];
        args.extend(range);
        args.extend(["--out", s(out)]);
        if let Some(sh) = shard {
            args.extend(["--shard", sh]);
        }
        ok(&args)
    };
    let one = tmp.path().join("one");
    let text_one = run(&one, None);
    let dirs: Vec<PathBuf> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, d) in dirs.iter().enumerate() {
        run(d, Some(&format!("{i}/3")));
        assert!(!d.join("sweep/stops/results.csv").exists());
    }
    let merged = tmp.path().join("merged");
    let text = ok(&[
        "merge",
        s(&dirs[0]),
        s(&dirs[1]),
        s(&dirs[2]),
        "--out",
        s(&merged),
    ]);
    assert_eq!(
        text.replace(s(&merged), "OUT"),
        text_one.replace(s(&one), "OUT")
    );
    assert_same_tree(&one.join("sweep/stops"), &merged.join("sweep/stops"));
    assert_eq!(results(&merged.join("sweep/stops/results.csv")).len(), 6);
}

#[test]
fn a_bad_grid_key_or_value_is_one_error_naming_it_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (text, want) in [
        (
            "exits.sl_points = [30]\nexits.sl_pointz = [40]\n",
            "key `exits.sl_pointz` = 40",
        ),
        (
            "strategy.rsi_period = [9, \"x\"]\n",
            "key `strategy.rsi_period` = \"x\"",
        ),
        (
            "risk.max_trades_global = 3\n",
            "key `risk.max_trades_global`",
        ),
    ] {
        let grid = tmp.path().join("bad.toml");
        std::fs::write(&grid, text).unwrap();
        let o = replay(&[
            "--config",
            PINNED,
            "--grid",
            s(&grid),
            "--from",
            "2024-06-03",
            "--to",
            "2024-06-04",
            "--out",
            s(&out),
        ]);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(want) && err.contains("bad.toml"),
            "{text}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out.exists(), "something ran for {text}");
    }
}
