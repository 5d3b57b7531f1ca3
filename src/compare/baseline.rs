//! The baseline a run is compared with, and the article's definitions of
//! speedup: MB/s ÷ baseline MB/s (same kernel, same thread mode), and for
//! cycles/byte baseline ÷ board, so that above 1 always means better.

use std::collections::BTreeMap;
use std::path::Path;

use crate::measure::KernelId;
use crate::record::{read_results, ResultRow};

/// A baseline figure for one kernel at one thread count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    pub mb_per_s: f64,
    pub cycles_per_byte: Option<f64>,
    /// Computed as single-core × threads, not measured.
    pub extrapolated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Shown in the `baseline` column, e.g. `VisionFive 2 (article 2023)`.
    pub name: String,
    pub cores: usize,
    /// Clock for cycles/byte, MHz.
    pub clock_mhz: Option<f64>,
    /// (kernel, threads) → MB/s, measured.
    figures: BTreeMap<(KernelId, usize), f64>,
}

impl Baseline {
    /// The article's VisionFive 2: single core, measured with `openssl
    /// speed` and xz-utils (not sbcbench), 1.5 GHz, 4 cores.
    pub fn article_visionfive2() -> Baseline {
        let figures = [
            ((KernelId::Sha1, 1), 97.5),
            ((KernelId::Chacha20Poly1305, 1), 50.8),
            ((KernelId::Xz, 1), 4.66),
        ]
        .into_iter()
        .collect();
        Baseline {
            name: "VisionFive 2 (article 2023, openssl/xz-utils)".to_string(),
            cores: 4,
            clock_mhz: Some(1500.0),
            figures,
        }
    }

    /// A baseline from the rows of a real sbcbench run. Where a board was
    /// measured per cluster, its fastest single-core row counts.
    pub fn from_rows(rows: &[ResultRow], origin: &str) -> Result<Baseline, String> {
        let first = rows
            .first()
            .ok_or_else(|| format!("{origin}: no result rows"))?;
        let mut figures: BTreeMap<(KernelId, usize), f64> = BTreeMap::new();
        let mut clock_mhz = None;
        for row in rows {
            let kernel = KernelId::from_name(&row.kernel)
                .ok_or_else(|| format!("{origin}: unknown kernel '{}'", row.kernel))?;
            let slot = figures.entry((kernel, row.threads)).or_insert(0.0);
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

    /// The baseline's figure for `kernel` on `threads` threads: measured if
    /// the baseline has it, else single-core × threads (capped at its
    /// cores) and marked extrapolated, as the article's all-cores figures.
    pub fn reference(&self, kernel: KernelId, threads: usize) -> Option<Reference> {
        let cpb = |mb: f64, threads: usize| self.clock_mhz.map(|mhz| mhz * threads as f64 / mb);
        if let Some(&mb) = self.figures.get(&(kernel, threads)) {
            return Some(Reference {
                mb_per_s: mb,
                cycles_per_byte: cpb(mb, threads),
                extrapolated: false,
            });
        }
        let single = *self.figures.get(&(kernel, 1))?;
        let used = threads.min(self.cores).max(1);
        let mb = single * used as f64;
        Some(Reference {
            mb_per_s: mb,
            cycles_per_byte: cpb(mb, used),
            extrapolated: true,
        })
    }

    /// The thread count the baseline would use for a mode, so "all" on a
    /// 6-core board compares with "all" on the 4-core baseline.
    pub fn threads_for(&self, mode: crate::measure::ThreadMode, threads: usize) -> usize {
        use crate::measure::ThreadMode;
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
        let xz = vf2.reference(KernelId::Xz, 1).unwrap();
        // The article: 322 cycles/byte for the VisionFive 2.
        assert_eq!(xz.cycles_per_byte.map(|c| c.round()), Some(322.0));
        assert!(!xz.extrapolated);
        // Raspberry Pi 4B xz: 6.82 MB/s → 1.46x.
        assert_eq!(format!("{:.2}", 6.82 / xz.mb_per_s), "1.46");
        let all = vf2.reference(KernelId::Sha1, 4).unwrap();
        assert!(all.extrapolated);
        assert_eq!(all.mb_per_s, 390.0);
        assert_eq!(all.cycles_per_byte.map(|c| c.round()), Some(15.0));
    }
}
