//! The ratios of an entry against the baseline's, as the article computes
//! them.

use super::{Entry, Mode};
use crate::compare::uncertainty::Value;
use crate::measure::KernelId;

/// Sets the ratios of `entry` against `base`.
pub(super) fn compare(entry: &mut Entry, base: &Entry, base_cores: usize, kernels: &[KernelId]) {
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
