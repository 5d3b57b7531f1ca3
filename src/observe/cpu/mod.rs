//! Which CPUs the machine has, how they group into core classes and what
//! the cores are called.
//!
//! Results only compare across boards when we know what ran them: a
//! RK3399's two Cortex-A72 behave nothing like its four Cortex-A53, so the
//! topology is read per core class, not per machine.

mod cpuinfo;
mod list;
mod model;
mod parts;

use std::collections::BTreeSet;

use super::os::Os;
use cpuinfo::CpuInfo;
pub use list::{format_cpu_list, parse_cpu_list};
use model::core_name;
pub use model::{cpu_model, riscv_extensions, simd_features};
pub use parts::{arm_core_name, riscv_core_name};

const CPU_ROOT: &str = "/sys/devices/system/cpu";

/// A core class: CPUs of one core type (MIDR, RISC-V uarch or ids, x86
/// P/E), one cpufreq policy and one scheduler capacity. Single-core figures
/// are measured once per class. Named `Cluster` after the results column
/// `cluster`, which indexes these classes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cluster {
    /// 0.. in order of the class's first CPU.
    pub index: usize,
    /// Logical CPU ids, sorted.
    pub cpus: Vec<usize>,
    /// cpufreq `cpuinfo_max_freq` of the class in MHz; `None` without cpufreq.
    pub max_mhz: Option<f64>,
    /// "Cortex-A72", "SiFive U74", "ARM1176", or the x86 model name.
    pub core_name: String,
}

/// The online CPUs and their core classes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Topology {
    /// `/sys/devices/system/cpu/online`, parsed.
    pub online: Vec<usize>,
    pub clusters: Vec<Cluster>,
    /// Unique cores: SMT siblings count once.
    pub physical_cores: usize,
    /// The SMT sibling sets of the online CPUs, each sorted; a CPU in
    /// none is a core of its own (no SMT, or sysfs says nothing).
    pub smt_siblings: Vec<Vec<usize>>,
}

impl Topology {
    /// Reads the topology; never fails, since a machine has at least one CPU
    /// even when sysfs says nothing about it.
    pub fn read(os: &dyn Os) -> Topology {
        let info = CpuInfo::parse(&os.read("/proc/cpuinfo").unwrap_or_default());
        let online = online_cpus(os, &info);
        let groups = group_cpus(os, &online, &info);
        let hybrid = HybridX86::read(os);
        let clusters = groups
            .into_iter()
            .enumerate()
            .map(|(index, cpus)| {
                let max_mhz = cpus
                    .iter()
                    .filter_map(|&cpu| {
                        let dir = cpufreq_dir(os, cpu)?;
                        os.read_u64(&format!("{dir}/cpuinfo_max_freq"))
                    })
                    .max()
                    .map(|khz| khz as f64 / 1000.0);
                // A class is one core type: its first CPU names all of it.
                let mut core_name = core_name(os, &info, cpus[0]);
                if let Some(hybrid) = &hybrid {
                    core_name = format!("{core_name} {}", hybrid.kind(cpus[0]));
                }
                Cluster {
                    index,
                    cpus,
                    max_mhz,
                    core_name,
                }
            })
            .collect();
        let smt_siblings = smt_siblings(os, &online);
        Topology {
            online,
            clusters,
            physical_cores: smt_siblings.len().max(1),
            smt_siblings,
        }
    }

    /// One CPU per physical core among `cpus` (the first of its SMT
    /// siblings there): cycles per byte counts the cycles of cores, and
    /// two hyper-threads of one core share its cycles.
    pub fn cores_among(&self, cpus: &[usize]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        let mut seen: Vec<&Vec<usize>> = Vec::new();
        for &cpu in cpus {
            match self.smt_siblings.iter().find(|s| s.contains(&cpu)) {
                Some(set) if seen.contains(&set) => {}
                Some(set) => {
                    seen.push(set);
                    out.push(cpu);
                }
                None => out.push(cpu),
            }
        }
        out
    }

    pub fn logical_cores(&self) -> usize {
        self.online.len()
    }

