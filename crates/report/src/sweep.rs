//! The sweep page: `<out>/sweep/<name>/results.csv` (issue 13) as a heat map of net P&L over
//! two chosen parameters and a table of the top parameter sets.
//!
//! `results.csv` columns, exactly: `set`, one column per grid key named by its dotted config
//! key (e.g. `exits.sl_points`), then `trades,win_rate,gross_pnl,net_pnl,charges,max_drawdown,
//! worst_day,profit_factor,sharpe`; rows sorted by net P&L descending. `grid.toml` beside it is
//! shown on the page when present.

use crate::ReportError;
use crate::html::{head, write_file};
use crate::load::csv_error;
use crate::svg::{self, escape};
use domain::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// The fixed columns after the parameter columns, in order.
pub const METRIC_COLUMNS: [&str; 9] = [
    "trades",
    "win_rate",
    "gross_pnl",
    "net_pnl",
    "charges",
    "max_drawdown",
    "worst_day",
    "profit_factor",
    "sharpe",
];

/// Rows the top-sets table shows.
pub const TOP_SETS: usize = 20;

/// One parameter set's results.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Set name/number (`set` column).
    pub set: String,
    /// Parameter values as written, in [`SweepResults::params`] order.
    pub params: Vec<String>,
    /// Completed trades.
    pub trades: u32,
    /// Win rate, % (as written).
    pub win_rate: f64,
    /// Gross P&L, ₹.
    pub gross_pnl: Decimal,
    /// Net P&L, ₹.
    pub net_pnl: Decimal,
    /// Charges, ₹.
    pub charges: Decimal,
    /// Max drawdown, ₹.
    pub max_drawdown: Decimal,
    /// Worst day's net P&L, ₹.
    pub worst_day: Decimal,
    /// Gross wins / gross losses; `None` when empty or not finite (no losing trade).
    pub profit_factor: Option<f64>,
    /// Daily-return Sharpe ratio; `None` when empty or not finite.
    pub sharpe: Option<f64>,
}

/// A parsed `results.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepResults {
    /// The dotted grid keys, in column order.
    pub params: Vec<String>,
    /// The rows, in file order.
    pub rows: Vec<SweepRow>,
}

fn optional_f64(s: &str) -> Result<Option<f64>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v: f64 = t.parse().map_err(|_| format!("`{t}` is not a number"))?;
    Ok(v.is_finite().then_some(v))
}

/// Read `results.csv`.
///
/// Errors: the file is missing ([`ReportError::Io`]); the header is not `set`, parameter
/// columns, then [`METRIC_COLUMNS`] (line 1, the first wrong column); a value does not parse
/// (its line and column) ([`ReportError::Csv`]).
pub fn read_sweep(path: &Path) -> Result<SweepResults, ReportError> {
    let bytes = std::fs::read(path).map_err(ReportError::io(path))?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let headers = r
        .headers()
        .map_err(|e| csv_error(path, &csv::StringRecord::new(), &e))?
        .clone();
    let bad_header = |field: &str, message: String| ReportError::Csv {
        path: path.to_path_buf(),
        line: 1,
        field: field.to_string(),
        message,
    };
    let cols: Vec<&str> = headers.iter().collect();
    if cols.first() != Some(&"set") {
        return Err(bad_header(
            cols.first().copied().unwrap_or("-"),
            "the first column must be `set`".into(),
        ));
    }
    if cols.len() < 1 + METRIC_COLUMNS.len() {
        return Err(bad_header(
            "-",
            format!(
                "{} columns; want set, the grid keys, then {}",
                cols.len(),
                METRIC_COLUMNS.join(",")
            ),
        ));
    }
    let n_params = cols.len() - 1 - METRIC_COLUMNS.len();
    for (got, want) in cols[1 + n_params..].iter().zip(METRIC_COLUMNS) {
        if *got != want {
            return Err(bad_header(got, format!("expected column `{want}` here")));
        }
    }
    let params: Vec<String> = cols[1..1 + n_params]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_error(path, &headers, &e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let at = |i: usize| rec.get(i).unwrap_or("").trim();
        let err = |i: usize, message: String| ReportError::Csv {
            path: path.to_path_buf(),
            line,
            field: cols.get(i).copied().unwrap_or("-").to_string(),
            message,
        };
        let m = 1 + n_params;
        let dec = |i: usize| -> Result<Decimal, ReportError> {
            at(i)
                .parse::<Decimal>()
                .map_err(|_| err(i, format!("`{}` is not an amount", at(i))))
        };
        rows.push(SweepRow {
            set: at(0).to_string(),
            params: (1..m).map(|i| at(i).to_string()).collect(),
            trades: at(m)
                .parse()
                .map_err(|_| err(m, format!("`{}` is not a count", at(m))))?,
            win_rate: optional_f64(at(m + 1))
                .map_err(|e| err(m + 1, e))?
                .unwrap_or(0.0),
            gross_pnl: dec(m + 2)?,
            net_pnl: dec(m + 3)?,
            charges: dec(m + 4)?,
            max_drawdown: dec(m + 5)?,
            worst_day: dec(m + 6)?,
            profit_factor: optional_f64(at(m + 7)).map_err(|e| err(m + 7, e))?,
            sharpe: optional_f64(at(m + 8)).map_err(|e| err(m + 8, e))?,
        });
    }
    Ok(SweepResults { params, rows })
}

