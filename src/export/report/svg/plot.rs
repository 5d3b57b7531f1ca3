//! Drawing one horizontal bar chart: rows of bars grouped by architecture
//! family, a linear or log axis, a reference line, a legend and captions.
//! Which charts there are, and what their bars hold, is `charts.rs`.

use std::fmt::Write as _;

use crate::compare::report::{Entry, Family};
use crate::export::safe::markup_text as escape;
use crate::export::sig3;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 300.0;
const RIGHT: f64 = 110.0;
const TOP: f64 = 78.0;
const BAR: f64 = 11.0;
const GAP: f64 = 9.0;
const GROUP: f64 = 24.0;
const BOTTOM: f64 = 56.0;
const CAPTION: f64 = 16.0;
/// Kernel colours (colour-blind safe, Okabe–Ito), shared by every chart.
pub(super) fn colour(i: usize) -> &'static str {
    ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9"][i % 5]
}

/// Value labels' font size.
const VALUE_FONT: f64 = 10.0;

/// A generous guess of a text's width in a sans-serif font, for keeping
/// labels off lines (there is no font metric without a renderer).
pub(super) fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars().count() as f64 * font_size * 0.62
}

/// One bar of a board: its value (if any), its text, colour, lighter or not.
pub(super) struct Bar {
    pub value: Option<f64>,
    /// The slowest and fastest sample on the same scale: an error bar.
    pub range: Option<(f64, f64)>,
    pub text: String,
    pub fill: &'static str,
    pub light: bool,
}

impl Bar {
    /// A board without this figure: the text says so.
    pub fn missing(text: String, fill: &'static str) -> Bar {
        Bar {
            value: None,
            range: None,
            text,
            fill,
            light: false,
        }
    }
}

