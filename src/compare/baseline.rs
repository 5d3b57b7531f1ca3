//! The baseline a run is compared with, and the article's definitions of
//! speedup: MB/s ÷ baseline MB/s (same kernel, same thread mode), and for
//! cycles/byte baseline ÷ board, so that above 1 always means better.

use std::collections::BTreeMap;
use std::path::Path;

use super::efficiency::mb_per_s_per_w;
use crate::measure::{Engine, KernelId, ThreadMode};
use crate::power::attribute::profile;
use crate::power::{Phase, PhaseWatts};
use crate::record::{read_results, ResultRow};

/// A baseline figure for one kernel in one thread mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    pub mb_per_s: f64,
    pub cycles_per_byte: Option<f64>,
    /// Computed as single-core × threads, not measured.
    pub extrapolated: bool,
    /// Whose code the baseline figure ran: a ratio is like for like only
    /// between rows of the same engine.
    pub engine: Engine,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Shown in the `baseline` column, e.g. `VisionFive 2 (article 2023)`.
    pub name: String,
    /// Physical cores.
    pub cores: usize,
    /// Clock for cycles/byte, MHz.
    pub clock_mhz: Option<f64>,
    /// Measured figures by (kernel, engine, thread mode): looked up by the
    /// row's mode, so "all" is the baseline's all-threads row whatever its
    /// thread count (an SMT board runs twice its cores).
    figures: BTreeMap<(KernelId, Engine, ThreadMode), f64>,
    /// Whole-board power per phase, where known.
    pub power: PhaseWatts,
}

impl Baseline {
    /// The article's VisionFive 2: single core, measured with `openssl
    /// speed` and xz-utils (not sbcbench), 1.5 GHz, 4 cores.
    pub fn article_visionfive2() -> Baseline {
        let figures = [
            (KernelId::Sha1, 97.5),
            (KernelId::Chacha20Poly1305, 50.8),
            (KernelId::Xz, 4.66),
        ]
        .into_iter()
        .map(|(kernel, mb_per_s)| ((kernel, Engine::System, ThreadMode::One), mb_per_s))
        .collect();
        Baseline {
            name: "VisionFive 2 (article 2023, openssl/xz-utils)".to_string(),
            cores: 4,
            clock_mhz: Some(1500.0),
            figures,
            power: PhaseWatts {
                idle: Some(7.4),
                one: Some(10.4),
                half: Some(11.2),
                all: Some(13.1),
            },
        }
    }

    /// A baseline from the rows of a real sbcbench run. Where a board was
    /// measured per cluster, its fastest single-core row counts.
    pub fn from_rows(rows: &[ResultRow], origin: &str) -> Result<Baseline, String> {
        // A sweep's rows are at clocks it locked, not the board's figures.
        let all = rows.len();
        let rows: Vec<&ResultRow> = rows.iter().filter(|r| !r.is_sweep()).collect();
        if rows.is_empty() && all > 0 {
            return Err(format!(
                "{origin}: a sweep (its rows are at locked clock steps, not the board's figures); \
                 give a file of `sbcbench run`"
            ));
        }
        let first = rows
            .first()
            .ok_or_else(|| format!("{origin}: no result rows"))?;
        let mut figures: BTreeMap<(KernelId, Engine, ThreadMode), f64> = BTreeMap::new();
        let mut clock_mhz = None;
        let mut power = PhaseWatts::default();
        for &row in &rows {
            if let Some(w) = row.watts {
                if let Some(phase) = Phase::for_row(row.thread_mode, row.threads, row.logical_cpus)
                {
                    power.set(phase, Some(w));
                }
            }
            let profile = profile(row);
            for phase in Phase::ALL {
                if profile.get(phase).is_some() {
                    power.set(phase, profile.get(phase));
                }
            }
            let slot = figures
                .entry((row.kernel, row.engine, row.thread_mode))
                .or_insert(0.0);
            if row.mb_per_s > *slot {
                *slot = row.mb_per_s;
                if row.threads == 1 && row.clock_mhz.is_some() {
                    clock_mhz = match (clock_mhz, row.clock_mhz) {
                        (Some(a), Some(b)) => Some(f64::max(a, b)),
                        (a, b) => a.or(b),
                    };
                }
            }
        }
        Ok(Baseline {
            name: first.board.clone(),
            cores: first.cores.max(1),
            clock_mhz,
            figures,
            power,
        })
    }

    pub fn from_file(path: &Path) -> Result<Baseline, String> {
        let rows = read_results(path).map_err(|e| {
            format!(
                "--baseline {}: {e}; give a results CSV written by `sbcbench run`",
                path.display()
            )
        })?;
        Baseline::from_rows(&rows, &path.display().to_string())
    }

    /// The baseline's figure for `kernel` in thread mode `mode` (`threads`
    /// threads on the board compared), of the same `engine` where the
    /// baseline has one (else of the other, which [`Reference::engine`]
    /// says): measured if the baseline has that mode, else single-core ×
    /// the cores the mode would use on it, marked extrapolated, as the
    /// article's all-cores figures.
    pub fn reference(
        &self,
        kernel: KernelId,
        engine: Engine,
        mode: ThreadMode,
        threads: usize,
    ) -> Option<Reference> {
        let other = match engine {
            Engine::Builtin => Engine::System,
            Engine::System => Engine::Builtin,
        };
        [engine, other]
            .into_iter()
            .find_map(|e| self.reference_of(kernel, e, mode, threads))
    }

