//! `sbcbench fleet --inventory`: Ansible inventories (INI and YAML, read
//! by the real `ansible-inventory`, which ci/test installs) of
//! loopback "boards" served by the fleet tests' own sshd, `--limit`, and
//! the mistakes an inventory can hold, each refused before connecting.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::sbcbench_std;
use crate::fleet::{assert_saved, dist_of_this_build, summary, text, user, Sshd, RUN};

/// The same lab as INI and as YAML: pi1 and pi2 on 127.0.0.1, rock on
/// 127.0.0.2, all on the sshd's port with its key and known_hosts.
fn lab(sshd: &Sshd, dir: &Path) -> (PathBuf, PathBuf) {
    let (port, id, known) = (
        sshd.port,
        sshd.path("id").display().to_string(),
        sshd.path("known_hosts").display().to_string(),
    );
    let common = format!("-o UserKnownHostsFile={known} -o IdentitiesOnly=yes");
    let ini = dir.join("hosts.ini");
    std::fs::write(
        &ini,
        format!(
            "# the lab\n[pis]\npi[1:2] ansible_host=127.0.0.1\n\n[rocks]\nrock ansible_host=127.0.0.2\n\n\
             [arm:children]\npis\nrocks\n\n[all:vars]\nansible_port={port}\nansible_user={user}\n\
             ansible_ssh_private_key_file={id}\nansible_ssh_common_args='{common}'\n",
            user = user()
        ),
    )
    .unwrap();
    let yaml = dir.join("hosts.yml");
    std::fs::write(
        &yaml,
        format!(
            "all:\n  vars:\n    ansible_port: {port}\n    ansible_user: {user}\n    \
             ansible_ssh_private_key_file: {id}\n    ansible_ssh_common_args: '{common}'\n  \
             children:\n    arm:\n      children:\n        pis:\n          hosts:\n            \
             pi[1:2]:\n              ansible_host: 127.0.0.1\n        rocks:\n          hosts:\n            \
             rock:\n              ansible_host: 127.0.0.2\n",
            user = user()
        ),
    )
    .unwrap();
    (ini, yaml)
}

fn fleet(inventory: &Path, dist: &Path, output: &Path) -> Command {
    let mut cmd = sbcbench_std();
    cmd.arg("fleet")
        .arg("--inventory")
        .arg(inventory)
        .arg("--dist")
        .arg(dist)
        .arg("--output")
        .arg(output);
    cmd
}

