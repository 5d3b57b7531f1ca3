//! What each step of a session does on the board. The board's answers
//! are not trusted: mktemp's path, the upload's sha256 and every fetched
//! file are checked before they are used.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::{interrupted, Fail, RemoteDir, Session, Status, GRACE, NEVER};
use crate::compare::efficiency;
use crate::deploy::boards::{target_for_machine, TARGETS};
use crate::deploy::command::{self, BoardCommand};
use crate::deploy::forward::{Forwarder, Piece};
use crate::deploy::framing::parse_files;
use crate::deploy::plan::{binary_name, remote_cmd};
use crate::deploy::remote::{
    cleanup_token_cmd, fetch_cmd, mktemp_cmd, new_token, probe_cmd, upload_cmd,
};
use crate::deploy::ssh::{self, Ended, Input, Stream};
use crate::deploy::status::BoardState;
use crate::measure::Engine;
use crate::power::attribute::{self, Attributed};
use crate::power::events::{parse_control, Control, Edge, PhaseEvent, PhaseLog, Span};
use crate::power::meter::Monitor;
use crate::record::{results_from_bytes, ResultFile};

/// What `fetch` brought back and saved.
#[derive(Debug, Default)]
pub(super) struct Fetched {
    pub rows: usize,
    pub system_rows: usize,
    pub saved: Vec<PathBuf>,
}

