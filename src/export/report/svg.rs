//! SVG charts of a report, drawn by hand (plain horizontal bars, no
//! scripts, no external fonts):
//!
//! - `speedup-1-core.svg`, `speedup-all-cores.svg`: the speedup of each
//!   kernel per board on a log scale, with the 1× line of the baseline;
//! - `efficiency-<kernel>.svg`: MB/s per W per board, single core and all
//!   cores (the article's extrapolation drawn lighter and marked `*`).
//!
//! Every board of the report appears in every chart, grouped by
//! architecture family; a board without the figure says so.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::compare::report::{Entry, Family, Figures, Mode, Report};
use crate::export::{ratio_figure, sig3};
use crate::measure::KernelId;

/// One chart: its file name in `--plot DIR` and its SVG text.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file_name: String,
    pub svg: String,
}

const WIDTH: f64 = 960.0;
const LEFT: f64 = 300.0;
const RIGHT: f64 = 110.0;
const TOP: f64 = 78.0;
const BAR: f64 = 11.0;
const GAP: f64 = 9.0;
const GROUP: f64 = 24.0;
const BOTTOM: f64 = 56.0;

/// All-cores bars of the efficiency charts.
const ALL_CORES: &str = "#555555";

/// Kernel colours (colour-blind safe, Okabe–Ito).
fn colour(i: usize) -> &'static str {
    ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9"][i % 5]
}

/// Text safe inside SVG.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `‡` after a figure whose ratio is between different engines.
fn unlike(f: Option<&Figures>) -> &'static str {
    if f.is_some_and(|f| f.like_for_like == Some(false)) {
        "‡"
    } else {
        ""
    }
}

fn any_unlike(report: &Report, mode: Mode) -> bool {
    report.entries.iter().any(|e| {
        e.mode(mode)
            .kernels
            .values()
            .any(|f| unlike(Some(f)) == "‡")
    })
}

fn label(e: &Entry) -> String {
    let mut s = e.label.clone();
    if e.other_implementation {
        s.push_str(" †");
    }
    if e.is_baseline {
        s.push_str(" (baseline)");
    }
    s
}

/// One bar of a board: its value (if any), its text, colour, lighter or not.
struct Bar {
    value: Option<f64>,
    text: String,
    fill: &'static str,
    light: bool,
}

