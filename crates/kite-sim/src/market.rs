//! The simulated market of one day: the index, index-future and stock ticks (exactly
//! replay's, spec §3.1 rule 2; a tick carries its bar's volume on the close tick when the
//! series has volume, as replay does), the option universe, the index futures (`FUT`, see
//! [`futures`]) and the NSE `EQ` rows of the instruments dump, and option premiums (Black-76
//! as the paper broker models them, spec §8; real catalog prices where the catalog has the
//! contract). A stock's or a future's price is its stream price: no model.

use crate::SimError;
use crate::settings::SimMarket;
use catalog::Catalog;
use catalog::replay::ReplayFeed;
use chrono::{NaiveDate, TimeDelta};
use domain::calendar::{ExpiryCalendar, LotSizes, MarketCalendar};
use domain::instrument::{kite_option_symbol, nse_equity_tick_size};
use domain::ports::{MarketData, MarketEvent};
use domain::time::{IstDateTime, ist, session_close};
use domain::{Decimal, Exchange, OptionContract, OptionType, Segment};
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

pub mod futures;

pub use futures::{
    IndexFuture, future_expiry, future_token, futures_series_month, index_future, near_month_future,
};

/// Option tick size, ₹.
pub fn tick_size() -> Decimal {
    Decimal::new(5, 2)
}

/// One timestamp of the stream: the index and stock ticks sharing it, in segment order (one
/// binary frame on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Exchange time, IST.
    pub ts: IstDateTime,
    /// `(segment, price ₹, volume)`, segment order (spec §3 tie-break: indices, then stocks
    /// by symbol). The price is the index value or the stock's last traded price; the volume
    /// is replay's per-tick volume (units traded, on a stock bar's close tick; `None` for
    /// indices, the other ticks of a bar and the closing publication).
    pub ticks: Vec<(Segment, Decimal, Option<u64>)>,
    /// The closing publication at 15:30 (sent once after the last tick of the day).
    pub closing: bool,
}

/// The streamed day.
#[derive(Debug, Clone)]
pub struct Day {
    /// The trading date.
    pub date: NaiveDate,
    /// Streamed segments, tie-break order.
    pub segments: Vec<Segment>,
    /// The catalog series of each segment (config `[segments.X] series`, default the code).
    pub series: BTreeMap<Segment, String>,
    /// Frames in time order, the closing publication last.
    pub groups: Vec<Group>,
    /// The first price of each segment (the day's open).
    pub open: BTreeMap<Segment, Decimal>,
    /// The previous session's close (catalog), else the day's open.
    pub prev_close: BTreeMap<Segment, Decimal>,
    /// Minutes per bar of each segment's series (1 for index series).
    pub bar_minutes: BTreeMap<Segment, u32>,
    /// The Kite `instrument_token` of each segment: an index's token (kite-connect.md §8.3),
    /// its future's synthetic token when the series is a futures series
    /// ([`futures_series_month`], [`IndexFuture::instrument_token`]), or a stock's real NSE
    /// token from the catalog's `instruments.csv` (RELIANCE 738561).
    pub tokens: BTreeMap<Segment, u32>,
}

