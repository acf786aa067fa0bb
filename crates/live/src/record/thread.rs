//! [`RecorderThread`]: the [`Recorder`] on its own thread, fed through an unbounded channel,
//! so recording adds one channel send per event to the session loop and never waits on a
//! file. Dropped without [`RecorderThread::finish`] (the session failed), the thread flushes
//! its sinks' spools as it stops, which is the same state a crash leaves (a restarted session
//! continues the spools).

use super::catalog_sink::CatalogSink;
use super::{RecordSink, Recorder, Symbols};
use broker_kite::InstrumentsMaster;
use chrono::NaiveDate;
use domain::ports::MarketEvent;
use domain::time::IstDateTime;
use domain::{Exchange, Segment};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

enum Msg {
    Event(MarketEvent),
    Instruments(String),
    Finish(Option<IstDateTime>),
}

/// A running recorder (see the module docs).
pub struct RecorderThread {
    tx: mpsc::Sender<Msg>,
    handle: Option<JoinHandle<Result<(), String>>>,
}

impl RecorderThread {
    /// Start `recorder` on a thread named `recorder`.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub fn spawn(mut recorder: Recorder) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let handle = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || {
                while let Ok(msg) = rx.recv() {
                    match msg {
                        Msg::Event(ev) => recorder.event(&ev),
                        Msg::Instruments(csv) => recorder.instruments(&csv),
                        Msg::Finish(Some(close)) => return recorder.finish(close),
                        Msg::Finish(None) => break,
                    }
                }
                // Stopped before the close, or the session went away: flush what is spooled
                // (the sinks' buffers, on drop), publish nothing; a later session of the day
                // continues the spools.
                drop(recorder);
                Ok(())
            })?;
        Ok(Self {
            tx,
            handle: Some(handle),
        })
    }

    /// Record one market event (after the engine stepped it): a channel send.
    pub fn event(&self, ev: MarketEvent) {
        let _ = self.tx.send(Msg::Event(ev));
    }

    /// Record the day's instruments dump.
    pub fn instruments(&self, csv: String) {
        let _ = self.tx.send(Msg::Instruments(csv));
    }

    /// End the recording and wait for the thread (on tokio's blocking pool). `Some(close)`: the
    /// day is over, publish it ([`Recorder::finish`]); `None`: the session stopped before the
    /// close, the spools are flushed and kept for a later session of the day.
    ///
    /// # Errors
    /// The sinks' messages, or the thread's panic.
    pub async fn finish(mut self, close: Option<IstDateTime>) -> Result<(), String> {
        let _ = self.tx.send(Msg::Finish(close));
        let Some(handle) = self.handle.take() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || handle.join())
            .await
            .map_err(|e| format!("recorder: {e}"))?
            .map_err(|_| "recorder thread panicked".to_string())?
    }
}

/// The sinks of a recording of `date` under the configuration: the file catalog at
/// `[data] record_dir`.
pub fn sinks(
    config: &config::Config,
    date: NaiveDate,
    store: Option<&store::StoreWriter>,
) -> Vec<Box<dyn RecordSink>> {
    let mut v: Vec<Box<dyn RecordSink>> =
        vec![Box::new(CatalogSink::new(config.data.record_dir(), date))];
    if let Some(w) = store {
        v.push(Box::new(super::store_sink::StoreSink::new(w.clone(), date)));
    }
    v
}

/// The day's instruments dump as received: the cached dump file of each exchange
/// (`broker_kite::instruments::cache_path`, written by [`InstrumentsMaster::load`]), verbatim, the files
/// of later exchanges without their header line. A missing file is skipped with a warning.
pub fn instruments_dump(cache_dir: &Path, exchanges: &[Exchange], date: NaiveDate) -> String {
    let mut out = String::new();
    for ex in exchanges {
        let path = broker_kite::instruments::cache_path(cache_dir, *ex, date);
        match std::fs::read_to_string(&path) {
            Ok(text) if out.is_empty() => out = text,
            Ok(text) => {
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(text.split_once('\n').map_or("", |(_, rest)| rest));
            }
            Err(e) => {
                tracing::warn!(target: "live", file = %path.display(), error = %e, "recording: instruments dump not recorded");
            }
        }
    }
    out
}

/// The series a watched instrument's 1-minute bars are recorded under: the configured one
/// without a timeframe suffix (`NIFTY-FUT_5m` → `NIFTY-FUT`, catalog naming: 1-minute bars
/// carry none), so a replay reads them as the minutes they are.
fn minute_series(series: &str) -> String {
    match series.rsplit_once('_') {
        Some((base, _))
            if catalog::naming::series_timeframe(series).is_ok_and(|tf| tf.minutes() != 1) =>
        {
            base.to_string()
        }
        _ => series.to_string(),
    }
}

/// Start recording the session of `date` when `[data] record` is on: `master` names the
/// instruments, `stock_tokens` are the instruments agents watch and trade (scanned stocks'
/// shares, index futures: recorded as 1-minute bars of the series replay reads, without a
/// timeframe suffix), the dump is read from `cache_dir`. `None` when recording is off or its thread
/// could not start (a warning: trading goes on).
pub fn start(
    config: &config::Config,
    master: &InstrumentsMaster,
    stock_tokens: &[(Segment, u32)],
    cache_dir: PathBuf,
    exchanges: &[Exchange],
    date: NaiveDate,
    store: Option<&store::StoreWriter>,
) -> Option<RecorderThread> {
    if !config.data.record {
        return None;
    }
    let m = master.clone();
    let symbols: Symbols = Box::new(move |t| m.by_token(t).map(|r| r.tradingsymbol.clone()));
    let stock_bars = stock_tokens
        .iter()
        .map(|(s, t)| (*t, minute_series(&config.series(*s))));
    let rec = Recorder::new(date, symbols, sinks(config, date, store)).with_bar_series(stock_bars);
    match RecorderThread::spawn(rec) {
        Ok(r) => {
            tracing::info!(target: "live", dir = %config.data.record_dir().display(), %date, "recording the session's market data");
            let dump = instruments_dump(&cache_dir, exchanges, date);
            if !dump.is_empty() {
                r.instruments(dump);
            }
            Some(r)
        }
        Err(e) => {
            tracing::warn!(target: "live", error = %e, "recording not started (trading goes on)");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::minute_series;

    #[test]
    fn minute_bars_are_recorded_under_the_series_without_its_timeframe() {
        assert_eq!(minute_series("NIFTY-FUT_5m"), "NIFTY-FUT");
        assert_eq!(minute_series("RELIANCE"), "RELIANCE");
        assert_eq!(minute_series("BAJAJ-AUTO"), "BAJAJ-AUTO");
        assert_eq!(minute_series("SENSEX_3m"), "SENSEX");
    }
}
