//! Sweep grid files (`replay --grid FILE.toml`, issue 13): lists of values keyed by config key
//! paths, their cartesian product, and each parameter set applied to the configuration.
//!
//! ```toml
//! name = "stops"                      # optional; default: the file's stem
//! "exits.sl_points" = [30, 40, 50]    # a quoted dotted key
//! strategy.rsi_period = [7, 9, 14]    # a TOML dotted key
//! [options]
//! itm_offset = [0, 100]               # a table
//! ```
//!
//! Every key and value is checked before anything runs: each value is written into the
//! configuration's TOML table (includes resolved) and the result goes through
//! `Config::from_toml` (its `deny_unknown_fields` and `validate`), then so does every set of
//! the product. An unknown key or a bad value is one error naming the grid file, the key and
//! the value.

use anyhow::{Context, Result, anyhow, bail};
use config::{Config, INCLUDE_KEY, MAX_INCLUDE_DEPTH};
use std::path::{Path, PathBuf};

/// A parsed grid file.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The file.
    pub path: PathBuf,
    /// Sweep name (`name = "..."`, else the file stem): `<out>/sweep/<name>/`.
    pub name: String,
    /// The file's text (copied to `<out>/sweep/<name>/grid.toml`).
    pub text: String,
    /// Dotted config key → its values, in grid-file order.
    pub keys: Vec<(String, Vec<toml::Value>)>,
}

/// One parameter set of the product.
#[derive(Debug, Clone)]
pub struct ParamSet {
    /// `set-0001`, … in cartesian order (the last key varies fastest).
    pub id: String,
    /// 0-based position in cartesian order (shard assignment).
    pub index: usize,
    /// The value of each grid key, in grid-file order.
    pub values: Vec<toml::Value>,
    /// The configuration with the values applied.
    pub config: Config,
}

impl Grid {
    /// Read and parse `path`. Errors: unreadable file, TOML syntax, a key whose value is not a
    /// non-empty list, or no key at all; each names the file (and key).
    pub fn load(path: &Path) -> Result<Grid> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("grid file {}", path.display()))?;
        let doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e| anyhow!("grid file {}: {e}", path.display()))?;
        let mut name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("grid")
            .to_string();
        let mut keys = Vec::new();
        for (k, item) in doc.as_table().iter() {
            if k == "name" {
                name = item
                    .as_str()
                    .ok_or_else(|| {
                        anyhow!("grid file {}: `name` must be a string", path.display())
                    })?
                    .to_string();
                continue;
            }
            flatten(path, k, item, &mut keys)?;
        }
        if keys.is_empty() {
            bail!("grid file {}: no parameter lists", path.display());
        }
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            bail!(
                "grid file {}: name `{name}` must be a plain directory name",
                path.display()
            );
        }
        Ok(Grid {
            path: path.to_path_buf(),
            name,
            text,
            keys,
        })
    }

    /// Number of parameter sets (product of the list lengths).
    pub fn len(&self) -> usize {
        self.keys.iter().map(|(_, v)| v.len()).product()
    }

    /// Every parameter set of the product applied to `base` (the configuration's TOML table),
    /// each validated by `Config::from_toml`. `config_name` names the configuration in errors.
    ///
    /// Errors (before anything runs): a key or a value the configuration rejects, naming the
    /// grid file, the key and the value; then a combination it rejects, naming the set.
    pub fn sets(&self, base: &toml::Table, config_name: &Path) -> Result<Vec<ParamSet>> {
        // Each value alone first, so that the error names the one key at fault.
        for (key, values) in &self.keys {
            for v in values {
                let mut t = base.clone();
                set_key(&mut t, key, v.clone())
                    .and_then(|()| to_config(&t, config_name))
                    .map_err(|e| {
                        anyhow!(
                            "grid file {}: key `{key}` = {v}: {e:#}",
                            self.path.display()
                        )
                    })?;
            }
        }
        let mut sets = Vec::with_capacity(self.len());
        for index in 0..self.len() {
            let mut rest = index;
            let mut values = vec![toml::Value::Boolean(false); self.keys.len()];
            for (slot, (_, vs)) in values.iter_mut().zip(&self.keys).rev() {
                *slot = vs[rest % vs.len()].clone();
                rest /= vs.len();
            }
            let mut t = base.clone();
            for ((key, _), v) in self.keys.iter().zip(&values) {
                set_key(&mut t, key, v.clone())?;
            }
            let id = format!("set-{:04}", index + 1);
            let config = to_config(&t, config_name).map_err(|e| {
                let what: Vec<String> = self
                    .keys
                    .iter()
                    .zip(&values)
                    .map(|((k, _), v)| format!("{k} = {v}"))
                    .collect();
                anyhow!(
                    "grid file {}: {id} ({}): {e:#}",
                    self.path.display(),
                    what.join(", ")
                )
            })?;
            sets.push(ParamSet {
                id,
                index,
                values,
                config,
            });
        }
        Ok(sets)
    }
}

