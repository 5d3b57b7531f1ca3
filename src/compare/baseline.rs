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

/// A baseline figure for one kernel at one thread count.
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
    pub cores: usize,
    /// Clock for cycles/byte, MHz.
    pub clock_mhz: Option<f64>,
    /// (kernel, engine, threads) → MB/s, measured.
    figures: BTreeMap<(KernelId, Engine, usize), f64>,
    /// Whole-board power per phase, where known.
    pub power: PhaseWatts,
}

impl Baseline {
    /// The article's VisionFive 2: single core, measured with `openssl
    /// speed` and xz-utils (not sbcbench), 1.5 GHz, 4 cores.
    pub fn article_visionfive2() -> Baseline {
        let figures = [
            ((KernelId::Sha1, Engine::System, 1), 97.5),
            ((KernelId::Chacha20Poly1305, Engine::System, 1), 50.8),
            ((KernelId::Xz, Engine::System, 1), 4.66),
        ]
        .into_iter()
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
        let first = rows
            .first()
            .ok_or_else(|| format!("{origin}: no result rows"))?;
        let mut figures: BTreeMap<(KernelId, Engine, usize), f64> = BTreeMap::new();
        let mut clock_mhz = None;
        let mut power = PhaseWatts::default();
        for row in rows {
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
            let kernel = row.kernel;
            let slot = figures
                .entry((kernel, row.engine, row.threads))
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

    /// The baseline's figure for `kernel` on `threads` threads, of the
    /// same `engine` where the baseline has one (else of the other, which
    /// [`Reference::engine`] says): measured if the baseline has it, else
    /// single-core × threads (capped at its cores) and marked
    /// extrapolated, as the article's all-cores figures.
    pub fn reference(&self, kernel: KernelId, engine: Engine, threads: usize) -> Option<Reference> {
        let other = match engine {
            Engine::Builtin => Engine::System,
            Engine::System => Engine::Builtin,
        };
        [engine, other]
            .into_iter()
            .find_map(|e| self.reference_of(kernel, e, threads))
    }

    fn reference_of(&self, kernel: KernelId, engine: Engine, threads: usize) -> Option<Reference> {
        let cpb = |mb: f64, threads: usize| self.clock_mhz.map(|mhz| mhz * threads as f64 / mb);
        if let Some(&mb) = self.figures.get(&(kernel, engine, threads)) {
            return Some(Reference {
                mb_per_s: mb,
                cycles_per_byte: cpb(mb, threads),
                extrapolated: false,
                engine,
            });
        }
        let single = *self.figures.get(&(kernel, engine, 1))?;
        let used = threads.min(self.cores).max(1);
        let mb = single * used as f64;
        Some(Reference {
            mb_per_s: mb,
            cycles_per_byte: cpb(mb, used),
            extrapolated: true,
            engine,
        })
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
        let reference = self.reference(kernel, engine, phase.threads(self.cores))?;
        let watts = self.power.get(phase)?;
        mb_per_s_per_w(reference.mb_per_s, watts).map(|e| (e, reference.extrapolated))
    }

    /// The thread count the baseline would use for a mode, so "all" on a
    /// 6-core board compares with "all" on the 4-core baseline.
    pub fn threads_for(&self, mode: ThreadMode, threads: usize) -> usize {
        match mode {
            ThreadMode::One => 1,
            ThreadMode::Half => (self.cores / 2).max(1),
            ThreadMode::All => self.cores,
            ThreadMode::Count(_) => threads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_figures_give_the_article_ratios() {
        let vf2 = Baseline::article_visionfive2();
        let xz = vf2.reference(KernelId::Xz, Engine::System, 1).unwrap();
        // The article: 322 cycles/byte for the VisionFive 2.
        assert_eq!(xz.cycles_per_byte.map(|c| c.round()), Some(322.0));
        assert!(!xz.extrapolated);
        // Raspberry Pi 4B xz: 6.82 MB/s → 1.46x.
        assert_eq!(format!("{:.2}", 6.82 / xz.mb_per_s), "1.46");
        let all = vf2.reference(KernelId::Sha1, Engine::System, 4).unwrap();
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
}
