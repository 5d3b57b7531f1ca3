//! The system's OpenSSH client, run with argument vectors (never through a
//! local shell), and remote command lines built only from quoted pieces.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Board;

/// `s` as one word of a POSIX shell: always single-quoted, with each `'`
/// written as `'\''`. Nothing inside single quotes is special.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A word of a local command line as printed by `--dry-run`: bare when it
/// has nothing a shell would interpret, else quoted.
pub fn display_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%[]".contains(&b));
    if plain {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A command line for the remote shell. Code comes only from string
/// literals of this program ([`Remote::code`]); every value goes through
/// [`quote`] ([`Remote::arg`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Remote(String);

impl Remote {
    pub fn new() -> Remote {
        Remote(String::new())
    }

    /// Shell code written in this program.
    pub fn code(mut self, code: &'static str) -> Remote {
        self.0.push_str(code);
        self
    }

    /// A value, as one quoted word (no space added: `code` places it).
    pub fn arg(mut self, value: &str) -> Remote {
        self.0.push_str(&quote(value));
        self
    }

    /// Values as quoted words, each after a space.
    pub fn args<S: AsRef<str>>(mut self, values: &[S]) -> Remote {
        for v in values {
            self.0.push(' ');
            self.0.push_str(&quote(v.as_ref()));
        }
        self
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What every connection to one board uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Ssh {
    pub host: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity: Option<String>,
    /// `--ssh-option KEY=VALUE`s.
    pub options: Vec<String>,
    pub accept_new_host_keys: bool,
    pub connect_timeout_s: u64,
    /// The socket of the board's master connection (`mux.rs`), which
    /// every command goes through.
    pub control_path: Option<String>,
}

/// ssh options a user may not set with `--ssh-option`, and why.
pub fn check_ssh_option(option: &str) -> Result<(), String> {
    let Some((key, _)) = option.split_once('=') else {
        return Err(format!(
            "--ssh-option '{option}' is not KEY=VALUE; e.g. --ssh-option IdentityFile=~/.ssh/id_ed25519"
        ));
    };
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "--ssh-option '{option}': '{key}' is not an ssh option name (see man ssh_config)"
        ));
    }
    if ["ControlMaster", "ControlPath", "ControlPersist"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k))
    {
        return Err(format!(
            "--ssh-option '{option}': sbcbench gives each board one shared connection of its own \
             (ControlMaster, ControlPath and ControlPersist are set for it)"
        ));
    }
    if key.eq_ignore_ascii_case("StrictHostKeyChecking") {
        return Err(format!(
            "--ssh-option '{option}': host keys are never trusted silently; \
             use --accept-new-host-keys to add the keys of boards never connected to"
        ));
    }
    Ok(())
}

impl Ssh {
    pub fn for_board(
        board: &Board,
        options: &[String],
        accept_new_host_keys: bool,
        connect_timeout_s: u64,
    ) -> Ssh {
        Ssh {
            host: board.host.clone(),
            user: board.user.clone(),
            port: board.port,
            identity: board.identity.clone(),
            // The board's own first: ssh keeps the first value it gets.
            options: board.ssh_options.iter().chain(options).cloned().collect(),
            accept_new_host_keys,
            connect_timeout_s,
            control_path: None,
        }
    }

    /// The arguments of `ssh` (without the program name) running `remote`
    /// on the board; `tty` asks for a terminal (`-t`), else none (`-T`).
    ///
    /// ssh keeps the first value it gets for an option: the security
    /// settings come first, then the board's, the user's `--ssh-option`s,
    /// the defaults, and last the user's ssh config files.
    pub fn args(&self, remote: &Remote, tty: bool) -> Vec<String> {
        let mut a = self.options("no");
        a.push(if tty { "-t" } else { "-T" }.into());
        a.push("--".into());
        a.push(self.host.clone());
        a.push(remote.as_str().to_string());
        a
    }

