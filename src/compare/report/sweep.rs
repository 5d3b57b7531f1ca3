//! The sweep view: the rows of `sbcbench sweep` (one core class locked at
//! each of its clock steps) as curves of MB/s and MB/s per W against the
//! clock, per board and class, and the step where each curve is most
//! efficient. Kept apart from the comparison: a point at a locked lower
//! clock is not the board's speed.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Mode;
use crate::compare::efficiency::mb_per_s_per_w;
use crate::measure::{Engine, KernelId, ThreadMode};
use crate::record::reference::SBCBENCH_SOURCE;
use crate::record::ResultRow;

/// One clock step of a curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    pub clock_mhz: f64,
    pub mb_per_s: f64,
    /// Whole-board power at this step; none without a meter.
    pub watts: Option<f64>,
    pub mb_per_s_per_w: Option<f64>,
}

/// One kernel × engine × thread mode over the steps, lowest clock first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepCurve {
    pub kernel: KernelId,
    pub engine: Engine,
    pub mode: Mode,
    pub threads: usize,
    pub points: Vec<SweepPoint>,
    /// The step with the highest MB/s per W; none without power figures.
    pub most_efficient_mhz: Option<f64>,
}

impl SweepCurve {
    /// `xz × all`, with the engine when it is the system tool's.
    pub fn label(&self) -> String {
        let engine = if self.engine == Engine::System {
            " (system)"
        } else {
            ""
        };
        format!("{}{engine} × {}", self.kernel, self.mode.key())
    }

    pub fn at(&self, mhz: f64) -> Option<&SweepPoint> {
        self.points.iter().find(|p| p.clock_mhz == mhz)
    }

    /// The highest step measured (the board's top clock, unless the
    /// firmware refused it).
    pub fn top(&self) -> Option<&SweepPoint> {
        self.points.last()
    }
}

/// One core class of one board, from its newest sweep run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    pub board: String,
    pub source: String,
    pub timestamp: String,
    pub arch: String,
    /// The class's index and core name (e.g. `Cortex-A72`).
    pub cluster: Option<usize>,
    pub core_name: String,
    /// The class's CPUs, as sysfs writes them (`0-3`); empty when the
    /// sweep measured one core only.
    pub cpus: String,
    /// The same on every row of a run.
    pub idle_watts: Option<f64>,
    pub curves: Vec<SweepCurve>,
    /// One sentence naming the most efficient step: written by the
    /// renderers, which round the numbers (empty until then).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

impl Sweep {
    /// `Raspberry Pi 4 Model B, Cortex-A72 (cpu 0-3)`.
    pub fn heading(&self) -> String {
        let mut s = self.board.clone();
        let core = if self.core_name.is_empty() {
            match self.cluster {
                Some(c) => format!("class {c}"),
                None => String::new(),
            }
        } else {
            self.core_name.clone()
        };
        if !core.is_empty() {
            s.push_str(", ");
            s.push_str(&core);
        }
        if !self.cpus.is_empty() {
            s.push_str(&format!(" (cpu {})", self.cpus));
        }
        s
    }

    pub fn has_watts(&self) -> bool {
        self.curves.iter().any(|c| c.most_efficient_mhz.is_some())
    }

    /// The steps some curve is most efficient at, each with those curves:
    /// the step of the most curves first, then the lower clock. Empty
    /// without power figures.
    pub fn efficient_steps(&self) -> Vec<(f64, Vec<&SweepCurve>)> {
        let mut steps: Vec<(f64, Vec<&SweepCurve>)> = Vec::new();
        for c in &self.curves {
            let Some(mhz) = c.most_efficient_mhz else {
                continue;
            };
            match steps.iter_mut().find(|(m, _)| *m == mhz) {
                Some((_, list)) => list.push(c),
                None => steps.push((mhz, vec![c])),
            }
        }
        steps.sort_by(|(a, ca), (b, cb)| cb.len().cmp(&ca.len()).then(a.total_cmp(b)));
        steps
    }
}

fn source_of(row: &ResultRow) -> &str {
    if row.source.is_empty() {
        SBCBENCH_SOURCE
    } else {
        &row.source
    }
}

fn mode_of(t: ThreadMode) -> Option<Mode> {
    match t {
        ThreadMode::One => Some(Mode::Single),
        ThreadMode::All => Some(Mode::All),
        _ => None,
    }
}

/// `1234.0` → `1234`, `1234.5` → `1234.5`.
pub fn mhz_text(mhz: f64) -> String {
    if mhz.fract() == 0.0 {
        format!("{mhz:.0}")
    } else {
        format!("{mhz}")
    }
}

