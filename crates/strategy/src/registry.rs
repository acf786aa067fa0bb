//! Strategies by name (spec §4: `strategy = "rsi_crossover"` in config, parameters in the same
//! table).

use crate::Strategy;
use crate::rsi_crossover::{RsiCrossover, RsiCrossoverParams};

/// Names the registry knows (`seed001` is a [`crate::strategy_set::StrategySet`] of seed
/// 001's five named strategies, [`crate::seed001`]).
pub const STRATEGIES: &[&str] = &[
    "rsi_crossover",
    "donchian_breakout",
    "atr_breakout",
    "seed001",
];

/// Errors building a strategy from config.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No strategy of that name.
    #[error("unknown strategy `{0}` (known: {known})", known = STRATEGIES.join(", "))]
    Unknown(String),
    /// Parameters did not validate (unknown key, wrong type, bad value).
    #[error("strategy `{name}`: {message}")]
    Params {
        /// Strategy name.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// Build a strategy by `name` from its parameter table (unknown keys are an error).
pub fn build(name: &str, params: &toml::Table) -> Result<Box<dyn Strategy>, RegistryError> {
    let bad = |e: String| RegistryError::Params {
        name: name.to_string(),
        message: e,
    };
    match name {
        "rsi_crossover" => {
            let p: RsiCrossoverParams = toml::Value::Table(params.clone())
                .try_into()
                .map_err(|e: toml::de::Error| bad(e.message().to_string()))?;
            if p.rsi_period < 2 || p.price_strength_period < 1 || p.volume_strength_period < 1 {
                return Err(bad("periods must be ≥ 1 (rsi_period ≥ 2)".into()));
            }
            Ok(Box::new(RsiCrossover::new(p)))
        }
        "donchian_breakout" => {
            let p = crate::donchian_breakout::DonchianBreakoutParams::from_table(params)
                .map_err(bad)?;
            Ok(Box::new(crate::donchian_breakout::DonchianBreakout::new(p)))
        }
        "atr_breakout" => {
            let p = crate::atr_breakout::AtrBreakoutParams::from_table(params).map_err(bad)?;
            Ok(Box::new(crate::atr_breakout::AtrBreakout::new(p)))
        }
        "seed001" => {
            let p = crate::seed001::Seed001Params::from_table(params).map_err(bad)?;
            Ok(Box::new(crate::seed001::build(&p).map_err(bad)?))
        }
        other => Err(RegistryError::Unknown(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_rejects() {
        let t: toml::Table = toml::from_str("timeframe = \"5m\"\nrsi_period = 9").unwrap();
        assert_eq!(build("rsi_crossover", &t).unwrap().name(), "rsi_crossover");
        let bad: toml::Table = toml::from_str("rsi_perod = 9").unwrap();
        let e = build("rsi_crossover", &bad).err().unwrap().to_string();
        assert!(e.contains("rsi_perod"), "{e}");
        assert!(build("nope", &toml::Table::new()).is_err());
    }
}
