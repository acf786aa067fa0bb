//! Index futures in the simulator (NFO-FUT / BFO-FUT): which monthly contract a date trades,
//! its Kite tradingsymbol and its synthetic `instrument_token`, and whether a catalog series
//! is a futures series (`NIFTY-FUT_5m`, `BANKNIFTY-FUT2`).
//!
//! Rules:
//! - **Expiry.** The near-month future expires on the month's monthly expiry when the date is
//!   on or before it, else on the next month's (exactly replay's rule,
//!   `catalog::replay::contracts` `underlying_contract`); the `n`-th month's future expires
//!   on the monthly expiry `n − 1` months after the near month's
//!   ([`ExpiryCalendar::monthly_expiry`]).
//! - **Tradingsymbol.** `{NAME}{YY}{MON}FUT` ([`kite_future_symbol`], kite-connect.md §8.4),
//!   e.g. `NIFTY24AUGFUT`.
//! - **Token.** `exchange_token × 256 + segment code` (NFO 2, BFO 5; kite-connect.md §7.4)
//!   with `exchange_token = base + (YY × 12 + month − 1)` of the expiry month, the base per
//!   index (NIFTY 60 000, BANKNIFTY 62 000, SENSEX 64 000): deterministic, the same contract
//!   keeps its token from day to day (as on Kite), and below every option's exchange token
//!   (`exchange_token_base`, from 100 000), so futures and options never collide; the low
//!   byte is never the index segment (9).

use super::{Instrument, segment_code, tick_size};
use chrono::{Datelike, NaiveDate};
use domain::calendar::{ExpiryCalendar, MarketCalendar};
use domain::instrument::kite_future_symbol;
use domain::{Decimal, Exchange, OptionContract, OptionType, Segment};

/// One monthly index future as the simulator lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFuture {
    /// The index.
    pub segment: Segment,
    /// 1 = near month, 2 = next month, …
    pub month: u32,
    /// Expiry (the month's monthly expiry, IST trading date).
    pub expiry: NaiveDate,
    /// Kite tradingsymbol, e.g. `NIFTY24AUGFUT`.
    pub tradingsymbol: String,
    /// Synthetic Kite `instrument_token` (see the module docs).
    pub instrument_token: u32,
    /// `instrument_token >> 8`.
    pub exchange_token: u32,
}

impl IndexFuture {
    /// `NFO` (NIFTY, BANKNIFTY) or `BFO` (SENSEX).
    pub fn exchange(&self) -> Exchange {
        self.segment.exchange()
    }

    /// The quote key, e.g. `NFO:NIFTY24AUGFUT`.
    pub fn quote_key(&self) -> String {
        format!("{}:{}", self.exchange(), self.tradingsymbol)
    }
}

/// First synthetic exchange token of an index's futures (`None` for a stock: no futures).
fn future_exchange_token_base(seg: Segment) -> Option<u32> {
    match seg {
        Segment::Nifty => Some(60_000),
        Segment::BankNifty => Some(62_000),
        Segment::Sensex => Some(64_000),
        Segment::Stock(_) => None,
    }
}

/// The synthetic `instrument_token` of `seg`'s future expiring on `expiry` (see the module
/// docs); `None` for a stock.
pub fn future_token(seg: Segment, expiry: NaiveDate) -> Option<u32> {
    let base = future_exchange_token_base(seg)?;
    let yy = u32::try_from(expiry.year().rem_euclid(100)).ok()?;
    let exchange_token = base + yy * 12 + expiry.month0();
    Some(exchange_token * 256 + segment_code(seg.exchange()))
}

/// The expiry of `seg`'s `month`-th monthly future traded on `date` (1 = near month: this
/// month's monthly expiry when `date` is on or before it, else next month's; 2 = the month
/// after the near month, …). `None` for a stock, `month` 0, or a month the calendar does not
/// model.
pub fn future_expiry(
    expiries: &ExpiryCalendar,
    seg: Segment,
    date: NaiveDate,
    month: u32,
) -> Option<NaiveDate> {
    if seg.index().is_none() || month == 0 {
        return None;
    }
    let (mut y, mut m) = (date.year(), date.month());
    let next = |(y, m): (i32, u32)| if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    if expiries.monthly_expiry(seg, y, m).is_none_or(|e| e < date) {
        (y, m) = next((y, m));
    }
    for _ in 1..month {
        (y, m) = next((y, m));
    }
    expiries.monthly_expiry(seg, y, m)
}

/// `seg`'s `month`-th monthly future traded on `date` under `calendar` (see
/// [`future_expiry`]); `None` for a stock or an unmodelled month.
pub fn index_future(
    calendar: &MarketCalendar,
    seg: Segment,
    date: NaiveDate,
    month: u32,
) -> Option<IndexFuture> {
    let expiry = future_expiry(&ExpiryCalendar::new(calendar.clone()), seg, date, month)?;
    let instrument_token = future_token(seg, expiry)?;
    Some(IndexFuture {
        segment: seg,
        month,
        expiry,
        tradingsymbol: kite_future_symbol(seg.option_name(), expiry),
        instrument_token,
        exchange_token: instrument_token >> 8,
    })
}