/// A bar chart with rows of bars grouped by family.
struct Plot<'a> {
    title: String,
    subtitle: String,
    legend: Vec<(String, &'static str, bool)>,
    rows: Vec<(&'a Entry, Vec<Bar>)>,
    log: bool,
    /// Vertical reference line at this value, with its label.
    reference: Option<(f64, String)>,
    axis: String,
}

impl Plot<'_> {
    fn scale(&self) -> (f64, f64) {
        let values = self
            .rows
            .iter()
            .flat_map(|(_, bars)| bars.iter().filter_map(|b| b.value))
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

    fn render(&self) -> String {
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
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 8.0,
                y + h / 2.0 + 4.0,
                escape(&label(e))
            );
            if bars.iter().all(|b| b.value.is_none()) {
                let _ = writeln!(
                    body,
                    r##"<text x="{:.1}" y="{:.1}" fill="#777">{}</text>"##,
                    LEFT + 6.0,
                    y + h / 2.0 + 4.0,
                    escape(&bars.first().map(|b| b.text.clone()).unwrap_or_default())
                );
            } else {
                for (i, bar) in bars.iter().enumerate() {
                    let top = y + i as f64 * BAR;
                    let Some(v) = bar.value else {
                        continue;
                    };
                    let end = x(v);
                    let (fill, opacity) = (bar.fill, bar.light);
                    let _ = writeln!(
                        body,
                        r#"<rect x="{LEFT:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"{}/>"#,
                        top + 1.0,
                        (end - LEFT).max(1.0),
                        BAR - 2.0,
                        if opacity {
                            r#" fill-opacity="0.45""#
                        } else {
                            ""
                        }
                    );
                    let _ = writeln!(
                        body,
                        r#"<text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
                        end + 4.0,
                        top + BAR - 2.0,
                        escape(&bar.text)
                    );
                }
            }
            y += h + GAP;
        }
        let plot_bottom = y;
        let height = plot_bottom + BOTTOM;

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
        for (name, fill, light) in &self.legend {
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
                r#"<text x="{:.1}" y="59">{}</text>"#,
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
        svg.push_str(&body);
        if let Some((v, text)) = &self.reference {
            let rx = x(*v);
            let _ = writeln!(
                svg,
                r##"<line x1="{rx:.1}" y1="{:.1}" x2="{rx:.1}" y2="{plot_bottom:.1}" stroke="#c00" stroke-width="1.5" stroke-dasharray="5 3"/>"##,
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

/// 1, 2, 2.5 or 5 × 10^n, at or above `v`.
fn nice_step(v: f64) -> f64 {
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
fn tick_label(t: f64, log: bool) -> String {
    let mut s = if t == 0.0 { "0".to_string() } else { sig3(t) };
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if log {
        s.push('×');
    }
    s
}

fn mode_file(mode: Mode) -> &'static str {
    match mode {
        Mode::Single => "1-core",
        Mode::All => "all-cores",
    }
}

/// The charts of `report`.
pub fn charts(report: &Report) -> Vec<Chart> {
    let base = &report.baseline.board;
    let mut out = Vec::new();
    let legend_kernels: Vec<(String, &'static str, bool)> = report
        .kernels
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name().to_string(), colour(i), false))
        .collect();
    for &mode in &report.modes {
        if !report.entries.iter().any(|e| e.mode(mode).has_throughput()) {
            continue;
        }
        let rows = report
            .entries
            .iter()
            .map(|e| {
                let bars = report
                    .kernels
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let f = e.mode(mode).get(*k);
                        match f.and_then(|f| f.speedup) {
                            Some(s) => Bar {
                                value: Some(s.value),
                                fill: colour(i),
                                text: format!(
                                    "{}x{}{}",
                                    ratio_figure(s.value),
                                    if f.is_some_and(|f| f.baseline_extrapolated) {
                                        "*"
                                    } else {
                                        ""
                                    },
                                    unlike(f)
                                ),
                                light: false,
                            },
                            None => Bar {
                                value: None,
                                text: format!("no {} figure", mode.label()),
                                fill: colour(i),
                                light: false,
                            },
                        }
                    })
                    .collect();
                (e, bars)
            })
            .collect();
        let extrapolated = mode == Mode::All && report.baseline.all_cores_extrapolated;
        out.push(Chart {
            file_name: format!("speedup-{}.svg", mode_file(mode)),
            svg: Plot {
                title: format!("Speedup over {base}, {}", mode.label()),
                subtitle: format!(
                    "MB/s ÷ {base}'s; above 1× is faster; log scale{}{}",
                    if extrapolated {
                        format!("; * {base}'s single core × {} cores", report.baseline.cores)
                    } else {
                        String::new()
                    },
                    if any_unlike(report, mode) {
                        "; ‡ built-in kernel vs openssl / xz-utils"
                    } else {
                        ""
                    }
                ),
                legend: legend_kernels.clone(),
                rows,
                log: true,
                reference: Some((1.0, format!("1× {base}"))),
                axis: "speedup (log scale)".to_string(),
            }
            .render(),
        });
    }
    for (i, &kernel) in report.kernels.iter().enumerate() {
        let mut legend = Vec::new();
        for &mode in &report.modes {
            match mode {
                Mode::Single => legend.push(("1 core".to_string(), colour(i), false)),
                Mode::All => {
                    legend.push(("all cores, measured".to_string(), ALL_CORES, false));
                    legend.push(("all cores, * extrapolated".to_string(), ALL_CORES, true));
                }
            }
        }
        if legend.is_empty() {
            continue;
        }
        let rows = report
            .entries
            .iter()
            .map(|e| {
                let bars = report
                    .modes
                    .iter()
                    .map(|&mode| {
                        let f = e.mode(mode).get(kernel);
                        let shown = match mode {
                            Mode::Single => f.and_then(|f| f.mb_per_s_per_w).map(|v| (v, false)),
                            Mode::All => f.and_then(|f| f.efficiency()),
                        };
                        match shown {
                            Some((v, ext)) => Bar {
                                value: Some(v.value),
                                text: format!(
                                    "{}{}{}",
                                    sig3(v.value),
                                    if ext { "*" } else { "" },
                                    unlike(f)
                                ),
                                fill: if mode == Mode::All {
                                    ALL_CORES
                                } else {
                                    colour(i)
                                },
                                light: mode == Mode::All && ext,
                            },
                            None => Bar {
                                value: None,
                                text: "no power figure".to_string(),
                                fill: ALL_CORES,
                                light: false,
                            },
                        }
                    })
                    .collect();
                (e, bars)
            })
            .collect();
        out.push(Chart {
            file_name: format!("efficiency-{}.svg", kernel.name()),
            svg: Plot {
                title: format!("{kernel}: MB/s per W, whole board"),
                subtitle: "higher is better; * the article's extrapolation: single-core MB/s × cores ÷ all-cores W".to_string(),
                legend,
                rows,
                log: false,
                reference: report
                    .entries
                    .iter()
                    .find(|e| e.is_baseline)
                    .and_then(|e| e.single_core.get(kernel))
                    .and_then(|f| f.mb_per_s_per_w)
                    .map(|v| (v.value, format!("{base}, 1 core"))),
                axis: format!("{} MB/s per W", KernelId::name(kernel)),
            }
            .render(),
        });
    }
    out
}

/// Why [`write_charts`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// `dir` cannot be created, or no file can be made in it.
    #[error("{}: cannot write there ({reason})", dir.display())]
    Unwritable {
        dir: PathBuf,
        reason: std::io::Error,
    },
    /// Writing one chart, or renaming it into place, failed.
    #[error("writing {}", path.display())]
    Chart {
        path: PathBuf,
        #[source]
        reason: std::io::Error,
    },
    /// `stop` was set: the `written` charts in `dir` are whole, no other
    /// was begun.
    #[error("interrupted after {written} chart(s) in {}", dir.display())]
    Interrupted { dir: PathBuf, written: usize },
}

