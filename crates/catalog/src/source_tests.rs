//! Unit tests of a source-backed catalog: an in-memory [`DaySource`] filled from the shipped
//! `data/` files reads the same as the file catalog, plain and cached, through the replay
//! edge too; file-only operations and rule breaches fail clearly.

use super::*;
use crate::replay::{CatalogHistory, CatalogPremiums, day_ticks};
use broker_paper::pricer::MarketPremiums;
use domain::Segment;
use domain::ports::HistoricalData;
use domain::time::ist_hms;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

const NAME: &str = "memory://shipped";

/// Series copied from `data/`: index bars over many dates, 5- and 3-minute series, option
/// and futures ticks, a SENSEX option on 3-minute bars.
const SERIES: [&str; 8] = [
    "NIFTY",
    "BANKNIFTY",
    "NIFTY-FUT_5m",
    "SENSEX_3m",
    "SENSEX2591180500CE_3m",
    "NIFTY22NOV18300CE",
    "NIFTY-FUT",
    "BANKNIFTY22NOV41500PE",
];

/// Every day of [`SERIES`] from the shipped files, and how many day reads were asked of it.
#[derive(Debug, Default)]
struct Memory {
    bars: BTreeMap<(String, NaiveDate), Vec<Bar>>,
    ticks: BTreeMap<(String, NaiveDate), Vec<TradeTick>>,
    reads: AtomicUsize,
}

impl Memory {
    fn from_files(files: &Catalog) -> Memory {
        let mut m = Memory::default();
        for s in SERIES {
            for d in files.bar_dates(s).unwrap() {
                m.bars.insert((s.to_string(), d), files.bars(s, d).unwrap());
            }
            for d in files.tick_dates(s).unwrap() {
                m.ticks
                    .insert((s.to_string(), d), files.ticks(s, d).unwrap());
            }
        }
        assert!(m.bars.len() > 300 && m.ticks.len() >= 2, "data/ was read");
        m
    }
}

