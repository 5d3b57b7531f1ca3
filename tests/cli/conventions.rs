//! The command line's conventions: boards named loosely, closed and full
//! stdout, short flags, help, completions and man page, and error
//! messages that say what happened in the user's terms.

use predicates::prelude::*;

use crate::common::{rows_from_csv, sbcbench, FAST};

/// `sbcbench run` of one quick sha1 step, in the folder `dir`, with `args`.
fn quick_run(dir: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    sbcbench()
        .current_dir(dir)
        .args(["run", "--no-save", "--kernels", "sha1", "--threads", "1"])
        .args(FAST)
        .args(args)
        .assert()
}

#[test]
fn run_compares_with_a_board_of_the_built_in_reference_named_loosely() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["Raspberry Pi 4B", "Pi 4", "rpi4", "raspberry-pi-4b"] {
        let out = quick_run(dir.path(), &["--baseline", name, "--format", "csv"])
            .success()
            .get_output()
            .stdout
            .clone();
        let rows = rows_from_csv(&out);
        assert!(
            rows.iter()
                .all(|r| r.baseline.starts_with("Raspberry Pi 4B (article 2023")),
            "{name}: {rows:?}"
        );
        // 192 MB/s for the Pi 4B's sha1 in the article.
        let row = &rows[0];
        let ratio = row.speedup.unwrap();
        assert!(
            (ratio - row.mb_per_s / 192.0).abs() < 1e-9 * ratio.max(1.0),
            "{row:?}"
        );
    }
    // The ratio columns name the baseline; the default stays ×VF2.
    quick_run(dir.path(), &["--baseline", "Pi 4", "--format", "markdown"])
        .success()
        .stdout(predicate::str::contains("| ×Pi 4B |"))
        .stdout(predicate::str::contains("| ×Pi 4B (cyc) |"))
        .stdout(predicate::str::contains("×VF2").not());
    quick_run(dir.path(), &["--format", "markdown"])
        .success()
        .stdout(predicate::str::contains("| ×VF2 |"));
}

#[test]
fn an_ambiguous_or_misspelt_board_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    quick_run(dir.path(), &["--baseline", "Pi 3"])
        .code(2)
        .stderr(predicate::str::contains(
            "several boards match: Raspberry Pi 3B, Raspberry Pi 3B+",
        ));
    quick_run(dir.path(), &["--baseline", "Rasberry Pi 4B"])
        .code(2)
        .stderr(predicate::str::contains("did you mean 'Raspberry Pi 4B'?"));
    sbcbench()
        .args(["report", "--baseline", "Rasbery Pi 4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean 'Raspberry Pi 4B'?"));
    sbcbench()
        .args(["report", "--baseline", "VisionFive"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("VisionFive 1, VisionFive 2"));
}

#[test]
fn report_takes_the_same_loose_names() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["rpi4", "Pi 4"] {
        sbcbench()
            .arg("report")
            .arg(dir.path())
            .args(["--baseline", name, "--format", "json"])
            .assert()
            .success()
            .stdout(predicate::str::contains("\"board\": \"Raspberry Pi 4B\""));
    }
}

#[test]
fn a_missing_baseline_file_is_no_such_file() {
    let dir = tempfile::tempdir().unwrap();
    for missing in ["/tmp/sbcbench-missing.csv", "missing.csv", "sub/dir"] {
        quick_run(dir.path(), &["--baseline", missing])
            .code(2)
            .stderr(predicate::str::contains(format!(
                "--baseline {missing}: no such file"
            )))
            .stderr(predicate::str::contains("results/").not());
    }
}
