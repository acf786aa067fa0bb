//! The config-file side of the `kite-sim` command: maps Kestrel's TOML configuration
//! (`config::Config`) onto the simulator library's typed settings, so the `kite-sim` library
//! itself stays below the engine. The streamed segments are the `[engine] segments` plus the
//! `[universe]` stocks (issue 15).

use chrono::NaiveDate;
use config::Config;
use domain::Segment;
use kite_sim::{SimConfig, SimMarket, SimSegment};
use std::path::PathBuf;

/// The segments the simulator streams for `config`: its `[engine] segments` plus the stocks
/// of its `[universe]` (`Config::expand_universe` on a copy), indices first, then stocks by
/// symbol.
///
/// # Errors
/// The `[universe] symbols` file cannot be read (the error names it).
pub fn sim_segments(config: &Config) -> Result<Vec<Segment>, config::ConfigError> {
    let mut c = config.clone();
    c.expand_universe()?;
    let mut segs = c.engine.segments;
    segs.sort();
    segs.dedup();
    Ok(segs)
}

/// The simulated market of `config`: per index its catalog series (`[segments.X] series`),
/// IV (`[segments.X] iv` or `[paper] default_iv`), strike step and freeze quantity; per stock
/// of `[engine] segments` and `[universe]` ([`sim_segments`]) its catalog series
/// (`Config::series`: `[segments.X] series`, else the symbol + `[universe] series_suffix`);
/// `[[lot_sizes]]`, `[paper] rate` and `[engine] capital`. A `[universe]` whose symbols file
/// cannot be read adds no stock here (`kite-sim` reports that error at startup).
pub fn sim_market(config: &Config) -> SimMarket {
    let stocks: Vec<Segment> = sim_segments(config)
        .unwrap_or_else(|_| config.engine.segments.clone())
        .into_iter()
        .filter(|s| s.symbol().is_some())
        .collect();
    let segments = Segment::ALL
        .into_iter()
        .chain(stocks)
        .map(|seg| {
            let p = config.segment(seg);
            let series = config.series(seg);
            let s = SimSegment {
                series,
                iv: p.iv,
                strike_step: p.selection.strike_step,
                freeze_quantity: p.freeze_quantity,
            };
            (seg, s)
        })
        .collect();
    SimMarket {
        segments,
        lot_sizes: config.lot_sizes.clone(),
        default_iv: config.paper.default_iv,
        rate: config.paper.rate,
        capital: config.engine.capital,
    }
}

/// A simulator of `date` streaming `config`'s `[engine] segments` and `[universe]` stocks
/// ([`sim_segments`]; the `[engine] segments` alone if the symbols file cannot be read) from
/// `data_dir`, with the market of [`sim_market`] and the library's defaults otherwise.
pub fn sim_config(date: NaiveDate, config: &Config, data_dir: PathBuf) -> SimConfig {
    SimConfig::new(
        date,
        sim_segments(config).unwrap_or_else(|_| config.engine.segments.clone()),
        sim_market(config),
        data_dir,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_config_maps_onto_the_simulators_defaults() {
        let m = sim_market(&Config::default());
        let d = SimMarket::default();
        assert_eq!(
            (m.default_iv, m.rate, m.capital),
            (d.default_iv, d.rate, d.capital)
        );
        for seg in Segment::ALL {
            assert_eq!(m.segment(seg), d.segment(seg), "{seg}");
        }
    }

    #[test]
    fn universe_stocks_are_streamed_with_their_catalog_series() {
        let list = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../config/symbols/seed001.csv")
            .display()
            .to_string();
        let text = format!(
            "[engine]\nsegments = [\"NIFTY\"]\n[universe]\nsymbols = {list:?}\nseries_suffix = \"_5m\"\n"
        );
        let config = Config::from_toml(&text, std::path::Path::new("test.toml")).unwrap();
        let stock = |s: &str| s.parse::<Segment>().unwrap();
        let want = [
            Segment::Nifty,
            stock("BAJAJ-AUTO"),
            stock("BHARTIARTL"),
            stock("ICICIBANK"),
            stock("RELIANCE"),
            stock("TCS"),
        ];
        assert_eq!(sim_segments(&config).unwrap(), want);
        let date = NaiveDate::from_ymd_opt(2025, 1, 13).unwrap();
        let cfg = sim_config(date, &config, PathBuf::from("data"));
        assert_eq!(cfg.segments, want);
        assert_eq!(cfg.market.segment(stock("RELIANCE")).series, "RELIANCE_5m");
        assert_eq!(cfg.market.segment(Segment::Nifty).series, "NIFTY");
        // Without a universe: the [engine] segments only.
        let plain = sim_config(date, &Config::default(), PathBuf::from("data"));
        assert_eq!(plain.segments, Config::default().engine.segments);
        // An unreadable list is an error naming it.
        let bad = Config::from_toml(
            "[universe]\nsymbols = \"/nonexistent/list.csv\"\n",
            std::path::Path::new("test.toml"),
        )
        .unwrap();
        let e = sim_segments(&bad).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/list.csv"), "{e}");
    }

    #[test]
    fn overrides_reach_the_market() {
        let config = Config::from_toml(
            "[segments.BANKNIFTY]\niv = 0.3\nstrike_step = 200\nfreeze_quantity = 450\nseries = \"BANKNIFTY_5m\"\n[engine]\ncapital = 500000\n",
            std::path::Path::new("test.toml"),
        )
        .unwrap();
        let m = sim_market(&config);
        let b = m.segment(Segment::BankNifty);
        assert_eq!(b.series, "BANKNIFTY_5m");
        assert_eq!(b.iv, 0.3);
        assert_eq!(b.strike_step, 200.into());
        assert_eq!(b.freeze_quantity, 450);
        assert_eq!(m.capital, 500_000.into());
    }
}