/// `seg`'s near-month future on `date` with the built-in holiday calendar (the one the
/// simulator uses): its tradingsymbol, expiry and token, as the simulator's dump lists it and
/// streams it when the segment's series is `<NAME>-FUT[_<tf>]`. E.g. NIFTY on 2024-08-12 →
/// `NIFTY24AUGFUT`, expiry 2024-08-29.
pub fn near_month_future(seg: Segment, date: NaiveDate) -> Option<IndexFuture> {
    index_future(&MarketCalendar::builtin(), seg, date, 1)
}

/// The dump row of `f` with lot size `lot` (the index options' lot of the date): strike 0,
/// tick ₹0.05, `option_type` [`OptionType::FUT`], on the index's F&O exchange.
pub(super) fn instrument(f: &IndexFuture, lot: u32) -> Instrument {
    Instrument {
        contract: OptionContract {
            segment: f.segment,
            exchange: f.exchange(),
            expiry: f.expiry,
            strike: Decimal::ZERO,
            option_type: OptionType::FUT,
            lot_size: lot,
            tick_size: tick_size(),
            tradingsymbol: f.tradingsymbol.clone(),
            instrument_token: Some(f.instrument_token),
        },
        exchange_token: f.exchange_token,
    }
}

/// Which monthly future a catalog series holds for an index whose options are named
/// `option_name` (`NIFTY`, `BANKNIFTY`, `SENSEX`): the base name (before a valid `_<tf>`
/// timeframe suffix, `catalog::naming`) `<option_name>-FUT` → 1 (near month),
/// `<option_name>-FUT<n>` → `n` (`-FUT2` = next month); anything else (`NIFTY`,
/// `NIFTY_5m`, `BANKNIFTY-FUT` for NIFTY) → `None`.
pub fn futures_series_month(series: &str, option_name: &str) -> Option<u32> {
    let base = match series.rsplit_once('_') {
        Some((b, _)) if catalog::naming::series_timeframe(series).is_ok() => b,
        _ => series,
    };
    let rest = base.strip_prefix(option_name)?.strip_prefix("-FUT")?;
    if rest.is_empty() {
        return Some(1);
    }
    if !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    rest.parse::<u32>().ok().filter(|n| *n >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn series_names_of_futures() {
        assert_eq!(futures_series_month("NIFTY-FUT_5m", "NIFTY"), Some(1));
        assert_eq!(futures_series_month("NIFTY-FUT", "NIFTY"), Some(1));
        assert_eq!(futures_series_month("NIFTY-FUT2", "NIFTY"), Some(2));
        assert_eq!(
            futures_series_month("BANKNIFTY-FUT2_5m", "BANKNIFTY"),
            Some(2)
        );
        assert_eq!(futures_series_month("SENSEX-FUT_5m", "SENSEX"), Some(1));
        assert_eq!(futures_series_month("NIFTY", "NIFTY"), None);
        assert_eq!(futures_series_month("NIFTY_5m", "NIFTY"), None);
        assert_eq!(futures_series_month("BANKNIFTY-FUT", "NIFTY"), None);
        assert_eq!(futures_series_month("NIFTY-FUTX", "NIFTY"), None);
        assert_eq!(futures_series_month("NIFTY-FUT0", "NIFTY"), None);
    }

    #[test]
    fn near_and_next_month_follow_the_monthly_expiry() {
        let n = near_month_future(Segment::Nifty, d(2024, 8, 12)).unwrap();
        assert_eq!(n.tradingsymbol, "NIFTY24AUGFUT");
        assert_eq!(n.expiry, d(2024, 8, 29));
        assert_eq!(n.quote_key(), "NFO:NIFTY24AUGFUT");
        assert_eq!(n.instrument_token & 0xFF, 2);
        assert_eq!(n.instrument_token >> 8, n.exchange_token);
        // On the expiry day itself the contract is still the near month; the day after, the
        // next month's is.
        let on = near_month_future(Segment::Nifty, d(2024, 8, 29)).unwrap();
        assert_eq!(on.tradingsymbol, "NIFTY24AUGFUT");
        let after = near_month_future(Segment::Nifty, d(2024, 8, 30)).unwrap();
        assert_eq!(after.tradingsymbol, "NIFTY24SEPFUT");
        let cal = MarketCalendar::builtin();
        let next = index_future(&cal, Segment::Nifty, d(2024, 8, 12), 2).unwrap();
        assert_eq!(next.tradingsymbol, "NIFTY24SEPFUT");
        assert_eq!(
            next.instrument_token, after.instrument_token,
            "stable token"
        );
        assert_ne!(next.instrument_token, n.instrument_token);
        let s = near_month_future(Segment::Sensex, d(2024, 8, 12)).unwrap();
        assert_eq!(s.instrument_token & 0xFF, 5);
        assert!(s.tradingsymbol.starts_with("SENSEX24AUG"));
        assert!(near_month_future("RELIANCE".parse().unwrap(), d(2024, 8, 12)).is_none());
        assert!(index_future(&cal, Segment::Nifty, d(2024, 8, 12), 0).is_none());
        // December rolls into January of the next year.
        let dec = near_month_future(Segment::Nifty, d(2024, 12, 30)).unwrap();
        assert_eq!(dec.tradingsymbol, "NIFTY25JANFUT");
    }
}

#[cfg(test)]
mod dump_tests {
    use super::super::{Day, Universe};
    use super::*;
    use crate::settings::SimMarket;
    use domain::calendar::LotSizes;
    use std::collections::{BTreeMap, HashSet};

    #[test]
    fn the_dump_lists_each_streamed_index_near_and_next_month_futures() {
        let date = NaiveDate::from_ymd_opt(2024, 8, 12).unwrap();
        let day = Day {
            date,
            segments: vec![Segment::Nifty, Segment::BankNifty, Segment::Sensex],
            series: [(Segment::Nifty, "NIFTY-FUT_5m".to_string())]
                .into_iter()
                .collect(),
            groups: Vec::new(),
            open: [
                (Segment::Nifty, Decimal::new(24355, 0)),
                (Segment::BankNifty, Decimal::new(50500, 0)),
                (Segment::Sensex, Decimal::new(79700, 0)),
            ]
            .into_iter()
            .collect(),
            prev_close: BTreeMap::new(),
            bar_minutes: BTreeMap::new(),
            tokens: BTreeMap::new(),
        };
        let cal = MarketCalendar::builtin();
        let u = Universe::build(&day, &SimMarket::default(), &cal, &LotSizes::builtin());
        assert_eq!(u.futures().count(), 6, "near and next month of 3 indices");
        let near = near_month_future(Segment::Nifty, date).unwrap();
        let f = u
            .by_symbol(Exchange::NFO, "NIFTY24AUGFUT")
            .expect("near month");
        assert!(f.is_future() && f.is_underlying() && !f.is_stock());
        let c = &f.contract;
        assert_eq!(c.expiry, NaiveDate::from_ymd_opt(2024, 8, 29).unwrap());
        assert_eq!(
            (c.lot_size, c.strike, c.tick_size),
            (25, Decimal::ZERO, tick_size())
        );
        assert_eq!(c.option_type, OptionType::FUT);
        assert_eq!(f.token(), near.instrument_token);
        assert_eq!(u.by_token(near.instrument_token), Some(f));
        let next = u
            .by_symbol(Exchange::NFO, "NIFTY24SEPFUT")
            .expect("next month");
        assert_eq!(
            next.contract.expiry,
            NaiveDate::from_ymd_opt(2024, 9, 26).unwrap()
        );
        let bn = u
            .by_symbol(Exchange::NFO, "BANKNIFTY24AUGFUT")
            .expect("BANKNIFTY near month");
        assert_eq!(bn.contract.lot_size, 15);
        assert_eq!(
            bn.contract.expiry,
            NaiveDate::from_ymd_opt(2024, 8, 28).unwrap(),
            "BANKNIFTY's monthly expiry was the last Wednesday in 2024"
        );
        assert!(u.by_symbol(Exchange::NFO, "BANKNIFTY24SEPFUT").is_some());
        let sx = u
            .by_symbol(Exchange::BFO, "SENSEX24AUGFUT")
            .expect("SENSEX near month");
        assert_eq!(sx.contract.lot_size, 10);
        assert_eq!(sx.token() & 0xFF, 5);
        // Kite's row shape.
        let csv = u.csv(Some("NFO"));
        let row = format!(
            "{},{},NIFTY24AUGFUT,NIFTY,0.0,2024-08-29,0.0,0.05,25,FUT,NFO-FUT,NFO\n",
            near.instrument_token, near.exchange_token
        );
        assert!(csv.contains(&row), "{row}");
        assert!(u.csv(Some("BFO")).contains(",SENSEX24AUGFUT,SENSEX,0.0,"));
        assert!(u.csv(Some("BFO")).contains(",FUT,BFO-FUT,BFO\n"));
        assert!(!u.csv(Some("NSE")).contains("FUT"));
        // Tokens: unique, never an index token, and the options are unchanged.
        let tokens: HashSet<u32> = u.options.iter().map(|i| i.token()).collect();
        assert_eq!(tokens.len(), u.options.len());
        assert!(
            u.options
                .iter()
                .all(|i| Segment::from_index_token(i.token()).is_none())
        );
        assert!(u.by_symbol(Exchange::NFO, "NIFTY24AUG24350CE").is_some());
    }
}
