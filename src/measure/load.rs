//! A sustained load on chosen CPUs, for the power phases: the user (or a
//! meter) reads the board's power while it runs.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::kernel::{Kernel, KernelId};
use crate::observe::Os;

/// What keeps the cores busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadKind {
    /// One of the kernels, so the power matches what it measured.
    Kernel(KernelId),
    /// The article's shell busy loop: integer work, no memory traffic.
    #[default]
    Spin,
}

impl FromStr for LoadKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "spin" {
            return Ok(LoadKind::Spin);
        }
        KernelId::from_name(s)
            .map(LoadKind::Kernel)
            .ok_or_else(|| format!("unknown load '{s}'; use xz, sha1, chacha20-poly1305 or spin"))
    }
}

impl fmt::Display for LoadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadKind::Kernel(k) => f.write_str(k.name()),
            LoadKind::Spin => f.write_str("spin"),
        }
    }
}

/// Running load threads; dropping the value stops and joins them.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    /// Starts one thread per CPU, pinned through `os`. `kernel` is required
    /// for a kernel load (its known answers must already have been checked).
    pub fn start(
        os: Arc<dyn Os>,
        kind: LoadKind,
        cpus: &[usize],
        kernel: Option<Arc<dyn Kernel>>,
    ) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = cpus
            .iter()
            .map(|&cpu| {
                let stop = Arc::clone(&stop);
                let kernel = kernel.clone();
                let os = Arc::clone(&os);
                std::thread::spawn(move || {
                    os.pin_current_thread(cpu);
                    match (kind, kernel.and_then(|k| k.worker().ok())) {
                        (LoadKind::Kernel(_), Some(mut worker)) => {
                            while !stop.load(Ordering::Relaxed) {
                                if worker.step().is_err() {
                                    break;
                                }
                            }
                        }
                        _ => spin(&stop),
                    }
                })
            })
            .collect();
        Load { stop, threads }
    }

    pub fn threads(&self) -> usize {
        self.threads.len()
    }
}

fn spin(stop: &AtomicBool) {
    let mut x = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::kernels::Sha1;
    use crate::observe::os::testing::RefusesPins;
    use crate::observe::HostOs;

    #[test]
    fn load_runs_until_dropped() {
        let load = Load::start(
            Arc::new(HostOs),
            LoadKind::Kernel(KernelId::Sha1),
            &[0, 0],
            Some(Arc::new(Sha1)),
        );
        assert_eq!(load.threads(), 2);
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(load); // joins: a hang here fails the test run
        let spin = Load::start(Arc::new(HostOs), LoadKind::Spin, &[0], None);
        drop(spin);
        // Pinned through the seam: joined on drop, so both have asked.
        let refusing = Arc::new(RefusesPins::default());
        let os: Arc<dyn Os> = Arc::<RefusesPins>::clone(&refusing);
        drop(Load::start(os, LoadKind::Spin, &[0, 1], None));
        let mut asked = refusing.asked.lock().unwrap().clone();
        asked.sort_unstable();
        assert_eq!(asked, vec![0, 1]);
        assert_eq!("spin".parse(), Ok(LoadKind::Spin));
        assert_eq!("xz".parse(), Ok(LoadKind::Kernel(KernelId::Xz)));
        assert!("idle".parse::<LoadKind>().is_err());
    }
}
