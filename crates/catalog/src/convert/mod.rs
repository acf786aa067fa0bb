//! Conversion of the shipped raw sources (`shared/data/`, described in its `README.md`) into
//! the canonical catalog format. Used by the `convert` binary.
//!
//! Each [`Source`] reads one raw folder and yields day files keyed by `(series, date)`; values
//! are kept as they are in the source except where a rule below says otherwise:
//!
//! | source folder | series | rule |
//! | --- | --- | --- |
//! | `index-1min-2024/` | `NIFTY`, `BANKNIFTY` | label = start already; rows outside the day's session dropped (only the 2024-01-20 post-close artefacts) |
//! | `index-1min-2022-11/` | `NIFTY`, `BANKNIFTY` | label = END in the source → start = end − 1 min; pre-open/post-close bars dropped (day = 09:15..15:29) |
//! | `nfo-ticks-2022-11-18/` | option Kite symbols (`NIFTY22NOV18300CE`), `NIFTY-FUT`, `NIFTY-FUT2`, … | trade ticks |
//! | `futures-5min-2024/` | `NIFTY-FUT_5m`, `BANKNIFTY-FUT_5m`, `SENSEX-FUT_5m` | 5-minute bars, indicator columns dropped |
//! | `sensex-nifty-banknifty-1min-2025-12/` | `SENSEX`, `NIFTY`, `BANKNIFTY` | float32 artefacts rounded to 2 decimals |
//! | `sensex-index-options-3min-2025-09/` | `SENSEX_3m`, `SENSEX25911…CE_3m` | 3-minute bars, indicator columns dropped |
//! | `nse-stocks-1min/marketmaya-1min-2025/` | the NSE symbol: `RELIANCE`, `TCS`, `ICICIBANK`, `BHARTIARTL`, `BAJAJ-AUTO` | 1-minute stock bars with volume, unchanged; NSE token kept ([`Converted::stock`]); bars gzip-compressed |
//! | `nse-stocks-1min/yahoo-5min-2024/` | `<SYMBOL>_5m` (10 stocks) | 5-minute stock bars; float32 artefacts rounded to the 0.05 tick; volume 0 (Yahoo: unknown) → empty; bars gzip-compressed |
//!
//! A Breeze historical-data export (CSV of the v2 candle fields, `breeze`) is not a folder of
//! `shared/data/` but a user's file: [`breeze::convert_breeze_csv`].
//!
//! Index bars get an empty volume: an index has no traded volume, the sources' `0` (or
//! missing column) means "not available". Futures and option volumes are kept (a `0` there
//! is a real "no trade").
//!
//! Exchange rules come from `domain`, not from here: the session of a day is
//! [`MarketCalendar::session_windows`](domain::calendar::MarketCalendar::session_windows)
//! (09:15–15:30 IST, [`domain::time::session_open`] / [`domain::time::session_close`], or a
//! special session's windows), and whether an option's expiry is its month's monthly contract
//! (which decides its Kite tradingsymbol form) is [`ExpiryCalendar`]'s (spec §5, kite-connect.md §8.4, §8.7).
//!
//! One job per file: [`Source`] (this file) names the raw folders and dispatches; `raw` reads
//! raw files; `index`, `ticks` and `coarse` convert the index 1-minute, trade-tick and
//! 5-/3-minute sources; `stocks` the NSE equity sources; `breeze` a Breeze CSV export;
//! `instruments` the stock series' token file (`instruments.csv`); `symbols` holds the option/futures naming rules; `days` and
//! `converted` collect, merge and write the day files; `report` holds what was done.

pub mod breeze;
mod coarse;
mod converted;
mod days;
mod index;
pub mod instruments;
mod raw;
mod report;
mod stocks;
mod symbols;
mod ticks;

pub use converted::Converted;
pub use days::DayData;
pub use index::{end_label_to_start, in_session, round_float32_artifact};
pub use report::{SeriesSummary, SourceReport};
pub use stocks::{StockInfo, round_to_tick};
pub use symbols::{ParsedOption, futures_series, parse_kite_weekly_option, parse_yymmdd_option};

use crate::error::CatalogError;
use days::Days;
use domain::calendar::ExpiryCalendar;
use std::path::Path;

