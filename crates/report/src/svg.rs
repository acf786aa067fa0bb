//! Inline SVG charts, written by hand: line charts (equity, drawdown), bar charts (daily P&L,
//! P&L by hour and by exit reason) and a heat map (sweeps). No fonts are needed to draw: the
//! text is SVG `<text>` that the browser lays out. (plotters' SVG backend cannot place text
//! without a font feature, `ttf` with system fonts or `ab_glyph` with a bundled font file, and
//! panics without one, so the report does not use it.)
//!
//! Values arrive as `f64` (the plotting edge: money is converted from `Decimal` by the caller).
//! Every chart is one `<svg>` element with the given `id`, a `viewBox` and a `<title>`; data
//! lines are `<path class="series">`, bars `<rect class="bar">`, heat-map cells
//! `<rect class="cell">`, so a test can check a chart has drawn something.

use std::fmt::Write;

const W: f64 = 900.0;
const H: f64 = 280.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 44.0;
/// Colours for successive series.
pub const PALETTE: [&str; 6] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
];
const UP: &str = "#2e8b57";
const DOWN: &str = "#c0392b";

/// One line of a [`LineChart`]: `(x, y)` points in x order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Stroke colour (CSS).
    pub color: String,
    /// Points; x is any increasing measure (e.g. trade number), y in the chart's unit.
    pub points: Vec<(f64, f64)>,
}

/// A line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// `id` of the `<svg>`.
    pub id: String,
    /// Title (also the SVG `<title>`).
    pub title: String,
    /// Unit of the y axis, e.g. `₹`.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// Labels under the x axis at chosen x values (e.g. the date where a day starts).
    pub x_labels: Vec<(f64, String)>,
    /// Shade the area between each line and 0 (drawdown).
    pub area: bool,
}

/// Escape `&`, `<`, `>`, `"` and `'` for HTML/SVG text and attributes.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// About `n` round tick values covering `[lo, hi]` (steps of 1, 2 or 5 × 10^k), ascending.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    let span = if hi - lo > 0.0 {
        hi - lo
    } else {
        lo.abs().max(1.0)
    };
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut v = Vec::new();
    let mut t = first;
    while t <= hi + step * 0.5 && v.len() < 50 {
        v.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    v
}

/// A number for an axis or a cell: thousands separated, no decimals from 100 on.
pub fn fmt_num(v: f64) -> String {
    if v.abs() < 100.0 && v.fract() != 0.0 {
        return format!("{v:.1}");
    }
    let r = v.round() as i64;
    let digits = r.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if r < 0 { format!("-{out}") } else { out }
}

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        let span = if self.x1 > self.x0 {
            self.x1 - self.x0
        } else {
            1.0
        };
        LEFT + (x - self.x0) / span * (W - LEFT - RIGHT)
    }
    fn py(&self, y: f64) -> f64 {
        let span = if self.y1 > self.y0 {
            self.y1 - self.y0
        } else {
            1.0
        };
        H - BOTTOM - (y - self.y0) / span * (H - TOP - BOTTOM)
    }
}

fn open(id: &str, title: &str, h: f64) -> String {
    format!(
        "<svg id=\"{}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
<text class=\"chart-title\" x=\"{LEFT}\" y=\"18\">{t}</text>",
        escape(id),
        t = escape(title)
    )
}

/// Horizontal grid lines with y labels, and the 0 line emphasised.
fn y_axis(o: &mut String, f: &Frame, ticks: &[f64], unit: &str) {
    for t in ticks {
        let y = f.py(*t);
        let class = if *t == 0.0 { "zero" } else { "grid" };
        let _ = write!(
            o,
            "<line class=\"{class}\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            fmt_num(*t)
        );
    }
    let _ = write!(
        o,
        "<text class=\"unit\" x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text>",
        (H - BOTTOM + TOP) / 2.0,
        (H - BOTTOM + TOP) / 2.0,
        escape(unit)
    );
}

fn empty_note(o: &mut String) {
    let _ = write!(
        o,
        "<text class=\"empty\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">no trades</text>",
        W / 2.0,
        H / 2.0
    );
}

