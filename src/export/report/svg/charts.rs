//! Which charts a report has and what their bars hold: the speedup of
//! each kernel per mode, and each kernel's efficiency. `plot.rs` draws.

use super::plot::{colour, Bar, Plot, Swatch};
use super::{Chart, Charts};
use crate::compare::report::{Entry, Figures, Mode, Report};
use crate::export::{ratio_figure, sig3};
use crate::measure::KernelId;

/// All-cores bars of the efficiency charts.
const ALL_CORES: &str = "#555555";

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

fn mode_file(mode: Mode) -> &'static str {
    match mode {
        Mode::Single => "1-core",
        Mode::All => "all-cores",
    }
}

/// The error bar of a figure shown as `shown` (MB/s, or MB/s scaled by a
/// constant such as ÷ the baseline or ÷ W): its samples' min–max, scaled
/// alike. Only sbcbench's own runs have samples.
fn sample_range(e: &Entry, f: &Figures, shown: f64) -> Option<(f64, f64)> {
    let mb = f.mb_per_s?.value;
    if e.other_implementation || mb <= 0.0 {
        return None;
    }
    let (lo, hi) = (f.mb_per_s_min?, f.mb_per_s_max?);
    Some((shown * lo / mb, shown * hi / mb))
}

/// What the chart's marks and highlights mean, for those it shows.
fn captions(rows: &[(&Entry, Vec<Bar>)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut sources: Vec<&str> = Vec::new();
    for (e, _) in rows.iter().filter(|(e, _)| e.other_implementation) {
        if !sources.contains(&e.source.as_str()) {
            sources.push(&e.source);
        }
    }
    if !sources.is_empty() {
        out.push(format!(
            "† not measured by sbcbench: figures from {} (other implementations)",
            sources.join(", ")
        ));
    }
    if rows.iter().any(|(e, _)| !e.other_implementation) {
        let bars = rows
            .iter()
            .any(|(_, bars)| bars.iter().any(|b| b.range.is_some()));
        out.push(format!(
            "bold: boards measured by sbcbench{}",
            if bars {
                "; the black line across a bar: its slowest to fastest sample"
            } else {
                ""
            }
        ));
    }
    out
}

/// The charts of `report`, and a note for each chart left out because no
/// board besides the baseline has its figure.
pub fn charts(report: &Report) -> Charts {
    let base = &report.baseline.board;
    let mut out = Charts::default();
    let mut add = |file_name: String, plot: Plot, what: &str| {
        if plot.has_figures() {
            out.charts.push(Chart {
                file_name,
                title: plot.title.clone(),
                svg: plot.render(),
            });
        } else {
            out.not_drawn.push(format!(
                "{file_name} not drawn: no board besides the baseline has {what}"
            ));
        }
    };
    let legend_kernels: Vec<Swatch> = report
        .kernels
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name().to_string(), colour(i), false))
        .collect();
    for &mode in &report.modes {
        let rows: Vec<(&Entry, Vec<Bar>)> = report
            .entries
            .iter()
            .map(|e| {
                let bars = report
                    .kernels
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let f = e.mode(mode).get(*k);
                        match f.and_then(|f| Some((f, f.speedup?))) {
                            Some((f, s)) => Bar {
                                value: Some(s.value),
                                range: sample_range(e, f, s.value),
                                fill: colour(i),
                                text: format!(
                                    "{}x{}{}",
                                    ratio_figure(s.value),
                                    if f.baseline_extrapolated { "*" } else { "" },
                                    unlike(Some(f))
                                ),
                                light: false,
                            },
                            None => Bar::missing(format!("no {} figure", mode.label()), colour(i)),
                        }
                    })
                    .collect();
                (e, bars)
            })
            .collect();
        let extrapolated = mode == Mode::All && report.baseline.all_cores_extrapolated;
        let plot = Plot {
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
            captions: captions(&rows),
            rows,
            log: true,
            reference: Some((1.0, format!("1× {base}"))),
            axis: "speedup (log scale)".to_string(),
        };
        add(
            format!("speedup-{}.svg", mode_file(mode)),
            plot,
            &format!("a {} speedup", mode.label()),
        );
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
        let rows: Vec<(&Entry, Vec<Bar>)> = report
            .entries
            .iter()
            .map(|e| {
                let bars = report
                    .modes
                    .iter()
                    .map(|&mode| efficiency_bar(e, mode, kernel, colour(i)))
                    .collect();
                (e, bars)
            })
            .collect();
        let plot = Plot {
            title: format!("{kernel}: MB/s per W, whole board"),
            subtitle: "higher is better; * the article's extrapolation: single-core MB/s × cores ÷ all-cores W".to_string(),
            legend,
            captions: captions(&rows),
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
        };
        add(
            format!("efficiency-{}.svg", kernel.name()),
            plot,
            "a power figure",
        );
    }
    // The sweeps' curves, one chart per board and core class.
    out.charts.extend(super::sweep::charts(report));
    out
}

/// A board's MB/s per W in one mode: measured, or (all cores) the
/// article's extrapolation, drawn lighter.
fn efficiency_bar(e: &Entry, mode: Mode, kernel: KernelId, single: &'static str) -> Bar {
    let f = e.mode(mode).get(kernel);
    let shown = match mode {
        Mode::Single => f.and_then(|f| f.mb_per_s_per_w).map(|v| (v, false)),
        Mode::All => f.and_then(|f| f.efficiency()),
    };
    let (Some(f), Some((v, ext))) = (f, shown) else {
        return Bar::missing("no power figure".to_string(), ALL_CORES);
    };
    Bar {
        value: Some(v.value),
        // An extrapolation has no samples of its own.
        range: if ext {
            None
        } else {
            sample_range(e, f, v.value)
        },
        text: format!(
            "{}{}{}",
            sig3(v.value),
            if ext { "*" } else { "" },
            unlike(Some(f))
        ),
        fill: if mode == Mode::All { ALL_CORES } else { single },
        light: mode == Mode::All && ext,
    }
}