impl Day {
    /// Load `segments` of `date` from the catalog and build the replay ticks.
    ///
    /// Indices stream under their index token, or, when the segment's series is a futures
    /// series (`NIFTY-FUT_5m`: [`futures_series_month`]), under that month's future's token
    /// ([`index_future`] with the built-in calendar; `-FUT` the near month, `-FUT2` the next);
    /// stocks under their real Kite token ([`Catalog::watch_tokens`]); the ticks are
    /// [`ReplayFeed`]'s, with its per-tick volume.
    ///
    /// # Errors
    /// [`SimError::Data`] naming the directory, series and date when a day file is missing
    /// or unreadable, or when it has no bar inside the session; naming the symbol and
    /// `instruments.csv` when a stock has no token there; naming the series when the
    /// calendar has no monthly expiry for its future.
    pub async fn load(
        catalog: &Catalog,
        market: &SimMarket,
        date: NaiveDate,
        segments: &[Segment],
    ) -> Result<Day, SimError> {
        let mut segments = segments.to_vec();
        segments.sort();
        segments.dedup();
        if segments.is_empty() {
            return Err(SimError::Config("no segment to stream".into()));
        }
        let mut bars = Vec::new();
        let mut tokens = BTreeMap::new();
        let mut series = BTreeMap::new();
        let mut prev_close = BTreeMap::new();
        let mut minutes = BTreeMap::new();
        let calendar = MarketCalendar::builtin();
        for seg in &segments {
            let name = market.segment(*seg).series;
            let b = catalog.bars(&name, date).map_err(|e| match e {
                catalog::CatalogError::NoData { .. } => SimError::Data(format!(
                    "no data for {name} on {date} in {} (looked for {}/{name}/{date}.csv[.gz])",
                    catalog.root().display(),
                    catalog.root().display(),
                )),
                other => SimError::Data(format!("{name} on {date}: {other}")),
            })?;
            if let Some(c) = previous_close(catalog, &name, date) {
                prev_close.insert(*seg, c);
            }
            minutes.insert(*seg, catalog::replay::ticks::bar_minutes(&b));
            let token = match seg.index_token() {
                Some(t) => match futures_series_month(&name, seg.option_name()) {
                    None => t,
                    Some(m) => index_future(&calendar, *seg, date, m)
                        .map(|f| f.instrument_token)
                        .ok_or_else(|| {
                            SimError::Data(format!(
                                "{seg}: series {name} is a futures series but the calendar has no monthly expiry of its month {m} from {date}"
                            ))
                        })?,
                },
                None => catalog
                    .watch_tokens(&[(*seg, name.clone())])
                    .ok()
                    .and_then(|t| t.first().copied())
                    .ok_or_else(|| {
                        SimError::Data(format!(
                            "stock {seg}: no instrument_token for series {name} in {}/instruments.csv (data/instruments.csv): add its row",
                            catalog.root().display()
                        ))
                    })?,
            };
            tokens.insert(*seg, token);
            series.insert(*seg, name);
            bars.push((*seg, token, b));
        }
        let by_token: HashMap<u32, Segment> = tokens.iter().map(|(s, t)| (*t, *s)).collect();
        let mut feed = ReplayFeed::new(date, &bars);
        let mut groups: Vec<Group> = Vec::new();
        let mut end = ist(date, session_close());
        while let Some(ev) = feed.next_event().await {
            match ev {
                MarketEvent::Tick(t) => {
                    let Some(seg) = by_token.get(&t.token).copied() else {
                        continue;
                    };
                    match groups.last_mut() {
                        Some(g) if g.ts == t.ts => g.ticks.push((seg, t.price, t.volume)),
                        _ => groups.push(Group {
                            ts: t.ts,
                            ticks: vec![(seg, t.price, t.volume)],
                            closing: false,
                        }),
                    }
                }
                MarketEvent::EndOfSession(t) => {
                    end = t;
                    break;
                }
                _ => {}
            }
        }
        let mut open = BTreeMap::new();
        let mut last = BTreeMap::new();
        for g in &groups {
            for (s, p, _) in &g.ticks {
                open.entry(*s).or_insert(*p);
                last.insert(*s, *p);
            }
        }
        for seg in &segments {
            if !open.contains_key(seg) {
                return Err(SimError::Data(format!(
                    "{} on {date} in {} has no bar inside the session 09:15–15:29",
                    series[seg],
                    catalog.root().display()
                )));
            }
            prev_close.entry(*seg).or_insert(open[seg]);
        }
        let closing_ts = if groups.last().is_some_and(|g| g.ts >= end) {
            groups.last().map_or(end, |g| g.ts) + TimeDelta::seconds(1)
        } else {
            end
        };
        groups.push(Group {
            ts: closing_ts,
            ticks: segments.iter().map(|s| (*s, last[s], None)).collect(),
            closing: true,
        });
        Ok(Day {
            date,
            segments,
            series,
            groups,
            open,
            prev_close,
            bar_minutes: minutes,
            tokens,
        })
    }

