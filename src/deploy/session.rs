//! One board's session: connect, find its target, upload and check the
//! binary, run, fetch the results, clean up. Every step's failure becomes
//! a [`Status`] with what to do; the temp directory on the board is
//! removed whatever happened (`RemoteDir`'s `Drop`). The steps
//! themselves are in `steps`.

mod steps;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::mux::Master;
use super::plan::{has_flag, Plan};
use super::remote::{cleanup_cmd, kill_cmd};
use super::ssh::{self, classify, Ended, Finished, Input, Remote, Ssh, SshFailure, Stream};
use super::status::{BoardState, Status, Watch};
use super::Board;
use crate::observe::Os;
use crate::power::events::PhaseLog;
use crate::power::meter::{Meter, MeterSpec, Monitor};

/// A board's meter on this machine, opened before any connection, with
/// the `Os` it is reopened on when it fails.
pub type BoardMeter = (MeterSpec, Box<dyn Meter>, Arc<dyn Os>);

/// What happened on one board.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub board: String,
    pub status: Status,
    /// Why it failed and what to do; also warnings of an `ok` board.
    pub detail: Option<String>,
    pub duration: Duration,
    pub rows: usize,
    /// Of `rows`, those of the board's own tools (`engine=system`).
    pub system_rows: usize,
    pub saved: Vec<PathBuf>,
    pub phases: PhaseLog,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
}

impl Outcome {
    /// A board's outcome before anything was fetched.
    pub fn new(board: &str, status: Status, detail: Option<String>) -> Outcome {
        Outcome {
            board: board.to_string(),
            status,
            detail,
            duration: Duration::ZERO,
            rows: 0,
            system_rows: 0,
            saved: Vec::new(),
            phases: PhaseLog::default(),
            interrupted: false,
        }
    }
}

/// Why a board stopped.
#[derive(Debug)]
struct Fail {
    status: Status,
    detail: String,
    interrupted: bool,
    /// ssh never reached the board: nothing of this session is there.
    never_connected: bool,
}

impl Fail {
    fn new(status: Status, detail: impl Into<String>) -> Fail {
        Fail {
            status,
            detail: detail.into(),
            interrupted: false,
            never_connected: false,
        }
    }
}

/// Never set: for the clean-up, which runs even after Ctrl-C.
static NEVER: AtomicBool = AtomicBool::new(false);

/// How long clean-up (and fetching after a timeout) may take.
const GRACE: Duration = Duration::from_secs(30);

/// One board's connection settings and messages.
struct Session<'a> {
    board: &'a Board,
    plan: &'a Plan,
    ssh: Ssh,
    stop: &'a AtomicBool,
    deadline: Instant,
    prefix: String,
    watch: &'a dyn Watch,
    /// The board's master connection, when up.
    master: Mutex<Option<Master>>,
    /// Why the master connection ended before the session, once seen.
    master_lost: Mutex<Option<String>>,
}

impl Session<'_> {
    fn say(&self, text: &str) {
        self.watch.detail(
            &self.board.name,
            Stream::Err,
            &format!("{}{text}\n", self.prefix),
            false,
        );
    }

    fn state(&self, state: BoardState) {
        self.watch.state(&self.board.name, &state);
    }

    /// A short command: output captured, ssh's own messages shown after.
    fn call(
        &self,
        remote: &Remote,
        input: Input,
        what: &str,
        deadline: Instant,
        stop: &AtomicBool,
    ) -> Result<Finished, Fail> {
        self.check_master();
        let args = self.ssh.args(remote, false);
        let f = ssh::run(
            "ssh",
            &args,
            ssh::Run {
                input,
                capture_stdout: true,
                own_group: true,
                deadline,
                stop,
                on_output: &mut |_, _, _| {},
            },
        )
        .map_err(|e| {
            Fail::new(
                Status::Unreachable,
                format!("cannot start ssh ({e}); install the OpenSSH client (Debian: apt-get install openssh-client)"),
            )
        })?;
        match &f.ended {
            Ended::TimedOut => Err(self.timed_out(what)),
            Ended::Interrupted => Err(interrupted(what)),
            Ended::Exited(s) if s.success() => {
                for line in f.stderr_text().lines().filter(|l| !l.trim().is_empty()) {
                    self.say(line.trim_end());
                }
                Ok(f)
            }
            Ended::Exited(s) if s.code() == Some(255) => Err(self.ssh_failed(&f.stderr_text())),
            Ended::Exited(s) => Err(Fail::new(
                Status::RunFailed,
                format!("{what} failed on the board ({s}){}", tail(&f.stderr_text())),
            )),
        }
    }

    /// Reports, once, a master connection that ended: the commands after
    /// it connect on their own.
    fn check_master(&self) {
        let ended = lock(&self.master).as_mut().and_then(Master::ended);
        if let Some(why) = ended {
            self.say(&format!(
                "warning: the shared ssh connection ended ({why}); later commands connect on their own"
            ));
            *lock(&self.master_lost) = Some(why);
        }
    }

    fn ssh_failed(&self, stderr: &str) -> Fail {
        match classify(stderr, &self.ssh) {
            SshFailure::NeverConnected(m) => Fail {
                never_connected: true,
                ..Fail::new(Status::Unreachable, m)
            },
            SshFailure::Unreachable(m) => Fail::new(Status::Unreachable, m),
            SshFailure::UnknownHostKey(m) => Fail {
                never_connected: true,
                ..Fail::new(Status::UnknownHostKey, m)
            },
            SshFailure::HostKeyChanged(m) => Fail {
                never_connected: true,
                ..Fail::new(Status::HostKeyChanged, m)
            },
            SshFailure::AuthFailed(m) => Fail::new(Status::AuthFailed, m),
        }
    }

    fn timed_out(&self, what: &str) -> Fail {
        Fail::new(
            Status::Timeout,
            format!(
                "no end within --timeout {} s (while {what}); give a longer --timeout for slow boards",
                self.plan.timeout.as_secs_f64()
            ),
        )
    }
}

