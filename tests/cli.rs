//! End-to-end behaviour of the `sbcbench` binary: real kernels, real
//! files, short timings (these tests check behaviour, never speed).

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::common::{
    files_under, fixture_copy, run_rows, sbcbench, sbcbench_path, sbcbench_std, FAST,
};

/// Names, help, completions, pipes and error messages: issue 15's CLI items.
mod conventions;

#[test]
fn selftest_passes_every_known_answer_test() {
    sbcbench()
        .arg("selftest")
        .assert()
        .success()
        .stdout(predicate::str::contains("ok    sha1"))
        .stdout(predicate::str::contains("ok    chacha20-poly1305"))
        .stdout(predicate::str::contains("ok    xz "))
        .stdout(predicate::str::contains("FAIL").not());
}

#[test]
fn run_saves_a_results_file_whose_figures_agree_with_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let out = sbcbench()
        .args([
            "run",
            "--board",
            "Test Board 1",
            "--threads",
            "1",
            "--format",
            "csv",
            "--output",
        ])
        .arg(dir.path())
        .args(FAST)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let files = files_under(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert_eq!(file.parent().unwrap().file_name().unwrap(), "test-board-1");
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.ends_with("Z.csv") && name.len() == "20261122T223012Z.csv".len(),
        "{name}"
    );
    // stdout in --format csv is the saved file, byte for byte.
    assert_eq!(std::fs::read(file).unwrap(), out);
    // Readable by others as the umask allows (the tests' is 022 or 002),
    // not the private mode of a temporary file.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o044, 0o044, "{mode:o}");
    }

    let rows = sbcbench::record::read_results(file).unwrap();
    let kernels: Vec<_> = rows.iter().map(|r| r.kernel.name()).collect();
    let clusters = sbcbench::observe::Topology::read(&sbcbench::observe::HostOs)
        .clusters
        .len();
    assert_eq!(rows.len(), 3 * clusters);
    for k in ["sha1", "chacha20-poly1305", "xz"] {
        assert!(kernels.contains(&k), "{kernels:?}");
    }
    let vf2 = [("sha1", 97.5), ("chacha20-poly1305", 50.8), ("xz", 4.66)];
    for row in &rows {
        assert_eq!(row.board, "Test Board 1");
        assert_eq!(row.threads, 1);
        assert_eq!(row.samples, 2);
        assert!(row.mb_per_s > 0.0);
        assert!(row.mb_per_s_min <= row.mb_per_s && row.mb_per_s <= row.mb_per_s_max);
        assert!(!row.implementation.is_empty());
        let base = vf2.iter().find(|(k, _)| row.kernel == *k).unwrap().1;
        let speedup = row.speedup.unwrap();
        assert!(
            (speedup - row.mb_per_s / base).abs() < 1e-9 * speedup,
            "{row:?}"
        );
        assert_eq!(row.baseline_extrapolated, Some(false));
        if row.kernel == "xz" {
            assert!(row.xz_input.starts_with("built-in:"), "{}", row.xz_input);
        } else {
            assert!(row.xz_input.is_empty());
        }
        if let (Some(clock), Some(cpb)) = (row.clock_mhz, row.cycles_per_byte) {
            assert!((cpb - clock / row.mb_per_s).abs() < 1e-6 * cpb);
        }
    }
}

#[test]
fn all_cores_row_compares_with_the_extrapolated_baseline() {
    let out = sbcbench()
        .args([
            "run",
            "--no-save",
            "--kernels",
            "sha1",
            "--threads",
            "all",
            "--format",
            "json",
        ])
        .args(FAST)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let row = &json["rows"][0];
    let threads = row["threads"].as_u64().unwrap();
    assert_eq!(
        threads as usize,
        std::thread::available_parallelism().unwrap().get()
    );
    assert_eq!(row["thread_mode"], "all");
    assert_eq!(row["baseline_extrapolated"], true);
    // VisionFive 2 all cores = 4 × 97.5 MB/s.
    let mb = row["mb_per_s"].as_f64().unwrap();
    let speedup = row["speedup"].as_f64().unwrap();
    assert!((speedup - mb / 390.0).abs() < 1e-9 * speedup);
    assert_eq!(json["samples_mb_per_s"][0].as_array().unwrap().len(), 2);
}