    /// The time of the first frame.
    pub fn first_ts(&self) -> IstDateTime {
        self.groups[0].ts
    }

    /// The Kite `instrument_token` a streamed segment's ticks go out under (an index's token,
    /// its streamed future's token, a stock's real token); the index token (0 for a stock)
    /// when `seg` is not streamed.
    pub fn token(&self, seg: Segment) -> u32 {
        self.tokens
            .get(&seg)
            .copied()
            .unwrap_or_else(|| index_token(seg))
    }

    /// The streamed segment whose ticks go out under `token` (an index, future or stock
    /// token).
    pub fn segment_of_token(&self, token: u32) -> Option<Segment> {
        self.tokens
            .iter()
            .find(|(_, t)| **t == token)
            .map(|(s, _)| *s)
    }

    /// Whether index segment `seg` streams one of its futures (its token is not the index
    /// token); `false` for an index streamed as itself, a stock, or a segment not streamed.
    pub fn streams_future(&self, seg: Segment) -> bool {
        seg.index_token()
            .is_some_and(|t| self.tokens.get(&seg).is_some_and(|x| *x != t))
    }
}

/// The close of the last session before `date` with a bars file of `series`.
fn previous_close(catalog: &Catalog, series: &str, date: NaiveDate) -> Option<Decimal> {
    let dates = catalog.bar_dates(series).ok()?;
    let prev = dates.into_iter().rfind(|d| *d < date)?;
    catalog.bars(series, prev).ok()?.last().map(|b| b.close)
}

/// One tradable row of the simulated instruments dump: an index option (NFO/BFO), an index
/// future (`FUT`, NFO/BFO) or a streamed stock's NSE share (`EQ`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// The contract: an option with its synthetic `instrument_token`; an index future
    /// (`option_type` [`OptionType::FUT`], strike 0, the options' lot size of the date, tick
    /// ₹0.05, its synthetic token, [`futures`]); or a stock's share
    /// (`option_type` [`OptionType::EQ`], exchange NSE, segment [`Segment::Stock`], strike 0,
    /// lot size 1, `expiry` = the simulated date (an MIS position lives one day; the dump's
    /// expiry column is empty), NSE's equity tick size, its real token).
    pub contract: OptionContract,
    /// `instrument_token >> 8`.
    pub exchange_token: u32,
}

impl Instrument {
    /// The token.
    pub fn token(&self) -> u32 {
        self.contract.instrument_token.unwrap_or(0)
    }

    /// A stock's NSE share (`EQ`), not an option: priced at its stream price, filled without
    /// a spread, margined as equity MIS, `SL-M` allowed, product MIS only.
    pub fn is_stock(&self) -> bool {
        self.contract.option_type == OptionType::EQ
    }

    /// An index future (`FUT`): priced at its segment's stream price, filled without a
    /// spread, products MIS and NRML, whole lots, margined as a future
    /// ([`crate::margins::model`]).
    pub fn is_future(&self) -> bool {
        self.contract.option_type == OptionType::FUT
    }

    /// The underlying itself (`EQ` or `FUT`), not an option: priced at the stream price (no
    /// Black-76), filled without a spread, long or short.
    pub fn is_underlying(&self) -> bool {
        !self.contract.option_type.is_option()
    }
}

/// The tradables listed for the day (kite-connect.md §3.7): per streamed index the options of
/// the next 4 expiries on/after the date, strikes at the configured step within ±10 % of the
/// day's open, CE and PE, and its near-month and next-month futures (also a further month's
/// when that is the streamed series, `-FUT3`); per streamed stock its NSE `EQ` row (real
/// token, tick size [`nse_equity_tick_size`] at the day's open).
#[derive(Debug, Clone, Default)]
pub struct Universe {
    /// All instruments in dump order: the options, then the index futures, then the stocks'
    /// `EQ` rows (check [`Instrument::is_underlying`] before treating one as an option).
    pub options: Vec<Instrument>,
    by_token: HashMap<u32, usize>,
    by_symbol: HashMap<(Exchange, String), usize>,
}

