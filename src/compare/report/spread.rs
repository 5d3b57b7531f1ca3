//! Run-to-run spread: where a board was measured several times, how far
//! its runs' figures lie apart. The ± of a figure is the repeatability of
//! one run's back-to-back samples; this is the other half of the story.

use serde::Serialize;

use super::runs::{summarise, Run};
use super::{Entry, Mode};
use crate::measure::KernelId;

/// A kernel's MB/s over every run of a board (same source, same engine).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunSpread {
    pub runs: usize,
    pub min_mb_per_s: f64,
    pub max_mb_per_s: f64,
}

impl RunSpread {
    /// (max − min) ÷ the mean of the two, %.
    pub fn percent(&self) -> f64 {
        let mid = (self.max_mb_per_s + self.min_mb_per_s) / 2.0;
        if mid > 0.0 {
            100.0 * (self.max_mb_per_s - self.min_mb_per_s) / mid
        } else {
            0.0
        }
    }
}

/// Sets the spread of each shown figure of `entry` over `runs`, every run
/// of its board and source; nothing with fewer than two.
pub(super) fn set_spread(entry: &mut Entry, runs: &[&Run], kernels: &[KernelId]) {
    if runs.len() < 2 {
        return;
    }
    let each: Vec<Entry> = runs.iter().map(|r| summarise(r, kernels)).collect();
    for mode in Mode::BOTH {
        for &kernel in kernels {
            let Some(f) = entry.mode_mut(mode).kernels.get_mut(&kernel) else {
                continue;
            };
            let values: Vec<f64> = each
                .iter()
                .filter_map(|e| e.mode(mode).of_engine(kernel, f.engine)?.mb_per_s)
                .map(|v| v.value)
                .collect();
            if values.len() < 2 {
                continue;
            }
            f.run_spread = Some(RunSpread {
                runs: values.len(),
                min_mb_per_s: values.iter().copied().fold(f64::INFINITY, f64::min),
                max_mb_per_s: values.iter().copied().fold(0.0, f64::max),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compare::report::{Mode, Report, ReportOptions, Runs};
    use crate::measure::{Engine, KernelId};
    use crate::record::ResultRow;

    fn run(timestamp: &str, mb: f64) -> ResultRow {
        ResultRow {
            board: "Pi 5".into(),
            timestamp: timestamp.into(),
            arch: "aarch64".into(),
            source: "sbcbench".into(),
            kernel: KernelId::Xz,
            engine: Engine::System,
            thread_mode: "1".parse().unwrap(),
            threads: 1,
            mb_per_s: mb,
            samples: 5,
            cores: 4,
            ..ResultRow::default()
        }
    }

    #[test]
    fn several_runs_of_a_board_give_their_spread_and_one_run_none() {
        let rows = vec![
            run("2026-11-01T00:00:00Z", 11.0),
            run("2026-11-02T00:00:00Z", 12.0),
            run("2026-11-03T00:00:00Z", 11.5),
        ];
        for runs in [Runs::Latest, Runs::All] {
            let opts = ReportOptions {
                runs,
                kernels: vec![KernelId::Xz],
                ..ReportOptions::default()
            };
            let report = Report::build(rows.clone(), &opts).unwrap();
            for e in &report.entries {
                let s = e.mode(Mode::Single).get(KernelId::Xz).unwrap().run_spread;
                let s = s.unwrap();
                assert_eq!((s.runs, s.min_mb_per_s, s.max_mb_per_s), (3, 11.0, 12.0));
                assert!((s.percent() - 100.0 / 11.5).abs() < 1e-9);
            }
        }
        let one = Report::build(rows[..1].to_vec(), &ReportOptions::default()).unwrap();
        let f = one.entries[0].mode(Mode::Single).get(KernelId::Xz).unwrap();
        assert_eq!(f.run_spread, None);
    }
}