#[test]
fn two_runs_at_once_keep_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = || {
        sbcbench_std()
            .args([
                "run",
                "--board",
                "twice",
                "--kernels",
                "sha1",
                "--threads",
                "1",
                "--format",
                "csv",
            ])
            .arg("--output")
            .arg(dir.path())
            .args(FAST)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let files = files_under(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    for f in files {
        assert_eq!(sbcbench::record::read_results(&f).unwrap().len(), 1);
    }
}

#[test]
fn baseline_file_from_an_earlier_run_is_used() {
    let dir = tempfile::tempdir().unwrap();
    sbcbench()
        .args([
            "run",
            "--board",
            "Reference Board",
            "--kernels",
            "xz",
            "--threads",
            "1",
            "--output",
        ])
        .arg(dir.path())
        .args(FAST)
        .assert()
        .success();
    let out = sbcbench()
        .args([
            "run",
            "--no-save",
            "--kernels",
            "xz",
            "--threads",
            "1",
            "--format",
            "csv",
            "--output",
        ])
        .arg(dir.path())
        .args(["--baseline", "Reference Board"])
        .args(FAST)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(",Reference Board,"), "{text}");
}

/// A small, valid .xz whose block header says its LZMA2 dictionary is
/// `code` (37: 1.5 GiB), with the header's CRC32 made right again: what a
/// decoder sees before it allocates anything.
fn xz_asking_for_dictionary(code: u8) -> Vec<u8> {
    use std::io::Write;
    let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 0);
    enc.write_all(&[7u8; 4096]).unwrap();
    let mut xz = enc.finish().unwrap();
    // Stream header (12 bytes), then the block header: its size, its
    // flags (no sizes from a one-thread encoder), one filter: LZMA2 (0x21)
    // with one property byte, the dictionary size.
    let start = 12;
    let size = (xz[start] as usize + 1) * 4;
    assert_eq!(xz[start + 1] & 0xC3, 0, "one filter, no sizes");
    assert_eq!(&xz[start + 2..start + 4], &[0x21, 0x01], "LZMA2");
    xz[start + 4] = code;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&xz[start..start + size - 4]);
    xz[start + size - 4..start + size].copy_from_slice(&crc.to_le_bytes());
    xz
}

/// Every bad input: exit code, one clear line naming the culprit, and not
/// a single file written.
#[test]
fn bad_input_is_refused_before_measuring_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.xz");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"hello, not xz").unwrap();
    let truncated = dir.path().join("truncated.xz");
    let full = sbcbench::measure::corpus::XZ;
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    let huge_dict = dir.path().join("huge-dictionary.xz");
    std::fs::write(&huge_dict, xz_asking_for_dictionary(37)).unwrap();
    let not_results = dir.path().join("other.csv");
    std::fs::write(&not_results, "a,b\n1,2\n").unwrap();
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, b"x").unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let too_many = (std::thread::available_parallelism().unwrap().get() + 1).to_string();

    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["--kernels", "md5"], 2, "md5"),
        (vec!["--threads", "0"], 2, "--threads"),
        (vec!["--threads", &too_many], 2, "online CPUs"),
        (vec!["--min-time", "-1"], 2, "--min-time"),
        (vec!["--cooldown", "-1"], 2, "--cooldown"),
        (
            vec!["--xz-input", "/nonexistent/linux.tar.xz"],
            2,
            "/nonexistent/linux.tar.xz",
        ),
        (vec!["--xz-input", empty.to_str().unwrap()], 2, "empty"),
        (
            vec!["--xz-input", text.to_str().unwrap()],
            2,
            "not an .xz file",
        ),
        (
            vec!["--xz-input", truncated.to_str().unwrap()],
            1,
            "corrupt",
        ),
        // 1.5 GiB of dictionary, for each thread: refused by the decoder's
        // memory limit before anything is allocated.
        (
            vec!["--xz-input", huge_dict.to_str().unwrap()],
            1,
            "dictionary is too large",
        ),
        (
            vec!["--baseline", not_results.to_str().unwrap()],
            2,
            "not an sbcbench results file",
        ),
        (vec!["--baseline", "No Such Board"], 2, "No Such Board"),
    ];
    for (args, code, needle) in cases {
        sbcbench()
            .args(["run", "--output", out_s])
            .args(&args)
            .args(FAST)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(needle))
            .stderr(predicate::str::contains("error"));
        assert!(
            files_under(&out).is_empty(),
            "{args:?} left files: {:?}",
            files_under(&out)
        );
    }
    // An --output that cannot be a directory.
    sbcbench()
        .args(["run", "--output", a_file.join("sub").to_str().unwrap()])
        .args(FAST)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--output"));
}