    /// The arguments of the board's master connection (`ssh -N` with
    /// `ControlMaster=yes`): it owns the one TCP connection the commands
    /// share, for as long as it runs (`ControlPersist=no`: no background
    /// daemon outlives it). Not `-M` as well: ssh reads a second request
    /// for master mode as `ControlMaster=ask`, which refuses every session
    /// in batch mode.
    pub fn master_args(&self) -> Vec<String> {
        let mut a = self.options("yes");
        a.extend(["-o", "ControlPersist=no", "-N", "-T", "--"].map(String::from));
        a.push(self.host.clone());
        a
    }

    /// The options every ssh of the board gets; `master` is the value of
    /// ControlMaster when there is a control path.
    fn options(&self, master: &str) -> Vec<String> {
        let mut a: Vec<String> = Vec::new();
        let opt = |a: &mut Vec<String>, o: String| {
            a.push("-o".into());
            a.push(o);
        };
        opt(&mut a, "BatchMode=yes".into());
        opt(
            &mut a,
            format!(
                "StrictHostKeyChecking={}",
                if self.accept_new_host_keys {
                    "accept-new"
                } else {
                    "yes"
                }
            ),
        );
        // Before the user's options and config: ssh keeps the first value.
        if let Some(path) = &self.control_path {
            opt(&mut a, format!("ControlMaster={master}"));
            opt(&mut a, format!("ControlPath={path}"));
        }
        if let Some(user) = &self.user {
            a.push("-l".into());
            a.push(user.clone());
        }
        if let Some(port) = self.port {
            a.push("-p".into());
            a.push(port.to_string());
        }
        if let Some(identity) = &self.identity {
            a.push("-i".into());
            a.push(identity.clone());
        }
        for o in &self.options {
            opt(&mut a, o.clone());
        }
        opt(&mut a, format!("ConnectTimeout={}", self.connect_timeout_s));
        opt(&mut a, "ServerAliveInterval=15".into());
        opt(&mut a, "ServerAliveCountMax=4".into());
        a
    }

    /// `host`, or `host port N` when a port is set, for messages.
    pub fn where_(&self) -> String {
        match self.port {
            Some(p) => format!("{} port {p}", self.host),
            None => self.host.clone(),
        }
    }
}

/// Why ssh itself failed (exit status 255), from its messages.
#[derive(Debug, Clone, PartialEq)]
pub enum SshFailure {
    /// No connection was ever made (refused, no route, no such name):
    /// nothing can have been left on the board.
    NeverConnected(String),
    /// Lost, or failed in a way that does not say when.
    Unreachable(String),
    /// The board's host key is not in known_hosts.
    UnknownHostKey(String),
    /// The board's host key differs from the one in known_hosts.
    HostKeyChanged(String),
    AuthFailed(String),
}

