//! The measured clock: a chain of dependent integer adds retires one add
//! per cycle on every core sbcbench targets (ARM1176 to Zen), so adds per
//! nanosecond is the clock the core really ran at — sbc-bench's `mhz` idea.
//! The addend is a register, not an immediate: x86 cores from Golden Cove
//! on fold chains of small-immediate adds at rename and run several per
//! cycle, which read the clock several times too high.
//! It is recorded beside the nominal (cpufreq) clock, never instead of it.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::observe::cpu::cpufreq_dir;
use crate::observe::Os;

/// Adds per call of [`add_chain`].
const ADDS: u64 = 1024;

/// Runs `ADDS` dependent adds `iterations` times.
#[inline(never)]
fn add_chain(iterations: u64) -> bool {
    // usize: the native register, so 32-bit ARM runs the same chain; the
    // check wraps the same way the adds do.
    let mut x: usize = 0;
    for _ in 0..std::hint::black_box(iterations) {
        x = chain(x);
    }
    x == (iterations * ADDS) as usize
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn chain(mut x: usize) -> usize {
    // SAFETY: register arithmetic on `x` only. Not marked `pure`/`nomem`
    // on purpose: the compiler must not move it across the clock reads.
    unsafe {
        std::arch::asm!(".rept 1024", "add {x}, {one}", ".endr", x = inout(reg) x, one = in(reg) 1usize, options(nostack));
    }
    x
}

#[cfg(target_arch = "aarch64")]
#[inline(always)]
fn chain(mut x: usize) -> usize {
    // SAFETY: as above, register arithmetic only.
    unsafe {
        std::arch::asm!(".rept 1024", "add {x}, {x}, {one}", ".endr", x = inout(reg) x, one = in(reg) 1usize, options(nostack));
    }
    x
}

#[cfg(target_arch = "riscv64")]
#[inline(always)]
fn chain(mut x: usize) -> usize {
    // SAFETY: as above, register arithmetic only.
    unsafe {
        std::arch::asm!(".rept 1024", "add {x}, {x}, {one}", ".endr", x = inout(reg) x, one = in(reg) 1usize, options(nostack));
    }
    x
}

#[cfg(target_arch = "arm")]
#[inline(always)]
fn chain(mut x: usize) -> usize {
    // SAFETY: as above, register arithmetic only.
    unsafe {
        std::arch::asm!(".rept 1024", "add {x}, {x}, {one}", ".endr", x = inout(reg) x, one = in(reg) 1usize, options(nostack));
    }
    x
}

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "arm"
)))]
fn chain(_x: usize) -> usize {
    unreachable!("measured clock is not supported on this architecture")
}

/// Whether this build can measure the clock at all.
pub const SUPPORTED: bool = cfg!(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "arm"
));

/// The clock of the calling thread's CPU in MHz: the best of several
/// short runs, since interference can only slow the chain down.
pub fn measure_mhz() -> Option<f64> {
    if !SUPPORTED {
        return None;
    }
    // Grow the run until it lasts at least 4 ms (clock granularity and
    // timer-read cost become negligible), then take the best of 7.
    let mut iterations = 64u64;
    loop {
        let t = Instant::now();
        if !add_chain(iterations) {
            return None;
        }
        if t.elapsed() >= Duration::from_millis(4) || iterations >= 1 << 24 {
            break;
        }
        iterations *= 2;
    }
    let mut best = 0f64;
    for _ in 0..7 {
        let t = Instant::now();
        if !add_chain(iterations) {
            return None;
        }
        let ns = t.elapsed().as_nanos() as f64;
        best = best.max((iterations * ADDS) as f64 / ns * 1e3);
    }
    Some(best)
}

/// The mean clock of `cpus` while all of them run the chain at once: with
/// several cores busy, boost clocks drop, and that is the clock the
/// all-cores rows ran at. Each thread is pinned through `os`; `None` when
/// one cannot be.
pub fn measure_mhz_on(os: &dyn Os, cpus: &[usize]) -> Option<f64> {
    on_cpus(os, cpus, measure_mhz)
}

/// How long [`quick_mhz_on`] runs: timer reads cost nothing beside a
/// 0.5 ms chunk, and two of these add nothing noticeable to a step.
const QUICK_WINDOW: Duration = Duration::from_millis(4);
const QUICK_CHUNK: Duration = Duration::from_micros(500);

/// The calling thread's clock from the best 0.5 ms chunk within about
/// 4 ms (the chunk grows to 0.5 ms first, which warms the core up).
fn quick_mhz() -> Option<f64> {
    if !SUPPORTED {
        return None;
    }
    let start = Instant::now();
    let mut iterations = 16u64;
    let mut best = 0f64;
    loop {
        let t = Instant::now();
        if !add_chain(iterations) {
            return None;
        }
        let elapsed = t.elapsed();
        if elapsed >= QUICK_CHUNK {
            let mhz = (iterations * ADDS) as f64 / elapsed.as_nanos() as f64 * 1e3;
            best = best.max(mhz);
        } else if iterations < 1 << 24 {
            iterations *= 2;
        }
        if start.elapsed() >= QUICK_WINDOW && best > 0.0 {
            return Some(best);
        }
    }
}

