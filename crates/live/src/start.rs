//! A console start request over the process's configuration (seed 004 §6.1, seed 003
//! `start-trading`): [`apply_start`] maps every field of [`StartRequest`] to its config key
//! and refuses a bad value with [`StartError::Invalid`] naming the JSON field.
//!
//! (Over 600 lines: two thirds are its unit tests, one case per field and per refusal.)

use crate::session::SessionKind;
use chrono::{NaiveDate, NaiveTime};
use config::{Config, Mode};
use console::backend::{StartError, StartRequest};
use domain::Decimal;
use domain::calendar::LotSizes;

/// Timeframes a start request may ask for (seed 004 §6.1).
pub const TIMEFRAMES: [&str; 5] = ["3m", "5m", "15m", "30m", "1h"];

fn invalid(field: &str, message: impl Into<String>) -> StartError {
    StartError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

fn positive(field: &str, v: Decimal) -> Result<Decimal, StartError> {
    if v > Decimal::ZERO {
        Ok(v)
    } else {
        Err(invalid(field, format!("must be > 0 (got {v})")))
    }
}

fn non_negative(field: &str, v: Decimal) -> Result<Decimal, StartError> {
    if v >= Decimal::ZERO {
        Ok(v)
    } else {
        Err(invalid(field, format!("must be ≥ 0, 0 = off (got {v})")))
    }
}

fn at_least_one(field: &str, v: u32) -> Result<u32, StartError> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(invalid(field, "must be ≥ 1"))
    }
}

fn time_of_day(field: &str, v: &str) -> Result<NaiveTime, StartError> {
    NaiveTime::parse_from_str(v.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(v.trim(), "%H:%M"))
        .map_err(|_| invalid(field, format!("HH:MM[:SS] (got {v:?})")))
}

/// Whether the request sets any trading parameter (anything but `enabled` and
/// `confirm_live`): without one, a start on a running session only allows entries again.
pub fn has_parameters(req: &StartRequest) -> bool {
    let StartRequest {
        mode,
        segments,
        timeframe,
        rsi_period,
        capital,
        sl_points,
        trailing_stop_points,
        itm_offset,
        num_lots,
        pyramiding,
        pyramid,
        risk,
        confirm_live: _,
        enabled: _,
        lot_size,
        max_positions,
        use_hedging,
    } = req;
    mode.is_some()
        || segments.is_some()
        || timeframe.is_some()
        || rsi_period.is_some()
        || capital.is_some()
        || sl_points.is_some()
        || trailing_stop_points.is_some()
        || itm_offset.is_some()
        || num_lots.is_some()
        || pyramiding.is_some()
        || pyramid.is_some()
        || risk.is_some()
        || lot_size.is_some()
        || max_positions.is_some()
        || use_hedging.is_some()
}

