//! The measured clock: a chain of dependent integer adds retires one add
//! per cycle on every core sbcbench targets (ARM1176 to Zen), so adds per
//! nanosecond is the clock the core really ran at — sbc-bench's `mhz` idea.
//! The addend is a register, not an immediate: x86 cores from Golden Cove
//! on fold chains of small-immediate adds at rename and run several per
//! cycle, which read the clock several times too high.
//! It is recorded beside the nominal (cpufreq) clock, never instead of it.

use std::sync::Barrier;
use std::time::{Duration, Instant};

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
                        measure_mhz()
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
    }
}