/// Reads ssh's stderr after it exited 255 and says what went wrong and
/// what to do about it.
pub fn classify(stderr: &str, ssh: &Ssh) -> SshFailure {
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let last = last.strip_prefix("ssh: ").unwrap_or(last);
    let said = if last.is_empty() {
        String::new()
    } else {
        format!(" (ssh: {last})")
    };
    let keyscan_port = ssh.port.map(|p| format!("-p {p} ")).unwrap_or_default();
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        return SshFailure::HostKeyChanged(format!(
            "the host key of {} has CHANGED since it was recorded in known_hosts: either the board \
             was reinstalled or someone is in the way. If you know the board was reinstalled, remove \
             the old key with `ssh-keygen -R {}` and add the new one (see docs/fleet.md)",
            ssh.where_(),
            match ssh.port {
                Some(p) => format!("'[{}]:{p}'", ssh.host),
                None => ssh.host.clone(),
            }
        ));
    }
    if stderr.contains("Host key verification failed")
        || stderr.contains("No ED25519 host key is known")
    {
        return SshFailure::UnknownHostKey(format!(
            "the host key of {} is not known (not in known_hosts), and host keys are never trusted \
             silently. Either connect once with `ssh {keyscan_port}{}` and accept the key after \
             checking its fingerprint against `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run \
             on the board (or add it with `ssh-keyscan {keyscan_port}{} >> ~/.ssh/known_hosts`), or \
             rerun with --accept-new-host-keys to accept the key of a board never connected to before",
            ssh.where_(),
            ssh.host,
            ssh.host
        ));
    }
    if stderr.contains("Permission denied") || stderr.contains("Too many authentication failures") {
        return SshFailure::AuthFailed(format!(
            "{} refused the login{said}. Check the user (boards.toml `user`, or User in ~/.ssh/config) \
             and the key (boards.toml `identity`): install your public key with `ssh-copy-id`, and \
             load a key that has a passphrase into ssh-agent (`ssh-add`) — fleet runs ssh in batch \
             mode and never asks for passwords",
            ssh.where_()
        ));
    }
    // Refused before any connection: (pattern, meaning, whether ssh can have
    // been connected at all).
    let unreachable = [
        (
            "Could not resolve hostname",
            "the host name does not resolve; check boards.toml `host`",
            false,
        ),
        (
            "Name or service not known",
            "the host name does not resolve; check boards.toml `host`",
            false,
        ),
        (
            "Connection refused",
            "nothing listens for ssh there; is sshd running, and is the port right?",
            false,
        ),
        (
            "No route to host",
            "no route to it; is the board on and on this network?",
            false,
        ),
        (
            "Network is unreachable",
            "the network is unreachable from this machine",
            false,
        ),
        (
            "timed out",
            "it did not answer in time; is the board on and on this network?",
            true,
        ),
        ("Connection reset", "the connection was reset", true),
        (
            "Connection closed",
            "the connection was closed before login",
            true,
        ),
    ];
    for (pattern, meaning, maybe_connected) in unreachable {
        if stderr.contains(pattern) {
            let m = format!("cannot connect to {}: {meaning}{said}", ssh.where_());
            return if maybe_connected {
                SshFailure::Unreachable(m)
            } else {
                SshFailure::NeverConnected(m)
            };
        }
    }
    SshFailure::Unreachable(format!(
        "ssh to {} failed{}",
        ssh.where_(),
        if said.is_empty() {
            " without saying why".to_string()
        } else {
            said
        }
    ))
}

/// Where ssh's standard input comes from.
#[derive(Debug)]
pub enum Input {
    Null,
    File(std::fs::File),
    /// This process's own (the user's terminal, for prompts).
    Inherit,
}

/// Which output a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// Writes to this process's stdout or stderr in one piece.
pub fn emit(stream: Stream, text: &str) {
    let _ = match stream {
        Stream::Out => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes()).and_then(|()| o.flush())
        }
        Stream::Err => {
            let mut e = std::io::stderr().lock();
            e.write_all(text.as_bytes()).and_then(|()| e.flush())
        }
    };
}

/// How a process ended.
#[derive(Debug)]
pub enum Ended {
    Exited(ExitStatus),
    /// The deadline passed; it was stopped.
    TimedOut,
    /// Ctrl-C; it was stopped.
    Interrupted,
}

#[derive(Debug)]
pub struct Finished {
    pub ended: Ended,
    /// All of stdout when captured.
    pub stdout: Vec<u8>,
    /// The end of stderr (at most [`STDERR_KEPT`] bytes).
    pub stderr: Vec<u8>,
}

impl Finished {
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The exit code, when it exited by itself.
    pub fn code(&self) -> Option<i32> {
        match &self.ended {
            Ended::Exited(s) => s.code(),
            _ => None,
        }
    }
}

pub const STDERR_KEPT: usize = 64 * 1024;

/// Everything [`run`] needs besides the arguments.
pub struct Run<'a> {
    pub input: Input,
    /// Keep stdout in [`Finished::stdout`].
    pub capture_stdout: bool,
    /// Own process group, so that Ctrl-C on the terminal reaches only
    /// sbcbench, which then cleans up. Not for `-t` (it needs the terminal).
    pub own_group: bool,
    pub deadline: Instant,
    pub stop: &'a AtomicBool,
    /// Called with each chunk of output as it arrives.
    pub on_output: &'a mut dyn FnMut(Stream, &[u8], Instant),
}