fn interrupted(what: &str) -> Fail {
    Fail {
        interrupted: true,
        ..Fail::new(
            Status::RunFailed,
            format!("interrupted (Ctrl-C) while {what}"),
        )
    }
}

/// The last lines of a command's messages, for an error.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(": {}", lines[lines.len().saturating_sub(3)..].join(" / "))
}

/// The temp directory on the board: removed when dropped, whatever
/// happened, after stopping the run if it may still be going.
struct RemoteDir<'a> {
    session: &'a Session<'a>,
    path: String,
    pid: Option<u32>,
    running: bool,
    removed: bool,
}

impl RemoteDir<'_> {
    /// Stops the run if it may still be going (before fetching after a timeout).
    fn stop_run(&mut self) -> Result<(), Fail> {
        if let (Some(pid), true) = (self.pid, self.running) {
            self.session.call(
                &kill_cmd(pid),
                Input::Null,
                "stopping the run",
                Instant::now() + GRACE,
                &NEVER,
            )?;
            self.running = false;
        }
        Ok(())
    }

    fn remove(&mut self) -> Result<(), Fail> {
        if self.removed {
            return Ok(());
        }
        self.removed = true;
        let kill = self.pid.filter(|_| self.running);
        self.session.call(
            &cleanup_cmd(&self.path, kill),
            Input::Null,
            "removing the temp directory",
            Instant::now() + GRACE,
            &NEVER,
        )?;
        Ok(())
    }
}

impl Drop for RemoteDir<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.remove() {
            self.session.say(&format!(
                "warning: could not remove {} on the board ({}); remove it yourself",
                self.path, e.detail
            ));
        }
    }
}

/// Connects, uploads, runs, fetches, cleans up: one board.
pub fn run_board(
    board: &Board,
    plan: &Plan,
    stop: &AtomicBool,
    meter: Option<BoardMeter>,
    watch: &dyn Watch,
) -> Outcome {
    let started = Instant::now();
    let session = Session {
        board,
        plan,
        ssh: plan.ssh(board),
        stop,
        deadline: started + plan.timeout,
        prefix: format!("[{}] ", board.name),
        watch,
        master: Mutex::new(None),
        master_lost: Mutex::new(None),
    };
    session.state(BoardState::Connecting);
    let mut outcome = Outcome::new(&board.name, Status::Ok, None);
    let steps = connect(&session).and_then(|()| session_steps(&session, &mut outcome, meter));
    session.check_master();
    // Closed, its socket removed, before the board is reported.
    drop(lock(&session.master).take());
    if let Some(why) = lock(&session.master_lost).take() {
        let lost = format!("the shared ssh connection ended mid-run ({why})");
        outcome.detail = Some(match outcome.detail.take() {
            Some(more) => format!("{more}; {lost}"),
            None => lost,
        });
    }
    if let Err(fail) = steps {
        outcome.status = fail.status;
        outcome.interrupted = fail.interrupted;
        outcome.detail = Some(match outcome.detail.take() {
            Some(more) => format!("{}; {more}", fail.detail),
            None => fail.detail,
        });
    }
    outcome.duration = started.elapsed();
    let summary = match (&outcome.status, &outcome.detail) {
        (Status::Ok, detail) => format!(
            "ok: {} row{} saved{}{}{}",
            outcome.rows,
            if outcome.rows == 1 { "" } else { "s" },
            if outcome.saved.is_empty() { "" } else { " to " },
            outcome
                .saved
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            detail
                .as_ref()
                .map(|d| format!("; warning: {d}"))
                .unwrap_or_default()
        ),
        (s, Some(d)) => format!("{s}: {d}"),
        (s, None) => s.to_string(),
    };
    session.say(&summary);
    session.state(match outcome.status {
        Status::Ok => BoardState::Done {
            rows: outcome.rows,
            took: outcome.duration,
        },
        status => BoardState::Failed {
            status,
            took: outcome.duration,
        },
    });
    outcome
}

