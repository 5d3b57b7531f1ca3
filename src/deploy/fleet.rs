//! `sbcbench fleet`: each board of boards.toml benchmarked over ssh, its
//! results fetched back. One board's failure never stops the others.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::boards::target_for_machine;
use super::phase::{parse_control, Control, Forwarder, PhaseLog, Piece, Span};
use super::power::attribute;
use super::ssh::{
    self, classify, display_word, Ended, Finished, Input, Remote, Ssh, SshFailure, Stream,
};
use super::Board;
use crate::observe::meter::{self, Meter, MeterSpec, Monitor};
use crate::record::{results_from_bytes, ResultFile};

/// A board's meter on this machine, opened before any connection.
pub type BoardMeter = (MeterSpec, Box<dyn Meter>);

/// The result of one board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Unreachable,
    AuthFailed,
    UnknownArch,
    NoBinary,
    RunFailed,
    Timeout,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Unreachable => "unreachable",
            Status::AuthFailed => "auth failed",
            Status::UnknownArch => "unknown arch",
            Status::NoBinary => "no binary for target",
            Status::RunFailed => "run failed",
            Status::Timeout => "timeout",
        })
    }
}

/// Everything the boards share.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dist: PathBuf,
    /// dist/SHA256SUMS: file name → sha256 (lowercase hex).
    pub sums: BTreeMap<String, String>,
    pub output: PathBuf,
    /// Per board, from the first connection to the last.
    pub timeout: Duration,
    pub ssh_options: Vec<String>,
    pub accept_new_host_keys: bool,
    /// The RUN ARGS after `--`, for every board.
    pub run_args: Vec<String>,
    pub jobs: usize,
}

impl Plan {
    fn connect_timeout_s(&self) -> u64 {
        self.timeout.as_secs().clamp(1, 10)
    }

    fn ssh(&self, board: &Board) -> Ssh {
        Ssh::for_board(
            board,
            &self.ssh_options,
            self.accept_new_host_keys,
            self.connect_timeout_s(),
        )
    }

    /// The board's arguments then the command line's.
    fn board_args(&self, board: &Board) -> Vec<String> {
        board
            .run_args
            .iter()
            .chain(&self.run_args)
            .cloned()
            .collect()
    }

    /// `ssh -t`: the run asks for the wattmeter's readings, one board at a time.
    fn tty(&self, board: &Board) -> bool {
        self.jobs == 1 && wants_power_ask(&self.board_args(board))
    }
}

/// What happened on one board.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub board: String,
    pub status: Status,
    /// Why it failed and what to do; also warnings of an `ok` board.
    pub detail: Option<String>,
    pub duration: Duration,
    pub rows: usize,
    pub saved: Vec<PathBuf>,
    pub phases: PhaseLog,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
}

/// The name of the dist binary for a target.
pub fn binary_name(target: &str) -> String {
    format!("sbcbench-{target}")
}

/// Reads `<dist>/SHA256SUMS` (the output of `sha256sum`).
pub fn read_sums(dist: &Path) -> Result<BTreeMap<String, String>, String> {
    if !dist.is_dir() {
        return Err(format!(
            "--dist {}: no such directory; build the binaries with ci/cross-build \
             (it writes dist/sbcbench-<target> and dist/SHA256SUMS), or point --dist at them",
            dist.display()
        ));
    }
    let path = dist.join("SHA256SUMS");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "--dist {}: cannot read SHA256SUMS ({e}); ci/cross-build writes it next to the binaries",
            dist.display()
        )
    })?;
    let mut sums = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || {
            format!(
                "{}:{}: not a `sha256sum` line (<64 hex digits>  <file>); rerun ci/cross-build",
                path.display(),
                i + 1
            )
        };
        let (hash, name) = line.split_once(' ').ok_or_else(bad)?;
        let name = name.strip_prefix([' ', '*']).ok_or_else(bad)?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
            return Err(bad());
        }
        sums.insert(name.to_string(), hash.to_ascii_lowercase());
    }
    Ok(sums)
}

