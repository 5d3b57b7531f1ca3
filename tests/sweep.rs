//! `sbcbench sweep` on recorded trees (this VM has no cpufreq): a copy of
//! a Raspberry Pi 4, an RK3399 or an Intel PC, with a stand-in for the
//! board's firmware that answers the sweep's writes as a board does (the
//! clock follows the lock, optionally capped; an INA226's watts follow the
//! clock). Every ending must leave the cpufreq files as they were.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sbcbench::record::ResultRow;

use crate::common::firmware::{cpufreq_settings, read_khz, Firmware, CPUFREQ};
use crate::common::{
    files_under, fixture_copy, rows_from_csv, sbcbench, sbcbench_std, FAST_TIMING,
};

/// `sbcbench --sysroot ROOT sweep` with the fast timing.
fn sweep_of(root: &Path) -> assert_cmd::Command {
    let mut cmd = sbcbench();
    cmd.arg("--sysroot")
        .arg(root)
        .arg("sweep")
        .args(FAST_TIMING);
    cmd
}

/// A sweep that succeeds, unsaved, with `stdin`: its rows (printed as
/// CSV) and what it said on stderr.
fn sweep_rows(root: &Path, args: &[&str], stdin: &str) -> (Vec<ResultRow>, String) {
    let out = sweep_of(root)
        .args(args)
        .args(["--no-save", "--format", "csv"])
        .write_stdin(stdin)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (rows_from_csv(&out.stdout), stderr)
}

fn journal(root: &Path) -> PathBuf {
    root.join("var/lib/sbcbench/cpufreq-journal.toml")
}

#[test]
fn sweep_of_a_pi_4_measures_five_steps_with_watts_and_restores_cpufreq() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", dir.path());
    let before = cpufreq_settings(&root);
    let results = dir.path().join("results");
    let firmware = Firmware::start(&root, None);
    let out = sweep_of(&root)
        // All CPUs only: each metered row lasts the meter's 7.5 s.
        .args(["--kernels", "xz", "-t", "all", "--format", "csv"])
        .args(["--meter", "hwmon:ina226", "--idle-time", "1"])
        .arg("--output")
        .arg(&results)
        .assert()
        .success()
        .get_output()
        .clone();
    drop(firmware);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Cortex-A72 (cpu 0-3) at 600, 750, 1000, 1250, 1500 MHz"),
        "{stderr}"
    );
    let rows = rows_from_csv(&out.stdout);
    assert_eq!(rows.len(), 5, "one row per step: {stderr}");
    let clocks: Vec<f64> = rows.iter().filter_map(|r| r.clock_mhz).collect();
    assert_eq!(clocks, vec![600.0, 750.0, 1000.0, 1250.0, 1500.0]);
    for r in &rows {
        assert_eq!(r.clock_source.as_str(), "sweep", "{r:?}");
        assert_eq!(r.cluster, Some(0), "{r:?}");
        assert!(r.watts.is_some_and(|w| w > 1.0), "{r:?}");
        assert!(r.idle_watts.is_some(), "{r:?}");
        assert_eq!(r.throttled, Some(false), "a step is not throttling: {r:?}");
    }
    // The meter saw the clock: more watts at the top step than the lowest.
    let watts_at = |mhz: f64| {
        rows.iter()
            .find(|r| r.clock_mhz == Some(mhz) && r.threads == 4)
            .and_then(|r| r.watts)
            .unwrap()
    };
    assert!(watts_at(1500.0) > watts_at(600.0) + 2.0, "{rows:?}");
    // Saved as a run is, and cpufreq exactly as it was.
    let saved = files_under(&results);
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(rows_from_csv(&std::fs::read(&saved[0]).unwrap()), rows);
    assert_eq!(cpufreq_settings(&root), before);
    assert!(!journal(&root).exists());

    // The report draws the curve and names the step of the most MB/s per W.
    let best = rows
        .iter()
        .max_by(|a, b| {
            a.mb_per_s_per_w
                .unwrap()
                .total_cmp(&b.mb_per_s_per_w.unwrap())
        })
        .and_then(|r| r.clock_mhz)
        .unwrap();
    // The sweep itself says so too (on stderr beside CSV).
    assert!(
        stderr.contains(&format!("most efficient at {best:.0} MHz")),
        "{best}: {stderr}"
    );
    let charts = dir.path().join("charts");
    let report = sbcbench()
        .arg("report")
        .arg(&results)
        .args(["--no-reference", "--format", "markdown", "--plot"])
        .arg(&charts)
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&report.stdout);
    // Nothing but the sweep: no comparison tables of the baseline alone.
    assert!(!text.contains("Performance, single core"), "{text}");
    for mhz in ["600", "750", "1000", "1250", "1500"] {
        assert!(text.contains(&format!("| {mhz} ")), "{mhz}: {text}");
    }
    assert!(
        text.contains(&format!(
            "Cortex-A72 (cpu 0-3): most efficient at {best:.0} MHz"
        )),
        "{best}: {text}"
    );
    let svg = files_under(&charts)
        .into_iter()
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sweep-")
        })
        .expect("a sweep chart");
    let svg = std::fs::read_to_string(svg).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
    assert!(svg.contains(&format!("{best:.0} MHz")), "{svg}");
}

