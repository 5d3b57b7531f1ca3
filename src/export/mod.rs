//! Export: one renderer per output format, behind one small trait.
mod csv;
pub mod fleet;
mod format;
mod json;
mod lava;
mod markdown;
pub mod progress;
pub mod report;
mod run_table;
pub mod safe;
pub(crate) mod table;
pub mod width;

use std::path::PathBuf;

use serde::Serialize;

use crate::measure::{Engine, KernelId, ThreadMode};
use crate::observe::SystemFacts;
use crate::record::{ResultRow, WattsSource};
use crate::warnings::Warning;
pub use format::Format;

/// Everything a run produced, as the exporters see it.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub system: SystemFacts,
    pub baseline: String,
    pub rows: Vec<ResultRow>,
    /// Per row, every timed sample in MB/s.
    pub samples_mb_per_s: Vec<Vec<f64>>,
    #[serde(serialize_with = "display_all")]
    pub warnings: Vec<Warning>,
    pub saved_to: Option<PathBuf>,
    /// A `--quick` smoke test: its warnings leave out noise.
    #[serde(skip)]
    pub quick: bool,
    /// The planned measurements without a row, for the formats that say
    /// pass or fail per measurement (LAVA); the others show what was.
    #[serde(skip)]
    pub unmeasured: Vec<Unmeasured>,
}

/// A planned measurement that has no row, named as a row would be.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmeasured {
    pub kernel: KernelId,
    pub engine: Engine,
    pub thread_mode: ThreadMode,
    pub cluster: Option<usize>,
    /// The class's core name, empty where several classes ran.
    pub core_name: String,
    pub why: NotMeasured,
}

/// Why a planned measurement has no row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotMeasured {
    /// Its kernel computed a wrong result (known answers or the output
    /// check during the run): the self-test failed.
    WrongOutput,
    /// Its kernel failed otherwise (the board's tool crashed, say).
    Failed,
    /// Never started: its kernel failed earlier, or the run was stopped.
    NotReached,
}

fn display_all<S: serde::Serializer>(w: &[Warning], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(w.iter().map(|w| w.to_string()))
}

pub trait Exporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String>;
}

pub fn exporter(format: Format) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(table::TableExporter),
        Format::Markdown => Box::new(markdown::MarkdownExporter),
        Format::Csv => Box::new(csv::CsvExporter),
        Format::Json => Box::new(json::JsonExporter),
        Format::Lava => Box::new(lava::LavaExporter),
    }
}

/// Three significant figures, as the article prints them (`97.5`,
/// `0.928`, `0.0541`), whole numbers from 1000 up (`1875`).
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if magnitude >= 2 {
        return format!("{:.0}", x);
    }
    let decimals = (2 - magnitude) as usize;
    let s = format!("{:.*}", decimals, x);
    // Rounding can carry into a new digit (9.996 → 10.00): redo it.
    let rounded: f64 = s.parse().unwrap_or(x);
    if rounded.abs().log10().floor() as i32 != magnitude {
        return sig3(rounded);
    }
    s
}

/// `1.46x`, as the article's speedups: three significant figures from 1
/// up (`1.46x`, `13.3x`, `58.5x`), two below 1 (`0.66x`, `0.20x`).
pub fn speedup(x: f64) -> String {
    format!("{}x", ratio_figure(x))
}

/// The number of [`speedup`], without the `x`.
pub fn ratio_figure(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    if x == 0.0 || x.abs() >= 1.0 {
        return sig3(x);
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (1 - magnitude) as usize;
    let s = format!("{:.*}", decimals, x);
    // Rounding can carry into a new digit (0.996 → 1.0): redo it.
    let rounded: f64 = s.parse().unwrap_or(x);
    if rounded.abs() >= 1.0 || rounded.abs().log10().floor() as i32 != magnitude {
        return ratio_figure(rounded);
    }
    s
}

pub(crate) fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "-".to_string())
}

/// The kernel column for people: `sha1`, or `sha1 (openssl)` for the
/// board's own tool.
pub(crate) fn kernel_label(row: &ResultRow) -> String {
    match row.engine {
        Engine::Builtin => row.kernel.to_string(),
        Engine::System => {
            let tool = row
                .implementation
                .split_whitespace()
                .next()
                .unwrap_or("system");
            format!("{} ({tool})", row.kernel)
        }
    }
}

/// The rows' thread column for people: `1 (cpu 4, Cortex-A72)`, `all (6)`;
/// the core's name only where the board has several core classes.
pub(crate) fn threads_label(row: &ResultRow, with_core: bool) -> String {
    if row.threads == 1 {
        if !with_core || row.core_name.is_empty() || row.core_name == "unknown" {
            format!("1 (cpu {})", row.cpus)
        } else {
            format!("1 (cpu {}, {})", row.cpus, row.core_name)
        }
    } else {
        format!("{} ({})", row.thread_mode, row.threads)
    }
}