/// Kite exchange segment codes (low byte of a token, kite-connect.md §7.4).
fn segment_code(ex: Exchange) -> u32 {
    match ex {
        Exchange::NSE => 1,
        Exchange::NFO => 2,
        Exchange::BSE => 3,
        Exchange::BFO => 5,
    }
}

/// First synthetic exchange token of a segment's options: tokens are
/// `exchange_token × 256 + segment code` (NFO 2, BFO 5), so they never collide with the
/// index tokens (segment 9).
fn exchange_token_base(seg: Segment) -> u32 {
    match seg {
        Segment::Nifty => 100_000,
        Segment::BankNifty => 140_000,
        Segment::Sensex => 180_000,
        Segment::Stock(_) => 0, // no options: a stock lists its share only
    }
}

/// The index token of an index segment (0 for a stock: a stock's token is in
/// [`Day::tokens`]).
pub(crate) fn index_token(seg: Segment) -> u32 {
    seg.index_token().unwrap_or(0)
}

impl Universe {
    /// Build the dump of `day` with the configured strike steps and the lot-size schedule.
    pub fn build(
        day: &Day,
        market: &SimMarket,
        calendar: &MarketCalendar,
        lots: &LotSizes,
    ) -> Self {
        let expiries = ExpiryCalendar::new(calendar.clone());
        let mut u = Universe::default();
        for seg in day.segments.iter().filter(|s| s.index().is_some()) {
            let step = market.segment(*seg).strike_step;
            let open = day.open[seg];
            let lo = open * Decimal::new(9, 1);
            let hi = open * Decimal::new(11, 1);
            let first = (lo / step).ceil() * step;
            let last = (hi / step).floor() * step;
            let lot = lots.lot_size(*seg, day.date);
            let mut list = Vec::new();
            let mut e = expiries.next_expiry(*seg, day.date);
            while let Some(x) = e {
                list.push(x);
                if list.len() == 4 {
                    break;
                }
                e = expiries.next_expiry_after(*seg, x.date);
            }
            let mut n = exchange_token_base(*seg);
            for x in list {
                let mut k = first;
                while k <= last {
                    for ot in [OptionType::CE, OptionType::PE] {
                        let token = n * 256 + segment_code(seg.exchange());
                        let contract = OptionContract {
                            segment: *seg,
                            exchange: seg.exchange(),
                            expiry: x.date,
                            strike: k.normalize(),
                            option_type: ot,
                            lot_size: lot,
                            tick_size: tick_size(),
                            tradingsymbol: kite_option_symbol(
                                seg.option_name(),
                                x.date,
                                x.monthly,
                                k,
                                ot,
                            ),
                            instrument_token: Some(token),
                        };
                        u.push(Instrument {
                            contract,
                            exchange_token: n,
                        });
                        n += 1;
                    }
                    k += step;
                }
            }
        }
        for seg in day.segments.iter().filter(|s| s.index().is_some()) {
            let streamed = futures_series_month(
                &day.series.get(seg).cloned().unwrap_or_default(),
                seg.option_name(),
            )
            .unwrap_or(1);
            let lot = lots.lot_size(*seg, day.date);
            for m in 1..=streamed.max(2) {
                if let Some(f) = index_future(calendar, *seg, day.date, m) {
                    u.push(futures::instrument(&f, lot));
                }
            }
        }
        for seg in &day.segments {
            let Segment::Stock(sym) = *seg else {
                continue;
            };
            let token = day.token(*seg);
            let open = day.open.get(seg).copied().unwrap_or_default();
            let contract = OptionContract {
                segment: *seg,
                exchange: Exchange::NSE,
                expiry: day.date,
                strike: Decimal::ZERO,
                option_type: OptionType::EQ,
                lot_size: 1,
                tick_size: nse_equity_tick_size(day.date, open),
                tradingsymbol: sym.as_str().to_string(),
                instrument_token: Some(token),
            };
            u.push(Instrument {
                contract,
                exchange_token: token >> 8,
            });
        }
        u
    }