/// [`measure_mhz_on`] in about 4 ms: the clock of a step's CPUs just
/// before and just after it, all of them released together so that
/// their windows overlap and each runs at the all-busy clock.
pub fn quick_mhz_on(os: &dyn Os, cpus: &[usize]) -> Option<f64> {
    on_cpus(os, cpus, quick_mhz)
}

fn on_cpus(os: &dyn Os, cpus: &[usize], measure: fn() -> Option<f64>) -> Option<f64> {
    if cpus.is_empty() || !SUPPORTED {
        return None;
    }
    let barrier = Barrier::new(cpus.len());
    let results: Vec<Option<f64>> = std::thread::scope(|s| {
        let handles: Vec<_> = cpus
            .iter()
            .map(|&cpu| {
                let barrier = &barrier;
                s.spawn(move || {
                    let pinned = os.pin_current_thread(cpu);
                    barrier.wait();
                    if pinned {
                        measure()
                    } else {
                        None
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let ok: Vec<f64> = results.into_iter().flatten().collect();
    if ok.len() != cpus.len() {
        return None;
    }
    Some(ok.iter().sum::<f64>() / ok.len() as f64)
}

/// A measured clock this far above every `cpuinfo_max_freq` of the CPUs
/// is not believed: the chain or the timer misread, or the tree is another
/// machine's (`--sysroot`).
pub const IMPLAUSIBLE_ABOVE: f64 = 1.10;

/// The cpufreq ceiling `mhz` exceeds by more than [`IMPLAUSIBLE_ABOVE`],
/// or `None` when it is plausible or cannot be checked: a CPU without
/// cpufreq, or boost enabled (acpi-cpufreq's `cpuinfo_max_freq` is then
/// the base clock, and the cores really run above it).
pub fn implausible(os: &dyn Os, cpus: &[usize], mhz: f64) -> Option<f64> {
    if os.read("/sys/devices/system/cpu/cpufreq/boost").as_deref() == Some("1") {
        return None;
    }
    let mut ceiling: Option<u64> = None;
    for &cpu in cpus {
        let dir = cpufreq_dir(os, cpu)?;
        if os.read(&format!("{dir}/boost")).as_deref() == Some("1") {
            return None;
        }
        let khz = os
            .read_u64(&format!("{dir}/cpuinfo_max_freq"))
            .filter(|&k| k > 0)?;
        ceiling = Some(ceiling.map_or(khz, |c| c.max(khz)));
    }
    let ceiling = ceiling? as f64 / 1000.0;
    (mhz > ceiling * IMPLAUSIBLE_ABOVE).then_some(ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_really_adds() {
        assert!(add_chain(3));
    }

    #[test]
    fn measured_clock_is_plausible() {
        // Any real core runs between 100 MHz and 10 GHz; an emulator may be
        // anywhere, so only require a positive figure there.
        let mhz = measure_mhz().expect("supported on the test machine");
        assert!(mhz > 0.0 && mhz < 10_000.0, "{mhz}");
    }

    #[test]
    fn no_clock_where_a_thread_cannot_be_pinned() {
        let os = crate::observe::os::testing::RefusesPins::default();
        assert_eq!(measure_mhz_on(&os, &[0]), None);
        assert_eq!(*os.asked.lock().unwrap(), vec![0]);
        assert_eq!(quick_mhz_on(&os, &[0]), None);
    }

    /// How long it takes is a benchmark's business (docs/benchmarks.md),
    /// not a test's: other tests share the cores. Only the figure is
    /// checked, loosely, against the careful measurement.
    #[test]
    fn the_quick_clock_agrees_with_the_careful_one() {
        let os = crate::observe::HostOs;
        // Its 4 ms window can be taken whole by another test's thread on
        // a busy machine: the best of a few is what the clock can reach.
        let quick = (0..5)
            .map(|_| quick_mhz_on(&os, &[0]).expect("supported here"))
            .fold(0.0, f64::max);
        let careful = measure_mhz_on(&os, &[0]).expect("supported here");
        assert!(
            quick > 0.25 * careful && quick < 4.0 * careful,
            "{quick} vs {careful}"
        );
    }

    #[test]
    fn a_clock_far_above_cpuinfo_max_freq_is_implausible_unless_boosting() {
        use crate::observe::os::testing::tree;
        let p = "sys/devices/system/cpu/cpufreq/policy0";
        let dir = tree(&[
            (&format!("{p}/related_cpus")[..], "0 1"),
            (&format!("{p}/cpuinfo_max_freq")[..], "1800000"),
        ]);
        let os = crate::observe::RecordedOs::new(dir.path());
        assert_eq!(implausible(&os, &[0, 1], 1950.0), None, "within 10 %");
        assert_eq!(implausible(&os, &[0, 1], 3700.0), Some(1800.0));
        assert_eq!(implausible(&os, &[0, 5], 3700.0), None, "cpu 5: no cpufreq");
        std::fs::write(dir.path().join(p).join("boost"), "1").unwrap();
        assert_eq!(
            implausible(&os, &[0, 1], 3700.0),
            None,
            "boost above the base clock"
        );
    }
}
