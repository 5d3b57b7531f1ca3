//! `sbcbench fleet` against a real OpenSSH server on loopback: each test
//! starts its own `sshd` (installing Debian's openssh-server when it is
//! missing) with throwaway host and user keys, on 127.0.0.1–3 at a free
//! port, and stops it at the end whatever happened. The "boards" run the
//! test build of sbcbench from a temporary dist directory.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{files_under, sbcbench_path, sbcbench_std, Sim};
use sbcbench::record::{board_slug, read_results};

/// Quick runs: these tests check the fleet, not the measurements.
pub(crate) const RUN: &[&str] = &[
    "--",
    "--quick",
    "--kernels",
    "sha1",
    "--threads",
    "1",
    "--system-tools",
    "off",
];

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// OpenSSH's sshd, ssh and ssh-keygen: ci/test installs them before the
/// tests, which never install anything themselves.
fn ensure_openssh() {
    let present =
        Path::new("/usr/sbin/sshd").exists() && runs("ssh", "-V") && runs("ssh-keygen", "-?");
    assert!(
        present,
        "the fleet tests need OpenSSH's sshd, ssh and ssh-keygen: run ci/test (it installs \
         them), or `apt-get install openssh-server openssh-client` first"
    );
}

fn sh(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn keygen(path: &Path) {
    let p = path.to_str().unwrap();
    sh(
        "ssh-keygen",
        &["-q", "-t", "ed25519", "-N", "", "-C", "fleet-test", "-f", p],
    );
}

/// A port nothing listens on (now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn user() -> String {
    String::from_utf8(sh("id", &["-un"]).stdout)
        .unwrap()
        .trim()
        .to_string()
}