/// `base` with `req` applied, for a session of `kind` trading on `date`.
///
/// Field → key: `segments` → `engine.segments`; `timeframe`, `rsi_period` →
/// `[strategy]`; `capital` → `engine.capital`; `sl_points`, `trailing_stop_points` →
/// `[exits]`; `itm_offset`, `num_lots` → `options.itm_offset`, `options.initial_lots` (these
/// four clear the per-segment overrides of the same key, so the request applies to every
/// segment); `pyramiding` → `pyramiding.enabled`; `pyramid.<SEG>.*` →
/// `segments.<SEG>.pyramid_points`/`lot_addition`/`max_quantity`; `risk.*` → `[risk]` keys
/// of the same names; `max_positions` → `risk.max_open_positions`. `lot_size` is checked
/// against the exchange lot size of every traded segment on `date` (built-in schedule plus
/// `[[lot_sizes]]`), `use_hedging` → every index segment's `instrument = "hedged_short"` and
/// pyramiding off (`false` is refused on a hedged config: never a naked short), `mode` must
/// be this binary's.
/// The guardrails of live mode are [`crate::session::check_guardrails`]'s (the caller's).
///
/// # Errors
/// [`StartError::Invalid`] naming the JSON field (e.g. `rsi_period: must be ≥ 2`); a
/// combination the configuration rejects is `Invalid` with field `request`.
pub fn apply_start(
    base: &Config,
    req: &StartRequest,
    kind: SessionKind,
    date: NaiveDate,
) -> Result<Config, StartError> {
    let mut c = base.clone();
    if let Some(m) = &req.mode {
        match (m.trim().to_ascii_lowercase().as_str(), kind) {
            ("paper", SessionKind::Paper) | ("live", SessionKind::Live) => {}
            ("live", SessionKind::Paper) => return Err(invalid("mode", "live needs live-bin")),
            ("paper", SessionKind::Live) => {
                return Err(invalid("mode", "paper needs the paper binary"));
            }
            _ => return Err(invalid("mode", format!("one of paper, live (got {m:?})"))),
        }
    }
    if let Some(s) = &req.segments {
        // A scanner's stock agents come from its `[universe]` (seed 001): no index needed.
        if s.is_empty() && c.universe.symbols.is_none() {
            return Err(invalid(
                "segments",
                "at least one segment (or a [universe] of stocks in the config)",
            ));
        }
        let mut s = s.clone();
        s.sort();
        s.dedup();
        c.engine.segments = s;
    }
    if let Some(tf) = &req.timeframe {
        let t = tf.trim().to_ascii_lowercase();
        if !TIMEFRAMES.contains(&t.as_str()) {
            return Err(invalid(
                "timeframe",
                format!("one of {} (got {tf:?})", TIMEFRAMES.join(", ")),
            ));
        }
        // A strategy without a single timeframe (seed 001's set) refuses it: named as this
        // field, not as the whole request.
        let valid_before = c.validate().is_ok();
        c.strategy
            .insert("timeframe".into(), toml::Value::String(t));
        if valid_before && let Err(m) = c.validate() {
            return Err(invalid("timeframe", m));
        }
    }
    if let Some(p) = req.rsi_period {
        if p < 2 {
            return Err(invalid("rsi_period", format!("must be ≥ 2 (got {p})")));
        }
        if c.strategy_name() != "rsi_crossover" {
            return Err(invalid(
                "rsi_period",
                format!("strategy {} has no RSI period", c.strategy_name()),
            ));
        }
        c.strategy
            .insert("rsi_period".into(), toml::Value::Integer(i64::from(p)));
    }
    if let Some(v) = req.capital {
        c.engine.capital = positive("capital", v)?;
    }
    if let Some(v) = req.sl_points {
        c.exits.sl_points = positive("sl_points", v)?;
        c.segments.values_mut().for_each(|s| s.sl_points = None);
    }
    if let Some(v) = req.trailing_stop_points {
        c.exits.trailing_stop_points = Some(positive("trailing_stop_points", v)?);
        c.segments
            .values_mut()
            .for_each(|s| s.trailing_stop_points = None);
    }
    if let Some(v) = req.itm_offset {
        c.options.itm_offset = non_negative("itm_offset", v)?;
        c.segments.values_mut().for_each(|s| s.itm_offset = None);
    }
    if let Some(n) = req.num_lots {
        c.options.initial_lots = at_least_one("num_lots", n)?;
        c.segments.values_mut().for_each(|s| s.initial_lots = None);
    }
    if let Some(on) = req.pyramiding {
        c.pyramiding.enabled = on;
    }
    for (seg, p) in req.pyramid.iter().flatten() {
        let field = |k: &str| format!("pyramid.{}.{k}", seg.code());
        let s = c.segments.entry(*seg).or_default();
        if let Some(v) = p.pyramid_points {
            s.pyramid_points = Some(positive(&field("pyramid_points"), v)?);
        }
        if let Some(v) = p.lot_addition {
            s.lot_addition = Some(at_least_one(&field("lot_addition"), v)?);
        }
        if let Some(v) = p.max_quantity {
            s.max_quantity = Some(at_least_one(&field("max_quantity"), v)?);
        }
    }
    if let Some(r) = &req.risk {
        if let Some(v) = r.max_trades_per_segment {
            c.risk.max_trades_per_segment = at_least_one("risk.max_trades_per_segment", v)?;
        }
        if let Some(v) = r.max_daily_loss {
            c.risk.max_daily_loss = non_negative("risk.max_daily_loss", v)?;
        }
        if let Some(v) = r.daily_profit_target {
            c.risk.daily_profit_target = non_negative("risk.daily_profit_target", v)?;
        }
        if let Some(v) = r.max_segment_daily_loss {
            c.risk.max_segment_daily_loss = non_negative("risk.max_segment_daily_loss", v)?;
        }
        if let Some(v) = &r.entry_window_start {
            c.risk.entry_window_start = time_of_day("risk.entry_window_start", v)?;
        }
        if let Some(v) = &r.entry_window_end {
            c.risk.entry_window_end = time_of_day("risk.entry_window_end", v)?;
        }
        if c.risk.entry_window_start > c.risk.entry_window_end {
            return Err(invalid(
                "risk.entry_window_start",
                format!(
                    "{} is after entry_window_end {}",
                    c.risk.entry_window_start, c.risk.entry_window_end
                ),
            ));
        }
    }
    if let Some(n) = req.max_positions {
        c.risk.max_open_positions = at_least_one("max_positions", n)?;
    }
    if let Some(lot) = req.lot_size {
        let mut lots = LotSizes::builtin();
        if !c.lot_sizes.is_empty() {
            lots.extend(c.lot_sizes.clone())
                .map_err(|e| StartError::Failed(format!("[[lot_sizes]]: {e}")))?;
        }
        for seg in &c.engine.segments {
            let exchange = lots.lot_size(*seg, date);
            if exchange != lot {
                return Err(invalid(
                    "lot_size",
                    format!(
                        "{lot} differs from {}'s exchange lot size {exchange}",
                        seg.code()
                    ),
                ));
            }
        }
    }
    apply_hedging(&mut c, req)?;
    c.validate().map_err(|m| invalid("request", m))?;
    Ok(c)
}

