//! The report's output formats, one file each behind [`ReportExporter`],
//! and its charts (`svg/`). The terminal table, Markdown and HTML share
//! the tables built here ([`sections`]); CSV and JSON carry every figure
//! unrounded, with its standard deviation.
//! Sweeps follow the comparison's tables in the human formats (`sweep.rs`).

mod csv;
mod facts;
mod html;
mod json;
mod markdown;
mod more;
pub mod svg;
mod sweep;
pub use sweep::summary as sweep_summary;
mod table;

use crate::compare::report::{Entry, Family, Figures, Mode, Report};
use crate::compare::uncertainty::Value;
use crate::measure::{Engine, KernelId};
use crate::record::RunKind;

use super::{ratio_figure, sig3, Format};

/// `report --format`: the run's formats but LAVA, and one more, a
/// self-contained HTML page. A list of its own, so that `run --format`
/// does not offer a page (a run prints its table as it goes; the page is
/// of results), and `report --format lava` is a usage error (exit 2): LAVA
/// records the figures of the job's own run, not of files collected from
/// other boards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A table for people (default on a terminal).
    Table,
    Markdown,
    /// A row per board, mode and kernel.
    Csv,
    Json,
    /// One self-contained page: tables, charts inline, legend, boards, method.
    Html,
}

impl ReportFormat {
    /// The format asked for, or the run's default (a table on a terminal,
    /// Markdown otherwise).
    pub fn default_for_stdout(explicit: Option<ReportFormat>) -> ReportFormat {
        explicit.unwrap_or(match Format::default_for_stdout(None) {
            Format::Table => ReportFormat::Table,
            _ => ReportFormat::Markdown,
        })
    }
}

pub trait ReportExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String>;
}

pub fn exporter(format: ReportFormat) -> Box<dyn ReportExporter> {
    match format {
        ReportFormat::Table => Box::new(table::TableExporter),
        ReportFormat::Markdown => Box::new(markdown::MarkdownExporter),
        ReportFormat::Csv => Box::new(csv::CsvExporter),
        ReportFormat::Json => Box::new(json::JsonExporter),
        ReportFormat::Html => Box::new(html::HtmlExporter),
    }
}

/// The report in `format`.
pub fn render(report: &Report, format: impl Into<ReportFormat>) -> anyhow::Result<String> {
    exporter(format.into()).render(report)
}

/// A line of a human table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Line {
    /// A header row over the lines below it: an architecture family, or a
    /// sweep's kernel × threads.
    Group(String),
    /// A reference board (measured by others, `†`).
    Cells(Vec<String>),
    /// A board of the reader's, set apart (bold in Markdown and HTML).
    Mine(Vec<String>),
}

impl Line {
    /// The cells of a board's line.
    pub(crate) fn cells(&self) -> Option<&[String]> {
        match self {
            Line::Group(_) => None,
            Line::Cells(c) | Line::Mine(c) => Some(c),
        }
    }
}

/// The mark a footnote explains, as it appears in the cells it is about;
/// `None` for a line about the whole report.
pub(crate) fn mark_of(note: &str) -> Option<&'static str> {
    ["†", "‡", "§", "*", "≈", "±", "geomean"]
        .into_iter()
        .find(|m| note.starts_with(m))
}

/// The footnotes whose mark a table shows, to print with it.
pub(crate) fn notes_for<'a>(section: &Section, notes: &'a [String]) -> Vec<&'a String> {
    let mut text = section.title.clone();
    text.push_str(&section.headers.join(" "));
    for line in &section.lines {
        if let Some(cells) = line.cells() {
            text.push_str(&cells.join(" "));
        }
    }
    notes
        .iter()
        .filter(|n| mark_of(n).is_some_and(|m| text.contains(m)))
        .collect()
}

/// One table of the report, ready for a human format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    pub title: String,
    pub headers: Vec<String>,
    /// Columns holding numbers (right-aligned).
    pub numeric: Vec<bool>,
    pub lines: Vec<Line>,
    /// Shown instead of an empty table.
    pub empty: Option<String>,
}

/// How the human formats differ.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// Show ± one standard deviation after figures that have one.
    pub uncertainty: bool,
}

/// `number±dev` at the number's decimals, e.g. `97.5±1.2`, `2244±13`.
fn with_pm(shown: String, v: &Value, style: Style) -> String {
    match v.stddev {
        Some(s) if style.uncertainty && shown != "-" => {
            let decimals = shown.split('.').nth(1).map_or(0, str::len);
            format!("{shown}±{s:.decimals$}")
        }
        _ => shown,
    }
}

