//! The configuration a session runs with, as the start request that would produce it
//! ([`params_of`]): what the console page fills its form with (`GET /live/params`), so that
//! pressing Start without changing anything resumes the session instead of rebuilding it
//! with the page's own defaults.

use crate::session::SessionKind;
use config::Config;
use console::backend::{PyramidParams, RiskParams, StartRequest};
use domain::Segment;
use std::collections::BTreeMap;

/// `config` as a [`StartRequest`]: mode, segments, timeframe, RSI period (for
/// `rsi_crossover`), capital, SL/TSL/ITM offset and lots of a new entry (the global values;
/// per-segment overrides of the file are not shown), pyramiding and every traded segment's
/// pyramid amounts (with the engine's defaults filled in), and the risk limits.
/// `crate::start::apply_start` of the result over `config` gives `config` back.
pub fn params_of(config: &Config, kind: SessionKind) -> StartRequest {
    let segments = crate::session::segments_of(config);
    let pyramid: BTreeMap<Segment, PyramidParams> = segments
        .iter()
        .map(|seg| {
            let s = config.segments.get(seg).cloned().unwrap_or_default();
            let d = strategy::pyramid::PyramidParams::default_for(*seg);
            (
                *seg,
                PyramidParams {
                    pyramid_points: Some(s.pyramid_points.unwrap_or(d.pyramid_points)),
                    lot_addition: Some(s.lot_addition.unwrap_or(d.lot_addition)),
                    max_quantity: Some(s.max_quantity.unwrap_or(d.max_quantity)),
                },
            )
        })
        .collect();
    let strategy = config.strategy_params();
    let rsi = (config.strategy_name() == "rsi_crossover")
        .then(|| strategy.get("rsi_period").and_then(toml::Value::as_integer))
        .flatten()
        .and_then(|p| u32::try_from(p).ok());
    let hhmm = |t: chrono::NaiveTime| t.format("%H:%M:%S").to_string();
    StartRequest {
        mode: Some(
            match kind {
                SessionKind::Paper => "paper",
                SessionKind::Live => "live",
            }
            .to_string(),
        ),
        segments: Some(segments),
        timeframe: strategy
            .get("timeframe")
            .and_then(toml::Value::as_str)
            .map(str::to_string),
        rsi_period: rsi,
        capital: Some(config.engine.capital),
        sl_points: Some(config.exits.sl_points),
        trailing_stop_points: Some(
            config
                .exits
                .trailing_stop_points
                .unwrap_or(config.exits.sl_points),
        ),
        itm_offset: Some(config.options.itm_offset),
        num_lots: Some(config.options.initial_lots),
        pyramiding: Some(config.pyramiding.enabled),
        pyramid: Some(pyramid),
        risk: Some(RiskParams {
            max_trades_per_segment: Some(config.risk.max_trades_per_segment),
            max_daily_loss: Some(config.risk.max_daily_loss),
            daily_profit_target: Some(config.risk.daily_profit_target),
            max_segment_daily_loss: Some(config.risk.max_segment_daily_loss),
            entry_window_start: Some(hhmm(config.risk.entry_window_start)),
            entry_window_end: Some(hhmm(config.risk.entry_window_end)),
        }),
        confirm_live: false,
        enabled: None,
        lot_size: None,
        max_positions: Some(config.risk.max_open_positions),
        use_hedging: None,
    }
}

/// Whether `a` and `b` trade alike: the same segments with the same resolved parameters
/// (stops, selection, lots, pyramiding), strategy table, capital, exits, options and risk
/// limits. A start request that changes none of it resumes a running session.
pub fn same_trading(a: &Config, b: &Config) -> bool {
    let (sa, sb) = (
        crate::session::segments_of(a),
        crate::session::segments_of(b),
    );
    // An unset trail is the stop distance (`Config::segment`).
    let exits = |c: &Config| {
        let mut e = c.exits;
        e.trailing_stop_points = Some(e.trailing_stop_points.unwrap_or(e.sl_points));
        e
    };
    sa == sb
        && sa.iter().all(|s| a.segment(*s) == b.segment(*s))
        && a.strategy == b.strategy
        && a.engine == b.engine
        && exits(a) == exits(b)
        && a.options == b.options
        && a.risk == b.risk
        && a.pyramiding.enabled == b.pyramiding.enabled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_config_round_trips_through_its_start_request() {
        let c = Config::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/default.toml"
        )))
        .unwrap();
        let req = params_of(&c, SessionKind::Paper);
        assert_eq!(req.rsi_period, Some(9));
        assert_eq!(req.timeframe.as_deref(), Some("5m"));
        assert_eq!(req.pyramiding, Some(true));
        let again = crate::start::apply_start(
            &c,
            &req,
            SessionKind::Paper,
            chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        )
        .unwrap();
        // The request pins every per-segment pyramid amount; the engine sees the same values.
        for seg in crate::session::segments_of(&c) {
            assert_eq!(again.segment(seg), c.segment(seg));
        }
        assert!(same_trading(&again, &c));
        // One change is seen.
        let mut other = req.clone();
        other.rsi_period = Some(14);
        let changed = crate::start::apply_start(
            &c,
            &other,
            SessionKind::Paper,
            chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        )
        .unwrap();
        assert!(!same_trading(&changed, &c));
    }
}
