//! Unit tests of the catalog: reading plain and gzip bars/ticks, errors naming file/line/field, and write-read round trips.

use super::*;
use domain::time::ist_hms;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn gz_bytes(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// A catalog in a temp dir with the given files (relative path, content; `.gz` names are
/// gzip-compressed).
fn cat(files: &[(&str, &str)]) -> (tempfile::TempDir, Catalog) {
    let tmp = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = tmp.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        if rel.ends_with(".gz") {
            fs::write(p, gz_bytes(text)).unwrap();
        } else {
            fs::write(p, text).unwrap();
        }
    }
    let c = Catalog::open(tmp.path()).unwrap();
    (tmp, c)
}

const BARS: &str = "timestamp,open,high,low,close,volume\n\
    2024-06-03T09:15:00+05:30,23337.90,23400.00,23300.10,23350.00,\n\
    2024-06-03T09:16:00+05:30,23350.00,23360.00,23340.00,23345.50,1200\n";

const TICKS: &str = "timestamp,last_price,volume,oi\n\
    2022-11-18T09:15:00+05:30,158.65,1,3535400\n\
    2022-11-18T09:15:00+05:30,189.90,1,3535400\n\
    2022-11-18T09:15:02+05:30,180.35,5000,\n";

#[test]
fn reads_plain_and_gz_bars() {
    let (_t, c) = cat(&[
        ("NIFTY/2024-06-03.csv", BARS),
        ("NIFTY/2024-06-04.csv.gz", &BARS.replace("06-03", "06-04")),
        (
            "NIFTY/2024-06-04.ticks.csv",
            "timestamp,last_price,volume,oi\n",
        ),
        ("NIFTY/notes.txt", "x"),
        ("README.md", "x"),
    ]);
    assert_eq!(c.series().unwrap(), ["NIFTY"]);
    assert_eq!(
        c.bar_dates("NIFTY").unwrap(),
        [d(2024, 6, 3), d(2024, 6, 4)]
    );
    assert_eq!(c.tick_dates("NIFTY").unwrap(), [d(2024, 6, 4)]);
    assert!(c.has_bars("NIFTY", d(2024, 6, 4)));
    assert!(!c.has_bars("NIFTY", d(2024, 6, 5)));
    assert!(!c.has_bars("../x", d(2024, 6, 4)));
    for day in [d(2024, 6, 3), d(2024, 6, 4)] {
        let bars = c.bars("NIFTY", day).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].ts, ist_hms(day, 9, 15, 0));
        assert_eq!(bars[0].open, dec!(23337.90));
        assert_eq!(bars[0].open.to_string(), "23337.90");
        assert_eq!(bars[0].low, dec!(23300.10));
        assert_eq!(bars[0].volume, None);
        assert_eq!(bars[1].volume, Some(1200));
    }
    assert_eq!(c.bar_timeframe("NIFTY").unwrap().minutes(), 1);
    assert_eq!(c.bar_timeframe("NIFTY-FUT_5m").unwrap().minutes(), 5);
}

#[test]
fn reads_plain_and_gz_ticks() {
    let (_t, c) = cat(&[
        ("NIFTY22NOV18300CE/2022-11-18.ticks.csv.gz", TICKS),
        ("NIFTY-FUT/2022-11-18.ticks.csv", TICKS),
    ]);
    for s in ["NIFTY22NOV18300CE", "NIFTY-FUT"] {
        let day = d(2022, 11, 18);
        assert!(c.has_ticks(s, day));
        assert!(!c.has_bars(s, day));
        let t = c.ticks(s, day).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].ts, t[1].ts, "ticks may share a second");
        assert_eq!(t[1].last_price, dec!(189.90));
        assert_eq!(t[2].volume, Some(5000));
        assert_eq!(t[2].oi, None);
        assert_eq!(t[2].to_tick(7).price, dec!(180.35));
    }
}

#[test]
fn missing_root_series_and_day() {
    let err = Catalog::open("/definitely/not/here").unwrap_err();
    assert_eq!(
        err.to_string(),
        "data directory /definitely/not/here does not exist"
    );
    let (_t, c) = cat(&[("NIFTY/2024-06-03.csv", BARS)]);
    let c = Catalog::open(c.root().join("..").join(c.root().file_name().unwrap())).unwrap();
    let err = c.bars("NIFTY", d(2024, 6, 7)).unwrap_err();
    let want = format!(
        "no data for NIFTY on 2024-06-07 (looked for {}[.gz])",
        c.root().join("NIFTY/2024-06-07.csv").display()
    );
    assert_eq!(err.to_string(), want);
    assert!(matches!(
        c.bar_dates("SENSEX"),
        Err(CatalogError::UnknownSeries { .. })
    ));
    assert!(matches!(
        c.ticks("NIFTY", d(2024, 6, 3)),
        Err(CatalogError::NoData { .. })
    ));
}