fn figure(v: &Value, style: Style) -> String {
    with_pm(sig3(v.value), v, style)
}

/// `0.66x`, `0.66±0.01x`, `2.10x*`, `0.36x‡`.
fn ratio_text(v: &Value, mark: &str, style: Style) -> String {
    format!("{}x{mark}", with_pm(ratio_figure(v.value), v, style))
}

/// `(0.66x)`, in a cell after the figure.
fn ratio(v: &Value, mark: &str, style: Style) -> String {
    format!("({})", ratio_text(v, mark, style))
}

/// A ratio's marks: `*` against an extrapolated baseline figure, `‡`
/// between different engines.
fn marks(star: bool, f: &Figures) -> String {
    let mut m = String::new();
    if star {
        m.push('*');
    }
    if f.like_for_like == Some(false) {
        m.push('‡');
    }
    m
}

/// `64.1 MB/s (0.66x)`: the article's cell.
fn throughput_cell(f: Option<&Figures>, baseline_row: bool, style: Style) -> String {
    let Some((f, mb)) = f.and_then(|f| Some((f, f.mb_per_s?))) else {
        return "-".to_string();
    };
    let mut cell = format!("{} MB/s{}", figure(&mb, style), kind_mark(f));
    if let (Some(s), false) = (f.speedup, baseline_row && !f.baseline_extrapolated) {
        cell.push(' ');
        cell.push_str(&ratio(&s, &marks(f.baseline_extrapolated, f), style));
    }
    cell
}

/// `§` after a figure of a quick or interrupted run.
fn kind_mark(f: &Figures) -> &'static str {
    if f.run_kind == RunKind::Full {
        ""
    } else {
        "§"
    }
}

/// `448 (0.72x)`.
fn cycles_cell(f: Option<&Figures>, baseline_row: bool, style: Style) -> String {
    let Some(f) = f else {
        return "-".to_string();
    };
    let Some(cpb) = f.cycles_per_byte else {
        return "-".to_string();
    };
    let mut cell = figure(&cpb, style);
    if let (Some(s), false) = (f.cycles_speedup, baseline_row && !f.baseline_extrapolated) {
        cell.push(' ');
        cell.push_str(&ratio(&s, &marks(f.baseline_extrapolated, f), style));
    }
    cell
}

/// `0.448 (1.00x)`, `1.42* (1.00x)` for the article's extrapolation.
fn efficiency_cell(f: Option<&Figures>, mode: Mode, baseline_row: bool, style: Style) -> String {
    let Some(f) = f else {
        return "-".to_string();
    };
    let shown = match mode {
        Mode::Single => f.mb_per_s_per_w.map(|v| (v, false)),
        Mode::All => f.efficiency(),
    };
    let Some((v, extrapolated)) = shown else {
        return "-".to_string();
    };
    // `≈`: the article's extrapolation, not a measurement.
    let mut cell = if extrapolated {
        format!("≈{}", figure(&v, style))
    } else {
        figure(&v, style)
    };
    if let (Some(s), false) = (f.efficiency_speedup, baseline_row) {
        // A measured figure against the baseline's extrapolated one.
        let star = f.efficiency_extrapolated && !extrapolated;
        cell.push(' ');
        cell.push_str(&ratio(&s, &marks(star, f), style));
    }
    cell
}

/// W to a tenth, as the article's `7.4`, `112.7`.
fn watts(w: Option<f64>) -> String {
    match w {
        Some(w) => format!("{w:.1} W"),
        None => "-".to_string(),
    }
}

fn board_cell(e: &Entry) -> String {
    let mut s = e.label.clone();
    if e.other_implementation {
        s.push_str(" †");
    }
    if e.is_baseline {
        s.push_str(" (baseline)");
    }
    s
}

/// The OS as the article wrote it: `Debian 12` for `Debian GNU/Linux 12
/// (bookworm)`, `Ubuntu 24.04.2` for `Ubuntu 24.04.2 LTS`.
fn short_os(os: &str) -> String {
    let mut s = os.replace(" GNU/Linux", "");
    if let Some(open) = s.find(" (") {
        if s.ends_with(')') {
            s.truncate(open);
        }
    }
    s.strip_suffix(" LTS").unwrap_or(&s).trim().to_string()
}