impl Session<'_> {
    /// The board's target triple: boards.toml `target`, else `uname -m`.
    pub(super) fn target(&self) -> Result<String, Fail> {
        if let Some(t) = &self.board.target {
            return Ok(t.clone());
        }
        let f = self.call(
            &probe_cmd(),
            Input::Null,
            "uname -m",
            self.deadline,
            self.stop,
        )?;
        let machine = f.stdout_text().trim().to_string();
        target_for_machine(&machine)
            .map(str::to_string)
            .ok_or_else(|| {
                Fail::new(
                    Status::UnknownArch,
                    format!(
                        "`uname -m` on the board says '{machine}', which no sbcbench build runs on \
                         (built for {}); if it can run one of them, set `target` for this board in boards.toml",
                        TARGETS.join(", ")
                    ),
                )
            })
    }

    /// The dist binary for `target` and its sha256 from SHA256SUMS.
    pub(super) fn binary(&self, target: &str) -> Result<(PathBuf, String), Fail> {
        let name = binary_name(target);
        let path = self.plan.dist.join(&name);
        let fix = format!(
            "build it with `ci/cross-build {target}`, or point --dist at a directory that has it"
        );
        if !path.is_file() {
            return Err(Fail::new(
                Status::NoBinary,
                format!(
                    "the board needs {}, which does not exist; {fix}",
                    path.display()
                ),
            ));
        }
        let sum = self.plan.sums.get(&name).cloned().ok_or_else(|| {
            Fail::new(
                Status::NoBinary,
                format!(
                    "{} has no line for {name}, so its copy on the board cannot be checked; {fix}",
                    self.plan.dist.join("SHA256SUMS").display()
                ),
            )
        })?;
        Ok((path, sum))
    }

    pub(super) fn make_dir(&self) -> Result<String, Fail> {
        let token = new_token();
        let f = self
            .call(
                &mktemp_cmd(&token),
                Input::Null,
                "mktemp -d",
                self.deadline,
                self.stop,
            )
            .map_err(|mut fail| {
                // The directory may exist without its name having come
                // back; not when ssh never reached the board.
                if !fail.never_connected
                    && (fail.status == Status::Timeout
                        || fail.status == Status::Unreachable
                        || fail.interrupted)
                {
                    let left = format!("${{TMPDIR:-/tmp}}/sbcbench.{token}*");
                    let cleanup = self.call(
                        &cleanup_token_cmd(&token),
                        Input::Null,
                        "removing the temp directory",
                        Instant::now() + GRACE,
                        &NEVER,
                    );
                    if let Err(e) = cleanup {
                        fail.detail.push_str(&format!(
                            "; the board may keep an empty directory {left} ({}): remove it yourself",
                            e.detail
                        ));
                    }
                }
                fail
            })?;
        let dir = f.stdout_text().trim().to_string();
        let name_ok = Path::new(&dir)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| {
                n.len() == "sbcbench.".len() + token.len() + 6
                    && n.starts_with(&format!("sbcbench.{token}"))
            });
        if !dir.starts_with('/')
            || dir.contains("/../")
            || dir.chars().any(char::is_control)
            || !name_ok
        {
            return Err(Fail::new(
                Status::RunFailed,
                format!("mktemp -d on the board printed '{dir}', not a new directory's path"),
            ));
        }
        Ok(dir)
    }

    pub(super) fn upload(&self, dir: &RemoteDir, binary: &Path, sum: &str) -> Result<(), Fail> {
        let file = File::open(binary).map_err(|e| {
            Fail::new(
                Status::NoBinary,
                format!("cannot read {} ({e})", binary.display()),
            )
        })?;
        let f = self
            .call(
                &upload_cmd(&dir.path),
                Input::File(file),
                "uploading the binary",
                self.deadline,
                self.stop,
            )
            .map_err(|mut fail| {
                if fail.detail.contains("(exit status: 127)") {
                    fail.detail.push_str(
                        "; the board needs sha256sum (coreutils or busybox) to check the upload",
                    );
                }
                fail
            })?;
        let got = f
            .stdout_text()
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if got != sum {
            return Err(Fail::new(
                Status::RunFailed,
                format!(
                    "the copy on the board has sha256 '{got}' but {} says {sum} for {}: either dist/ \
                     changed after ci/cross-build wrote SHA256SUMS (rerun ci/cross-build) or the \
                     upload was damaged",
                    self.plan.dist.join("SHA256SUMS").display(),
                    binary.display()
                ),
            ));
        }
        Ok(())
    }

    /// The remote `sbcbench run` (or `sweep`), its output streamed with
    /// the prefix.
    pub(super) fn run(&self, dir: &mut RemoteDir, phases: &mut PhaseLog) -> Result<(), Fail> {
        let tty = self.plan.tty(self.board);
        let sweep = self.plan.command == BoardCommand::Sweep;
        if let Some(note) = sweep.then(|| command::sweep_note(self.board)).flatten() {
            self.say(&note);
        }
        let args = self
            .ssh
            .args(&remote_cmd(self.board, self.plan, &dir.path), tty);
        let what = format!("sbcbench {}", self.plan.command.name());
        let partial = self.plan.jobs == 1;
        let mut out = Forwarder::new(self.prefix.clone(), partial);
        let mut err = Forwarder::new(self.prefix.clone(), partial);
        let mut pid: Option<u32> = None;
        let mut started = 0;
        let mut step = |event: &PhaseEvent| {
            started += usize::from(event.kernel().is_some());
            self.state(BoardState::Running {
                step: Some(event.clone()),
                started,
            });
        };
        // The board's `saved:` names its temp directory, gone after the
        // fetch: the session's own `ok:` line says where the file is here.
        let saved_there = format!("{}saved: {}/", self.prefix, dir.path);
        let name = &self.board.name;
        let mut handle =
            |stream: Stream, pieces: Vec<Piece>, at: Instant, pid: &mut Option<u32>| {
                for piece in pieces {
                    match piece {
                        Piece::Text(t) if t.starts_with(&saved_there) => {}
                        Piece::Text(t) => self.watch.detail(name, stream, &t, tty),
                        Piece::Control(line) => match parse_control(&line) {
                            Some(Ok(Control::Pid(p))) => {
                                pid.get_or_insert(p);
                            }
                            Some(Ok(Control::Phase(e))) => {
                                if e.edge == Edge::Start {
                                    step(&e);
                                }
                                phases.push(e, at);
                            }
                            Some(Ok(Control::Step(e))) => step(&e),
                            Some(Ok(Control::Unknown(_))) | None => {}
                            Some(Err(e)) => self.say(&format!(
                                "warning: ignored a malformed control line ({e}): {line}"
                            )),
                        },
                    }
                }
            };
        let result = ssh::run(
            "ssh",
            &args,
            ssh::Run {
                input: if tty { Input::Inherit } else { Input::Null },
                capture_stdout: false,
                own_group: !tty,
                deadline: self.deadline,
                stop: self.stop,
                on_output: &mut |stream, data, at| {
                    let pieces = match stream {
                        Stream::Out => out.feed(data),
                        Stream::Err => err.feed(data),
                    };
                    handle(stream, pieces, at, &mut pid);
                },
            },
        );
        let now = Instant::now();
        handle(Stream::Out, out.finish(), now, &mut pid);
        handle(Stream::Err, err.finish(), now, &mut pid);
        dir.pid = pid;
        let f =
            result.map_err(|e| Fail::new(Status::RunFailed, format!("cannot start ssh ({e})")))?;
        let stderr = f.stderr_text();
        match (&f.ended, f.code()) {
            (Ended::TimedOut, _) => Err(self.timed_out("running sbcbench")),
            (Ended::Interrupted, _) => Err(interrupted("running sbcbench")),
            (_, Some(0)) => {
                dir.running = false;
                Ok(())
            }
            (_, Some(255)) => {
                // ssh's own failure: the run may still be going.
                let mut fail = self.ssh_failed(&stderr);
                fail.detail = format!("during the run: {}", fail.detail);
                Err(fail)
            }
            (_, code) => {
                dir.running = false;
                Err(Fail::new(
                    Status::RunFailed,
                    match code {
                        _ if sweep && no_sudo(&stderr) => format!(
                            "{what} needs root on the board, and sudo -n could not give it: log \
                             in as root, or let the ssh user run sbcbench with sudo without a \
                             password (a NOPASSWD rule); sudo's message is above"
                        ),
                        Some(2) => format!(
                            "{what} refused its arguments (exit status 2): check `run_args` \
                             in boards.toml and the RUN ARGS after --; its message is above"
                        ),
                        Some(130) => format!("{what} was interrupted on the board (exit status 130)"),
                        Some(c) => format!(
                            "{what} failed on the board (exit status {c}); its messages are above, after {}",
                            self.prefix.trim_end()
                        ),
                        None => "ssh was killed by a signal".to_string(),
                    },
                ))
            }
        }
    }

    /// Copies the CSVs the run saved, checks them and saves them here.
    /// With `power` (this machine's meter, its protocol and the run's
    /// phases), each row gets the power of its phase before it is saved.
    pub(super) fn fetch(
        &self,
        dir: &RemoteDir,
        deadline: Instant,
        stop: &AtomicBool,
        power: Option<(&Monitor, &str, &[Span])>,
    ) -> Result<Fetched, Fail> {
        let f = self.call(
            &fetch_cmd(&dir.path),
            Input::Null,
            "fetching the results",
            deadline,
            stop,
        )?;
        let files = parse_files(&f.stdout).map_err(|e| {
            Fail::new(
                Status::RunFailed,
                format!("the results could not be fetched: {e}"),
            )
        })?;
        let mut fetched = Fetched::default();
        let mut used = vec![false; power.map_or(0, |(_, _, spans)| spans.len())];
        for (name, bytes) in files {
            let save_err = |e: String| {
                Fail::new(
                    Status::RunFailed,
                    format!("saving the results file {name} from the board: {e}"),
                )
            };
            let mut checked = results_from_bytes(&bytes, &name).map_err(|e| {
                Fail::new(
                    Status::RunFailed,
                    format!(
                        "the results file {name} from the board is not valid (line {}: {}); it was not saved",
                        e.line, e.what
                    ),
                )
            })?;
            if let Some((monitor, protocol, spans)) = power {
                let stats = |from, to, settle| monitor.stats(from, to, settle);
                let mut got =
                    attribute::from_phases(&mut checked, spans, &mut used, &stats, protocol);
                got.foreign_baseline = efficiency::derive_metered(&mut checked, &got.metered_rows);
                self.say(&power_note(protocol, &got, checked.len()));
            }
            let stem = name.trim_end_matches(".csv");
            let mut file = ResultFile::new(&self.plan.output, &self.board.name, stem);
            let path = file
                .save(&checked)
                .map_err(|e| {
                    save_err(format!(
                        "{e} (under --output {})",
                        self.plan.output.display()
                    ))
                })?
                .to_path_buf();
            fetched.rows += checked.len();
            fetched.system_rows += checked
                .iter()
                .filter(|r| r.engine == Engine::System)
                .count();
            fetched.saved.push(path);
        }
        Ok(fetched)
    }
}

