//! From the configuration file to the engine's typed settings: per-segment values resolved,
//! units named, the strategy factory built from `[strategy]` through the registry.

use crate::Config;

impl Config {
    /// The engine's typed settings ([`engine::settings::EngineSettings`]): segments sorted and
    /// de-duplicated, per-segment parameters resolved, the strategy built from `[strategy]`.
    pub fn engine_settings(&self) -> engine::settings::EngineSettings {
        use engine::settings::{EngineSettings, ExitSettings, PyramidSettings, SegmentSettings};
        let mut segments = self.engine.segments.clone();
        segments.sort();
        segments.dedup();
        let strategy = self.strategy.clone();
        EngineSettings {
            segments: segments
                .into_iter()
                .map(|seg| {
                    let p = self.segment(seg);
                    SegmentSettings {
                        segment: seg,
                        stops: p.stops,
                        selection: p.selection,
                        initial_lots: p.initial_lots,
                        iv: p.iv,
                        pyramid: p.pyramid.map(|y| PyramidSettings {
                            step_rupees_per_unit: y.pyramid_points,
                            lots_per_add: y.lot_addition,
                            max_quantity: y.max_quantity,
                        }),
                        freeze_quantity_units: p.freeze_quantity,
                        instrument: p.instrument,
                        watch_token: None,
                    }
                })
                .collect(),
            capital: self.engine.capital,
            warmup_sessions: self.engine.warmup_sessions,
            square_off_time: self.engine.square_off_time,
            exits: ExitSettings {
                stop_basis: self.exits.stop_basis,
                stop_loss_pct: self.exits.stop_loss_pct,
                target_index_points: self.exits.target_points,
                profit_target_pct: self.exits.profit_target_pct,
                max_holding_minutes: self.exits.max_holding_minutes,
                exit_on_opposite_signal: self.exits.exit_on_opposite_signal,
            },
            product: self.options.product,
            risk: self.risk.clone(),
            strategy_name: self.strategy_name().to_string(),
            strategy: std::sync::Arc::new(move || {
                let name = strategy
                    .get("name")
                    .and_then(|v| v.as_str())
                    .unwrap_or("rsi_crossover")
                    .to_string();
                let mut params = strategy.clone();
                params.remove("name");
                strategy::registry::build(&name, &params).map_err(|e| e.to_string())
            }),
            protective_stop: Default::default(),
            sizing: self.options.sizing(),
            hedging: self.hedging.settings(),
        }
    }
}
