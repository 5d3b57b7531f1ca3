//! Measure: the kernels, how they are timed, and the statistics of it.
pub mod clock;
pub mod corpus;
pub mod kernel;
pub mod kernels;
pub mod load;
pub mod plan;
pub mod runner;
pub mod session;
pub mod stats;

pub use kernel::{Kernel, KernelError, KernelId, Worker};
pub use plan::{Step, StepKey, ThreadMode};
pub use runner::{Measured, RunError, Timing};
pub use stats::{Sample, Summary};