/// An sshd of our own; killed when dropped.
pub(crate) struct Sshd {
    child: Child,
    dir: tempfile::TempDir,
    pub(crate) port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    pub(crate) fn start() -> Sshd {
        ensure_openssh();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("id"));
        std::fs::copy(d.join("id.pub"), d.join("authorized_keys")).unwrap();
        std::fs::create_dir(d.join("remote-tmp")).unwrap();
        // Connections to 127.0.0.3 see a `uname -m` that no build matches.
        std::fs::create_dir(d.join("fakebin")).unwrap();
        write_exec(&d.join("fakebin/uname"), "#!/bin/sh\necho mips64\n");
        if !Path::new("/run/sshd").exists() && is_root() {
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let key: Vec<&str> = host_pub.split_whitespace().take(2).collect();

        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let config = format!(
                "Port {port}\n\
                 ListenAddress 127.0.0.1\nListenAddress 127.0.0.2\nListenAddress 127.0.0.3\n\
                 HostKey {d}/host_key\n\
                 PidFile {d}/sshd.pid\n\
                 StrictModes no\nUsePAM no\n\
                 PermitRootLogin prohibit-password\n\
                 AuthorizedKeysFile {d}/authorized_keys\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 MaxStartups 100\n\
                 Subsystem sftp internal-sftp\n\
                 SetEnv TMPDIR={d}/remote-tmp\n\
                 Match LocalAddress 127.0.0.3\n  SetEnv PATH={d}/fakebin:/usr/bin:/bin TMPDIR={d}/remote-tmp\n",
                d = d.display()
            );
            std::fs::write(d.join("sshd_config"), config).unwrap();
            let log = std::fs::File::create(d.join("sshd.log")).unwrap();
            let mut child = Command::new("/usr/sbin/sshd")
                .args(["-D", "-e", "-f"])
                .arg(d.join("sshd_config"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start /usr/sbin/sshd: {e}"));
            let until = Instant::now() + Duration::from_secs(10);
            let listening = |ip: &str| {
                let addr: SocketAddr = format!("{ip}:{port}").parse().unwrap();
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            };
            let mut exited = false;
            while Instant::now() < until {
                if child.try_wait().ok().flatten().is_some() {
                    exited = true;
                    break;
                }
                if ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
                    .iter()
                    .all(|ip| listening(ip))
                {
                    let known: String = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
                        .iter()
                        .map(|ip| format!("[{ip}]:{port} {} {}\n", key[0], key[1]))
                        .collect();
                    std::fs::write(d.join("known_hosts"), known).unwrap();
                    return Sshd { child, dir, port };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(d.join("sshd.log")).unwrap_or_default();
            if !exited {
                break;
            }
            // Most likely the port was taken in between: try another.
        }
        panic!(
            "the fleet tests could not start their own sshd on 127.0.0.1 (they need root, or \
             openssh-server and a free port); its log:\n{last_log}"
        );
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What the boards' `mktemp -d` left in their TMPDIR.
    pub(crate) fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.path("remote-tmp"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// `sbcbench fleet` with this server's known_hosts, key and user.
    /// `fleet` with the test's known_hosts and the quick run arguments:
    /// its exit code, stdout and stderr.
    pub(crate) fn run_fleet(
        &self,
        boards: &Path,
        dist: &Path,
        output: &Path,
    ) -> (Option<i32>, String, String) {
        let out = self
            .fleet(boards, dist, output, &self.path("known_hosts"))
            .args(RUN)
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    }

    pub(crate) fn fleet(
        &self,
        boards: &Path,
        dist: &Path,
        output: &Path,
        known_hosts: &Path,
    ) -> Command {
        let mut cmd = sbcbench_std();
        cmd.arg("fleet")
            .arg("--boards")
            .arg(boards)
            .arg("--dist")
            .arg(dist)
            .arg("--output")
            .arg(output);
        for option in [
            format!("UserKnownHostsFile={}", known_hosts.display()),
            format!("IdentityFile={}", self.path("id").display()),
            "IdentitiesOnly=yes".to_string(),
            format!("User={}", user()),
        ] {
            cmd.arg("--ssh-option").arg(option);
        }
        cmd
    }
}

pub(crate) fn write_exec(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// This machine's target, as the fleet maps `uname -m`.
pub(crate) fn host_target() -> &'static str {
    let machine = String::from_utf8(sh("uname", &["-m"]).stdout).unwrap();
    sbcbench::deploy::boards::target_for_machine(machine.trim())
        .expect("the tests run on a machine sbcbench is built for")
}

/// A dist directory: `files` (name → content source) and their SHA256SUMS.
fn dist(dir: &Path, files: &[(&str, &Path)]) -> PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let mut names = Vec::new();
    for (name, from) in files {
        std::fs::copy(from, dist.join(name)).unwrap();
        names.push(*name);
    }
    let out = Command::new("sha256sum")
        .args(&names)
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(dist.join("SHA256SUMS"), out.stdout).unwrap();
    dist
}

/// The test build of sbcbench as this machine's dist binary.
pub(crate) fn dist_of_this_build(dir: &Path) -> PathBuf {
    let name = format!("sbcbench-{}", host_target());
    dist(dir, &[(&name, sbcbench_path())])
}

/// A boards.toml of (name, host, port[, extra TOML lines]).
pub(crate) fn boards_toml(dir: &Path, boards: &[(&str, &str, u16)]) -> PathBuf {
    let mut text = String::new();
    for (name, host, port) in boards {
        text.push_str(&format!(
            "[[boards]]\nname = {}\nhost = \"{host}\"\nport = {port}\n\n",
            toml::Value::String(name.to_string())
        ));
    }
    let path = dir.join("boards.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// (board, status, rows saved) from the summary table.
pub(crate) fn summary(stdout: &str) -> Vec<(String, String, String)> {
    stdout
        .lines()
        .filter(|l| l.contains('┆') && !l.contains("rows saved"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches(|c| c == '│' || c == ' ')
                .split('┆')
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].clone(), cells[1].clone(), cells[3].clone())
        })
        .collect()
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The board's results: exactly one CSV in results/<slug>/, its rows
/// about that board.
pub(crate) fn assert_saved(output: &Path, board: &str) {
    let files = files_under(&output.join(board_slug(board)));
    assert_eq!(files.len(), 1, "{board}: {files:?}");
    let rows = read_results(&files[0]).unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.board == board), "{board}: {rows:?}");
}

#[test]
fn two_boards_ok_and_a_closed_port_unreachable() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let closed = free_port();
    let boards = boards_toml(
        work.path(),
        &[
            ("Loop One", "127.0.0.1", sshd.port),
            ("Loop Two", "127.0.0.2", sshd.port),
            ("Closed Port", "127.0.0.1", closed),
        ],
    );
    let output = work.path().join("results");
    let (code, stdout, stderr) = sshd.run_fleet(&boards, &dist, &output);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert_eq!(
        summary(&stdout),
        [
            ("Loop One".into(), "ok".into(), "1".into()),
            ("Loop Two".into(), "ok".into(), "1".into()),
            ("Closed Port".into(), "unreachable".into(), "0".into()),
        ],
        "{stdout}\n{stderr}"
    );
    assert_saved(&output, "Loop One");
    assert_saved(&output, "Loop Two");
    assert!(!output.join("closed-port").exists());
    // Run with --system-tools off: the summary says the tools were not measured.
    let line = |board: &str| {
        let found = stdout
            .lines()
            .find(|l| l.contains(board) && l.contains('┆'));
        found.unwrap_or_default().to_string()
    };
    assert!(line("Loop One").contains("not measured"), "{stdout}");
    assert!(!line("Closed Port").contains("not measured"), "{stdout}");
    // The boards' output, streamed with their names.
    assert!(stdout.contains("[Loop One] | sha1 |"), "{stdout}");
    assert!(stdout.contains("[Loop Two] | sha1 |"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "[Closed Port] unreachable: cannot connect to 127.0.0.1 port {closed}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 3 boards failed: 'Closed Port' (unreachable)"),
        "{stderr}"
    );
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

/// The states `board` went through, from the timestamped lines on
/// stderr (`16:03:04 Loop One: uploading sbcbench`), without the time.
fn states(stderr: &str, board: &str) -> Vec<String> {
    let tail = format!(" {board}: ");
    stderr
        .lines()
        .filter_map(|l| {
            let (time, rest) = l.split_at_checked(8)?;
            let is_time = time.len() == 8
                && time.char_indices().all(|(i, c)| {
                    if i == 2 || i == 5 {
                        c == ':'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            (is_time && rest.starts_with(&tail)).then(|| rest[tail.len()..].to_string())
        })
        .collect()
}

#[test]
fn without_a_terminal_each_board_says_its_states_and_its_output_follows_the_summary() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let boards = boards_toml(
        work.path(),
        &[
            ("Loop One", "127.0.0.1", sshd.port),
            ("Loop Two", "127.0.0.2", sshd.port),
        ],
    );
    let output = work.path().join("results");
    let (code, stdout, stderr) = sshd.run_fleet(&boards, &dist, &output);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    for board in ["Loop One", "Loop Two"] {
        let got = states(&stderr, board);
        assert_eq!(got.len(), 6, "{board}: {got:?}\n{stderr}");
        assert_eq!(
            got[..3],
            ["connecting", "uploading sbcbench", "running: starting"],
            "{stderr}"
        );
        assert!(
            got[3].starts_with("running sha1 × 1 (cpu ") && got[3].ends_with("measurement 1"),
            "{got:?}"
        );
        assert_eq!(got[4], "fetching the results", "{got:?}");
        assert!(got[5].starts_with("done: 1 row in "), "{got:?}");
    }
    // Each board's output after the summary, and where its file is here.
    let summary_at = stdout.find("rows saved").expect(&stdout);
    let table_at = stdout.find("[Loop One] | sha1 |").expect(&stdout);
    assert!(summary_at < table_at, "{stdout}");
    let file = &files_under(&output.join("loop-one"))[0];
    assert!(
        stderr.contains(&format!("[Loop One] ok: 1 row saved to {}", file.display())),
        "{stderr}"
    );
    // The board's temp directory is gone: never shown as where results are.
    assert!(!stdout.contains("/tmp/sbcbench."), "{stdout}");
    assert!(!stderr.contains("/tmp/sbcbench."), "{stderr}");
    assert!(!stderr.contains("saved: "), "{stderr}");

    // --verbose: the output as it comes, before the summary.
    let verbose = sshd
        .fleet(&boards, &dist, &output, &sshd.path("known_hosts"))
        .args(["--only", "Loop One", "--verbose"])
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&verbose.stdout), text(&verbose.stderr));
    assert_eq!(verbose.status.code(), Some(0), "{stdout}\n{stderr}");
    let table_at = stdout.find("[Loop One] | sha1 |").expect(&stdout);
    assert!(table_at < stdout.find("rows saved").unwrap(), "{stdout}");
    assert_eq!(states(&stderr, "Loop One").len(), 6, "{stderr}");
    assert!(!stderr.contains("/tmp/sbcbench."), "{stderr}");
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn on_a_terminal_each_board_has_a_line_and_its_output_follows_the_summary() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let boards = boards_toml(work.path(), &[("Loop One", "127.0.0.1", sshd.port)]);
    let output = work.path().join("results");
    let cmd = format!(
        "{} fleet --boards {} --dist {} --output {} \
         --ssh-option UserKnownHostsFile={} --ssh-option IdentityFile={} \
         --ssh-option IdentitiesOnly=yes --ssh-option User={} {}",
        sbcbench_path().display(),
        boards.display(),
        dist.display(),
        output.display(),
        sshd.path("known_hosts").display(),
        sshd.path("id").display(),
        user(),
        RUN.join(" ")
    );
    // A terminal 80 columns wide: nothing printed is wider.
    let cmd = format!("sh -c 'stty cols 80 rows 40; exec {cmd}'");
    let mut p = rexpect::spawn(&cmd, Some(60_000)).unwrap();
    let mut rest = p.exp_string("Loop One done: 1 row in ").unwrap();
    rest += &p.exp_string("rows saved").unwrap();
    rest += "rows saved";
    rest += &p.exp_string("[Loop One] | sha1 |").unwrap();
    rest += "[Loop One] | sha1 |";
    rest += &p.exp_eof().unwrap();
    assert_saved(&output, "Loop One");
    // The session hands over each byte as a char: decode the UTF-8.
    let bytes: Vec<u8> = rest.chars().map(|c| c as u32 as u8).collect();
    let rest = String::from_utf8_lossy(&bytes);
    let plain = regex_lite::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]")
        .unwrap()
        .replace_all(&rest, "");
    for line in plain.split(['\n', '\r']) {
        assert!(line.chars().count() <= 80, "wider than 80:\n{line}");
    }
}

#[test]
fn run_status_lines_announce_each_step_without_the_idle_phase() {
    let out = sbcbench_std()
        .args(["run", "--board", "Status", "--no-save", "--status-lines"])
        .args(["--idle-time", "600"])
        .args(&RUN[1..])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let steps: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("@sbcbench "))
        .collect();
    assert_eq!(steps.len(), 1, "{stderr}");
    assert!(
        steps[0].starts_with("@sbcbench step kernel=sha1 mode=1 threads=1 cpus="),
        "{stderr}"
    );
}

/// A quick fleet of one board, `name` on `sshd`, whose boards.toml entry
/// also has the lines `more` (a meter on this machine), run with `args`:
/// its work folder (results in `results/`) and what it printed.
fn metered_fleet(
    sshd: &Sshd,
    name: &str,
    more: &str,
    args: &[&str],
) -> (tempfile::TempDir, Output) {
    let entry = format!(
        "name = \"{name}\"\nhost = \"127.0.0.1\"\nport = {}\n{more}",
        sshd.port
    );
    let args: Vec<&str> = RUN.iter().chain(args).copied().collect();
    fleet_of_one(sshd, &entry, &args)
}

/// A fleet of the one board of the boards.toml `entry` (its lines after
/// `[[boards]]`), run with `args`: its work folder (results in
/// `results/`) and what it printed.
pub(crate) fn fleet_of_one(
    sshd: &Sshd,
    entry: &str,
    args: &[impl AsRef<std::ffi::OsStr>],
) -> (tempfile::TempDir, Output) {
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let boards = work.path().join("boards.toml");
    std::fs::write(&boards, format!("[[boards]]\n{entry}\n")).unwrap();
    let out = sshd
        .fleet(
            &boards,
            &dist,
            &work.path().join("results"),
            &sshd.path("known_hosts"),
        )
        .args(args)
        .output()
        .unwrap();
    (work, out)
}

#[test]
fn a_meter_on_this_machine_gives_each_row_the_power_of_its_phase() {
    // A line meter whose reading climbs 1 W a second, printed every 100 ms:
    // a phase that ran later reads higher, so each row's figures show which
    // window of readings it was given.
    let t0 = Instant::now();
    let mut last: Option<Instant> = None;
    let sim = Sim::start(move |_| {
        if last.is_some_and(|l| l.elapsed() < Duration::from_millis(100)) {
            return Vec::new();
        }
        last = Some(Instant::now());
        format!("Power: {:.3} W\r\n", 5.0 + t0.elapsed().as_secs_f64()).into_bytes()
    });
    let sshd = Sshd::start();
    let (work, out) = metered_fleet(
        &sshd,
        "Metered",
        &format!(
            "meter = \"line:{}\"\npower = {{ idle = 1.0, one = 2.0 }}",
            sim.path
        ),
        &["--threads", "1,all", "--idle-time", "2"],
    );
    let output = work.path().join("results");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("[Metered] meter line on this machine: idle "),
        "{stderr}"
    );
    assert!(stderr.contains("2 of 2 rows with power"), "{stderr}");
    // Control lines are read, never shown.
    assert!(!stdout.contains("@sbcbench") && !stderr.contains("@sbcbench"));

