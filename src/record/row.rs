use serde::{Deserialize, Serialize};

use super::columns::{ClockSource, RunKind, WattsMethod, WattsSource};
use crate::measure::{Engine, KernelId, StepKey, ThreadMode};
use crate::observe::cpu::parse_cpu_list;

/// Bumped when a column changes meaning or disappears; readers refuse
/// versions they do not know.
pub const SCHEMA_VERSION: u32 = 1;

/// One measurement: a kernel × thread mode × cluster. Units are in the
/// names; an empty cell means unknown or not applicable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub schema_version: u32,
    /// RFC 3339, UTC, when the run started.
    pub timestamp: String,
    pub board: String,
    /// `uname -m` of the board.
    pub arch: String,
    /// Target triple of the sbcbench build.
    pub target: String,
    pub cpu_model: String,
    /// Physical cores (SMT siblings once).
    pub cores: usize,
    pub kernel: KernelId,
    pub implementation: String,
    pub threads: usize,
    /// CPUs the threads were pinned to, as in sysfs (`0-3`).
    pub cpus: String,
    /// Cluster index of a single-cluster measurement.
    pub cluster: Option<usize>,
    /// Median of the samples, 1 MB = 10^6 bytes; xz counts compressed input.
    pub mb_per_s: f64,
    pub mb_per_s_stddev: f64,
    pub mb_per_s_min: f64,
    pub mb_per_s_max: f64,
    pub cv_percent: f64,
    pub samples: usize,
    /// The clock used for cycles/byte.
    pub clock_mhz: Option<f64>,
    /// Where `clock_mhz` came from: `cpufreq-max`, `user` or empty.
    pub clock_source: ClockSource,
    /// Dependent-add loop clock measured on the same CPUs, all busy: the
    /// mean of the readings just before and just after this step.
    pub clock_measured_mhz: Option<f64>,
    /// Σ clock of the used physical cores ÷ throughput: cycles spent by
    /// all used cores per byte (SMT siblings share their core's cycles).
    pub cycles_per_byte: Option<f64>,
    pub baseline: String,
    /// mb_per_s ÷ baseline's, same kernel and thread mode.
    pub speedup: Option<f64>,
    /// baseline cycles/byte ÷ ours, so that > 1 is better too.
    pub cycles_speedup: Option<f64>,
    /// The baseline figure was its single-core one × threads.
    pub baseline_extrapolated: Option<bool>,
    pub freq_min_mhz: Option<f64>,
    pub temp_max_c: Option<f64>,
    pub throttled: Option<bool>,
    pub watts: Option<f64>,
    pub watts_min: Option<f64>,
    pub watts_max: Option<f64>,
    pub watts_readings: Option<usize>,
    /// `typed`, `fixed`, `meter:<protocol>` or empty.
    pub watts_source: WattsSource,
    /// The board's power profile, the same on every row of a run: idle,
    /// one core, half the cores and all cores busy.
    pub idle_watts: Option<f64>,
    pub one_core_watts: Option<f64>,
    pub half_cores_watts: Option<f64>,
    pub all_cores_watts: Option<f64>,
    pub energy_j: Option<f64>,
    pub mb_per_s_per_w: Option<f64>,
    pub mb_per_s_per_w_extrapolated: Option<f64>,
    pub efficiency_speedup: Option<f64>,
    /// xz input label (`built-in:<sha256 prefix>` or a file name).
    pub xz_input: String,
    pub os: String,
    pub linux: String,
    /// sbcbench version and git revision.
    pub version: String,
    /// `1`, `half`, `all` or a count, as asked.
    pub thread_mode: ThreadMode,
    pub logical_cpus: usize,
    /// Name of the core type of `cluster` (e.g. `Cortex-A72`).
    pub core_name: String,
    pub mb_per_s_mean: f64,
    /// Samples flagged by the median/MAD test.
    pub outliers: usize,
    /// Who measured: `sbcbench`, or a reference such as `article-2023`.
    pub source: String,
    /// Memory of the board, MiB (MemTotal).
    #[serde(default)]
    pub memory_mib: Option<u64>,
    /// SIMD and crypto extensions the CPU reports, space-separated.
    #[serde(default)]
    pub simd: String,
    /// Whose code ran: `builtin` (sbcbench's) or `system` (the board's
    /// `openssl speed` / `xz -d`, as the article measured). Files from
    /// before the column are `builtin`.
    #[serde(default)]
    pub engine: Engine,
    /// A built-in row's MB/s ÷ the system row's of the same kernel, mode
    /// and CPUs in the same run: the implementation factor on this board.
    #[serde(default)]
    pub builtin_vs_system: Option<f64>,
    /// The baseline figure of the ratios ran on the same engine as this
    /// row; `false` marks a ratio across engines.
    #[serde(default)]
    pub like_for_like: Option<bool>,
    /// The baseline figure of `efficiency_speedup` is extrapolated (its
    /// single-core MB/s × the cores ÷ its power in this phase, as the
    /// article's all-cores efficiency).
    #[serde(default)]
    pub efficiency_extrapolated: Option<bool>,
    /// What ran while the power profile's load phases were read: `spin`
    /// or a kernel (`--power ask --load`), `benchmark` (a meter during the
    /// measured rows themselves), empty for `fixed:` figures or no power.
    #[serde(default)]
    pub power_load: String,
    /// Why `throttled` is true, causes joined by `; `: `under-voltage`,
    /// `firmware cap`, `temperature`, `alarm <chip>/<file>`, `clock -12 %`
    /// (the measured clock below the run's start), `cpufreq below max`.
    #[serde(default)]
    pub throttle_reason: String,
    /// measured clock × physical cores used ÷ MB/s: the cycles the cores
    /// really spent per byte, beside the article's nominal `cycles_per_byte`.
    #[serde(default)]
    pub cycles_per_byte_measured: Option<f64>,
    /// The hottest sensor when the step started, after any cooldown.
    #[serde(default)]
    pub temp_start_c: Option<f64>,
    /// `full`, `quick` (a smoke test) or `interrupted`; files from before
    /// the column are `full`.
    #[serde(default)]
    pub run_kind: RunKind,
    /// How a meter's `watts` was worked out: `energy-counter` (the
    /// device's counter over the row's span) or `samples` (the polled
    /// readings, time-weighted); empty without a meter.
    #[serde(default)]
    pub watts_method: WattsMethod,
}

impl ResultRow {
    /// The measurement this row is the figure of; its CPUs as written
    /// (`0-3`), read back.
    pub fn step_key(&self) -> StepKey {
        StepKey {
            kernel: self.kernel,
            engine: self.engine,
            mode: self.thread_mode,
            cpus: parse_cpu_list(&self.cpus),
        }
    }

    /// A point of a `sbcbench sweep` curve, measured at a locked clock
    /// step: never the board's figure at its top clock.
    pub fn is_sweep(&self) -> bool {
        self.clock_source == ClockSource::Sweep
    }
}

/// The rows that share one power profile and one single-core figure: all
/// of a run's; of a sweep's, those of one class at one clock step (next
/// to each other, as a sweep writes them).
pub fn profile_groups(rows: &[ResultRow]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=rows.len() {
        let split = i == rows.len()
            || (rows[i].is_sweep()
                && (rows[i].cluster, rows[i].clock_mhz)
                    != (rows[i - 1].cluster, rows[i - 1].clock_mhz));
        if split {
            out.push(start..i);
            start = i;
        }
    }
    out
}
