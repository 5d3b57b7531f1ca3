//! Deploy: the fleet of boards, and running sbcbench on them over SSH.
//!
//! - `boards`: boards.toml, every board checked before any connection.
//! - `inventory`: an Ansible inventory, read by `ansible-inventory`, as the
//!   board list, with `--limit`.
//! - `command`: `run` or `sweep` on the boards, and what a sweep leaves out.
//! - `plan`: boards × binaries × arguments, and what `--dry-run` prints.
//! - `remote`: the commands run on a board, every value quoted.
//! - `ssh`: the ssh client, run with an argument vector, and its failures.
//! - `mux`: one master connection per board, which every command shares.
//! - `pool`: `--jobs` boards at a time, their output in one piece per write.
//! - `session`: one board from connection to clean-up, and its outcome.
//! - `status`: each board's state as it goes, for a live status line.
//! - `framing`: the results files a board sends back, split and checked.
//! - `forward`: a board's output, prefixed, with its control lines taken
//!   out (their format and what a meter here makes of them: `power`).
pub mod boards;
pub mod command;
pub mod forward;
pub mod framing;
pub mod inventory;
pub mod mux;
pub mod plan;
pub mod pool;
mod remote;
pub mod session;
pub mod ssh;
pub mod status;

pub use boards::{Board, BoardsError};
