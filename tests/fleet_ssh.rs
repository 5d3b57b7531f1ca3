//! One SSH connection per board: counted in the loopback sshd's log, and
//! what happens when a board's master connection dies mid-run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::fleet::{boards_toml, dist_of_this_build, summary, text, Sshd, RUN};

/// Logins the sshd accepted: each is one TCP connection that
/// authenticated (connections to 127.0.0.2 come from 127.0.0.1 too).
fn logins(sshd: &Sshd) -> usize {
    std::fs::read_to_string(sshd.path("sshd.log"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("Accepted publickey"))
        .count()
}

/// The control directories a fleet left in `tmp`.
fn control_dirs(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sbcbench-ssh."))
        .collect()
}

/// An sshd serving boards A (127.0.0.1) and B (127.0.0.2), a work folder
/// with their boards.toml and dist, and a TMPDIR for the fleet in it.
fn two_boards() -> (Sshd, tempfile::TempDir, PathBuf) {
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    dist_of_this_build(work.path());
    boards_toml(
        work.path(),
        &[("A", "127.0.0.1", sshd.port), ("B", "127.0.0.2", sshd.port)],
    );
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    (sshd, work, tmp)
}

/// The quick fleet of [`two_boards`], with `tmp` as its TMPDIR.
fn fleet(sshd: &Sshd, work: &Path, tmp: &Path) -> Command {
    let mut cmd = sshd.fleet(
        &work.join("boards.toml"),
        &work.join("dist"),
        &work.join("results"),
        &sshd.path("known_hosts"),
    );
    cmd.env("TMPDIR", tmp).args(RUN);
    cmd
}

#[test]
fn each_board_logs_in_once_and_no_socket_is_left() {
    let (sshd, work, tmp) = two_boards();
    let out = fleet(&sshd, work.path(), &tmp).output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // uname, mktemp, upload, run, fetch and clean-up: one login a board.
    assert_eq!(logins(&sshd), 2, "{stderr}");
    assert_eq!(control_dirs(&tmp), Vec::<String>::new());
    assert_eq!(sshd.leftovers(), Vec::<String>::new());

    // A TMPDIR that cannot take the sockets: exit 2 before connecting.
    let out = fleet(&sshd, work.path(), &work.path().join("no-such-dir"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("set TMPDIR"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(logins(&sshd), 2);
}

#[test]
fn a_master_connection_that_dies_mid_run_is_reported_and_the_others_go_on() {
    let (sshd, work, tmp) = two_boards();
    let fleet = fleet(&sshd, work.path(), &tmp)
        // Long enough a run to be cut.
        .args(["--min-time", "1.5", "--samples", "4"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // This fleet's master of board B (tests run side by side: the control
    // directory under this test's TMPDIR tells it from others').
    let pattern = format!(
        "ControlMaster=yes -o ControlPath={}/sbcbench-ssh.* -- 127.0.0.2$",
        tmp.display()
    );
    let until = Instant::now() + Duration::from_secs(30);
    let killed = loop {
        let found = Command::new("pgrep")
            .args(["-f", "--", &pattern])
            .output()
            .unwrap();
        let pid = text(&found.stdout).lines().next().map(str::to_string);
        if let Some(pid) = pid {
            std::thread::sleep(Duration::from_secs(3));
            break Command::new("kill")
                .args(["-KILL", &pid])
                .status()
                .unwrap()
                .success();
        }
        assert!(
            Instant::now() < until,
            "no master connection for B appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(killed);
    let out = fleet.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let rows = summary(&stdout);
    let status = |b: &str| rows.iter().find(|r| r.0 == b).map(|r| r.1.clone());
    assert_eq!(status("A").as_deref(), Some("ok"), "{stdout}\n{stderr}");
    assert_ne!(status("B").as_deref(), Some("ok"), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("[B] warning: the shared ssh connection ended"),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(|l| l.starts_with("[B] unreachable:")
            && l.contains("shared ssh connection ended mid-run")),
        "{stderr}"
    );
    // Nothing left: the clean-up connected on its own, the socket is gone.
    assert_eq!(control_dirs(&tmp), Vec::<String>::new());
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

/// `ci/bench-fleet` in small: eight boards, each its own sshd with its own
/// host key, port and login key, from one inventory, all at once.
#[test]
fn eight_boards_from_an_inventory_one_connection_each_every_csv_back() {
    let boards: Vec<Sshd> = (0..8).map(|_| Sshd::start()).collect();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let known = work.path().join("known_hosts");
    let mut known_text = String::new();
    let mut inventory = String::from("[lab]\n");
    for (i, b) in boards.iter().enumerate() {
        let keys = std::fs::read_to_string(b.path("known_hosts")).unwrap();
        // This board's line for 127.0.0.1 (its sshd also listens on .2 and .3).
        known_text.extend(
            keys.lines()
                .filter(|l| l.starts_with("[127.0.0.1]"))
                .map(|l| format!("{l}\n")),
        );
        inventory.push_str(&format!(
            "board{i} ansible_port={} ansible_ssh_private_key_file={}\n",
            b.port,
            b.path("id").display()
        ));
    }
    std::fs::write(&known, known_text).unwrap();
    inventory.push_str(&format!(
        "\n[lab:vars]\nansible_host=127.0.0.1\nansible_user={}\n\
         ansible_ssh_common_args='-o UserKnownHostsFile={} -o IdentitiesOnly=yes'\n",
        crate::fleet::user(),
        known.display()
    ));
    let inv = work.path().join("hosts.ini");
    std::fs::write(&inv, inventory).unwrap();
    let output = work.path().join("results");
    let out = crate::common::sbcbench_std()
        .arg("fleet")
        .arg("--inventory")
        .arg(&inv)
        .args(["--jobs", "8", "--dist"])
        .arg(&dist)
        .arg("--output")
        .arg(&output)
        .args(RUN)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let rows = summary(&stdout);
    assert_eq!(rows.len(), 8, "{stdout}");
    assert!(rows.iter().all(|r| r.1 == "ok"), "{stdout}");
    for (i, b) in boards.iter().enumerate() {
        assert_eq!(logins(b), 1, "board{i}:\n{stderr}");
        let csvs = crate::common::files_under(&output.join(format!("board{i}")));
        assert_eq!(csvs.len(), 1, "board{i}: {csvs:?}");
        assert_eq!(b.leftovers(), Vec::<String>::new());
    }
}

#[test]
fn a_killed_fleet_leaves_no_master_connection_running() {
    let (sshd, work, tmp) = two_boards();
    let mut fleet = fleet(&sshd, work.path(), &tmp)
        .args(["--min-time", "1.5", "--samples", "4"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pattern = format!(
        "ControlMaster=yes -o ControlPath={}/sbcbench-ssh",
        tmp.display()
    );
    let masters = || {
        let out = Command::new("pgrep")
            .args(["-f", "--", &pattern])
            .output()
            .unwrap();
        text(&out.stdout).lines().count()
    };
    let until = Instant::now() + Duration::from_secs(30);
    while masters() < 2 {
        assert!(Instant::now() < until, "the masters never came up");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGKILL: sbcbench cannot close them; the kernel tells them instead.
    fleet.kill().unwrap();
    fleet.wait().unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    while masters() > 0 {
        assert!(
            Instant::now() < until,
            "{} master(s) outlived the fleet",
            masters()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