/// Writes every chart into `dir` (created if needed), each atomically:
/// a temporary file in `dir`, synced, then renamed over the final name.
/// `stop` is checked before each chart.
pub fn write_charts(
    report: &Report,
    dir: &Path,
    stop: &AtomicBool,
) -> Result<Vec<PathBuf>, WriteError> {
    let unwritable = |reason: std::io::Error| WriteError::Unwritable {
        dir: dir.to_path_buf(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let mut written = Vec::new();
    for chart in charts(report) {
        // Ctrl-C or SIGTERM: the charts written so far are whole, the
        // next is not begun, and no temporary file is left.
        if stop.load(Ordering::SeqCst) {
            return Err(WriteError::Interrupted {
                dir: dir.to_path_buf(),
                written: written.len(),
            });
        }
        let path = dir.join(&chart.file_name);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".sbcbench-").suffix(".svg.tmp");
        // Readable as any file the user writes (the umask applies), not
        // the private mode of temporary files.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(dir).map_err(unwritable)?;
        let chart_failed = |reason: std::io::Error| WriteError::Chart {
            path: path.clone(),
            reason,
        };
        tmp.write_all(chart.svg.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(chart_failed)?;
        tmp.persist(&path).map_err(|e| chart_failed(e.error))?;
        written.push(path);
    }
    Ok(written)
}
