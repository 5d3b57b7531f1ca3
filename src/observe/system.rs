//! Placeholder of the system facts (replaced by the full module).
use super::cpu::{cpu_model, simd_features, Cluster, Topology};
use super::Os;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SystemFacts {
    pub board: String,
    pub arch: String,
    pub target: String,
    pub cpu_model: String,
    pub logical_cores: usize,
    pub physical_cores: usize,
    pub clusters: Vec<Cluster>,
    pub linux: String,
    pub os: String,
    pub memory_bytes: Option<u64>,
    pub version: String,
    pub git_hash: String,
    pub simd: Vec<String>,
}

impl SystemFacts {
    pub fn gather(os: &dyn Os, board_override: Option<&str>) -> SystemFacts {
        let topo = Topology::read(os);
        SystemFacts {
            board: board_override
                .map(str::to_string)
                .unwrap_or_else(|| os.hostname()),
            arch: os.machine(),
            target: env!("SBCBENCH_TARGET").to_string(),
            cpu_model: cpu_model(os, &topo),
            logical_cores: topo.logical_cores(),
            physical_cores: topo.physical_cores,
            clusters: topo.clusters.clone(),
            linux: os.read("/proc/sys/kernel/osrelease").unwrap_or_default(),
            os: "unknown".into(),
            memory_bytes: None,
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_hash: env!("SBCBENCH_GIT_HASH").to_string(),
            simd: simd_features(os),
        }
    }
}
