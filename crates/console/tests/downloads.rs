//! Downloads: the trades/events CSV are byte-for-byte the journal's files; the Excel report
//! opens with calamine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use engine::EngineEvent;
use journal::{CsvJournal, Journal};
use support::{Server, TOKEN, client, sample_event, sample_snapshot, sample_trade};

async fn download(srv: &Server, path: &str) -> (u16, String, String, Vec<u8>) {
    let r = client()
        .get(srv.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let h = |n: &str| {
        r.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, cd) = (h("content-type"), h("content-disposition"));
    (status, ct, cd, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn csv_downloads_are_the_journals_files() {
    let srv = Server::start(Some(sample_snapshot())).await;
    let e1 = sample_event(EngineEvent::Entry, "BUY_PE NIFTY2460623300PE, 2 lots");
    let e2 = sample_event(EngineEvent::EntrySkipped, "max trades, \"quoted\"");
    srv.fake.push_event(e1.clone());
    srv.fake.push_event(e2.clone());

    // What the journal itself writes for the same day.
    let dir = tempfile::tempdir().unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let mut j = CsvJournal::create(dir.path(), "paper", date).unwrap();
    j.trade(&sample_trade()).unwrap();
    j.event(&e1.to_journal()).unwrap();
    j.event(&e2.to_journal()).unwrap();
    let day = dir.path().join("paper").join("2024-06-03");
    let trades_file = std::fs::read(day.join("trades.csv")).unwrap();
    let events_file = std::fs::read(day.join("events.csv")).unwrap();

    let (st, ct, cd, body) = download(&srv, "/live/trades.csv").await;
    assert_eq!(st, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_eq!(cd, r#"attachment; filename="live_trades_2024-06-03.csv""#);
    assert_eq!(body, trades_file);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.starts_with("trade_id,mode,segment,index_symbol,"),
        "{text}"
    );

    let (st, _, cd, body) = download(&srv, "/live/events.csv").await;
    assert_eq!(st, 200);
    assert_eq!(cd, r#"attachment; filename="live_events_2024-06-03.csv""#);
    assert_eq!(body, events_file);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .starts_with("timestamp,segment,kind,message,data\n")
    );
}

#[tokio::test]
async fn the_excel_report_opens_with_its_three_sheets() {
    let srv = Server::start(Some(sample_snapshot())).await;
    srv.fake
        .push_event(sample_event(EngineEvent::Risk, "daily loss halt"));
    let (st, ct, cd, body) = download(&srv, "/live/report.xlsx").await;
    assert_eq!(st, 200);
    assert_eq!(ct, console::download::XLSX_MIME);
    assert_eq!(cd, r#"attachment; filename="live_report_2024-06-03.xlsx""#);
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Trades", "Events", "Summary"]);
    let trades = wb.worksheet_range("Trades").unwrap();
    let row: Vec<&Data> = trades.rows().nth(1).unwrap().iter().collect();
    assert_eq!(*row[0], Data::String("NIFTY-2024-06-03-1".into()));
    assert!(row.contains(&&Data::Float(976.18)));
    let events = wb.worksheet_range("Events").unwrap();
    assert_eq!(
        events.rows().nth(1).unwrap()[2],
        Data::String("risk".into())
    );
    let summary = wb.worksheet_range("Summary").unwrap();
    let total = summary
        .rows()
        .find(|r| r[0] == Data::String("TOTAL".into()))
        .unwrap();
    assert_eq!(total[1], Data::Float(1.0));
}

#[tokio::test]
async fn downloads_need_the_token_and_work_before_a_session() {
    let srv = Server::start(None).await;
    for p in ["/live/trades.csv", "/live/events.csv", "/live/report.xlsx"] {
        let r = client().get(srv.url(p)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{p}");
    }
    let (st, _, cd, body) = download(&srv, "/live/trades.csv").await;
    assert_eq!(st, 200);
    assert!(
        cd.starts_with("attachment; filename=\"live_trades_20"),
        "{cd}"
    );
    assert!(
        body.is_empty(),
        "no trades: an empty file, like the journal's"
    );
    let (st, _, _, body) = download(&srv, "/live/report.xlsx").await;
    assert_eq!(st, 200);
    let wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
    assert_eq!(wb.sheet_names().len(), 3);
}