#[test]
fn sigint_and_sigterm_keep_the_rows_measured_so_far() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let child = sbcbench_std()
            .args([
                "run",
                "--board",
                "interrupted",
                "--threads",
                "1",
                "--kernels",
                "sha1,xz,chacha20-poly1305",
            ])
            .args([
                "--min-time",
                "0.2",
                "--samples",
                "20",
                "--warmup",
                "0",
                "--format",
                "csv",
                "--output",
            ])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the first row is on disk, then interrupt.
        let t0 = Instant::now();
        while files_under(dir.path()).is_empty() {
            assert!(t0.elapsed() < Duration::from_secs(120), "no row saved");
            std::thread::sleep(Duration::from_millis(50));
        }
        let status = StdCommand::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        // One valid file with the rows measured before the signal, and
        // no temporary file left beside it.
        let files = files_under(dir.path());
        assert_eq!(files.len(), 1, "{files:?}");
        let rows = sbcbench::record::read_results(&files[0]).unwrap();
        assert!(!rows.is_empty() && rows.len() < 3, "{} rows", rows.len());
        // ...and say they come from a run cut short.
        assert!(rows.iter().all(|r| r.run_kind == "interrupted"), "{rows:?}");
    }
}

#[test]
fn a_file_size_limit_while_saving_is_a_clear_error_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let board_dir = dir.path().join("limited");
    std::fs::create_dir_all(&board_dir).unwrap();
    let earlier = board_dir.join("20200101T000000Z.csv");
    std::fs::write(&earlier, "an earlier run\n").unwrap();
    // `ulimit -f 1`: at most 512 bytes (or 1 KiB) per file, less than one
    // results file; the write that crosses it fails with EFBIG.
    let out = StdCommand::new("sh")
        .args(["-c", "ulimit -f 1 && exec \"$0\" \"$@\""])
        .arg(sbcbench_path())
        .args([
            "run",
            "--board",
            "limited",
            "--kernels",
            "sha1",
            "--threads",
            "1",
        ])
        .args(FAST)
        .arg("--output")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot save the results file in {}",
            board_dir.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("ulimit -f"), "{stderr}");
    // What was measured is still shown; nothing else is in the folder.
    assert!(String::from_utf8_lossy(&out.stdout).contains("sha1"));
    assert_eq!(files_under(dir.path()), vec![earlier.clone()]);
    assert_eq!(
        std::fs::read_to_string(&earlier).unwrap(),
        "an earlier run\n"
    );
}

#[test]
fn a_board_folder_that_is_a_symlink_is_refused_before_measuring() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), results.join("linked")).unwrap();
    let out = sbcbench()
        .args([
            "run",
            "--board",
            "linked",
            "--kernels",
            "sha1",
            "--threads",
            "1",
        ])
        .args(FAST)
        .arg("--output")
        .arg(&results)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing measured");
    assert!(files_under(elsewhere.path()).is_empty());
}

#[test]
fn results_schema_doc_lists_exactly_the_columns() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/results-schema.md"),
    )
    .unwrap();
    let documented: Vec<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    let header = {
        // The header the files really have.
        let out = sbcbench()
            .args([
                "run",
                "--no-save",
                "--kernels",
                "sha1",
                "--threads",
                "1",
                "--format",
                "csv",
            ])
            .args(FAST)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    let actual: Vec<String> = header.split(',').map(str::to_string).collect();
    assert_eq!(documented, actual);
    // The columns the issue tracker and other tools depend on.
    for required in [
        "schema_version",
        "timestamp",
        "board",
        "arch",
        "target",
        "cpu_model",
        "cores",
        "kernel",
        "implementation",
        "threads",
        "cpus",
        "cluster",
        "mb_per_s",
        "mb_per_s_stddev",
        "mb_per_s_min",
        "mb_per_s_max",
        "cv_percent",
        "samples",
        "clock_mhz",
        "clock_source",
        "clock_measured_mhz",
        "cycles_per_byte",
        "baseline",
        "speedup",
        "cycles_speedup",
        "baseline_extrapolated",
        "freq_min_mhz",
        "temp_max_c",
        "throttled",
        "watts",
        "watts_source",
        "mb_per_s_per_w",
        "xz_input",
        "os",
        "linux",
        "version",
    ] {
        assert!(actual.iter().any(|c| c == required), "missing {required}");
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sysfs")
        .join(name)
}

#[test]
fn big_little_board_runs_single_core_once_per_cluster() {
    // A recorded RK3399 (4 × A53 at 1416 MHz + 2 × A72 at 1800 MHz): the
    // plan, clocks and names come from the tree; the kernels run here.
    let rk3399 = fixture("rk3399");
    let (rows, stderr) = run_rows([
        "--kernels",
        "xz",
        "--threads",
        "1",
        "--sysroot",
        rk3399.to_str().unwrap(),
    ]);
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.cluster,
                r.cpus.as_str(),
                r.core_name.as_str(),
                r.clock_mhz,
                r.clock_source.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            // Each cluster's last CPU: cpu 0 takes the interrupts.
            (Some(0), "3", "Cortex-A53", Some(1416.0), "cpufreq-max"),
            (Some(1), "5", "Cortex-A72", Some(1800.0), "cpufreq-max"),
        ]
    );
    for r in &rows {
        assert_eq!(r.board, "Pine64 RockPro64 v2.1");
        assert_eq!(r.cpu_model, "2x Cortex-A72 + 4x Cortex-A53");
        assert_eq!((r.cores, r.logical_cpus), (6, 6));
        let cpb = r.cycles_per_byte.unwrap();
        assert!((cpb - r.clock_mhz.unwrap() / r.mb_per_s).abs() < 1e-9 * cpb);
        // The VisionFive 2: 1500 MHz ÷ 4.66 MB/s.
        assert!((r.cycles_speedup.unwrap() - (1500.0 / 4.66) / cpb).abs() < 1e-9);
    }
    // This machine's real clock is not the recorded board's: said, not
    // hidden. A machine without CPUs 3 and 5 cannot pin there nor measure
    // the clock; that is said instead.
    if rows.iter().any(|r| r.clock_measured_mhz.is_some()) {
        assert!(stderr.contains("measured clock"), "{stderr}");
    } else {
        assert!(stderr.contains("not pinned"), "{stderr}");
    }
}