fn mode_title(mode: Mode) -> &'static str {
    match mode {
        Mode::Single => "1 core",
        Mode::All => "all cores",
    }
}

/// Entries grouped under their family's header, in report order.
fn grouped<'a>(
    entries: impl Iterator<Item = &'a Entry>,
    mut cells: impl FnMut(&Entry) -> Vec<String>,
) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut family: Option<Family> = None;
    for e in entries {
        if family != Some(e.family) {
            family = Some(e.family);
            lines.push(Line::Group(e.family.title().to_string()));
        }
        lines.push(if e.other_implementation {
            Line::Cells(cells(e))
        } else {
            Line::Mine(cells(e))
        });
    }
    lines
}

/// The four tables of the article (performance per mode, xz cycles per
/// byte, power, efficiency).
pub(crate) fn sections(report: &Report, style: Style) -> Vec<Section> {
    // Sweeps alone: six tables of the baseline against nobody say nothing.
    if !report.sweeps.is_empty() && report.entries.iter().all(|e| e.is_baseline) {
        return Vec::new();
    }
    let base = &report.baseline.board;
    let kernels = &report.kernels;
    let mut out = Vec::new();
    for &mode in &report.modes {
        let mut headers = vec!["board".to_string()];
        headers.extend(kernels.iter().map(|k| k.name().to_string()));
        let composite = kernels.len() > 1;
        if composite {
            headers.push("geomean".to_string());
        }
        let mut numeric = vec![false];
        numeric.extend(kernels.iter().map(|_| true));
        if composite {
            numeric.push(true);
        }
        let lines = grouped(report.with_throughput(mode), |e| {
            let figures = e.mode(mode);
            // The OS under the board's name, as the article printed it.
            // Line breaks from a results file are spaces: only this one
            // starts a line.
            let flat = |t: String| t.replace(|c: char| c.is_control(), " ");
            let board = match flat(short_os(&e.os)) {
                os if os.is_empty() => flat(board_cell(e)),
                os => format!("{}\n{os}", flat(board_cell(e))),
            };
            let mut cells = vec![board];
            for k in kernels {
                cells.push(throughput_cell(figures.get(*k), e.is_baseline, style));
            }
            if composite {
                let mark = kernels
                    .iter()
                    .any(|k| figures.get(*k).is_some_and(|f| f.baseline_extrapolated));
                cells.push(match &figures.composite_speedup {
                    Some(_) if e.is_baseline && !mark => "1.00x".to_string(),
                    Some(v) => ratio_text(v, if mark { "*" } else { "" }, style),
                    None => "-".to_string(),
                });
            }
            cells
        });
        out.push(Section {
            title: format!(
                "Performance, {}: MB/s (× {base})",
                mode.label()
            ),
            headers,
            numeric,
            lines,
            empty: Some(match mode {
                Mode::Single => "no single-core figures in these results".to_string(),
                Mode::All => "no all-cores figures in these results; `sbcbench run` measures them (--threads 1,all)".to_string(),
            }),
        });
    }

    if kernels.contains(&KernelId::Xz) {
        let modes: Vec<Mode> = report
            .modes
            .iter()
            .copied()
            .filter(|m| {
                report.entries.iter().any(|e| {
                    e.mode(*m)
                        .get(KernelId::Xz)
                        .is_some_and(|f| f.cycles_per_byte.is_some())
                })
            })
            .collect();
        let mut headers = vec!["board".to_string(), "clock (source)".to_string()];
        headers.extend(
            modes
                .iter()
                .map(|m| format!("xz cycles/B, {}", mode_title(*m))),
        );
        let mut numeric = vec![false, true];
        numeric.extend(modes.iter().map(|_| true));
        let shown = report.entries.iter().filter(|e| {
            modes.iter().any(|m| {
                e.mode(*m)
                    .get(KernelId::Xz)
                    .is_some_and(|f| f.cycles_per_byte.is_some())
            })
        });
        let lines = grouped(shown, |e| {
            let xz = e
                .single_core
                .get(KernelId::Xz)
                .or_else(|| e.all_cores.get(KernelId::Xz));
            let clock = match xz.and_then(|f| f.clock_mhz) {
                Some(mhz) => {
                    let source = xz.map(|f| f.clock_source.as_str()).unwrap_or("");
                    if source.is_empty() {
                        format!("{:.2} GHz", mhz / 1000.0)
                    } else {
                        format!("{:.2} GHz ({source})", mhz / 1000.0)
                    }
                }
                None => "-".to_string(),
            };
            let mut cells = vec![board_cell(e), clock];
            for m in &modes {
                cells.push(cycles_cell(
                    e.mode(*m).get(KernelId::Xz),
                    e.is_baseline,
                    style,
                ));
            }
            cells
        });
        out.push(Section {
            title: format!(
                "xz cycles per byte: clock ÷ MB/s, lower is better; the ratio is {base} ÷ board"
            ),
            headers,
            numeric,
            lines,
            empty: Some(
                "no clock known for any board; `sbcbench run --clock-mhz` gives one".to_string(),
            ),
        });
    }

    let headers: Vec<String> = [
        "board",
        "cores",
        "idle",
        "1 core",
        "half the cores",
        "all cores",
    ]
    .map(str::to_string)
    .to_vec();
    let lines = grouped(report.entries.iter().filter(|e| !e.power.is_empty()), |e| {
        vec![
            board_cell(e),
            if e.cores > 0 {
                e.cores.to_string()
            } else {
                "-".to_string()
            },
            watts(e.power.idle),
            watts(e.power.one_core),
            watts(e.power.half_cores),
            watts(e.power.all_cores),
        ]
    });
    out.push(Section {
        title: "Power, whole board: W".to_string(),
        headers,
        numeric: vec![false, true, true, true, true, true],
        lines,
        empty: Some(
            "no power figures; `sbcbench run --power ask` or `--power fixed:…` records them"
                .to_string(),
        ),
    });

    for &mode in &report.modes {
        let has_efficiency = |e: &Entry| {
            kernels.iter().any(|k| {
                e.mode(mode).get(*k).is_some_and(|f| match mode {
                    Mode::Single => f.mb_per_s_per_w.is_some(),
                    Mode::All => f.efficiency().is_some(),
                })
            })
        };
        let lines = grouped(report.entries.iter().filter(|e| has_efficiency(e)), |e| {
            let mut cells = vec![board_cell(e)];
            for k in kernels {
                cells.push(efficiency_cell(
                    e.mode(mode).get(*k),
                    mode,
                    e.is_baseline,
                    style,
                ));
            }
            cells
        });
        let mut headers = vec!["board".to_string()];
        headers.extend(kernels.iter().map(|k| k.name().to_string()));
        let mut numeric = vec![false];
        numeric.extend(kernels.iter().map(|_| true));
        out.push(Section {
            title: format!(
                "Efficiency, {}: MB/s per W{} (× {base})",
                mode.label(),
                if mode == Mode::All {
                    ", measured or ≈ the article's extrapolation"
                } else {
                    ""
                }
            ),
            headers,
            numeric,
            lines,
            empty: Some("no power figures, so no efficiency".to_string()),
        });
    }
    out.extend(more::builtin_sections(report, style));
    out.extend(more::spread_sections(report));
    // Numbered once each, in the order shown.
    for (i, section) in out.iter_mut().enumerate() {
        section.title = format!("{}. {}", i + 1, section.title);
    }
    out
}

