//! The two engines: the board's own `openssl speed` and `xz -d` measured
//! beside the built-in kernels, ratios to the article only between equals,
//! and tools that are missing or odd (fake ones on PATH).

use std::path::Path;

use sbcbench::measure::{Engine, KernelId, ThreadMode};
use sbcbench::record::ResultRow;

use crate::common::{rows_from_csv, sbcbench};

/// Quick settings without `--system-tools off`: one openssl process of
/// one second per sample.
const BRIEF: &[&str] = &["--min-time", "0.05", "--samples", "2", "--warmup", "0"];

/// `run` of one core, as CSV unless `args` say otherwise; `path` first on
/// PATH (fake tools).
fn run(args: &[&str], path: Option<&Path>) -> assert_cmd::assert::Assert {
    let mut cmd = sbcbench();
    let format = if args.contains(&"--format") {
        &[][..]
    } else {
        &["--format", "csv"][..]
    };
    cmd.args(["run", "--no-save", "--threads", "1"])
        .args(format)
        .args(BRIEF)
        .args(args);
    if let Some(dir) = path {
        let real = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![dir.to_path_buf()];
        dirs.extend(std::env::split_paths(&real));
        cmd.env("PATH", std::env::join_paths(dirs).unwrap());
    }
    cmd.assert()
}

fn find(rows: &[ResultRow], kernel: KernelId, engine: Engine) -> &ResultRow {
    rows.iter()
        .find(|r| r.kernel == kernel && r.engine == engine)
        .unwrap_or_else(|| panic!("no {kernel} {engine} row in {rows:?}"))
}

#[test]
fn system_rows_are_measured_beside_the_builtin_ones_and_compared_like_for_like() {
    let out = run(&["--kernels", "sha1,xz", "--system-tools", "require"], None)
        .success()
        .get_output()
        .clone();
    let rows = rows_from_csv(&out.stdout);
    let article = [(KernelId::Sha1, 97.5), (KernelId::Xz, 4.66)];
    for (kernel, vf2) in article {
        let system = find(&rows, kernel, Engine::System);
        let builtin = find(&rows, kernel, Engine::Builtin);
        let tool = if kernel == KernelId::Xz {
            "xz-utils "
        } else {
            "openssl "
        };
        assert!(system.implementation.starts_with(tool), "{system:?}");
        assert_eq!(
            (system.thread_mode, &system.cpus),
            (ThreadMode::One, &builtin.cpus)
        );
        // The article ran the same tools: a like-for-like ratio.
        assert_eq!(system.like_for_like, Some(true));
        let speedup = system.speedup.unwrap();
        assert!(
            (speedup - system.mb_per_s / vf2).abs() < 1e-9 * speedup,
            "{system:?}"
        );
        assert_eq!(system.builtin_vs_system, None);
        // The built-in row against openssl/xz-utils figures: marked.
        assert_eq!(builtin.like_for_like, Some(false));
        let factor = builtin.builtin_vs_system.unwrap();
        assert!((factor - builtin.mb_per_s / system.mb_per_s).abs() < 1e-9 * factor);
    }
    // Every kernel in both engines, nothing else.
    let clusters = sbcbench::observe::Topology::read(&sbcbench::observe::HostOs)
        .clusters
        .len();
    assert_eq!(rows.len(), 2 * 2 * clusters, "{rows:?}");
}

#[test]
fn the_human_table_marks_ratios_across_engines() {
    let out = run(&["--kernels", "sha1", "--format", "markdown"], None)
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no '{prefix}' line in {text}"))
            .to_string()
    };
    assert!(line("| sha1 | 1").contains("x‡"), "{text}");
    assert!(!line("| sha1 (openssl) | 1").contains('‡'), "{text}");
    assert!(text.contains("‡ not like for like"), "{text}");
}

#[test]
fn odd_or_missing_tools_are_a_note_with_auto_and_an_error_with_require() {
    let dir = tempfile::tempdir().unwrap();
    let script = |name: &str, body: &str| {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    // An openssl whose speed prints garbage, a BusyBox xz.
    script(
        "openssl",
        "if [ \"$1\" = version ]; then echo 'OpenSSL 3.0.19 27 Jan 2026'; exit 0; fi\n\
         if [ \"$1\" = dgst ]; then echo \"a9993e364706816aba3e25717850c26c9cd0d89d $4\"; exit 0; fi\n\
         echo 'garbage'",
    );
    script(
        "xz",
        "echo 'BusyBox v1.36.1 (2023-11-07) multi-call binary.'; exit 1",
    );

    let out = run(&["--kernels", "sha1,xz"], Some(dir.path()))
        .success()
        .get_output()
        .clone();
    let rows = rows_from_csv(&out.stdout);
    assert!(rows.iter().all(|r| r.engine == Engine::Builtin), "{rows:?}");
    assert_eq!(rows.len() % 2, 0, "sha1 and xz, built-in: {rows:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("openssl 3.0.19 speed -evp sha1: no +R: line"),
        "names the tool, its version and what went wrong: {stderr}"
    );
    assert!(stderr.contains("xz --version: exited"), "{stderr}");

    let out = run(
        &["--kernels", "sha1", "--system-tools", "require"],
        Some(dir.path()),
    )
    .code(2)
    .get_output()
    .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--system-tools require: "), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing measured");
}

#[test]
fn results_from_before_the_engines_read_as_builtin() {
    let csv = "schema_version,timestamp,board,arch,target,cpu_model,cores,kernel,implementation,threads,cpus,cluster,mb_per_s,mb_per_s_stddev,mb_per_s_min,mb_per_s_max,cv_percent,samples,clock_mhz,clock_source,clock_measured_mhz,cycles_per_byte,baseline,speedup,cycles_speedup,baseline_extrapolated,freq_min_mhz,temp_max_c,throttled,watts,watts_min,watts_max,watts_readings,watts_source,idle_watts,one_core_watts,half_cores_watts,all_cores_watts,energy_j,mb_per_s_per_w,mb_per_s_per_w_extrapolated,efficiency_speedup,xz_input,os,linux,version,thread_mode,logical_cpus,core_name,mb_per_s_mean,outliers,source,memory_mib,simd\n\
1,2026-01-01T00:00:00Z,Pi,aarch64,,,4,sha1,rustcrypto,1,0,0,100.0,0,100,100,0,2,,,,,VF2,,,,,,,,,,,,,,,,,,,,,,,,1,4,,100,0,sbcbench,,\n";
    let outcome = sbcbench::record::parse_results(csv, "old.csv").unwrap();
    assert!(outcome.skipped.is_empty(), "{:?}", outcome.skipped);
    assert_eq!(outcome.rows[0].engine, Engine::Builtin);
    assert_eq!(outcome.rows[0].like_for_like, None);
}