#[test]
fn info_reads_a_recorded_board() {
    sbcbench()
        .args(["info", "--sysroot"])
        .arg(fixture("visionfive2"))
        .assert()
        .success()
        .stdout(predicate::str::contains("StarFive VisionFive 2 v1.3B"))
        .stdout(predicate::str::contains("4x SiFive U74"))
        .stdout(predicate::str::contains(
            "cpu 0-3: SiFive U74, max 1500 MHz",
        ))
        .stdout(predicate::str::contains("riscv64"));
    let json = sbcbench()
        .args(["info", "--json", "--sysroot"])
        .arg(fixture("vm-nocpufreq"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let facts: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(facts["board"], "ci-vm");
    assert_eq!(facts["clusters"][0]["max_mhz"], serde_json::Value::Null);
}

#[test]
fn dynamiq_board_names_and_measures_every_core_class() {
    // A SM8550 layout: the A715s and A710s share one cpufreq policy.
    let sm8550 = fixture("sm8550-hdk");
    sbcbench()
        .args(["info", "--sysroot"])
        .arg(&sm8550)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1x Cortex-X3 + 2x Cortex-A715 + 2x Cortex-A710 + 3x Cortex-A510",
        ))
        .stdout(predicate::str::contains(
            "cpu 3-4: Cortex-A715, max 2803 MHz, clock shared with cpu 5-6",
        ))
        .stdout(predicate::str::contains(
            "cpu 5-6: Cortex-A710, max 2803 MHz, clock shared with cpu 3-4",
        ));
    let (rows, _) = run_rows([
        "--kernels",
        "sha1",
        "--threads",
        "1",
        "--sysroot",
        sm8550.to_str().unwrap(),
    ]);
    let summary: Vec<_> = rows
        .iter()
        .map(|r| (r.cluster, r.cpus.as_str(), r.core_name.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some(0), "2", "Cortex-A510"),
            (Some(1), "4", "Cortex-A715"),
            (Some(2), "6", "Cortex-A710"),
            (Some(3), "7", "Cortex-X3"),
        ]
    );
}

#[test]
fn a_machine_without_cpufreq_leaves_cycles_per_byte_empty_unless_told() {
    let vm = fixture("vm-nocpufreq");
    let run = |extra: &[&str]| {
        let mut args = vec!["--kernels", "sha1", "--threads", "1", "--sysroot"];
        args.push(vm.to_str().unwrap());
        args.extend_from_slice(extra);
        run_rows(args)
    };
    let (rows, stderr) = run(&[]);
    assert_eq!(
        (
            rows[0].clock_mhz,
            rows[0].cycles_per_byte,
            rows[0].clock_source.as_str()
        ),
        (None, None, "")
    );
    assert!(rows[0].clock_measured_mhz.is_some());
    assert!(stderr.contains("--clock-mhz"), "{stderr}");
    assert!(
        stderr.contains("unattended-upgr"),
        "busy process not reported: {stderr}"
    );
    // Said once, and before anything is measured (the first phase line).
    let (_, stderr) = run(&["--phase-events", "--idle-time", "0.1"]);
    assert_eq!(stderr.matches("unattended-upgr").count(), 1, "{stderr}");
    let busy = stderr.find("unattended-upgr").unwrap();
    let first_phase = stderr.find("@sbcbench ").expect("phase lines");
    assert!(busy < first_phase, "said after measuring began:\n{stderr}");
    let (rows, _) = run(&["--clock-mhz", "2600"]);
    assert_eq!(
        (rows[0].clock_mhz, rows[0].clock_source.as_str()),
        (Some(2600.0), "user")
    );
    assert!((rows[0].cycles_per_byte.unwrap() - 2600.0 / rows[0].mb_per_s).abs() < 1e-9);
}