/// Collect the lists under `item` as dotted keys (a quoted `"a.b"` key is a path too).
fn flatten(
    path: &Path,
    prefix: &str,
    item: &toml_edit::Item,
    out: &mut Vec<(String, Vec<toml::Value>)>,
) -> Result<()> {
    if let Some(t) = item.as_table_like() {
        for (k, sub) in t.iter() {
            flatten(path, &format!("{prefix}.{k}"), sub, out)?;
        }
        return Ok(());
    }
    let bad = || {
        anyhow!(
            "grid file {}: key `{prefix}`: expected a non-empty list of values, e.g. {prefix} = [1, 2]",
            path.display()
        )
    };
    let arr = item.as_array().ok_or_else(bad)?;
    if arr.is_empty() {
        return Err(bad());
    }
    let mut values = Vec::with_capacity(arr.len());
    for v in arr.iter() {
        // Through TOML text: toml_edit keeps the file's form, `toml` is what `Config` reads.
        let text = format!("v = {}", v.clone().decorated("", ""));
        let mut t: toml::Table = text
            .parse()
            .map_err(|e| anyhow!("grid file {}: key `{prefix}`: {e}", path.display()))?;
        values.push(t.remove("v").ok_or_else(bad)?);
    }
    if out.iter().any(|(k, _)| k == prefix) {
        bail!("grid file {}: key `{prefix}` given twice", path.display());
    }
    out.push((prefix.to_string(), values));
    Ok(())
}

/// Write `value` at the dotted `key` of `table`, creating missing tables. Errors: a path
/// through a value that is not a table.
pub fn set_key(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<()> {
    let parts: Vec<&str> = key.split('.').collect();
    let Some((last, parents)) = parts.split_last() else {
        bail!("empty key");
    };
    let mut t = table;
    for (i, p) in parents.iter().enumerate() {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| anyhow!("`{}` is not a table", parts[..=i].join(".")))?;
    }
    t.insert(last.to_string(), value);
    Ok(())
}

/// The configuration a table stands for, through `Config`'s own deserialisation (unknown keys
/// rejected) and `Config::validate`. Errors: one line, `<config_name>: <what is wrong>`.
pub fn to_config(table: &toml::Table, config_name: &Path) -> Result<Config> {
    let text = toml::to_string(table).context("writing the configuration table")?;
    let name = config_name.display();
    let mut cfg: Config = toml::from_str(&text).map_err(|e| anyhow!("{name}: {}", e.message()))?;
    cfg.validate().map_err(|e| anyhow!("{name}: {e}"))?;
    cfg.expand_universe()?;
    Ok(cfg)
}