/// What the marks mean, and the baseline.
pub(crate) fn footnotes(report: &Report, style: Style) -> Vec<String> {
    let mut lines = Vec::new();
    let b = &report.baseline;
    lines.push(format!(
        "Ratios are relative to {}{}: above 1 is better (for cycles/B: baseline ÷ board).",
        b.board,
        if b.built_in {
            " (the article's figures, built in)".to_string()
        } else if b.source == crate::record::reference::SBCBENCH_SOURCE {
            format!(" (sbcbench, {})", b.timestamp)
        } else {
            format!(" ({})", b.source)
        }
    ));
    let mut others: Vec<(String, Vec<String>)> = Vec::new();
    for e in report.entries.iter().filter(|e| e.other_implementation) {
        let mut impls: Vec<String> = Vec::new();
        for m in Mode::BOTH {
            for f in e.mode(m).kernels.values() {
                if !f.implementation.is_empty() && !impls.contains(&f.implementation) {
                    impls.push(f.implementation.clone());
                }
            }
        }
        match others.iter_mut().find(|(s, _)| *s == e.source) {
            Some((_, list)) => {
                for i in impls {
                    if !list.contains(&i) {
                        list.push(i);
                    }
                }
            }
            None => others.push((e.source.clone(), impls)),
        }
    }
    for (source, impls) in others {
        lines.push(format!(
            "† measured by {source} with {}, not by sbcbench.",
            if impls.is_empty() {
                "other tools".to_string()
            } else {
                impls.join(" / ")
            }
        ));
    }
    let any = |p: &dyn Fn(&Figures) -> bool| {
        report.entries.iter().any(|e| {
            report
                .modes
                .iter()
                .any(|m| e.mode(*m).kernels.values().any(p))
        })
    };
    if report.entries.iter().any(|e| {
        !e.other_implementation
            && report.modes.iter().any(|m| {
                e.mode(*m)
                    .kernels
                    .values()
                    .any(|f| f.engine == Engine::System)
            })
    }) {
        lines.push(
            "sbcbench's boards show their own openssl / xz-utils where the run measured them, \
             as the article did; the built-in kernels' tables put sbcbench's own kernels beside them."
                .to_string(),
        );
    }
    if any(&|f: &Figures| f.run_kind != RunKind::Full && f.mb_per_s.is_some()) {
        lines.push(
            "§ from a quick or interrupted run: the board has no full run with this figure \
             (`sbcbench run` without --quick measures one)."
                .to_string(),
        );
    }
    if any(&|f: &Figures| f.like_for_like == Some(false)) {
        lines.push(
            "‡ not like for like: the board's figure and the baseline's come from different \
             engines (sbcbench's built-in kernels vs openssl / xz-utils); \
             `sbcbench run --system-tools require` measures both."
                .to_string(),
        );
    }
    if report.kernels.len() > 1
        && report
            .modes
            .iter()
            .any(|m| report.entries.iter().any(|e| e.mode(*m).has_throughput()))
    {
        lines.push(
            "geomean: of like-for-like ratios only, where every kernel has one (none with ‡)."
                .to_string(),
        );
    }
    if report.modes.contains(&Mode::All)
        && any(&|f: &Figures| {
            (f.baseline_extrapolated && f.speedup.is_some())
                || (f.efficiency_extrapolated && f.mb_per_s_per_w.is_some())
        })
    {
        lines.push(format!(
            "* against an extrapolated figure: {} has no all-cores measurement, so its single-core \
             figure × its {} cores stands in (for MB/s per W, ÷ its all-cores W, as the article).",
            b.board, b.cores
        ));
    }
    if report.modes.contains(&Mode::All)
        && any(&|f: &Figures| f.mb_per_s.is_none() && f.mb_per_s_per_w_extrapolated.is_some())
    {
        lines.push(
            "≈ MB/s per W, all cores: the article's extrapolation, single-core MB/s × cores ÷ \
             all-cores W."
                .to_string(),
        );
    }
    if style.uncertainty && any(&|f: &Figures| f.mb_per_s.and_then(|v| v.stddev).is_some()) {
        lines.push(
            "± repeatability: one standard deviation of one run's back-to-back samples, carried into \
             ratios (none for single measurements); not how far another run or board would differ \
             (the run-to-run tables show that spread where a board ran several times)."
                .to_string(),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_uncertainty() {
        let style = Style { uncertainty: true };
        assert_eq!(figure(&Value::new(97.5, Some(1.23)), style), "97.5±1.2");
        assert_eq!(figure(&Value::new(2244.0, Some(12.6)), style), "2244±13");
        assert_eq!(figure(&Value::bare(0.928), style), "0.928");
        assert_eq!(
            ratio(&Value::new(0.6574, Some(0.0123)), "", style),
            "(0.66±0.01x)"
        );
        let plain = Style { uncertainty: false };
        assert_eq!(figure(&Value::new(97.5, Some(1.23)), plain), "97.5");
        assert_eq!(ratio(&Value::bare(2.1), "*", plain), "(2.10x*)");
    }

    #[test]
    fn the_os_as_the_article_wrote_it() {
        assert_eq!(short_os("Debian GNU/Linux 12 (bookworm)"), "Debian 12");
        assert_eq!(short_os("Ubuntu 24.04.2 LTS"), "Ubuntu 24.04.2");
        assert_eq!(short_os("Armbian 22.02.1"), "Armbian 22.02.1");
    }

    #[test]
    fn watts_as_the_article() {
        assert_eq!(watts(Some(7.4)), "7.4 W");
        assert_eq!(watts(Some(12.0)), "12.0 W");
        assert_eq!(watts(Some(112.7)), "112.7 W");
        assert_eq!(watts(None), "-");
    }
}
