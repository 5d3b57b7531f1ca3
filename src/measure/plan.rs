//! Which kernel runs on which CPUs, in which order.

use std::fmt;
use std::str::FromStr;

use crate::measure::kernel::{Engine, KernelId};
use crate::observe::{Cluster, Topology};

/// How many threads a measurement uses, as the user said it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ThreadMode {
    /// One thread: the single-core figure, once per core class, on the
    /// class's last CPU.
    #[default]
    One,
    /// Half the online CPUs (the article's "half the cores" power phase).
    Half,
    /// One thread per online CPU.
    All,
    /// Exactly this many threads (more than one).
    Count(usize),
}

impl FromStr for ThreadMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "1" => Ok(ThreadMode::One),
            "half" => Ok(ThreadMode::Half),
            "all" => Ok(ThreadMode::All),
            n => match n.parse::<usize>() {
                Ok(0) => Err("0 threads measure nothing; use 1, half, all or a count".into()),
                Ok(n) => Ok(ThreadMode::Count(n)),
                Err(_) => Err(format!(
                    "'{n}' is not a thread count; use 1, half, all or a number"
                )),
            },
        }
    }
}

impl fmt::Display for ThreadMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadMode::One => f.write_str("1"),
            ThreadMode::Half => f.write_str("half"),
            ThreadMode::All => f.write_str("all"),
            ThreadMode::Count(n) => write!(f, "{n}"),
        }
    }
}

crate::serde_as_string!(ThreadMode);

/// What identifies a measurement in a run: its kernel, engine, thread
/// mode and CPUs. Rows and phase lines carry it; the fleet matches them by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StepKey {
    pub kernel: KernelId,
    pub engine: Engine,
    pub mode: ThreadMode,
    pub cpus: Vec<usize>,
}

impl fmt::Display for StepKey {
    /// `xz × 1 (cpu 4)`, `sha1 (system) × all (cpu 0-3)`: how every
    /// message names a measurement.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kernel)?;
        if self.engine == Engine::System {
            f.write_str(" (system)")?;
        }
        write!(f, " × {} (cpu {})", self.mode, cpu_list(&self.cpus))
    }
}

/// One measurement to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kernel: KernelId,
    /// Whose code: sbcbench's own, or the board's tool.
    pub engine: Engine,
    pub mode: ThreadMode,
    /// The core class of a single-core step; `None` when several are used.
    pub cluster: Option<usize>,
    pub cpus: Vec<usize>,
}

impl Step {
    pub fn key(&self) -> StepKey {
        StepKey {
            kernel: self.kernel,
            engine: self.engine,
            mode: self.mode,
            cpus: self.cpus.clone(),
        }
    }
}

/// CPUs fastest cluster first, so that "half" and counts use big cores
/// before little ones.
pub fn cpus_fastest_first(topo: &Topology) -> Vec<usize> {
    let mut clusters: Vec<_> = topo.clusters.iter().collect();
    clusters.sort_by(|a, b| {
        b.max_mhz
            .unwrap_or(0.0)
            .total_cmp(&a.max_mhz.unwrap_or(0.0))
            .then(a.index.cmp(&b.index))
    });
    clusters
        .iter()
        .flat_map(|c| c.cpus.iter().copied())
        .collect()
}

/// The CPU a class's single-core figure runs on: its last. Most boards'
/// interrupts (USB, and Ethernet on the Pi 1 to 3B+) land on cpu 0, the
/// first CPU of the first class; the last one is left in peace.
pub fn single_core_cpu(class: &Cluster) -> Option<usize> {
    class.cpus.last().copied()
}

/// Checks a thread mode against the machine; the message names the flag.
pub fn validate(mode: ThreadMode, topo: &Topology) -> Result<(), String> {
    let online = topo.logical_cores();
    match mode {
        ThreadMode::Count(n) if n > online => Err(format!(
            "--threads {n}: this machine has only {online} online CPUs; use at most {online}, or 'all'"
        )),
        _ => Ok(()),
    }
}

/// The run, mode-major as in the article: every kernel on one core (once
/// per core class), then every kernel on more; each kernel in the engines
/// given, in their order.
pub fn plan(kernels: &[(KernelId, Engine)], modes: &[ThreadMode], topo: &Topology) -> Vec<Step> {
    let ordered = cpus_fastest_first(topo);
    let online = ordered.len();
    let mut steps = Vec::new();
    for &mode in modes {
        for &(kernel, engine) in kernels {
            match mode {
                ThreadMode::One => {
                    for c in &topo.clusters {
                        if let Some(cpu) = single_core_cpu(c) {
                            steps.push(Step {
                                kernel,
                                engine,
                                mode,
                                cluster: Some(c.index),
                                cpus: vec![cpu],
                            });
                        }
                    }
                }
                _ => {
                    let n = match mode {
                        ThreadMode::Half => (online / 2).max(1),
                        ThreadMode::All => online,
                        ThreadMode::Count(n) => n.min(online),
                        ThreadMode::One => 1,
                    };
                    let mut cpus = ordered[..n].to_vec();
                    cpus.sort_unstable();
                    let cluster = match topo.clusters.as_slice() {
                        [only] => Some(only.index),
                        _ => None,
                    };
                    steps.push(Step {
                        kernel,
                        engine,
                        mode,
                        cluster,
                        cpus,
                    });
                }
            }
        }
    }
    steps
}

/// "0-3,6" style, as in sysfs.
pub use crate::observe::cpu::format_cpu_list as cpu_list;

#[cfg(test)]
mod tests {
    use super::*;

    fn big_little() -> Topology {
        Topology {
            online: (0..6).collect(),
            clusters: vec![
                Cluster {
                    index: 0,
                    cpus: vec![0, 1, 2, 3],
                    max_mhz: Some(1416.0),
                    core_name: "Cortex-A53".into(),
                },
                Cluster {
                    index: 1,
                    cpus: vec![4, 5],
                    max_mhz: Some(1800.0),
                    core_name: "Cortex-A72".into(),
                },
            ],
            physical_cores: 6,
            smt_siblings: Vec::new(),
        }
    }

    #[test]
    fn parses_thread_modes() {
        assert_eq!("1".parse(), Ok(ThreadMode::One));
        assert_eq!("half".parse(), Ok(ThreadMode::Half));
        assert_eq!("3".parse(), Ok(ThreadMode::Count(3)));
        assert!("0".parse::<ThreadMode>().is_err());
        assert!("many".parse::<ThreadMode>().is_err());
    }

    #[test]
    fn single_core_runs_once_per_class_on_its_last_cpu_and_half_prefers_big_cores() {
        let topo = big_little();
        let steps = plan(
            &[(KernelId::Xz, Engine::Builtin)],
            &[ThreadMode::One, ThreadMode::Half, ThreadMode::All],
            &topo,
        );
        let cpus: Vec<_> = steps
            .iter()
            .map(|s| (s.mode, s.cluster, s.cpus.clone()))
            .collect();
        assert_eq!(
            cpus,
            vec![
                // Off cpu 0, where the interrupts are.
                (ThreadMode::One, Some(0), vec![3]),
                (ThreadMode::One, Some(1), vec![5]),
                (ThreadMode::Half, None, vec![0, 4, 5]),
                (ThreadMode::All, None, vec![0, 1, 2, 3, 4, 5]),
            ]
        );
        assert!(validate(ThreadMode::Count(7), &topo).is_err());
        assert!(validate(ThreadMode::Count(6), &topo).is_ok());
    }
}
