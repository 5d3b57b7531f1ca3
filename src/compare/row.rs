//! A measurement becomes a results row: its statistics, cycles per byte,
//! and its ratios to the baseline. A pure function of what it is given, so
//! the row arithmetic is tested on hand-made measurements. Power columns
//! are left empty here: `power::attribute` fills them for the whole run.

use super::Baseline;
use crate::measure::session::Measurement;
use crate::measure::{plan::cpu_list, KernelId, Summary};
use crate::observe::{SystemFacts, Topology};
use crate::record::{ResultRow, SCHEMA_VERSION};

/// What is the same for every row of a run.
#[derive(Debug, Clone, Copy)]
pub struct RunContext<'a> {
    pub facts: &'a SystemFacts,
    pub topo: &'a Topology,
    pub baseline: &'a Baseline,
    /// `--clock-mhz`: the clock for cycles/byte instead of cpufreq's.
    pub clock_mhz: Option<f64>,
    /// RFC 3339, when the run started.
    pub timestamp: &'a str,
    /// The xz kernel's input label.
    pub xz_input: Option<&'a str>,
}

impl RunContext<'_> {
    /// The nominal clock of one CPU for cycles/byte, and where it came from.
    pub fn nominal_clock(&self, cpu: usize) -> (Option<f64>, &'static str) {
        match self.clock_mhz {
            Some(mhz) => (Some(mhz), "user"),
            None => match self.topo.cluster_of(cpu).and_then(|c| c.max_mhz) {
                Some(mhz) => (Some(mhz), "cpufreq-max"),
                None => (None, ""),
            },
        }
    }
}

/// The row of one measurement; `summary` is its samples' statistics and
/// `implementation` the kernel's library and version.
pub fn build_row(
    ctx: &RunContext,
    m: &Measurement,
    summary: &Summary,
    implementation: String,
) -> ResultRow {
    let step = &m.step;
    let threads = step.cpus.len();
    // Cycles/byte of a multi-thread row counts the cycles of every core
    // used: Σ clock ÷ MB/s (one core: the article's clock ÷ MB/s).
    let clocks: Vec<(Option<f64>, &str)> =
        step.cpus.iter().map(|&c| ctx.nominal_clock(c)).collect();
    let clock_sum: Option<f64> = clocks.iter().map(|(c, _)| *c).sum();
    let clock_mhz = clocks
        .iter()
        .filter_map(|(c, _)| *c)
        .reduce(f64::max)
        .filter(|_| clock_sum.is_some());
    let clock_source = if clock_mhz.is_some() { clocks[0].1 } else { "" };
    let cycles_per_byte = clock_sum
        .filter(|_| summary.median > 0.0)
        .map(|c| c / summary.median);

    let baseline = ctx.baseline;
    let reference = baseline.reference(step.kernel, baseline.threads_for(step.mode, threads));
    let speedup = reference.map(|r| summary.median / r.mb_per_s);
    let cycles_speedup = match (reference.and_then(|r| r.cycles_per_byte), cycles_per_byte) {
        (Some(b), Some(ours)) if ours > 0.0 => Some(b / ours),
        _ => None,
    };
    let cluster = step
        .cluster
        .and_then(|i| ctx.topo.clusters.iter().find(|c| c.index == i));
    let facts = ctx.facts;
    ResultRow {
        schema_version: SCHEMA_VERSION,
        timestamp: ctx.timestamp.to_string(),
        board: facts.board.clone(),
        arch: facts.arch.clone(),
        target: facts.target.clone(),
        cpu_model: facts.cpu_model.clone(),
        cores: facts.physical_cores,
        kernel: step.kernel.name().to_string(),
        implementation,
        threads,
        cpus: cpu_list(&step.cpus),
        cluster: step.cluster,
        mb_per_s: summary.median,
        mb_per_s_stddev: summary.stddev,
        mb_per_s_min: summary.min,
        mb_per_s_max: summary.max,
        cv_percent: summary.cv_percent,
        samples: summary.n,
        clock_mhz,
        clock_source: clock_source.to_string(),
        clock_measured_mhz: m.clock_mhz,
        cycles_per_byte,
        baseline: baseline.name.clone(),
        speedup,
        cycles_speedup,
        baseline_extrapolated: reference.map(|r| r.extrapolated),
        freq_min_mhz: m.observed.freq_min_mhz,
        temp_max_c: m.observed.temp_max_c,
        throttled: m.observed.throttled,
        xz_input: match (step.kernel, ctx.xz_input) {
            (KernelId::Xz, Some(label)) => label.to_string(),
            _ => String::new(),
        },
        os: facts.os.clone(),
        linux: facts.linux.clone(),
        version: crate::build_info::version(),
        thread_mode: step.mode.to_string(),
        logical_cpus: facts.logical_cores,
        core_name: cluster.map(|c| c.core_name.clone()).unwrap_or_default(),
        mb_per_s_mean: summary.mean,
        outliers: summary.outliers.len(),
        source: "sbcbench".to_string(),
        memory_mib: facts.memory_bytes.map(|b| b >> 20),
        simd: facts.simd.join(" "),
        ..ResultRow::default()
    }
}
