//! A sweep's chart: MB/s per W against the clock for one board and core
//! class, a line per kernel × threads (colour by kernel, dashed for all
//! the class's cores), the most efficient step of each line ringed and
//! labelled. Without power figures it plots MB/s, and its title says so.

use std::fmt::Write as _;

use super::plot::{colour, nice_step, text_width, tick_label};
use super::Chart;
use crate::compare::report::{mhz_text, Mode, Report, Sweep, SweepCurve, SweepPoint};
use crate::export::safe::markup_text as escape;
use crate::export::sig3;
use crate::record::board_slug;

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 30.0;
/// The plot's top under one legend row; each more row moves it down.
const TOP: f64 = 84.0;
const LEGEND_ROW: f64 = 16.0;
const BOTTOM: f64 = 56.0;

/// `sweep-raspberry-pi-4-model-b-0-cortex-a72.svg`: the class's index
/// keeps two clusters of the same core apart.
pub(super) fn file_name(s: &Sweep) -> String {
    let mut name = format!("sweep-{}", board_slug(&s.board));
    if let Some(c) = s.cluster {
        name.push_str(&format!("-{c}"));
    }
    if !s.core_name.is_empty() {
        name.push('-');
        name.push_str(&board_slug(&s.core_name));
    }
    name.push_str(".svg");
    name
}

/// A sweep chart per board and class of the report.
pub(super) fn charts(report: &Report) -> Vec<Chart> {
    report
        .sweeps
        .iter()
        .map(|s| {
            let (title, svg) = render(s, &report.kernels);
            Chart {
                file_name: file_name(s),
                title,
                svg,
            }
        })
        .collect()
}

/// The value a point is drawn at: MB/s per W, or MB/s without watts.
fn value(p: &SweepPoint, watts: bool) -> Option<f64> {
    if watts {
        p.mb_per_s_per_w
    } else {
        Some(p.mb_per_s)
    }
    .filter(|v| v.is_finite())
}

fn dash(c: &SweepCurve) -> &'static str {
    match c.mode {
        Mode::Single => "",
        Mode::All => r#" stroke-dasharray="7 4""#,
    }
}