    /// Append `inst` and index it by token and `(exchange, tradingsymbol)`.
    fn push(&mut self, inst: Instrument) {
        let i = self.options.len();
        self.by_token.insert(inst.token(), i);
        self.by_symbol.insert(
            (inst.contract.exchange, inst.contract.tradingsymbol.clone()),
            i,
        );
        self.options.push(inst);
    }

    /// The index futures (`FUT` rows), dump order.
    pub fn futures(&self) -> impl Iterator<Item = &Instrument> {
        self.options.iter().filter(|i| i.is_future())
    }

    /// The streamed stocks' NSE `EQ` rows, dump order.
    pub fn stocks(&self) -> impl Iterator<Item = &Instrument> {
        self.options.iter().filter(|i| i.is_stock())
    }

    /// The option, future or stock share with this token.
    pub fn by_token(&self, token: u32) -> Option<&Instrument> {
        self.by_token.get(&token).map(|i| &self.options[*i])
    }

    /// The option, future or stock share `exchange:tradingsymbol` (`NSE`, `RELIANCE`;
    /// `NFO`, `NIFTY24AUGFUT`).
    pub fn by_symbol(&self, exchange: Exchange, symbol: &str) -> Option<&Instrument> {
        self.by_symbol
            .get(&(exchange, symbol.to_string()))
            .map(|i| &self.options[*i])
    }

    /// The instruments CSV (Kite's columns, kite-connect.md §3.7) for `exchange`: `None` =
    /// all exchanges (index rows, every option, the stocks' `EQ` rows), `NSE` = its index rows
    /// plus the streamed stocks' `EQ` rows (segment `NSE`, lot size 1, empty expiry, strike 0,
    /// NSE's equity tick size), `BSE` = its index row, `NFO`/`BFO` = their options and
    /// futures (`FUT` rows: segment `NFO-FUT`/`BFO-FUT`, strike 0.0, the expiry, tick 0.05, the
    /// lot size), anything else = the header only.
    pub fn csv(&self, exchange: Option<&str>) -> String {
        let mut out = String::from(
            "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n",
        );
        let want = |ex: &str| exchange.is_none_or(|e| e.eq_ignore_ascii_case(ex));
        for seg in Segment::ALL {
            let ex = index_exchange(seg);
            if want(ex) {
                let _ = writeln!(
                    out,
                    "{},{},{},{},0.0,,0.0,0.0,0,EQ,INDICES,{ex}",
                    index_token(seg),
                    index_token(seg) >> 8,
                    seg.index_symbol(),
                    seg.index_symbol(),
                );
            }
        }
        for o in &self.options {
            let c = &o.contract;
            let ex = c.exchange.to_string();
            if !want(&ex) {
                continue;
            }
            if o.is_stock() {
                let _ = writeln!(
                    out,
                    "{},{},{},{},0.0,,0.0,{},{},EQ,{ex},{ex}",
                    o.token(),
                    o.exchange_token,
                    c.tradingsymbol,
                    c.tradingsymbol,
                    c.tick_size.normalize(),
                    c.lot_size,
                );
                continue;
            }
            let kind = if o.is_future() { "FUT" } else { "OPT" };
            let _ = writeln!(
                out,
                "{},{},{},{},0.0,{},{:.1},{},{},{},{}-{kind},{}",
                o.token(),
                o.exchange_token,
                c.tradingsymbol,
                c.segment.option_name(),
                c.expiry.format("%Y-%m-%d"),
                c.strike.to_f64().unwrap_or(0.0),
                c.tick_size,
                c.lot_size,
                c.option_type.code(),
                ex,
                ex,
            );
        }
        out
    }
}

/// `NSE` or `BSE`: where a segment's index is quoted.
pub fn index_exchange(seg: Segment) -> &'static str {
    if seg.exchange().is_nse_group() {
        "NSE"
    } else {
        "BSE"
    }
}

/// The quote key of an index: `NSE:NIFTY 50`, `NSE:NIFTY BANK`, `BSE:SENSEX`.
pub fn index_key(seg: Segment) -> String {
    format!("{}:{}", index_exchange(seg), seg.index_symbol())
}

#[cfg(test)]
mod tests;
