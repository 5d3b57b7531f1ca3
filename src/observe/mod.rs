//! Observe: what machine is this, and what is it doing while we measure?
//! Every procfs/sysfs read and every thread pinning goes through [`Os`], so
//! tests replay recorded sysfs trees (`--sysroot`).
pub mod cpu;
pub mod os;
pub mod preflight;
pub mod sampler;
pub mod system;
pub mod throttle;

pub use cpu::{Cluster, Topology};
pub use os::{BusyProcess, HostOs, Os, RecordedOs};
pub use sampler::{Observation, Sampler};
pub use system::SystemFacts;
