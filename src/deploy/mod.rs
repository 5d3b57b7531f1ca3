//! Deploy: the fleet of boards, and running sbcbench on them over SSH.
pub mod boards;
pub mod fleet;
pub mod phase;
pub mod power;
pub mod ssh;

pub use boards::{Board, BoardsError};
