//! The config-file side of the `kite-sim` command: maps Kestrel's TOML configuration
//! (`config::Config`) onto the simulator library's typed settings, so the `kite-sim` library
//! itself stays below the engine.

use chrono::NaiveDate;
use config::Config;
use domain::Segment;
use kite_sim::{SimConfig, SimMarket, SimSegment};
use std::path::PathBuf;

/// The simulated market of `config`: per index its catalog series (`[segments.X] series`),
/// IV (`[segments.X] iv` or `[paper] default_iv`), strike step and freeze quantity;
/// `[[lot_sizes]]`, `[paper] rate` and `[engine] capital`.
pub fn sim_market(config: &Config) -> SimMarket {
    let segments = Segment::ALL
        .into_iter()
        .map(|seg| {
            let p = config.segment(seg);
            let series = config
                .segments
                .get(&seg)
                .and_then(|s| s.series.clone())
                .unwrap_or_else(|| seg.code().to_string());
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

/// A simulator of `date` streaming `config`'s `[engine] segments` from `data_dir`, with the
/// market of [`sim_market`] and the library's defaults otherwise.
pub fn sim_config(date: NaiveDate, config: &Config, data_dir: PathBuf) -> SimConfig {
    SimConfig::new(
        date,
        config.engine.segments.clone(),
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
