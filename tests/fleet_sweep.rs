//! `sbcbench fleet` running `sbcbench sweep` on a loopback "board" (the
//! OpenSSH harness of `fleet.rs`): the board sweeps a copy of the recorded
//! Raspberry Pi 4 tree (`--sysroot`), whose clock a stand-in firmware
//! thread makes follow the lock. The board is reached on 127.0.0.3, whose
//! PATH starts with the test's fake `id` and `sudo`: the root branch or
//! the `sudo -n` one is taken whoever runs the tests.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::firmware::{cpufreq_settings, read_khz, Firmware, CPUFREQ};
use crate::common::{files_under, fixture_copy, rows_from_csv, sbcbench_std, Sim};
use crate::fleet::{
    dist_of_this_build, fleet_of_one, host_target, summary, text, write_exec, Sshd,
};
use sbcbench::record::{board_slug, ResultRow};

/// The sweep's arguments: the tree, one kernel on one CPU at two steps,
/// samples of `min_time` seconds without warm-up or cooling waits.
fn sweep_args(root: &Path, min_time: &str) -> Vec<String> {
    let mut args = vec!["--sysroot".to_string(), root.display().to_string()];
    args.extend(
        [
            "--kernels",
            "sha1",
            "-t",
            "1",
            "--steps",
            "600,1500",
            "--min-time",
            min_time,
            "--samples",
            "2",
            "--warmup",
            "0",
            "--cooldown",
            "0",
        ]
        .map(String::from),
    );
    args
}

/// The board's fake `id -u` says `uid`; its fake `sudo` logs its arguments
/// to `sudo.log` in the sshd's folder and runs the command after `-n`
/// (as the test's user: a recorded tree needs no root).
fn fake_id_and_sudo(sshd: &Sshd, uid: u32) -> PathBuf {
    let log = sshd.path("sudo.log");
    write_exec(
        &sshd.path("fakebin/id"),
        &format!(
            "#!/bin/sh\nif [ \"$1\" = -u ]; then echo {uid}; else exec /usr/bin/id \"$@\"; fi\n"
        ),
    );
    write_exec(
        &sshd.path("fakebin/sudo"),
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n[ \"$1\" = -n ] || exit 1\nshift\nexec \"$@\"\n",
            log.display()
        ),
    );
    log
}

/// A fleet of one board on 127.0.0.3, its boards.toml entry with the
/// lines `more`, run with `args`: its work folder (results in
/// `results/`) and what it printed.
fn sweep_fleet(
    sshd: &Sshd,
    name: &str,
    more: &str,
    args: &[String],
) -> (tempfile::TempDir, Output) {
    let entry = format!(
        "name = \"{name}\"\nhost = \"127.0.0.3\"\nport = {}\ntarget = \"{}\"\n{more}",
        sshd.port,
        host_target()
    );
    fleet_of_one(sshd, &entry, args)
}

/// The one results file fetched for `board`, its rows.
fn fetched(output: &Path, board: &str) -> Vec<ResultRow> {
    let files = files_under(&output.join(board_slug(board)));
    assert_eq!(files.len(), 1, "{files:?}");
    rows_from_csv(&std::fs::read(&files[0]).unwrap())
}

fn clocks(rows: &[ResultRow]) -> Vec<Option<f64>> {
    rows.iter().map(|r| r.clock_mhz).collect()
}

