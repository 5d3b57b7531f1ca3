//! The measuring loop: every planned step in order, each timed by the
//! runner while the sampler watches its CPUs' clocks and temperature, with
//! a cooldown before it and the clock and the board's throttling reports
//! read just before and after it (around.rs). What
//! happens around a step — progress, phase lines, rows, power, saving — is
//! the caller's, through [`Observer`], so that this loop knows nothing of
//! results files or meters.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::around::{self, Around, Reason, StepWatch};
use super::plan::Step;
use super::runner::{self, Measured, RunError, Timing};
use super::{Engine, Kernel, KernelError, KernelId, Summary};
use crate::observe::sampler::max_temperature;
use crate::observe::throttle::{Evidence, Snapshot};
use crate::observe::{Observation, Os, Sampler};

/// How often the sampler reads clocks and temperatures during a step.
const SAMPLE_PERIOD: Duration = Duration::from_millis(250);

/// The run's kernels by name and engine, each checked against its known
/// answers.
pub type Kernels = HashMap<(KernelId, Engine), Arc<dyn Kernel>>;

/// One step, measured.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub step: Step,
    pub measured: Measured,
    /// Clocks, temperature and throttling seen while it ran.
    pub observed: Observation,
    /// The clock measured on the step's CPUs, all busy: the mean of the
    /// readings just before and just after the step.
    pub clock_mhz: Option<f64>,
    /// When the timed work started and ended (for a meter's window).
    pub from: Instant,
    pub to: Instant,
    /// Cooldown, clocks and the board's throttling reports around the step.
    pub around: Around,
}

impl Measurement {
    /// Every timed sample in MB/s.
    pub fn values(&self) -> Vec<f64> {
        self.measured.samples.iter().map(|s| s.mb_per_s()).collect()
    }

    /// The samples' statistics.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.values()).unwrap_or_default()
    }

    /// Why the step counts as throttled: what was seen around it, then the
    /// sampler's cpufreq verdict. Empty when nothing was seen.
    pub fn throttle_reasons(&self) -> Vec<Reason> {
        let mut reasons = self.around.reasons();
        if self.observed.throttled == Some(true) {
            reasons.push(Reason::CpufreqBelowMax);
        }
        reasons
    }

    /// `throttled`: any reason makes it true; otherwise the sampler's
    /// verdict (`None` where cpufreq cannot tell and nothing was seen).
    pub fn throttled(&self) -> Option<bool> {
        if self.throttle_reasons().is_empty() {
            self.observed.throttled
        } else {
            Some(true)
        }
    }
}

/// How a step ended, as its phase line says it (`status=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEnd {
    Ok,
    Failed,
    Interrupted,
}

impl StepEnd {
    pub fn word(self) -> &'static str {
        match self {
            StepEnd::Ok => "ok",
            StepEnd::Failed => "failed",
            StepEnd::Interrupted => "interrupted",
        }
    }
}

/// The caller's part of each step.
pub trait Observer {
    /// Before a step is timed.
    fn starting(&mut self, step: &Step);
    /// After every round of the runner: the sample's MB/s, `None` after
    /// the warm-up.
    fn round_done(&mut self, mb_per_s: Option<f64>);
    /// While waiting for the SoC to cool before `step`: the hottest sensor
    /// now, the temperature waited for, and how long it has waited.
    fn cooling(&mut self, _step: &Step, _celsius: f64, _target: f64, _waited: Duration) {}
    /// Right after a step's timing ended, before its result is handled.
    fn ended(&mut self, step: &Step, end: StepEnd);
    /// A measured step. `false` stops the loop (e.g. its row could not be
    /// saved, so nothing more should be measured).
    fn measured(&mut self, m: Measurement) -> bool;
}

/// A kernel whose output failed its check during a step.
#[derive(Debug)]
pub struct Failure {
    pub step: Step,
    pub error: KernelError,
}

impl Failure {
    /// `xz × 1 (cpu 4)`: the step, as every message names it.
    pub fn what(&self) -> String {
        self.step.key().to_string()
    }
}

