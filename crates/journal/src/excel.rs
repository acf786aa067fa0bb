//! The day's Excel report (seed 004 §7 "Download Excel"): one workbook with sheets `Trades`
//! (the `trades.csv` columns, typed), `Events` (the `events.csv` columns) and `Summary` (the
//! `summary.json` figures).
//!
//! Money is written as numbers with the `₹#,##0.00` format, times as Excel datetimes of the
//! IST wall time (Excel has no time zones) with a `yyyy-mm-dd hh:mm:ss` format, dates with
//! `yyyy-mm-dd`. Excel stores numbers as IEEE doubles, so ₹ amounts are converted from
//! `Decimal` at this boundary only; the CSV files keep the exact decimals. The header row is
//! bold and frozen.

use crate::{DaySummary, Event, JournalError, SegmentSummary};
use chrono::{Datelike, NaiveDate, Timelike};
use domain::time::IstDateTime;
use domain::{Decimal, Trade};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::path::Path;

/// Number format of ₹ amounts.
pub const RUPEE_FORMAT: &str = "₹#,##0.00";
/// Number format of IST datetimes.
pub const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";
/// Number format of dates.
pub const DATE_FORMAT: &str = "yyyy-mm-dd";

/// One typed cell.
enum Cell {
    Text(String),
    /// ₹ amount.
    Money(Decimal),
    /// Index points, percentages, premium points: two decimals.
    Number(Decimal),
    Int(u32),
    Time(IstDateTime),
    Date(NaiveDate),
}

struct Formats {
    header: Format,
    money: Format,
    number: Format,
    time: Format,
    date: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format(RUPEE_FORMAT),
            number: Format::new().set_num_format("#,##0.00"),
            time: Format::new().set_num_format(DATETIME_FORMAT),
            date: Format::new().set_num_format(DATE_FORMAT),
        }
    }
}

/// The `trades.csv` columns of a trade, in the file's order.
fn trade_row(t: &Trade) -> Vec<(&'static str, Cell)> {
    use Cell::*;
    vec![
        ("trade_id", Text(t.trade_id.clone())),
        ("mode", Text(t.mode.clone())),
        ("segment", Text(t.segment.code().to_string())),
        ("index_symbol", Text(t.index_symbol.clone())),
        ("index_entry_spot", Number(t.index_entry_spot)),
        ("time_interval", Text(t.time_interval.clone())),
        ("rsi_period", Int(t.rsi_period)),
        ("signal_type", Text(serde_str(&t.signal_type))),
        ("option_symbol", Text(t.option_symbol.clone())),
        ("option_type", Text(t.option_type.code().to_string())),
        ("strike_price", Number(t.strike_price)),
        ("expiry", Date(t.expiry)),
        ("lots", Int(t.lots)),
        ("quantity", Int(t.quantity)),
        ("entry_time", Time(t.entry_time)),
        ("entry_price", Money(t.entry_price)),
        ("stop_loss_points", Number(t.stop_loss_points)),
        ("initial_sl_price", Number(t.initial_sl_price)),
        ("trailing_stop_points", Number(t.trailing_stop_points)),
        ("exit_time", Time(t.exit_time)),
        ("index_exit_spot", Number(t.index_exit_spot)),
        ("exit_price", Money(t.exit_price)),
        ("exit_reason", Text(serde_str(&t.exit_reason))),
        ("pnl_points", Number(t.pnl_points)),
        ("pnl_value", Money(t.pnl_value)),
        ("charges", Money(t.charges)),
        ("net_pnl", Money(t.net_pnl)),
        ("return_pct", Number(t.return_pct)),
        ("max_favorable_excursion", Money(t.max_favorable_excursion)),
        ("max_adverse_excursion", Money(t.max_adverse_excursion)),
        ("premium_source", Text(t.premium_source.code().to_string())),
    ]
}

/// The `events.csv` columns of an event.
fn event_row(e: &Event) -> Vec<(&'static str, Cell)> {
    use Cell::*;
    vec![
        ("timestamp", Time(e.timestamp)),
        (
            "segment",
            Text(e.segment.map(|s| s.code().to_string()).unwrap_or_default()),
        ),
        ("kind", Text(e.kind.to_string())),
        ("message", Text(e.message.clone())),
        ("data", Text(e.data.to_string())),
    ]
}

