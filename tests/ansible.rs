//! contrib/ansible/sbcbench.yml against the loopback sshd of the fleet
//! tests: ansible-core (on PATH; ci/test installs it) benchmarks two "boards", and
//! `sbcbench fleet --inventory` benchmarks the same two from the same hosts.ini. Both must
//! leave the same results folders, files and columns, the same boards and
//! fixed power figures, read alike by `sbcbench report`, and nothing on
//! the boards.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{files_under, sbcbench_std};
use crate::fleet::{dist_of_this_build, user, Sshd, RUN};
use sbcbench::record::{board_slug, read_results};

/// `ansible-playbook` from PATH: ci/test installs ansible-core before the
/// tests (they never install anything themselves).
fn ansible_playbook() -> PathBuf {
    crate::common::ansible_tool("ansible-playbook")
}

/// The header and the rows of a results CSV, as text.
fn csv_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The columns that do not depend on the measurement's speed or time.
const SAME: &[&str] = &[
    "schema_version",
    "board",
    "kernel",
    "engine",
    "mode",
    "threads",
    "watts",
    "watts_source",
    "idle_watts",
    "one_core_watts",
    "half_watts",
    "all_watts",
];

fn same_columns(path: &Path) -> Vec<Vec<(String, String)>> {
    let (header, rows) = csv_table(path);
    rows.iter()
        .map(|row| {
            header
                .iter()
                .zip(row)
                .filter(|(h, _)| SAME.contains(&h.as_str()))
                .map(|(h, v)| (h.clone(), v.clone()))
                .collect()
        })
        .collect()
}

/// `sbcbench report` of a results folder: the (board, kernel, mode)
/// of each row of its CSV output.
fn report_keys(results: &Path) -> BTreeSet<Vec<String>> {
    let out = sbcbench_std()
        .arg("report")
        .arg(results)
        .args(["--no-reference", "--format", "csv"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = csv::Reader::from_reader(stdout.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in the report: {header:?}"))
    };
    let cols = [col("board"), col("kernel"), col("mode")];
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            cols.iter().map(|&c| rec[c].to_string()).collect()
        })
        .collect()
}