    let files = files_under(&output.join("metered"));
    assert_eq!(files.len(), 1, "{files:?}");
    let rows = read_results(&files[0]).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let idle = rows[0].idle_watts.expect("idle power from the meter");
    // Measured, not the boards.toml figures the meter replaces.
    assert!(idle > 5.0, "{idle}");
    let mut previous_max = idle;
    for r in &rows {
        assert_eq!(r.watts_source, "meter:line", "{r:?}");
        assert_eq!(r.idle_watts, Some(idle));
        let (w, min, max) = (r.watts.unwrap(), r.watts_min.unwrap(), r.watts_max.unwrap());
        // After the phase before it (idle, then one core, then all), and
        // after the first 2 s of settling.
        assert!(min > previous_max, "{r:?}");
        assert!(min <= w && w <= max, "{r:?}");
        assert!(
            r.watts_readings.unwrap() >= 10,
            "lengthened for the meter: {r:?}"
        );
        assert!((r.mb_per_s_per_w.unwrap() - r.mb_per_s / w).abs() < 1e-9);
        assert!(r.efficiency_speedup.is_some(), "{r:?}");
        previous_max = max;
    }
    assert_eq!(rows[0].one_core_watts, rows[0].watts);
    assert_eq!(rows[1].all_cores_watts, rows[1].watts);
    assert!(rows[1].mb_per_s_per_w_extrapolated.is_some());
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn a_shelly_plug_on_this_machine_measures_a_board() {
    // A Gen2 Plus Plug S behind digest auth, read by the controller: the
    // board's rows get its power, the password stays on this machine.
    let accepted = Arc::new(AtomicU64::new(0));
    let plug = crate::meter_shelly::gen2_plug(Arc::clone(&accepted));
    let sshd = Sshd::start();
    let secrets = tempfile::tempdir().unwrap();
    let password =
        crate::meter_shelly::secret_file(&secrets, "plug", crate::meter_shelly::PASSWORD);
    let (work, out) = metered_fleet(
        &sshd,
        "Plugged",
        &format!("meter = \"shelly:{},password-file={password}\"", plug.addr),
        &["--idle-time", "2"],
    );
    let output = work.path().join("results");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("[Plugged] meter shelly on this machine"),
        "{stderr}"
    );
    let files = files_under(&output.join("plugged"));
    assert_eq!(files.len(), 1, "{files:?}");
    let rows = read_results(&files[0]).unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_source, "meter:shelly", "{r:?}");
        assert_eq!(r.watts_method, "samples", "{r:?}");
        assert!(
            r.watts.unwrap() > 2.0 && r.mb_per_s_per_w.is_some(),
            "{r:?}"
        );
        assert!(r.watts_readings.unwrap() >= 10, "{r:?}");
    }
    assert!(rows[0].idle_watts.is_some());
    // Polled once a second at most, and every poll logged in.
    assert!(accepted.load(Ordering::SeqCst) >= 10);
    let results = std::fs::read_to_string(&files[0]).unwrap();
    for text in [&stdout, &stderr, &results] {
        assert!(!text.contains(crate::meter_shelly::PASSWORD));
    }
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn a_meter_that_cannot_be_opened_or_measures_two_boards_is_refused_before_connecting() {
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let fleet = |toml: &str| {
        let boards = work.path().join("boards.toml");
        std::fs::write(&boards, toml).unwrap();
        let out = sbcbench_std()
            .arg("fleet")
            .arg("--boards")
            .arg(&boards)
            .arg("--dist")
            .arg(&dist)
            .output()
            .unwrap();
        (out.status.code(), text(&out.stderr))
    };
    // Port 1 on loopback: refused if anything were tried.
    let (code, stderr) = fleet(
        "[[boards]]\nname = \"A\"\nhost = \"127.0.0.1\"\nport = 1\n\
         meter = \"pzem004t:/dev/does-not-exist-sbcbench\"\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("board 'A': meter: /dev/does-not-exist-sbcbench"),
        "{stderr}"
    );
    assert!(!stderr.contains("unreachable"), "{stderr}");
    let (code, stderr) = fleet(
        "[[boards]]\nname = \"A\"\nhost = \"127.0.0.1\"\nport = 1\nmeter = \"line:/dev/ttyX\"\n\
         [[boards]]\nname = \"B\"\nhost = \"127.0.0.1\"\nport = 1\nmeter = \"pzem004t:/dev/ttyX\"\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("boards 'A' and 'B' both have the meter /dev/ttyX"),
        "{stderr}"
    );
    let (code, stderr) = fleet(
        "[[boards]]\nname = \"A\"\nhost = \"127.0.0.1\"\nport = 1\nmeter = \"line:/dev/ttyX\"\n\
         run_args = [\"--meter\", \"line:/dev/ttyACM0\"]\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("keep one of them"), "{stderr}");
}

#[test]
fn a_hostile_board_name_never_reaches_a_shell() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let w = work.path().display();
    let name = format!("pi'; touch {w}/pwned; ' \"$(touch {w}/pwned2)\" `touch {w}/pwned3` \\");
    let boards = boards_toml(work.path(), &[(&name, "127.0.0.1", sshd.port)]);
    let output = work.path().join("results");
    let out = sshd
        .fleet(&boards, &dist, &output, &sshd.path("known_hosts"))
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for f in ["pwned", "pwned2", "pwned3"] {
        assert!(
            !work.path().join(f).exists(),
            "{f} was created: the name reached a shell"
        );
    }
    assert_saved(&output, &name);
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

/// A board with its `target` set is asked for a temp directory first: when
/// ssh never reached it, nothing can be left there, and no message says so.
#[test]
fn a_board_never_connected_to_is_not_said_to_keep_a_temp_directory() {
    ensure_openssh();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let boards = work.path().join("boards.toml");
    std::fs::write(
        &boards,
        format!(
            "[[boards]]\nname = \"Closed\"\nhost = \"127.0.0.1\"\nport = {}\ntarget = \"{}\"\n",
            free_port(),
            host_target()
        ),
    )
    .unwrap();
    let out = sbcbench_std()
        .arg("fleet")
        .arg("--boards")
        .arg(&boards)
        .arg("--dist")
        .arg(&dist)
        .arg("--output")
        .arg(work.path().join("results"))
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(summary(&stdout)[0].1, "unreachable", "{stdout}");
    assert!(
        stderr.contains("[Closed] unreachable: cannot connect"),
        "{stderr}"
    );
    assert!(!stderr.contains("temp"), "{stderr}");
    assert!(!stderr.contains("directory"), "{stderr}");
}

#[test]
fn host_keys_are_never_trusted_silently() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let boards = boards_toml(work.path(), &[("Loop One", "127.0.0.1", sshd.port)]);
    let output = work.path().join("results");
    let empty = work.path().join("known_hosts");
    std::fs::write(&empty, "").unwrap();

    let out = sshd
        .fleet(&boards, &dist, &output, &empty)
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(summary(&stdout)[0].1, "unknown host key", "{stdout}");
    for want in [
        format!("the host key of 127.0.0.1 port {} is not known", sshd.port),
        "never trusted silently".to_string(),
        "--accept-new-host-keys".to_string(),
        format!("ssh-keyscan -p {} 127.0.0.1", sshd.port),
    ] {
        assert!(stderr.contains(&want), "{want}: {stderr}");
    }
    assert_eq!(std::fs::read_to_string(&empty).unwrap(), "");
    assert!(files_under(&output).is_empty());

    let out = sshd
        .fleet(&boards, &dist, &output, &empty)
        .arg("--accept-new-host-keys")
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_saved(&output, "Loop One");
    assert!(std::fs::read_to_string(&empty)
        .unwrap()
        .contains("ssh-ed25519"));

    // A key that changed is refused even with --accept-new-host-keys.
    keygen(&work.path().join("other_key"));
    let other = std::fs::read_to_string(work.path().join("other_key.pub")).unwrap();
    let other: Vec<&str> = other.split_whitespace().take(2).collect();
    let wrong = work.path().join("wrong_known_hosts");
    std::fs::write(
        &wrong,
        format!("[127.0.0.1]:{} {} {}\n", sshd.port, other[0], other[1]),
    )
    .unwrap();
    let out = sshd
        .fleet(&boards, &dist, &output, &wrong)
        .arg("--accept-new-host-keys")
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(summary(&stdout)[0].1, "host key changed", "{stdout}");
    assert!(stderr.contains("has CHANGED"), "{stderr}");
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn an_unknown_machine_and_a_missing_binary_are_told_apart() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    // A dist with a binary for another architecture only.
    let other = if host_target() == "aarch64-unknown-linux-gnu" {
        "sbcbench-riscv64gc-unknown-linux-gnu"
    } else {
        "sbcbench-aarch64-unknown-linux-gnu"
    };
    let placeholder = work.path().join("placeholder");
    std::fs::write(&placeholder, "not really a binary").unwrap();
    let dist = dist(work.path(), &[(other, &placeholder)]);
    let boards = boards_toml(
        work.path(),
        &[
            ("No Build", "127.0.0.1", sshd.port),
            ("Mips Board", "127.0.0.3", sshd.port),
        ],
    );
    let output = work.path().join("results");
    let (code, stdout, stderr) = sshd.run_fleet(&boards, &dist, &output);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert_eq!(
        summary(&stdout),
        [
            ("No Build".into(), "no binary for target".into(), "0".into()),
            ("Mips Board".into(), "unknown arch".into(), "0".into()),
        ],
        "{stdout}\n{stderr}"
    );
    let target = host_target();
    assert!(
        stderr.contains(&format!("sbcbench-{target}, which does not exist"))
            && stderr.contains(&format!("ci/cross-build {target}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("says 'mips64'") && stderr.contains("`target`"),
        "{stderr}"
    );
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

/// Two boards: "Hang", which says it is an aarch64 board and whose dist
/// binary hangs (writing its pid and its child's to the returned file),
/// then `other`, running the real build. (dist, boards.toml, pids file).
fn hanging_and_real(sshd: &Sshd, dir: &Path, other: &str) -> (PathBuf, PathBuf, PathBuf) {
    let pids = dir.join("pids");
    let hang = dir.join("hang");
    write_exec(
        &hang,
        &format!(
            "#!/bin/sh\necho $$ > {p}\nsleep 120 &\necho $! >> {p}\necho hanging\nwait\n",
            p = pids.display()
        ),
    );
    let dist = dist(
        dir,
        &[
            ("sbcbench-aarch64-unknown-linux-gnu", &hang),
            (&format!("sbcbench-{}", host_target()), sbcbench_path()),
        ],
    );
    let boards = dir.join("boards.toml");
    std::fs::write(
        &boards,
        format!(
            "[[boards]]\nname = \"Hang\"\nhost = \"127.0.0.1\"\nport = {p}\n\
             target = \"aarch64-unknown-linux-gnu\"\n\n\
             [[boards]]\nname = \"{other}\"\nhost = \"127.0.0.2\"\nport = {p}\n",
            p = sshd.port
        ),
    )
    .unwrap();
    (dist, boards, pids)
}

/// The hanging board's processes, listed in `pids`, are gone (soon).
fn assert_stopped(pids: &Path) {
    let pids: Vec<u32> = std::fs::read_to_string(pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    let until = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    for p in pids {
        assert!(!alive(p), "remote process {p} still runs");
    }
}

#[test]
fn a_hanging_run_times_out_and_is_cleaned_up() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let (dist, boards, pids) = hanging_and_real(&sshd, work.path(), "Fine");
    let output = work.path().join("results");
    let started = Instant::now();
    let out = sshd
        .fleet(&boards, &dist, &output, &sshd.path("known_hosts"))
        .args(["--timeout", "20", "--jobs", "2"])
        .args(RUN)
        .output()
        .unwrap();
    let took = started.elapsed();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let rows = summary(&stdout);
    assert_eq!(rows[0].1, "timeout", "{stdout}\n{stderr}");
    // The other board finished meanwhile, its results saved.
    assert_eq!(rows[1].1, "ok", "{stdout}\n{stderr}");
    assert_saved(&output, "Fine");
    assert!(stdout.contains("[Hang] hanging"), "{stdout}");
    assert!(stderr.contains("--timeout 20 s"), "{stderr}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    // The remote process and its child were stopped.
    assert_stopped(&pids);
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn a_temp_directory_whose_name_never_came_back_is_removed_by_its_token() {
    let sshd = Sshd::start();
    // On 127.0.0.3 the board's mktemp makes the directory, then hangs
    // before printing its name: as a connection that dies at that moment.
    write_exec(
        &sshd.path("fakebin/mktemp"),
        "#!/bin/sh\nfor m in /usr/bin/mktemp /bin/mktemp; do [ -x $m ] && break; done\n\
         $m \"$@\" > /dev/null || exit 1\nexec sleep 20\n",
    );
    let entry = format!(
        "name = \"Lost\"\nhost = \"127.0.0.3\"\nport = {}\ntarget = \"{}\"",
        sshd.port,
        host_target()
    );
    let args: Vec<&str> = ["--timeout", "4"].iter().chain(RUN).copied().collect();
    let (_work, out) = fleet_of_one(&sshd, &entry, &args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(summary(&stdout)[0].1, "timeout", "{stdout}\n{stderr}");
    assert!(stderr.contains("while mktemp -d"), "{stderr}");
    assert!(!stderr.contains("remove it yourself"), "{stderr}");
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn sigint_and_sigterm_stop_the_fleet_and_keep_what_finished() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let sshd = Sshd::start();
        let work = tempfile::tempdir().unwrap();
        let (dist, boards, pids) = hanging_and_real(&sshd, work.path(), "Quick");
        let output = work.path().join("results");
        let child = sshd
            .fleet(&boards, &dist, &output, &sshd.path("known_hosts"))
            .args(["--jobs", "2"])
            .args(RUN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Once Quick's results are saved here and Hang is hanging: stop.
        let t0 = Instant::now();
        while files_under(&output.join("quick")).is_empty() || !pids.exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(120),
                "Quick never finished"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(
            out.status.code(),
            Some(code),
            "SIG{signal}: {stdout}\n{stderr}"
        );
        assert!(
            stderr.contains("[Hang] run failed: interrupted"),
            "{stderr}"
        );
        assert_saved(&output, "Quick");
        // Hang's remote run was stopped and both temp directories removed.
        assert_stopped(&pids);
        assert_eq!(sshd.leftovers(), Vec::<String>::new());
    }
}

/// A process that exists and is not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

#[test]
fn power_ask_with_one_job_prompts_through_ssh_t() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let boards = boards_toml(work.path(), &[("Loop One", "127.0.0.1", sshd.port)]);
    let output = work.path().join("results");
    let cmd = format!(
        "{} fleet --boards {} --dist {} --output {} --jobs 1 \
         --ssh-option UserKnownHostsFile={} --ssh-option IdentityFile={} \
         --ssh-option IdentitiesOnly=yes --ssh-option User={} \
         -- --quick --kernels sha1 --threads 1 --system-tools off --power ask --load sha1",
        sbcbench_path().display(),
        boards.display(),
        dist.display(),
        output.display(),
        sshd.path("known_hosts").display(),
        sshd.path("id").display(),
        user()
    );
    let mut p = rexpect::spawn(&cmd, Some(60_000)).unwrap();
    p.exp_string("[Loop One] power 1/").unwrap();
    p.exp_string("empty to skip): ").unwrap();
    p.send_line("7.4").unwrap();
    p.exp_string("empty to skip): ").unwrap();
    p.send_line("10.4").unwrap();
    let online = std::thread::available_parallelism().unwrap().get();
    if online > 1 {
        p.exp_string("empty to skip): ").unwrap();
        p.send_line("").unwrap();
        if online >= 4 {
            p.exp_string("empty to skip): ").unwrap();
            p.send_line("").unwrap();
        }
    }
    p.exp_string("[Loop One] ok: 1 row saved").unwrap();
    p.exp_eof().unwrap();
    let files = files_under(&output.join("loop-one"));
    assert_eq!(files.len(), 1);
    let rows = read_results(&files[0]).unwrap();
    assert_eq!(rows[0].idle_watts, Some(7.4));
    assert_eq!(rows[0].watts, Some(10.4));
    assert_eq!(rows[0].watts_source, "typed");
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn dry_run_prints_the_commands_and_touches_nothing() {
    let work = tempfile::tempdir().unwrap();
    // An `ssh` that leaves a mark if anything runs it.
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let mark = work.path().join("ssh-ran");
    write_exec(
        &bin.join("ssh"),
        &format!("#!/bin/sh\ntouch {}\nexit 1\n", mark.display()),
    );
    let dist = dist(
        work.path(),
        &[("sbcbench-x86_64-unknown-linux-gnu", &bin.join("ssh"))],
    );
    let boards = boards_toml(work.path(), &[("Pi 4", "pi.lan", 2222)]);
    let output = work.path().join("results");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = sbcbench_std()
        .env("PATH", path)
        .arg("fleet")
        .arg("--boards")
        .arg(&boards)
        .arg("--dist")
        .arg(&dist)
        .arg("--output")
        .arg(&output)
        .arg("--dry-run")
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for want in [
        "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ControlMaster=yes -o \
         'ControlPath=$TMPDIR/sbcbench-ssh.XXXXXX/",
        "-o ControlPersist=no -N -T -- pi.lan &",
        "-o ControlMaster=no -o 'ControlPath=$TMPDIR/sbcbench-ssh.XXXXXX/",
        " -p 2222 ",
        "-T -- pi.lan 'uname -m'",
        "mktemp -d",
        "exec ./sbcbench '\\''run'\\'' '\\''--board'\\'' '\\''Pi 4'\\''",
        "'\\''--quick'\\''",
        "rm -rf --",
    ] {
        assert!(stdout.contains(want), "{want}\n{stdout}");
    }
    assert!(!mark.exists(), "--dry-run ran ssh");
    assert!(!output.exists(), "--dry-run created {}", output.display());
}

#[test]
fn mistakes_are_usage_errors_before_any_connection() {
    let work = tempfile::tempdir().unwrap();
    let x = work.path().join("x");
    std::fs::write(&x, "x").unwrap();
    let dist = dist(work.path(), &[("sbcbench-x86_64-unknown-linux-gnu", &x)]);
    let boards = boards_toml(
        work.path(),
        &[("Pi 4", "127.0.0.1", 1), ("Pi 5", "127.0.0.1", 1)],
    );
    let run = |args: &[&str]| {
        let out = sbcbench_std()
            .arg("fleet")
            .arg("--boards")
            .arg(&boards)
            .args(if args.contains(&"--dist") {
                vec![]
            } else {
                vec!["--dist".as_ref(), dist.as_os_str()]
            })
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), text(&out.stderr))
    };
    for (args, want) in [
        (
            &["--only", "Pi 4,Pi 9"][..],
            "--only: no board named 'Pi 9'",
        ),
        (&["--tag", "riscv"], "--tag riscv"),
        (
            &["--ssh-option", "StrictHostKeyChecking=no"],
            "--accept-new-host-keys",
        ),
        (&["--", "--power", "ask"], "--jobs 1"),
        (
            &["--", "--output", "x"],
            "RUN ARGS after --: --output is set by sbcbench fleet",
        ),
        (
            &["--dist", "/nonexistent"],
            "--dist /nonexistent: no such directory",
        ),
        (&["--timeout", "0"], "--timeout"),
    ] {
        let (code, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    let out = sbcbench_std()
        .args(["fleet", "--boards"])
        .arg(work.path().join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.toml: cannot read it"));
}

#[test]
fn fetched_results_are_checked_and_kept_when_the_run_fails() {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    // A real results file of "Fails Late", made here.
    let good = sbcbench_std()
        .args([
            "run",
            "--board",
            "Fails Late",
            "--format",
            "csv",
            "--no-save",
        ])
        .args(&RUN[1..])
        .output()
        .unwrap();
    assert!(good.status.success(), "{}", text(&good.stderr));
    std::fs::write(work.path().join("good.csv"), &good.stdout).unwrap();
    // A stand-in for sbcbench: `run --board NAME --output DIR …`.
    let script = work.path().join("fake");
    write_exec(
        &script,
        &format!(
            "#!/bin/sh\nmkdir -p \"$5/x\"\ncase \"$3\" in\n\
             'Bad Csv') echo 'not,a,results,file' > \"$5/x/20260101T000000Z.csv\"; exit 0 ;;\n\
             *) cp {} \"$5/x/20260101T000000Z.csv\"; echo 'failed late' >&2; exit 1 ;;\nesac\n",
            work.path().join("good.csv").display()
        ),
    );
    let name = format!("sbcbench-{}", host_target());
    let dist = dist(work.path(), &[(&name, &script)]);
    let boards = boards_toml(
        work.path(),
        &[
            ("Bad Csv", "127.0.0.1", sshd.port),
            ("Fails Late", "127.0.0.2", sshd.port),
        ],
    );
    let output = work.path().join("results");
    let (code, stdout, stderr) = sshd.run_fleet(&boards, &dist, &output);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert_eq!(
        summary(&stdout),
        [
            ("Bad Csv".into(), "run failed".into(), "0".into()),
            ("Fails Late".into(), "run failed".into(), "1".into()),
        ],
        "{stdout}\n{stderr}"
    );
    assert!(stderr.contains("[Fails Late] failed late"), "{stderr}");
    assert!(stderr.contains("exit status 1"), "{stderr}");
    assert!(
        stderr.contains("20260101T000000Z.csv from the board is not valid"),
        "{stderr}"
    );
    assert!(!output.join("bad-csv").exists());
    assert_saved(&output, "Fails Late");

    // A binary that does not match SHA256SUMS is never run.
    std::fs::write(
        dist.join("SHA256SUMS"),
        format!("{}  {name}\n", "0".repeat(64)),
    )
    .unwrap();
    let out = sshd
        .fleet(&boards, &dist, &output, &sshd.path("known_hosts"))
        .args(["--only", "Bad Csv"])
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(summary(&stdout)[0].1, "run failed", "{stdout}\n{stderr}");
    assert!(stderr.contains("has sha256"), "{stderr}");
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn the_guide_documents_every_flag_status_and_phase_key() {
    use clap::CommandFactory;
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet.md"))
            .unwrap();
    let cli = sbcbench::cli::Cli::command();
    let fleet = cli.find_subcommand("fleet").unwrap();
    for arg in fleet.get_arguments() {
        if let Some(long) = arg.get_long() {
            if long != "help" && long != "version" && long != "sysroot" {
                assert!(guide.contains(&format!("`--{long}")), "--{long}");
            }
        }
    }
    for status in [
        "ok",
        "unreachable",
        "auth failed",
        "unknown host key",
        "host key changed",
        "unknown arch",
        "no binary for target",
        "run failed",
        "timeout",
    ] {
        assert!(guide.contains(&format!("| `{status}` |")), "{status}");
    }
    for key in [
        "kernel", "load", "mode", "threads", "cpus", "cluster", "power", "status", "t",
    ] {
        assert!(guide.contains(&format!("| `{key}` |")), "{key}");
    }
}
