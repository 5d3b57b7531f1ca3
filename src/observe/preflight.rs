//! Placeholder of the pre-run checks (replaced by the full module).
use std::time::Duration;

use super::{BusyProcess, Os, Topology};

#[derive(Debug, Clone, PartialEq)]
pub enum Preflight {
    GovernorNotPerformance { cpus: Vec<usize>, governor: String },
    BusyProcesses(Vec<BusyProcess>),
    NoCpufreq,
}

impl std::fmt::Display for Preflight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

pub fn check(_os: &dyn Os, _topo: &Topology, _busy_window: Duration) -> Vec<Preflight> {
    Vec::new()
}