#[test]
fn a_fleet_sweeps_a_board_through_sudo_n_and_leaves_cpufreq_as_it_was() {
    let sshd = Sshd::start();
    let log = fake_id_and_sudo(&sshd, 1000);
    let tree = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", tree.path());
    let before = cpufreq_settings(&root);
    let firmware = Firmware::start(&root, None);
    // Settings made for runs, which a sweep does without.
    let more = "clock_mhz = 1500\npower = { idle = 1.0, one = 2.0 }\n\
                run_args = [\"--system-tools\", \"off\"]";
    let mut args = vec!["--".to_string(), "sweep".to_string()];
    args.extend(sweep_args(&root, "0.05"));
    let (work, out) = sweep_fleet(&sshd, "Swept Pi", more, &args);
    drop(firmware);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        summary(&stdout),
        [("Swept Pi".into(), "ok".into(), "2".into())],
        "{stdout}"
    );
    assert!(
        stderr.contains("[Swept Pi] note: the sweep leaves out the board's `clock_mhz`"),
        "{stderr}"
    );
    for left in ["`power`", "--system-tools off"] {
        assert!(stderr.contains(left), "{left}: {stderr}");
    }
    let sudo = std::fs::read_to_string(&log).unwrap();
    assert!(
        sudo.starts_with("-n ./sbcbench sweep --board Swept Pi --output "),
        "{sudo}"
    );
    assert!(
        !sudo.contains("--clock-mhz") && !sudo.contains("--power"),
        "{sudo}"
    );

    let rows = fetched(&work.path().join("results"), "Swept Pi");
    assert_eq!(clocks(&rows), [Some(600.0), Some(1500.0)], "{rows:?}");
    for r in &rows {
        assert_eq!(r.clock_source.as_str(), "sweep", "{r:?}");
        assert_eq!(r.board, "Swept Pi");
        assert_eq!(r.watts, None, "no fixed figures: {r:?}");
    }
    assert_eq!(cpufreq_settings(&root), before);
    assert!(!root.join("var/lib/sbcbench/cpufreq-journal.toml").exists());
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn a_meter_on_this_machine_gives_each_step_of_a_sweep_its_own_watts() {
    let sshd = Sshd::start();
    // As root: the fake sudo must not be needed.
    let log = fake_id_and_sudo(&sshd, 0);
    let tree = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", tree.path());
    let before = cpufreq_settings(&root);
    let firmware = Firmware::start(&root, None);
    // A line meter here whose watts follow the board's clock, printed
    // every 100 ms: 1.2 W plus a part growing with the clock's square.
    let cur = root.join(CPUFREQ).join("policy0/scaling_cur_freq");
    let mut last: Option<Instant> = None;
    let sim = Sim::start(move |_| {
        if last.is_some_and(|l| l.elapsed() < Duration::from_millis(100)) {
            return Vec::new();
        }
        last = Some(Instant::now());
        let ghz = read_khz(&cur).unwrap_or(600_000) as f64 / 1e6;
        format!("Power: {:.3} W\r\n", 1.2 + 2.0 * ghz * ghz).into_bytes()
    });
    let mut args = ["--command", "sweep", "--"].map(String::from).to_vec();
    args.extend(sweep_args(&root, "0.05"));
    args.extend(["--idle-time", "1"].map(String::from));
    let (work, out) = sweep_fleet(
        &sshd,
        "Metered Pi",
        &format!("meter = \"line:{}\"", sim.path),
        &args,
    );
    drop(firmware);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("2 of 2 rows with power"), "{stderr}");
    assert!(!log.exists(), "sudo ran as root");

    let rows = fetched(&work.path().join("results"), "Metered Pi");
    assert_eq!(clocks(&rows), [Some(600.0), Some(1500.0)], "{rows:?}");
    for r in &rows {
        assert_eq!(r.clock_source.as_str(), "sweep", "{r:?}");
        assert_eq!(r.watts_source, "meter:line", "{r:?}");
        assert!(r.watts_readings.unwrap() >= 10, "{r:?}");
    }
    // 1.92 W at 600 MHz, 5.7 W at 1500: each row the readings of its step.
    let (low, high) = (&rows[0], &rows[1]);
    assert!(low.watts_max.unwrap() < 2.5, "{low:?}");
    assert!(high.watts_min.unwrap() > 5.0, "{high:?}");
    assert!(low.idle_watts.is_some_and(|w| w < 2.5), "{low:?}");
    assert_eq!(cpufreq_settings(&root), before);
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn a_board_where_sudo_asks_for_a_password_fails_with_the_advice() {
    let sshd = Sshd::start();
    fake_id_and_sudo(&sshd, 1000);
    write_exec(
        &sshd.path("fakebin/sudo"),
        "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n",
    );
    let tree = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", tree.path());
    let mut args = vec!["--".to_string(), "sweep".to_string()];
    args.extend(sweep_args(&root, "0.05"));
    let (work, out) = sweep_fleet(&sshd, "Locked Pi", "", &args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(summary(&stdout)[0].1, "run failed", "{stdout}");
    assert!(
        stderr.contains("sbcbench sweep needs root on the board, and sudo -n could not give it"),
        "{stderr}"
    );
    assert!(stderr.contains("NOPASSWD"), "{stderr}");
    assert!(files_under(&work.path().join("results")).is_empty());
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn a_sweep_stopped_by_the_timeout_puts_cpufreq_back() {
    let sshd = Sshd::start();
    fake_id_and_sudo(&sshd, 1000);
    let tree = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", tree.path());
    let before = cpufreq_settings(&root);
    let firmware = Firmware::start(&root, None);
    // Two steps of at least 4 s each: the timeout comes during one.
    let mut args = ["--timeout", "5", "--", "sweep"].map(String::from).to_vec();
    args.extend(sweep_args(&root, "2"));
    let (_work, out) = sweep_fleet(&sshd, "Slow Pi", "", &args);
    drop(firmware);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(summary(&stdout)[0].1, "timeout", "{stdout}\n{stderr}");
    // SIGTERM reached the sweep through `$$` (here sudo's exec), whose
    // guard restored cpufreq and removed its journal.
    assert_eq!(cpufreq_settings(&root), before);
    assert!(!root.join("var/lib/sbcbench/cpufreq-journal.toml").exists());
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

#[test]
fn a_sweeps_step_lines_name_their_clock() {
    let tree = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", tree.path());
    let firmware = Firmware::start(&root, None);
    let mut args = vec!["sweep".to_string()];
    args.extend(sweep_args(&root, "0.05"));
    let out = sbcbench_std()
        .args(&args)
        .args(["--status-lines", "--no-save", "--format", "csv"])
        .output()
        .unwrap();
    drop(firmware);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let steps: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("@sbcbench step "))
        .collect();
    assert_eq!(steps.len(), 2, "{stderr}");
    assert!(steps[0].ends_with(" clock=600"), "{stderr}");
    assert!(steps[1].ends_with(" clock=1500"), "{stderr}");
}

/// `sbcbench fleet` with a boards.toml of one board (a clock and fixed
/// power figures made for runs) and `args`, connecting to nothing.
fn offline(args: &[&str]) -> (Option<i32>, String, String) {
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let boards = work.path().join("boards.toml");
    std::fs::write(
        &boards,
        "[[boards]]\nname = \"Pi 4\"\nhost = \"pi.lan\"\nclock_mhz = 1500\n\
         power = { idle = 2.5 }\n",
    )
    .unwrap();
    let out = sbcbench_std()
        .arg("fleet")
        .arg("--boards")
        .arg(&boards)
        .arg("--dist")
        .arg(&dist)
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn dry_run_shows_the_sweep_with_its_sudo_branch_and_without_run_settings() {
    for how in [
        &["--dry-run", "--", "sweep"][..],
        &["--dry-run", "--command", "sweep"],
    ] {
        let (code, stdout, stderr) = offline(how);
        assert_eq!(code, Some(0), "{how:?}: {stderr}");
        for want in [
            "# note: the sweep leaves out the board's `clock_mhz`",
            "then exec ./sbcbench '\\''sweep'\\'' '\\''--board'\\'' '\\''Pi 4'\\''",
            "else exec sudo -n ./sbcbench '\\''sweep'\\''",
        ] {
            assert!(stdout.contains(want), "{how:?}: {want}\n{stdout}");
        }
        assert!(
            !stdout.contains("clock-mhz") && !stdout.contains("fixed:"),
            "{stdout}"
        );
    }
    // A run is as it was.
    let (code, stdout, _) = offline(&["--dry-run"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("'\\''--clock-mhz'\\'' '\\''1500'\\''"),
        "{stdout}"
    );
    assert!(!stdout.contains("sudo"), "{stdout}");
}

#[test]
fn a_command_given_twice_or_disagreeing_is_a_usage_error() {
    for (args, want) in [
        (
            &["--command", "run", "--", "sweep"][..],
            "--command run and `-- sweep …` disagree",
        ),
        (&["--", "sweep", "sweep"], "the command is given twice"),
        (&["--", "run", "sweep"], "the command is given twice"),
        (
            &["--", "sweep", "--clock-mhz", "1500"],
            "--clock-mhz is a flag of sbcbench run, not of sweep",
        ),
        (&["--command", "walk"], "invalid value 'walk'"),
    ] {
        let (code, _, stderr) = offline(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}
