//! Placeholder of the CPU topology reader (replaced by the full module).
use super::Os;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cluster {
    pub index: usize,
    pub cpus: Vec<usize>,
    pub max_mhz: Option<f64>,
    pub core_name: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Topology {
    pub online: Vec<usize>,
    pub clusters: Vec<Cluster>,
    pub physical_cores: usize,
}

impl Topology {
    pub fn read(os: &dyn Os) -> Topology {
        let n = os
            .read("/sys/devices/system/cpu/online")
            .and_then(|s| {
                s.rsplit(['-', ','])
                    .next()
                    .and_then(|x| x.parse::<usize>().ok())
            })
            .map(|last| last + 1)
            .unwrap_or(1);
        let max_mhz = os
            .read_u64("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
            .map(|khz| khz as f64 / 1000.0);
        Topology {
            online: (0..n).collect(),
            clusters: vec![Cluster {
                index: 0,
                cpus: (0..n).collect(),
                max_mhz,
                core_name: "unknown".into(),
            }],
            physical_cores: n,
        }
    }
    pub fn logical_cores(&self) -> usize {
        self.online.len()
    }
    pub fn heterogeneous(&self) -> bool {
        self.clusters.len() > 1
    }
    pub fn cluster_of(&self, cpu: usize) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.cpus.contains(&cpu))
    }
}

pub fn cpu_model(os: &dyn Os, _topo: &Topology) -> String {
    os.read("/proc/cpuinfo")
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

pub fn simd_features(_os: &dyn Os) -> Vec<String> {
    Vec::new()
}