    /// More than one core class: results differ depending on where a thread runs.
    pub fn heterogeneous(&self) -> bool {
        self.clusters.len() > 1
    }

    pub fn cluster_of(&self, cpu: usize) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.cpus.contains(&cpu))
    }
}

/// The directory holding CPU `cpu`'s cpufreq files: its own `cpuN/cpufreq`
/// (a symlink to the policy on real machines), else the `cpufreq/policyN`
/// whose related CPUs include it. `None` without cpufreq (VMs).
pub fn cpufreq_dir(os: &dyn Os, cpu: usize) -> Option<String> {
    let own = format!("{CPU_ROOT}/cpu{cpu}/cpufreq");
    if !os.list(&own).is_empty() {
        return Some(own);
    }
    os.list(&format!("{CPU_ROOT}/cpufreq"))
        .into_iter()
        .filter(|name| name.starts_with("policy"))
        .map(|name| format!("{CPU_ROOT}/cpufreq/{name}"))
        .find(|dir| policy_cpus(os, dir).contains(&cpu))
}

/// The CPUs that share CPU `cpu`'s clock (its cpufreq policy), itself
/// included; empty without cpufreq. A core class may be only part of it.
pub fn clock_domain(os: &dyn Os, cpu: usize) -> Vec<usize> {
    cpufreq_dir(os, cpu)
        .map(|dir| policy_cpus(os, &dir))
        .unwrap_or_default()
}

/// CPUs governed by the policy in `dir`.
pub(crate) fn policy_cpus(os: &dyn Os, dir: &str) -> Vec<usize> {
    os.read(&format!("{dir}/related_cpus"))
        .or_else(|| os.read(&format!("{dir}/affected_cpus")))
        .map(|s| parse_cpu_list(&s))
        .unwrap_or_default()
}

/// Online CPUs; falls back to `present`, `possible`, `/proc/cpuinfo` and at
/// last CPU 0, because some containers hide parts of sysfs.
fn online_cpus(os: &dyn Os, info: &CpuInfo) -> Vec<usize> {
    for file in ["online", "present", "possible"] {
        if let Some(text) = os.read(&format!("{CPU_ROOT}/{file}")) {
            let cpus = parse_cpu_list(&text);
            if !cpus.is_empty() {
                return cpus;
            }
        }
    }
    let from_info: Vec<usize> = info.per_cpu.keys().copied().collect();
    if !from_info.is_empty() {
        return from_info;
    }
    vec![0]
}

/// Groups online CPUs into core classes: CPUs alike in clock domain (a
/// shared cpufreq policy), core identity and scheduler capacity. All three
/// count, since each alone can hide a core type: DynamIQ SoCs put two core
/// types in one policy (SM8550's A715 and A710), and old 32-bit kernels
/// print one cpuinfo block for a big.LITTLE machine.
fn group_cpus(os: &dyn Os, online: &[usize], info: &CpuInfo) -> Vec<Vec<usize>> {
    if online.len() <= 1 {
        return vec![online.to_vec()];
    }
    // Per-CPU policies (intel_pstate, amd-pstate) say nothing about core
    // types; only policies spanning several CPUs are clock domains.
    let mut policies: Vec<Option<Vec<usize>>> = online
        .iter()
        .map(|&cpu| {
            let cpus = policy_cpus(os, &cpufreq_dir(os, cpu)?);
            (!cpus.is_empty()).then_some(cpus)
        })
        .collect();
    if !policies.iter().flatten().any(|p| p.len() > 1) {
        policies.iter_mut().for_each(|p| *p = None);
    }
    // The scheduler's capacity: big and little cores differ, and so do
    // clusters of one core type that the devicetree says are slower.
    let capacities: Vec<Option<u64>> = online
        .iter()
        .map(|&cpu| os.read_u64(&format!("{CPU_ROOT}/cpu{cpu}/cpu_capacity")))
        .collect();
    let hybrid = HybridX86::read(os);
    let ids: Vec<Option<String>> = online
        .iter()
        .map(|&cpu| match &hybrid {
            Some(h) => Some(h.kind(cpu).to_string()),
            None => info.identity(cpu),
        })
        .collect();
    group_by(online, |i, _| {
        Some((policies[i].clone(), ids[i].clone(), capacities[i]))
    })
}