/// A value's serde string form (enums whose codes are their serde names).
fn serde_str<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn excel_time(t: &IstDateTime) -> Result<ExcelDateTime, XlsxError> {
    let n = t.naive_local();
    let secs = f64::from(n.second()) + f64::from(n.nanosecond() / 1_000_000) / 1000.0;
    ExcelDateTime::from_ymd(year(n.year())?, n.month() as u8, n.day() as u8)?.and_hms(
        n.hour() as u16,
        n.minute() as u8,
        secs,
    )
}

fn excel_date(d: &NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(year(d.year())?, d.month() as u8, d.day() as u8)
}

fn year(y: i32) -> Result<u16, XlsxError> {
    u16::try_from(y).map_err(|_| XlsxError::DateTimeRangeError(format!("year {y}")))
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
) -> Result<(), XlsxError> {
    let num = |d: &Decimal| d.to_f64().unwrap_or(0.0);
    match cell {
        Cell::Text(s) => ws.write_string(row, col, s).map(|_| ()),
        Cell::Money(d) => ws
            .write_number_with_format(row, col, num(d), &f.money)
            .map(|_| ()),
        Cell::Number(d) => ws
            .write_number_with_format(row, col, num(d), &f.number)
            .map(|_| ()),
        Cell::Int(i) => ws.write_number(row, col, *i).map(|_| ()),
        Cell::Time(t) => ws
            .write_datetime_with_format(row, col, excel_time(t)?, &f.time)
            .map(|_| ()),
        Cell::Date(d) => ws
            .write_datetime_with_format(row, col, excel_date(d)?, &f.date)
            .map(|_| ()),
    }
}

/// Write a sheet: bold frozen `headers`, then `rows`.
fn table(
    ws: &mut Worksheet,
    name: &str,
    headers: &[&str],
    rows: &[Vec<(&'static str, Cell)>],
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, col(c)?, *h, &f.header)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, (_, cell)) in row.iter().enumerate() {
            write_cell(ws, r, col(c)?, cell, f)?;
        }
    }
    ws.autofit();
    Ok(())
}

fn col(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}

/// Header names of the Trades sheet (the `trades.csv` header).
pub fn trade_headers() -> Vec<&'static str> {
    trade_row(&placeholder_trade())
        .into_iter()
        .map(|(h, _)| h)
        .collect()
}

/// Header names of the Events sheet (the `events.csv` header).
pub const EVENT_HEADERS: [&str; 5] = ["timestamp", "segment", "kind", "message", "data"];

/// A trade only used to list the column names.
fn placeholder_trade() -> Trade {
    let d = NaiveDate::default();
    let t = domain::time::ist(d, chrono::NaiveTime::MIN);
    Trade {
        trade_id: String::new(),
        mode: String::new(),
        segment: domain::Segment::Nifty,
        index_symbol: String::new(),
        index_entry_spot: Decimal::ZERO,
        time_interval: String::new(),
        rsi_period: 0,
        signal_type: domain::Signal::Hold,
        option_symbol: String::new(),
        option_type: domain::OptionType::CE,
        strike_price: Decimal::ZERO,
        expiry: d,
        lots: 0,
        quantity: 0,
        entry_time: t,
        entry_price: Decimal::ZERO,
        stop_loss_points: Decimal::ZERO,
        initial_sl_price: Decimal::ZERO,
        trailing_stop_points: Decimal::ZERO,
        exit_time: t,
        index_exit_spot: Decimal::ZERO,
        exit_price: Decimal::ZERO,
        exit_reason: domain::ExitReason::Manual,
        pnl_points: Decimal::ZERO,
        pnl_value: Decimal::ZERO,
        charges: Decimal::ZERO,
        net_pnl: Decimal::ZERO,
        return_pct: Decimal::ZERO,
        max_favorable_excursion: Decimal::ZERO,
        max_adverse_excursion: Decimal::ZERO,
        premium_source: domain::PremiumSource::Market,
    }
}

fn summary_rows(s: &DaySummary) -> Vec<Vec<(&'static str, Cell)>> {
    use Cell::*;
    let line = |name: String, x: &SegmentSummary| {
        vec![
            ("segment", Text(name)),
            ("trades", Int(x.trades)),
            ("wins", Int(x.wins)),
            ("losses", Int(x.losses)),
            ("win_rate_pct", Number(x.win_rate_pct)),
            ("gross_pnl", Money(x.gross_pnl)),
            ("charges", Money(x.charges)),
            ("net_pnl", Money(x.net_pnl)),
            ("max_drawdown", Money(x.max_drawdown)),
        ]
    };
    let mut rows: Vec<_> = s
        .segments
        .iter()
        .map(|(seg, x)| line(seg.code().to_string(), x))
        .collect();
    rows.push(line("TOTAL".to_string(), &s.total));
    rows
}

