//! The report: result rows of many boards and runs, summarised per run and
//! set against one baseline board, as the article's tables.
//!
//! A *run* is the rows of one board, one source and one timestamp (one
//! results file, or the same file twice). Per kernel, a run's single-core
//! figure is its fastest single-core row (big.LITTLE boards measure each
//! cluster), its all-cores figure the fastest row of the all-cores phase.
//! Ratios follow the article: MB/s ÷ the baseline's, baseline cycles/byte ÷
//! the board's, MB/s/W ÷ the baseline's; above 1 is better. Where the
//! baseline has no all-cores measurement, its single-core figure × its
//! cores stands in ([`Baseline::reference`]) and the ratio is marked.

use std::collections::BTreeMap;

use serde::Serialize;

use super::efficiency::{extrapolated_all_cores, mb_per_s_per_w};
use super::uncertainty::Value;
use super::Baseline;
use crate::error::Error;
use crate::measure::KernelId;
use crate::power::attribute::{phase_of, profile};
use crate::power::{Phase, PhaseWatts};
use crate::record::reference::SBCBENCH_SOURCE;
use crate::record::{board_slug, ResultRow};

/// Which runs of a board the report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Runs {
    /// The newest run of each board.
    Latest,
    /// Every run, one row each.
    All,
}

/// Single core or all cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Mode {
    #[serde(rename = "1")]
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

    fn phase(self) -> Phase {
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
    pub implementation: String,
    pub threads: Option<usize>,
    pub samples: Option<usize>,
    pub mb_per_s: Option<Value>,
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

/// A run's figures in one mode, per kernel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModeFigures {
    pub kernels: BTreeMap<KernelId, Figures>,
    /// Geometric mean of the speedups of the selected kernels (all needed).
    pub composite_speedup: Option<Value>,
}