    fn reference_of(
        &self,
        kernel: KernelId,
        engine: Engine,
        mode: ThreadMode,
        threads: usize,
    ) -> Option<Reference> {
        // Cycles of the cores used at the baseline's clock, per byte.
        let cpb = |mb: f64, cores: usize| self.clock_mhz.map(|mhz| mhz * cores as f64 / mb);
        let used = self.cores_for(mode, threads);
        if let Some(&mb) = self.figures.get(&(kernel, engine, mode)) {
            return Some(Reference {
                mb_per_s: mb,
                cycles_per_byte: cpb(mb, used),
                extrapolated: false,
                engine,
            });
        }
        let single = *self.figures.get(&(kernel, engine, ThreadMode::One))?;
        let mb = single * used as f64;
        Some(Reference {
            mb_per_s: mb,
            cycles_per_byte: cpb(mb, used),
            extrapolated: true,
            engine,
        })
    }

    /// The physical cores a mode would use on the baseline, so "all" on a
    /// 6-core board compares with "all" on the 4-core baseline.
    fn cores_for(&self, mode: ThreadMode, threads: usize) -> usize {
        match mode {
            ThreadMode::One => 1,
            ThreadMode::Half => (self.cores / 2).max(1),
            ThreadMode::All => self.cores,
            ThreadMode::Count(_) => threads.min(self.cores),
        }
        .max(1)
    }

    /// The baseline's MB/s per Watt for `kernel` in a load phase: its
    /// throughput (extrapolated where it has only single-core figures, as
    /// the article's all-cores efficiency) ÷ its power in that phase.
    pub fn efficiency(
        &self,
        kernel: KernelId,
        engine: Engine,
        phase: Phase,
    ) -> Option<(f64, bool)> {
        if phase == Phase::Idle {
            return None;
        }
        let mode = match phase {
            Phase::One => ThreadMode::One,
            Phase::Half => ThreadMode::Half,
            _ => ThreadMode::All,
        };
        let reference = self.reference(kernel, engine, mode, phase.threads(self.cores))?;
        let watts = self.power.get(phase)?;
        mb_per_s_per_w(reference.mb_per_s, watts).map(|e| (e, reference.extrapolated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_figures_give_the_article_ratios() {
        let vf2 = Baseline::article_visionfive2();
        let xz = vf2
            .reference(KernelId::Xz, Engine::System, ThreadMode::One, 1)
            .unwrap();
        // The article: 322 cycles/byte for the VisionFive 2.
        assert_eq!(xz.cycles_per_byte.map(|c| c.round()), Some(322.0));
        assert!(!xz.extrapolated);
        // Raspberry Pi 4B xz: 6.82 MB/s → 1.46x.
        assert_eq!(format!("{:.2}", 6.82 / xz.mb_per_s), "1.46");
        let all = vf2
            .reference(KernelId::Sha1, Engine::System, ThreadMode::All, 4)
            .unwrap();
        assert!(all.extrapolated);
        assert_eq!(all.mb_per_s, 390.0);
        assert_eq!(all.cycles_per_byte.map(|c| c.round()), Some(15.0));
    }

    #[test]
    fn article_efficiency_of_the_visionfive2() {
        let vf2 = Baseline::article_visionfive2();
        let (single, ext) = vf2
            .efficiency(KernelId::Xz, Engine::System, Phase::One)
            .unwrap();
        assert_eq!(
            (crate::export::sig3(single).as_str(), ext),
            ("0.448", false)
        );
        let (all, ext) = vf2
            .efficiency(KernelId::Xz, Engine::System, Phase::All)
            .unwrap();
        assert_eq!((crate::export::sig3(all).as_str(), ext), ("1.42", true));
        assert_eq!(
            vf2.efficiency(KernelId::Xz, Engine::System, Phase::Idle),
            None
        );
    }

    /// A row of a results file of a 2-core, 4-thread machine.
    fn smt_row(mode: &str, threads: usize, mb: f64) -> ResultRow {
        ResultRow {
            board: "SMT box".into(),
            kernel: KernelId::Sha1,
            thread_mode: mode.parse().unwrap(),
            threads,
            cores: 2,
            logical_cpus: 4,
            mb_per_s: mb,
            clock_mhz: Some(3000.0),
            ..ResultRow::default()
        }
    }

    #[test]
    fn an_smt_baseline_is_looked_up_by_thread_mode() {
        let rows = [
            smt_row("1", 1, 100.0),
            smt_row("half", 2, 150.0),
            smt_row("all", 4, 220.0),
        ];
        let b = Baseline::from_rows(&rows, "smt.csv").unwrap();
        let all = b
            .reference(KernelId::Sha1, Engine::Builtin, ThreadMode::All, 8)
            .unwrap();
        // Its all-threads row, measured, not the 2-thread half row.
        assert_eq!((all.mb_per_s, all.extrapolated), (220.0, false));
        // The cycles of its 2 cores, not of 4 threads.
        assert_eq!(all.cycles_per_byte, Some(3000.0 * 2.0 / 220.0));
        let half = b
            .reference(KernelId::Sha1, Engine::Builtin, ThreadMode::Half, 4)
            .unwrap();
        assert_eq!((half.mb_per_s, half.extrapolated), (150.0, false));
        // A count it never ran: single core × the cores, marked.
        let three = b
            .reference(KernelId::Sha1, Engine::Builtin, ThreadMode::Count(3), 3)
            .unwrap();
        assert_eq!((three.mb_per_s, three.extrapolated), (200.0, true));
    }
}