/// Header names of the Summary sheet's table.
pub const SUMMARY_HEADERS: [&str; 9] = [
    "segment",
    "trades",
    "wins",
    "losses",
    "win_rate_pct",
    "gross_pnl",
    "charges",
    "net_pnl",
    "max_drawdown",
];

fn build(trades: &[Trade], events: &[Event], summary: &DaySummary) -> Result<Workbook, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let trade_rows: Vec<_> = trades.iter().map(trade_row).collect();
    table(
        wb.add_worksheet(),
        "Trades",
        &trade_headers(),
        &trade_rows,
        &f,
    )?;
    let event_rows: Vec<_> = events.iter().map(event_row).collect();
    table(
        wb.add_worksheet(),
        "Events",
        &EVENT_HEADERS,
        &event_rows,
        &f,
    )?;
    let ws = wb.add_worksheet();
    table(ws, "Summary", &SUMMARY_HEADERS, &summary_rows(summary), &f)?;
    // Below the table: the day's identity.
    let base = u32::try_from(summary.segments.len() + 3).unwrap_or(u32::MAX - 8);
    ws.write_string_with_format(base, 0, "date", &f.header)?;
    ws.write_datetime_with_format(base, 1, excel_date(&summary.date)?, &f.date)?;
    ws.write_string_with_format(base + 1, 0, "mode", &f.header)?;
    ws.write_string(base + 1, 1, &summary.mode)?;
    ws.write_string_with_format(base + 2, 0, "strategy", &f.header)?;
    ws.write_string(base + 2, 1, &summary.strategy)?;
    ws.write_string_with_format(base + 3, 0, "signals_skipped", &f.header)?;
    ws.write_number(base + 3, 1, summary.signals_skipped)?;
    Ok(wb)
}

/// The workbook's bytes (an `.xlsx` file). `path` in errors is `report.xlsx`.
pub fn workbook(
    trades: &[Trade],
    events: &[Event],
    summary: &DaySummary,
) -> Result<Vec<u8>, JournalError> {
    let err = |e: XlsxError| JournalError::Xlsx {
        path: "report.xlsx".into(),
        message: e.to_string(),
    };
    build(trades, events, summary)
        .map_err(err)?
        .save_to_buffer()
        .map_err(err)
}