/// The sweeps of `rows` (sweep rows only), newest run per board, for the
/// kernels and modes asked; a note for each board with older sweeps.
pub fn build(
    rows: Vec<ResultRow>,
    kernels: &[KernelId],
    modes: &[Mode],
    notes: &mut Vec<String>,
) -> Vec<Sweep> {
    // Newest sweep run per source and board (RFC 3339 sorts as text).
    let mut runs: BTreeMap<(String, String), BTreeMap<String, Vec<ResultRow>>> = BTreeMap::new();
    for row in rows {
        let key = (source_of(&row).to_string(), row.board.clone());
        runs.entry(key)
            .or_default()
            .entry(row.timestamp.clone())
            .or_default()
            .push(row);
    }
    let mut out = Vec::new();
    for ((source, board), by_time) in runs {
        let n = by_time.len();
        let Some((timestamp, rows)) = by_time.into_iter().next_back() else {
            continue;
        };
        if n > 1 {
            notes.push(format!(
                "{board}: {n} sweep runs; the newest ({timestamp}) is shown"
            ));
        }
        let mut classes: BTreeMap<Option<usize>, Vec<ResultRow>> = BTreeMap::new();
        for row in rows {
            classes.entry(row.cluster).or_default().push(row);
        }
        for (cluster, rows) in classes {
            let sweep = class_sweep(&source, &board, &timestamp, cluster, &rows, kernels, modes);
            if !sweep.curves.is_empty() {
                out.push(sweep);
            }
        }
    }
    out.sort_by(|a, b| {
        (a.board.to_lowercase(), &a.source, a.cluster).cmp(&(
            b.board.to_lowercase(),
            &b.source,
            b.cluster,
        ))
    });
    out
}

fn class_sweep(
    source: &str,
    board: &str,
    timestamp: &str,
    cluster: Option<usize>,
    rows: &[ResultRow],
    kernels: &[KernelId],
    modes: &[Mode],
) -> Sweep {
    let first = &rows[0];
    // The class's CPUs: those of its all-CPUs rows; a single-core row
    // names one CPU only, so without those the list is left out.
    let cpus = rows
        .iter()
        .find(|r| r.thread_mode == ThreadMode::All)
        .map(|r| r.cpus.clone())
        .unwrap_or_default();
    let mut curves = Vec::new();
    for &kernel in KernelId::ALL.iter().filter(|k| kernels.contains(k)) {
        for engine in [Engine::Builtin, Engine::System] {
            for &mode in Mode::BOTH.iter().filter(|m| modes.contains(m)) {
                let of: Vec<&ResultRow> = rows
                    .iter()
                    .filter(|r| {
                        r.kernel == kernel
                            && r.engine == engine
                            && mode_of(r.thread_mode) == Some(mode)
                    })
                    .collect();
                if of.is_empty() {
                    continue;
                }
                let mut points: Vec<SweepPoint> = Vec::new();
                for r in &of {
                    let Some(mhz) = r.clock_mhz else { continue };
                    // A step measured twice counts once (its first row).
                    if points.iter().any(|p| p.clock_mhz == mhz) {
                        continue;
                    }
                    points.push(SweepPoint {
                        clock_mhz: mhz,
                        mb_per_s: r.mb_per_s,
                        watts: r.watts,
                        mb_per_s_per_w: r
                            .mb_per_s_per_w
                            .or_else(|| r.watts.and_then(|w| mb_per_s_per_w(r.mb_per_s, w))),
                    });
                }
                points.sort_by(|a, b| a.clock_mhz.total_cmp(&b.clock_mhz));
                if points.is_empty() {
                    continue;
                }
                let most_efficient_mhz = most_efficient(&points);
                curves.push(SweepCurve {
                    kernel,
                    engine,
                    mode,
                    threads: of.iter().map(|r| r.threads).max().unwrap_or(1),
                    points,
                    most_efficient_mhz,
                });
            }
        }
    }
    Sweep {
        board: board.to_string(),
        source: source.to_string(),
        timestamp: timestamp.to_string(),
        arch: first.arch.clone(),
        cluster,
        core_name: rows
            .iter()
            .map(|r| r.core_name.as_str())
            .find(|n| !n.is_empty())
            .unwrap_or("")
            .to_string(),
        cpus,
        idle_watts: rows.iter().find_map(|r| r.idle_watts),
        curves,
        summary: String::new(),
    }
}

/// The step of the highest MB/s per W; the lower clock on a tie (the
/// same energy per byte, less heat).
fn most_efficient(points: &[SweepPoint]) -> Option<f64> {
    let mut best: Option<(f64, f64)> = None;
    for p in points {
        if let Some(e) = p.mb_per_s_per_w.filter(|e| e.is_finite()) {
            if best.is_none_or(|(_, b)| e > b) {
                best = Some((p.clock_mhz, e));
            }
        }
    }
    best.map(|(mhz, _)| mhz)
}

#[cfg(test)]
#[path = "sweep_tests.rs"]
mod tests;