/// Parameter values in order: numerically when all parse as numbers, else as text.
fn sorted_values(v: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort();
    v.dedup();
    if v.iter().all(|s| s.parse::<f64>().is_ok()) {
        v.sort_by(|a, b| {
            let (a, b) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            a.total_cmp(&b)
        });
    }
    v
}

/// The heat map's grid: x values, y values and, per (y, x), the best net P&L over the rows
/// with those two values (the other parameters take whatever value is best).
///
/// Errors: `x_key` or `y_key` is not a parameter of the sweep ([`ReportError::Input`] listing
/// the parameters).
#[allow(clippy::type_complexity)]
pub fn heat_grid(
    res: &SweepResults,
    x_key: &str,
    y_key: &str,
) -> Result<(Vec<String>, Vec<String>, Vec<Vec<Option<Decimal>>>), ReportError> {
    let col = |k: &str| {
        res.params.iter().position(|p| p == k).ok_or_else(|| {
            ReportError::Input(format!(
                "`{k}` is not a parameter of this sweep (parameters: {})",
                res.params.join(", ")
            ))
        })
    };
    let (xi, yi) = (col(x_key)?, col(y_key)?);
    let xs = sorted_values(res.rows.iter().map(|r| r.params[xi].clone()));
    let ys = sorted_values(res.rows.iter().map(|r| r.params[yi].clone()));
    let mut best: BTreeMap<(usize, usize), Decimal> = BTreeMap::new();
    for r in &res.rows {
        let x = xs.iter().position(|v| *v == r.params[xi]).unwrap_or(0);
        let y = ys.iter().position(|v| *v == r.params[yi]).unwrap_or(0);
        let e = best.entry((y, x)).or_insert(r.net_pnl);
        *e = (*e).max(r.net_pnl);
    }
    let cells = (0..ys.len())
        .map(|y| (0..xs.len()).map(|x| best.get(&(y, x)).copied()).collect())
        .collect();
    Ok((xs, ys, cells))
}