/// Seed 003's `use_hedging` (spec §4.3): `true` makes every index segment trade
/// `instrument = "hedged_short"` (a credit spread per entry, hedge bought first and sold
/// last, `[hedging]` settings) with pyramiding off; `false` is refused where the config sells
/// hedged, since it would mean selling options unhedged, which this engine never does.
fn apply_hedging(c: &mut Config, req: &StartRequest) -> Result<(), StartError> {
    use engine::settings::Instrument;
    let hedged = |c: &Config| {
        c.engine
            .segments
            .iter()
            .any(|s| s.index().is_some() && c.segment(*s).instrument == Instrument::HedgedShort)
    };
    match req.use_hedging {
        Some(true) => {
            if req.pyramiding == Some(true) {
                return Err(invalid(
                    "pyramiding",
                    "a hedged short never adds (an add would sell more than its hedge covers)",
                ));
            }
            c.options.instrument = Instrument::HedgedShort;
            c.segments.values_mut().for_each(|s| s.instrument = None);
            c.pyramiding.enabled = false;
            if c.exits.stop_basis == engine::settings::StopBasis::Option {
                return Err(invalid(
                    "use_hedging",
                    "a hedged short exits on the spread's value ([hedging]); this config's premium stop (stop_basis = \"option\") would act on one leg",
                ));
            }
        }
        Some(false) if hedged(c) => {
            return Err(invalid(
                "use_hedging",
                "false would sell options without a hedge, which this engine never does; start a config with instrument = \"option\" to buy options instead",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// The live guardrails for a console start (spec §10.6): a live session needs
/// `mode = "live"` in the configuration **and** `confirm_live: true` in the request, exactly
/// as [`crate::session::check_guardrails`] with `--confirm-live`.
///
/// # Errors
/// [`StartError::Refused`] with the guardrail's message.
pub fn check_start_guardrails(
    kind: SessionKind,
    config: &Config,
    config_path: &std::path::Path,
    req: &StartRequest,
) -> Result<(), StartError> {
    if kind == SessionKind::Live && config.engine.mode != Mode::Live {
        return crate::session::check_guardrails(kind, config, config_path, true)
            .map_err(|e| StartError::Refused(e.to_string()));
    }
    crate::session::check_guardrails(kind, config, config_path, req.confirm_live).map_err(|e| {
        StartError::Refused(
            e.to_string()
                .replace("pass --confirm-live", "send \"confirm_live\": true"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use console::backend::{PyramidParams, RiskParams};
    use domain::Segment;
    use rust_decimal_macros::dec;
    use std::collections::BTreeMap;
    use std::path::Path;

    /// A shipped configuration file (`config/<name>.toml`), read as the binaries read it.
    fn shipped(name: &str) -> Config {
        let path = format!("{}/../../config/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        Config::load(Path::new(&path)).unwrap()
    }

    fn base() -> Config {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/default.toml"
        ))
        .unwrap();
        let mut c = Config::from_toml(&text, Path::new("config/default.toml")).unwrap();
        c.engine.mode = Mode::Paper;
        c
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 3).unwrap()
    }

    fn apply(req: StartRequest) -> Result<Config, StartError> {
        apply_start(&base(), &req, SessionKind::Paper, day())
    }

    fn field_of(e: StartError) -> (String, String) {
        match e {
            StartError::Invalid { field, message } => (field, message),
            other => panic!("not Invalid: {other:?}"),
        }
    }

    #[test]
    fn paper_and_live_trade_index_futures_warmed_from_the_futures_own_candles() {
        let mut c = shipped("futures");
        assert!(
            crate::session::check_guardrails(
                SessionKind::Paper,
                &c,
                Path::new("config/futures.toml"),
                false
            )
            .is_ok()
        );
        c.data.history = config::HistorySource::Breeze;
        for kind in [SessionKind::Paper, SessionKind::Live] {
            let e =
                crate::session::check_guardrails(kind, &c, Path::new("config/futures.toml"), true)
                    .unwrap_err()
                    .to_string();
            assert!(
                e.contains("config/futures.toml: NIFTY trades its future")
                    && e.contains("history = \"breeze\" serves the index"),
                "{e}"
            );
        }
        assert!(
            crate::session::check_guardrails(SessionKind::Paper, &base(), Path::new("x"), false)
                .is_ok()
        );
        let c = shipped("scanner");
        // Seed 001's scanner runs in paper; live needs its own mode and confirmation only.
        assert!(
            crate::session::check_guardrails(
                SessionKind::Paper,
                &c,
                Path::new("config/scanner.toml"),
                false
            )
            .is_ok()
        );
        let e = crate::session::check_guardrails(
            SessionKind::Live,
            &c,
            Path::new("config/scanner.toml"),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("mode = \"live\""), "{e}");
    }

    /// The page's form with every index unchecked starts seed 001's scanner: its stocks come
    /// from `[universe]`, which the session expands.
    #[test]
    fn a_scanner_starts_with_no_index_segment() {
        let scanner = shipped("scanner");
        let none = StartRequest {
            segments: Some(vec![]),
            ..Default::default()
        };
        let c = apply_start(&scanner, &none, SessionKind::Paper, day()).unwrap();
        assert!(c.engine.segments.is_empty());
        assert!(c.universe.symbols.is_some());
        let e = apply_start(&base(), &none, SessionKind::Paper, day()).unwrap_err();
        assert!(e.to_string().contains("[universe]"), "{e}");
        // The set has no single timeframe: a request naming one is refused on that field.
        let tf = StartRequest {
            timeframe: Some("5m".into()),
            ..Default::default()
        };
        let (f, m) = field_of(apply_start(&scanner, &tf, SessionKind::Paper, day()).unwrap_err());
        assert_eq!(f, "timeframe", "{m}");
        assert!(m.contains("seed001"), "{m}");
    }

    /// Seed 003's request (`lot_size`, `num_lots`, `use_hedging`, `max_positions`) starts
    /// hedged selling on every index; `use_hedging: false` on a hedged config is refused
    /// (never a naked short).
    #[test]
    fn seed_003s_request_starts_hedged_selling() {
        use engine::settings::Instrument;
        let req = StartRequest {
            segments: Some(vec![Segment::Nifty]),
            lot_size: Some(25),
            num_lots: Some(10),
            use_hedging: Some(true),
            max_positions: Some(3),
            ..Default::default()
        };
        let c = apply_start(&base(), &req, SessionKind::Paper, day()).unwrap();
        assert_eq!(
            c.segment(Segment::Nifty).instrument,
            Instrument::HedgedShort
        );
        assert_eq!(c.options.initial_lots, 10);
        assert_eq!(c.risk.max_open_positions, 3);
        assert!(!c.pyramiding.enabled, "a spread never adds");
        let s = c.engine_settings();
        assert_eq!(s.segments[0].instrument, Instrument::HedgedShort);
        assert_eq!(s.hedging, c.hedging.settings());
        let off = StartRequest {
            use_hedging: Some(false),
            ..Default::default()
        };
        let (f, m) = field_of(apply_start(&c, &off, SessionKind::Paper, day()).unwrap_err());
        assert_eq!(f, "use_hedging", "{m}");
        assert!(m.contains("without a hedge"), "{m}");
        // On an option-buying config `false` changes nothing.
        assert_eq!(
            apply_start(&base(), &off, SessionKind::Paper, day()).unwrap(),
            base()
        );
        // The shipped seed 003 config is accepted by paper and live alike.
        let hedged = shipped("hedged_short");
        crate::session::check_guardrails(
            SessionKind::Paper,
            &hedged,
            Path::new("config/hedged_short.toml"),
            false,
        )
        .unwrap();
    }

    #[test]
    fn an_empty_request_changes_nothing() {
        assert_eq!(apply(StartRequest::default()).unwrap(), base());
        assert!(!has_parameters(&StartRequest::default()));
        assert!(!has_parameters(&StartRequest {
            enabled: Some(true),
            confirm_live: true,
            ..Default::default()
        }));
        assert!(has_parameters(&StartRequest {
            rsi_period: Some(5),
            ..Default::default()
        }));
    }

    #[test]
    fn every_field_maps_to_its_key() {
        let req = StartRequest {
            mode: Some("paper".into()),
            segments: Some(vec![Segment::BankNifty]),
            timeframe: Some("15m".into()),
            rsi_period: Some(14),
            capital: Some(dec!(500000)),
            sl_points: Some(dec!(40)),
            trailing_stop_points: Some(dec!(30)),
            itm_offset: Some(dec!(200)),
            num_lots: Some(2),
            pyramiding: Some(true),
            pyramid: Some(BTreeMap::from([(
                Segment::BankNifty,
                PyramidParams {
                    pyramid_points: Some(dec!(25)),
                    lot_addition: Some(3),
                    max_quantity: Some(600),
                },
            )])),
            risk: Some(RiskParams {
                max_trades_per_segment: Some(7),
                max_daily_loss: Some(dec!(20000)),
                daily_profit_target: Some(dec!(30000)),
                max_segment_daily_loss: Some(dec!(9000)),
                entry_window_start: Some("09:30".into()),
                entry_window_end: Some("14:45:30".into()),
            }),
            confirm_live: false,
            enabled: Some(true),
            lot_size: Some(15),
            max_positions: Some(2),
            use_hedging: Some(false),
        };
        let c = apply(req).unwrap();
        assert_eq!(c.engine.segments, vec![Segment::BankNifty]);
        assert_eq!(c.strategy["timeframe"].as_str(), Some("15m"));
        assert_eq!(c.strategy["rsi_period"].as_integer(), Some(14));
        assert_eq!(c.engine.capital, dec!(500000));
        let p = c.segment(Segment::BankNifty);
        assert_eq!(p.stops.sl_points, dec!(40));
        assert_eq!(p.stops.trailing_stop_points, dec!(30));
        assert_eq!(p.selection.itm_offset, dec!(200));
        assert_eq!(p.initial_lots, 2);
        let y = p.pyramid.unwrap();
        assert_eq!(
            (y.pyramid_points, y.lot_addition, y.max_quantity),
            (dec!(25), 3, 600)
        );
        assert_eq!(c.risk.max_trades_per_segment, 7);
        assert_eq!(c.risk.max_daily_loss, dec!(20000));
        assert_eq!(c.risk.daily_profit_target, dec!(30000));
        assert_eq!(c.risk.max_segment_daily_loss, dec!(9000));
        assert_eq!(c.risk.entry_window_start, domain::time::hms(9, 30, 0));
        assert_eq!(c.risk.entry_window_end, domain::time::hms(14, 45, 30));
        assert_eq!(c.risk.max_open_positions, 2);
        // The built strategy takes the new parameters.
        assert_eq!(c.build_strategy().unwrap().rsi_period(), 14);
    }

    #[test]
    fn a_request_value_beats_a_segment_override() {
        let mut b = base();
        b.segments.entry(Segment::Nifty).or_default().sl_points = Some(dec!(70));
        let req = StartRequest {
            sl_points: Some(dec!(35)),
            ..Default::default()
        };
        let c = apply_start(&b, &req, SessionKind::Paper, day()).unwrap();
        assert_eq!(c.segment(Segment::Nifty).stops.sl_points, dec!(35));
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases: Vec<(StartRequest, &str, &str)> = vec![
            (
                StartRequest {
                    rsi_period: Some(1),
                    ..Default::default()
                },
                "rsi_period",
                "must be ≥ 2",
            ),
            (
                StartRequest {
                    timeframe: Some("2m".into()),
                    ..Default::default()
                },
                "timeframe",
                "one of 3m, 5m, 15m, 30m, 1h",
            ),
            (
                StartRequest {
                    risk: Some(RiskParams {
                        entry_window_start: Some("9h30".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "risk.entry_window_start",
                "HH:MM[:SS]",
            ),
            (
                StartRequest {
                    risk: Some(RiskParams {
                        entry_window_start: Some("15:10".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "risk.entry_window_start",
                "after entry_window_end",
            ),
            (
                StartRequest {
                    use_hedging: Some(true),
                    pyramiding: Some(true),
                    ..Default::default()
                },
                "pyramiding",
                "a hedged short never adds",
            ),
            (
                StartRequest {
                    lot_size: Some(75),
                    segments: Some(vec![Segment::Nifty]),
                    ..Default::default()
                },
                "lot_size",
                "75 differs from NIFTY's exchange lot size 25",
            ),
            (
                StartRequest {
                    mode: Some("live".into()),
                    ..Default::default()
                },
                "mode",
                "live needs live-bin",
            ),
            (
                StartRequest {
                    mode: Some("demo".into()),
                    ..Default::default()
                },
                "mode",
                "one of paper, live",
            ),
            (
                StartRequest {
                    segments: Some(vec![]),
                    ..Default::default()
                },
                "segments",
                "at least one",
            ),
            (
                StartRequest {
                    capital: Some(dec!(0)),
                    ..Default::default()
                },
                "capital",
                "must be > 0",
            ),
            (
                StartRequest {
                    sl_points: Some(dec!(-5)),
                    ..Default::default()
                },
                "sl_points",
                "must be > 0",
            ),
            (
                StartRequest {
                    num_lots: Some(0),
                    ..Default::default()
                },
                "num_lots",
                "must be ≥ 1",
            ),
            (
                StartRequest {
                    max_positions: Some(0),
                    ..Default::default()
                },
                "max_positions",
                "must be ≥ 1",
            ),
            (
                StartRequest {
                    risk: Some(RiskParams {
                        max_daily_loss: Some(dec!(-1)),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "risk.max_daily_loss",
                "must be ≥ 0",
            ),
            (
                StartRequest {
                    pyramid: Some(BTreeMap::from([(
                        Segment::Nifty,
                        PyramidParams {
                            pyramid_points: None,
                            lot_addition: Some(0),
                            max_quantity: None,
                        },
                    )])),
                    ..Default::default()
                },
                "pyramid.NIFTY.lot_addition",
                "must be ≥ 1",
            ),
        ];
        for (req, field, msg) in cases {
            let (f, m) = field_of(apply(req).unwrap_err());
            assert_eq!(f, field);
            assert!(m.contains(msg), "{f}: {m} lacks {msg}");
        }
        // The right lot size passes (NIFTY 25 and BANKNIFTY 15 on 2024-06-03: one value
        // cannot match both).
        let ok = StartRequest {
            lot_size: Some(25),
            segments: Some(vec![Segment::Nifty]),
            ..Default::default()
        };
        assert!(apply(ok).is_ok());
        let both = StartRequest {
            lot_size: Some(25),
            ..Default::default()
        };
        let (f, m) = field_of(apply(both).unwrap_err());
        assert_eq!(f, "lot_size");
        assert!(m.contains("BANKNIFTY's exchange lot size 15"), "{m}");
    }

    #[test]
    fn rsi_period_needs_an_rsi_strategy() {
        let mut b = base();
        b.strategy = toml::from_str("name = \"donchian_breakout\"").unwrap();
        let req = StartRequest {
            rsi_period: Some(9),
            ..Default::default()
        };
        let (f, m) = field_of(apply_start(&b, &req, SessionKind::Paper, day()).unwrap_err());
        assert_eq!(f, "rsi_period");
        assert!(m.contains("donchian_breakout"), "{m}");
    }

    #[test]
    fn live_needs_the_config_and_the_confirmation() {
        let path = Path::new("config/sim-live.toml");
        let mut live = base();
        live.engine.mode = Mode::Live;
        let mut req = StartRequest::default();
        let e = check_start_guardrails(SessionKind::Live, &live, path, &req).unwrap_err();
        assert!(
            matches!(&e, StartError::Refused(m) if m.contains("confirm_live") && m.contains("REAL orders")),
            "{e:?}"
        );
        req.confirm_live = true;
        check_start_guardrails(SessionKind::Live, &live, path, &req).unwrap();
        // A config that is not live refuses even with the confirmation.
        let e = check_start_guardrails(SessionKind::Live, &base(), path, &req).unwrap_err();
        assert!(
            matches!(&e, StartError::Refused(m) if m.contains("mode = \"live\"")),
            "{e:?}"
        );
        // Paper refuses nothing.
        check_start_guardrails(SessionKind::Paper, &base(), path, &StartRequest::default())
            .unwrap();
        // And live-bin refuses a paper mode field.
        let (f, m) = field_of(
            apply_start(
                &live,
                &StartRequest {
                    mode: Some("paper".into()),
                    ..Default::default()
                },
                SessionKind::Live,
                day(),
            )
            .unwrap_err(),
        );
        assert_eq!(
            (f.as_str(), m.as_str()),
            ("mode", "paper needs the paper binary")
        );
    }
}