/// Runs `program args…`, passing its output to `on_output` as it comes;
/// stops it (SIGTERM, then SIGKILL) at the deadline or on `stop`.
pub fn run(program: &str, args: &[String], opts: Run<'_>) -> std::io::Result<Finished> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(match opts.input {
            Input::Null => Stdio::null(),
            Input::File(f) => Stdio::from(f),
            Input::Inherit => Stdio::inherit(),
        });
    if opts.own_group {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn()?;
    let (tx, rx) = mpsc::channel::<(Stream, Option<Vec<u8>>, Instant)>();
    for (stream, pipe) in [
        (
            Stream::Out,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            Stream::Err,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        let tx = tx.clone();
        let Some(mut pipe) = pipe else {
            let _ = tx.send((stream, None, Instant::now()));
            continue;
        };
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx
                            .send((stream, Some(buf[..n].to_vec()), Instant::now()))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            let _ = tx.send((stream, None, Instant::now()));
        });
    }
    drop(tx);

    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut open = 2;
    let mut status = None;
    let mut ended = None;
    let mut exited_at = None;
    loop {
        // Output wakes it at once; the timeout only paces the checks of
        // the child, the deadline and Ctrl-C (48 boards at 20 ms cost the
        // controller 1.3 s of CPU in ci/bench-fleet).
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok((stream, Some(data), at)) => {
                match stream {
                    Stream::Out if opts.capture_stdout => stdout.extend_from_slice(&data),
                    Stream::Out => {}
                    Stream::Err => {
                        stderr.extend_from_slice(&data);
                        if stderr.len() > STDERR_KEPT {
                            stderr.drain(..stderr.len() - STDERR_KEPT);
                        }
                    }
                }
                (opts.on_output)(stream, &data, at);
            }
            Ok((_, None, _)) => open -= 1,
            Err(mpsc::RecvTimeoutError::Disconnected) => open = 0,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if status.is_none() {
            if let Some(s) = child.try_wait()? {
                status = Some(s);
                exited_at = Some(Instant::now());
            } else if ended.is_none() {
                if opts.stop.load(Ordering::SeqCst) {
                    ended = Some(Ended::Interrupted);
                    status = Some(stop(&mut child, opts.own_group)?);
                    exited_at = Some(Instant::now());
                } else if Instant::now() >= opts.deadline {
                    ended = Some(Ended::TimedOut);
                    status = Some(stop(&mut child, opts.own_group)?);
                    exited_at = Some(Instant::now());
                }
            }
        }
        if open == 0 && status.is_some() {
            break;
        }
        // Output still held open by something ssh left behind (a shared
        // connection, say): do not wait for it for long.
        if exited_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
            break;
        }
    }
    let ended = match (ended, status) {
        (Some(e), _) => e,
        (None, Some(s)) => Ended::Exited(s),
        (None, None) => Ended::Exited(child.wait()?),
    };
    Ok(Finished {
        ended,
        stdout,
        stderr,
    })
}

