//! Recording a paper or live day (issue 14): what the session receives, kept so that
//! `replay --date <that day>` replays it later (spec §9).
//!
//! - index ticks → completed 1-minute bars per index (`NIFTY`, `BANKNIFTY`, `SENSEX`),
//!   labelled by their minute's start, session bars 09:15–15:29 only ([`bars`]);
//! - a scanned stock's ticks (seed 001's `[universe]`) → the same 1-minute bars with their
//!   volume, under the series replay reads for the stock (`Config::series`, e.g. `RELIANCE`),
//!   so that a recorded scanner day replays;
//! - every other subscribed instrument's ticks → trade ticks per Kite tradingsymbol
//!   (`timestamp,last_price,volume,oi`; `volume` = units traded since the instrument's
//!   previous packet where the feed has it; `oi` is empty: the engine's tick has none);
//! - the day's instruments dump as received from Kite (verbatim CSV).
//!
//! [`Recorder`] turns market events into calls on one or more [`RecordSink`]s (the file
//! catalog: [`catalog_sink::CatalogSink`]); [`thread::RecorderThread`] runs it on its own
//! thread so that the session's per-tick work is one channel send after the engine stepped
//! the tick. [`thread::start`] builds it from the configuration (`[data] record`,
//! `[data] record_dir`).

pub mod bars;
pub mod catalog_sink;
pub mod spool;
pub mod store_sink;
pub mod thread;

#[cfg(test)]
mod tests;

use bars::MinuteBars;
use catalog::TradeTick;
use chrono::NaiveDate;
use domain::ports::MarketEvent;
use domain::time::IstDateTime;
use domain::{Bar, Decimal, Segment, Tick};
use std::collections::HashMap;

/// Where recorded market data goes. Calls come in time order from one thread; a sink never
/// fails a call (recording must not stop trading): it keeps its first error and returns it
/// from [`RecordSink::finish`].
pub trait RecordSink: Send {
    /// The day's instruments dump as received from Kite (CSV text with Kite's header).
    fn instruments(&mut self, date: NaiveDate, csv: &str);
    /// A tick of a non-index instrument, `series` = its Kite tradingsymbol.
    fn tick(&mut self, series: &str, tick: &TradeTick);
    /// A completed 1-minute bar of an index (`series` = the segment code, `NIFTY`) or of a
    /// scanned stock (`series` = its catalog series, `RELIANCE`).
    fn bar(&mut self, series: &str, bar: &Bar);
    /// End of the day or shutdown: make the day's recording durable where it belongs.
    ///
    /// # Errors
    /// What went wrong while recording or now, as one message naming files.
    fn finish(&mut self, date: NaiveDate) -> Result<(), String>;
}

/// Kite instrument token → tradingsymbol (the session's instruments master).
pub type Symbols = Box<dyn Fn(u32) -> Option<String> + Send>;

/// Market events → sink calls: minute bars of the indices and scanned stocks, trade ticks of
/// the rest.
pub struct Recorder {
    date: NaiveDate,
    symbols: Symbols,
    /// Non-index tokens recorded as minute bars: token → catalog series.
    bar_series: HashMap<u32, String>,
    names: HashMap<u32, Option<String>>,
    bars: MinuteBars,
    /// The last recorded price per non-index token (a packet with no trade and the same
    /// price, e.g. a depth change, is not a trade tick).
    last: HashMap<u32, Decimal>,
    sinks: Vec<Box<dyn RecordSink>>,
}

impl Recorder {
    /// A recorder of `date` into `sinks`, naming non-index instruments through `symbols`.
    pub fn new(date: NaiveDate, symbols: Symbols, sinks: Vec<Box<dyn RecordSink>>) -> Self {
        Self {
            date,
            symbols,
            bar_series: HashMap::new(),
            names: HashMap::new(),
            bars: MinuteBars::new(),
            last: HashMap::new(),
            sinks,
        }
    }

    /// Record the ticks of these `(instrument_token, catalog series)` as minute bars with
    /// volume, as an index's (a scanned stock's share and the series replay reads for it).
    #[must_use]
    pub fn with_bar_series(mut self, series: impl IntoIterator<Item = (u32, String)>) -> Self {
        self.bar_series.extend(series);
        self
    }

    /// The day's instruments dump (verbatim CSV) to every sink.
    pub fn instruments(&mut self, csv: &str) {
        for s in &mut self.sinks {
            s.instruments(self.date, csv);
        }
    }

    /// One market event as the session received it: a tick is recorded; a timer or the
    /// session's end completes the bars whose minute is over.
    pub fn event(&mut self, ev: &MarketEvent) {
        match ev {
            MarketEvent::Tick(t) => self.tick(t),
            MarketEvent::Timer(now) | MarketEvent::EndOfSession(now) => self.advance(*now),
            MarketEvent::Feed(..) => {}
        }
    }

    fn tick(&mut self, t: &Tick) {
        if t.ts.date_naive() != self.date {
            return;
        }
        if let Some(seg) = Segment::from_index_token(t.token) {
            if let Some(bar) = self.bars.push(seg.code(), t.ts, t.price, None) {
                self.emit_bar(seg.code(), &bar);
            }
            return;
        }
        if let Some(series) = self.bar_series.get(&t.token) {
            if let Some(bar) = self.bars.push(series, t.ts, t.price, t.volume) {
                for s in &mut self.sinks {
                    s.bar(series, &bar);
                }
            }
            return;
        }
        if t.volume == Some(0) && self.last.get(&t.token) == Some(&t.price) {
            return;
        }
        self.last.insert(t.token, t.price);
        let symbols = &self.symbols;
        let name = self
            .names
            .entry(t.token)
            .or_insert_with(|| symbols(t.token));
        let Some(series) = name.as_deref() else {
            return;
        };
        let tt = TradeTick {
            ts: t.ts,
            last_price: t.price,
            volume: t.volume,
            oi: None,
        };
        for s in &mut self.sinks {
            s.tick(series, &tt);
        }
    }

    fn emit_bar(&mut self, series: &str, bar: &Bar) {
        for s in &mut self.sinks {
            s.bar(series, bar);
        }
    }

    /// The clock reached `now`: bars whose minute is over are completed.
    pub fn advance(&mut self, now: IstDateTime) {
        for (series, bar) in self.bars.advance(now) {
            self.emit_bar(&series, &bar);
        }
    }

    /// End of the recorded day at `close` (the session's close): the bars whose minute ended
    /// by then are completed, then every sink finishes, even after another failed.
    ///
    /// # Errors
    /// The sinks' messages, joined.
    pub fn finish(&mut self, close: IstDateTime) -> Result<(), String> {
        self.advance(close);
        let errors: Vec<String> = self
            .sinks
            .iter_mut()
            .filter_map(|s| s.finish(self.date).err())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}
