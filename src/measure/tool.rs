//! Running a board's own tools (`openssl`, `xz`) for the system engine:
//! found on PATH, run with an argument vector (never a shell), killed at a
//! deadline, their output kept for parsing. A process spawned from a pinned
//! thread inherits that thread's CPU, so a tool measured by a pinned worker
//! runs pinned from its first instruction.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Output kept of a tool's stdout or stderr: enough for any line it is
/// asked for, bounded against one that never stops talking.
const MAX_OUTPUT: u64 = 1 << 20;

/// Where a program named `name` would run from: the first executable of
/// that name in `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What a tool printed, and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The last lines of stderr, for a message.
    pub fn stderr_tail(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = lines.into_iter().rev().collect();
        tail.join(" / ")
    }
}

/// Runs `cmd` (stdin closed) until it exits or `deadline` passes; then it
/// is killed and the error says so. `what` names it in messages.
pub fn run(cmd: &mut Command, what: &str, deadline: Duration) -> Result<Ran, String> {
    run_with_stdout(cmd, what, deadline, Stdio::piped())
}

/// [`run`], with stdout going to `stdout` (a file, or nowhere) instead of
/// being kept.
pub fn run_with_stdout(
    cmd: &mut Command,
    what: &str,
    deadline: Duration,
    stdout: Stdio,
) -> Result<Ran, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: cannot start it: {e}"))?;
    let readers = [
        child.stdout.take().map(|s| reader(Box::new(s))),
        child.stderr.take().map(|s| reader(Box::new(s))),
    ];
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{what}: still running after {:.0} s; it was stopped",
                    deadline.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("{what}: cannot wait for it: {e}")),
        }
    };
    let [out, err] = readers.map(|r| {
        r.and_then(|h| h.join().ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    });
    Ok(Ran {
        status,
        stdout: out,
        stderr: err,
    })
}

/// Reads a pipe to its end on a thread (so a full pipe never blocks the
/// tool), keeping at most [`MAX_OUTPUT`] bytes.
fn reader(pipe: Box<dyn Read + Send>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut pipe = pipe;
        let _ = pipe.by_ref().take(MAX_OUTPUT).read_to_end(&mut kept);
        // Drain the rest, so the tool is never blocked on a full pipe.
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        kept
    })
}

/// Runs `cmd` and insists on exit 0.
pub fn run_ok(cmd: &mut Command, what: &str, deadline: Duration) -> Result<Ran, String> {
    succeeded(run(cmd, what, deadline)?, what)
}

/// `ran`, if it exited with 0; else why not.
pub fn succeeded(ran: Ran, what: &str) -> Result<Ran, String> {
    if !ran.status.success() {
        return Err(format!(
            "{what}: exited with {}{}",
            ran.status,
            match ran.stderr_tail() {
                t if t.is_empty() => String::new(),
                t => format!(" ({t})"),
            }
        ));
    }
    Ok(ran)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fake tools for tests: small shell scripts written to a folder.
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    /// Writes an executable `name` in `dir` running `body` under /bin/sh.
    pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

#[cfg(test)]
mod tests {
    use super::testing::script;
    use super::*;

    #[test]
    fn a_tool_that_hangs_is_stopped_at_its_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let hang = script(dir.path(), "openssl", "exec sleep 1000");
        let t0 = Instant::now();
        let err = run(
            &mut Command::new(&hang),
            "openssl",
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
        assert!(
            err.contains("openssl: still running after 0 s; it was stopped"),
            "{err}"
        );
    }

    #[test]
    fn output_and_failures_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let talk = script(dir.path(), "talk", "echo out; echo oops >&2; exit 3");
        let ran = run(&mut Command::new(&talk), "talk", Duration::from_secs(10)).unwrap();
        assert_eq!(
            (ran.stdout.as_str(), ran.stderr.as_str()),
            ("out\n", "oops\n")
        );
        let err = run_ok(&mut Command::new(&talk), "talk", Duration::from_secs(10)).unwrap_err();
        assert!(
            err.contains("talk: exited with exit status: 3 (oops)"),
            "{err}"
        );
        let err = run(
            &mut Command::new(dir.path().join("none")),
            "none",
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(err.starts_with("none: cannot start it"), "{err}");
    }

    #[test]
    fn tools_are_found_on_path_only_when_executable() {
        assert!(find_on_path("sh").is_some());
        assert_eq!(find_on_path("surely-no-such-tool-here"), None);
    }

    /// What makes a system-engine sample pinned: the tool inherits the
    /// CPU of the worker thread that starts it.
    #[test]
    fn a_tool_started_by_a_pinned_thread_runs_on_that_cpu() {
        use crate::observe::{HostOs, Os};
        let dir = tempfile::tempdir().unwrap();
        let show = script(
            dir.path(),
            "show",
            "grep Cpus_allowed_list /proc/self/status",
        );
        let out = std::thread::spawn(move || {
            assert!(HostOs.pin_current_thread(0));
            run_ok(&mut Command::new(&show), "show", Duration::from_secs(10)).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(
            out.stdout.split_whitespace().last(),
            Some("0"),
            "{}",
            out.stdout
        );
    }
}
