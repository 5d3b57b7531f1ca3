//! For tests: a real kernel whose output stops matching after a number of
//! chunks — what a board with flaky RAM does mid-run, which verified
//! inputs never do here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::measure::{Kernel, KernelError, KernelId, Worker};

pub struct FailsMidRun {
    pub inner: Arc<dyn Kernel>,
    /// Chunks left before every worker of this kernel fails.
    pub steps_left: Arc<AtomicU64>,
}

impl Kernel for FailsMidRun {
    fn id(&self) -> KernelId {
        self.inner.id()
    }
    fn implementation(&self) -> String {
        self.inner.implementation()
    }
    fn verify(&self) -> Result<(), KernelError> {
        self.inner.verify()
    }
    fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
        Ok(Box::new(FailingWorker {
            inner: self.inner.worker()?,
            steps_left: Arc::clone(&self.steps_left),
            id: self.inner.id(),
        }))
    }
}

struct FailingWorker {
    inner: Box<dyn Worker>,
    steps_left: Arc<AtomicU64>,
    id: KernelId,
}

impl Worker for FailingWorker {
    fn step(&mut self) -> Result<u64, KernelError> {
        let left = self.steps_left.fetch_sub(1, Ordering::Relaxed);
        if left == 0 || left > u64::MAX / 2 {
            self.steps_left.store(0, Ordering::Relaxed);
            return Err(KernelError::Corrupted {
                kernel: self.id,
                what: "a pass produced 3 bytes too few".to_string(),
            });
        }
        self.inner.step()
    }
}
