//! Measure: the kernels (one file each behind `Kernel`/`Worker`, checked
//! before timing), the runner that times them on pinned threads, the
//! measuring loop over a run's steps (`session.rs`), the plan, statistics,
//! the measured clock, what happens around each step (`around.rs`), the `--power ask` loads
//! and the sweep's clock steps, locks and journal (`sweep/`).
pub mod around;
pub mod clock;
pub mod corpus;
pub mod kernel;
pub mod kernels;
pub mod load;
pub mod plan;
pub mod runner;
pub mod session;
pub mod stats;
pub mod sweep;
pub mod tool;

pub use kernel::{Engine, Kernel, KernelError, KernelId, Worker};
pub use plan::{Step, StepKey, ThreadMode};
pub use runner::{Measured, RunError, Timing};
pub use stats::{Sample, Summary};
