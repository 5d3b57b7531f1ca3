//! Runs one kernel on a set of CPUs: one pinned worker thread per CPU, each
//! with private state, released together by a barrier for every sample.
//! The sample is all bytes of all threads over the common wall window
//! (earliest start to latest end), so a straggler lowers the figure instead
//! of being averaged away. Each thread's sample ends at a unit boundary of
//! its worker after `--min-time` (whole xz decodes; every step for the
//! crypto kernels): the first, or the next when that lets the threads end
//! together ([`Team::one_more`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use super::kernel::{Kernel, KernelError, Worker};
use super::stats::Sample;
use crate::observe::Os;

/// How long to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// One untimed round first, to bring clocks and caches up.
    pub warmup: Duration,
    pub min_time: Duration,
    pub samples: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub samples: Vec<Sample>,
    pub warmup: Option<Sample>,
    /// False when the OS refused to pin a thread (restricted cpuset).
    pub pinned: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Kernel(#[from] KernelError),
    #[error("interrupted")]
    Interrupted,
}

/// Clock reads are cheap on x86 but trap to firmware on some RISC-V
/// boards, so a worker reads the clock only every this often.
const CLOCK_CHECK_EVERY: Duration = Duration::from_micros(200);

#[derive(Default)]
struct Round {
    bytes: u64,
    start: Option<Instant>,
    end: Option<Instant>,
    error: Option<KernelError>,
}

/// Measures `kernel` on `cpus`, each worker pinned through `os`. `stop` is
/// the user's Ctrl-C; `on_round` is called after every round for progress
/// display, with the sample's MB/s (`None` after the warm-up).
pub fn measure(
    os: &dyn Os,
    kernel: &dyn Kernel,
    cpus: &[usize],
    timing: &Timing,
    stop: &AtomicBool,
    on_round: &mut dyn FnMut(Option<f64>),
) -> Result<Measured, RunError> {
    let warm = !timing.warmup.is_zero();
    let rounds: Vec<Duration> = warm
        .then_some(timing.warmup)
        .into_iter()
        .chain(std::iter::repeat_n(timing.min_time, timing.samples))
        .collect();
    let barrier = Barrier::new(cpus.len() + 1);
    // `abort` ends the round under way early (a worker failed, Ctrl-C);
    // `quit` is set by this thread alone, before the barrier at which the
    // workers are to leave. Leaving on `abort` instead raced a worker that
    // failed just after a round began: the one that saw it left without
    // its second barrier, and the others waited for it for ever.
    let abort = AtomicBool::new(false);
    let quit = AtomicBool::new(false);
    let slots: Vec<Mutex<Round>> = cpus.iter().map(|_| Mutex::new(Round::default())).collect();
    let busy: Vec<Busy> = cpus.iter().map(|_| Busy::default()).collect();
    let team = Team {
        epoch: Instant::now(),
        busy: &busy,
    };
    let pinned_all = AtomicBool::new(true);

    std::thread::scope(|s| {
        let handles: Vec<_> = cpus
            .iter()
            .zip(&slots)
            .enumerate()
            .map(|(me, (&cpu, slot))| {
                let (barrier, abort, quit, rounds, pinned_all, team) =
                    (&barrier, &abort, &quit, &rounds, &pinned_all, &team);
                s.spawn(move || -> Result<(), KernelError> {
                    if !os.pin_current_thread(cpu) {
                        pinned_all.store(false, Ordering::Relaxed);
                    }
                    // Made after pinning, so its memory is local to the CPU.
                    let mut worker = match kernel.worker() {
                        Ok(w) => Some(w),
                        Err(e) => {
                            lock(slot).error = Some(e);
                            None
                        }
                    };
                    for &duration in rounds {
                        barrier.wait();
                        if quit.load(Ordering::Acquire) {
                            return Ok(());
                        }
                        if let Some(w) = worker.as_mut() {
                            let round = run_round(w.as_mut(), duration, abort, stop, (team, me));
                            *lock(slot) = round;
                        }
                        barrier.wait();
                    }
                    match worker.as_mut() {
                        Some(w) => w.finish(),
                        None => Ok(()),
                    }
                })
            })
            .collect();

        let mut measured = Measured {
            samples: Vec::new(),
            warmup: None,
            pinned: true,
        };
        let mut outcome: Result<(), RunError> = Ok(());
        for (i, _) in rounds.iter().enumerate() {
            let last = i + 1 == rounds.len();
            if stop.load(Ordering::Relaxed) {
                outcome = Err(RunError::Interrupted);
                quit.store(true, Ordering::Release);
                barrier.wait();
                break;
            }
            barrier.wait();
            barrier.wait();
            let mut rounds_done: Vec<Round> = slots
                .iter()
                .map(|s| std::mem::take(&mut *lock(s)))
                .collect();
            if let Some(e) = rounds_done.iter_mut().find_map(|r| r.error.take()) {
                outcome = Err(e.into());
            } else if stop.load(Ordering::Relaxed) {
                outcome = Err(RunError::Interrupted);
            }
            if outcome.is_err() {
                if !last {
                    quit.store(true, Ordering::Release);
                    barrier.wait();
                }
                break;
            }
            let sample = combine(&rounds_done);
            if warm && i == 0 {
                measured.warmup = Some(sample);
                on_round(None);
            } else {
                on_round(Some(sample.mb_per_s()));
                measured.samples.push(sample);
            }
        }
        for h in handles {
            match h.join() {
                Ok(Err(e)) if outcome.is_ok() => outcome = Err(e.into()),
                Err(panic) => std::panic::resume_unwind(panic),
                _ => {}
            }
        }
        measured.pinned = pinned_all.load(Ordering::Relaxed);
        outcome.map(|()| measured)
    })
}