/// One raw source folder of `shared/data/` that the engine can use.
///
/// Not converted (not bars or trade ticks of a replayable day): `option-chain-snapshots-2025-08-29/`
/// (chain snapshots of a day without index data), `kite-instruments/` and `nse-holidays/`
/// (reference data, read directly by the calendar/broker code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// `index-1min-2024/`: NIFTY and BANKNIFTY index 1-minute bars, 2024-01-01..2024-08-20.
    Index1min2024,
    /// `index-1min-2022-11/`: NIFTY and BANKNIFTY index 1-minute bars, Nov 2022 (end-labelled).
    Index1min2022Nov,
    /// `nfo-ticks-2022-11-18/`: option and futures trade ticks of 2022-11-18.
    NfoTicks20221118,
    /// `futures-5min-2024/`: NIFTY/BANKNIFTY/SENSEX near-month futures 5-minute bars.
    Futures5min2024,
    /// `sensex-nifty-banknifty-1min-2025-12/`: SENSEX, NIFTY, BANKNIFTY index 1-minute bars.
    Index1min2025Dec,
    /// `sensex-index-options-3min-2025-09/`: SENSEX index and weekly options, 3-minute bars.
    Sensex3min2025Sep,
    /// `nse-stocks-1min/marketmaya-1min-2025/`: five NSE stocks, 1-minute bars with volume,
    /// 2025-01-01..2025-07-24 (139 sessions).
    Stocks1min2025,
    /// `nse-stocks-1min/yahoo-5min-2024/`: ten NSE stocks, 5-minute bars, 2024-03-20..04-19.
    Stocks5min2024,
}

impl Source {
    /// All convertible sources, in conversion order.
    pub const ALL: [Source; 8] = [
        Source::Index1min2024,
        Source::Index1min2022Nov,
        Source::NfoTicks20221118,
        Source::Futures5min2024,
        Source::Index1min2025Dec,
        Source::Sensex3min2025Sep,
        Source::Stocks1min2025,
        Source::Stocks5min2024,
    ];

    /// The source's folder name under the raw data directory.
    pub fn dir_name(self) -> &'static str {
        match self {
            Source::Index1min2024 => "index-1min-2024",
            Source::Index1min2022Nov => "index-1min-2022-11",
            Source::NfoTicks20221118 => "nfo-ticks-2022-11-18",
            Source::Futures5min2024 => "futures-5min-2024",
            Source::Index1min2025Dec => "sensex-nifty-banknifty-1min-2025-12",
            Source::Sensex3min2025Sep => "sensex-index-options-3min-2025-09",
            Source::Stocks1min2025 => "nse-stocks-1min/marketmaya-1min-2025",
            Source::Stocks5min2024 => "nse-stocks-1min/yahoo-5min-2024",
        }
    }

    /// Whether this source's bars are always written gzip-compressed (`<date>.csv.gz`): the
    /// stock sources (≈ 700 day files; compressed they take a fifth of the space), whatever
    /// the `convert` flag for the other bars says.
    pub fn gzip_bars(self) -> bool {
        matches!(self, Source::Stocks1min2025 | Source::Stocks5min2024)
    }

    /// The source whose folder is named `name`.
    pub fn from_dir_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.dir_name() == name)
    }

    /// Convert this source, read from `raw_root/<dir_name>/`, into `out`, with the exchange
    /// rules of [`ExpiryCalendar::builtin`] and its
    /// [`MarketCalendar`](domain::calendar::MarketCalendar).
    ///
    /// Errors name the raw file, its 1-based line and the source's column name.
    pub fn convert(self, raw_root: &Path, out: &mut Converted) -> Result<(), CatalogError> {
        let dir = raw_root.join(self.dir_name());
        if !dir.is_dir() {
            return Err(CatalogError::File {
                path: dir,
                message: "raw source folder not found".into(),
            });
        }
        let mut report = SourceReport::new(self.dir_name());
        let mut days = Days::default();
        let expiries = ExpiryCalendar::builtin();
        let sessions = expiries.calendar();
        let mut stocks = Vec::new();
        match self {
            Source::Index1min2024 => {
                index::index_1min_2024(&dir, sessions, &mut days, &mut report)?
            }
            Source::Index1min2022Nov => {
                index::index_1min_2022_11(&dir, sessions, &mut days, &mut report)?;
            }
            Source::NfoTicks20221118 => ticks::nfo_ticks(&dir, &expiries, &mut days, &mut report)?,
            Source::Futures5min2024 => coarse::futures_5min(&dir, &mut days, &mut report)?,
            Source::Index1min2025Dec => index::index_1min_2025_12(&dir, &mut days, &mut report)?,
            Source::Sensex3min2025Sep => {
                coarse::sensex_3min(&dir, &expiries, &mut days, &mut report)?
            }
            Source::Stocks1min2025 => {
                for s in stocks::marketmaya_1min(&dir, sessions, &mut days, &mut report)? {
                    stocks.push((s.symbol.clone(), s));
                }
            }
            Source::Stocks5min2024 => {
                for s in stocks::yahoo_5min(&dir, sessions, &mut days, &mut report)? {
                    let tf =
                        domain::Timeframe::from_minutes(5).map_err(|e| CatalogError::File {
                            path: dir.clone(),
                            message: e.to_string(),
                        })?;
                    stocks.push((crate::naming::series_name(&s.symbol, tf), s));
                }
            }
        }
        out.merge(days, report, self.gzip_bars())?;
        for (series, info) in stocks {
            out.add_stock(series, info);
        }
        Ok(())
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.dir_name())
    }
}
