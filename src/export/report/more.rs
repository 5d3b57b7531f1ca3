//! The tables after the article's: sbcbench's built-in kernels beside the
//! system tools, and the run-to-run spread of boards measured several
//! times. One per mode each, only where some board has the figures.

use super::{board_cell, figure, grouped, ratio, Section, Style};
use crate::compare::report::{Entry, Figures, Mode, Report};
use crate::export::sig3;
use crate::measure::{Engine, KernelId};

/// A per-mode table: the board, `extra` columns, then one column per
/// kernel, of the boards `has` keeps.
fn per_kernel(
    report: &Report,
    title: String,
    extra: &[&str],
    has: impl Fn(&Entry) -> bool,
    cells: impl Fn(&Entry) -> Vec<String>,
) -> Section {
    let kernels = &report.kernels;
    let mut headers = vec!["board".to_string()];
    headers.extend(extra.iter().map(|h| h.to_string()));
    headers.extend(kernels.iter().map(|k| k.name().to_string()));
    let mut numeric = vec![false];
    numeric.extend(extra.iter().map(|_| true));
    numeric.extend(kernels.iter().map(|_| true));
    let lines = grouped(report.entries.iter().filter(|e| has(e)), |e| {
        let mut row = vec![board_cell(e)];
        row.extend(cells(e));
        row
    });
    Section {
        title,
        headers,
        numeric,
        lines,
        empty: None,
    }
}

/// The built-in figure of a kernel where the run also measured the system
/// tool, shown or beside.
fn builtin_beside(e: &Entry, mode: Mode, kernel: KernelId) -> Option<&Figures> {
    e.mode(mode)
        .of_engine(kernel, Engine::Builtin)
        .filter(|f| f.builtin_vs_system.is_some())
}

/// `1210±5 MB/s (0.99x)`: the built-in MB/s and ÷ the system tool's.
fn builtin_cell(f: Option<&Figures>, style: Style) -> String {
    match f.and_then(|f| Some((f.mb_per_s?, f.builtin_vs_system?))) {
        Some((mb, factor)) => format!("{} MB/s {}", figure(&mb, style), ratio(&factor, "", style)),
        None => "-".to_string(),
    }
}

/// Per mode: sbcbench's built-in kernels beside the system tools of the
/// same run; only boards that measured both.
pub(super) fn builtin_sections(report: &Report, style: Style) -> Vec<Section> {
    let kernels = &report.kernels;
    let mut out = Vec::new();
    for &mode in &report.modes {
        let has = |e: &Entry| {
            kernels
                .iter()
                .any(|k| builtin_beside(e, mode, *k).is_some())
        };
        if !report.entries.iter().any(has) {
            continue;
        }
        out.push(per_kernel(
            report,
            format!(
                "Built-in kernels, {}: MB/s (× the system tool, same board and CPUs)",
                mode.label()
            ),
            &[],
            has,
            |e| {
                kernels
                    .iter()
                    .map(|k| builtin_cell(builtin_beside(e, mode, *k), style))
                    .collect()
            },
        ));
    }
    out
}

/// Per mode: boards measured several times, the range of their runs'
/// figures (the shown engine's).
pub(super) fn spread_sections(report: &Report) -> Vec<Section> {
    let kernels = &report.kernels;
    let mut out = Vec::new();
    for &mode in &report.modes {
        let has = |e: &Entry| {
            e.mode(mode)
                .kernels
                .values()
                .any(|f| f.run_spread.is_some())
        };
        if !report.entries.iter().any(has) {
            continue;
        }
        out.push(per_kernel(
            report,
            format!(
                "Run to run, {}: the slowest and fastest run of each board measured several \
                 times (spread)",
                mode.label()
            ),
            &["runs"],
            has,
            |e| {
                let figures = e.mode(mode);
                let runs = figures
                    .kernels
                    .values()
                    .filter_map(|f| f.run_spread)
                    .map(|s| s.runs)
                    .max()
                    .unwrap_or(0);
                let mut cells = vec![runs.to_string()];
                cells.extend(kernels.iter().map(
                    |k| match figures.get(*k).and_then(|f| f.run_spread) {
                        Some(s) => format!(
                            "{}–{} MB/s ({:.1} %)",
                            sig3(s.min_mb_per_s),
                            sig3(s.max_mb_per_s),
                            s.percent()
                        ),
                        None => "-".to_string(),
                    },
                ));
                cells
            },
        ));
    }
    out
}