impl DaySource for Memory {
    fn describe(&self) -> String {
        NAME.to_string()
    }
    fn series(&self) -> Result<Vec<String>, CatalogError> {
        let mut s: Vec<String> = self
            .bars
            .keys()
            .chain(self.ticks.keys())
            .map(|k| k.0.clone())
            .collect();
        s.sort();
        s.dedup();
        Ok(s)
    }
    fn dates(&self, series: &str, kind: FileKind) -> Result<Vec<NaiveDate>, CatalogError> {
        let keys: Vec<&(String, NaiveDate)> = match kind {
            FileKind::Bars => self.bars.keys().collect(),
            FileKind::Ticks => self.ticks.keys().collect(),
        };
        let dates: Vec<NaiveDate> = keys
            .into_iter()
            .filter(|k| k.0 == series)
            .map(|k| k.1)
            .collect();
        let known = self
            .bars
            .keys()
            .chain(self.ticks.keys())
            .any(|k| k.0 == series);
        if known {
            Ok(dates)
        } else {
            Err(CatalogError::unknown_series_in(NAME, series))
        }
    }
    fn bars(&self, series: &str, date: NaiveDate) -> Result<Vec<Bar>, CatalogError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.bars
            .get(&(series.to_string(), date))
            .cloned()
            .ok_or_else(|| CatalogError::no_data_in(NAME, series, date))
    }
    fn ticks(&self, series: &str, date: NaiveDate) -> Result<Vec<TradeTick>, CatalogError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.ticks
            .get(&(series.to_string(), date))
            .cloned()
            .ok_or_else(|| CatalogError::no_data_in(NAME, series, date))
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn files() -> Catalog {
    Catalog::open(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")).unwrap()
}

/// The file catalog, the memory source and the catalog over it.
fn both() -> (Catalog, Arc<Memory>, Catalog) {
    let files = files();
    let mem = Arc::new(Memory::from_files(&files));
    let src: Arc<dyn DaySource> = mem.clone();
    (files, mem, Catalog::from_source(src))
}

/// Days checked: a 2024 day with NIFTY and BANKNIFTY, the 2022 day with option ticks, a
/// SENSEX 3-minute day, a NIFTY-FUT 5-minute day, and days with no data.
fn days() -> [NaiveDate; 6] {
    [
        d(2024, 6, 3),
        d(2022, 11, 18),
        d(2025, 9, 1),
        d(2024, 7, 30),
        d(2024, 6, 8),
        d(2021, 1, 1),
    ]
}

/// Every read method of `a` and `b` agrees on [`SERIES`] and [`days`] (errors by Display,
/// with the file catalog's paths and the source's name stripped).
fn assert_same_reads(a: &Catalog, b: &Catalog) {
    let norm = |e: CatalogError| {
        e.to_string()
            .replace(&a.root().display().to_string(), "ROOT")
            .replace(&b.root().display().to_string(), "ROOT")
    };
    for s in SERIES {
        assert_eq!(a.bar_dates(s).unwrap(), b.bar_dates(s).unwrap(), "{s}");
        assert_eq!(a.tick_dates(s).unwrap(), b.tick_dates(s).unwrap(), "{s}");
        assert_eq!(a.bar_timeframe(s).unwrap(), b.bar_timeframe(s).unwrap());
        for day in days() {
            assert_eq!(a.has_bars(s, day), b.has_bars(s, day), "{s} {day}");
            assert_eq!(a.has_ticks(s, day), b.has_ticks(s, day), "{s} {day}");
            let (x, y) = (a.bars(s, day), b.bars(s, day));
            assert_eq!(x.is_ok(), y.is_ok(), "{s} {day}");
            match (x, y) {
                (Ok(x), Ok(y)) => assert_eq!(x, y, "{s} {day}"),
                (Err(x), Err(y)) => assert!(
                    matches!(
                        (&x, &y),
                        (CatalogError::NoData { .. }, CatalogError::NoData { .. })
                    ),
                    "{s} {day}: {} / {}",
                    norm(x),
                    norm(y)
                ),
                _ => unreachable!(),
            }
            assert_eq!(
                a.bars_shared(s, day).ok(),
                b.bars_shared(s, day).ok(),
                "{s} {day}"
            );
            assert_eq!(a.ticks(s, day).ok(), b.ticks(s, day).ok(), "{s} {day}");
            assert_eq!(
                a.ticks_shared(s, day).ok(),
                b.ticks_shared(s, day).ok(),
                "{s} {day}"
            );
        }
    }
    for (s, day) in [("SENSEX", d(2024, 6, 3)), ("../x", d(2024, 6, 3))] {
        assert!(!b.has_bars(s, day) && !b.has_ticks(s, day), "{s}");
    }
}

#[test]
fn source_reads_equal_the_file_catalog() {
    let (files, _mem, src) = both();
    assert_same_reads(&files, &src);
    assert_same_reads(&files.clone().cached(), &src.clone().cached());
    let all = files.series().unwrap();
    let mut want: Vec<String> = SERIES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert!(want.iter().all(|s| all.contains(s)));
    assert_eq!(src.series().unwrap(), want);
    assert_eq!(src.clone().cached().series().unwrap(), want);
}

#[tokio::test]
async fn replay_edge_reads_equal_the_file_catalog() {
    let (files, _mem, src) = both();
    for (a, b) in [
        (files.clone(), src.clone()),
        (files.clone().cached(), src.clone().cached()),
    ] {
        let feed = [
            (Segment::Nifty, "NIFTY".to_string()),
            (Segment::BankNifty, "BANKNIFTY".to_string()),
        ];
        for day in [d(2024, 6, 3), d(2024, 6, 4), d(2022, 11, 18)] {
            let ticks = day_ticks(&b, day, &feed).unwrap();
            let bars: usize = feed
                .iter()
                .map(|(_, s)| b.bars(s, day).unwrap().len())
                .sum();
            assert_eq!(ticks.len(), 4 * bars, "{day}: four ticks per bar");
            assert_eq!(day_ticks(&a, day, &feed).unwrap(), ticks, "{day}");
        }
        let series = BTreeMap::from([(Segment::Sensex, "SENSEX_3m".to_string())]);
        let (ha, hb) = (
            CatalogHistory::new(a.clone(), series.clone()),
            CatalogHistory::new(b.clone(), series),
        );
        for (seg, before) in [
            (Segment::Nifty, d(2024, 6, 3)),
            (Segment::Sensex, d(2025, 9, 2)),
        ] {
            let x = ha.sessions_before(seg, before, 5).await.unwrap();
            assert!(!x.is_empty(), "{seg:?}");
            assert_eq!(x, hb.sessions_before(seg, before, 5).await.unwrap());
            let prev = x.last().unwrap()[0].ts.date_naive();
            assert_eq!(
                ha.session_so_far(seg, prev).await.unwrap(),
                hb.session_so_far(seg, prev).await.unwrap()
            );
        }
        for (day, symbol) in [
            (d(2022, 11, 18), "NIFTY22NOV18300CE"),
            (d(2022, 11, 18), "BANKNIFTY22NOV41500PE"),
            (d(2025, 9, 1), "SENSEX2591180500CE"),
            (d(2022, 11, 18), "NIFTY22NOV99999CE"),
        ] {
            let (mut pa, mut pb) = (
                CatalogPremiums::new(a.clone(), day),
                CatalogPremiums::new(b.clone(), day),
            );
            let mut seen = 0;
            for (h, m) in [(9, 14), (9, 15), (9, 20), (11, 0), (15, 29), (15, 35)] {
                let at = ist_hms(day, h, m, 30);
                let x = pa.last_traded(symbol, at);
                seen += usize::from(x.is_some());
                assert_eq!(x, pb.last_traded(symbol, at), "{symbol} {at}");
            }
            assert_eq!(seen > 0, !symbol.contains("99999"), "{symbol}");
        }
    }
}

#[test]
fn cached_source_reads_each_day_once() {
    let (_files, mem, src) = both();
    let cat = src.cached();
    let day = d(2024, 6, 3);
    let before = mem.reads.load(Ordering::Relaxed);
    let first = cat.bars_shared("NIFTY", day).unwrap();
    let again = cat.clone().bars_shared("NIFTY", day).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    cat.ticks("NIFTY-FUT", d(2022, 11, 18)).unwrap();
    cat.ticks("NIFTY-FUT", d(2022, 11, 18)).unwrap();
    assert_eq!(mem.reads.load(Ordering::Relaxed) - before, 2);
    assert_eq!(cat.cache().unwrap().files_parsed(), 2);
}

#[test]
fn root_equality_and_file_only_operations() {
    let (files, _mem, src) = both();
    assert_eq!(src.root(), Path::new(NAME));
    assert!(src.day_source().is_some() && files.day_source().is_none());
    assert_eq!(src, src.clone().cached());
    assert_ne!(src, files);
    let day = d(2024, 6, 3);
    let bars = src.bars("NIFTY", day).unwrap();
    let e = src.write_bars("NIFTY", day, &bars, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot write bars of NIFTY on 2024-06-03: the catalog reads memory://shipped, not files"
    );
    let e = src.write_ticks("X", day, &[], true).unwrap_err();
    assert!(matches!(e, CatalogError::NotFiles { .. }), "{e}");
    let e = src.day_file("NIFTY", day, FileKind::Ticks).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot locate the ticks file of NIFTY on 2024-06-03: the catalog reads memory://shipped, not files"
    );
}

