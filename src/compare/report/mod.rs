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
//!
//! Rows of `sbcbench sweep` (`clock_source` `sweep`) are set aside before
//! runs are grouped: they are curves against the clock (`sweep.rs`),
//! never a board's figures.

mod compose;
mod model;
mod ratios;
mod runs;
mod select;
mod spread;
mod sweep;

use serde::Serialize;

use crate::compare::Baseline;
use crate::error::Error;
use crate::measure::KernelId;
use crate::record::ResultRow;

pub use model::{
    BaselineInfo, Entry, Family, Figures, Mode, ModeFigures, Power, ReportOptions, Runs,
};
use ratios::compare;
use runs::{built_in_entry, group_runs};
use select::{pick_baseline, shown};
pub use spread::RunSpread;
pub use sweep::{build as sweeps_of, mhz_text, Sweep, SweepCurve, SweepPoint};

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
    /// The curves of `sbcbench sweep`, per board and core class; never
    /// part of `entries`. Left out of the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweeps: Vec<Sweep>,
}

impl Report {
    /// Aggregates `rows` (every file read, references included) for `opts`.
    /// Only an unknown `--baseline` is an error.
    pub fn build(rows: Vec<ResultRow>, opts: &ReportOptions) -> Result<Report, Error> {
        let mut notes = Vec::new();
        // A sweep's points are measured at locked lower clocks: never a
        // board's figures (a 600 MHz point is not the board's speed).
        let (sweep_rows, rows): (Vec<ResultRow>, Vec<ResultRow>) =
            rows.into_iter().partition(ResultRow::is_sweep);
        let runs = group_runs(rows);
        let kernels: Vec<KernelId> = KernelId::ALL
            .into_iter()
            .filter(|k| opts.kernels.contains(k))
            .collect();

        // The baseline: a board of the data, else the built-in one.
        let base_run = pick_baseline(&runs, &opts.baseline, &mut notes)?;
        let (mut base_entry, base_key) = match base_run {
            Some(run) => {
                // The same composition as the board's own line.
                let of_board: Vec<&runs::Run> = runs
                    .iter()
                    .filter(|r| (&r.key.0, &r.key.1) == (&run.key.0, &run.key.1))
                    .collect();
                let mut sorted = of_board;
                sorted.sort_by(|a, b| a.key.2.cmp(&b.key.2));
                (compose::compose(&sorted, &kernels).0, Some(run.key.clone()))
            }
            None => (
                built_in_entry(&Baseline::article_visionfive2(), &kernels),
                None,
            ),
        };
        base_entry.is_baseline = true;
        let base_cores = base_entry.cores;

        // Which runs to show: each board's runs composed, or every run.
        let mut entries: Vec<(usize, Entry)> = shown(&runs, opts.runs)
            .into_iter()
            .map(|(group, n)| {
                let (mut entry, note) = compose::compose(&group, &kernels);
                notes.extend(note);
                entry.runs_of_board = n;
                if opts.runs == Runs::All && n > 1 {
                    entry.label = format!("{} ({})", entry.board, entry.timestamp);
                }
                entry.is_baseline = group.iter().any(|r| Some(&r.key) == base_key.as_ref());
                (group[group.len() - 1].first_seen, entry)
            })
            .collect();
        for (_, entry) in &mut entries {
            compare(entry, &base_entry, base_cores, &kernels);
            let of_board: Vec<&runs::Run> = runs
                .iter()
                .filter(|r| (&r.key.0, &r.key.1) == (&entry.source, &entry.board))
                .collect();
            spread::set_spread(entry, &of_board, &kernels);
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
        let sweeps = sweep::build(sweep_rows, &kernels, &opts.modes, &mut notes);
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
            sweeps,
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
}
