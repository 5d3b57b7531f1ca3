//! Deploy: the fleet of boards, and running sbcbench on them over SSH.
pub mod boards;

pub use boards::{Board, BoardsError};
