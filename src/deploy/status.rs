//! What each board is doing, told as it happens, so that `fleet` is not
//! silent for minutes while boards run. Deploy only says what happens
//! ([`Watch`]); how it is shown (a line redrawn per board, or timestamped
//! lines) is rendering, in export/fleet.rs, which deploy may not import.

use std::time::Duration;

use super::ssh::{emit, Stream};
use crate::power::events::PhaseEvent;

/// The result of one board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Unreachable,
    AuthFailed,
    UnknownHostKey,
    HostKeyChanged,
    UnknownArch,
    NoBinary,
    RunFailed,
    Timeout,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Unreachable => "unreachable",
            Status::AuthFailed => "auth failed",
            Status::UnknownHostKey => "unknown host key",
            Status::HostKeyChanged => "host key changed",
            Status::UnknownArch => "unknown arch",
            Status::NoBinary => "no binary for target",
            Status::RunFailed => "run failed",
            Status::Timeout => "timeout",
        })
    }
}

/// A board's state, in the order a session goes through them.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardState {
    Connecting,
    Uploading,
    /// The remote run is going. `step`: what the board last said it
    /// started (a `step` line, or a `phase start` with a meter); `started`:
    /// how many measurements it has started so far.
    Running {
        step: Option<PhaseEvent>,
        started: usize,
    },
    Fetching,
    Done {
        rows: usize,
        took: Duration,
    },
    Failed {
        status: Status,
        took: Duration,
    },
}

/// Receives a fleet's state changes and every board's output. Called from
/// the worker threads, one per running board.
pub trait Watch: Sync {
    /// `board` entered `state`.
    fn state(&self, board: &str, state: &BoardState);
    /// Text from or about `board`, already prefixed with `[board] `: the
    /// remote run's output (its table, warnings) and the session's own
    /// messages. Whole lines, except with `live`: a run with a terminal
    /// (`--power ask`), whose prompt must be shown at once, unbuffered.
    fn detail(&self, board: &str, stream: Stream, text: &str, live: bool);
}

/// No status: each board's output printed as it arrives.
pub struct Plain;

impl Watch for Plain {
    fn state(&self, _: &str, _: &BoardState) {}

    fn detail(&self, _: &str, stream: Stream, text: &str, _: bool) {
        emit(stream, text);
    }
}