/// Intel hybrid parts: P- and E-cores have one "model name" in cpuinfo;
/// only the perf PMUs `cpu_core` and `cpu_atom` tell them apart.
pub(crate) struct HybridX86 {
    atom: Vec<usize>,
}

impl HybridX86 {
    pub(crate) fn read(os: &dyn Os) -> Option<HybridX86> {
        let read = |pmu: &str| {
            os.read(&format!("/sys/devices/{pmu}/cpus"))
                .map(|s| parse_cpu_list(&s))
                .filter(|cpus| !cpus.is_empty())
        };
        read("cpu_core")?;
        Some(HybridX86 {
            atom: read("cpu_atom")?,
        })
    }

    /// "P-core" or "E-core".
    pub(crate) fn kind(&self, cpu: usize) -> &'static str {
        if self.atom.contains(&cpu) {
            "E-core"
        } else {
            "P-core"
        }
    }
}

/// Groups CPUs by key, groups ordered by their first CPU.
fn group_by<K: PartialEq>(
    online: &[usize],
    key: impl Fn(usize, usize) -> Option<K>,
) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Option<K>, Vec<usize>)> = Vec::new();
    for (i, &cpu) in online.iter().enumerate() {
        let k = key(i, cpu);
        match groups.iter_mut().find(|(gk, _)| *gk == k) {
            Some((_, cpus)) => cpus.push(cpu),
            None => groups.push((k, vec![cpu])),
        }
    }
    let mut groups: Vec<Vec<usize>> = groups.into_iter().map(|(_, cpus)| cpus).collect();
    for g in &mut groups {
        g.sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// The cores as their SMT sibling sets; core ids alone are ambiguous
/// (arm64 numbers them per cluster on some kernels).
fn smt_siblings(os: &dyn Os, online: &[usize]) -> Vec<Vec<usize>> {
    let mut cores: BTreeSet<Vec<usize>> = BTreeSet::new();
    for &cpu in online {
        let dir = format!("{CPU_ROOT}/cpu{cpu}/topology");
        let siblings = os
            .read(&format!("{dir}/thread_siblings_list"))
            .or_else(|| os.read(&format!("{dir}/core_cpus_list")))
            .map(|s| parse_cpu_list(&s))
            .filter(|s| s.contains(&cpu))
            .unwrap_or_else(|| vec![cpu]);
        cores.insert(siblings);
    }
    cores.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::os::testing::tree;
    use crate::observe::RecordedOs;

    /// Alder Lake: one "model name" and per-CPU intel_pstate policies; only
    /// the perf PMUs tell P- from E-cores.
    #[test]
    fn intel_hybrid_splits_p_and_e_cores() {
        let model = "12th Gen Intel(R) Core(TM) i5-1235U";
        let cpuinfo: String = (0..4)
            .map(|n| {
                format!("processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: {model}\n\n")
            })
            .collect();
        let mut files = vec![
            ("proc/cpuinfo", cpuinfo.as_str()),
            ("sys/devices/system/cpu/online", "0-3\n"),
            ("sys/devices/cpu_core/cpus", "0-1\n"),
            ("sys/devices/cpu_atom/cpus", "2-3\n"),
        ];
        let policies: Vec<(String, String)> = (0..4)
            .map(|n| {
                (
                    format!("sys/devices/system/cpu/cpu{n}/cpufreq/related_cpus"),
                    format!("{n}\n"),
                )
            })
            .collect();
        files.extend(policies.iter().map(|(p, c)| (p.as_str(), c.as_str())));
        let dir = tree(&files);
        let os = RecordedOs::new(dir.path());
        let topo = Topology::read(&os);
        let classes: Vec<_> = topo
            .clusters
            .iter()
            .map(|c| (c.cpus.clone(), c.core_name.clone()))
            .collect();
        assert_eq!(
            classes,
            vec![
                (vec![0, 1], format!("{model} P-core")),
                (vec![2, 3], format!("{model} E-core")),
            ]
        );
        assert_eq!(cpu_model(&os, &topo), model);
    }
}
