//! A measurement becomes a results row: its statistics, cycles per byte,
//! and its ratios to the baseline. A pure function of what it is given, so
//! the row arithmetic is tested on hand-made measurements. Power columns
//! are left empty here: `power::attribute` fills them for the whole run.

use super::Baseline;
use crate::measure::session::Measurement;
use crate::measure::{plan::cpu_list, Engine, KernelId, Summary};
use crate::observe::{SystemFacts, Topology};
use crate::record::{ClockSource, ResultRow, RunKind, SCHEMA_VERSION};

/// What is the same for every row of a run.
#[derive(Debug, Clone, Copy)]
pub struct RunContext<'a> {
    pub facts: &'a SystemFacts,
    pub topo: &'a Topology,
    pub baseline: &'a Baseline,
    /// The clock for cycles/byte instead of cpufreq's, and whose it is:
    /// `--clock-mhz` (`user`), or the step a sweep locked (`sweep`).
    pub clock_mhz: Option<(f64, ClockSource)>,
    /// RFC 3339, when the run started.
    pub timestamp: &'a str,
    /// The xz kernel's input label.
    pub xz_input: Option<&'a str>,
    /// A full run or a smoke test (`--quick`).
    pub run_kind: RunKind,
}

impl RunContext<'_> {
    /// The nominal clock of one CPU for cycles/byte, and where it came from.
    pub fn nominal_clock(&self, cpu: usize) -> (Option<f64>, ClockSource) {
        match self.clock_mhz {
            Some((mhz, source)) => (Some(mhz), source),
            None => match self.topo.cluster_of(cpu).and_then(|c| c.max_mhz) {
                Some(mhz) => (Some(mhz), ClockSource::CpufreqMax),
                None => (None, ClockSource::None),
            },
        }
    }
}

/// The row of one measurement; `summary` is its samples' statistics and
/// `implementation` the kernel's library and version.
pub fn build_row(
    ctx: &RunContext,
    m: &Measurement,
    summary: &Summary,
    implementation: String,
) -> ResultRow {
    let step = &m.step;
    let threads = step.cpus.len();
    // Cycles/byte of a multi-thread row counts the cycles of every core
    // used: Σ clock ÷ MB/s (one core: the article's clock ÷ MB/s). A core
    // counts once however many of its SMT threads ran: its hyper-threads
    // share its cycles.
    let clocks: Vec<(Option<f64>, ClockSource)> = ctx
        .topo
        .cores_among(&step.cpus)
        .iter()
        .map(|&c| ctx.nominal_clock(c))
        .collect();
    let clock_sum: Option<f64> = clocks.iter().map(|(c, _)| *c).sum();
    let clock_mhz = clocks
        .iter()
        .filter_map(|(c, _)| *c)
        .reduce(f64::max)
        .filter(|_| clock_sum.is_some());
    let clock_source = if clock_mhz.is_some() {
        clocks[0].1
    } else {
        ClockSource::None
    };
    let cycles_per_byte = clock_sum
        .filter(|_| summary.median > 0.0)
        .map(|c| c / summary.median);
    // The same from the measured clock, counting physical cores: SMT
    // siblings share one core's cycles.
    let measured_cores = ctx.topo.cores_among(&step.cpus).len();
    let cycles_per_byte_measured = m
        .clock_mhz
        .filter(|_| summary.median > 0.0)
        .map(|c| c * measured_cores as f64 / summary.median);

    let baseline = ctx.baseline;
    let reference = baseline.reference(step.kernel, step.engine, step.mode, threads);
    let speedup = reference.map(|r| summary.median / r.mb_per_s);
    let cycles_speedup = match (reference.and_then(|r| r.cycles_per_byte), cycles_per_byte) {
        (Some(b), Some(ours)) if ours > 0.0 => Some(b / ours),
        _ => None,
    };
    let cluster = step
        .cluster
        .and_then(|i| ctx.topo.clusters.iter().find(|c| c.index == i));
    let facts = ctx.facts;
    ResultRow {
        schema_version: SCHEMA_VERSION,
        timestamp: ctx.timestamp.to_string(),
        board: facts.board.clone(),
        arch: facts.arch.clone(),
        target: facts.target.clone(),
        cpu_model: facts.cpu_model.clone(),
        cores: facts.physical_cores,
        kernel: step.kernel,
        implementation,
        threads,
        cpus: cpu_list(&step.cpus),
        cluster: step.cluster,
        mb_per_s: summary.median,
        mb_per_s_stddev: summary.stddev,
        mb_per_s_min: summary.min,
        mb_per_s_max: summary.max,
        cv_percent: summary.cv_percent,
        samples: summary.n,
        clock_mhz,
        clock_source,
        clock_measured_mhz: m.clock_mhz,
        cycles_per_byte,
        baseline: baseline.name.clone(),
        speedup,
        cycles_speedup,
        baseline_extrapolated: reference.map(|r| r.extrapolated),
        engine: step.engine,
        like_for_like: reference.map(|r| r.engine == step.engine),
        freq_min_mhz: m.observed.freq_min_mhz,
        temp_max_c: m.observed.temp_max_c,
        throttled: m.throttled(),
        xz_input: match (step.kernel, ctx.xz_input) {
            (KernelId::Xz, Some(label)) => label.to_string(),
            _ => String::new(),
        },
        os: facts.os.clone(),
        linux: facts.linux.clone(),
        version: crate::build_info::version(),
        thread_mode: step.mode,
        logical_cpus: facts.logical_cores,
        core_name: cluster.map(|c| c.core_name.clone()).unwrap_or_default(),
        mb_per_s_mean: summary.mean,
        outliers: summary.outliers.len(),
        source: "sbcbench".to_string(),
        memory_mib: facts.memory_bytes.map(|b| b >> 20),
        simd: facts.simd.join(" "),
        throttle_reason: m
            .throttle_reasons()
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        cycles_per_byte_measured,
        temp_start_c: m.around.temp_start_c,
        run_kind: ctx.run_kind,
        ..ResultRow::default()
    }
}