#[test]
fn a_raspberry_pi_under_voltage_marks_the_rows_and_says_to_check_the_supply() {
    let dir = tempfile::tempdir().unwrap();
    let pi = fixture_copy("rpi1", dir.path());
    let run = || {
        run_rows([
            "--kernels",
            "sha1",
            "--threads",
            "1",
            "--sysroot",
            pi.to_str().unwrap(),
        ])
    };
    // A vendor kernel: the firmware reports under-voltage now (bit 0) and
    // throttling, both since boot too.
    let firmware = pi.join("sys/devices/platform/soc/soc:firmware/get_throttled");
    std::fs::write(&firmware, "0x50005\n").unwrap();
    let (rows, stderr) = run();
    assert_eq!(rows[0].throttled, Some(true));
    assert!(
        rows[0]
            .throttle_reason
            .starts_with("under-voltage; firmware cap"),
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[0].temp_start_c, Some(48.692));
    assert!(
        stderr.contains("check the power supply and cable"),
        "{stderr}"
    );
    assert!(stderr.contains("add a heatsink or a fan"), "{stderr}");

    // A mainline kernel: no firmware file, the rpi_volt alarm instead.
    std::fs::remove_file(&firmware).unwrap();
    let volt = pi.join("sys/class/hwmon/hwmon1");
    std::fs::create_dir_all(&volt).unwrap();
    std::fs::write(volt.join("name"), "rpi_volt\n").unwrap();
    std::fs::write(volt.join("in0_lcrit_alarm"), "1\n").unwrap();
    let (rows, stderr) = run();
    assert!(
        rows[0].throttle_reason.starts_with("under-voltage"),
        "{:?}",
        rows[0]
    );
    assert!(
        !rows[0].throttle_reason.contains("firmware"),
        "{:?}",
        rows[0]
    );
    assert!(
        stderr.contains("check the power supply and cable"),
        "{stderr}"
    );
}

/// Everything `args` prints in a pseudo-terminal `cols` wide, escape
/// sequences removed, split at line ends and carriage returns.
fn terminal_lines(args: &str, cols: u16) -> Vec<String> {
    let cmd = format!(
        "sh -c 'stty cols {cols} rows 50; exec {} {args}'",
        sbcbench_path().display()
    );
    let mut session = rexpect::spawn(&cmd, Some(120_000)).unwrap();
    let out = session.exp_eof().unwrap();
    // The session hands over each byte as a char: decode the UTF-8.
    let bytes: Vec<u8> = out.chars().map(|c| c as u32 as u8).collect();
    let out = String::from_utf8_lossy(&bytes);
    let plain = regex_lite::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]")
        .unwrap()
        .replace_all(&out, "");
    plain.split(['\n', '\r']).map(str::to_string).collect()
}

#[test]
fn at_80_columns_run_and_report_fit_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let runs = [
        format!(
            "run --quick --system-tools off --kernels sha1,xz --output {}",
            dir.path().display()
        ),
        format!(
            "report tests/fixtures/report/results {}",
            dir.path().display()
        ),
    ];
    for args in runs {
        let lines = terminal_lines(&args, 80);
        assert!(lines.iter().any(|l| l.contains("sha1")), "{lines:#?}");
        for line in &lines {
            assert!(
                line.chars().count() <= 80,
                "{args}: a line of {} columns:\n{line}",
                line.chars().count()
            );
        }
    }
}

#[test]
fn the_measured_clock_is_in_the_table_with_verbose_only() {
    let run = |extra: &[&str]| {
        let out = sbcbench()
            .args([
                "run",
                "--no-save",
                "--format",
                "markdown",
                "--kernels",
                "sha1",
            ])
            .args(["--threads", "1"])
            .args(FAST)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(!run(&[]).contains(", measured "));
    assert!(run(&["--verbose"]).contains(", measured "));
}