/// The common columns of the human formats (table and Markdown).
pub(crate) const HEADERS: [&str; 9] = [
    "kernel",
    "threads",
    "MB/s",
    "MB/s min–max (CV)",
    "×VF2",
    "cycles/B",
    "×VF2 (cyc)",
    "clock MHz (source)",
    "min MHz / max °C",
];

/// The ratio columns' name: `×VF2`, or `×Pi 4B` against a Raspberry Pi
/// 4B, so that a table says what it was compared with.
pub(crate) fn ratio_header(baseline: &str) -> String {
    format!("×{}", crate::compare::board_name::short(baseline))
}

/// [`HEADERS`] with the ratio columns named after the baseline.
pub(crate) fn headers(baseline: &str) -> Vec<String> {
    HEADERS
        .iter()
        .map(|h| h.replace("×VF2", &ratio_header(baseline)))
        .collect()
}

/// The cells of one row under [`HEADERS`]; `with_core` names the core of
/// single-core rows (boards with several core classes).
pub(crate) fn human_cells(row: &ResultRow, with_core: bool) -> [String; 9] {
    let mut mark = String::new();
    if row.baseline_extrapolated == Some(true) {
        mark.push('*');
    }
    if row.like_for_like == Some(false) {
        mark.push('‡');
    }
    let clock = match row.clock_mhz {
        Some(c) => format!("{c:.0} ({})", row.clock_source),
        None => "-".to_string(),
    };
    // The measured clock is for the curious (--verbose); a gap from the
    // nominal one is a warning anyway.
    let clock = match (row.clock_measured_mhz, crate::term::verbose()) {
        (Some(m), true) => format!("{clock}, measured {m:.0}"),
        _ => clock,
    };

    let thermal = format!(
        "{} / {}{}",
        opt(row.freq_min_mhz, |f| format!("{f:.0}")),
        opt(row.temp_max_c, |t| format!("{t:.0}")),
        if row.throttled == Some(true) {
            " throttled"
        } else {
            ""
        }
    );
    [
        kernel_label(row),
        threads_label(row, with_core),
        sig3(row.mb_per_s),
        format!(
            "{}–{} ({:.1} %{})",
            sig3(row.mb_per_s_min),
            sig3(row.mb_per_s_max),
            row.cv_percent,
            // Noisy: the warning under the table says what to do.
            if row.cv_percent > crate::warnings::CV_LIMIT_PERCENT {
                " !"
            } else {
                ""
            }
        ),
        opt(row.speedup, |s| format!("{}{mark}", speedup(s))),
        opt(row.cycles_per_byte, sig3),
        opt(row.cycles_speedup, |s| format!("{}{mark}", speedup(s))),
        clock,
        thermal,
    ]
}

/// The power block of the human formats: W per phase and MB/s/W per
/// kernel (× the baseline's), plus the article's extrapolated all-cores
/// figure. `None` when no row has a power figure.
pub(crate) fn power_block(report: &RunReport) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    use crate::power::attribute::{phase_of, profile};
    use crate::power::Phase;
    let rows = &report.rows;
    if rows
        .iter()
        .all(|r| r.watts.is_none() && profile(r).is_empty())
    {
        return None;
    }
    let mut kernels: Vec<KernelId> = Vec::new();
    for r in rows {
        if !kernels.contains(&r.kernel) {
            kernels.push(r.kernel);
        }
    }
    let mut headers = vec!["phase".to_string(), "W".to_string()];
    let ratio = ratio_header(&report.baseline);
    headers.extend(kernels.iter().map(|k| format!("{k} MB/s/W ({ratio})")));
    // The ratio carries the marks of the performance cells: `*` against
    // an extrapolated baseline figure, `‡` across engines.
    let cell = |row: Option<&&ResultRow>| {
        let Some(r) = row else {
            return "-".to_string();
        };
        match (r.mb_per_s_per_w, r.efficiency_speedup) {
            (Some(v), Some(ratio)) => {
                let mut marks = String::new();
                if r.efficiency_extrapolated == Some(true) {
                    marks.push('*');
                }
                if r.like_for_like == Some(false) {
                    marks.push('‡');
                }
                format!("{} ({}{marks})", sig3(v), speedup(ratio))
            }
            (Some(v), None) => sig3(v),
            _ => "-".to_string(),
        }
    };
    let mut table = Vec::new();
    for phase in Phase::ALL {
        let in_phase: Vec<&ResultRow> =
            rows.iter().filter(|r| phase_of(r) == Some(phase)).collect();
        let watts = rows
            .iter()
            .find_map(|r| profile(r).get(phase))
            .or_else(|| in_phase.iter().find_map(|r| r.watts));
        if watts.is_none() && in_phase.iter().all(|r| r.watts.is_none()) {
            continue;
        }
        let mut line = vec![phase.to_string(), opt(watts, sig3)];
        for k in &kernels {
            // On big.LITTLE the fastest cluster is the board's single-core figure.
            let best = in_phase
                .iter()
                .filter(|r| r.kernel == *k && r.mb_per_s_per_w.is_some())
                .max_by(|a, b| a.mb_per_s.total_cmp(&b.mb_per_s));
            line.push(cell(best));
        }
        table.push(line);
        if phase == Phase::All
            && in_phase
                .iter()
                .any(|r| r.mb_per_s_per_w_extrapolated.is_some())
        {
            let mut ext = vec!["all, extrapolated".to_string(), opt(watts, sig3)];
            for k in &kernels {
                let v = in_phase
                    .iter()
                    .find(|r| r.kernel == *k)
                    .and_then(|r| r.mb_per_s_per_w_extrapolated);
                ext.push(opt(v, sig3));
            }
            table.push(ext);
        }
    }
    Some((headers, table))
}