impl ModeFigures {
    pub fn get(&self, kernel: KernelId) -> Option<&Figures> {
        self.kernels.get(&kernel)
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
    fn from_phases(p: &PhaseWatts) -> Power {
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

    fn get(&self, phase: Phase) -> Option<f64> {
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

    fn mode_mut(&mut self, mode: Mode) -> &mut ModeFigures {
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub baseline: BaselineInfo,
    pub kernels: Vec<KernelId>,
    pub modes: Vec<Mode>,
    pub runs: Runs,
    /// Grouped by family in the article's order.
    pub entries: Vec<Entry>,
    /// Choices the report made for the user (which run, which baseline).
    pub notes: Vec<String>,
}

/// Rows of one board, source and timestamp.
struct Run {
    key: (String, String, String),
    rows: Vec<ResultRow>,
    first_seen: usize,
}

fn source_of(row: &ResultRow) -> &str {
    if row.source.is_empty() {
        SBCBENCH_SOURCE
    } else {
        &row.source
    }
}

fn group_runs(rows: Vec<ResultRow>) -> Vec<Run> {
    let mut index: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut runs: Vec<Run> = Vec::new();
    for row in rows {
        let key = (
            source_of(&row).to_string(),
            row.board.clone(),
            row.timestamp.clone(),
        );
        let i = *index.entry(key.clone()).or_insert_with(|| {
            runs.push(Run {
                key,
                rows: Vec::new(),
                first_seen: runs.len(),
            });
            runs.len() - 1
        });
        // The same file read twice (the shipped reference and its copy
        // under results/) adds nothing.
        if !runs[i].rows.contains(&row) {
            runs[i].rows.push(row);
        }
    }
    runs
}

/// The fastest row of a kernel in a load phase.
fn best(rows: &[ResultRow], kernel: KernelId, phase: Phase) -> Option<&ResultRow> {
    rows.iter()
        .filter(|r| r.kernel == kernel.name() && phase_of(r) == Some(phase))
        .max_by(|a, b| a.mb_per_s.total_cmp(&b.mb_per_s))
}

/// A run's own figures, before any comparison.
fn summarise(run: &Run, kernels: &[KernelId]) -> Entry {
    let first = &run.rows[0];
    let mut phases = PhaseWatts::default();
    for row in &run.rows {
        let p = profile(row);
        for phase in Phase::ALL {
            if phases.get(phase).is_none() {
                phases.set(phase, p.get(phase));
            }
        }
    }
    let power = Power::from_phases(&phases);
    let cores = run.rows.iter().map(|r| r.cores).max().unwrap_or(0);
    let mut entry = Entry {
        board: first.board.clone(),
        label: first.board.clone(),
        source: run.key.0.clone(),
        other_implementation: run.key.0 != SBCBENCH_SOURCE,
        is_baseline: false,
        timestamp: first.timestamp.clone(),
        family: Family::of(&first.arch),
        arch: first.arch.clone(),
        os: first.os.clone(),
        cpu_model: first.cpu_model.clone(),
        cores,
        power,
        single_core: ModeFigures::default(),
        all_cores: ModeFigures::default(),
        runs_of_board: 1,
    };
    for &kernel in kernels {
        for mode in Mode::BOTH {
            let Some(row) = best(&run.rows, kernel, mode.phase()) else {
                continue;
            };
            let mb = Value::measured(row.mb_per_s, row.mb_per_s_stddev, row.samples);
            let cycles = row
                .cycles_per_byte
                .or_else(|| {
                    row.clock_mhz
                        .map(|c| c * row.threads.max(1) as f64 / row.mb_per_s)
                })
                .map(|cpb| mb.carry(cpb));
            let watts = row.watts.or(power.get(mode.phase()));
            let efficiency = watts
                .and_then(|w| mb_per_s_per_w(row.mb_per_s, w))
                .map(|e| mb.carry(e));
            entry.mode_mut(mode).kernels.insert(
                kernel,
                Figures {
                    implementation: row.implementation.clone(),
                    threads: Some(row.threads),
                    samples: Some(row.samples),
                    mb_per_s: Some(mb),
                    clock_mhz: row.clock_mhz,
                    clock_source: row.clock_source.clone(),
                    cycles_per_byte: cycles,
                    watts,
                    mb_per_s_per_w: efficiency,
                    ..Figures::default()
                },
            );
        }
        // The article's all-cores efficiency: single-core MB/s × physical
        // cores ÷ all-cores W.
        let single = entry.single_core.get(kernel).and_then(|f| f.mb_per_s);
        if let (Some(single), Some(all_w), true) = (single, power.all_cores, cores > 0) {
            if let Some(e) = extrapolated_all_cores(single.value, cores, all_w) {
                let figures = entry.all_cores.kernels.entry(kernel).or_default();
                figures.mb_per_s_per_w_extrapolated = Some(single.carry(e));
            }
        }
    }
    entry
}

/// The built-in article VisionFive 2 as an entry (when the data has no
/// board of the baseline's name).
fn built_in_entry(b: &Baseline, kernels: &[KernelId]) -> Entry {
    let mut entry = Entry {
        board: "VisionFive 2".to_string(),
        label: "VisionFive 2".to_string(),
        source: "article-2023".to_string(),
        other_implementation: true,
        is_baseline: true,
        timestamp: String::new(),
        family: Family::RiscV,
        arch: "riscv64".to_string(),
        os: String::new(),
        cpu_model: String::new(),
        cores: b.cores,
        power: Power::from_phases(&b.power),
        single_core: ModeFigures::default(),
        all_cores: ModeFigures::default(),
        runs_of_board: 1,
    };
    for &kernel in kernels {
        let Some(r) = b.reference(kernel, 1).filter(|r| !r.extrapolated) else {
            continue;
        };
        let mb = Value::bare(r.mb_per_s);
        let watts = b.power.one;
        entry.single_core.kernels.insert(
            kernel,
            Figures {
                implementation: if kernel == KernelId::Xz {
                    "xz-utils"
                } else {
                    "openssl"
                }
                .to_string(),
                threads: Some(1),
                samples: Some(1),
                mb_per_s: Some(mb),
                clock_mhz: b.clock_mhz,
                clock_source: "article".to_string(),
                cycles_per_byte: r.cycles_per_byte.map(Value::bare),
                watts,
                mb_per_s_per_w: watts
                    .and_then(|w| mb_per_s_per_w(r.mb_per_s, w))
                    .map(Value::bare),
                ..Figures::default()
            },
        );
        if let Some((e, true)) = b.efficiency(kernel, Phase::All) {
            entry
                .all_cores
                .kernels
                .entry(kernel)
                .or_default()
                .mb_per_s_per_w_extrapolated = Some(Value::bare(e));
        }
    }
    entry
}

/// `NAME` or `NAME (SOURCE)`.
fn split_source(spec: &str) -> (&str, Option<&str>) {
    let spec = spec.trim();
    if let Some(open) = spec.rfind(" (") {
        if let Some(inner) = spec[open + 2..].strip_suffix(')') {
            return (&spec[..open], Some(inner));
        }
    }
    (spec, None)
}

/// Runs whose board is `name`: exactly, else ignoring case, else by slug.
fn matching<'a>(runs: &'a [Run], name: &str) -> Vec<&'a Run> {
    let tests: [&dyn Fn(&str) -> bool; 3] =
        [&|b| b == name, &|b| b.eq_ignore_ascii_case(name), &|b| {
            board_slug(b) == board_slug(name)
        }];
    for test in tests {
        let found: Vec<&Run> = runs.iter().filter(|r| test(&r.key.1)).collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The baseline run: the newest of the named board, preferring sbcbench's
/// own measurements over references when both exist.
fn pick_baseline<'a>(
    runs: &'a [Run],
    spec: &str,
    notes: &mut Vec<String>,
) -> Result<Option<&'a Run>, Error> {
    let (name, source) = split_source(spec);
    let mut found = matching(runs, name);
    if let Some(source) = source {
        let with_source: Vec<&Run> = found
            .iter()
            .copied()
            .filter(|r| r.key.0 == source)
            .collect();
        if with_source.is_empty() {
            // Maybe the parenthesis is part of the board's name.
            found = matching(runs, spec);
        } else {
            found = with_source;
        }
    }
    let newest_of = |source: &str| {
        found
            .iter()
            .copied()
            .filter(|r| r.key.0 == source)
            .max_by(|a, b| a.key.2.cmp(&b.key.2))
    };
    let mut sources: Vec<&str> = found.iter().map(|r| r.key.0.as_str()).collect();
    sources.sort();
    sources.dedup();
    let chosen = match sources.as_slice() {
        [] => None,
        [only] => newest_of(only),
        several => {
            let pick = if several.contains(&SBCBENCH_SOURCE) {
                SBCBENCH_SOURCE
            } else {
                several[0]
            };
            let run = newest_of(pick);
            if let Some(run) = run {
                let others: Vec<String> = several
                    .iter()
                    .filter(|s| **s != pick)
                    .map(|s| format!("--baseline '{} ({s})'", run.key.1))
                    .collect();
                notes.push(format!(
                    "baseline: {} as measured by {pick} ({}); {} compares with the other figures",
                    run.key.1,
                    run.key.2,
                    others.join(" or ")
                ));
            }
            run
        }
    };
    if chosen.is_none() && board_slug(name) != board_slug("VisionFive 2") {
        let mut boards: Vec<&str> = runs.iter().map(|r| r.key.1.as_str()).collect();
        boards.sort();
        boards.dedup();
        return Err(Error::Usage(format!(
            "--baseline {spec}: no board of that name in the results; the boards are: {} \
             (or leave --baseline out to compare with the VisionFive 2)",
            if boards.is_empty() {
                "none".to_string()
            } else {
                boards.join(", ")
            }
        )));
    }
    Ok(chosen)
}

/// Sets the ratios of `entry` against `base`.
fn compare(entry: &mut Entry, base: &Entry, base_cores: usize, kernels: &[KernelId]) {
    let is_base = entry.is_baseline;
    for mode in Mode::BOTH {
        for &kernel in kernels {
            let (base_single, base_mode) = (
                base.single_core.get(kernel).cloned().unwrap_or_default(),
                base.mode(mode).get(kernel).cloned().unwrap_or_default(),
            );
            // The baseline's figure in this mode; all cores, where it has
            // none, its single-core figure × its cores (the article's way).
            let (base_mb, base_cpb, extrapolated) = match (mode, base_mode.mb_per_s) {
                (_, Some(mb)) => (Some(mb), base_mode.cycles_per_byte, false),
                (Mode::All, None) if base_cores > 0 => match base_single.mb_per_s {
                    Some(mb) => (
                        Some(mb.scale(base_cores as f64)),
                        base_single.cycles_per_byte,
                        true,
                    ),
                    None => (None, None, false),
                },
                _ => (None, None, false),
            };
            let base_eff = match mode {
                Mode::Single => base_single.mb_per_s_per_w.map(|e| (e, false)),
                Mode::All => base_mode.efficiency(),
            };
            let Some(f) = entry.mode_mut(mode).kernels.get_mut(&kernel) else {
                continue;
            };
            let exact = |v: Option<Value>| v.map(|_| Value::bare(1.0));
            if let (Some(mb), Some(b)) = (f.mb_per_s, base_mb) {
                f.speedup = if is_base && !extrapolated {
                    exact(Some(mb))
                } else {
                    mb.ratio(b)
                };
                f.baseline_extrapolated = extrapolated;
            }
            if let (Some(cpb), Some(b)) = (f.cycles_per_byte, base_cpb) {
                f.cycles_speedup = if is_base && !extrapolated {
                    exact(Some(cpb))
                } else {
                    b.ratio(cpb)
                };
            }
            let ours = match mode {
                Mode::Single => f.mb_per_s_per_w.map(|e| (e, false)),
                Mode::All => f.efficiency(),
            };
            if let (Some((e, ours_ext)), Some((b, base_ext))) = (ours, base_eff) {
                f.efficiency_speedup = if is_base && ours_ext == base_ext {
                    exact(Some(e))
                } else {
                    e.ratio(b)
                };
                f.efficiency_extrapolated = ours_ext || base_ext;
            }
        }
        let figures = entry.mode_mut(mode);
        let speedups: Vec<Value> = kernels
            .iter()
            .filter_map(|k| figures.get(*k).and_then(|f| f.speedup))
            .collect();
        figures.composite_speedup = if speedups.len() == kernels.len() {
            Value::geometric_mean(&speedups)
        } else {
            None
        };
    }
}

impl Report {
    /// Aggregates `rows` (every file read, references included) for `opts`.
    /// Only an unknown `--baseline` is an error.
    pub fn build(rows: Vec<ResultRow>, opts: &ReportOptions) -> Result<Report, Error> {
        let mut notes = Vec::new();
        let runs = group_runs(rows);
        let kernels: Vec<KernelId> = KernelId::ALL
            .into_iter()
            .filter(|k| opts.kernels.contains(k))
            .collect();

        // The baseline: a board of the data, else the built-in one.
        let base_run = pick_baseline(&runs, &opts.baseline, &mut notes)?;
        let (mut base_entry, base_key) = match base_run {
            Some(run) => (summarise(run, &kernels), Some(run.key.clone())),
            None => (
                built_in_entry(&Baseline::article_visionfive2(), &kernels),
                None,
            ),
        };
        base_entry.is_baseline = true;
        let base_cores = base_entry.cores;

        // Which runs to show: the newest of each board, or all.
        let mut per_board: BTreeMap<(&str, &str), Vec<&Run>> = BTreeMap::new();
        for run in &runs {
            per_board
                .entry((&run.key.0, &run.key.1))
                .or_default()
                .push(run);
        }
        let mut shown: Vec<(&Run, usize)> = Vec::new();
        for ((_, board), mut list) in per_board {
            list.sort_by(|a, b| a.key.2.cmp(&b.key.2));
            let n = list.len();
            match opts.runs {
                Runs::Latest => {
                    let newest = list[n - 1];
                    if n > 1 {
                        notes.push(format!(
                            "{board}: {n} runs; the newest ({}) is shown, --all shows each",
                            newest.key.2
                        ));
                    }
                    shown.push((newest, n));
                }
                Runs::All => shown.extend(list.into_iter().map(|r| (r, n))),
            }
        }

        let mut entries: Vec<(usize, Entry)> = shown
            .into_iter()
            .map(|(run, n)| {
                let mut entry = summarise(run, &kernels);
                entry.runs_of_board = n;
                if opts.runs == Runs::All && n > 1 {
                    entry.label = format!("{} ({})", entry.board, entry.timestamp);
                }
                entry.is_baseline = Some(&run.key) == base_key.as_ref();
                (run.first_seen, entry)
            })
            .collect();
        for (_, entry) in &mut entries {
            compare(entry, &base_entry, base_cores, &kernels);
        }
        // References in their file's order (the article's), then sbcbench's
        // boards by name and time, within each family.
        entries.sort_by(|(a_seen, a), (b_seen, b)| {
            let key = |e: &Entry, seen: usize| {
                (
                    e.family,
                    !e.other_implementation,
                    if e.other_implementation { seen } else { 0 },
                    e.board.to_lowercase(),
                    e.timestamp.clone(),
                )
            };
            key(a, *a_seen).cmp(&key(b, *b_seen))
        });
        let all_cores_extrapolated = kernels.iter().all(|k| {
            base_entry
                .all_cores
                .get(*k)
                .and_then(|f| f.mb_per_s)
                .is_none()
        });
        Ok(Report {
            baseline: BaselineInfo {
                board: base_entry.board.clone(),
                source: base_entry.source.clone(),
                timestamp: base_entry.timestamp.clone(),
                built_in: base_key.is_none(),
                cores: base_cores,
                all_cores_extrapolated,
            },
            kernels,
            modes: Mode::BOTH
                .into_iter()
                .filter(|m| opts.modes.contains(m))
                .collect(),
            runs: opts.runs,
            entries: entries.into_iter().map(|(_, e)| e).collect(),
            notes,
        })
    }

    /// The boards shown in a mode's performance table.
    pub fn with_throughput(&self, mode: Mode) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.mode(mode).has_throughput())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::reference::article_2023;

    fn article() -> Report {
        Report::build(article_2023().unwrap(), &ReportOptions::default()).unwrap()
    }

    #[test]
    fn families_in_the_articles_order() {
        let report = article();
        let families: Vec<Family> = report.entries.iter().map(|e| e.family).collect();
        let mut sorted = families.clone();
        sorted.sort();
        assert_eq!(families, sorted);
        assert_eq!(report.entries[0].board, "VisionFive 2");
        assert_eq!(report.entries[3].board, "Raspberry Pi 1");
        assert_eq!(report.entries[14].board, "AMD EPYC 7513");
        assert!(report.entries[0].is_baseline);
        assert!(!report.baseline.built_in);
        assert_eq!(Family::of("armv7l"), Family::Arm);
        assert_eq!(Family::of("aarch64"), Family::Arm);
        assert_eq!(Family::of("riscv64"), Family::RiscV);
        assert_eq!(Family::of("s390x"), Family::Other);
    }

    #[test]
    fn the_built_in_baseline_is_the_shipped_visionfive2() {
        // Without the reference rows the built-in one is used; its ratios
        // must be the same as with the shipped file's VisionFive 2.
        let rows: Vec<ResultRow> = article_2023()
            .unwrap()
            .into_iter()
            .filter(|r| r.board != "VisionFive 2")
            .collect();
        let without = Report::build(rows, &ReportOptions::default()).unwrap();
        assert!(without.baseline.built_in);
        let with = article();
        for e in &without.entries {
            let w = with.entries.iter().find(|x| x.board == e.board).unwrap();
            for mode in Mode::BOTH {
                assert_eq!(e.mode(mode), w.mode(mode), "{}", e.board);
            }
        }
    }

    #[test]
    fn unknown_baseline_names_the_boards() {
        let opts = ReportOptions {
            baseline: "Banana Pi".to_string(),
            ..ReportOptions::default()
        };
        let err = Report::build(article_2023().unwrap(), &opts).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("--baseline Banana Pi"), "{text}");
        assert!(text.contains("Raspberry Pi 4B"), "{text}");
    }

    #[test]
    fn baseline_by_other_name_and_case() {
        let opts = ReportOptions {
            baseline: "raspberry pi 4b".to_string(),
            ..ReportOptions::default()
        };
        let report = Report::build(article_2023().unwrap(), &opts).unwrap();
        assert_eq!(report.baseline.board, "Raspberry Pi 4B");
        let pi4 = report.entries.iter().find(|e| e.is_baseline).unwrap();
        assert_eq!(pi4.board, "Raspberry Pi 4B");
        let sha1 = pi4.single_core.get(KernelId::Sha1).unwrap();
        assert_eq!(sha1.speedup, Some(Value::bare(1.0)));
    }

    #[test]
    fn split_source_of_a_baseline_name() {
        assert_eq!(
            split_source("VisionFive 2 (article-2023)"),
            ("VisionFive 2", Some("article-2023"))
        );
        assert_eq!(split_source("VisionFive 2"), ("VisionFive 2", None));
    }
}