/// Brings up the board's master connection, when the plan has a place for
/// its socket; its failure is told like any ssh failure.
fn connect(session: &Session) -> Result<(), Fail> {
    if session.ssh.control_path.is_none() {
        return Ok(());
    }
    let terminal = session.plan.tty(session.board);
    let master = Master::start(&session.ssh, session.plan.connect_deadline(), terminal)
        .map_err(|stderr| session.ssh_failed(&stderr))?;
    *lock(&session.master) = Some(master);
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn session_steps(
    session: &Session,
    outcome: &mut Outcome,
    meter: Option<BoardMeter>,
) -> Result<(), Fail> {
    let target = session.target()?;
    let (binary, sum) = session.binary(&target)?;
    let path = session.make_dir()?;
    let mut dir = RemoteDir {
        session,
        path,
        pid: None,
        running: true,
        removed: false,
    };
    session.state(BoardState::Uploading);
    session.upload(&dir, &binary, &sum)?;
    // Sampled from just before the run starts until its rows are fetched.
    let monitor = meter.map(|(spec, m, os)| {
        let protocol = spec.protocol.name();
        (
            protocol,
            Monitor::start(m, Some((spec.clone(), os)), spec.protocol.period()),
        )
    });
    session.state(BoardState::Running {
        step: None,
        started: 0,
    });
    let ran = session.run(&mut dir, &mut outcome.phases);
    let spans = outcome.phases.spans();
    let power = monitor.as_ref().map(|(p, m)| (m, *p, &spans[..]));
    // After a timeout or Ctrl-C: stop the run (it saves what it measured
    // on SIGTERM), then fetch within a grace period.
    let (deadline, stop) = match &ran {
        Err(f) if f.status == Status::Timeout || f.interrupted => {
            if let Err(e) = dir.stop_run() {
                session.say(&format!("warning: could not stop the run: {}", e.detail));
            }
            (Instant::now() + GRACE, &NEVER)
        }
        _ => (session.deadline, session.stop),
    };
    session.state(BoardState::Fetching);
    let fetched = session.fetch(&dir, deadline, stop, power);
    if let Some((_, m)) = monitor {
        for w in m.warnings() {
            session.say(&format!("warning: {w}"));
        }
        m.stop();
    }
    let removed = dir.remove();
    match fetched {
        Ok(f) => {
            outcome.rows = f.rows;
            outcome.system_rows = f.system_rows;
            outcome.saved = f.saved;
        }
        Err(f) if ran.is_ok() => return Err(f),
        Err(f) => outcome.detail = Some(format!("the results could not be fetched: {}", f.detail)),
    }
    ran?;
    if let Err(e) = removed {
        outcome.detail = Some(format!(
            "could not remove {} on the board ({}); remove it yourself",
            dir.path, e.detail
        ));
    }
    if outcome.rows == 0 && !has_flag(&session.plan.board_args(session.board), "--no-save") {
        return Err(Fail::new(
            Status::RunFailed,
            format!(
                "sbcbench {} ended well but saved no results file",
                session.plan.command.name()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_the_documented_words() {
        let words: Vec<String> = [
            Status::Ok,
            Status::Unreachable,
            Status::AuthFailed,
            Status::UnknownHostKey,
            Status::HostKeyChanged,
            Status::UnknownArch,
            Status::NoBinary,
            Status::RunFailed,
            Status::Timeout,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            words,
            [
                "ok",
                "unreachable",
                "auth failed",
                "unknown host key",
                "host key changed",
                "unknown arch",
                "no binary for target",
                "run failed",
                "timeout"
            ]
        );
    }
}