#[test]
fn sweep_skips_a_step_the_firmware_caps_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", dir.path());
    let before = cpufreq_settings(&root);
    let _firmware = Firmware::start(&root, Some(1_250_000));
    let args = ["--kernels", "sha1", "-t", "1", "--steps", "1000,1500"];
    let (rows, stderr) = sweep_rows(&root, &args, "");
    let clocks: Vec<Option<f64>> = rows.iter().map(|r| r.clock_mhz).collect();
    assert_eq!(clocks, vec![Some(1000.0)], "{stderr}");
    assert!(
        stderr.contains("at 1500 MHz: the clock stayed at 1250 MHz"),
        "{stderr}"
    );
    assert_eq!(cpufreq_settings(&root), before);
}

#[test]
fn sweep_of_two_classes_and_of_a_continuous_intel_range() {
    for (tree, steps, want) in [
        (
            "rk3399",
            "2",
            vec![(0, 408.0), (0, 1416.0), (1, 408.0), (1, 1800.0)],
        ),
        ("x86-pc", "2", vec![(0, 800.0), (0, 5000.0)]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = fixture_copy(tree, dir.path());
        let before = cpufreq_settings(&root);
        let firmware = Firmware::start(&root, None);
        let args = ["--kernels", "sha1", "-t", "1", "--steps", steps];
        let (rows, stderr) = sweep_rows(&root, &args, "");
        drop(firmware);
        let got: Vec<(usize, f64)> = rows
            .iter()
            .map(|r| (r.cluster.unwrap(), r.clock_mhz.unwrap()))
            .collect();
        assert_eq!(got, want, "{tree}: {stderr}");
        assert_eq!(cpufreq_settings(&root), before, "{tree}");
    }
}

#[test]
fn while_one_class_is_swept_the_others_wait_at_their_lowest_step() {
    // The stand-in INA226 follows the fastest clock on the board: a
    // little core left at its top step would show in the big core's watts.
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rk3399", dir.path());
    let before = cpufreq_settings(&root);
    let firmware = Firmware::start(&root, None);
    let args = [
        "--kernels",
        "sha1",
        "-t",
        "1",
        "--steps",
        "2",
        "--meter",
        "hwmon:ina226",
        "--idle-time",
        "1",
    ];
    let (rows, stderr) = sweep_rows(&root, &args, "");
    drop(firmware);
    let watts = |cluster: usize, mhz: f64| {
        rows.iter()
            .find(|r| r.cluster == Some(cluster) && r.clock_mhz == Some(mhz))
            .and_then(|r| r.watts)
            .unwrap_or_else(|| panic!("{cluster} at {mhz}: {stderr}"))
    };
    // 1.2 W + 2 W per GHz²: the A72 at 408 MHz with the A53s back at 408.
    assert!(watts(1, 408.0) < 2.0, "{rows:?}");
    assert!(watts(0, 1416.0) > 4.5, "{rows:?}");
    assert!(watts(1, 1800.0) > 6.5, "{rows:?}");
    assert_eq!(cpufreq_settings(&root), before);
}

/// Spawns a slow sweep of the Pi 4 and waits until it holds a step above
/// the lowest (the second step's lock is in place).
fn sweep_under_way(root: &Path, results: &Path) -> std::process::Child {
    let child = sbcbench_std()
        .arg("--sysroot")
        .arg(root)
        .args(["sweep", "--kernels", "sha1", "-t", "1"])
        .args([
            "--min-time",
            "0.3",
            "--samples",
            "2",
            "--warmup",
            "0",
            "--cooldown",
            "0",
        ])
        .arg("--output")
        .arg(results)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let policy = root.join(CPUFREQ).join("policy0");
    let start = Instant::now();
    while read_khz(&policy.join("scaling_max_freq")) != Some(750_000) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the sweep never reached 750 MHz"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

#[test]
fn sweep_stopped_by_sigint_sigterm_or_sighup_restores_cpufreq_and_keeps_its_rows() {
    for (signal, status) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = fixture_copy("rpi4", dir.path());
        let before = cpufreq_settings(&root);
        let results = dir.path().join("results");
        let _firmware = Firmware::start(&root, None);
        let child = sweep_under_way(&root, &results);
        // SAFETY: a signal to our own child, whose pid is valid until waited.
        unsafe { libc::kill(child.id() as i32, signal) };
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{stderr}");
        assert_eq!(cpufreq_settings(&root), before, "{stderr}");
        assert!(!journal(&root).exists());
        let saved = files_under(&results);
        let rows = rows_from_csv(&std::fs::read(&saved[0]).unwrap());
        assert!(!rows.is_empty() && rows.len() < 5, "{rows:?}");
        assert!(rows
            .iter()
            .all(|r| r.run_kind == sbcbench::record::RunKind::Interrupted));
    }
}

#[test]
fn sweep_ended_by_an_error_restores_cpufreq() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", dir.path());
    let before = cpufreq_settings(&root);
    let results = dir.path().join("results");
    let _firmware = Firmware::start(&root, None);
    let child = sweep_under_way(&root, &results);
    // The board's folder becomes a link mid-sweep: the next save refuses.
    let board = std::fs::read_dir(&results)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let moved = dir.path().join("moved");
    std::fs::rename(&board, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &board).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert_eq!(cpufreq_settings(&root), before, "{stderr}");
    assert!(!journal(&root).exists());
}

