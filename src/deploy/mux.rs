//! One SSH connection per board: a master connection (`ssh -N`) that
//! every command of the board goes through, so a board behind a slow link
//! or a jump host is authenticated once, not at every step.
//!
//! The sockets live in a private directory (mode 0700) made for the run
//! and removed with it; the master runs only as long as its board's
//! session (`ControlPersist=no`), is sent SIGTERM, then killed if it has
//! not ended, and its socket removed — whatever happened. A master that dies
//! mid-run is reported; the commands after it connect on their own (ssh
//! falls back to a direct connection when the socket does not answer).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::ssh::Ssh;

/// The private directory of the control sockets, removed when dropped.
pub struct ControlDir {
    dir: tempfile::TempDir,
}

/// A socket path must fit `sun_path` (108 bytes on Linux).
const MAX_SOCKET_PATH: usize = 100;

impl ControlDir {
    /// A new private directory in `$TMPDIR` (or /tmp).
    pub fn create() -> Result<ControlDir, String> {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir();
        let dir = tempfile::Builder::new()
            .prefix("sbcbench-ssh.")
            // Nobody else may reach the sockets: they are logged-in shells.
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&base)
            .map_err(|e| {
                format!(
                    "cannot make a private directory for the ssh control sockets in {} ({e}); \
                     set TMPDIR to a directory you can write",
                    base.display()
                )
            })?;
        let probe = socket_in(dir.path(), "x");
        if probe.len() > MAX_SOCKET_PATH {
            return Err(format!(
                "the ssh control sockets' directory {} is too long a path for a socket; \
                 set TMPDIR to a shorter one, e.g. /tmp",
                dir.path().display()
            ));
        }
        Ok(ControlDir { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The socket of board `slug` in `dir`: a short hash, so that any board
/// name fits a socket path.
pub fn socket_in(dir: &Path, slug: &str) -> String {
    let hash = Sha256::digest(slug.as_bytes());
    let short: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(short).display().to_string()
}

/// A board's master connection.
pub struct Master {
    child: Child,
    socket: PathBuf,
    stderr: Arc<Mutex<String>>,
    /// Said once: the master ended before the session.
    reported: bool,
}

impl Master {
    /// Starts the master and waits until its socket answers. On failure,
    /// ssh's messages (to classify like any failed ssh). `terminal`: a
    /// command of the board will use the terminal (`ssh -t`, readings typed
    /// at `--power ask`), whose reads and writes the master does on the
    /// client's behalf, which only the terminal's foreground process group
    /// may do — in a group of its own it would be stopped (SIGTTIN).
    pub fn start(ssh: &Ssh, deadline: Instant, terminal: bool) -> Result<Master, String> {
        let Some(socket) = ssh.control_path.clone() else {
            return Err("no control path".into());
        };
        let mut command = Command::new("ssh");
        command
            .args(ssh.master_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !terminal {
            // Ctrl-C on the terminal reaches sbcbench, which cleans up.
            command.process_group(0);
        }
        // SAFETY: prctl(PR_SET_PDEATHSIG) between fork and exec touches no
        // memory and no lock, which is all a pre_exec hook may do. It ends
        // the master (SIGTERM) should sbcbench be killed before it can
        // close it: a master outliving its fleet would hold a login open.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| {
                format!("cannot start ssh ({e}); install the OpenSSH client (Debian: apt-get install openssh-client)")
            })?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                    if s.len() < 64 * 1024 {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            });
        }
        let mut master = Master {
            child,
            socket: PathBuf::from(socket),
            stderr,
            reported: false,
        };
        loop {
            if let Ok(Some(_)) = master.child.try_wait() {
                // Its reader has the last words once the pipe closes.
                std::thread::sleep(Duration::from_millis(50));
                return Err(master.messages());
            }
            if master.socket.exists() {
                return Ok(master);
            }
            if Instant::now() > deadline {
                return Err(
                    "ssh: connection timed out (the master connection did not come up)".into(),
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn messages(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the master ended since the last time it was asked, with
    /// ssh's last words: said once.
    pub fn ended(&mut self) -> Option<String> {
        if self.reported || !matches!(self.child.try_wait(), Ok(Some(_))) {
            return None;
        }
        self.reported = true;
        let said = self.messages();
        let last = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Some(if last.is_empty() {
            "it ended without a message".to_string()
        } else {
            last.trim().to_string()
        })
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // Asked to close with SIGTERM — not `ssh -O exit`, one more
            // process a board that could wait on a wedged master — then
            // made to.
            if let Ok(pid) = i32::try_from(self.child.id()) {
                // SAFETY: kill(2) on our own child, not yet reaped (its
                // pid cannot have been reused); no memory is involved.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
            let until = Instant::now() + Duration::from_secs(2);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}

use std::os::unix::process::CommandExt;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_short_distinct_and_private() {
        let dir = ControlDir::create().unwrap();
        let a = socket_in(dir.path(), "visionfive-2");
        let b = socket_in(dir.path(), "visionfive-2-");
        assert_ne!(a, b);
        assert!(a.len() <= MAX_SOCKET_PATH, "{a}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let long = socket_in(dir.path(), &"x".repeat(500));
        assert_eq!(long.len(), a.len());
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
    }
}