#[test]
fn error_message_example_of_the_brief() {
    // The documented example: the 16th row (line 17) has a bad `high`.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    fs::create_dir_all(data.join("NIFTY")).unwrap();
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    for m in 0..15 {
        text.push_str(&format!(
            "2024-06-03T09:{:02}:00+05:30,1,2,0.5,1,\n",
            15 + m
        ));
    }
    text.push_str("2024-06-03T09:30:00+05:30,23000,23x1,22990,23000,\n");
    fs::write(data.join("NIFTY/2024-06-03.csv"), text).unwrap();
    let err = format::read_bars_file(&data.join("NIFTY/2024-06-03.csv"), Some(d(2024, 6, 3)))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.ends_with("data/NIFTY/2024-06-03.csv:17: field `high`: invalid decimal \"23x1\""),
        "{msg}"
    );
}

fn bars_err(rows: &str) -> String {
    let text = format!("timestamp,open,high,low,close,volume\n{rows}");
    let (_t, c) = cat(&[("NIFTY/2024-06-03.csv.gz", &text)]);
    let e = c.bars("NIFTY", d(2024, 6, 3)).unwrap_err();
    // strip the temp dir
    let s = e.to_string();
    s[s.find("NIFTY/").unwrap()..].to_string()
}

#[test]
fn malformed_rows_name_file_line_and_field() {
    let ok = "2024-06-03T09:15:00+05:30,10,12,9,11,\n";
    assert_eq!(
        bars_err(&format!("{ok}2024-06-03T09:16:00+05:30,10,1x,9,11,\n")),
        "NIFTY/2024-06-03.csv.gz:3: field `high`: invalid decimal \"1x\""
    );
    assert_eq!(
        bars_err(&format!("{ok}2024-06-03T09:16:00+05:30,,12,9,11,\n")),
        "NIFTY/2024-06-03.csv.gz:3: field `open`: missing value"
    );
    assert_eq!(
        bars_err("2024-06-03 09:15,10,12,9,11,\n"),
        "NIFTY/2024-06-03.csv.gz:2: field `timestamp`: invalid timestamp \"2024-06-03 09:15\" (expected ISO-8601 with offset, e.g. 2024-06-03T09:15:00+05:30)"
    );
    assert_eq!(
        bars_err(&format!("{ok}2024-06-03T09:16:00+05:30,10,12,9,11,-5\n")),
        "NIFTY/2024-06-03.csv.gz:3: field `volume`: invalid volume \"-5\" (expected a whole number of units or empty)"
    );
    assert_eq!(
        bars_err("2024-06-03T09:15:00+05:30,10,12,9,11\n"),
        "NIFTY/2024-06-03.csv.gz:2: expected 6 fields (timestamp,open,high,low,close,volume), found 5"
    );
    assert_eq!(
        bars_err(&format!("{ok}2024-06-03T09:16:00+05:30,1e1,12,9,11,\n")),
        "NIFTY/2024-06-03.csv.gz:3: field `open`: invalid decimal \"1e1\""
    );
}

#[test]
fn wrong_date_row() {
    assert_eq!(
        bars_err("2024-06-03T09:15:00+05:30,10,12,9,11,\n2024-06-04T09:16:00+05:30,10,12,9,11,\n"),
        "NIFTY/2024-06-03.csv.gz:3: field `timestamp`: 2024-06-04T09:16:00+05:30 is not on the file's date 2024-06-03"
    );
    // a UTC timestamp is converted to IST before the date check: 2024-06-02T20:00Z is
    // 2024-06-03T01:30 IST
    let (_t, c) = cat(&[(
        "NIFTY/2024-06-03.csv",
        "timestamp,open,high,low,close,volume\n2024-06-02T20:00:00Z,1,1,1,1,\n",
    )]);
    let bars = c.bars("NIFTY", d(2024, 6, 3)).unwrap();
    assert_eq!(bars[0].ts, ist_hms(d(2024, 6, 3), 1, 30, 0));
}