/// `builtin_vs_system` of every built-in row: its MB/s ÷ that of the
/// system row of the same kernel, mode and CPUs in the same run, the
/// implementation factor measured on this board. Idempotent.
pub fn pair_engines(rows: &mut [ResultRow]) {
    let factors: Vec<Option<f64>> = rows
        .iter()
        .map(|row| {
            if row.engine != Engine::Builtin {
                return None;
            }
            let system = rows.iter().find(|s| {
                s.engine == Engine::System
                    && (s.kernel, s.thread_mode, &s.cpus)
                        == (row.kernel, row.thread_mode, &row.cpus)
            })?;
            (system.mb_per_s > 0.0).then(|| row.mb_per_s / system.mb_per_s)
        })
        .collect();
    for (row, factor) in rows.iter_mut().zip(factors) {
        row.builtin_vs_system = factor;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::measure::runner::Measured;
    use crate::measure::{Sample, Step, ThreadMode};
    use crate::observe::{Cluster, Observation};
    use crate::power::attribute::{attribute, Given};
    use crate::power::{PhaseWatts, WattsSource};
    use crate::warnings::{of_measurement, Warning};

    /// An RK3588-like board: four Cortex-A55 at 1.8 GHz, four Cortex-A76
    /// at 2.4 GHz; `None` clocks for a board without cpufreq.
    fn topo(little: Option<f64>, big: Option<f64>) -> Topology {
        let cluster = |index, cpus: Vec<usize>, max_mhz, core: &str| Cluster {
            index,
            cpus,
            max_mhz,
            core_name: core.into(),
        };
        Topology {
            online: (0..8).collect(),
            clusters: vec![
                cluster(0, vec![0, 1, 2, 3], little, "Cortex-A55"),
                cluster(1, vec![4, 5, 6, 7], big, "Cortex-A76"),
            ],
            physical_cores: 8,
            smt_siblings: Vec::new(),
        }
    }

    fn facts() -> SystemFacts {
        SystemFacts {
            board: "Rock 5B".into(),
            arch: "aarch64".into(),
            target: "aarch64-unknown-linux-musl".into(),
            cpu_model: "Cortex-A76 + Cortex-A55".into(),
            logical_cores: 8,
            physical_cores: 8,
            clusters: Vec::new(),
            linux: "6.1.0".into(),
            os: "Debian GNU/Linux 12".into(),
            memory_bytes: Some(8 << 30),
            version: "test".into(),
            git_hash: String::new(),
            simd: vec!["asimd".into(), "sha1".into()],
        }
    }

    /// Five samples of exactly `mb_per_s` on `cpus`.
    fn measurement(
        kernel: KernelId,
        mode: ThreadMode,
        cpus: Vec<usize>,
        mb_per_s: f64,
    ) -> Measurement {
        let sample = Sample {
            bytes: (mb_per_s * 1e6) as u64,
            elapsed_ns: 1_000_000_000,
        };
        let now = Instant::now();
        Measurement {
            step: Step {
                kernel,
                engine: Engine::Builtin,
                mode,
                cluster: (cpus.len() == 1).then(|| usize::from(cpus[0] >= 4)),
                cpus,
            },
            measured: Measured {
                samples: vec![sample; 5],
                warmup: None,
                pinned: true,
            },
            observed: Observation::default(),
            clock_mhz: None,
            from: now,
            to: now,
            around: Default::default(),
        }
    }

    fn row_of(topo: &Topology, clock: Option<f64>, m: &Measurement) -> ResultRow {
        let (facts, baseline) = (facts(), Baseline::article_visionfive2());
        let ctx = RunContext {
            facts: &facts,
            topo,
            baseline: &baseline,
            clock_mhz: clock.map(|c| (c, ClockSource::User)),
            timestamp: "2026-12-04T12:00:00Z",
            xz_input: Some("built-in:0123abcd"),
            run_kind: RunKind::Quick,
        };
        build_row(&ctx, m, &m.summary(), "RustCrypto sha1 0.11".into())
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
    }

    #[test]
    fn one_core_cycles_per_byte_is_its_clock_over_its_throughput() {
        let topo = topo(Some(1800.0), Some(2400.0));
        let m = measurement(KernelId::Sha1, ThreadMode::One, vec![4], 100.0);
        let row = row_of(&topo, None, &m);
        assert_eq!((row.mb_per_s, row.samples, row.cv_percent), (100.0, 5, 0.0));
        assert_eq!(
            (row.clock_mhz, row.clock_source.to_string().as_str()),
            (Some(2400.0), "cpufreq-max")
        );
        assert!(close(row.cycles_per_byte, 24.0), "{row:?}");
        assert_eq!(
            (row.cluster, row.core_name.as_str(), row.cpus.as_str()),
            (Some(1), "Cortex-A76", "4")
        );
        let vf2 = Baseline::article_visionfive2()
            .reference(KernelId::Sha1, Engine::System, ThreadMode::One, 1)
            .unwrap();
        assert!(close(row.speedup, 100.0 / vf2.mb_per_s));
        assert!(close(
            row.cycles_speedup,
            vf2.cycles_per_byte.unwrap() / 24.0
        ));
        assert_eq!(row.baseline_extrapolated, Some(false));
        assert_eq!(
            (row.thread_mode.to_string().as_str(), row.threads),
            ("1", 1)
        );
        assert_eq!(row.xz_input, "", "only xz rows name the xz input");
        assert_eq!(row.run_kind, RunKind::Quick);
        assert_eq!(
            (row.watts, row.watts_source.to_string().as_str()),
            (None, "")
        );
    }

    #[test]
    fn all_cores_count_the_cycles_of_every_core_against_an_extrapolated_baseline() {
        let topo = topo(Some(1800.0), Some(2400.0));
        let m = measurement(KernelId::Xz, ThreadMode::All, (0..8).collect(), 40.0);
        let row = row_of(&topo, None, &m);
        // 4 × 1800 + 4 × 2400 MHz over 40 MB/s.
        assert!(close(row.cycles_per_byte, 16_800.0 / 40.0), "{row:?}");
        assert_eq!(row.clock_mhz, Some(2400.0), "the fastest core's clock");
        assert_eq!(
            (row.cluster, row.cpus.as_str(), row.threads),
            (None, "0-7", 8)
        );
        // The article measured xz on one core only: its 4 cores' figure is
        // single-core × 4, and marked so.
        let vf2 = Baseline::article_visionfive2()
            .reference(KernelId::Xz, Engine::System, ThreadMode::All, 4)
            .unwrap();
        assert!(vf2.extrapolated);
        assert_eq!(row.baseline_extrapolated, Some(true));
        assert!(close(row.speedup, 40.0 / vf2.mb_per_s));
        assert!(close(
            row.cycles_speedup,
            vf2.cycles_per_byte.unwrap() / 420.0
        ));
        assert_eq!(row.xz_input, "built-in:0123abcd");
    }

    #[test]
    fn hyper_threads_share_their_cores_cycles() {
        // Two cores with two threads each, numbered as Intel does: cpu 0
        // and 2 are one core, 1 and 3 the other.
        let topo = Topology {
            online: vec![0, 1, 2, 3],
            clusters: vec![Cluster {
                index: 0,
                cpus: vec![0, 1, 2, 3],
                max_mhz: Some(3000.0),
                core_name: "x86".into(),
            }],
            physical_cores: 2,
            smt_siblings: vec![vec![0, 2], vec![1, 3]],
        };
        let m = measurement(KernelId::Sha1, ThreadMode::All, vec![0, 1, 2, 3], 60.0);
        let row = row_of(&topo, None, &m);
        // 2 cores × 3000 MHz over 60 MB/s, not 4 × 3000.
        assert!(close(row.cycles_per_byte, 100.0), "{row:?}");
        assert_eq!(topo.cores_among(&[0, 2, 3]), vec![0, 3]);
    }

    #[test]
    fn a_given_clock_wins_and_no_clock_gives_no_cycles() {
        let m = measurement(KernelId::Sha1, ThreadMode::One, vec![0], 50.0);
        let row = row_of(&topo(Some(1800.0), Some(2400.0)), Some(1000.0), &m);
        assert_eq!(
            (row.clock_mhz, row.clock_source.to_string().as_str()),
            (Some(1000.0), "user")
        );
        assert!(close(row.cycles_per_byte, 20.0));
        let row = row_of(&topo(None, None), None, &m);
        assert_eq!(
            (row.clock_mhz, row.clock_source.to_string().as_str()),
            (None, "")
        );
        assert_eq!((row.cycles_per_byte, row.cycles_speedup), (None, None));
        assert!(row.speedup.is_some(), "MB/s still compares");
        // One cluster without a clock: no partial sum for all cores.
        let all = measurement(KernelId::Sha1, ThreadMode::All, (0..8).collect(), 300.0);
        let row = row_of(&topo(Some(1800.0), None), None, &all);
        assert_eq!((row.clock_mhz, row.cycles_per_byte), (None, None));
    }

    #[test]
    fn throttling_is_recorded_and_warned_about() {
        let topo = topo(Some(1800.0), Some(2400.0));
        let mut m = measurement(KernelId::Sha1, ThreadMode::One, vec![4], 100.0);
        m.observed = Observation {
            freq_min_mhz: Some(1200.0),
            freq_max_mhz: Some(2400.0),
            temp_max_c: Some(85.0),
            throttled: Some(true),
            samples: 20,
        };
        m.clock_mhz = Some(1900.0);
        let row = row_of(&topo, None, &m);
        assert_eq!(
            (
                row.throttled,
                row.freq_min_mhz,
                row.temp_max_c,
                row.clock_measured_mhz
            ),
            (Some(true), Some(1200.0), Some(85.0), Some(1900.0))
        );
        let warnings = of_measurement(&m, &m.summary(), row.clock_mhz);
        assert!(
            warnings.contains(&Warning::Throttled {
                what: "sha1 × 1 (cpu 4)".into(),
                freq_min_mhz: Some(1200.0),
            }),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| matches!(w, Warning::ClockMismatch { measured_mhz, .. } if *measured_mhz == 1900.0)),
            "1900 MHz measured against 2400 nominal: {warnings:?}"
        );
    }

    #[test]
    fn watts_come_from_the_power_rule_and_give_the_efficiency() {
        let topo = topo(Some(1800.0), Some(2400.0));
        let m = measurement(KernelId::Xz, ThreadMode::One, vec![4], 5.0);
        let mut rows = vec![row_of(&topo, None, &m)];
        let given = Given {
            watts: PhaseWatts {
                one: Some(4.0),
                ..PhaseWatts::default()
            },
            source: WattsSource::Fixed,
            load: String::new(),
        };
        attribute(&mut rows, None, Some(&given));
        crate::compare::efficiency::derive(&mut rows, &Baseline::article_visionfive2());
        let row = &rows[0];
        assert_eq!(
            (row.watts, row.watts_source.to_string().as_str()),
            (Some(4.0), "fixed")
        );
        assert!(close(row.mb_per_s_per_w, 1.25));
        // The article's VisionFive 2: 4.66 MB/s at 10.4 W on one core.
        assert!(
            close(row.efficiency_speedup, 1.25 / (4.66 / 10.4)),
            "{row:?}"
        );
    }
}