/// How the loop ended.
#[derive(Debug, Default)]
pub struct Ended {
    /// Kernels dropped after failing their check; the others went on.
    pub failures: Vec<Failure>,
    /// Ctrl-C or SIGTERM: the step under way was not kept.
    pub interrupted: bool,
    /// The observer asked to stop.
    pub stopped: bool,
}

/// Measures `steps` in order with the kernels of `kernels` (each checked
/// already). A kernel whose output fails its check mid-run (a board with
/// bad RAM or an undervolted core) is not measured again; the others go on.
/// Before each step the SoC may cool down (`watch`); the clock of its CPUs
/// and the board's throttling reports are read just before and after it,
/// and compared with the clock of the same CPUs at the start of the run.
pub fn measure_steps(
    steps: &[Step],
    kernels: &Kernels,
    timing: &Timing,
    os: &Arc<dyn Os>,
    watch: &StepWatch,
    stop: &AtomicBool,
    observer: &mut dyn Observer,
) -> Ended {
    let mut ended = Ended::default();
    let run_start = Snapshot::read(&**os);
    // The clock of every set of CPUs at the start, before any heat.
    let mut references: HashMap<Vec<usize>, Option<f64>> = HashMap::new();
    for step in steps {
        if !references.contains_key(&step.cpus) {
            let mhz = around::measured_clock(&**os, &step.cpus, &mut None);
            references.insert(step.cpus.clone(), mhz);
        }
    }
    for step in steps {
        if ended
            .failures
            .iter()
            .any(|f| (f.step.kernel, f.step.engine) == (step.kernel, step.engine))
        {
            continue;
        }
        let Some(kernel) = kernels.get(&(step.kernel, step.engine)) else {
            continue;
        };
        let cooled = around::cool_down(&**os, watch, stop, &mut |t, aim, waited| {
            observer.cooling(step, t, aim, waited)
        });
        let mut seen = Around {
            temp_start_c: max_temperature(&**os),
            cooled,
            clock_reference_mhz: references.get(&step.cpus).copied().flatten(),
            ..Around::default()
        };
        let before = Snapshot::read(&**os);
        seen.clock_before_mhz =
            around::measured_clock(&**os, &step.cpus, &mut seen.clock_implausible);
        let sampler = Sampler::start(Arc::clone(os), &step.cpus, SAMPLE_PERIOD);
        observer.starting(step);
        let from = Instant::now();
        let result = runner::measure(
            &**os,
            kernel.as_ref(),
            &step.cpus,
            timing,
            stop,
            &mut |mb_per_s| observer.round_done(mb_per_s),
        );
        let to = Instant::now();
        if result.is_ok() {
            seen.clock_after_mhz =
                around::measured_clock(&**os, &step.cpus, &mut seen.clock_implausible);
            seen.evidence = Evidence::between(&run_start, &before, &Snapshot::read(&**os));
        }
        observer.ended(
            step,
            match &result {
                Ok(_) => StepEnd::Ok,
                Err(RunError::Kernel(_)) => StepEnd::Failed,
                Err(RunError::Interrupted) => StepEnd::Interrupted,
            },
        );
        let observed = sampler.stop();
        match result {
            Ok(measured) => {
                let m = Measurement {
                    step: step.clone(),
                    measured,
                    observed,
                    clock_mhz: seen.clock_mhz(),
                    from,
                    to,
                    around: seen,
                };
                if !observer.measured(m) {
                    ended.stopped = true;
                    break;
                }
            }
            Err(RunError::Interrupted) => {
                ended.interrupted = true;
                break;
            }
            Err(RunError::Kernel(error)) => ended.failures.push(Failure {
                step: step.clone(),
                error,
            }),
        }
    }
    ended
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;
    use crate::measure::kernels::{self, flaky::FailsMidRun, XzInput};
    use crate::measure::ThreadMode;
    use crate::observe::HostOs;

    /// What the loop told its observer, in order.
    #[derive(Default)]
    struct Log {
        events: Vec<String>,
        rounds: usize,
        /// Stop after this many measurements.
        keep: usize,
    }

    impl Observer for Log {
        fn starting(&mut self, step: &Step) {
            self.events.push(format!("start {}", step.key()));
        }
        fn round_done(&mut self, _mb_per_s: Option<f64>) {
            self.rounds += 1;
        }
        fn ended(&mut self, step: &Step, end: StepEnd) {
            self.events
                .push(format!("end {} {}", step.key(), end.word()));
        }
        fn measured(&mut self, m: Measurement) -> bool {
            assert!(m.from <= m.to && m.measured.samples.len() == 2);
            self.events.push(format!("row {}", m.step.key()));
            self.keep -= 1;
            self.keep > 0
        }
    }

    fn step(kernel: KernelId, mode: ThreadMode) -> Step {
        Step {
            kernel,
            engine: Engine::Builtin,
            mode,
            cluster: None,
            cpus: vec![0],
        }
    }

    fn setup() -> (Kernels, Timing, Arc<dyn Os>) {
        let input = XzInput::built_in().unwrap();
        let xz = Arc::new(FailsMidRun {
            inner: kernels::for_id(KernelId::Xz, Some(&input)).unwrap(),
            steps_left: Arc::new(AtomicU64::new(3)),
        });
        let mut by_id = Kernels::new();
        by_id.insert(
            (KernelId::Sha1, Engine::Builtin),
            kernels::for_id(KernelId::Sha1, None).unwrap(),
        );
        by_id.insert((KernelId::Xz, Engine::Builtin), xz);
        let timing = Timing {
            warmup: Duration::ZERO,
            min_time: Duration::from_millis(20),
            samples: 2,
        };
        (by_id, timing, Arc::new(HostOs))
    }

    #[test]
    fn a_failing_kernel_is_dropped_and_the_others_go_on() {
        let (kernels, timing, os) = setup();
        let steps = [
            step(KernelId::Xz, ThreadMode::One),
            step(KernelId::Sha1, ThreadMode::One),
            step(KernelId::Xz, ThreadMode::Count(1)),
            step(KernelId::Sha1, ThreadMode::Count(1)),
        ];
        let mut log = Log {
            keep: 10,
            ..Log::default()
        };
        let ended = measure_steps(
            &steps,
            &kernels,
            &timing,
            &os,
            &StepWatch::none(),
            &AtomicBool::new(false),
            &mut log,
        );
        assert_eq!(
            log.events,
            [
                "start xz × 1 (cpu 0)",
                "end xz × 1 (cpu 0) failed",
                "start sha1 × 1 (cpu 0)",
                "end sha1 × 1 (cpu 0) ok",
                "row sha1 × 1 (cpu 0)",
                "start sha1 × 1 (cpu 0)",
                "end sha1 × 1 (cpu 0) ok",
                "row sha1 × 1 (cpu 0)",
            ]
        );
        assert_eq!(ended.failures.len(), 1);
        assert_eq!(ended.failures[0].what(), "xz × 1 (cpu 0)");
        assert!(!ended.interrupted && !ended.stopped);
        assert!(log.rounds >= 4, "{}", log.rounds);
    }

    #[test]
    fn the_observer_and_a_signal_stop_the_loop() {
        let (kernels, timing, os) = setup();
        let steps = [
            step(KernelId::Sha1, ThreadMode::One),
            step(KernelId::Sha1, ThreadMode::Count(1)),
        ];
        let mut log = Log {
            keep: 1,
            ..Log::default()
        };
        let ended = measure_steps(
            &steps,
            &kernels,
            &timing,
            &os,
            &StepWatch::none(),
            &AtomicBool::new(false),
            &mut log,
        );
        assert!(ended.stopped && !ended.interrupted);
        assert_eq!(log.events.len(), 3, "{:?}", log.events);

        let mut log = Log {
            keep: 10,
            ..Log::default()
        };
        let ended = measure_steps(
            &steps,
            &kernels,
            &timing,
            &os,
            &StepWatch::none(),
            &AtomicBool::new(true),
            &mut log,
        );
        assert!(ended.interrupted && !ended.stopped);
        assert_eq!(
            log.events,
            ["start sha1 × 1 (cpu 0)", "end sha1 × 1 (cpu 0) interrupted"]
        );
    }
}
