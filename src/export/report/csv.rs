//! The report as one tidy CSV: a row per board (run) × mode × kernel ×
//! engine (the shown figure first, `shown` = true), and
//! a `geomean` row per board × mode for the composite speedup. Figures are
//! unrounded, each followed by its standard deviation (empty when
//! unknown). The header is derived from [`ReportCsvRow`].
//!
//! Sweep points follow, a row each, with `clock_source` = `sweep`; only
//! then does the header gain the `sweep_*` columns, so that a report
//! without sweeps is as it was.

use serde::Serialize;

use super::ReportExporter;
use crate::compare::report::{Entry, Family, Figures, Mode, Report, Sweep};
use crate::compare::uncertainty::Value;
use crate::record::reference::SBCBENCH_SOURCE;

pub struct CsvExporter;

/// One line of the report's CSV; `docs/report.md` describes the columns.
#[derive(Debug, Default, Serialize)]
pub struct ReportCsvRow<'a> {
    pub board: &'a str,
    pub label: &'a str,
    pub source: &'a str,
    pub other_implementation: bool,
    pub is_baseline: bool,
    pub baseline: &'a str,
    pub timestamp: &'a str,
    pub family: &'static str,
    pub arch: &'a str,
    pub os: &'a str,
    pub cores: Option<usize>,
    /// `1` or `all`.
    pub mode: &'static str,
    /// A kernel, or `geomean` for the composite speedup.
    pub kernel: &'static str,
    /// `system` or `builtin`; empty on `geomean` rows.
    pub engine: String,
    /// The figure the tables show (the other engine's is beside it).
    pub shown: bool,
    /// `full`, `quick` or `interrupted`: the kind of run the figure is
    /// from, and when that run started.
    pub run_kind: String,
    pub run_timestamp: &'a str,
    pub implementation: &'a str,
    pub threads: Option<usize>,
    pub samples: Option<usize>,
    pub mb_per_s: Option<f64>,
    pub mb_per_s_stddev: Option<f64>,
    pub speedup: Option<f64>,
    pub speedup_stddev: Option<f64>,
    pub baseline_extrapolated: bool,
    pub clock_mhz: Option<f64>,
    pub clock_source: &'a str,
    pub cycles_per_byte: Option<f64>,
    pub cycles_per_byte_stddev: Option<f64>,
    pub cycles_speedup: Option<f64>,
    pub cycles_speedup_stddev: Option<f64>,
    pub watts: Option<f64>,
    pub mb_per_s_per_w: Option<f64>,
    pub mb_per_s_per_w_stddev: Option<f64>,
    pub mb_per_s_per_w_extrapolated: Option<f64>,
    pub mb_per_s_per_w_extrapolated_stddev: Option<f64>,
    pub efficiency_speedup: Option<f64>,
    pub efficiency_speedup_stddev: Option<f64>,
    pub efficiency_extrapolated: bool,
    /// The ratios compare the same engine; empty without a ratio.
    pub like_for_like: Option<bool>,
    pub builtin_vs_system: Option<f64>,
    pub builtin_vs_system_stddev: Option<f64>,
    /// Runs of the board (same source and engine) with this figure, and
    /// the slowest and fastest of them; empty with one run.
    pub run_count: Option<usize>,
    pub run_min_mb_per_s: Option<f64>,
    pub run_max_mb_per_s: Option<f64>,
    pub idle_watts: Option<f64>,
    pub one_core_watts: Option<f64>,
    pub half_cores_watts: Option<f64>,
    pub all_cores_watts: Option<f64>,
    /// Only when the report has sweeps (so that a report without is as
    /// before): the core class of a sweep row (`clock_source` `sweep`),
    /// its CPUs, and whether its step is the curve's most efficient;
    /// empty on the comparison's rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_cluster: Option<Option<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_core_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_cpus: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_most_efficient: Option<Option<bool>>,
}

fn v(x: Option<Value>) -> (Option<f64>, Option<f64>) {
    (x.map(|x| x.value), x.and_then(|x| x.stddev))
}