/// Write the workbook to `path`.
pub fn write_workbook(
    path: &Path,
    trades: &[Trade],
    events: &[Event],
    summary: &DaySummary,
) -> Result<(), JournalError> {
    let bytes = workbook(trades, events, summary).map_err(|e| match e {
        JournalError::Xlsx { message, .. } => JournalError::Xlsx {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    })?;
    std::fs::write(path, bytes).map_err(|source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use domain::time::ist_hms;
    use rust_decimal_macros::dec;
    use std::io::Cursor;

    fn trade() -> Trade {
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        Trade {
            trade_id: "NIFTY-2024-06-03-1".into(),
            mode: "PAPER".into(),
            segment: domain::Segment::Nifty,
            index_symbol: "NIFTY 50".into(),
            index_entry_spot: dec!(23250.5),
            time_interval: "5m".into(),
            rsi_period: 14,
            signal_type: domain::Signal::BuyPe,
            option_symbol: "NIFTY2460623300PE".into(),
            option_type: domain::OptionType::PE,
            strike_price: dec!(23300),
            expiry: NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
            lots: 2,
            quantity: 50,
            entry_time: ist_hms(d, 9, 35, 2),
            exit_time: ist_hms(d, 10, 5, 40),
            entry_price: dec!(120.5),
            exit_price: dec!(141.25),
            exit_reason: domain::ExitReason::TrailingStop,
            pnl_value: dec!(1037.5),
            charges: dec!(61.32),
            net_pnl: dec!(976.18),
            ..placeholder_trade()
        }
    }

    fn event() -> Event {
        Event {
            timestamp: ist_hms(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(), 9, 40, 0),
            segment: Some(domain::Segment::BankNifty),
            kind: "entry_skipped",
            message: "max trades reached".into(),
            data: serde_json::json!({"rule": "MAX_TRADES"}),
        }
    }

    /// Excel serial of an IST wall time: days since 1899-12-30 plus the day fraction.
    fn serial(d: NaiveDate, h: u32, m: u32, s: u32) -> f64 {
        let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
        (d - base).num_days() as f64 + f64::from(h * 3600 + m * 60 + s) / 86400.0
    }

    #[test]
    fn trades_events_and_summary_read_back_typed() {
        let t = trade();
        let d = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
        let summary = DaySummary::from_trades(
            d,
            "PAPER",
            "rsi",
            &[domain::Segment::Nifty, domain::Segment::BankNifty],
            std::slice::from_ref(&t),
            1,
        );
        let bytes = workbook(std::slice::from_ref(&t), &[event()], &summary).unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), vec!["Trades", "Events", "Summary"]);

        let r = wb.worksheet_range("Trades").unwrap();
        assert_eq!(r.get_size(), (2, 31));
        let header: Vec<String> = r
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header, trade_headers());
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let row = r.rows().nth(1).unwrap();
        assert_eq!(
            row[col("trade_id")],
            Data::String("NIFTY-2024-06-03-1".into())
        );
        assert_eq!(row[col("signal_type")], Data::String("BUY_PE".into()));
        assert_eq!(row[col("exit_reason")], Data::String("TSL".into()));
        assert_eq!(row[col("net_pnl")], Data::Float(976.18));
        assert_eq!(row[col("entry_price")], Data::Float(120.5));
        assert_eq!(row[col("quantity")], Data::Float(50.0));
        match &row[col("entry_time")] {
            Data::DateTime(x) => {
                assert!((x.as_f64() - serial(d, 9, 35, 2)).abs() < 1e-6, "{x:?}")
            }
            other => panic!("entry_time not a datetime: {other:?}"),
        }
        match &row[col("expiry")] {
            Data::DateTime(x) => assert_eq!(
                x.as_f64(),
                serial(NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(), 0, 0, 0)
            ),
            other => panic!("expiry not a date: {other:?}"),
        }

        let r = wb.worksheet_range("Events").unwrap();
        let row = r.rows().nth(1).unwrap();
        assert!(matches!(row[0], Data::DateTime(_)));
        assert_eq!(row[1], Data::String("BANKNIFTY".into()));
        assert_eq!(row[2], Data::String("entry_skipped".into()));
        assert_eq!(row[4], Data::String(r#"{"rule":"MAX_TRADES"}"#.into()));

        let r = wb.worksheet_range("Summary").unwrap();
        let rows: Vec<_> = r.rows().collect();
        assert_eq!(rows[1][0], Data::String("NIFTY".into()));
        assert_eq!(rows[1][7], Data::Float(976.18));
        assert_eq!(rows[2][0], Data::String("BANKNIFTY".into()));
        assert_eq!(rows[2][1], Data::Float(0.0));
        assert_eq!(rows[3][0], Data::String("TOTAL".into()));
        assert_eq!(rows[3][5], Data::Float(1037.5));
    }

    /// A part of the xlsx package, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name(name).unwrap(), &mut s).unwrap();
        s
    }

    #[test]
    fn formats_are_rupees_ist_datetimes_and_a_bold_frozen_header() {
        let s = DaySummary::from_trades(NaiveDate::default(), "PAPER", "rsi", &[], &[], 0);
        let bytes = workbook(&[trade()], &[event()], &s).unwrap();
        let styles = part(&bytes, "xl/styles.xml");
        assert!(
            styles.contains(&format!("formatCode=\"{RUPEE_FORMAT}\"")),
            "{styles}"
        );
        assert!(styles.contains(&format!("formatCode=\"{DATETIME_FORMAT}\"")));
        assert!(styles.contains("<b/>"), "no bold font: {styles}");
        for sheet in 1..=3 {
            let xml = part(&bytes, &format!("xl/worksheets/sheet{sheet}.xml"));
            assert!(
                xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
                "sheet{sheet} header not frozen"
            );
        }
    }

    #[test]
    fn trade_headers_are_the_trades_csv_header() {
        let mut buf = Vec::new();
        crate::write_trades_csv(&mut buf, &[trade()]).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.lines().next().unwrap(), trade_headers().join(","));
        let mut buf = Vec::new();
        crate::write_events_csv(&mut buf, &[event()]).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.lines().next().unwrap(), EVENT_HEADERS.join(","));
    }

    #[test]
    fn write_workbook_names_the_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let s = DaySummary::from_trades(NaiveDate::default(), "PAPER", "rsi", &[], &[], 0);
        let path = dir.path().join("no_such_dir").join("r.xlsx");
        let e = write_workbook(&path, &[], &[], &s).unwrap_err();
        assert!(e.to_string().contains("r.xlsx"), "{e}");
        let ok = dir.path().join("r.xlsx");
        write_workbook(&ok, &[trade()], &[], &s).unwrap();
        assert!(std::fs::metadata(ok).unwrap().len() > 1000);
    }
}
