//! Deploy: the fleet of boards, and running sbcbench on them over SSH.
//!
//! - `boards`: boards.toml, every board checked before any connection.
//! - `plan`: boards × binaries × arguments, and what `--dry-run` prints.
//! - `remote`: the commands run on a board, every value quoted.
//! - `ssh`: the ssh client, run with an argument vector, and its failures.
//! - `pool`: `--jobs` boards at a time, their output in one piece per write.
//! - `session`: one board from connection to clean-up, and its outcome.
//! - `framing`: the results files a board sends back, split and checked.
//! - `phase`: the run's phase events, read from its output.
//! - `power`: this machine's meter readings given to the fetched rows.
pub mod boards;
pub mod framing;
pub mod phase;
pub mod plan;
pub mod pool;
pub mod power;
mod remote;
pub mod session;
pub mod ssh;

pub use boards::{Board, BoardsError};