/// The chart's title and SVG text.
fn render(s: &Sweep, kernels: &[crate::measure::KernelId]) -> (String, String) {
    let watts = s.has_watts();
    let title = if watts {
        format!("{}: MB/s per W at each clock step", s.heading())
    } else {
        format!(
            "{}: MB/s at each clock step (no power figures, so no MB/s per W)",
            s.heading()
        )
    };
    let mut subtitle = format!("sbcbench sweep, {}", s.timestamp);
    if watts {
        subtitle.push_str(
            "; whole-board power as the meter reads it; ring: each line's most efficient step",
        );
    }
    if let Some(idle) = s.idle_watts {
        subtitle.push_str(&format!("; idle {idle:.1} W"));
    }
    let colour_of =
        |c: &SweepCurve| colour(kernels.iter().position(|k| *k == c.kernel).unwrap_or(0));

    // Scales: x over the steps, y from 0 to a round number.
    let all: Vec<&SweepPoint> = s.curves.iter().flat_map(|c| &c.points).collect();
    let mut steps: Vec<f64> = all.iter().map(|p| p.clock_mhz).collect();
    steps.sort_by(f64::total_cmp);
    steps.dedup();
    let (x_lo, x_hi) = match (steps.first(), steps.last()) {
        (Some(a), Some(b)) if b > a => (*a, *b),
        (Some(a), _) => (a - 100.0, a + 100.0),
        _ => (0.0, 1.0),
    };
    let y_max = all
        .iter()
        .filter_map(|p| value(p, watts))
        .fold(0.0f64, f64::max);
    let y_step = if y_max > 0.0 {
        nice_step(y_max / 5.0)
    } else {
        1.0
    };
    let y_hi = (y_step * (y_max / y_step).ceil()).max(y_step);
    // Legend: a line swatch per curve, in rows that fit the width.
    let mut legend: Vec<(f64, f64, &SweepCurve, String)> = Vec::new();
    let (mut lx, mut ly) = (8.0, 55.0);
    for c in &s.curves {
        let label = c.label();
        let w = 40.0 + text_width(&label, 12.0);
        if lx > 8.0 && lx + w > WIDTH - 8.0 {
            (lx, ly) = (8.0, ly + LEGEND_ROW);
        }
        legend.push((lx, ly, c, label));
        lx += w;
    }
    let top = TOP + (ly - 55.0);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - top - BOTTOM);
    let pad = plot_w * 0.04;
    let x = |mhz: f64| LEFT + pad + (mhz - x_lo) / (x_hi - x_lo) * (plot_w - 2.0 * pad);
    let y = |v: f64| top + plot_h - v / y_hi * plot_h;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{HEIGHT:.0}" viewBox="0 0 {WIDTH:.0} {HEIGHT:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, "<title>{}</title>", escape(&title));
    let _ = writeln!(
        svg,
        r#"<rect x="0" y="0" width="{WIDTH:.0}" height="{HEIGHT:.0}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="8" y="20" font-size="15" font-weight="bold">{}</text>"#,
        escape(&title)
    );
    let _ = writeln!(
        svg,
        r##"<text x="8" y="38" fill="#444">{}</text>"##,
        escape(&subtitle)
    );
    for (lx, ly, c, label) in &legend {
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{}" stroke-width="2"{}/>"#,
            lx + 22.0,
            colour_of(c),
            dash(c)
        );
        let _ = writeln!(
            svg,
            r#"<text class="legend" x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 27.0,
            ly + 4.0,
            escape(label)
        );
    }
    // Grid, ticks and axis titles.
    let every = steps.len().div_ceil(12).max(1);
    for (i, mhz) in steps.iter().enumerate() {
        let gx = x(*mhz);
        let _ = writeln!(
            svg,
            r##"<line x1="{gx:.1}" y1="{top:.1}" x2="{gx:.1}" y2="{:.1}" stroke="#eee"/>"##,
            top + plot_h
        );
        if i % every == 0 {
            let _ = writeln!(
                svg,
                r##"<text x="{gx:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#444">{}</text>"##,
                top + plot_h + 14.0,
                mhz_text(*mhz)
            );
        }
    }
    let mut t = 0.0;
    while t <= y_hi * 1.000_001 {
        let gy = y(t);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT:.1}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="#ddd"/>"##,
            LEFT + plot_w
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10" fill="#444">{}</text>"##,
            LEFT - 6.0,
            gy + 3.5,
            escape(&tick_label(t, false))
        );
        t += y_step;
    }
    let _ = writeln!(
        svg,
        r##"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">clock (MHz)</text>"##,
        LEFT + plot_w / 2.0,
        top + plot_h + 34.0
    );
    let _ = writeln!(
        svg,
        r##"<text class="axis" x="16" y="{:.1}" text-anchor="middle" fill="#444" transform="rotate(-90 16 {:.1})">{}</text>"##,
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        if watts {
            "MB/s per W (whole board)"
        } else {
            "MB/s"
        }
    );
    // The curves, their points, and each one's most efficient step.
    for c in &s.curves {
        let fill = colour_of(c);
        let pts: Vec<(f64, f64)> = c
            .points
            .iter()
            .filter_map(|p| Some((x(p.clock_mhz), y(value(p, watts)?))))
            .collect();
        let coords: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = writeln!(
            svg,
            r#"<polyline class="curve" data-curve="{}" points="{}" fill="none" stroke="{fill}" stroke-width="2"{}/>"#,
            escape(&c.label()),
            coords.join(" "),
            dash(c)
        );
        for (px, py) in &pts {
            let _ = writeln!(
                svg,
                r#"<circle class="point" cx="{px:.1}" cy="{py:.1}" r="3" fill="{fill}"/>"#
            );
        }
        let best = c
            .most_efficient_mhz
            .and_then(|m| c.at(m))
            .and_then(|p| Some((p, value(p, watts)?)));
        if let (true, Some((p, v))) = (watts, best) {
            let (bx, by) = (x(p.clock_mhz), y(v));
            let _ = writeln!(
                svg,
                r#"<circle class="best" data-curve="{}" cx="{bx:.1}" cy="{by:.1}" r="7" fill="none" stroke="{fill}" stroke-width="2"/>"#,
                escape(&c.label())
            );
            let _ = writeln!(
                svg,
                r#"<text class="best-label" x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{fill}">{} MHz: {}</text>"#,
                bx,
                by - 11.0,
                mhz_text(p.clock_mhz),
                sig3(v)
            );
        }
    }
    svg.push_str("</svg>\n");
    (title, svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Engine, KernelId};

    fn sweep(watts: bool) -> Sweep {
        let curve = |mode: Mode, k: f64| {
            let points: Vec<SweepPoint> = [(600.0, 4.0), (1000.0, 5.0), (1500.0, 8.5)]
                .into_iter()
                .map(|(mhz, w)| SweepPoint {
                    clock_mhz: mhz,
                    mb_per_s: mhz / 100.0 * k,
                    watts: watts.then_some(w * k),
                    mb_per_s_per_w: watts.then_some(mhz / 100.0 / w),
                })
                .collect();
            SweepCurve {
                kernel: KernelId::Xz,
                engine: Engine::Builtin,
                mode,
                threads: k as usize,
                points,
                most_efficient_mhz: watts.then_some(1000.0),
            }
        };
        Sweep {
            board: "Pi <4>".to_string(),
            source: "sbcbench".to_string(),
            timestamp: "2026-12-04T10:00:00Z".to_string(),
            arch: "aarch64".to_string(),
            cluster: Some(1),
            core_name: "Cortex-A72".to_string(),
            cpus: "0-3".to_string(),
            idle_watts: Some(2.7),
            curves: vec![curve(Mode::Single, 1.0), curve(Mode::All, 4.0)],
            summary: String::new(),
        }
    }

    fn count(svg: &str, class: &str) -> usize {
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .count()
    }

    #[test]
    fn a_line_per_curve_with_its_best_step_ringed() {
        let s = sweep(true);
        assert_eq!(file_name(&s), "sweep-pi-4-1-cortex-a72.svg");
        let (title, svg) = render(&s, &KernelId::ALL);
        assert_eq!(
            title,
            "Pi <4>, Cortex-A72 (cpu 0-3): MB/s per W at each clock step"
        );
        assert_eq!(count(&svg, "curve"), 2);
        assert_eq!(count(&svg, "point"), 6);
        assert_eq!(count(&svg, "best"), 2);
        assert!(svg.contains("1000 MHz: 2.00"), "{svg}");
        assert!(svg.contains("MB/s per W (whole board)"));
    }

    #[test]
    fn without_watts_it_plots_mb_per_s_and_says_so() {
        let (title, svg) = render(&sweep(false), &KernelId::ALL);
        assert!(title.ends_with("MB/s at each clock step (no power figures, so no MB/s per W)"));
        assert_eq!(count(&svg, "curve"), 2);
        assert_eq!(count(&svg, "best"), 0);
        assert!(!svg.contains("MB/s per W (whole board)"));
    }
}
