//! Which CPUs the machine has, how they group into clusters and what the
//! cores are called.
//!
//! Results only compare across boards when we know what ran them: a
//! RK3399's two Cortex-A72 behave nothing like its four Cortex-A53, so the
//! topology is read per cluster, not per machine.

mod cpuinfo;
mod list;
mod model;

use std::collections::BTreeSet;

use super::os::Os;
use cpuinfo::CpuInfo;
pub use list::{format_cpu_list, parse_cpu_list};
use model::core_name;
pub use model::{arm_core_name, cpu_model, riscv_core_name, riscv_extensions, simd_features};

const CPU_ROOT: &str = "/sys/devices/system/cpu";

/// CPUs that share a clock (a cpufreq policy) or at least a core type.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cluster {
    /// 0.. in order of the cluster's first CPU.
    pub index: usize,
    /// Logical CPU ids, sorted.
    pub cpus: Vec<usize>,
    /// cpufreq `cpuinfo_max_freq` of the cluster in MHz; `None` without cpufreq.
    pub max_mhz: Option<f64>,
    /// "Cortex-A72", "SiFive U74", "ARM1176", or the x86 model name.
    pub core_name: String,
}

/// The online CPUs and their clusters.
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
                let core_name = core_name(os, &info, cpus[0]);
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

    /// More than one cluster: results differ depending on where a thread runs.
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

/// Groups online CPUs into clusters, most reliable evidence first.
fn group_cpus(os: &dyn Os, online: &[usize], info: &CpuInfo) -> Vec<Vec<usize>> {
    let all = || vec![online.to_vec()];
    if online.len() <= 1 {
        return all();
    }
    // 1. A shared cpufreq policy is a shared clock: the definition of a cluster.
    //    Per-CPU policies (intel_pstate, amd-pstate) say nothing about core
    //    types, so they fall through to the next rules.
    let policies: Option<Vec<Vec<usize>>> = online
        .iter()
        .map(|&cpu| {
            let dir = cpufreq_dir(os, cpu)?;
            let cpus = policy_cpus(os, &dir);
            (!cpus.is_empty()).then_some(cpus)
        })
        .collect();
    if let Some(policies) = policies {
        if policies.iter().any(|p| p.len() > 1) {
            return group_by(online, |i, _| Some(policies[i].clone()));
        }
    }
    // 2. The scheduler's capacity differs between big and little cores. Equal
    //    capacities everywhere (x86, DTs without capacity-dmips-mhz) prove
    //    nothing, so only differing ones are used.
    let capacities: Option<Vec<u64>> = online
        .iter()
        .map(|&cpu| os.read_u64(&format!("{CPU_ROOT}/cpu{cpu}/cpu_capacity")))
        .collect();
    if let Some(caps) = capacities {
        if caps.iter().any(|&c| c != caps[0]) {
            return group_by(online, |i, _| Some(caps[i]));
        }
    }
    // 3. Intel hybrid parts name their P- and E-cores through perf PMUs.
    let core = os
        .read("/sys/devices/cpu_core/cpus")
        .map(|s| parse_cpu_list(&s));
    let atom = os
        .read("/sys/devices/cpu_atom/cpus")
        .map(|s| parse_cpu_list(&s));
    if let (Some(core), Some(atom)) = (core, atom) {
        if !core.is_empty() && !atom.is_empty() {
            return group_by(online, |_, cpu| Some(atom.contains(&cpu)));
        }
    }
    // 4. Different core identities in /proc/cpuinfo.
    let ids: Vec<Option<String>> = online.iter().map(|&cpu| info.identity(cpu)).collect();
    if ids.iter().all(|id| id.is_some()) && ids.iter().any(|id| *id != ids[0]) {
        return group_by(online, |i, _| ids[i].clone());
    }
    // 5. Nothing tells the CPUs apart (a VM without cpufreq): one cluster.
    all()
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