fn row<'a>(
    report: &'a Report,
    e: &'a Entry,
    mode: Mode,
    kernel: &'static str,
    f: &'a Figures,
    shown: bool,
) -> ReportCsvRow<'a> {
    let (mb_per_s, mb_per_s_stddev) = v(f.mb_per_s);
    let (speedup, speedup_stddev) = v(f.speedup);
    let (cycles_per_byte, cycles_per_byte_stddev) = v(f.cycles_per_byte);
    let (cycles_speedup, cycles_speedup_stddev) = v(f.cycles_speedup);
    let (mb_per_s_per_w, mb_per_s_per_w_stddev) = v(f.mb_per_s_per_w);
    let (mb_per_s_per_w_extrapolated, mb_per_s_per_w_extrapolated_stddev) =
        v(f.mb_per_s_per_w_extrapolated);
    let (efficiency_speedup, efficiency_speedup_stddev) = v(f.efficiency_speedup);
    let (builtin_vs_system, builtin_vs_system_stddev) = v(f.builtin_vs_system);
    ReportCsvRow {
        board: &e.board,
        label: &e.label,
        source: &e.source,
        other_implementation: e.other_implementation,
        is_baseline: e.is_baseline,
        baseline: &report.baseline.board,
        timestamp: &e.timestamp,
        family: e.family.title(),
        arch: &e.arch,
        os: &e.os,
        cores: (e.cores > 0).then_some(e.cores),
        mode: mode.key(),
        kernel,
        engine: if kernel == "geomean" {
            String::new()
        } else {
            f.engine.to_string()
        },
        shown,
        run_kind: if kernel == "geomean" {
            String::new()
        } else {
            f.run_kind.to_string()
        },
        run_timestamp: &f.timestamp,
        implementation: &f.implementation,
        threads: f.threads,
        samples: f.samples,
        mb_per_s,
        mb_per_s_stddev,
        speedup,
        speedup_stddev,
        baseline_extrapolated: f.baseline_extrapolated,
        clock_mhz: f.clock_mhz,
        clock_source: &f.clock_source,
        cycles_per_byte,
        cycles_per_byte_stddev,
        cycles_speedup,
        cycles_speedup_stddev,
        watts: f.watts,
        mb_per_s_per_w,
        mb_per_s_per_w_stddev,
        mb_per_s_per_w_extrapolated,
        mb_per_s_per_w_extrapolated_stddev,
        efficiency_speedup,
        efficiency_speedup_stddev,
        efficiency_extrapolated: f.efficiency_extrapolated,
        like_for_like: f.like_for_like,
        builtin_vs_system,
        builtin_vs_system_stddev,
        run_count: f.run_spread.map(|r| r.runs),
        run_min_mb_per_s: f.run_spread.map(|r| r.min_mb_per_s),
        run_max_mb_per_s: f.run_spread.map(|r| r.max_mb_per_s),
        idle_watts: e.power.idle,
        one_core_watts: e.power.one_core,
        half_cores_watts: e.power.half_cores,
        all_cores_watts: e.power.all_cores,
        ..ReportCsvRow::default()
    }
}

/// The sweep columns of a comparison row: present and empty when the
/// report has sweeps.
fn no_sweep<'a>(report: &Report, mut r: ReportCsvRow<'a>) -> ReportCsvRow<'a> {
    if !report.sweeps.is_empty() {
        r.sweep_cluster = Some(None);
        r.sweep_core_name = Some("");
        r.sweep_cpus = Some("");
        r.sweep_most_efficient = Some(None);
    }
    r
}

/// A row per sweep point: the comparison's columns that apply, and the
/// sweep's own.
fn sweep_rows<'a>(report: &'a Report, s: &'a Sweep) -> Vec<ReportCsvRow<'a>> {
    let mut out = Vec::new();
    for c in &s.curves {
        for p in &c.points {
            out.push(ReportCsvRow {
                board: &s.board,
                label: &s.board,
                source: &s.source,
                other_implementation: s.source != SBCBENCH_SOURCE,
                baseline: &report.baseline.board,
                timestamp: &s.timestamp,
                family: Family::of(&s.arch).title(),
                arch: &s.arch,
                mode: c.mode.key(),
                kernel: c.kernel.name(),
                engine: c.engine.to_string(),
                shown: true,
                run_timestamp: &s.timestamp,
                threads: Some(c.threads),
                mb_per_s: Some(p.mb_per_s),
                clock_mhz: Some(p.clock_mhz),
                clock_source: "sweep",
                watts: p.watts,
                mb_per_s_per_w: p.mb_per_s_per_w,
                idle_watts: s.idle_watts,
                sweep_cluster: Some(s.cluster),
                sweep_core_name: Some(&s.core_name),
                sweep_cpus: Some(&s.cpus),
                sweep_most_efficient: Some(c.most_efficient_mhz.map(|m| m == p.clock_mhz)),
                ..ReportCsvRow::default()
            });
        }
    }
    out
}

impl ReportExporter for CsvExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for e in &report.entries {
            for &mode in &report.modes {
                let figures = e.mode(mode);
                for k in &report.kernels {
                    if let Some(f) = figures.get(*k) {
                        w.serialize(no_sweep(report, row(report, e, mode, k.name(), f, true)))?;
                    }
                    if let Some(f) = figures.other_engine.get(k) {
                        w.serialize(no_sweep(report, row(report, e, mode, k.name(), f, false)))?;
                    }
                }
                if let Some(g) = figures.composite_speedup {
                    let f = Figures {
                        speedup: Some(g),
                        baseline_extrapolated: report
                            .kernels
                            .iter()
                            .any(|k| figures.get(*k).is_some_and(|f| f.baseline_extrapolated)),
                        like_for_like: Some(true),
                        ..Figures::default()
                    };
                    w.serialize(no_sweep(report, row(report, e, mode, "geomean", &f, true)))?;
                }
            }
        }
        for s in &report.sweeps {
            for r in sweep_rows(report, s) {
                w.serialize(r)?;
            }
        }
        // Board names and OS strings come from others' files.
        crate::export::safe::guard_csv(&w.into_inner()?)
    }
}