/// The boards chosen by `--only` and `--tag` (both: boards in both).
pub fn select(
    boards: Vec<Board>,
    only: &[String],
    tag: Option<&str>,
    file: &str,
) -> Result<Vec<Board>, String> {
    let only: Vec<&str> = only
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let unknown: Vec<&str> = only
        .iter()
        .copied()
        .filter(|o| !boards.iter().any(|b| b.name == *o || b.slug == *o))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<String> = boards.iter().map(|b| format!("'{}'", b.name)).collect();
        return Err(format!(
            "--only: no board named {} in {file}; its boards are {}",
            unknown
                .iter()
                .map(|u| format!("'{u}'"))
                .collect::<Vec<_>>()
                .join(", "),
            known.join(", ")
        ));
    }
    if let Some(tag) = tag {
        if !boards.iter().any(|b| b.tags.iter().any(|t| t == tag)) {
            let mut tags: Vec<&str> = boards
                .iter()
                .flat_map(|b| b.tags.iter().map(String::as_str))
                .collect();
            tags.sort_unstable();
            tags.dedup();
            return Err(format!(
                "--tag {tag}: no board in {file} has it; {}",
                if tags.is_empty() {
                    "no board has tags (boards.toml `tags`)".to_string()
                } else {
                    format!("the tags are {}", tags.join(", "))
                }
            ));
        }
    }
    let chosen: Vec<Board> = boards
        .into_iter()
        .filter(|b| only.is_empty() || only.iter().any(|o| b.name == *o || b.slug == *o))
        .filter(|b| tag.is_none_or(|t| b.tags.iter().any(|x| x == t)))
        .collect();
    if chosen.is_empty() {
        return Err(format!(
            "--only and --tag together leave no board of {file}"
        ));
    }
    Ok(chosen)
}

fn has_flag(args: &[String], flag: &str) -> bool {
    args.iter()
        .any(|a| a == flag || a.strip_prefix(flag).is_some_and(|r| r.starts_with('=')))
}

/// `--power ask` (or `--power=ask`) among `sbcbench run` arguments.
pub fn wants_power_ask(args: &[String]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        a == "--power=ask" || (a == "--power" && args.get(i + 1).is_some_and(|v| v == "ask"))
    })
}

/// Flags of `sbcbench run` that the fleet sets itself.
const FLEET_SETS: [(&str, &str); 2] = [
    ("--board", "the board's name comes from boards.toml `name`"),
    (
        "--output",
        "the board saves into its temp directory and fleet's --output says where the results go here",
    ),
];

/// Checks run arguments; `whose` names where they came from.
pub fn check_run_args(args: &[String], whose: &str) -> Result<(), String> {
    for (flag, why) in FLEET_SETS {
        if has_flag(args, flag) {
            return Err(format!(
                "{whose}: {flag} is set by sbcbench fleet ({why}); remove it"
            ));
        }
    }
    Ok(())
}

/// The arguments of the remote `sbcbench run`.
pub fn remote_run_args(board: &Board, plan: &Plan, dir: &str) -> Vec<String> {
    let extra = plan.board_args(board);
    let mut args: Vec<String> = vec![
        "run".into(),
        "--board".into(),
        board.name.clone(),
        "--output".into(),
        format!("{dir}/results"),
    ];
    if let Some(mhz) = board.clock_mhz {
        if !has_flag(&extra, "--clock-mhz") {
            args.extend(["--clock-mhz".into(), mhz.to_string()]);
        }
    }
    // A meter measures what the fixed figures only estimate.
    if board.meter.is_some() && !has_flag(&extra, "--phase-events") {
        args.push("--phase-events".into());
    }
    if let (Some(p), None) = (&board.power, &board.meter) {
        if !has_flag(&extra, "--power") && !p.is_empty() {
            let keys: Vec<String> = crate::observe::power::Phase::ALL
                .into_iter()
                .filter_map(|ph| p.get(ph).map(|w| format!("{}={w}", ph.key())))
                .collect();
            args.extend(["--power".into(), format!("fixed:{}", keys.join(","))]);
        }
    }
    args.extend(extra);
    args
}