/// The sweep page as a string: heat map of net P&L over `x_key` × `y_key`, the top
/// [`TOP_SETS`] sets by net P&L, and `grid_toml` when given.
///
/// Errors: as [`heat_grid`].
pub fn render_sweep_html(
    res: &SweepResults,
    x_key: &str,
    y_key: &str,
    grid_toml: Option<&str>,
) -> Result<String, ReportError> {
    let (xs, ys, cells) = heat_grid(res, x_key, y_key)?;
    let plot = |v: Decimal| v.to_string().parse::<f64>().unwrap_or(0.0);
    let cells_f: Vec<Vec<Option<f64>>> = cells
        .iter()
        .map(|r| r.iter().map(|c| c.map(plot)).collect())
        .collect();
    let others: Vec<&str> = res
        .params
        .iter()
        .map(String::as_str)
        .filter(|p| *p != x_key && *p != y_key)
        .collect();
    let caption = if others.is_empty() {
        format!("Net P&L (₹) of each set over {x_key} × {y_key}.")
    } else {
        format!(
            "Net P&L (₹) over {x_key} × {y_key}; each cell is the BEST net P&L over the other parameters ({}).",
            others.join(", ")
        )
    };
    let title = "Parameter sweep";
    let mut o = head(title);
    let _ = write!(
        o,
        "<h1>{title}</h1><p>{} parameter sets; parameters: {}. Amounts in ₹.</p><h2>Net P&amp;L heat map</h2><figure>{}<figcaption id=\"heat-caption\">{}</figcaption></figure>",
        res.rows.len(),
        escape(&res.params.join(", ")),
        svg::heat_map(
            "chart-heat",
            &format!("Net P&L, ₹: {x_key} (x) × {y_key} (y)"),
            (x_key, &xs),
            (y_key, &ys),
            &cells_f
        ),
        escape(&caption)
    );
    let mut top: Vec<&SweepRow> = res.rows.iter().collect();
    top.sort_by_key(|r| std::cmp::Reverse(r.net_pnl));
    let _ = write!(
        o,
        "<h2>Top {} sets by net P&amp;L</h2><table id=\"top-sets\"><tr><th class=\"l\">Set</th>",
        top.len().min(TOP_SETS)
    );
    for p in &res.params {
        let _ = write!(o, "<th>{}</th>", escape(p));
    }
    o.push_str("<th>Trades</th><th>Win rate, %</th><th>Gross ₹</th><th>Charges ₹</th><th>Net ₹</th><th>Max DD ₹</th><th>Worst day ₹</th><th>Profit factor</th><th>Sharpe</th></tr>");
    let opt = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
    for r in top.iter().take(TOP_SETS) {
        let _ = write!(
            o,
            "<tr class=\"set\"><td class=\"l\">{}</td>",
            escape(&r.set)
        );
        for v in &r.params {
            let _ = write!(o, "<td>{}</td>", escape(v));
        }
        let _ = write!(
            o,
            "<td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.trades,
            r.win_rate,
            r.gross_pnl.round_dp(2),
            r.charges.round_dp(2),
            if r.net_pnl < Decimal::ZERO {
                "neg"
            } else {
                "pos"
            },
            r.net_pnl.round_dp(2),
            r.max_drawdown.round_dp(2),
            r.worst_day.round_dp(2),
            opt(r.profit_factor),
            opt(r.sharpe),
        );
    }
    o.push_str("</table>");
    if let Some(g) = grid_toml {
        let _ = write!(o, "<h2>Grid</h2><pre id=\"grid\">{}</pre>", escape(g));
    }
    o.push_str("</body></html>\n");
    Ok(o)
}