#[test]
fn ini_and_yaml_inventories_give_the_same_fleet_and_limit_picks_a_subset() {
    crate::common::ansible_tool("ansible-inventory");
    let sshd = Sshd::start();
    let work = tempfile::tempdir().unwrap();
    let dist = dist_of_this_build(work.path());
    let (ini, yaml) = lab(&sshd, work.path());

    // The whole plan, as --dry-run prints it, is the same from either file.
    let plan = |inv: &Path, limit: &[&str]| {
        let out = fleet(inv, &dist, &work.path().join("none"))
            .args(limit)
            .arg("--dry-run")
            .args(RUN)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let (from_ini, from_yaml) = (plan(&ini, &[]), plan(&yaml, &[]));
    assert_eq!(from_ini, from_yaml);
    // The hosts run as boards of their own names (`--board <host>`), once each.
    let boards = |plan: &str| -> Vec<usize> {
        ["pi1", "pi2", "rock"]
            .iter()
            .map(|h| {
                plan.matches(&format!("'\\''--board'\\'' '\\''{h}'\\''"))
                    .count()
            })
            .collect()
    };
    assert_eq!(boards(&from_ini), [1, 1, 1], "{from_ini}");
    assert!(from_ini.contains("-o UserKnownHostsFile="), "{from_ini}");
    // --limit as Ansible reads it: the arm group without pi2.
    let limited = plan(&ini, &["--limit", "arm:!pi2"]);
    assert_eq!(boards(&limited), [1, 0, 1], "{limited}");

    // Real runs of the same subset from either file: the same summary.
    let mut summaries = Vec::new();
    for (inv, out_dir) in [(&ini, "from-ini"), (&yaml, "from-yaml")] {
        let output = work.path().join(out_dir);
        let out = fleet(inv, &dist, &output)
            .args(["--limit", "arm:!pi2"])
            .args(RUN)
            .output()
            .unwrap();
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        assert_saved(&output, "pi1");
        assert_saved(&output, "rock");
        assert!(!output.join("pi2").exists());
        summaries.push(summary(&stdout));
    }
    assert_eq!(summaries[0], summaries[1]);
    let boards: Vec<&str> = summaries[0].iter().map(|(b, _, _)| b.as_str()).collect();
    assert_eq!(boards, ["pi1", "rock"]);
    assert!(
        summaries[0].iter().all(|(_, status, _)| status == "ok"),
        "{summaries:?}"
    );
    assert_eq!(sshd.leftovers(), Vec::<String>::new());
}

/// `fleet` with `args`, which must fail with exit 2 before connecting,
/// saying `want`.
fn refused(args: &[&str], want: &str) {
    let out = sbcbench_std()
        .arg("fleet")
        .args(args)
        .args(["--dist", "/nonexistent-dist", "--dry-run"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(want),
        "{args:?}: want {want:?} in\n{stderr}"
    );
}

#[test]
fn inventory_mistakes_are_refused_before_connecting_naming_where() {
    crate::common::ansible_tool("ansible-inventory");
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let good = file("good.ini", "[pis]\npi[1:2] ansible_host=127.0.0.1\n");
    for (name, text, want) in [
        // Ansible's own reading of the file, its error passed on.
        (
            "syntax.ini",
            "[pis\npi1\n",
            "syntax.ini: Ansible cannot read it: [WARNING]: Failed to parse inventory",
        ),
        ("range.ini", "[pis]\npi[4:1]\n", "range.ini: no hosts"),
        (
            "nul.yml",
            "all:\n  hosts:\n    pi1:\n      ansible_user: \"a\\0b\"\n",
            "host 'pi1': variable ansible_user contains a line break, NUL",
        ),
        (
            "newline.yml",
            "all:\n  hosts:\n    pi1:\n      sbcbench_run_args: \"--quick\\n--x\"\n",
            "contains a line break",
        ),
        // A plugin would run code: refused, saying how to export it.
        (
            "plugin.yml",
            "plugin: amazon.aws.aws_ec2\n",
            "ansible-inventory -i",
        ),
        // An expansion that would take the machine's memory ends at the
        // limit sbcbench sets Ansible, with a message saying what to check.
        (
            "bomb.ini",
            "[pis]\npi[1:300000000]\n",
            "bomb.ini: Ansible cannot read it: it ran out of the 1 GB it may use (MemoryError)",
        ),
    ] {
        refused(&["--inventory", &file(name, text)], want);
    }
    // An executable inventory is a script, never run.
    let script = file("ec2.py", "");
    let ran = dir.path().join("ran");
    crate::fleet::write_exec(
        Path::new(&script),
        &format!("#!/bin/sh\ntouch {}\necho '{{}}'\n", ran.display()),
    );
    refused(&["--inventory", &script], "dynamic inventory script");
    assert!(!ran.exists());
    // --limit with a group that is not there, or nothing left.
    refused(
        &["--inventory", &good, "--limit", "rocks"],
        "good.ini: --limit 'rocks' leaves no host",
    );
    refused(
        &["--inventory", &good, "--limit", "pis:!pi*"],
        "leaves no host",
    );
    // --limit is for inventories.
    refused(&["--limit", "pis"], "--inventory");
    // A board in both files.
    let toml = file(
        "boards.toml",
        "[[boards]]\nname = \"pi2\"\nhost = \"127.0.0.1\"\n",
    );
    refused(&["--inventory", &good, "--boards", &toml], "board 'pi2' of");
}
