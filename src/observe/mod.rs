//! Observe: what machine is this, and what is it doing while we measure?
pub mod os;

pub use os::{BusyProcess, HostOs, Os, RecordedOs};