fn lock(m: &Mutex<Round>) -> std::sync::MutexGuard<'_, Round> {
    // A poisoned slot only means another worker panicked; the data is a
    // plain record and still readable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// When each thread's unit under way started, in ns since `epoch` plus
/// one; 0 when it is not in one (its round is over). Apart on their own
/// cache lines: each thread writes its own at every clock check.
#[derive(Default)]
#[repr(align(128))]
struct Busy(AtomicU64);

/// What the threads of one measurement know of each other's units, so
/// that their samples end together (see [`Team::one_more`]).
struct Team<'a> {
    epoch: Instant,
    busy: &'a [Busy],
}

impl Team<'_> {
    fn set(&self, me: usize, unit_start: Option<Instant>) {
        let ns = unit_start.map_or(0, |t| (t - self.epoch).as_nanos() as u64 + 1);
        self.busy[me].0.store(ns, Ordering::Relaxed);
    }

    /// Whether thread `me`, at a unit boundary past the deadline at `now`
    /// after a unit of its own that began at `unit_start`, should do one
    /// unit more. Threads in step end their units together; but when the
    /// deadline falls between their ends, one would stop a unit short and
    /// the others' last unit would fill the common window alone. So it
    /// goes on if another thread began its unit under way less than half
    /// a unit before this one ended: that one still has over half a unit
    /// to go (at this thread's pace), longer than one more unit here would
    /// outlast it.
    fn one_more(&self, me: usize, unit_start: Instant, now: Instant) -> bool {
        let half_unit = (now - unit_start) / 2;
        let midpoint = (unit_start + half_unit - self.epoch).as_nanos() as u64 + 1;
        self.busy
            .iter()
            .enumerate()
            .any(|(i, b)| i != me && b.0.load(Ordering::Relaxed) > midpoint)
    }
}

