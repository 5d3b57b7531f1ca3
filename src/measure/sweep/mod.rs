//! The sweep's foundation (issue 18): which clock steps a cpufreq policy
//! has (`steps`), how a class's clock is locked to one (`lock`), the
//! journal that undoes every lock even after a kill (`journal`), and the
//! refusal before any write without root or cpufreq (`preflight`).
//! Pure planning and sysfs writes through [`Os`]; measuring is elsewhere.

pub mod classes;
pub mod journal;
pub mod lock;
pub mod preflight;
pub mod steps;
pub mod verify;

use crate::observe::cpu::parse_cpu_list;
use crate::observe::Os;

pub use classes::{plan_classes, ClassPlan};
pub use journal::{pending, restore_pending, Guard, Journal, JOURNAL};
pub use lock::Method;
pub use steps::{Selection, Steps};

/// What can go wrong before, during or after a lock.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Nothing was written: no root, no cpufreq, a policy that cannot be
    /// locked. The command exits 2 on this.
    #[error("{0}")]
    Refused(String),
    #[error("could not write {value} to {path}: {source}")]
    Write {
        path: String,
        value: String,
        source: std::io::Error,
    },
    #[error("cpufreq journal {path}: {message}")]
    Journal { path: String, message: String },
    /// Some files could not be put back; the journal stays for a re-run.
    #[error("could not restore cpufreq ({}); the journal {journal} stays, and the next sweep restores it", failures.join("; "))]
    Restore {
        failures: Vec<String>,
        journal: String,
    },
}

/// Where the kernel lists cpufreq policies.
pub const CPUFREQ_ROOT: &str = "/sys/devices/system/cpu/cpufreq";

/// One cpufreq policy: a set of CPUs sharing a clock. The sweep writes
/// only here, never to `cpuN/cpufreq` (the same files on a real machine,
/// copies in a recorded tree).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `/sys/devices/system/cpu/cpufreq/policyN`.
    pub dir: String,
    pub cpus: Vec<usize>,
}

impl Policy {
    /// The absolute path of one of the policy's files.
    pub fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }
}

/// The machine's cpufreq policies, in the kernel's order of their first
/// CPU; empty without cpufreq (VMs, kernels without `CPU_FREQ`).
pub fn policies(os: &dyn Os) -> Vec<Policy> {
    let mut out: Vec<Policy> = os
        .list(CPUFREQ_ROOT)
        .into_iter()
        .filter(|name| name.starts_with("policy"))
        .map(|name| {
            let dir = format!("{CPUFREQ_ROOT}/{name}");
            let cpus = os
                .read(&format!("{dir}/related_cpus"))
                .or_else(|| os.read(&format!("{dir}/affected_cpus")))
                .map(|s| parse_cpu_list(&s))
                .unwrap_or_default();
            Policy { dir, cpus }
        })
        .collect();
    out.sort_by_key(|p| p.cpus.first().copied().unwrap_or(usize::MAX));
    out
}

/// The policies that clock any of `cpus` (one core class: one policy on
/// Arm boards, one per CPU under intel_pstate).
pub fn policies_of(os: &dyn Os, cpus: &[usize]) -> Vec<Policy> {
    policies(os)
        .into_iter()
        .filter(|p| p.cpus.iter().any(|c| cpus.contains(c)))
        .collect()
}

#[cfg(test)]
pub(crate) mod fixtures {
    use std::path::{Path, PathBuf};

    use crate::observe::RecordedOs;

    /// A recorded tree copied to a temporary directory, so the sweep can
    /// write to it; the directory goes when the returned guard drops.
    pub fn copy(name: &str) -> (tempfile::TempDir, RecordedOs) {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sysfs")
            .join(name);
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&from, dir.path());
        let os = RecordedOs::new(dir.path());
        (dir, os)
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    /// Every file under `dir` with its bytes, for before/after comparisons.
    pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        walk(dir, &mut out);
        out.sort();
        out
    }

    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_policies_of_each_recorded_tree() {
        let (_d, os) = fixtures::copy("rk3399");
        let all = policies(&os);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].dir, format!("{CPUFREQ_ROOT}/policy0"));
        assert_eq!(all[1].cpus, vec![4, 5]);
        assert_eq!(policies_of(&os, &[4, 5]), vec![all[1].clone()]);
        let (_d, os) = fixtures::copy("x86-pc");
        assert_eq!(policies(&os).len(), 12);
        assert_eq!(policies(&os)[10].cpus, vec![10]);
        let (_d, os) = fixtures::copy("vm-nocpufreq");
        assert!(policies(&os).is_empty());
    }
}