/// The SVG of a line chart (a legend when there is more than one series).
pub fn line_chart(c: &LineChart) -> String {
    let mut o = open(&c.id, &c.title, H);
    let pts = c.series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0f64, 0.0f64);
    let mut any = false;
    for (x, y) in pts {
        any = true;
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if !any {
        (x0, x1) = (0.0, 1.0);
    }
    let ticks = nice_ticks(y0, y1, 5);
    let f = Frame {
        x0,
        x1,
        y0: ticks.first().copied().unwrap_or(y0).min(y0),
        y1: ticks.last().copied().unwrap_or(y1).max(y1),
    };
    y_axis(&mut o, &f, &ticks, &c.y_label);
    // Labels closer than 56 px to the last one drawn are left out (they would overlap).
    let mut last_px = f64::MIN;
    for (x, label) in &c.x_labels {
        let px = f.px(*x);
        if px - last_px < 56.0 {
            continue;
        }
        last_px = px;
        let _ = write!(
            o,
            "<line class=\"xtick\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 5.0,
            H - BOTTOM + 18.0,
            escape(label)
        );
    }
    if !any {
        empty_note(&mut o);
    }
    for (i, s) in c.series.iter().enumerate() {
        if s.points.is_empty() {
            continue;
        }
        let mut d = String::new();
        for (k, (x, y)) in s.points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1} {:.1} ",
                if k == 0 { "M" } else { "L" },
                f.px(*x),
                f.py(*y)
            );
        }
        if c.area {
            let (first, last) = (s.points[0].0, s.points[s.points.len() - 1].0);
            let mut a = d.clone();
            let _ = write!(
                a,
                "L{:.1} {:.1} L{:.1} {:.1} Z",
                f.px(last),
                f.py(0.0),
                f.px(first),
                f.py(0.0)
            );
            let _ = write!(
                o,
                "<path class=\"area\" d=\"{}\" fill=\"{}\" fill-opacity=\"0.25\" stroke=\"none\"/>",
                a.trim(),
                escape(&s.color)
            );
        }
        let _ = write!(
            o,
            "<path class=\"series\" data-name=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"/>",
            escape(&s.name),
            d.trim(),
            escape(&s.color)
        );
        if c.series.len() > 1 {
            let lx = LEFT + 10.0 + 130.0 * i as f64;
            let _ = write!(
                o,
                "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"4\" fill=\"{}\"/><text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                TOP + 2.0,
                escape(&s.color),
                lx + 16.0,
                TOP + 7.0,
                escape(&s.name)
            );
        }
    }
    o.push_str("</svg>");
    o
}

/// The SVG of a bar chart: one bar per `(label, value)`, green up, red down, from 0. Labels
/// are thinned out when there are many bars.
pub fn bar_chart(id: &str, title: &str, y_label: &str, bars: &[(String, f64)]) -> String {
    let mut o = open(id, title, H);
    let y0 = bars.iter().map(|b| b.1).fold(0.0f64, f64::min);
    let y1 = bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
    let ticks = nice_ticks(y0, y1, 5);
    let n = bars.len().max(1) as f64;
    let f = Frame {
        x0: 0.0,
        x1: n,
        y0: ticks.first().copied().unwrap_or(y0).min(y0),
        y1: ticks.last().copied().unwrap_or(y1).max(y1),
    };
    y_axis(&mut o, &f, &ticks, y_label);
    if bars.is_empty() {
        empty_note(&mut o);
    }
    let every = (bars.len() / 16).max(1);
    let slot = f.px(1.0) - f.px(0.0);
    for (i, (label, v)) in bars.iter().enumerate() {
        let x = f.px(i as f64) + slot * 0.15;
        let (top, bottom) = (f.py(v.max(0.0)), f.py(v.min(0.0)));
        let _ = write!(
            o,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>",
            slot * 0.7,
            (bottom - top).max(0.5),
            if *v < 0.0 { DOWN } else { UP },
            escape(label),
            fmt_num(*v)
        );
        if i % every == 0 {
            let _ = write!(
                o,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot * 0.35,
                H - BOTTOM + 18.0,
                escape(label)
            );
        }
    }
    o.push_str("</svg>");
    o
}

/// A heat map: `cells[row][col]` over `xs` (columns) and `ys` (rows, first at the top); a
/// missing cell is grey. Green for positive, red for negative, intensity by |value| relative
/// to the largest |value|; each cell shows its value.
pub fn heat_map(
    id: &str,
    title: &str,
    (x_name, xs): (&str, &[String]),
    (y_name, ys): (&str, &[String]),
    cells: &[Vec<Option<f64>>],
) -> String {
    let cell_h = 34.0;
    let h = TOP + 20.0 + cell_h * ys.len().max(1) as f64 + BOTTOM;
    let mut o = open(id, title, h);
    let scale = cells
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let left = LEFT + 40.0;
    let cell_w = (W - left - RIGHT) / xs.len().max(1) as f64;
    let top = TOP + 20.0;
    for (r, y) in ys.iter().enumerate() {
        let cy = top + cell_h * r as f64;
        let _ = write!(
            o,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            cy + cell_h / 2.0 + 4.0,
            escape(y)
        );
        for (c, x) in xs.iter().enumerate() {
            let cx = left + cell_w * c as f64;
            let v = cells.get(r).and_then(|row| row.get(c)).copied().flatten();
            let (fill, label) = match v {
                Some(v) => {
                    let a = if scale > 0.0 { v.abs() / scale } else { 0.0 };
                    let a = 0.15 + 0.85 * a;
                    let rgb = if v < 0.0 {
                        (192, 57, 43)
                    } else {
                        (46, 139, 87)
                    };
                    (
                        format!("rgba({},{},{},{a:.3})", rgb.0, rgb.1, rgb.2),
                        fmt_num(v),
                    )
                }
                None => ("#dddddd".to_string(), "–".to_string()),
            };
            let _ = write!(
                o,
                "<rect class=\"cell\" x=\"{cx:.1}\" y=\"{cy:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\" stroke=\"#fff\"><title>{}={}, {}={}: {}</title></rect>\
<text class=\"cell-value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                cell_w,
                cell_h,
                escape(x_name),
                escape(x),
                escape(y_name),
                escape(y),
                escape(&label),
                cx + cell_w / 2.0,
                cy + cell_h / 2.0 + 4.0,
                escape(&label)
            );
        }
    }
    let base = top + cell_h * ys.len() as f64;
    for (c, x) in xs.iter().enumerate() {
        let _ = write!(
            o,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            left + cell_w * (c as f64 + 0.5),
            base + 16.0,
            escape(x)
        );
    }
    let _ = write!(
        o,
        "<text class=\"unit\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text class=\"unit\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
        left + (W - left - RIGHT) / 2.0,
        base + 36.0,
        escape(x_name),
        8.0,
        top - 6.0,
        escape(y_name)
    );
    o.push_str("</svg>");
    o
}