#[test]
fn non_increasing_rows() {
    assert_eq!(
        bars_err(
            "2024-06-03T09:15:00+05:30,10,12,9,11,\n2024-06-03T09:16:00+05:30,10,12,9,11,\n2024-06-03T09:16:00+05:30,10,12,9,11,\n"
        ),
        "NIFTY/2024-06-03.csv.gz:4: field `timestamp`: 2024-06-03T09:16:00+05:30 is not after the previous row's 2024-06-03T09:16:00+05:30 (rows must be in increasing time order)"
    );
    assert!(
        bars_err("2024-06-03T09:16:00+05:30,10,12,9,11,\n2024-06-03T09:15:00+05:30,10,12,9,11,\n")
            .starts_with("NIFTY/2024-06-03.csv.gz:3: field `timestamp`")
    );
    // ticks: equal timestamps fine, going back is not
    let text = format!("{TICKS}2022-11-18T09:15:01+05:30,180,1,\n");
    let (_t, c) = cat(&[("X/2022-11-18.ticks.csv", &text)]);
    let e = c.ticks("X", d(2022, 11, 18)).unwrap_err().to_string();
    assert!(
        e.ends_with("X/2022-11-18.ticks.csv:5: field `timestamp`: 2022-11-18T09:15:01+05:30 is not at or after the previous row's 2022-11-18T09:15:02+05:30 (rows must be in increasing time order)"),
        "{e}"
    );
}

#[test]
fn ohlc_consistency() {
    assert_eq!(
        bars_err("2024-06-03T09:15:00+05:30,10,10.5,9,11,\n"),
        "NIFTY/2024-06-03.csv.gz:2: field `high`: high 10.50 is below max(open, close) = 11.00"
    );
    assert_eq!(
        bars_err("2024-06-03T09:15:00+05:30,10,12,10.5,11,\n"),
        "NIFTY/2024-06-03.csv.gz:2: field `low`: low 10.50 is above min(open, close) = 10.00"
    );
}

#[test]
fn bad_header_and_ambiguous_day() {
    assert_eq!(
        bars_err("x\n").replace('\n', " "),
        "NIFTY/2024-06-03.csv.gz:2: expected 6 fields (timestamp,open,high,low,close,volume), found 1"
    );
    let (_t, c) = cat(&[("NIFTY/2024-06-03.csv", "ts,o,h,l,c,v\n")]);
    let e = c.bars("NIFTY", d(2024, 6, 3)).unwrap_err().to_string();
    assert!(
        e.ends_with("NIFTY/2024-06-03.csv:1: bad header: expected `timestamp,open,high,low,close,volume`, found `ts,o,h,l,c,v`"),
        "{e}"
    );
    let (_t, c) = cat(&[
        ("NIFTY/2024-06-03.csv", BARS),
        ("NIFTY/2024-06-03.csv.gz", BARS),
    ]);
    assert!(matches!(
        c.bars("NIFTY", d(2024, 6, 3)),
        Err(CatalogError::Ambiguous { .. })
    ));
    // header only / empty file: no bars
    let (_t, c) = cat(&[
        (
            "NIFTY/2024-06-03.csv",
            "timestamp,open,high,low,close,volume\n",
        ),
        ("NIFTY/2024-06-04.csv", ""),
    ]);
    assert!(c.bars("NIFTY", d(2024, 6, 3)).unwrap().is_empty());
    assert!(c.bars("NIFTY", d(2024, 6, 4)).unwrap().is_empty());
}

#[test]
fn write_then_read_round_trips() {
    let (_t, c) = cat(&[]);
    let day = d(2024, 6, 3);
    let (_t2, src) = cat(&[
        ("NIFTY/2024-06-03.csv", BARS),
        ("O/2022-11-18.ticks.csv", TICKS),
    ]);
    let bars = src.bars("NIFTY", day).unwrap();
    let ticks = src.ticks("O", d(2022, 11, 18)).unwrap();
    for gz in [true, false] {
        let p = c.write_bars("NIFTY", day, &bars, gz).unwrap();
        assert_eq!(p.to_str().unwrap().ends_with(".gz"), gz);
        assert_eq!(c.bars("NIFTY", day).unwrap(), bars);
        c.write_ticks("O", d(2022, 11, 18), &ticks, gz).unwrap();
        assert_eq!(c.ticks("O", d(2022, 11, 18)).unwrap(), ticks);
    }
    // plain output is byte-identical to the canonical text
    assert_eq!(
        fs::read_to_string(c.root().join("NIFTY/2024-06-03.csv")).unwrap(),
        BARS
    );
    assert_eq!(
        fs::read_to_string(c.root().join("O/2022-11-18.ticks.csv")).unwrap(),
        TICKS
    );
    // invalid bars are refused before anything is written
    let mut bad = bars.clone();
    bad.swap(0, 1);
    assert!(c.write_bars("NIFTY", d(2024, 6, 4), &bad, false).is_err());
    assert!(!c.has_bars("NIFTY", d(2024, 6, 4)));
}
