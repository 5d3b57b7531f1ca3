//! Deploy: the fleet of boards, and running sbcbench on them over SSH.
pub mod boards;
pub mod fleet;
pub mod forward;
pub mod ssh;

pub use boards::{Board, BoardsError};