/// sudo refused (a password needed, not in sudoers, a terminal needed) or
/// is missing. Only those messages: sudo's harmless warnings (`unable to
/// resolve host`, `setrlimit`) also start with `sudo:`, and the sweep's
/// own failure must then be reported as it is.
fn no_sudo(stderr: &str) -> bool {
    const REFUSALS: [&str; 6] = [
        "a password is required",
        "is not in the sudoers file",
        "is not allowed to execute",
        "may not run sudo",
        "a terminal is required",
        "sudo: not found",
    ];
    stderr.lines().any(|l| {
        let l = l.trim_end();
        (l.starts_with("sudo: ") && REFUSALS.iter().any(|r| l.contains(r)))
            || l.ends_with("sudo: not found")
            || l.ends_with("sudo: command not found")
    })
}

/// One line on what this machine's meter gave a fetched file's rows.
fn power_note(protocol: &str, got: &Attributed, rows: usize) -> String {
    let idle = got
        .idle_w
        .map(|w| format!("idle {w:.2} W, "))
        .unwrap_or_else(|| "no idle reading, ".into());
    let mut note = format!(
        "meter {protocol} on this machine: {idle}{} of {rows} rows with power",
        got.metered
    );
    if !got.without.is_empty() {
        note.push_str(&format!(
            "; none for {} (no readings during the phase, or it did not end)",
            got.without.join(", ")
        ));
    }
    if let Some(b) = &got.foreign_baseline {
        note.push_str(&format!(
            "; no efficiency speedup: the baseline '{b}' has no power figures here"
        ));
    }
    note
}

#[cfg(test)]
mod sudo_tests {
    use super::no_sudo;

    #[test]
    fn only_sudos_refusals_are_taken_for_a_missing_root() {
        assert!(no_sudo("sudo: a password is required\n"));
        assert!(no_sudo("sudo: bench is not in the sudoers file.\n"));
        assert!(no_sudo("sh: 1: sudo: not found\n"));
        // Warnings on the way to a sweep that ran and failed on its own.
        assert!(!no_sudo(
            "sudo: unable to resolve host rockpro64: Name or service not known\nerror: --steps 1234 MHz …\n"
        ));
        assert!(!no_sudo(
            "sudo: setrlimit(RLIMIT_CORE): Operation not permitted\n"
        ));
    }
}
