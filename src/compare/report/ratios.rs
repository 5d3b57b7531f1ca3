//! The ratios of an entry against the baseline's, as the article computes
//! them, between figures of the same engine where the baseline has one.

use super::{Entry, Figures, Mode};
use crate::compare::uncertainty::Value;
use crate::measure::{Engine, KernelId};

/// The baseline's figures one of the entry's is divided by.
struct Against {
    engine: Engine,
    mb: Option<Value>,
    cpb: Option<Value>,
    /// All cores from the single-core figure × the cores.
    extrapolated: bool,
    efficiency: Option<(Value, bool)>,
}

/// The baseline's figures of `kernel` in `mode`, of `engine` or (`None`)
/// of the engine it shows.
fn against(
    base: &Entry,
    cores: usize,
    mode: Mode,
    kernel: KernelId,
    engine: Option<Engine>,
) -> Option<Against> {
    let pick = |m: &super::ModeFigures| match engine {
        Some(e) => m.of_engine(kernel, e).cloned(),
        None => m.get(kernel).cloned(),
    };
    let (single, in_mode) = (pick(&base.single_core), pick(base.mode(mode)));
    let engine = in_mode.as_ref().or(single.as_ref())?.engine;
    let (single, in_mode) = (single.unwrap_or_default(), in_mode.unwrap_or_default());
    // All cores, where the baseline has no figure: its single-core figure
    // × its cores (the article's way).
    let (mb, cpb, extrapolated) = match (mode, in_mode.mb_per_s) {
        (_, Some(mb)) => (Some(mb), in_mode.cycles_per_byte, false),
        (Mode::All, None) if cores > 0 => match single.mb_per_s {
            Some(mb) => (Some(mb.scale(cores as f64)), single.cycles_per_byte, true),
            None => (None, None, false),
        },
        _ => (None, None, false),
    };
    let efficiency = match mode {
        Mode::Single => single.mb_per_s_per_w.map(|e| (e, false)),
        Mode::All => in_mode.efficiency(),
    };
    Some(Against {
        engine,
        mb,
        cpb,
        extrapolated,
        efficiency,
    })
}

/// Sets `f`'s ratios against `b`; the baseline's own row is exactly 1.
fn divide(f: &mut Figures, b: &Against, mode: Mode, is_base: bool) {
    let exact = |v: Option<Value>| v.map(|_| Value::bare(1.0));
    let same = b.engine == f.engine;
    let mut compared = false;
    if let (Some(mb), Some(bm)) = (f.mb_per_s, b.mb) {
        f.speedup = if is_base && same && !b.extrapolated {
            exact(Some(mb))
        } else {
            mb.ratio(bm)
        };
        f.baseline_extrapolated = b.extrapolated;
        compared = true;
    }
    if let (Some(cpb), Some(bc)) = (f.cycles_per_byte, b.cpb) {
        f.cycles_speedup = if is_base && same && !b.extrapolated {
            exact(Some(cpb))
        } else {
            bc.ratio(cpb)
        };
        compared = true;
    }
    let ours = match mode {
        Mode::Single => f.mb_per_s_per_w.map(|e| (e, false)),
        Mode::All => f.efficiency(),
    };
    if let (Some((e, ours_ext)), Some((be, base_ext))) = (ours, b.efficiency) {
        f.efficiency_speedup = if is_base && same && ours_ext == base_ext {
            exact(Some(e))
        } else {
            e.ratio(be)
        };
        f.efficiency_extrapolated = ours_ext || base_ext;
        compared = true;
    }
    f.like_for_like = compared.then_some(same);
}

