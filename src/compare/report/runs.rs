//! Rows grouped into runs, and a run's own figures before any comparison.

use std::collections::BTreeMap;

use super::{Entry, Family, Figures, Mode, ModeFigures, Power};
use crate::compare::efficiency::{extrapolated_all_cores, mb_per_s_per_w};
use crate::compare::uncertainty::Value;
use crate::compare::Baseline;
use crate::measure::{Engine, KernelId, ThreadMode};
use crate::power::attribute::{phase_of, profile};
use crate::power::{Phase, PhaseWatts};
use crate::record::reference::SBCBENCH_SOURCE;
use crate::record::{ResultRow, RunKind};

/// Rows of one board, source and timestamp.
pub(super) struct Run {
    /// Source, board, timestamp.
    pub(super) key: (String, String, String),
    rows: Vec<ResultRow>,
    /// Its place in the order the rows came in.
    pub(super) first_seen: usize,
}

impl Run {
    /// How the run went: its rows' worst kind (a file is one run, so they
    /// agree unless it was edited).
    pub(super) fn kind(&self) -> RunKind {
        self.rows
            .iter()
            .map(|r| r.run_kind)
            .max()
            .unwrap_or_default()
    }
}

fn source_of(row: &ResultRow) -> &str {
    if row.source.is_empty() {
        SBCBENCH_SOURCE
    } else {
        &row.source
    }
}

pub(super) fn group_runs(rows: Vec<ResultRow>) -> Vec<Run> {
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

/// The fastest row of a kernel of one engine in a load phase.
fn best(rows: &[ResultRow], kernel: KernelId, phase: Phase, engine: Engine) -> Option<&ResultRow> {
    rows.iter()
        .filter(|r| r.kernel == kernel && r.engine == engine && phase_of(r) == Some(phase))
        .max_by(|a, b| a.mb_per_s.total_cmp(&b.mb_per_s))
}

/// A row's figures, before any comparison.
fn figures_of(row: &ResultRow, watts: Option<f64>) -> Figures {
    let mb = Value::measured(row.mb_per_s, row.mb_per_s_stddev, row.samples);
    let cycles = row
        .cycles_per_byte
        .or_else(|| {
            row.clock_mhz
                .map(|c| c * row.threads.max(1) as f64 / row.mb_per_s)
        })
        .map(|cpb| mb.carry(cpb));
    let watts = row.watts.or(watts);
    // Several samples around the median; a single one (or a file without
    // the columns) has no range.
    let sampled = row.samples > 1
        && row.mb_per_s_min > 0.0
        && row.mb_per_s_min <= row.mb_per_s
        && row.mb_per_s <= row.mb_per_s_max
        && row.mb_per_s_max.is_finite();
    Figures {
        engine: row.engine,
        implementation: row.implementation.clone(),
        threads: Some(row.threads),
        samples: Some(row.samples),
        mb_per_s: Some(mb),
        mb_per_s_min: sampled.then_some(row.mb_per_s_min),
        mb_per_s_max: sampled.then_some(row.mb_per_s_max),
        clock_mhz: row.clock_mhz,
        clock_source: row.clock_source.to_string(),
        cycles_per_byte: cycles,
        watts,
        mb_per_s_per_w: watts
            .and_then(|w| mb_per_s_per_w(row.mb_per_s, w))
            .map(|e| mb.carry(e)),
        run_kind: row.run_kind,
        timestamp: row.timestamp.clone(),
        ..Figures::default()
    }
}

/// A run's own figures, before any comparison. Per kernel and mode the
/// shown figure is the system tool's (the article's method) where the run
/// measured one, with the built-in kernel's on the same CPUs beside it.
pub(super) fn summarise(run: &Run, kernels: &[KernelId]) -> Entry {
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
        linux: first.linux.clone(),
        cpu_model: first.cpu_model.clone(),
        cores,
        power,
        single_core: ModeFigures::default(),
        all_cores: ModeFigures::default(),
        runs_of_board: 1,
    };
    for &kernel in kernels {
        for mode in Mode::BOTH {
            let phase = mode.phase();
            let system = best(&run.rows, kernel, phase, Engine::System);
            // The built-in row of the system row's CPUs, so that the two
            // differ by the implementation only.
            let builtin = system
                .and_then(|s| {
                    run.rows.iter().find(|r| {
                        r.kernel == kernel
                            && r.engine == Engine::Builtin
                            && phase_of(r) == Some(phase)
                            && r.thread_mode == s.thread_mode
                            && r.cpus == s.cpus
                    })
                })
                .or_else(|| best(&run.rows, kernel, phase, Engine::Builtin));
            let factor = match (builtin, system) {
                (Some(b), Some(s)) => Value::measured(b.mb_per_s, b.mb_per_s_stddev, b.samples)
                    .ratio(Value::measured(s.mb_per_s, s.mb_per_s_stddev, s.samples)),
                _ => None,
            };
            let figures = entry.mode_mut(mode);
            for row in [system, builtin].into_iter().flatten() {
                let mut f = figures_of(row, power.get(phase));
                if row.engine == Engine::Builtin {
                    f.builtin_vs_system = factor;
                }
                *figures.slot(kernel, row.engine) = f;
            }
        }
        // The article's all-cores efficiency: single-core MB/s × physical
        // cores ÷ all-cores W, per engine.
        for engine in [Engine::System, Engine::Builtin] {
            let single = entry
                .single_core
                .of_engine(kernel, engine)
                .and_then(|f| f.mb_per_s);
            let (Some(single), Some(all_w), true) = (single, power.all_cores, cores > 0) else {
                continue;
            };
            if let Some(e) = extrapolated_all_cores(single.value, cores, all_w) {
                entry
                    .all_cores
                    .slot(kernel, engine)
                    .mb_per_s_per_w_extrapolated = Some(single.carry(e));
            }
        }
    }
    entry
}

/// The built-in article VisionFive 2 as an entry (when the data has no
/// board of the baseline's name).
pub(super) fn built_in_entry(b: &Baseline, kernels: &[KernelId]) -> Entry {
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
        linux: String::new(),
        cpu_model: String::new(),
        cores: b.cores,
        power: Power::from_phases(&b.power),
        single_core: ModeFigures::default(),
        all_cores: ModeFigures::default(),
        runs_of_board: 1,
    };
    for &kernel in kernels {
        let Some(r) = b
            .reference(kernel, Engine::System, ThreadMode::One, 1)
            .filter(|r| !r.extrapolated)
        else {
            continue;
        };
        let mb = Value::bare(r.mb_per_s);
        let watts = b.power.one;
        entry.single_core.kernels.insert(
            kernel,
            Figures {
                engine: Engine::System,
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
        if let Some((e, true)) = b.efficiency(kernel, Engine::System, Phase::All) {
            entry
                .all_cores
                .slot(kernel, Engine::System)
                .mb_per_s_per_w_extrapolated = Some(Value::bare(e));
        }
    }
    entry
}