/// The TOML table of the configuration file at `path`, `include` chains layered as
/// `Config::load` does (the including file's keys over the included file's).
pub fn config_table(path: &Path) -> Result<toml::Table> {
    let mut layers = Vec::new();
    let mut chain = vec![path.to_path_buf()];
    let mut current = path.to_path_buf();
    loop {
        let text = std::fs::read_to_string(&current)
            .with_context(|| format!("config {}", current.display()))?;
        let mut table: toml::Table = text
            .parse()
            .map_err(|e| anyhow!("config {}: {e}", current.display()))?;
        let include = table.remove(INCLUDE_KEY);
        layers.push(table);
        let Some(inc) = include else { break };
        let inc = inc
            .as_str()
            .ok_or_else(|| anyhow!("config {}: {INCLUDE_KEY} must be a path", current.display()))?;
        let next = current.parent().unwrap_or_else(|| Path::new(".")).join(inc);
        if chain.len() >= MAX_INCLUDE_DEPTH || chain.contains(&next) {
            bail!(
                "config {}: include chain too long or circular",
                path.display()
            );
        }
        chain.push(next.clone());
        current = next;
    }
    let mut merged = toml::Table::new();
    for layer in layers.into_iter().rev() {
        merge(&mut merged, layer);
    }
    Ok(merged)
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// A grid value as a CSV cell: strings without quotes, everything else as TOML writes it.
pub fn cell(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(text: &str) -> Result<Grid> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.toml");
        std::fs::write(&p, text).unwrap();
        Grid::load(&p)
    }

    #[test]
    fn keys_keep_file_order_in_all_three_spellings() {
        let g = grid(
            "name = \"s\"\n\"exits.sl_points\" = [30, 40]\nstrategy.rsi_period = [7, 9, 14]\n[options]\nitm_offset = [0]\n",
        )
        .unwrap();
        let keys: Vec<&str> = g.keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "exits.sl_points",
                "strategy.rsi_period",
                "options.itm_offset"
            ]
        );
        assert_eq!(g.name, "s");
        assert_eq!(g.len(), 6);
    }

    #[test]
    fn a_scalar_or_empty_list_is_an_error_naming_the_key() {
        let e = grid("exits.sl_points = 30\n").unwrap_err().to_string();
        assert!(e.contains("`exits.sl_points`"), "{e}");
        let e = grid("exits.sl_points = []\n").unwrap_err().to_string();
        assert!(e.contains("`exits.sl_points`"), "{e}");
    }

    #[test]
    fn sets_are_cartesian_last_key_fastest_and_applied() {
        let g = grid("exits.sl_points = [30, 40]\nstrategy.rsi_period = [7, 9]\n").unwrap();
        let sets = g.sets(&toml::Table::new(), Path::new("cfg")).unwrap();
        let got: Vec<(String, String)> = sets
            .iter()
            .map(|s| (s.id.clone(), format!("{} {}", s.values[0], s.values[1])))
            .collect();
        assert_eq!(got[0], ("set-0001".into(), "30 7".into()));
        assert_eq!(got[1], ("set-0002".into(), "30 9".into()));
        assert_eq!(got[3], ("set-0004".into(), "40 9".into()));
        assert_eq!(
            sets[2].config.exits.sl_points,
            rust_decimal::Decimal::from(40)
        );
    }

    #[test]
    fn unknown_key_and_bad_value_name_the_key_and_file() {
        let g = grid("exits.sl_pointz = [30]\n").unwrap();
        let e = format!(
            "{:#}",
            g.sets(&toml::Table::new(), Path::new("cfg")).unwrap_err()
        );
        assert!(
            e.contains("`exits.sl_pointz`") && e.contains("g.toml"),
            "{e}"
        );
        let g = grid("exits.sl_points = [30, -5]\n").unwrap();
        let e = format!(
            "{:#}",
            g.sets(&toml::Table::new(), Path::new("cfg")).unwrap_err()
        );
        assert!(e.contains("`exits.sl_points` = -5"), "{e}");
    }
}