/// Sets the ratios of `entry` against `base`: each figure against the
/// baseline's of the same engine where it has one, else against the one
/// it shows, marked not like for like. Where only the figure beside the
/// shown one compares like for like, the two change places.
pub(super) fn compare(entry: &mut Entry, base: &Entry, base_cores: usize, kernels: &[KernelId]) {
    let is_base = entry.is_baseline;
    for mode in Mode::BOTH {
        for &kernel in kernels {
            let figures = entry.mode_mut(mode);
            for map in [&mut figures.kernels, &mut figures.other_engine] {
                let Some(f) = map.get_mut(&kernel) else {
                    continue;
                };
                let b = against(base, base_cores, mode, kernel, Some(f.engine))
                    .or_else(|| against(base, base_cores, mode, kernel, None));
                if let Some(b) = b {
                    divide(f, &b, mode, is_base);
                }
            }
            let like = |f: Option<&Figures>| {
                f.is_some_and(|f| f.speedup.is_some() && f.like_for_like == Some(true))
            };
            if !like(figures.kernels.get(&kernel)) && like(figures.other_engine.get(&kernel)) {
                if let (Some(a), Some(b)) = (
                    figures.kernels.remove(&kernel),
                    figures.other_engine.remove(&kernel),
                ) {
                    figures.kernels.insert(kernel, b);
                    figures.other_engine.insert(kernel, a);
                }
            }
        }
        // Only ratios between equals make the geometric mean.
        let figures = entry.mode_mut(mode);
        let speedups: Vec<Value> = kernels
            .iter()
            .filter_map(|k| figures.get(*k))
            .filter(|f| f.like_for_like == Some(true))
            .filter_map(|f| f.speedup)
            .collect();
        figures.composite_speedup = if speedups.len() == kernels.len() {
            Value::geometric_mean(&speedups)
        } else {
            None
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::compare::report::{Mode, Report, ReportOptions};
    use crate::compare::uncertainty::Value;
    use crate::measure::{Engine, KernelId};
    use crate::record::reference::article_2023;
    use crate::record::ResultRow;

    /// One single-core row of `board`'s run.
    fn row(board: &str, kernel: KernelId, engine: Engine, mb: f64) -> ResultRow {
        ResultRow {
            board: board.into(),
            timestamp: "2026-11-20T10:00:00Z".into(),
            arch: "aarch64".into(),
            source: "sbcbench".into(),
            kernel,
            engine,
            implementation: format!("{engine} {kernel}"),
            thread_mode: "1".parse().unwrap(),
            threads: 1,
            cpus: "3".into(),
            mb_per_s: mb,
            samples: 5,
            cores: 4,
            logical_cpus: 4,
            ..ResultRow::default()
        }
    }

    fn both_engines(board: &str) -> Vec<ResultRow> {
        KernelId::ALL
            .into_iter()
            .flat_map(|k| {
                [
                    row(board, k, Engine::System, 200.0),
                    row(board, k, Engine::Builtin, 100.0),
                ]
            })
            .collect()
    }

    fn builtin_only(board: &str) -> Vec<ResultRow> {
        KernelId::ALL
            .into_iter()
            .map(|k| row(board, k, Engine::Builtin, 300.0))
            .collect()
    }

    fn build(rows: Vec<ResultRow>, baseline: &str) -> Report {
        let opts = ReportOptions {
            baseline: baseline.to_string(),
            ..ReportOptions::default()
        };
        Report::build(rows, &opts).unwrap()
    }

    fn single<'a>(report: &'a Report, board: &str) -> &'a crate::compare::report::ModeFigures {
        report
            .entries
            .iter()
            .find(|e| e.board == board)
            .unwrap()
            .mode(Mode::Single)
    }

    #[test]
    fn the_system_tool_is_shown_against_the_article_with_the_built_in_beside() {
        let mut rows = article_2023().unwrap();
        rows.extend(both_engines("Pi 5"));
        let report = build(rows, "VisionFive 2");
        let pi5 = single(&report, "Pi 5");
        let sha1 = pi5.get(KernelId::Sha1).unwrap();
        assert_eq!(sha1.engine, Engine::System);
        assert_eq!(sha1.like_for_like, Some(true));
        // 200 MB/s ÷ the article's 97.5.
        assert!((sha1.speedup.unwrap().value - 200.0 / 97.5).abs() < 1e-9);
        let builtin = pi5.other_engine.get(&KernelId::Sha1).unwrap();
        assert_eq!(builtin.engine, Engine::Builtin);
        assert_eq!(builtin.like_for_like, Some(false));
        assert_eq!(builtin.builtin_vs_system.map(|v| v.value), Some(0.5));
        assert!(pi5.composite_speedup.is_some());
    }

    #[test]
    fn a_built_in_only_board_is_marked_and_left_out_of_the_geomean() {
        let mut rows = article_2023().unwrap();
        rows.extend(builtin_only("Pi 5"));
        let report = build(rows, "VisionFive 2");
        let pi5 = single(&report, "Pi 5");
        for k in KernelId::ALL {
            let f = pi5.get(k).unwrap();
            assert_eq!(f.engine, Engine::Builtin);
            assert_eq!(f.like_for_like, Some(false), "{k}");
            assert!(f.speedup.is_some(), "{k}: the ratio is still shown");
        }
        assert_eq!(pi5.composite_speedup, None);
        // The article's boards still have theirs.
        assert!(single(&report, "Raspberry Pi 4B")
            .composite_speedup
            .is_some());
    }

    #[test]
    fn against_a_built_in_only_baseline_the_built_in_figures_are_shown() {
        let mut rows = builtin_only("Pi 4");
        rows.extend(both_engines("Pi 5"));
        let report = build(rows, "Pi 4");
        let pi5 = single(&report, "Pi 5");
        let sha1 = pi5.get(KernelId::Sha1).unwrap();
        assert_eq!(sha1.engine, Engine::Builtin);
        assert_eq!(sha1.like_for_like, Some(true));
        assert_eq!(sha1.speedup.map(|v| v.value), Some(100.0 / 300.0));
        let system = pi5.other_engine.get(&KernelId::Sha1).unwrap();
        assert_eq!(system.engine, Engine::System);
        assert_eq!(system.like_for_like, Some(false));
        assert!(pi5.composite_speedup.is_some());
        let base = single(&report, "Pi 4");
        assert_eq!(
            base.get(KernelId::Xz).unwrap().speedup,
            Some(Value::bare(1.0))
        );
    }

    #[test]
    fn both_engines_compare_each_with_its_own_kind_of_a_measured_baseline() {
        let mut rows = both_engines("Pi 4");
        rows.extend(both_engines("Pi 5").into_iter().map(|mut r| {
            r.mb_per_s *= 2.0;
            r
        }));
        let report = build(rows, "Pi 4");
        let pi5 = single(&report, "Pi 5");
        for map in [&pi5.kernels, &pi5.other_engine] {
            for f in map.values() {
                assert_eq!(f.like_for_like, Some(true));
                assert_eq!(f.speedup.map(|v| v.value), Some(2.0));
            }
        }
    }
}
