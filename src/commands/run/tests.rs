//! A whole run through its kernel-factory seam.

use std::sync::atomic::{AtomicU64, Ordering};

use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};
use crate::measure::kernels::flaky::FailsMidRun;
use crate::observe::HostOs;
use crate::record::read_results;

fn run_args(cli: &[&str]) -> RunArgs {
    match Cli::try_parse_from(cli).unwrap().command {
        Command::Run(args) => *args,
        _ => unreachable!("not a run"),
    }
}

#[test]
fn a_kernel_failing_mid_run_is_dropped_and_the_others_are_measured_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let args = run_args(&[
        "sbcbench",
        "run",
        "--quick",
        "--system-tools",
        "off",
        "--kernels",
        "sha1,xz",
        "--threads",
        "1,all",
        "--board",
        "flaky",
        "--output",
        out,
        "--format",
        "csv",
    ]);
    let xz_steps = Arc::new(AtomicU64::new(5));
    let made = AtomicU64::new(0);
    let make = |id: KernelId, input: Option<&XzInput>| {
        made.fetch_add(1, Ordering::Relaxed);
        let real = kernels::for_id(id, input)?;
        Ok(match id {
            KernelId::Xz => Arc::new(FailsMidRun {
                inner: real,
                steps_left: Arc::clone(&xz_steps),
            }) as Arc<dyn Kernel>,
            _ => real,
        })
    };

    let err = run_with(&args, Arc::new(HostOs), &make).unwrap_err();

    let msg = format!("{err:#}");
    assert!(
        msg.contains("xz: output check failed during the run"),
        "{msg}"
    );
    assert!(msg.contains("xz × 1"), "names the step that failed: {msg}");
    assert!(
        msg.contains("that kernel was not measured further"),
        "{msg}"
    );
    assert!(msg.contains("the other kernels were measured"), "{msg}");
    assert_eq!(crate::error::exit_code(&err), 1);
    assert_eq!(made.load(Ordering::Relaxed), 2, "each kernel built once");

    // sha1 before and after the failure, on one core and on all; no xz row.
    let files: Vec<_> = std::fs::read_dir(dir.path().join("flaky"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let rows = read_results(&files[0]).unwrap();
    let kinds: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.kernel.to_string(), r.thread_mode.to_string()))
        .collect();
    let clusters = Topology::read(&HostOs).clusters.len();
    let mut expected = vec![("sha1".to_string(), "1".to_string()); clusters];
    expected.push(("sha1".to_string(), "all".to_string()));
    assert_eq!(kinds, expected);
    assert!(rows.iter().all(|r| r.mb_per_s > 0.0));
}
