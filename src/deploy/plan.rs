//! The plan: which boards, which binary for each (checked against
//! dist/SHA256SUMS) and which `sbcbench run` (or `sweep`) arguments.
//! Everything here is decided and checked before any connection, and
//! `--dry-run` prints it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::command::{self, BoardCommand};
use super::remote::{
    cleanup_cmd, fetch_cmd, mktemp_cmd, probe_cmd, run_cmd, sweep_cmd, upload_cmd,
};
use super::ssh::{display_word, Remote, Ssh};
use super::Board;

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
    /// `sbcbench run` or `sbcbench sweep` on every board.
    pub command: BoardCommand,
    /// The RUN ARGS after `--` (and after its command word), for every board.
    pub run_args: Vec<String>,
    pub jobs: usize,
    /// Where the boards' master connections put their sockets (`mux.rs`);
    /// a placeholder for `--dry-run`, which makes nothing.
    pub control_dir: Option<PathBuf>,
}

impl Plan {
    fn connect_timeout_s(&self) -> u64 {
        self.timeout.as_secs().clamp(1, 10)
    }

    pub(super) fn ssh(&self, board: &Board) -> Ssh {
        Ssh {
            control_path: self
                .control_dir
                .as_ref()
                .map(|d| super::mux::socket_in(d, &board.slug)),
            ..Ssh::for_board(
                board,
                &self.ssh_options,
                self.accept_new_host_keys,
                self.connect_timeout_s(),
            )
        }
    }

    /// How long a board's master connection may take to come up.
    pub(super) fn connect_deadline(&self) -> std::time::Instant {
        std::time::Instant::now() + Duration::from_secs(self.connect_timeout_s() + 20)
    }

    /// The board's arguments then the command line's.
    pub(super) fn board_args(&self, board: &Board) -> Vec<String> {
        board_args(self.command, board, &self.run_args)
    }

    /// `ssh -t`: the run asks for the wattmeter's readings, one board at a time.
    pub fn tty(&self, board: &Board) -> bool {
        self.jobs == 1 && wants_power_ask(&self.board_args(board))
    }
}