/// One thread's part of a round: steps until `duration` has passed and the
/// worker is at a unit boundary ([`Worker::at_boundary`]), or until
/// `abort`/`stop`, which are looked at between steps even in the middle of
/// a long unit (a 25 s decode must not hold up Ctrl-C). Past the deadline
/// it may do one unit more so that the threads end together
/// ([`Team::one_more`]).
fn run_round(
    worker: &mut dyn Worker,
    duration: Duration,
    abort: &AtomicBool,
    stop: &AtomicBool,
    (team, me): (&Team<'_>, usize),
) -> Round {
    let start = Instant::now();
    let deadline = start + duration;
    let mut bytes = 0u64;
    let mut batch = 1u32;
    let mut last = start;
    // A round starts at a boundary: the previous one ended at one.
    let mut unit_start = start;
    team.set(me, Some(start));
    // A unit ended during the batch: the next one started about now.
    let mut crossed = false;
    // Past the deadline, mid-unit: every step may be the unit's last.
    let mut overtime = false;
    let mut extra_done = false;
    // At a boundary past the deadline: stop, or start one unit more.
    let mut stop_here = |now: Instant, unit_start: &mut Instant| {
        if !extra_done && team.one_more(me, *unit_start, now) {
            extra_done = true;
            *unit_start = now;
            team.set(me, Some(now));
            return false;
        }
        team.set(me, None);
        true
    };
    let done = |bytes, end| Round {
        bytes,
        start: Some(start),
        end: Some(end),
        error: None,
    };
    loop {
        for _ in 0..batch {
            match worker.step() {
                Ok(n) => bytes += n,
                Err(e) => {
                    abort.store(true, Ordering::Release);
                    team.set(me, None);
                    return Round {
                        error: Some(e),
                        ..Round::default()
                    };
                }
            }
            if worker.at_boundary() {
                if overtime {
                    let now = Instant::now();
                    if stop_here(now, &mut unit_start) {
                        return done(bytes, now);
                    }
                } else {
                    crossed = true;
                }
            }
        }
        let now = Instant::now();
        if abort.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed) {
            team.set(me, None);
            return done(bytes, now);
        }
        // In overtime the steps above judged every boundary already.
        if now >= deadline && !overtime && worker.at_boundary() {
            // Judged on the unit that just ended, before `unit_start` moves.
            if stop_here(now, &mut unit_start) {
                return done(bytes, now);
            }
            crossed = false;
        }
        if crossed {
            crossed = false;
            unit_start = now;
            team.set(me, Some(now));
        }
        if now >= deadline {
            overtime = true;
            batch = 1;
            continue;
        }
        if now - last < CLOCK_CHECK_EVERY && batch < 1 << 16 {
            batch *= 2;
        }
        last = now;
    }
}