/// Lines under a human table: what the ratios mean, and the warnings.
pub(crate) fn footer(report: &RunReport) -> Vec<String> {
    let mut lines = vec![format!(
        "{} on {} ({}, {}); {} = relative to {}, higher is better.",
        report.system.board,
        report.system.cpu_model,
        report.system.arch,
        report.system.os,
        ratio_header(&report.baseline),
        report.baseline
    )];
    if let Some(source) = report
        .rows
        .iter()
        .map(|r| &r.watts_source)
        .find(|s| **s != WattsSource::None)
    {
        lines.push(format!(
            "power: whole board ({source}); 'all, extrapolated' = single-core MB/s × {} cores ÷ all-cores W, as the article computed it",
            report.system.physical_cores
        ));
    }
    if report
        .rows
        .iter()
        .any(|r| r.baseline_extrapolated == Some(true) || r.efficiency_extrapolated == Some(true))
    {
        lines.push("* baseline extrapolated from its single-core figure × threads".to_string());
    }
    if report.rows.iter().any(|r| r.like_for_like == Some(false)) {
        lines.push(
            "‡ not like for like: this row's engine against the baseline's other one (the \
             article measured openssl and xz-utils); quote the system rows' ratios"
                .to_string(),
        );
    }
    if let Some(n) = report.rows.iter().map(|r| r.samples).min() {
        lines.push(repeatability_legend(n));
    }
    lines
}

/// What is said about the run rather than its figures: where it was
/// saved, and its warnings grouped by cause. Under the terminal table; on
/// stderr for every other format, so that stdout pastes as is.
pub fn notices(report: &RunReport) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(p) = &report.saved_to {
        lines.push(format!("saved: {}", p.display()));
    }
    lines.extend(
        crate::warnings::summary(&report.warnings, report.quick)
            .into_iter()
            .map(|w| format!("warning: {w}")),
    );
    lines
}

/// What min–max and CV say: the repeatability of back-to-back samples
/// in this run, not the uncertainty of a comparison with another run or
/// board. With `n` samples, the range holds the median of the sampled
/// distribution with probability 1 − 2^(1−n) (94 % for 5).
pub(crate) fn repeatability_legend(n: usize) -> String {
    let mut line = "min–max: the range of this run's samples".to_string();
    if n >= 2 {
        let coverage = 100.0 * (1.0 - 0.5f64.powi(n as i32 - 1));
        line.push_str(&format!(
            " (with {n} samples, a {coverage:.0} % interval for the median)"
        ));
    }
    line.push_str(
        "; CV: their spread. Both are repeatability within one run, not the \
         uncertainty of a comparison with another run or board.",
    );
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_gives_the_coverage_of_the_samples_range() {
        assert!(repeatability_legend(5).contains("a 94 % interval"));
        assert!(repeatability_legend(3).contains("a 75 % interval"));
        assert!(!repeatability_legend(1).contains("interval"));
    }

    #[test]
    fn three_significant_figures_like_the_article() {
        for (x, s) in [
            (97.5, "97.5"),
            (4.66, "4.66"),
            (0.928, "0.928"),
            (0.05414, "0.0541"),
            (1875.0, "1875"),
            (321.888, "322"),
            (9.996, "10.0"),
            (0.44807, "0.448"),
            (1.4198, "1.42"),
        ] {
            assert_eq!(sig3(x), s, "{x}");
        }
        assert_eq!(speedup(6.82 / 4.66), "1.46x");
        for (x, s) in [
            (64.1 / 97.5, "0.66x"),
            (0.928 / 4.66, "0.20x"),
            (0.0996, "0.10x"),
            (0.996, "1.00x"),
            (0.00512, "0.0051x"),
            (2611.0 / 50.8, "51.4x"),
            (979.0 / 97.5, "10.0x"),
            (123.4, "123x"),
        ] {
            assert_eq!(speedup(x), s, "{x}");
        }
    }
}