/// SIGTERM (ssh restores the terminal on it), then SIGKILL after 2 s; to
/// the whole process group when the child has its own.
fn stop(child: &mut Child, group: bool) -> std::io::Result<ExitStatus> {
    let id = child.id();
    let signal = |sig: i32| {
        if let Ok(pid) = i32::try_from(id) {
            // SAFETY: kill(2) on our own child (or its group), which cannot
            // have been reused: the child is not reaped before `wait` below.
            unsafe {
                libc::kill(if group { -pid } else { pid }, sig);
            }
        }
    };
    signal(libc::SIGTERM);
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if let Some(s) = child.try_wait()? {
            return Ok(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(libc::SIGKILL);
    child.wait()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> String {
        let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn quoted_words_reach_the_shell_unchanged() {
        for hostile in [
            "pi'; touch /tmp/pwned; '",
            "$(id) `id` $HOME \\ \" ' '' \n",
            "",
            "-n",
            "a b\tc",
        ] {
            let cmd = Remote::new().code("printf '%s' ").arg(hostile);
            assert_eq!(sh(cmd.as_str()), hostile, "{}", cmd.as_str());
        }
        let many = Remote::new()
            .code("printf '[%s]'")
            .args(&["x y", "it's", "*"]);
        assert_eq!(sh(many.as_str()), "[x y][it's][*]");
    }

    #[test]
    fn security_options_come_first_and_the_host_after_dashdash() {
        let ssh = Ssh {
            host: "pi.lan".into(),
            user: Some("pi".into()),
            port: Some(2222),
            identity: Some("~/.ssh/id".into()),
            options: vec!["StrictHostKeyChecking=no".into(), "User=x".into()],
            accept_new_host_keys: false,
            connect_timeout_s: 7,
            control_path: None,
        };
        let a = ssh.args(&Remote::new().code("uname -m"), false);
        assert_eq!(
            &a[..4],
            ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"]
        );
        let l = a.iter().position(|x| x == "-l").unwrap();
        let user_opt = a.iter().position(|x| x == "User=x").unwrap();
        assert!(l < user_opt, "boards.toml's user wins over --ssh-option");
        assert!(a.contains(&"ConnectTimeout=7".to_string()));
        assert_eq!(&a[a.len() - 4..], ["-T", "--", "pi.lan", "uname -m"]);
        let t = Ssh {
            accept_new_host_keys: true,
            ..ssh
        }
        .args(&Remote::new(), true);
        assert!(t.contains(&"StrictHostKeyChecking=accept-new".to_string()));
        assert!(t.contains(&"-t".to_string()));
    }

    #[test]
    fn ssh_options_are_checked() {
        assert!(check_ssh_option("IdentityFile=/tmp/k").is_ok());
        assert!(check_ssh_option("User=root").is_ok());
        let e = check_ssh_option("StrictHostKeyChecking=no").unwrap_err();
        assert!(e.contains("--accept-new-host-keys"), "{e}");
        assert!(check_ssh_option("nokey").unwrap_err().contains("KEY=VALUE"));
        assert!(check_ssh_option("-oProxy=x").is_err());
    }

    #[test]
    fn ssh_failures_are_told_apart() {
        let ssh = Ssh {
            host: "h".into(),
            user: None,
            port: Some(2),
            identity: None,
            options: vec![],
            accept_new_host_keys: false,
            connect_timeout_s: 5,
            control_path: None,
        };
        let cases = [
            ("ssh: connect to host h port 2: Connection refused\r\n", "never"),
            ("ssh: Could not resolve hostname h: Name or service not known", "never"),
            ("ssh: connect to host h port 2: Connection timed out", "unreachable"),
            ("ssh: connect to host h port 2: No route to host", "never"),
            ("Connection to h closed by remote host.", "unreachable"),
            ("root@h: Permission denied (publickey).", "auth"),
            ("No ED25519 host key is known for [h]:2 and you have requested strict checking.\r\nHost key verification failed.", "hostkey"),
        ];
        for (stderr, want) in cases {
            let got = classify(stderr, &ssh);
            match (want, &got) {
                ("unreachable", SshFailure::Unreachable(_)) => {}
                ("never", SshFailure::NeverConnected(_)) => {}
                ("auth", SshFailure::AuthFailed(m)) => assert!(m.contains("ssh-copy-id"), "{m}"),
                ("hostkey", SshFailure::UnknownHostKey(m)) => {
                    assert!(m.contains("not known"), "{m}");
                    assert!(m.contains("--accept-new-host-keys"), "{m}");
                    assert!(m.contains("connect once with `ssh -p 2 h`"), "{m}");
                    assert!(m.contains("ssh-keyscan -p 2 h"), "{m}");
                }
                _ => panic!("{stderr}: {got:?}"),
            }
        }
    }

    #[test]
    fn a_process_past_its_deadline_is_stopped() {
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        let t = Instant::now();
        let f = run(
            "sh",
            &["-c".into(), "echo hi; sleep 30".into()],
            Run {
                input: Input::Null,
                capture_stdout: true,
                own_group: true,
                deadline: Instant::now() + Duration::from_millis(500),
                stop: &stop,
                on_output: &mut |s, d, _| seen.push((s, d.to_vec())),
            },
        )
        .unwrap();
        assert!(matches!(f.ended, Ended::TimedOut), "{f:?}");
        assert!(t.elapsed() < Duration::from_secs(10));
        assert_eq!(f.stdout, b"hi\n");
        assert_eq!(seen, vec![(Stream::Out, b"hi\n".to_vec())]);
    }
}