/// A horizontal bar split into parts (`(label, count, colour)`), each part's width its share
/// of the total, labelled with count and percentage: the `MARKET`/`MODEL` premium share.
pub fn share_bar(id: &str, title: &str, parts: &[(String, u32, String)]) -> String {
    let h = 70.0;
    let mut o = open(id, title, h);
    let total: u32 = parts.iter().map(|p| p.1).sum();
    if total == 0 {
        let _ = write!(
            o,
            "<text class=\"empty\" x=\"{:.1}\" y=\"45\" text-anchor=\"middle\">no fills</text></svg>",
            W / 2.0
        );
        return o;
    }
    let mut x = LEFT;
    let width = W - LEFT - RIGHT;
    for (label, n, color) in parts {
        let w = width * f64::from(*n) / f64::from(total);
        let pct = 100.0 * f64::from(*n) / f64::from(total);
        let _ = write!(
            o,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"28\" width=\"{w:.1}\" height=\"30\" fill=\"{}\"><title>{}: {n} ({pct:.1}%)</title></rect>",
            escape(color),
            escape(label)
        );
        if w > 60.0 {
            let _ = write!(
                o,
                "<text class=\"bar-label\" x=\"{:.1}\" y=\"48\">{}: {n} ({pct:.1}%)</text>",
                x + 6.0,
                escape(label)
            );
        }
        x += w;
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            nice_ticks(0.0, 100.0, 5),
            [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let t = nice_ticks(-1234.0, 5678.0, 5);
        assert!(t[0] <= -1234.0 && *t.last().unwrap() >= 5678.0, "{t:?}");
        assert!(t.contains(&0.0));
        assert_eq!(nice_ticks(0.0, 0.0, 5).first(), Some(&0.0));
    }

    #[test]
    fn numbers_and_text_are_formatted_and_escaped() {
        assert_eq!(fmt_num(1234567.4), "1,234,567");
        assert_eq!(fmt_num(-2500.0), "-2,500");
        assert_eq!(fmt_num(12.34), "12.3");
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn a_line_chart_draws_one_path_per_series_inside_the_frame() {
        let c = LineChart {
            id: "eq".into(),
            title: "Equity <₹>".into(),
            y_label: "₹".into(),
            series: vec![
                Series {
                    name: "NIFTY".into(),
                    color: PALETTE[0].into(),
                    points: vec![(1.0, 100.0), (2.0, -50.0), (3.0, 300.0)],
                },
                Series {
                    name: "BANKNIFTY".into(),
                    color: PALETTE[1].into(),
                    points: vec![(1.0, 10.0)],
                },
            ],
            x_labels: vec![(1.0, "2024-06-03".into())],
            area: false,
        };
        let s = line_chart(&c);
        assert!(s.starts_with("<svg id=\"eq\""));
        assert!(s.contains("Equity &lt;₹&gt;"));
        assert_eq!(s.matches("class=\"series\"").count(), 2);
        // First point at the left edge of the plot, last at the right.
        assert!(s.contains(&format!("d=\"M{LEFT:.1} ")), "{s}");
        assert!(s.contains(&format!("L{:.1} ", W - RIGHT)), "{s}");
        assert!(s.contains("2024-06-03"));
        let empty = line_chart(&LineChart {
            series: vec![],
            ..c
        });
        assert!(empty.contains("no trades") && !empty.contains("class=\"series\""));
    }

    #[test]
    fn bars_go_up_green_and_down_red() {
        let s = bar_chart(
            "d",
            "Daily",
            "₹",
            &[("06-03".into(), 500.0), ("06-04".into(), -200.0)],
        );
        assert_eq!(s.matches("class=\"bar\"").count(), 2);
        assert!(s.contains(UP) && s.contains(DOWN));
        assert!(s.contains("06-04: -200"));
    }

    #[test]
    fn heat_map_cells_and_missing_cells() {
        let xs = vec!["30".to_string(), "40".to_string()];
        let ys = vec!["7".to_string()];
        let s = heat_map(
            "h",
            "Net",
            ("exits.sl_points", &xs),
            ("strategy.rsi_period", &ys),
            &[vec![Some(-1000.0), None]],
        );
        assert_eq!(s.matches("class=\"cell\"").count(), 2);
        assert!(s.contains("exits.sl_points=30, strategy.rsi_period=7: -1,000"));
        assert!(s.contains("#dddddd"));
    }
}