#[test]
fn source_errors_name_the_source() {
    let (files, _mem, src) = both();
    let day = d(2024, 6, 8);
    assert_eq!(
        src.bars("NIFTY", day).unwrap_err().to_string(),
        "no data for NIFTY on 2024-06-08 in memory://shipped"
    );
    assert_eq!(
        src.bar_dates("SENSEX").unwrap_err().to_string(),
        "no series SENSEX in memory://shipped"
    );
    assert!(matches!(
        src.bars("../x", day),
        Err(CatalogError::InvalidSeries { .. })
    ));
    // the file catalog's messages are unchanged
    let dir = files.root().join("NOPE");
    assert_eq!(
        files.bar_dates("NOPE").unwrap_err().to_string(),
        format!(
            "no series NOPE in the catalog (looked for directory {})",
            dir.display()
        )
    );
    let e = CatalogError::source_failure(
        "postgres://kestrel:***@db/kestrel",
        "error communicating with database:\n    Connection refused (os error 111)\n",
    );
    assert_eq!(
        e.to_string(),
        "postgres://kestrel:***@db/kestrel: error communicating with database:; Connection refused (os error 111)"
    );
}

/// A source whose rows break the files' rules or that has empty days.
#[derive(Debug)]
struct Broken(Vec<Bar>, Vec<TradeTick>);

impl DaySource for Broken {
    fn describe(&self) -> String {
        "sqlite://broken.db".into()
    }
    fn series(&self) -> Result<Vec<String>, CatalogError> {
        Ok(vec!["B".into(), "A".into(), "A".into()])
    }
    fn dates(&self, _: &str, _: FileKind) -> Result<Vec<NaiveDate>, CatalogError> {
        Ok(vec![d(2024, 6, 4), d(2024, 6, 3), d(2024, 6, 4)])
    }
    fn bars(&self, _: &str, _: NaiveDate) -> Result<Vec<Bar>, CatalogError> {
        Ok(self.0.clone())
    }
    fn ticks(&self, _: &str, _: NaiveDate) -> Result<Vec<TradeTick>, CatalogError> {
        Ok(self.1.clone())
    }
}

#[test]
fn rows_breaking_the_rules_are_a_source_error() {
    let files = files();
    let day = d(2024, 6, 3);
    let mut bars = files.bars("NIFTY", day).unwrap();
    bars.swap(4, 5);
    let ticks = files.ticks("NIFTY-FUT", d(2022, 11, 18)).unwrap();
    let cat = Catalog::from_source(Arc::new(Broken(bars, ticks)));
    assert_eq!(cat.series().unwrap(), ["A", "B"]);
    assert_eq!(cat.bar_dates("A").unwrap(), [day, d(2024, 6, 4)]);
    let e = cat.bars("A", day).unwrap_err().to_string();
    assert_eq!(
        e,
        "sqlite://broken.db: A on 2024-06-03, bar 6: field `timestamp`: 2024-06-03T09:19:00+05:30 is not after the previous row's 2024-06-03T09:20:00+05:30 (rows must be in increasing time order)"
    );
    let e = cat.ticks("A", day).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "sqlite://broken.db: A on 2024-06-03, tick 1: field `timestamp`: 2022-11-18T"
        ),
        "{e}"
    );
    let empty = Catalog::from_source(Arc::new(Broken(vec![], vec![])));
    assert!(matches!(
        empty.bars("A", day),
        Err(CatalogError::NoData { .. })
    ));
    assert!(matches!(
        empty.ticks("A", day),
        Err(CatalogError::NoData { .. })
    ));
    assert!(empty.has_bars("A", day) && !empty.has_bars("A", d(2024, 6, 5)));
}
