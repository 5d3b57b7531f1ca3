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
    quick_run(
        dir.path(),
        &[
            "--baseline",
            "Pi 4",
            "--format",
            "markdown",
            "--clock-mhz",
            "2000",
        ],
    )
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

/// Runs `sbcbench ARGS` with its stdout a pipe that is read for `keep`
/// bytes and then closed, as `| head -c` does: (exit code, stderr).
fn with_stdout_closed_early(args: &[&str], keep: usize) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = crate::common::sbcbench_std()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; keep];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_exit_0() {
    for args in [
        &["selftest"][..],
        &["info"],
        &["man"],
        &["completions", "bash"],
        &["report", "--format", "markdown"],
    ] {
        let (code, stderr) = with_stdout_closed_early(args, 1);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_full_stdout_is_an_error_message_and_exit_1() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    for args in [&["selftest"][..], &["info"], &["man"], &["report"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = crate::common::sbcbench_std()
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("error: cannot write the output: No space left on device")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn short_flags_do_what_the_long_ones_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = sbcbench()
        .current_dir(dir.path())
        .args([
            "run", "-k", "sha1", "-t", "1", "-f", "csv", "-b", "rpi4", "-o", "out",
        ])
        .args(FAST)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = rows_from_csv(&out);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].baseline.starts_with("Raspberry Pi 4B"), "{rows:?}");
    assert_eq!(crate::common::files_under(&dir.path().join("out")).len(), 1);
    sbcbench()
        .args(["report", "-k", "xz", "-t", "1", "-f", "csv", "-b", "Pi 4"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Raspberry Pi 4B"));
}

#[test]
fn quiet_drops_notes_and_verbose_says_more() {
    let empty = tempfile::tempdir().unwrap();
    let report = |flag: Option<&str>| {
        let mut cmd = sbcbench();
        cmd.arg("report").arg(empty.path()).args(["-f", "csv"]);
        cmd.args(flag);
        String::from_utf8(cmd.assert().success().get_output().stderr.clone()).unwrap()
    };
    assert!(report(None).contains("note: no result files"));
    assert_eq!(report(Some("--quiet")), "");
    assert_eq!(report(Some("-q")), "");
    let dir = tempfile::tempdir().unwrap();
    quick_run(dir.path(), &["-v", "-b", "Pi 4", "-f", "csv"])
        .success()
        .stderr(predicate::str::contains(
            "baseline: Raspberry Pi 4B (article 2023",
        ));
    quick_run(dir.path(), &["-f", "csv"])
        .success()
        .stderr(predicate::str::contains("baseline:").not())
        .stderr(predicate::str::contains("plan: "));
    // The plan and other notes are what --quiet leaves out; warnings stay.
    quick_run(dir.path(), &["-q", "-f", "csv"])
        .success()
        .stderr(predicate::str::contains("plan: ").not())
        .stderr(predicate::str::contains("warning:"));
    sbcbench()
        .args(["run", "--quiet", "--verbose"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn color_follows_the_flag_beside_no_color() {
    // NO_COLOR is set by `sbcbench()`: never coloured unless asked.
    sbcbench()
        .args(["rn"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\x1b[").not());
    sbcbench()
        .args(["--color", "always", "rn"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("\x1b[1m\x1b[31merror:"));
    sbcbench()
        .args(["--color=always", "run", "--baseline", "Pi 3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\x1b[1;31merror:\x1b[0m"));
    let dir = tempfile::tempdir().unwrap();
    quick_run(dir.path(), &["--color", "always", "-f", "table"])
        .success()
        .stdout(predicate::str::contains("\x1b["));
    quick_run(dir.path(), &["-f", "table"])
        .success()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn near_misses_get_suggestions() {
    for (args, want) in [
        (&["rn"][..], "a similar subcommand exists: 'run'"),
        (&["reprot"], "a similar subcommand exists: 'report'"),
        (&["run", "--kernels", "SHA-1"], "did you mean sha1?"),
        (&["run", "-k", "chacha"], "did you mean chacha20-poly1305?"),
        (&["report", "-k", "sha1,XZ2"], "did you mean xz?"),
    ] {
        sbcbench()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
}

#[test]
fn every_subcommand_has_examples_and_run_groups_its_options() {
    use clap::CommandFactory;
    let cli = sbcbench::cli::Cli::command();
    for sub in cli.get_subcommands() {
        let help = sbcbench()
            .args([sub.get_name(), "--help"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let help = String::from_utf8(help).unwrap();
        assert!(
            help.contains("Examples:\n  sbcbench "),
            "{}: {help}",
            sub.get_name()
        );
    }
    let help = sbcbench().args(["run", "--help"]).assert().success();
    let help = String::from_utf8(help.get_output().stdout.clone()).unwrap();
    let mut at = 0;
    for heading in [
        "What to measure:",
        "Timing:",
        "Comparison:",
        "Output:",
        "Power:",
    ] {
        let found = help
            .find(heading)
            .unwrap_or_else(|| panic!("{heading}: {help}"));
        assert!(found > at, "{heading} out of order");
        at = found;
    }
}

#[test]
fn completions_and_man_page_come_from_the_binary() {
    let bash = sbcbench()
        .args(["completions", "bash"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let bash = String::from_utf8(bash).unwrap();
    for sub in ["run", "report", "fleet", "meter", "info", "selftest", "man"] {
        assert!(bash.contains(sub), "{sub}");
    }
    assert!(bash.contains("--kernels"));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sbcbench.bash");
    std::fs::write(&script, &bash).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        sbcbench()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("sbcbench"));
    }
    let man = sbcbench().arg("man").assert().success();
    let man = String::from_utf8(man.get_output().stdout.clone()).unwrap();
    assert!(man.contains(".TH sbcbench 1"), "{man}");
    for section in [
        ".SH \"SBCBENCH RUN\"",
        ".SS \"WHAT TO MEASURE\"",
        ".SS EXAMPLES",
    ] {
        assert!(man.contains(section), "{section}: {man}");
    }
    // Rendered by man itself where it is installed.
    let page = dir.path().join("sbcbench.1");
    std::fs::write(&page, &man).unwrap();
    if let Ok(out) = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("SBCBENCH RUN"), "{text}");
        }
    }
}

#[test]
fn version_verbose_names_the_code_each_kernel_runs() {
    for args in [
        &["--version", "--verbose"][..],
        &["-V", "-v"],
        &["version", "-v"],
    ] {
        let out = sbcbench().args(args).assert().success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(text.starts_with("sbcbench 0."), "{args:?}: {text}");
        for want in [
            "cpu features",
            "kernel sha1 ",
            "rustcrypto-sha1",
            "kernel xz ",
            "liblzma",
        ] {
            assert!(text.contains(want), "{args:?} {want}: {text}");
        }
    }
    sbcbench()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("kernel sha1").not());
    sbcbench()
        .arg("info")
        .assert()
        .success()
        .stdout(predicate::str::contains("kernel chacha20-poly1305"));
}

#[test]
fn a_file_given_as_a_folder_is_said_to_be_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("passwd");
    std::fs::write(&file, "root:x:0:0").unwrap();
    let file = file.to_str().unwrap();
    sbcbench()
        .args(["run", "--quick", "--output", file])
        .assert()
        .code(2)
        .stderr(format!(
            "error: --output {file}: is a file, not a folder; give a folder or use --no-save\n"
        ));
    sbcbench()
        .args(["report", "--plot", &format!("{file}/charts")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "is a file, not a folder ({file} is a file); give a folder"
        )))
        .stderr(predicate::str::contains("os error").not());
}

#[test]
fn a_meter_path_that_is_no_serial_device_is_said_to_be_none() {
    sbcbench()
        .args(["meter", "line:/dev/null", "--count", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/dev/null: cannot open it: it is not a serial device (a tty); give the port",
        ))
        .stderr(predicate::str::contains("typewriter").not());
}

#[test]
fn every_error_has_the_one_prefix_of_clap() {
    for args in [
        &["run", "--baseline", "/nowhere/x.csv"][..],
        &["run", "--kernels", "md5"],
        &["report", "/nowhere"],
    ] {
        let out = sbcbench().args(args).assert().failure();
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("sbcbench: error"), "{args:?}: {stderr}");
    }
}
