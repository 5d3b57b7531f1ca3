//! The report's types: what a run's figures are, per mode and kernel, and
//! what the user asked for.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compare::uncertainty::Value;
use crate::measure::{Engine, KernelId};
use crate::power::{Phase, PhaseWatts};
use crate::record::RunKind;

/// Which runs of a board the report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Runs {
    /// The newest run of each board.
    Latest,
    /// Every run, one row each.
    All,
}

/// Single core or all cores: the report's one mode, also `report --threads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
pub enum Mode {
    #[serde(rename = "1")]
    #[value(name = "1")]
    Single,
    #[serde(rename = "all")]
    All,
}

impl Mode {
    pub const BOTH: [Mode; 2] = [Mode::Single, Mode::All];

    /// As in `--threads` and the CSV output.
    pub fn key(self) -> &'static str {
        match self {
            Mode::Single => "1",
            Mode::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Single => "single core",
            Mode::All => "all cores",
        }
    }

    pub(super) fn phase(self) -> Phase {
        match self {
            Mode::Single => Phase::One,
            Mode::All => Phase::All,
        }
    }
}

/// Architecture families, in the article's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Family {
    #[serde(rename = "RISC-V")]
    RiscV,
    #[serde(rename = "ARM / ARM64")]
    Arm,
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "other")]
    Other,
}

impl Family {
    /// From `uname -m` (or the article's family names).
    pub fn of(arch: &str) -> Family {
        let a = arch.trim().to_ascii_lowercase();
        if a.starts_with("riscv") {
            Family::RiscV
        } else if a.starts_with("arm") || a.starts_with("aarch64") {
            Family::Arm
        } else if a == "x86_64" || a == "amd64" {
            Family::X86_64
        } else {
            Family::Other
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::RiscV => "RISC-V",
            Family::Arm => "ARM / ARM64",
            Family::X86_64 => "x86_64",
            Family::Other => "other",
        }
    }
}

/// What the user asked of the report.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// A board name, optionally `NAME (SOURCE)`.
    pub baseline: String,
    pub runs: Runs,
    pub kernels: Vec<KernelId>,
    pub modes: Vec<Mode>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            baseline: "VisionFive 2".to_string(),
            runs: Runs::Latest,
            kernels: KernelId::ALL.to_vec(),
            modes: Mode::BOTH.to_vec(),
        }
    }
}

/// One kernel of one run in one mode. Every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Whose code measured it: the board's own tools (`system`, the
    /// article's method) or sbcbench's kernels (`builtin`).
    pub engine: Engine,
    pub implementation: String,
    pub threads: Option<usize>,
    pub samples: Option<usize>,
    pub mb_per_s: Option<Value>,
    /// The slowest and fastest of the run's samples, where it took several:
    /// the charts' error bars.
    pub mb_per_s_min: Option<f64>,
    pub mb_per_s_max: Option<f64>,
    /// MB/s ÷ the baseline's.
    pub speedup: Option<Value>,
    /// The baseline's figure was its single-core one × its cores.
    pub baseline_extrapolated: bool,
    pub clock_mhz: Option<f64>,
    pub clock_source: String,
    /// Clock (Σ of the used cores) ÷ MB/s.
    pub cycles_per_byte: Option<Value>,
    /// The baseline's cycles/byte ÷ this one.
    pub cycles_speedup: Option<Value>,
    /// Whole-board power during this load.
    pub watts: Option<f64>,
    /// MB/s ÷ W, measured.
    pub mb_per_s_per_w: Option<Value>,
    /// All cores: the article's single-core MB/s × cores ÷ all-cores W.
    pub mb_per_s_per_w_extrapolated: Option<Value>,
    /// This run's MB/s/W (measured, else extrapolated) ÷ the baseline's.
    pub efficiency_speedup: Option<Value>,
    /// `efficiency_speedup` involves an extrapolated figure.
    pub efficiency_extrapolated: bool,
    /// The ratios compare figures of the same engine; `false` when the
    /// baseline has only the other engine's (built-in against the
    /// article's openssl/xz-utils); `None` without a ratio.
    pub like_for_like: Option<bool>,
    /// The run's built-in MB/s ÷ its system tool's, same kernel, mode and
    /// CPUs: the implementation factor on this board.
    pub builtin_vs_system: Option<Value>,
    /// Over every run of the board, where it has several.
    pub run_spread: Option<super::spread::RunSpread>,
    /// The kind of run it comes from: a full one's where the board has it.
    pub run_kind: RunKind,
    /// When that run started (a board's figures can come from several).
    pub timestamp: String,
}