/// A legend swatch: its name, colour and lightness.
pub(super) type Swatch = (String, &'static str, bool);

/// A bar chart with rows of bars grouped by family.
pub(super) struct Plot<'a> {
    pub title: String,
    pub subtitle: String,
    pub legend: Vec<Swatch>,
    pub rows: Vec<(&'a Entry, Vec<Bar>)>,
    pub log: bool,
    /// Vertical reference line at this value, with its label.
    pub reference: Option<(f64, String)>,
    pub axis: String,
    /// Lines under the axis: what the marks and highlights mean.
    pub captions: Vec<String>,
}

impl Plot<'_> {
    /// Whether any board besides the baseline has a bar: the baseline's
    /// own bar alone is only the reference line again.
    pub fn has_figures(&self) -> bool {
        self.rows
            .iter()
            .any(|(e, bars)| !e.is_baseline && bars.iter().any(|b| b.value.is_some()))
    }

    /// The legend without swatches that no bar uses.
    fn used_legend(&self) -> Vec<&Swatch> {
        self.legend
            .iter()
            .filter(|(_, fill, light)| {
                self.rows.iter().any(|(_, bars)| {
                    bars.iter()
                        .any(|b| b.value.is_some() && b.fill == *fill && b.light == *light)
                })
            })
            .collect()
    }

    fn scale(&self) -> (f64, f64) {
        let values = self
            .rows
            .iter()
            .flat_map(|(_, bars)| {
                bars.iter().flat_map(|b| {
                    b.value
                        .into_iter()
                        .chain(b.range.into_iter().flat_map(|(lo, hi)| [lo, hi]))
                })
            })
            .filter(|v| v.is_finite() && *v > 0.0)
            .chain(self.reference.as_ref().map(|r| r.0));
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi <= 0.0 {
            return if self.log { (0.1, 10.0) } else { (0.0, 1.0) };
        }
        if self.log {
            (
                10f64.powf(lo.log10().floor()),
                10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
            )
        } else {
            let step = nice_step(hi / 5.0);
            (0.0, step * (hi / step).ceil())
        }
    }

    pub fn render(&self) -> String {
        let plot_w = WIDTH - LEFT - RIGHT;
        let (lo, hi) = self.scale();
        let x = |v: f64| -> f64 {
            let t = if self.log {
                (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10())
            } else {
                (v - lo) / (hi - lo)
            };
            LEFT + t.clamp(0.0, 1.0) * plot_w
        };
        let reference_x = self.reference.as_ref().map(|(v, _)| x(*v));
        // Layout: family headers and rows.
        let mut y = TOP;
        let mut family: Option<Family> = None;
        let mut body = String::new();
        for (e, bars) in &self.rows {
            if family != Some(e.family) {
                family = Some(e.family);
                y += 6.0;
                let _ = writeln!(
                    body,
                    r#"<text x="8" y="{:.1}" font-weight="bold">{}</text>"#,
                    y + 12.0,
                    escape(e.family.title())
                );
                y += GROUP - 6.0;
            }
            let h = bars.len().max(1) as f64 * BAR;
            // The reader's own boards (measured by sbcbench) stand out.
            let own = !e.other_implementation;
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end"{}>{}</text>"#,
                LEFT - 8.0,
                y + h / 2.0 + 4.0,
                if own {
                    r#" class="own" font-weight="bold""#
                } else {
                    ""
                },
                escape(&board_label(e))
            );
            if bars.iter().all(|b| b.value.is_none()) {
                let text = bars.first().map(|b| b.text.clone()).unwrap_or_default();
                let _ = writeln!(
                    body,
                    r##"<text class="missing" x="{:.1}" y="{:.1}" fill="#777">{}</text>"##,
                    label_x(LEFT + 2.0, &text, 12.0, reference_x),
                    y + h / 2.0 + 4.0,
                    escape(&text)
                );
            } else {
                for (i, bar) in bars.iter().enumerate() {
                    let top = y + i as f64 * BAR;
                    if let Some(v) = bar.value {
                        draw_bar(&mut body, bar, v, top, &x, reference_x);
                    }
                }
            }
            y += h + GAP;
        }
        let plot_bottom = y;
        let height = plot_bottom + BOTTOM + CAPTION * self.captions.len() as f64;

        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(svg, "<title>{}</title>", escape(&self.title));
        let _ = writeln!(
            svg,
            r#"<rect x="0" y="0" width="{WIDTH:.0}" height="{height:.0}" fill="white"/>"#
        );
        let _ = writeln!(
            svg,
            r#"<text x="8" y="20" font-size="15" font-weight="bold">{}</text>"#,
            escape(&self.title)
        );
        let _ = writeln!(
            svg,
            r##"<text x="8" y="38" fill="#444">{}</text>"##,
            escape(&self.subtitle)
        );
        let mut lx = 8.0;
        for (name, fill, light) in self.used_legend() {
            let _ = writeln!(
                svg,
                r#"<rect x="{lx:.1}" y="50" width="12" height="10" fill="{fill}"{}/>"#,
                if *light {
                    r#" fill-opacity="0.45""#
                } else {
                    ""
                }
            );
            let _ = writeln!(
                svg,
                r#"<text class="legend" x="{:.1}" y="59">{}</text>"#,
                lx + 16.0,
                escape(name)
            );
            lx += 24.0 + 7.0 * name.chars().count() as f64;
        }
        // Grid and axis.
        for t in ticks(lo, hi, self.log) {
            let gx = x(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{gx:.1}" y1="{TOP:.1}" x2="{gx:.1}" y2="{plot_bottom:.1}" stroke="#ddd"/>"##
            );
            let _ = writeln!(
                svg,
                r##"<text x="{gx:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#444">{}</text>"##,
                plot_bottom + 14.0,
                escape(&tick_label(t, self.log))
            );
        }
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##,
            LEFT + plot_w / 2.0,
            plot_bottom + 34.0,
            escape(&self.axis)
        );
        for (i, caption) in self.captions.iter().enumerate() {
            let _ = writeln!(
                svg,
                r##"<text class="caption" x="8" y="{:.1}" fill="#444">{}</text>"##,
                plot_bottom + 52.0 + CAPTION * i as f64,
                escape(caption)
            );
        }
        svg.push_str(&body);
        if let (Some((_, text)), Some(rx)) = (&self.reference, reference_x) {
            let _ = writeln!(
                svg,
                r##"<line class="reference" x1="{rx:.1}" y1="{:.1}" x2="{rx:.1}" y2="{plot_bottom:.1}" stroke="#c00" stroke-width="1.5" stroke-dasharray="5 3"/>"##,
                TOP - 4.0
            );
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" fill="#c00" font-size="10">{}</text>"##,
                rx + 3.0,
                TOP - 6.0,
                escape(text)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// One bar, its error bar and its value label. The label goes right of
/// whichever ends later, the bar or its error bar, and past the reference
/// line where it would lie across it.
fn draw_bar(
    body: &mut String,
    bar: &Bar,
    v: f64,
    top: f64,
    x: &dyn Fn(f64) -> f64,
    reference_x: Option<f64>,
) {
    let end = x(v);
    let _ = writeln!(
        body,
        r#"<rect x="{LEFT:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"{}/>"#,
        top + 1.0,
        (end - LEFT).max(1.0),
        BAR - 2.0,
        bar.fill,
        if bar.light {
            r#" fill-opacity="0.45""#
        } else {
            ""
        }
    );
    let mut right = end;
    if let Some((lo, hi)) = bar.range {
        let (x0, x1) = (x(lo), x(hi));
        let mid = top + BAR / 2.0;
        let _ = writeln!(
            body,
            r##"<path class="error-bar" d="M{x0:.1} {:.1}V{:.1}M{x0:.1} {mid:.1}H{x1:.1}M{x1:.1} {:.1}V{:.1}" stroke="#222" stroke-width="1" fill="none"/>"##,
            mid - 3.0,
            mid + 3.0,
            mid - 3.0,
            mid + 3.0,
        );
        right = right.max(x1);
    }
    let label_x = label_x(right, &bar.text, VALUE_FONT, reference_x);
    let _ = writeln!(
        body,
        r#"<text class="value" x="{label_x:.1}" y="{:.1}" font-size="{VALUE_FONT:.0}">{}</text>"#,
        top + BAR - 2.0,
        escape(&bar.text)
    );
}

/// Where a label starts: just right of `right`, or right of the
/// reference line when the label would cross it.
fn label_x(right: f64, text: &str, font_size: f64, reference_x: Option<f64>) -> f64 {
    let start = right + 4.0;
    match reference_x {
        Some(rx) if rx >= start - 2.0 && rx <= start + text_width(text, font_size) + 2.0 => {
            rx + 4.0
        }
        _ => start,
    }
}

/// A board's name with its marks, as the tables show it.
fn board_label(e: &Entry) -> String {
    let mut s = e.label.clone();
    if e.other_implementation {
        s.push_str(" †");
    }
    if e.is_baseline {
        s.push_str(" (baseline)");
    }
    s
}

/// 1, 2, 2.5 or 5 × 10^n, at or above `v`.
pub(super) fn nice_step(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * p * 1.000_001 {
            return m * p;
        }
    }
    10.0 * p
}

fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    if log {
        let mut t = Vec::new();
        let mut v = lo;
        while v <= hi * 1.0001 {
            t.push(v);
            v *= 10.0;
        }
        t
    } else {
        let step = nice_step(hi / 5.0);
        (0..=((hi / step).round() as usize))
            .map(|i| i as f64 * step)
            .collect()
    }
}

/// `0.1×`, `1×`, `10×`; `0`, `2.5`, `50`.
pub(super) fn tick_label(t: f64, log: bool) -> String {
    let mut s = if t == 0.0 { "0".to_string() } else { sig3(t) };
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if log {
        s.push('×');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_that_would_cross_the_reference_line_starts_past_it() {
        // The bar ends 3 px left of the line: the label would cover it.
        assert_eq!(label_x(100.0, "0.93x", 10.0, Some(103.0)), 107.0);
        // Far from the line, or no line: right after the bar.
        assert_eq!(label_x(100.0, "0.93x", 10.0, Some(300.0)), 104.0);
        assert_eq!(label_x(100.0, "0.93x", 10.0, Some(50.0)), 104.0);
        assert_eq!(label_x(100.0, "0.93x", 10.0, None), 104.0);
    }
}
