//! # config — the application's configuration file (spec §14)
//!
//! One TOML file (`config/default.toml` is the full, commented list of keys), optionally layered
//! over another with `include = "base.toml"`; unknown keys are an error naming the key and the
//! file, and a TOML error keeps its caret snippet. This crate sits ABOVE the engine: it reads
//! the file and produces the typed settings each part takes —
//! [`Config::engine_settings`] for `engine::Engine`, the `[paper]` fill model for the paper
//! broker, `[kite]` for the Kite adapter (validated there), `[journal]`/`[data]` paths for the
//! binaries. The engine itself never sees TOML.

mod breeze;
mod engine_settings;
mod error;
mod hedging;
mod sections;
mod universe;

pub use self::breeze::{BreezeSection, HistorySource};
pub use error::ConfigError;
pub use hedging::HedgingSection;
pub use sections::*;
pub use universe::{UniverseSection, read_symbols};

use domain::{Decimal, Segment};
use risk::RiskConfig;
use rust_decimal_macros::dec;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use strategy::exits::UnderlyingStops;
use strategy::option_selection::SelectionParams;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[engine]`.
    #[serde(default)]
    pub engine: EngineSection,
    /// `[strategy]`: `name` plus that strategy's parameters (validated by the registry).
    #[serde(default = "default_strategy")]
    pub strategy: toml::Table,
    /// `[exits]`.
    #[serde(default)]
    pub exits: ExitsSection,
    /// `[pyramiding]`.
    #[serde(default)]
    pub pyramiding: PyramidingSection,
    /// `[options]`.
    #[serde(default)]
    pub options: OptionsSection,
    /// `[risk]`.
    #[serde(default)]
    pub risk: RiskConfig,
    /// `[paper]`.
    #[serde(default)]
    pub paper: PaperSection,
    /// `[segments.NIFTY]` etc.
    #[serde(default)]
    pub segments: BTreeMap<Segment, SegmentSection>,
    /// `[journal]`.
    #[serde(default)]
    pub journal: JournalSection,
    /// `[data]`.
    #[serde(default)]
    pub data: DataSection,
    /// `[[lot_sizes]]`: overrides of the built-in lot-size schedule.
    #[serde(default)]
    pub lot_sizes: Vec<domain::calendar::LotSizeEntry>,
    /// `[kite]`: the Kite adapter's settings (`paper`/`live-bin`), validated by the adapter
    /// (`broker_kite::KiteSettings`, unknown keys rejected there); ignored by `replay`.
    #[serde(default)]
    pub kite: Option<toml::Table>,
    /// `[http]`: the console of `paper`/`live-bin` (spec §12); ignored by `replay`.
    #[serde(default)]
    pub http: HttpSection,
    /// `[telegram]`: the Telegram bot of `paper`/`live-bin` (issue 12); ignored by `replay`.
    #[serde(default)]
    pub telegram: TelegramSection,
    /// `[store]`: the database of journals and market data (issue 14).
    #[serde(default)]
    pub store: StoreSection,
    /// `[breeze]`: ICICI Breeze historical data (issue 15, `docs/breeze.md`).
    #[serde(default)]
    pub breeze: BreezeSection,
    /// `[universe]`: seed 001's stock scanner, one agent per listed symbol (issue 15); added
    /// to the segments by [`Config::expand_universe`].
    #[serde(default)]
    pub universe: UniverseSection,
    /// `[hedging]`: seed 003's hedged short (`instrument = "hedged_short"`, spec §4.3).
    #[serde(default)]
    pub hedging: HedgingSection,
}

/// The top-level key of a config file that layers it over another file (path relative to the
/// including file), e.g. `include = "default.toml"`: tables merge key by key, the including
/// file wins. Chains are followed up to [`MAX_INCLUDE_DEPTH`] files.
pub const INCLUDE_KEY: &str = "include";

/// Longest `include` chain.
pub const MAX_INCLUDE_DEPTH: usize = 4;

/// Merge `over` into `base`: tables recursively, any other value (arrays too) replaced.
fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn default_strategy() -> toml::Table {
    let mut t = toml::Table::new();
    t.insert("name".into(), toml::Value::String("rsi_crossover".into()));
    t
}

impl Default for Config {
    fn default() -> Self {
        Self {
            engine: EngineSection::default(),
            strategy: default_strategy(),
            exits: ExitsSection::default(),
            pyramiding: PyramidingSection::default(),
            options: OptionsSection::default(),
            risk: RiskConfig::default(),
            paper: PaperSection::default(),
            segments: BTreeMap::new(),
            journal: JournalSection::default(),
            data: DataSection::default(),
            lot_sizes: Vec::new(),
            kite: None,
            http: HttpSection::default(),
            telegram: TelegramSection::default(),
            store: StoreSection::default(),
            breeze: BreezeSection::default(),
            universe: UniverseSection::default(),
            hedging: HedgingSection::default(),
        }
    }
}

/// Resolved per-segment parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentParams {
    /// Stop distances.
    pub stops: UnderlyingStops,
    /// Contract selection.
    pub selection: SelectionParams,
    /// Lots per entry.
    pub initial_lots: u32,
    /// IV for the premium model.
    pub iv: f64,
    /// Pyramiding, when enabled.
    pub pyramid: Option<strategy::pyramid::PyramidParams>,
    /// Max units per order.
    pub freeze_quantity: u32,
    /// What the agent trades.
    pub instrument: engine::settings::Instrument,
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn parse_table(text: &str, path: &Path) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::toml(path, &e, true))
}

impl Config {
    /// Parse a TOML string; `path` only names the source in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        Self::from_toml_text(text, path, true)
    }

    /// [`Config::from_toml`]; `snippet`: `text` is the file's own text, so a TOML error
    /// shows its caret snippet.
    fn from_toml_text(text: &str, path: &Path, snippet: bool) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::toml(path, &e, snippet))?;
        cfg.validate().map_err(|message| ConfigError {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(cfg)
    }

    /// Read and parse a file. A file with a top-level `include = "other.toml"` is layered over
    /// that file ([`INCLUDE_KEY`]); errors name the file they come from (a key unknown after
    /// merging names every file of the chain).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read(path)?;
        if !text
            .lines()
            .any(|l| l.trim_start().starts_with(INCLUDE_KEY))
        {
            return Self::from_toml(&text, path);
        }
        let mut chain = vec![path.to_path_buf()];
        let mut layers = Vec::new();
        let mut current = path.to_path_buf();
        let mut table = parse_table(&text, &current)?;
        loop {
            let include = table.remove(INCLUDE_KEY);
            layers.push(table);
            let Some(inc) = include else { break };
            let Some(inc) = inc.as_str() else {
                return Err(ConfigError {
                    path: current,
                    message: format!("{INCLUDE_KEY}: expected a file path string"),
                });
            };
            let next = current.parent().unwrap_or_else(|| Path::new(".")).join(inc);
            if chain.len() >= MAX_INCLUDE_DEPTH || chain.contains(&next) {
                return Err(ConfigError {
                    path: current,
                    message: format!(
                        "{INCLUDE_KEY} = {inc:?}: chain too long or circular (at most {MAX_INCLUDE_DEPTH} files)"
                    ),
                });
            }
            table = parse_table(&read(&next)?, &next)?;
            chain.push(next.clone());
            current = next;
        }
        let mut merged = toml::Table::new();
        for layer in layers.into_iter().rev() {
            merge_tables(&mut merged, layer);
        }
        let names: Vec<String> = chain.iter().map(|p| p.display().to_string()).collect();
        let text = toml::to_string(&merged).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_toml_text(&text, Path::new(&names.join(" over ")), false)
    }

    /// Add the `[universe]` symbols to `engine.segments` as stock segments (after any CLI
    /// override of `universe.symbols`/`max_symbols`); a no-op without a symbol list.
    ///
    /// Errors: the symbol list's (file, line, field), see [`UniverseSection::stocks`].
    pub fn expand_universe(&mut self) -> Result<(), ConfigError> {
        for seg in self.universe.stocks()? {
            if !self.engine.segments.contains(&seg) {
                self.engine.segments.push(seg);
            }
        }
        Ok(())
    }

    /// The catalog series that drives `seg` in replay: `[segments.<CODE>] series`, else for a
    /// stock `<SYMBOL><universe.series_suffix>`, else the code.
    pub fn series(&self, seg: Segment) -> String {
        if let Some(s) = self.segments.get(&seg).and_then(|s| s.series.clone()) {
            return s;
        }
        match seg {
            Segment::Stock(sym) => format!("{sym}{}", self.universe.series_suffix),
            Segment::Index(_) => seg.code().to_string(),
        }
    }

    /// The strategy name.
    pub fn strategy_name(&self) -> &str {
        self.strategy
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("rsi_crossover")
    }

    /// The strategy's parameter table (without `name`).
    pub fn strategy_params(&self) -> toml::Table {
        let mut t = self.strategy.clone();
        t.remove("name");
        t
    }

    /// Build one strategy instance (one per segment).
    pub fn build_strategy(&self) -> Result<Box<dyn strategy::Strategy>, String> {
        strategy::registry::build(self.strategy_name(), &self.strategy_params())
            .map_err(|e| e.to_string())
    }

    /// Semantic checks beyond types.
    pub fn validate(&self) -> Result<(), String> {
        if self.engine.segments.is_empty() && self.universe.symbols.is_none() {
            return Err(
                "engine.segments: at least one segment (or a [universe] symbols list)".into(),
            );
        }
        if let Some(s) = self.engine.segments.iter().find(|s| s.index().is_none()) {
            return Err(format!(
                "engine.segments: unknown segment `{s}` (NIFTY, BANKNIFTY or SENSEX; stocks come from [universe] symbols)"
            ));
        }
        if let Some(s) = self.segments.keys().find(|s| s.index().is_none()) {
            return Err(format!(
                "[segments.{s}]: unknown segment (NIFTY, BANKNIFTY or SENSEX; stocks take the global settings)"
            ));
        }
        if self.engine.capital <= Decimal::ZERO {
            return Err("engine.capital must be > 0".into());
        }
        self.build_strategy().map(drop)?;
        self.breeze.validate()?;
        self.hedging.validate()?;
        for seg in self.engine.segments.iter().copied() {
            let p = self.segment(seg);
            if p.stops.sl_points <= Decimal::ZERO || p.stops.trailing_stop_points <= Decimal::ZERO {
                return Err(format!(
                    "{seg}: sl_points and trailing_stop_points must be > 0"
                ));
            }
            if p.initial_lots == 0 {
                return Err(format!("{seg}: initial_lots must be ≥ 1"));
            }
            if p.selection.strike_step <= Decimal::ZERO {
                return Err(format!("{seg}: strike_step must be > 0"));
            }
            if p.instrument == engine::settings::Instrument::HedgedShort
                && (self.pyramiding.enabled || self.exits.stop_basis == StopBasis::Option)
            {
                // A pyramid add or a premium stop would act on the short leg alone.
                return Err(format!(
                    "{seg}: instrument = \"hedged_short\" exits on the spread's value ([hedging]); \
                     it needs [pyramiding] enabled = false and [exits] stop_basis = \"underlying\""
                ));
            }
        }
        if self.exits.stop_basis == StopBasis::Option
            && (self.exits.stop_loss_pct <= Decimal::ZERO || self.exits.stop_loss_pct >= dec!(100))
        {
            return Err(
                "exits.stop_loss_pct must be in (0, 100) with stop_basis = \"option\"".into(),
            );
        }
        if self.risk.entry_window_start > self.risk.entry_window_end {
            return Err("risk.entry_window_start is after entry_window_end".into());
        }
        Ok(())
    }

    /// Resolved parameters of a segment (segment table over global defaults).
    pub fn segment(&self, seg: Segment) -> SegmentParams {
        let s = self.segments.get(&seg).cloned().unwrap_or_default();
        let sl = s.sl_points.unwrap_or(self.exits.sl_points);
        let tsl = s
            .trailing_stop_points
            .or(self.exits.trailing_stop_points)
            .unwrap_or(sl);
        SegmentParams {
            stops: UnderlyingStops {
                sl_points: sl,
                trailing_stop_points: tsl,
            },
            selection: SelectionParams {
                // A stock trades its share, never an option: the step is unused.
                strike_step: s
                    .strike_step
                    .or(seg.default_strike_step())
                    .unwrap_or(Decimal::ONE),
                itm_offset: s.itm_offset.unwrap_or(self.options.itm_offset),
                skip_expiry_day: self.options.skip_expiry_day,
            },
            initial_lots: s.initial_lots.unwrap_or(self.options.initial_lots),
            iv: s.iv.unwrap_or(self.paper.default_iv),
            pyramid: self.pyramiding.enabled.then(|| {
                let d = strategy::pyramid::PyramidParams::default_for(seg);
                strategy::pyramid::PyramidParams {
                    pyramid_points: s.pyramid_points.unwrap_or(d.pyramid_points),
                    lot_addition: s.lot_addition.unwrap_or(d.lot_addition),
                    max_quantity: s.max_quantity.unwrap_or(d.max_quantity),
                }
            }),
            // The cash market has no freeze quantity.
            freeze_quantity: s
                .freeze_quantity
                .or(seg.default_freeze_quantity())
                .unwrap_or(u32::MAX),
            instrument: match seg {
                Segment::Stock(_) => engine::settings::Instrument::Underlying,
                Segment::Index(_) => s.instrument.unwrap_or(self.options.instrument),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = Config::default();
        assert_eq!(c.strategy_name(), "rsi_crossover");
        let p = c.segment(Segment::BankNifty);
        assert_eq!(p.selection.strike_step, dec!(100));
        assert_eq!(p.stops.trailing_stop_points, dec!(50));
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let e = Config::from_toml("[risk]\nmax_trades = 3\n", Path::new("my.toml")).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("my.toml: TOML parse error at line 2"), "{s}");
        assert!(s.contains("unknown field `max_trades`"), "{s}");
        assert!(s.lines().any(|l| l.contains('^')), "{s}");
        let e = Config::from_toml(
            "[strategy]\nname = \"rsi_crossover\"\nrsi_perod = 3\n",
            Path::new("x.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("rsi_perod"), "{e}");
        let e = Config::from_toml("[segments.FOO]\n", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("FOO"), "{e}");
    }

    #[test]
    fn toml_errors_keep_their_caret_snippet() {
        let text = "[engine]\nsegments = [\"NIFTY\"]\nwarmup_sessions = \"x\"\n";
        let e = Config::from_toml(text, Path::new("config/x.toml"))
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(
            lines[0], "config/x.toml: TOML parse error at line 3, column 19",
            "{e}"
        );
        assert!(lines.contains(&"3 | warmup_sessions = \"x\""), "{e}");
        let caret = lines
            .iter()
            .find(|l| l.contains('^'))
            .unwrap_or_else(|| panic!("no caret line in {e}"));
        assert_eq!(caret.find('^'), Some(4 + 18), "caret under column 19: {e}");
        assert!(e.contains("expected usize"), "{e}");
        // A syntax error in a file of an include chain (parsed as that file's own text).
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.toml"), "[engine]\ncapital = = 1\n").unwrap();
        std::fs::write(dir.path().join("over.toml"), "include = \"base.toml\"\n").unwrap();
        let e = Config::load(&dir.path().join("over.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("base.toml: TOML parse error at line 2"), "{e}");
        assert!(e.lines().any(|l| l.contains('^')), "{e}");
    }

    #[test]
    fn telegram_table() {
        let c = Config::default();
        assert!(!c.telegram.enabled && c.telegram.daily_summary);
        assert_eq!(c.telegram.api_url, "https://api.telegram.org");
        let c = Config::from_toml(
            "[telegram]\nenabled = true\napi_url = \"http://127.0.0.1:9\"\nqueue_capacity = 8\n",
            Path::new("x.toml"),
        )
        .unwrap();
        assert!(c.telegram.enabled);
        assert_eq!(
            (c.telegram.api_url.as_str(), c.telegram.queue_capacity),
            ("http://127.0.0.1:9", 8)
        );
        // Secrets never live in the config file.
        let e = Config::from_toml("[telegram]\nbot_token = \"1:x\"\n", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `bot_token`"), "{e}");
    }

    #[test]
    fn http_table() {
        let c = Config::default();
        assert_eq!(c.http.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(
            c.http.token_file(Path::new("artifacts")),
            Path::new("artifacts/api_token")
        );
        let c = Config::from_toml(
            "[http]\nbind = \"127.0.0.1:0\"\ntoken_file = \"/tmp/t\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        assert_eq!(c.http.bind.port(), 0);
        assert_eq!(c.http.token_file(Path::new("a")), Path::new("/tmp/t"));
        let e = Config::from_toml("[http]\nport = 1\n", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `port`"), "{e}");
        let e = Config::from_toml("[http]\nbind = \"nowhere\"\n", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bind"), "{e}");
        // A remote bind loads (`--allow-remote` may allow it); the check is the binaries'.
        let c =
            Config::from_toml("[http]\nbind = \"0.0.0.0:8000\"\n", Path::new("x.toml")).unwrap();
        let e = c.http.check_bind().unwrap_err();
        assert!(e.contains("http.allow_remote"), "{e}");
        let c = Config::from_toml(
            "[http]\nbind = \"0.0.0.0:8000\"\nallow_remote = true\n",
            Path::new("x.toml"),
        )
        .unwrap();
        assert!(c.http.allow_remote);
    }

    #[test]
    fn segment_overrides() {
        let c = Config::from_toml(
            "[exits]\nsl_points = 40\n[segments.NIFTY]\ntrailing_stop_points = 30\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let p = c.segment(Segment::Nifty);
        assert_eq!(p.stops.sl_points, dec!(40));
        assert_eq!(p.stops.trailing_stop_points, dec!(30));
        assert_eq!(
            c.segment(Segment::BankNifty).stops.trailing_stop_points,
            dec!(40)
        );
    }

    #[test]
    fn include_layers_a_file_over_another() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.toml"),
            "[engine]\nsegments = [\"NIFTY\"]\ncapital = 500000\n[exits]\nsl_points = 40\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("over.toml"),
            "include = \"base.toml\"\n[engine]\nmode = \"paper\"\n[kite]\napi_base_url = \"http://127.0.0.1:1\"\n",
        )
        .unwrap();
        let c = Config::load(&dir.path().join("over.toml")).unwrap();
        assert_eq!(c.engine.mode, Mode::Paper);
        assert_eq!(c.engine.capital, dec!(500000));
        assert_eq!(c.exits.sl_points, dec!(40));
        assert_eq!(c.engine.segments, vec![Segment::Nifty]);
        assert!(c.kite.unwrap().contains_key("api_base_url"));
        // An unknown key names the whole chain.
        std::fs::write(
            dir.path().join("bad.toml"),
            "include = \"over.toml\"\n[risk]\nmax_tradez = 1\n",
        )
        .unwrap();
        let e = Config::load(&dir.path().join("bad.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad.toml over") && e.contains("base.toml") && e.contains("max_tradez"),
            "{e}"
        );
        // A cycle is refused.
        std::fs::write(dir.path().join("a.toml"), "include = \"b.toml\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "include = \"a.toml\"\n").unwrap();
        let e = Config::load(&dir.path().join("a.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("circular"), "{e}");
    }
}