impl Figures {
    /// The all-cores efficiency the tables show: measured where there is
    /// one, else the article's extrapolation. The flag says which.
    pub fn efficiency(&self) -> Option<(Value, bool)> {
        match (self.mb_per_s_per_w, self.mb_per_s_per_w_extrapolated) {
            (Some(m), _) => Some((m, false)),
            (None, Some(e)) => Some((e, true)),
            _ => None,
        }
    }
}

/// A run's figures in one mode, per kernel: the shown one (`kernels`: the
/// system tool's where the run has one, or whichever compares like for
/// like with the baseline) and the other engine's beside it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModeFigures {
    pub kernels: BTreeMap<KernelId, Figures>,
    /// The same kernels measured by the other engine.
    pub other_engine: BTreeMap<KernelId, Figures>,
    /// Geometric mean of the like-for-like speedups of the selected
    /// kernels (all needed).
    pub composite_speedup: Option<Value>,
}

impl ModeFigures {
    pub fn get(&self, kernel: KernelId) -> Option<&Figures> {
        self.kernels.get(&kernel)
    }

    /// The kernel's figures of `engine`, shown or beside.
    pub fn of_engine(&self, kernel: KernelId, engine: Engine) -> Option<&Figures> {
        [&self.kernels, &self.other_engine]
            .into_iter()
            .filter_map(|m| m.get(&kernel))
            .find(|f| f.engine == engine)
    }

    /// The kernel's figures of `engine`, made where missing: shown when
    /// the kernel has none yet, else beside.
    pub(super) fn slot(&mut self, kernel: KernelId, engine: Engine) -> &mut Figures {
        let shown = self.kernels.get(&kernel).map(|f| f.engine);
        let map = match shown {
            None => &mut self.kernels,
            Some(e) if e == engine => &mut self.kernels,
            Some(_) => &mut self.other_engine,
        };
        map.entry(kernel).or_insert_with(|| Figures {
            engine,
            ..Figures::default()
        })
    }

    /// Has any MB/s figure.
    pub fn has_throughput(&self) -> bool {
        self.kernels.values().any(|f| f.mb_per_s.is_some())
    }
}

/// The board's power profile, W.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Power {
    pub idle: Option<f64>,
    pub one_core: Option<f64>,
    pub half_cores: Option<f64>,
    pub all_cores: Option<f64>,
}

impl Power {
    pub(super) fn from_phases(p: &PhaseWatts) -> Power {
        Power {
            idle: p.idle,
            one_core: p.one,
            half_cores: p.half,
            all_cores: p.all,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.idle.is_none()
            && self.one_core.is_none()
            && self.half_cores.is_none()
            && self.all_cores.is_none()
    }

    pub(super) fn get(&self, phase: Phase) -> Option<f64> {
        match phase {
            Phase::Idle => self.idle,
            Phase::One => self.one_core,
            Phase::Half => self.half_cores,
            Phase::All => self.all_cores,
        }
    }
}

/// One line of the report: one run of one board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub board: String,
    /// `board`, or `board (timestamp)` with `--all` when it ran several times.
    pub label: String,
    /// Who measured: `sbcbench`, or a reference such as `article-2023`.
    pub source: String,
    /// Not measured by sbcbench: other implementations (e.g. openssl).
    pub other_implementation: bool,
    pub is_baseline: bool,
    pub timestamp: String,
    pub family: Family,
    pub arch: String,
    pub os: String,
    /// The Linux kernel release (`uname -r`); empty when unknown.
    pub linux: String,
    pub cpu_model: String,
    /// Physical cores; 0 when unknown.
    pub cores: usize,
    pub power: Power,
    pub single_core: ModeFigures,
    pub all_cores: ModeFigures,
    /// Runs of this board and source in the data.
    pub runs_of_board: usize,
}

impl Entry {
    pub fn mode(&self, mode: Mode) -> &ModeFigures {
        match mode {
            Mode::Single => &self.single_core,
            Mode::All => &self.all_cores,
        }
    }

    pub(super) fn mode_mut(&mut self, mode: Mode) -> &mut ModeFigures {
        match mode {
            Mode::Single => &mut self.single_core,
            Mode::All => &mut self.all_cores,
        }
    }
}

/// What the ratios are relative to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineInfo {
    pub board: String,
    pub source: String,
    pub timestamp: String,
    /// The built-in article VisionFive 2 (not in the data).
    pub built_in: bool,
    pub cores: usize,
    /// The baseline has no all-cores measurement: its single-core figures
    /// × its cores stand in.
    pub all_cores_extrapolated: bool,
}
