//! What the test modules share: the binary under test and how to run it
//! briefly, reading its results back, and a simulated meter on a
//! pseudo-terminal (`meter_sim.rs`) and a network one on 127.0.0.1
//! (`http_sim.rs`).

pub mod firmware;
mod http_sim;
mod meter_sim;

use std::path::{Path, PathBuf};

pub use http_sim::{closed_port, Answer, HttpSim, Request};
pub use meter_sim::{hex, Sim};

/// The test build of `sbcbench`, for what needs its path: a copy into a
/// dist directory, a command line for a pseudo-terminal, `sh -c`.
pub fn sbcbench_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_sbcbench"))
}

/// `sbcbench`, to run and assert on: no colours, run from the package's
/// directory (where relative fixture paths start).
pub fn sbcbench() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(sbcbench_path());
    cmd.env("NO_COLOR", "1");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// The same as a `std::process::Command`, for what `assert_cmd` does not
/// do: spawn it and signal it, write to its stdin while it runs.
pub fn sbcbench_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(sbcbench_path());
    cmd.env("NO_COLOR", "1");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// One of ansible-core's programs, from PATH. The tests never install
/// anything: ci/test installs ansible-core first, and a test run without
/// it fails saying so rather than passing without checking.
pub fn ansible_tool(name: &str) -> PathBuf {
    sbcbench::measure::tool::find_on_path(name).unwrap_or_else(|| {
        panic!(
            "{name} is not on PATH: run ci/test (it installs ansible-core), \
             or `pip install ansible-core` first"
        )
    })
}

/// Fast settings for tests: short samples, no warm-up.
pub const FAST: &[&str] = &[
    // The built-in engine only: the system tools' rows have tests of their own.
    "--system-tools",
    "off",
    "--min-time",
    "0.05",
    "--samples",
    "2",
    "--warmup",
    "0",
    // No waiting for the SoC to cool between steps.
    "--cooldown",
    "0",
];

/// [`FAST`]'s timing alone, for `sweep` (which measures no system tools).
pub const FAST_TIMING: &[&str] = FAST.split_at(2).1;

/// The rows of a results CSV: a file's bytes, or what `--format csv`
/// printed.
pub fn rows_from_csv(csv: &[u8]) -> Vec<sbcbench::record::ResultRow> {
    csv::Reader::from_reader(csv)
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every file under `dir`, recursively, sorted; none if it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A sha1 run of one thread with `--meter spec` (fast settings, 1 s of
/// idle power): its rows, read back from the CSV it printed, and stderr.
pub fn run_with_meter(spec: &str) -> (Vec<sbcbench::record::ResultRow>, String) {
    run_metered(spec, &["--threads", "1"])
}

/// A sha1 run with `--meter spec` and `args`, read back from its CSV.
pub fn run_metered(spec: &str, args: &[&str]) -> (Vec<sbcbench::record::ResultRow>, String) {
    let meter = ["--kernels", "sha1", "--idle-time", "1", "--meter", spec];
    run_rows(args.iter().chain(&meter).copied())
}

/// A quick unsaved run with `args` that succeeds: the rows of the CSV it
/// printed and its stderr.
pub fn run_rows<'a>(
    args: impl IntoIterator<Item = &'a str>,
) -> (Vec<sbcbench::record::ResultRow>, String) {
    let out = sbcbench()
        .args(["run", "--no-save", "--format", "csv"])
        .args(args)
        .args(FAST)
        .assert()
        .success()
        .get_output()
        .clone();
    let rows = rows_from_csv(&out.stdout);
    (rows, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A copy of the recorded tree `tests/fixtures/sysfs/<name>` in `dir`,
/// for a test to change.
pub fn fixture_copy(name: &str, dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let root = dir.join(name);
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sysfs")
            .join(name),
        &root,
    );
    root
}