// The remote commands, each built from literal code and quoted values.

fn probe_cmd() -> Remote {
    Remote::new().code("uname -m")
}

/// The temp directory's name starts with a token chosen here, so that it
/// can be found and removed even when the connection dies before mktemp's
/// answer arrives.
fn mktemp_cmd(token: &str) -> Remote {
    Remote::new()
        .code(r#"umask 077 && mktemp -d "${TMPDIR:-/tmp}"/"#)
        .arg(&format!("sbcbench.{token}XXXXXX"))
}

/// Removes what a mktemp whose answer was lost may have made.
fn cleanup_token_cmd(token: &str) -> Remote {
    Remote::new()
        .code(r#"rm -rf -- "${TMPDIR:-/tmp}"/"#)
        .arg(&format!("sbcbench.{token}"))
        .code("??????")
}

/// A fresh token of 10 letters and digits: this machine's random hash keys,
/// the time and the pid. Not a secret (mktemp's own part of the name and
/// the directory's mode protect it), only unique.
fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.write_u32(std::process::id());
    let mut n = h.finish();
    (0..10)
        .map(|_| {
            let c = b"abcdefghijklmnopqrstuvwxyz0123456789"[(n % 36) as usize];
            n /= 36;
            c as char
        })
        .collect()
}

fn upload_cmd(dir: &str) -> Remote {
    let bin = format!("{dir}/sbcbench");
    Remote::new()
        .code("umask 077 && cat > ")
        .arg(&bin)
        .code(" && chmod 700 ")
        .arg(&bin)
        .code(" && sha256sum ")
        .arg(&bin)
}

fn run_cmd(board: &Board, plan: &Plan, dir: &str) -> Remote {
    // `$$` is the shell that `exec` turns into sbcbench: its pid and,
    // since sshd starts each session in a new session, its process group.
    Remote::new()
        .code("cd ")
        .arg(dir)
        .code(" && echo '@sbcbench pid' \"$$\" && exec ./sbcbench")
        .args(&remote_run_args(board, plan, dir))
}

fn fetch_cmd(dir: &str) -> Remote {
    Remote::new()
        .code("for f in ")
        .arg(&format!("{dir}/results"))
        .code(
            r#"/*/*.csv; do [ -f "$f" ] || continue; printf '@sbcbench file %s %s\n' "$(wc -c < "$f")" "${f##*/}" && cat "$f" || exit 1; done"#,
        )
}

/// Stops the run's process group: SIGTERM (sbcbench saves what it
/// measured), up to 5 s, then SIGKILL.
fn kill_cmd(pid: u32) -> Remote {
    let group = format!("-{pid}");
    let pid = pid.to_string();
    Remote::new()
        .code("kill -TERM ")
        .arg(&group)
        .code(" 2>/dev/null || kill -TERM ")
        .arg(&pid)
        .code(" 2>/dev/null; i=0; while kill -0 ")
        .arg(&pid)
        .code(" 2>/dev/null && [ $i -lt 25 ]; do sleep 0.2 2>/dev/null || sleep 1; i=$((i+1)); done; kill -KILL ")
        .arg(&group)
        .code(" 2>/dev/null; kill -KILL ")
        .arg(&pid)
        .code(" 2>/dev/null; true")
}

fn cleanup_cmd(dir: &str, kill: Option<u32>) -> Remote {
    let r = match kill {
        Some(pid) => kill_cmd(pid).code("; "),
        None => Remote::new(),
    };
    r.code("rm -rf -- ").arg(dir)
}

/// What `--dry-run` prints: every command, none run.
pub fn dry_run(boards: &[Board], plan: &Plan) -> String {
    let dir = "/tmp/sbcbench.TOKENXXXXXX";
    let mut out = String::new();
    let line = |ssh: &Ssh, remote: &Remote, tty: bool| {
        std::iter::once("ssh".to_string())
            .chain(ssh.args(remote, tty).iter().map(|a| display_word(a)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for board in boards {
        let ssh = plan.ssh(board);
        let target = board
            .target
            .clone()
            .unwrap_or_else(|| "<target of uname -m>".to_string());
        let binary = plan.dist.join(binary_name(&target));
        out.push_str(&format!(
            "# {} ({}): {dir} stands for the directory mktemp makes there\n",
            board.name,
            ssh.where_()
        ));
        if board.target.is_none() {
            out.push_str(&line(&ssh, &probe_cmd(), false));
            out.push('\n');
        }
        for (remote, tty, suffix) in [
            (mktemp_cmd("TOKEN"), false, String::new()),
            (
                upload_cmd(dir),
                false,
                format!(
                    " < {}   # then compare the sha256 with {}",
                    display_word(&binary.display().to_string()),
                    display_word(&plan.dist.join("SHA256SUMS").display().to_string())
                ),
            ),
            (run_cmd(board, plan, dir), plan.tty(board), String::new()),
            (
                fetch_cmd(dir),
                false,
                format!(
                    "   # then save the CSVs under {}",
                    display_word(&plan.output.join(&board.slug).display().to_string())
                ),
            ),
            (cleanup_cmd(dir, None), false, String::new()),
        ] {
            out.push_str(&line(&ssh, &remote, tty));
            out.push_str(&suffix);
            out.push('\n');
        }
    }
    out
}

/// Writes to this process's stdout or stderr in one piece.
fn emit(stream: Stream, text: &str) {
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

/// Runs every board, `plan.jobs` at a time; in the boards' order.
/// `meters[i]` is the meter of `boards[i]`.
pub fn run_all(
    boards: &[Board],
    plan: &Plan,
    stop: &AtomicBool,
    meters: Vec<Option<BoardMeter>>,
) -> Vec<Outcome> {
    let meters: Vec<Mutex<Option<BoardMeter>>> = meters.into_iter().map(Mutex::new).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(boards.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..plan.jobs.clamp(1, boards.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(board) = boards.get(i) else { break };
                let outcome = if stop.load(Ordering::SeqCst) {
                    Outcome {
                        board: board.name.clone(),
                        status: Status::RunFailed,
                        detail: Some("not started: interrupted (Ctrl-C)".into()),
                        duration: Duration::ZERO,
                        rows: 0,
                        saved: Vec::new(),
                        phases: PhaseLog::default(),
                        interrupted: true,
                    }
                } else {
                    let meter = meters
                        .get(i)
                        .and_then(|m| m.lock().ok().and_then(|mut m| m.take()));
                    run_board(board, plan, stop, meter)
                };
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(outcome);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .zip(boards)
        .map(|(o, b)| {
            o.unwrap_or_else(|| Outcome {
                board: b.name.clone(),
                status: Status::RunFailed,
                detail: Some("the worker running this board stopped unexpectedly".into()),
                duration: Duration::ZERO,
                rows: 0,
                saved: Vec::new(),
                phases: PhaseLog::default(),
                interrupted: false,
            })
        })
        .collect()
}

/// Why a board stopped.
#[derive(Debug)]
struct Fail {
    status: Status,
    detail: String,
    interrupted: bool,
}

impl Fail {
    fn new(status: Status, detail: impl Into<String>) -> Fail {
        Fail {
            status,
            detail: detail.into(),
            interrupted: false,
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
}

impl Session<'_> {
    fn say(&self, text: &str) {
        emit(Stream::Err, &format!("{}{text}\n", self.prefix));
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

    fn ssh_failed(&self, stderr: &str) -> Fail {
        match classify(stderr, &self.ssh) {
            SshFailure::Unreachable(m) => Fail::new(Status::Unreachable, m),
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

    /// The board's target triple: boards.toml `target`, else `uname -m`.
    fn target(&self) -> Result<String, Fail> {
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
                        super::boards::TARGETS.join(", ")
                    ),
                )
            })
    }

    /// The dist binary for `target` and its sha256 from SHA256SUMS.
    fn binary(&self, target: &str) -> Result<(PathBuf, String), Fail> {
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

    fn make_dir(&self) -> Result<String, Fail> {
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
                // The directory may exist without its name having come back.
                if fail.status == Status::Timeout
                    || fail.status == Status::Unreachable
                    || fail.interrupted
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

    fn upload(&self, dir: &RemoteDir, binary: &Path, sum: &str) -> Result<(), Fail> {
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

    /// The remote `sbcbench run`, its output streamed with the prefix.
    fn run(&self, dir: &mut RemoteDir, phases: &mut PhaseLog) -> Result<(), Fail> {
        let tty = self.plan.tty(self.board);
        let args = self
            .ssh
            .args(&run_cmd(self.board, self.plan, &dir.path), tty);
        let partial = self.plan.jobs == 1;
        let mut out = Forwarder::new(self.prefix.clone(), partial);
        let mut err = Forwarder::new(self.prefix.clone(), partial);
        let mut pid: Option<u32> = None;
        let mut handle =
            |stream: Stream, pieces: Vec<Piece>, at: Instant, pid: &mut Option<u32>| {
                for piece in pieces {
                    match piece {
                        Piece::Text(t) => emit(stream, &t),
                        Piece::Control(line) => match parse_control(&line) {
                            Some(Ok(Control::Pid(p))) => {
                                pid.get_or_insert(p);
                            }
                            Some(Ok(Control::Phase(e))) => phases.push(e, at),
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
                        Some(2) => "sbcbench run refused its arguments (exit status 2): check `run_args` \
                                    in boards.toml and the RUN ARGS after --; its message is above"
                            .to_string(),
                        Some(130) => "sbcbench run was interrupted on the board (exit status 130)".to_string(),
                        Some(c) => format!(
                            "sbcbench run failed on the board (exit status {c}); its messages are above, after {}",
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
    fn fetch(
        &self,
        dir: &RemoteDir,
        deadline: Instant,
        stop: &AtomicBool,
        power: Option<(&Monitor, &str, &[Span])>,
    ) -> Result<(usize, Vec<PathBuf>), Fail> {
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
        let mut rows = 0;
        let mut saved = Vec::new();
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
                let got = attribute(&mut checked, spans, &mut used, &stats, protocol);
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
            rows += checked.len();
            saved.push(path);
        }
        Ok((rows, saved))
    }
}

/// One line on what this machine's meter gave a fetched file's rows.
fn power_note(protocol: &str, got: &super::power::Attributed, rows: usize) -> String {
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

fn interrupted(what: &str) -> Fail {
    Fail {
        status: Status::RunFailed,
        detail: format!("interrupted (Ctrl-C) while {what}"),
        interrupted: true,
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

/// `@sbcbench file <size> <name>` headers, each followed by the bytes.
pub fn parse_files(mut data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    while !data.is_empty() {
        let nl = data
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a file header without its end")?;
        let header = String::from_utf8_lossy(&data[..nl]).into_owned();
        data = &data[nl + 1..];
        let mut words = header.split_whitespace();
        let (Some("@sbcbench"), Some("file"), Some(size), Some(name), None) = (
            words.next(),
            words.next(),
            words.next(),
            words.next(),
            words.next(),
        ) else {
            return Err(format!("unexpected output '{header}'"));
        };
        let size: usize = size
            .parse()
            .map_err(|_| format!("'{size}' is not a file size"))?;
        let name_ok = name.ends_with(".csv")
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !name_ok {
            return Err(format!("'{name}' is not the name of a results file"));
        }
        if data.len() < size {
            return Err(format!("{name} is cut short"));
        }
        files.push((name.to_string(), data[..size].to_vec()));
        data = &data[size..];
    }
    Ok(files)
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
) -> Outcome {
    let started = Instant::now();
    let session = Session {
        board,
        plan,
        ssh: plan.ssh(board),
        stop,
        deadline: started + plan.timeout,
        prefix: format!("[{}] ", board.name),
    };
    let mut outcome = Outcome {
        board: board.name.clone(),
        status: Status::Ok,
        detail: None,
        duration: Duration::ZERO,
        rows: 0,
        saved: Vec::new(),
        phases: PhaseLog::default(),
        interrupted: false,
    };
    if let Err(fail) = session_steps(&session, &mut outcome, meter) {
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
    outcome
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
    session.upload(&dir, &binary, &sum)?;
    // Sampled from just before the run starts until its rows are fetched.
    let monitor = meter.map(|(spec, m)| {
        let protocol = spec.protocol.name();
        (protocol, Monitor::start(m, Some(spec), meter::PERIOD))
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
    let fetched = session.fetch(&dir, deadline, stop, power);
    if let Some((_, m)) = monitor {
        for w in m.warnings() {
            session.say(&format!("warning: {w}"));
        }
        m.stop();
    }
    let removed = dir.remove();
    match fetched {
        Ok((rows, saved)) => {
            outcome.rows = rows;
            outcome.saved = saved;
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
            "sbcbench run ended well but saved no results file",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(name: &str) -> Board {
        Board {
            name: name.into(),
            slug: crate::record::board_slug(name),
            host: "h".into(),
            user: None,
            port: None,
            identity: None,
            target: None,
            clock_mhz: None,
            power: None,
            meter: None,
            run_args: vec![],
            tags: vec![],
        }
    }

    fn plan() -> Plan {
        Plan {
            dist: "dist".into(),
            sums: BTreeMap::new(),
            output: "results".into(),
            timeout: Duration::from_secs(60),
            ssh_options: vec![],
            accept_new_host_keys: false,
            run_args: vec!["--quick".into()],
            jobs: 4,
        }
    }

    #[test]
    fn statuses_are_the_documented_words() {
        let words: Vec<String> = [
            Status::Ok,
            Status::Unreachable,
            Status::AuthFailed,
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
                "unknown arch",
                "no binary for target",
                "run failed",
                "timeout"
            ]
        );
    }

    #[test]
    fn sums_are_read_in_sha256sum_format() {
        let dir = tempfile::tempdir().unwrap();
        let h = "a".repeat(64);
        std::fs::write(
            dir.path().join("SHA256SUMS"),
            format!(
                "{h}  sbcbench-x86_64-unknown-linux-gnu\n{} *sbcbench-b\n",
                "B".repeat(64)
            ),
        )
        .unwrap();
        let sums = read_sums(dir.path()).unwrap();
        assert_eq!(sums["sbcbench-x86_64-unknown-linux-gnu"], h);
        assert_eq!(sums["sbcbench-b"], "b".repeat(64));
        std::fs::write(dir.path().join("SHA256SUMS"), "xyz  f\n").unwrap();
        assert!(read_sums(dir.path()).unwrap_err().contains("SHA256SUMS:1"));
        let e = read_sums(&dir.path().join("nope")).unwrap_err();
        assert!(e.contains("--dist") && e.contains("ci/cross-build"), "{e}");
    }

    #[test]
    fn only_and_tag_choose_boards_and_name_the_unknown() {
        let mut a = board("Pi 4");
        a.tags = vec!["arm".into()];
        let b = board("VisionFive 2");
        let all = vec![a, b];
        let names = |v: Vec<Board>| v.into_iter().map(|b| b.name).collect::<Vec<_>>();
        assert_eq!(
            names(select(all.clone(), &["pi-4".into()], None, "f").unwrap()),
            ["Pi 4"]
        );
        assert_eq!(
            names(select(all.clone(), &[], Some("arm"), "f").unwrap()),
            ["Pi 4"]
        );
        let e = select(
            all.clone(),
            &["Pi 5".into(), "Pi 4".into(), "x".into()],
            None,
            "f",
        )
        .unwrap_err();
        assert!(
            e.contains("'Pi 5', 'x'") && e.contains("'VisionFive 2'"),
            "{e}"
        );
        let e = select(all.clone(), &[], Some("riscv"), "f").unwrap_err();
        assert!(e.contains("--tag riscv") && e.contains("arm"), "{e}");
        assert!(select(all, &["VisionFive 2".into()], Some("arm"), "f").is_err());
    }

    #[test]
    fn the_remote_run_gets_the_board_settings_then_the_run_args() {
        let mut b = board("pi'; touch /tmp/x; '");
        b.clock_mhz = Some(1500.0);
        b.power = Some(crate::observe::power::PhaseWatts {
            idle: Some(2.5),
            all: Some(6.0),
            ..Default::default()
        });
        b.run_args = vec!["--threads".into(), "1".into()];
        let args = remote_run_args(&b, &plan(), "/tmp/sbcbench.x");
        assert_eq!(
            args,
            [
                "run",
                "--board",
                "pi'; touch /tmp/x; '",
                "--output",
                "/tmp/sbcbench.x/results",
                "--clock-mhz",
                "1500",
                "--power",
                "fixed:idle=2.5,all=6",
                "--threads",
                "1",
                "--quick"
            ]
        );
        b.run_args = vec!["--power=ask".into()];
        let args = remote_run_args(&b, &plan(), "/d");
        assert!(!args.iter().any(|a| a.starts_with("fixed:")), "{args:?}");
        assert!(wants_power_ask(&args));
        assert!(!plan().tty(&b), "several jobs never get a terminal");
        let one = Plan { jobs: 1, ..plan() };
        assert!(one.tty(&b));
    }

    #[test]
    fn flags_the_fleet_sets_are_refused_in_run_args() {
        assert!(check_run_args(&["--quick".into()], "RUN ARGS").is_ok());
        let e = check_run_args(&["--output=x".into()], "board 'a': run_args").unwrap_err();
        assert!(e.starts_with("board 'a': run_args: --output"), "{e}");
        assert!(check_run_args(&["--board".into(), "x".into()], "RUN ARGS").is_err());
    }

    #[test]
    fn fetched_files_are_framed_and_their_names_checked() {
        let data = b"@sbcbench file 4 20260101T000000Z.csv\na,b\n@sbcbench file    0 x-2.csv\n";
        let files = parse_files(data).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            files[0],
            ("20260101T000000Z.csv".to_string(), b"a,b\n".to_vec())
        );
        assert!(parse_files(b"@sbcbench file 1 ../x.csv\nx").is_err());
        assert!(parse_files(b"@sbcbench file 9 a.csv\nx")
            .unwrap_err()
            .contains("cut short"));
        assert!(parse_files(b"hello\n").is_err());
        assert!(parse_files(b"").unwrap().is_empty());
    }

    #[test]
    fn remote_commands_quote_every_value() {
        let b = board("pi'; touch /tmp/pwned; '");
        let cmd = run_cmd(&b, &plan(), "/tmp/sbcbench.a b");
        assert!(
            cmd.as_str().contains(r"'pi'\''; touch /tmp/pwned; '\'''"),
            "{}",
            cmd.as_str()
        );
        assert!(cmd.as_str().starts_with("cd '/tmp/sbcbench.a b' && "));
        let clean = cleanup_cmd("/tmp/sbcbench.x", Some(42));
        assert!(
            clean.as_str().contains("kill -TERM '-42'"),
            "{}",
            clean.as_str()
        );
        assert!(clean.as_str().ends_with("rm -rf -- '/tmp/sbcbench.x'"));
    }
}