/// A board's `run_args` (those a sweep has, for a sweep), then `run_args`
/// of the command line.
pub fn board_args(command: BoardCommand, board: &Board, run_args: &[String]) -> Vec<String> {
    let own = match command {
        BoardCommand::Run => board.run_args.clone(),
        BoardCommand::Sweep => command::without_run_only(&board.run_args).0,
    };
    own.into_iter().chain(run_args.iter().cloned()).collect()
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

pub(super) fn has_flag(args: &[String], flag: &str) -> bool {
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
    if let Some(word) = args.first().filter(|a| *a == "run" || *a == "sweep") {
        return Err(format!(
            "{whose}: '{word}' is a command, not an argument; the command is fleet's --command \
             (or the first word after --), given once"
        ));
    }
    for (flag, why) in FLEET_SETS {
        if has_flag(args, flag) {
            return Err(format!(
                "{whose}: {flag} is set by sbcbench fleet ({why}); remove it"
            ));
        }
    }
    Ok(())
}

/// The arguments of the remote `sbcbench run` (or `sweep`). A sweep gets
/// neither boards.toml's `clock_mhz` nor its `power`: it records the clock
/// it locks, and fixed figures cannot follow the clock ([`command`]).
pub fn remote_run_args(board: &Board, plan: &Plan, dir: &str) -> Vec<String> {
    let extra = plan.board_args(board);
    let run = plan.command == BoardCommand::Run;
    let mut args: Vec<String> = vec![
        plan.command.name().into(),
        "--board".into(),
        board.name.clone(),
        "--output".into(),
        format!("{dir}/results"),
    ];
    if let Some(mhz) = board.clock_mhz.filter(|_| run) {
        if !has_flag(&extra, "--clock-mhz") {
            args.extend(["--clock-mhz".into(), mhz.to_string()]);
        }
    }
    // The board says which measurement starts, for the fleet's status line.
    if !has_flag(&extra, "--status-lines") {
        args.push("--status-lines".into());
    }
    // A meter measures what the fixed figures only estimate.
    if board.meter.is_some() && !has_flag(&extra, "--phase-events") {
        args.push("--phase-events".into());
    }
    if let (Some(p), None, true) = (&board.power, &board.meter, run) {
        if !has_flag(&extra, "--power") && !p.is_empty() {
            let keys: Vec<String> = crate::power::Phase::ALL
                .into_iter()
                .filter_map(|ph| p.get(ph).map(|w| format!("{}={w}", ph.key())))
                .collect();
            args.extend(["--power".into(), format!("fixed:{}", keys.join(","))]);
        }
    }
    args.extend(extra);
    args
}

/// The remote command that runs the board's `sbcbench run` or `sweep`.
pub(super) fn remote_cmd(board: &Board, plan: &Plan, dir: &str) -> Remote {
    let args = remote_run_args(board, plan, dir);
    match plan.command {
        BoardCommand::Run => run_cmd(dir, &args),
        BoardCommand::Sweep => sweep_cmd(dir, &args),
    }
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
        if let Some(note) = (plan.command == BoardCommand::Sweep)
            .then(|| command::sweep_note(board))
            .flatten()
        {
            out.push_str(&format!("# {note}\n"));
        }
        if ssh.control_path.is_some() {
            out.push_str(
                &std::iter::once("ssh".to_string())
                    .chain(ssh.master_args().iter().map(|a| display_word(a)))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            out.push_str(" &   # the one connection the commands below share\n");
        }
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
            (remote_cmd(board, plan, dir), plan.tty(board), String::new()),
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
            ssh_options: vec![],
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
            command: BoardCommand::Run,
            run_args: vec!["--quick".into()],
            jobs: 4,
            control_dir: None,
        }
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
        b.power = Some(crate::power::PhaseWatts {
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
                "--status-lines",
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
    fn a_sweep_gets_neither_clock_mhz_nor_power_and_runs_as_root_or_with_sudo_n() {
        let mut b = board("Pi 4");
        b.clock_mhz = Some(1500.0);
        b.power = Some(crate::power::PhaseWatts {
            idle: Some(2.5),
            ..Default::default()
        });
        b.run_args = vec![
            "--system-tools".into(),
            "off".into(),
            "-k".into(),
            "sha1".into(),
        ];
        let sweep = Plan {
            command: BoardCommand::Sweep,
            run_args: vec!["--steps".into(), "4".into()],
            ..plan()
        };
        let args = remote_run_args(&b, &sweep, "/d");
        assert_eq!(
            args,
            [
                "sweep",
                "--board",
                "Pi 4",
                "--output",
                "/d/results",
                "--status-lines",
                "-k",
                "sha1",
                "--steps",
                "4"
            ]
        );
        let note = command::sweep_note(&b).unwrap();
        for left in ["`clock_mhz`", "`power`", "--system-tools off"] {
            assert!(note.contains(left), "{note}");
        }
        b.meter = Some("line:/dev/ttyACM0".into());
        let args = remote_run_args(&b, &sweep, "/d");
        assert!(args.contains(&"--phase-events".to_string()), "{args:?}");
        assert!(!command::sweep_note(&b).unwrap().contains("`power`"));
        let cmd = remote_cmd(&b, &sweep, "/d");
        assert!(
            cmd.as_str()
                .contains("then exec ./sbcbench 'sweep' '--board' 'Pi 4'"),
            "{}",
            cmd.as_str()
        );
        assert!(
            cmd.as_str()
                .contains("else exec sudo -n ./sbcbench 'sweep' '--board' 'Pi 4'"),
            "{}",
            cmd.as_str()
        );
        // A run is as it was: its flags, no sudo.
        let run = remote_cmd(&b, &plan(), "/d");
        assert!(run.as_str().contains("exec ./sbcbench 'run' '--board' 'Pi 4' '--output' '/d/results' '--clock-mhz' '1500'"), "{}", run.as_str());
        assert!(!run.as_str().contains("sudo"));
        let shown = dry_run(&[b], &sweep);
        assert!(shown.contains("# note: the sweep leaves out"), "{shown}");
        assert!(shown.contains("sudo -n ./sbcbench"), "{shown}");
    }

    #[test]
    fn flags_the_fleet_sets_are_refused_in_run_args() {
        let e = check_run_args(&["sweep".into()], "board 'a': run_args").unwrap_err();
        assert!(e.contains("'sweep' is a command"), "{e}");
        assert!(check_run_args(&["--quick".into()], "RUN ARGS").is_ok());
        let e = check_run_args(&["--output=x".into()], "board 'a': run_args").unwrap_err();
        assert!(e.starts_with("board 'a': run_args: --output"), "{e}");
        assert!(check_run_args(&["--board".into(), "x".into()], "RUN ARGS").is_err());
    }
}