/// Runs the playbook from `dir` (so that its default `results` is
/// `dir/results`) on the `hosts` lines of an inventory whose other
/// variables reach `sshd`, with the quick run arguments: whether it
/// succeeded, and its output.
fn run_playbook(
    playbook: &Path,
    sshd: &Sshd,
    dir: &Path,
    dist: &Path,
    hosts: &str,
) -> (bool, String) {
    let inventory = format!(
        "[boards]\n{hosts}\n\
         [boards:vars]\n\
         ansible_port={port}\n\
         ansible_user={user}\n\
         ansible_ssh_private_key_file={key}\n\
         ansible_ssh_common_args='-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'\n\
         # No Python on the boards: every board-side task must do without.\n\
         ansible_python_interpreter=/nonexistent/python3\n",
        port = sshd.port,
        user = user(),
        key = sshd.path("id").display(),
        known = sshd.path("known_hosts").display(),
    );
    std::fs::write(dir.join("hosts.ini"), inventory).unwrap();
    std::fs::write(dir.join("ansible.cfg"), "").unwrap();
    let extra = serde_json::json!({
        "sbcbench_dist": dist,
        "sbcbench_extra_args": &RUN[1..],
    });
    let out = Command::new(playbook)
        .args(["-i", "hosts.ini"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/ansible/sbcbench.yml"))
        .arg("-e")
        .arg(extra.to_string())
        .current_dir(dir)
        .env("ANSIBLE_CONFIG", dir.join("ansible.cfg"))
        .env("ANSIBLE_LOCAL_TEMP", dir.join("ansible-local"))
        .env("ANSIBLE_SSH_CONTROL_PATH_DIR", dir.join("cp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), log)
}

#[test]
fn playbook_saves_what_fleet_saves() {
    let playbook = ansible_playbook();
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dist = dist_of_this_build(w);
    // A name whose results folder is not obvious: the playbook's slug must
    // be board_slug's.
    let tricky = "_Öl_Pi.4--B.";
    assert_eq!(board_slug(tricky), "l-pi-4-b");
    let boards = [("loop-one", "127.0.0.1"), (tricky, "127.0.0.2")];

    // The playbook, run from `w` so that its default `results` is w/results.
    let (ok, log) = run_playbook(
        &playbook,
        &sshd,
        w,
        &dist,
        &format!(
            "loop-one ansible_host=127.0.0.1 sbcbench_power=\"{{'idle': 2.5, 'one': 3.0, 'half': 3.5, 'all': 4.25}}\"\n\
             {tricky} ansible_host=127.0.0.2 sbcbench_run_args=\"['--samples', '3']\"\n"
        ),
    );
    assert!(ok, "ansible-playbook failed:\n{log}");
    assert!(log.contains("| sha1 |"), "the run's table is shown:\n{log}");
    assert_eq!(sshd.leftovers(), Vec::<String>::new(), "{log}");

    // The fleet, from the same inventory.
    let fleet_results = w.join("fleet-results");
    let out = sbcbench_std()
        .arg("fleet")
        .arg("--inventory")
        .arg(w.join("hosts.ini"))
        .arg("--dist")
        .arg(&dist)
        .arg("--output")
        .arg(&fleet_results)
        .args(RUN)
        .output()
        .unwrap();
    let (code, stdout, stderr) = (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(sshd.leftovers(), Vec::<String>::new());

    let ansible_results = w.join("results");
    let folders = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        folders(&ansible_results),
        BTreeSet::from(["loop-one".to_string(), "l-pi-4-b".to_string()])
    );
    assert_eq!(folders(&ansible_results), folders(&fleet_results));
    for (board, _) in boards {
        let slug = board_slug(board);
        let mine = files_under(&ansible_results.join(&slug));
        let fleets = files_under(&fleet_results.join(&slug));
        assert_eq!(mine.len(), 1, "{board}: {mine:?}");
        assert_eq!(fleets.len(), 1, "{board}: {fleets:?}");
        // <UTC time>.csv, as `sbcbench run` names it.
        let name = mine[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.ends_with(".csv") && name.len() == fleets[0].file_name().unwrap().len(),
            "{name} vs {:?}",
            fleets[0]
        );
        let rows = read_results(&mine[0]).unwrap();
        assert!(!rows.is_empty(), "{board}");
        assert!(rows.iter().all(|r| r.board == board), "{board}: {rows:?}");
        assert_eq!(
            rows.len(),
            read_results(&fleets[0]).unwrap().len(),
            "{board}"
        );
        assert_eq!(csv_table(&mine[0]).0, csv_table(&fleets[0]).0, "{board}");
        assert_eq!(same_columns(&mine[0]), same_columns(&fleets[0]), "{board}");
    }
    // The fixed power figures reached the run.
    let one = read_results(&files_under(&ansible_results.join("loop-one"))[0]).unwrap();
    assert!(one.iter().all(|r| r.watts.is_some()), "{one:?}");
    let keys = report_keys(&ansible_results);
    let boards_reported: BTreeSet<&str> = keys.iter().map(|k| k[0].as_str()).collect();
    assert_eq!(
        boards_reported,
        BTreeSet::from(["loop-one", tricky]),
        "{keys:?}"
    );
    assert_eq!(keys, report_keys(&fleet_results));
}

/// Each host that cannot be benchmarked fails with a message that says
/// why, the others go on, and nothing is left on the boards.
#[test]
fn playbook_refuses_and_fails_clearly() {
    let playbook = ansible_playbook();
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dist = dist_of_this_build(w);
    let (ok, log) = run_playbook(
        &playbook,
        &sshd,
        w,
        &dist,
        "metered ansible_host=127.0.0.1 sbcbench_meter=pzem004t:/dev/ttyUSB0\n\
         owns-output ansible_host=127.0.0.1 sbcbench_run_args=\"--output /tmp/elsewhere\"\n\
         mips ansible_host=127.0.0.3\n\
         bad-kernel ansible_host=127.0.0.1 sbcbench_run_args=\"['--kernels', 'nonsense']\"\n\
         fine ansible_host=127.0.0.2\n",
    );
    assert!(!ok, "{log}");
    for expected in [
        "metered has sbcbench_meter=pzem004t:/dev/ttyUSB0, a meter on the controlling machine",
        "owns-output: --board and --output are set by the playbook",
        "`uname -m` on the board says 'mips64', which no sbcbench build runs on",
        "sbcbench run ended with exit status",
    ] {
        assert!(log.contains(expected), "{expected}\n{log}");
    }
    let recap: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .collect();
    for (host, failed) in [
        ("metered", true),
        ("owns-output", true),
        ("mips", true),
        ("bad-kernel", true),
        ("fine", false),
    ] {
        let line = recap
            .iter()
            .find(|l| l.starts_with(&format!("{host} ")))
            .unwrap_or_else(|| panic!("{host} not in the recap:\n{log}"));
        assert_eq!(line.contains("failed=0"), !failed, "{line}");
    }
    let results = w.join("results");
    let folders: BTreeSet<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders, BTreeSet::from(["fine".to_string()]), "{log}");
    assert_eq!(sshd.leftovers(), Vec::<String>::new(), "{log}");
}