#[test]
fn sweep_after_a_killed_sweep_restores_what_it_left() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", dir.path());
    let before = cpufreq_settings(&root);
    let results = dir.path().join("results");
    let _firmware = Firmware::start(&root, None);
    let mut child = sweep_under_way(&root, &results);
    child.kill().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    // Killed mid-step: the lock and the journal are left behind.
    assert_ne!(cpufreq_settings(&root), before);
    assert!(journal(&root).is_file());
    let args = ["--kernels", "sha1", "-t", "1", "--steps", "600MHz"];
    let (_, stderr) = sweep_rows(&root, &args, "");
    assert!(
        stderr.contains(&format!(
            "an earlier sweep (pid {pid}) did not finish; its cpufreq settings are restored"
        )),
        "{stderr}"
    );
    assert_eq!(cpufreq_settings(&root), before);
    assert!(!journal(&root).exists());
}

#[test]
fn a_run_after_a_killed_sweep_warns_and_sweep_restore_puts_cpufreq_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", dir.path());
    let before = cpufreq_settings(&root);
    let _firmware = Firmware::start(&root, None);
    let mut child = sweep_under_way(&root, &dir.path().join("results"));
    child.kill().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    sbcbench()
        .arg("--sysroot")
        .arg(&root)
        .args(["run", "--kernels", "sha1", "-t", "1", "--no-save"])
        .args(crate::common::FAST)
        .assert()
        .success()
        .stderr(predicates::str::contains(format!(
            "a sweep that did not finish (pid {pid}) left the CPU clocks locked"
        )));
    assert_ne!(cpufreq_settings(&root), before);
    for said in ["its cpufreq settings are restored", "nothing to restore"] {
        sweep_of(&root)
            .arg("--restore")
            .assert()
            .success()
            .stderr(predicates::str::contains(said));
        assert_eq!(cpufreq_settings(&root), before);
    }
    assert!(!journal(&root).exists());
}

#[test]
fn sweep_refuses_without_cpufreq_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("vm-nocpufreq", dir.path());
    let before = files_under(&root);
    sweep_of(&root)
        .args(["--kernels", "sha1", "--no-save"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("sweep needs cpufreq"));
    assert_eq!(files_under(&root), before);
}

#[test]
fn sweep_refuses_what_it_cannot_do_as_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", dir.path());
    let before = cpufreq_settings(&root);
    for (args, said) in [
        (
            &["--threads", "half"][..],
            "--threads half: a sweep measures",
        ),
        (&["--steps", "1234MHz"], "1234 MHz is not a step"),
        (&["--classes", "a53"], "--classes a53: no such core class"),
        (
            &["--power", "fixed:1=3"],
            "--power fixed: figures cannot follow the clock",
        ),
    ] {
        sweep_of(&root)
            .arg("--no-save")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(said));
    }
    assert_eq!(cpufreq_settings(&root), before);
    assert!(!journal(&root).exists());
}

#[test]
fn sweep_with_typed_readings_asks_at_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_copy("rpi4", dir.path());
    let before = cpufreq_settings(&root);
    let _firmware = Firmware::start(&root, None);
    // Idle, then one core and all cores at 600 and at 1500 MHz.
    let args = ["--kernels", "sha1", "--steps", "600,1500", "--power", "ask"];
    let (rows, stderr) = sweep_rows(
        &root,
        &args,
        "2.1
3.0
5.5
3.6
7.9
",
    );
    assert!(
        stderr.contains("sweep: Cortex-A72 (cpu 0-3) at 1500 MHz"),
        "{stderr}"
    );
    let got: Vec<(f64, usize, Option<f64>, Option<f64>)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r.watts_source.to_string(), "typed", "{r:?}");
            (r.clock_mhz.unwrap(), r.threads, r.watts, r.idle_watts)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (600.0, 1, Some(3.0), Some(2.1)),
            (600.0, 4, Some(5.5), Some(2.1)),
            (1500.0, 1, Some(3.6), Some(2.1)),
            (1500.0, 4, Some(7.9), Some(2.1)),
        ],
        "{stderr}"
    );
    assert_eq!(cpufreq_settings(&root), before);
}