fn combine(rounds: &[Round]) -> Sample {
    let start = rounds.iter().filter_map(|r| r.start).min();
    let end = rounds.iter().filter_map(|r| r.end).max();
    let elapsed_ns = match (start, end) {
        (Some(s), Some(e)) => (e - s).as_nanos() as u64,
        _ => 0,
    };
    Sample {
        bytes: rounds.iter().map(|r| r.bytes).sum(),
        elapsed_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::kernel::KernelId;
    use crate::observe::os::testing::RefusesPins;
    use crate::observe::HostOs;

    /// A kernel whose cost is a fixed sleep, so the arithmetic of the
    /// runner can be checked without depending on CPU speed.
    struct Sleepy {
        fail_at: Option<u64>,
    }
    struct SleepyWorker {
        steps: u64,
        fail_at: Option<u64>,
    }
    impl Kernel for Sleepy {
        fn id(&self) -> KernelId {
            KernelId::Sha1
        }
        fn implementation(&self) -> String {
            "sleep".into()
        }
        fn verify(&self) -> Result<(), KernelError> {
            Ok(())
        }
        fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
            Ok(Box::new(SleepyWorker {
                steps: 0,
                fail_at: self.fail_at,
            }))
        }
    }
    impl Worker for SleepyWorker {
        fn step(&mut self) -> Result<u64, KernelError> {
            self.steps += 1;
            if Some(self.steps) == self.fail_at {
                return Err(KernelError::Corrupted {
                    kernel: KernelId::Sha1,
                    what: "injected".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(1));
            Ok(1000)
        }
    }

    /// A kernel with units of `UNIT_STEPS` steps whose cost varies along
    /// the unit, cheap first and dear after, like the xz corpus.
    struct Units;
    const UNIT_STEPS: u64 = 40;
    struct UnitsWorker {
        steps: u64,
    }
    impl Kernel for Units {
        fn id(&self) -> KernelId {
            KernelId::Xz
        }
        fn implementation(&self) -> String {
            "units".into()
        }
        fn verify(&self) -> Result<(), KernelError> {
            Ok(())
        }
        fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
            Ok(Box::new(UnitsWorker { steps: 0 }))
        }
    }
    impl Worker for UnitsWorker {
        fn step(&mut self) -> Result<u64, KernelError> {
            let cheap = self.steps % UNIT_STEPS < UNIT_STEPS / 4;
            self.steps += 1;
            std::thread::sleep(Duration::from_micros(if cheap { 100 } else { 1000 }));
            Ok(1000)
        }
        fn at_boundary(&self) -> bool {
            self.steps.is_multiple_of(UNIT_STEPS)
        }
    }

    #[test]
    fn a_sample_is_whole_units_ending_after_min_time() {
        let stop = AtomicBool::new(false);
        let m = measure(&HostOs, &Units, &[0, 0], &timing(), &stop, &mut |_| {}).unwrap();
        let unit = 1000 * UNIT_STEPS;
        // A unit lasts over 30 ms, more than min_time (20 ms): every
        // sample of each of the two threads is one whole unit.
        for s in m.samples.iter().chain(&m.warmup) {
            assert_eq!(s.bytes, 2 * unit, "{s:?}");
            assert!(s.elapsed_ns >= 20_000_000, "{s:?}");
        }
    }

    #[test]
    fn one_more_unit_only_when_another_thread_has_over_half_a_unit_to_go() {
        let busy: Vec<Busy> = (0..3).map(|_| Busy::default()).collect();
        let epoch = Instant::now();
        let team = Team { epoch, busy: &busy };
        let at = |ms| epoch + Duration::from_millis(ms);
        // Thread 0 ran a unit from 0 to 100 ms; its midpoint is 50 ms.
        assert!(!team.one_more(0, at(0), at(100)), "alone");
        team.set(1, Some(at(40)));
        assert!(
            !team.one_more(0, at(0), at(100)),
            "1 is over half a unit ahead"
        );
        team.set(2, Some(at(60)));
        assert!(team.one_more(0, at(0), at(100)), "2 has 60 ms to go");
        team.set(2, None);
        assert!(!team.one_more(0, at(0), at(100)), "2 is done");
        team.set(0, Some(at(90)));
        assert!(
            !team.one_more(0, at(0), at(100)),
            "its own unit does not count"
        );
    }

    /// Two threads out of step: one (units of 5 steps) ends its second
    /// unit before the deadline, the other (units of 6) just after it.
    /// Stopping there would leave the first's third unit alone at the end
    /// of the window; the second does one unit more instead.
    #[test]
    fn threads_out_of_step_end_their_samples_together() {
        struct Paces(std::sync::atomic::AtomicU64);
        struct PaceWorker {
            unit: u64,
            steps: u64,
        }
        impl Kernel for Paces {
            fn id(&self) -> KernelId {
                KernelId::Xz
            }
            fn implementation(&self) -> String {
                "paces".into()
            }
            fn verify(&self) -> Result<(), KernelError> {
                Ok(())
            }
            fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
                let unit = 5 + self.0.fetch_add(1, Ordering::Relaxed);
                Ok(Box::new(PaceWorker { unit, steps: 0 }))
            }
        }
        impl Worker for PaceWorker {
            fn step(&mut self) -> Result<u64, KernelError> {
                self.steps += 1;
                std::thread::sleep(Duration::from_millis(20));
                Ok(1)
            }
            fn at_boundary(&self) -> bool {
                self.steps.is_multiple_of(self.unit)
            }
        }
        // Units end at 100, 200, 300 ms and at 120, 240, 360 ms: at 240 ms
        // the first thread began its third unit 40 ms ago, less than half
        // a unit, so the second goes on; at 300 ms the second began its
        // third 60 ms ago, over half of the first's, so the first stops.
        let timing = Timing {
            warmup: Duration::ZERO,
            min_time: Duration::from_millis(220),
            samples: 2,
        };
        let stop = AtomicBool::new(false);
        let kernel = Paces(std::sync::atomic::AtomicU64::new(0));
        let m = measure(&HostOs, &kernel, &[0, 0], &timing, &stop, &mut |_| {}).unwrap();
        for s in &m.samples {
            assert_eq!(s.bytes, 3 * 5 + 3 * 6, "{s:?}");
        }
    }

    #[test]
    fn stop_ends_a_long_unit_at_once() {
        struct Long;
        struct LongWorker;
        impl Kernel for Long {
            fn id(&self) -> KernelId {
                KernelId::Xz
            }
            fn implementation(&self) -> String {
                "long".into()
            }
            fn verify(&self) -> Result<(), KernelError> {
                Ok(())
            }
            fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
                Ok(Box::new(LongWorker))
            }
        }
        impl Worker for LongWorker {
            fn step(&mut self) -> Result<u64, KernelError> {
                std::thread::sleep(Duration::from_millis(1));
                Ok(1)
            }
            /// A unit that never ends.
            fn at_boundary(&self) -> bool {
                false
            }
        }
        let stop = AtomicBool::new(false);
        let t0 = Instant::now();
        let err = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                stop.store(true, Ordering::Relaxed);
            });
            measure(&HostOs, &Long, &[0, 0], &timing(), &stop, &mut |_| {})
        })
        .unwrap_err();
        assert!(matches!(err, RunError::Interrupted), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    }

    fn timing() -> Timing {
        Timing {
            warmup: Duration::from_millis(5),
            min_time: Duration::from_millis(20),
            samples: 3,
        }
    }

    #[test]
    fn samples_cover_the_common_window_of_all_threads() {
        let stop = AtomicBool::new(false);
        let mut rounds = 0;
        let m = measure(
            &HostOs,
            &Sleepy { fail_at: None },
            &[0, 0],
            &timing(),
            &stop,
            &mut |_| rounds += 1,
        )
        .unwrap();
        assert_eq!(rounds, 4, "warm-up plus three samples");
        assert_eq!(m.samples.len(), 3);
        assert!(m.warmup.is_some());
        for s in &m.samples {
            assert!(s.elapsed_ns >= 20_000_000, "{s:?}");
            // Two threads each at most one step per ms.
            assert!(
                s.bytes <= 2 * 1000 * (s.elapsed_ns / 1_000_000 + 1),
                "{s:?}"
            );
            assert!(s.bytes >= 2 * 1000, "{s:?}");
        }
    }

    #[test]
    fn a_failing_worker_stops_the_measurement() {
        let stop = AtomicBool::new(false);
        let err = measure(
            &HostOs,
            &Sleepy { fail_at: Some(3) },
            &[0, 0],
            &timing(),
            &stop,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(
            matches!(err, RunError::Kernel(KernelError::Corrupted { .. })),
            "{err}"
        );
    }

    /// Workers that fail at once, racing the others' look at the abort
    /// flag after a round starts: a worker that left then, without its
    /// second barrier, used to leave the rest waiting for ever.
    #[test]
    fn workers_failing_at_once_never_deadlock_the_others() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for _ in 0..100 {
                let stop = AtomicBool::new(false);
                let result = measure(
                    &HostOs,
                    &Sleepy { fail_at: Some(1) },
                    &[0; 8],
                    &timing(),
                    &stop,
                    &mut |_| {},
                );
                assert!(matches!(result, Err(RunError::Kernel(_))));
            }
            let _ = done.send(());
        });
        assert!(
            finished.recv_timeout(Duration::from_secs(60)).is_ok(),
            "the runner deadlocked (or failed) on workers failing at once"
        );
    }

    #[test]
    fn stop_flag_interrupts() {
        let stop = AtomicBool::new(true);
        let err = measure(
            &HostOs,
            &Sleepy { fail_at: None },
            &[0],
            &timing(),
            &stop,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(err, RunError::Interrupted));
    }

    #[test]
    fn a_refused_pin_is_reported_as_not_pinned() {
        // CPU 0 exists on every machine, so only the seam can refuse it.
        let os = RefusesPins::default();
        let stop = AtomicBool::new(false);
        let m = measure(
            &os,
            &Sleepy { fail_at: None },
            &[0, 0],
            &timing(),
            &stop,
            &mut |_| {},
        )
        .unwrap();
        assert!(!m.pinned);
        assert_eq!(m.samples.len(), 3, "measured all the same");
        assert_eq!(*os.asked.lock().unwrap(), vec![0, 0]);
    }
}
