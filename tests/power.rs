//! `--power`: typed readings through a real terminal and through a pipe,
//! fixed figures, and the efficiency columns they produce.

use std::io::Write;
use std::process::Stdio;

use sbcbench::record::ResultRow;

use crate::common::{rows_from_csv, sbcbench_path, sbcbench_std, FAST};

fn run_with_stdin(args: &[&str], stdin: &str) -> (std::process::Output, Vec<ResultRow>) {
    let mut child = sbcbench_std()
        .args(["run", "--no-save", "--format", "csv", "--kernels", "xz"])
        .args(FAST)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let rows = rows_from_csv(&out.stdout);
    (out, rows)
}

fn online() -> usize {
    std::thread::available_parallelism().unwrap().get()
}

/// The answers for idle, one core, [half,] all cores on this machine.
fn answers(idle: &str, one: &str, all: &str) -> String {
    if online() >= 4 {
        format!("{idle}\n{one}\n11.2\n{all}\n")
    } else {
        format!("{idle}\n{one}\n{all}\n")
    }
}

#[test]
fn piped_answers_fill_the_efficiency_columns() {
    let (out, rows) = run_with_stdin(
        &["--power", "ask", "--load", "spin", "--threads", "1,all"],
        &answers("7,4", "10.4 W", "13100 mW"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let single = rows.iter().find(|r| r.threads == 1).unwrap();
    let all = rows.iter().find(|r| r.thread_mode == "all").unwrap();
    assert_eq!(single.watts, Some(10.4));
    assert_eq!(single.watts_source, "typed");
    assert_eq!(single.idle_watts, Some(7.4));
    let e1 = single.mb_per_s_per_w.unwrap();
    assert!((e1 - single.mb_per_s / 10.4).abs() < 1e-12);
    // The VisionFive 2's single-core xz efficiency: 4.66 MB/s ÷ 10.4 W.
    assert!((single.efficiency_speedup.unwrap() - e1 / (4.66 / 10.4)).abs() < 1e-9);
    assert_eq!(all.watts, Some(13.1));
    for r in &rows {
        // Every row carries the board's whole power profile.
        assert_eq!(
            (r.idle_watts, r.one_core_watts, r.all_cores_watts),
            (Some(7.4), Some(10.4), Some(13.1))
        );
    }
    let best_single = rows
        .iter()
        .filter(|r| r.threads == 1)
        .map(|r| r.mb_per_s)
        .fold(0.0, f64::max);
    let ext = all.mb_per_s_per_w_extrapolated.unwrap();
    assert!((ext - best_single * all.cores as f64 / 13.1).abs() < 1e-9);
    // Its all-cores figure is the article's extrapolated 4 × 4.66 ÷ 13.1.
    let e_all = all.mb_per_s_per_w.unwrap();
    assert!((all.efficiency_speedup.unwrap() - e_all / (4.0 * 4.66 / 13.1)).abs() < 1e-9);
    // ...and says so, as the performance ratio does.
    assert_eq!(all.efficiency_extrapolated, Some(true));
    assert_eq!(single.efficiency_extrapolated, Some(false));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("power 1/"), "{stderr}");
}

#[test]
fn closed_stdin_skips_the_remaining_phases_with_a_warning() {
    // No --load: the article's busy loop by default, and the rows say so.
    let (out, rows) = run_with_stdin(&["--power", "ask", "--threads", "1"], "7.4\n");
    assert!(out.status.success());
    assert!(rows.iter().all(|r| r.power_load == "spin"), "{rows:?}");
    assert!(rows
        .iter()
        .all(|r| r.watts.is_none() && r.idle_watts == Some(7.4)));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard input closed"));
}

#[test]
fn fixed_figures_apply_to_matching_rows() {
    let (out, rows) = run_with_stdin(
        &["--power", "fixed:1=10.4,all=13.1", "--threads", "1,all"],
        "",
    );
    assert!(out.status.success());
    for r in &rows {
        let want = if r.threads == 1 { 10.4 } else { 13.1 };
        assert_eq!(r.watts, Some(want));
        assert_eq!(r.watts_source, "fixed");
        assert_eq!(r.idle_watts, None);
    }
}

#[test]
fn efficiency_ratios_against_extrapolated_figures_are_marked_in_the_table() {
    let out = sbcbench_std()
        .args([
            "run",
            "--no-save",
            "--format",
            "markdown",
            "--kernels",
            "sha1",
        ])
        .args(FAST)
        .args(["--threads", "1,all", "--power", "fixed:1=10.4,all=13.1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    let line = |phase: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {phase} |")))
            .unwrap_or_else(|| panic!("no {phase} line in\n{md}"))
            .to_string()
    };
    // Paste-ready: no spreadsheet guard, no warnings or paths in the post.
    assert!(!md.contains("'-") && !md.contains("warning:"), "{md}");
    // The article measured one core: the all-cores ratio is against its
    // extrapolation, the one-core ratio is not.
    assert!(line("all cores").contains("x*"), "{md}");
    assert!(!line("1 core").contains("x*"), "{md}");
}

/// A one-core sha1 run with `--power ask` on a pseudo-terminal of its own.
fn prompt_in_a_terminal(save: &str) -> rexpect::session::PtySession {
    let cmd = format!(
        "{} run {save} --format csv --kernels sha1 --threads 1 --power ask --load sha1 {}",
        sbcbench_path().display(),
        FAST.join(" ")
    );
    rexpect::spawn(&cmd, Some(60_000)).unwrap()
}

#[test]
fn the_prompt_works_in_a_real_terminal() {
    let mut p = prompt_in_a_terminal("--no-save");
    p.exp_string("idle").unwrap();
    p.exp_string("empty to skip): ").unwrap();
    p.send_line("about seven").unwrap();
    p.exp_string("is not a reading").unwrap();
    p.exp_string("empty to skip): ").unwrap();
    p.send_line("7.4").unwrap();
    p.exp_string("sha1 running on cpu").unwrap();
    p.exp_string("empty to skip): ").unwrap();
    p.send_line("10400 mW").unwrap();
    if online() > 1 {
        p.exp_string("empty to skip): ").unwrap();
        p.send_line("").unwrap(); // skip the remaining phases
        if online() >= 4 {
            p.exp_string("empty to skip): ").unwrap();
            p.send_line("").unwrap();
        }
    }
    p.exp_string("mb_per_s").unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains(",10.4,"), "{rest}");
}

#[test]
fn ctrl_c_at_a_prompt_leaves_at_once_and_stops_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = prompt_in_a_terminal(&format!("--board asked --output {}", dir.path().display()));
    p.exp_string("empty to skip): ").unwrap();
    p.send_line("7.4").unwrap();
    // The one-core load runs while the prompt waits; one Ctrl-C ends it all
    // (a read blocked on the terminal would otherwise be restarted).
    p.exp_string("sha1 running on cpu").unwrap();
    p.exp_string("empty to skip): ").unwrap();
    p.send_control('c').unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("interrupted"), "{rest}");
    assert!(!rest.contains("mb_per_s"), "nothing was measured: {rest}");
    match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => assert_eq!(code, 130, "{rest}"),
        other => panic!("{other:?}: {rest}"),
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no file"
    );
}