/// Read `results_csv` (and `grid.toml` beside it, when present) and write the sweep page to
/// `out`.
///
/// Errors: as [`read_sweep`] and [`heat_grid`]; [`ReportError::Io`] naming `out`.
pub fn write_sweep_html(
    results_csv: &Path,
    x_key: &str,
    y_key: &str,
    out: &Path,
) -> Result<(), ReportError> {
    let res = read_sweep(results_csv)?;
    let grid_path = results_csv.with_file_name("grid.toml");
    let grid = if grid_path.exists() {
        Some(std::fs::read_to_string(&grid_path).map_err(ReportError::io(&grid_path))?)
    } else {
        None
    };
    write_file(
        out,
        &render_sweep_html(&res, x_key, y_key, grid.as_deref())?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const RESULTS: &str = "set,exits.sl_points,strategy.rsi_period,trades,win_rate,gross_pnl,net_pnl,charges,max_drawdown,worst_day,profit_factor,sharpe
3,40,14,20,55.00,5200.50,4100.25,1100.25,900,-700,1.85,2.10
1,30,14,22,50.00,4000,2900,1100,1200,-800,1.40,1.20
4,40,7,25,48.00,3000,1700,1300,1500,-900,1.20,0.80
2,30,7,24,45.83,1000,-300,1300,2500,-1500,0.95,-0.30
5,50,7,18,40.00,-100,-1100,1000,3000,-1800,,
";

    fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results.csv");
        std::fs::write(&p, RESULTS).unwrap();
        (dir, p)
    }

    #[test]
    fn results_parse_with_their_parameters() {
        let (_d, p) = fixture();
        let r = read_sweep(&p).unwrap();
        assert_eq!(r.params, ["exits.sl_points", "strategy.rsi_period"]);
        assert_eq!(r.rows.len(), 5);
        assert_eq!(r.rows[0].net_pnl, dec!(4100.25));
        assert_eq!(r.rows[4].profit_factor, None);
        assert_eq!(r.rows[3].sharpe, Some(-0.30));
    }

    #[test]
    fn the_heat_grid_takes_the_best_over_the_other_parameters() {
        let (_d, p) = fixture();
        let mut r = read_sweep(&p).unwrap();
        let (xs, ys, cells) = heat_grid(&r, "exits.sl_points", "strategy.rsi_period").unwrap();
        assert_eq!(xs, ["30", "40", "50"]);
        assert_eq!(ys, ["7", "14"]);
        assert_eq!(
            cells[0],
            [Some(dec!(-300)), Some(dec!(1700)), Some(dec!(-1100))]
        );
        assert_eq!(cells[1], [Some(dec!(2900)), Some(dec!(4100.25)), None]);
        // Over one key only: best over the other.
        r.params.push("x".into());
        let (_, ys, cells) = heat_grid(&r, "exits.sl_points", "exits.sl_points").unwrap();
        assert_eq!(ys.len(), 3);
        assert_eq!(cells[0][0], Some(dec!(2900)));
        let e = heat_grid(&r, "exits.tsl", "exits.sl_points")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("exits.tsl") && e.contains("strategy.rsi_period"),
            "{e}"
        );
    }

    #[test]
    fn the_page_has_the_map_the_caption_and_the_top_sets() {
        let (d, p) = fixture();
        std::fs::write(
            d.path().join("grid.toml"),
            "exits.sl_points = [30, 40, 50]\n",
        )
        .unwrap();
        let out = d.path().join("sweep.html");
        write_sweep_html(&p, "exits.sl_points", "strategy.rsi_period", &out).unwrap();
        let html = std::fs::read_to_string(out).unwrap();
        assert_eq!(html.matches("class=\"cell\"").count(), 6);
        assert_eq!(html.matches("<tr class=\"set\">").count(), 5);
        assert!(html.contains("id=\"grid\">exits.sl_points = [30, 40, 50]"));
        let first = html.find("<tr class=\"set\">").unwrap();
        assert!(html[first..].starts_with("<tr class=\"set\"><td class=\"l\">3</td>"));
    }

    #[test]
    fn bad_headers_and_values_name_line_and_column() {
        let (d, p) = fixture();
        let e = read_sweep(&p.with_file_name("nope.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope.csv"), "{e}");
        let bad = RESULTS.replace("net_pnl,charges", "net,charges");
        std::fs::write(&p, bad).unwrap();
        let e = read_sweep(&p).unwrap_err().to_string();
        assert!(e.contains("results.csv:1: field `net`"), "{e}");
        let bad = RESULTS.replace("40.00,-100,-1100", "40.00,-100,lots");
        std::fs::write(&p, bad).unwrap();
        let e = read_sweep(&p).unwrap_err().to_string();
        assert!(e.contains("results.csv:6: field `net_pnl`"), "{e}");
        drop(d);
    }
}
