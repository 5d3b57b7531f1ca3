//! Placeholder of the background sampler (replaced by the full module).
use std::sync::Arc;
use std::time::Duration;

use super::Os;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Observation {
    pub freq_min_mhz: Option<f64>,
    pub freq_max_mhz: Option<f64>,
    pub temp_max_c: Option<f64>,
    pub throttled: Option<bool>,
    pub samples: usize,
}

pub struct Sampler;

impl Sampler {
    pub fn start(_os: Arc<dyn Os>, _cpus: &[usize], _period: Duration) -> Sampler {
        Sampler
    }
    pub fn stop(self) -> Observation {
        Observation::default()
    }
}
