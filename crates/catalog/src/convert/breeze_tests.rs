//! Unit tests of the Breeze CSV export on real rows (`tests/data/README.md` gives their origin).

use super::*;
use chrono::NaiveDate;
use rust_decimal_macros::dec;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/breeze_RELIND_2025-01-02.csv")
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 2).unwrap()
}

fn opts() -> BreezeOptions {
    BreezeOptions {
        series: None,
        codes: StockCodes::builtin().unwrap(),
    }
}

fn convert(path: &Path, o: &BreezeOptions) -> Result<Converted, CatalogError> {
    let mut out = Converted::default();
    convert_breeze_csv(path, o, &mut out)?;
    Ok(out)
}

#[test]
fn builtin_map_has_relind() {
    let m = StockCodes::builtin().unwrap();
    let r = m.get("RELIND").unwrap();
    assert_eq!((r.series.as_str(), r.kind), ("RELIANCE", CodeKind::Equity));
    assert_eq!(m.get("NIFTY").unwrap().kind, CodeKind::Index);
    assert!(m.get("TCS").is_none(), "only cited codes are built in");
}

#[test]
fn export_converts_by_header_name_and_drops_pre_open_and_post_close() {
    let conv = convert(&fixture(), &opts()).unwrap();
    let b = conv.bars("RELIANCE", day()).unwrap();
    let times: Vec<String> = b.iter().map(|b| b.ts.format("%H:%M").to_string()).collect();
    assert_eq!(times, ["09:15", "09:16", "09:17", "15:29"]);
    assert_eq!(b[0].ts.to_rfc3339(), "2025-01-02T09:15:00+05:30");
    assert_eq!(
        (b[0].open, b[0].high, b[0].low, b[0].close, b[0].volume),
        (
            dec!(1225.65),
            dec!(1225.65),
            dec!(1222.0),
            dec!(1223.05),
            Some(204896)
        )
    );
    assert_eq!(b[3].close, dec!(1240.8));
    let rep = &conv.reports[0];
    assert_eq!((rep.rows_read, rep.rows_kept), (6, 4));
    assert_eq!(rep.dropped.values().sum::<u64>(), 2);
    assert!(
        rep.notes
            .iter()
            .any(|n| n == "stock_code RELIND → RELIANCE")
    );
}

#[test]
fn series_flag_and_map_file() {
    let o = BreezeOptions {
        series: Some("RIL".into()),
        codes: StockCodes::default(),
    };
    let conv = convert(&fixture(), &o).unwrap();
    assert_eq!(conv.bars("RIL", day()).unwrap().len(), 4);
    // without the built-in map and without --series the code is unknown
    let err = convert(&fixture(), &BreezeOptions::default()).unwrap_err();
    assert!(
        err.to_string().ends_with(":2: field `stock_code`: unknown Breeze stock code \"RELIND\" (map it in a --stock-codes file or name the series with --series)"),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let map = tmp.path().join("codes.csv");
    std::fs::write(
        &map,
        "# mine\nstock_code,symbol,kind\nRELIND,RELIANCE-B,equity\n",
    )
    .unwrap();
    let o = BreezeOptions {
        series: None,
        codes: StockCodes::builtin()
            .unwrap()
            .extended(StockCodes::from_file(&map).unwrap()),
    };
    assert!(
        convert(&fixture(), &o)
            .unwrap()
            .bars("RELIANCE-B", day())
            .is_some()
    );
    std::fs::write(&map, "stock_code,symbol,kind\nRELIND,RELIANCE,stock\n").unwrap();
    let err = StockCodes::from_file(&map).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: field `kind`: \"stock\" is not `equity` or `index`",
            map.display()
        )
    );
}

#[test]
fn column_errors_name_file_line_and_column() {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("x.csv");
    let cases = [
        (
            text.replacen("volume", "qty", 1),
            "1: field `qty`: unknown column",
        ),
        (
            text.replacen(",volume", "", 1),
            "1: field `volume`: missing column",
        ),
        (
            text.replacen("1222.0,1225.65,RELIND", "1222.0,12x5.65,RELIND", 1),
            "3: field `open`: invalid decimal \"12x5.65\"",
        ),
        (
            text.replacen("2025-01-02 09:16:00", "02-01-2025 09:16", 1),
            "4: field `datetime`: invalid datetime \"02-01-2025 09:16\" (expected YYYY-MM-DD HH:MM:SS, IST)",
        ),
        (
            text.replacen("NSE,1226.5", "NFO,1226.5", 1),
            "5: field `exchange_code`: \"NFO\": only cash candles (NSE, BSE) are converted",
        ),
    ];
    for (body, want) in cases {
        std::fs::write(&p, body).unwrap();
        let err = convert(&p, &opts()).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}:{want}", p.display())),
            "{err}\nwant {want}"
        );
    }
}

#[test]
fn index_volume_zero_is_none_and_nonzero_is_an_error() {
    // The real 09:07/09:15 rows with stock_code NIFTY would be an index export: Breeze sends
    // index volume 0 (breeze-api.md §4). Same rows, series NIFTY via --series.
    let text = std::fs::read_to_string(fixture()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("x.csv");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(
        &p,
        format!("{}\n{}\n", lines[0], lines[1].replace("RELIND", "NIFTY")),
    )
    .unwrap();
    let o = BreezeOptions {
        series: Some("NIFTY".into()),
        codes: StockCodes::builtin().unwrap(),
    };
    // the 09:07 row is dropped: nothing left, but it parsed
    let conv = convert(&p, &o).unwrap();
    assert_eq!(conv.reports[0].rows_kept, 0);
    std::fs::write(
        &p,
        format!("{}\n{}\n", lines[0], lines[2].replace("RELIND", "NIFTY")),
    )
    .unwrap();
    let err = convert(&p, &o).unwrap_err().to_string();
    assert!(
        err.ends_with(":2: field `volume`: expected 0 (index bars carry no volume), found 204896"),
        "{err}"
    );
}
