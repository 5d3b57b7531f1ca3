//! `run --format lava`: every line on stdout is a test case LAVA's
//! dispatcher accepts (lava_dispatcher/actions/test/shell.py and the
//! results database's fields), so that a job records the figures with no
//! glue script.

use std::collections::HashSet;

use crate::common::{fixture_copy, sbcbench, FAST};

/// LAVA's dispatcher pattern for a signal, anchored: the line is nothing else.
const SIGNAL: &str = r"^<LAVA_SIGNAL_TESTCASE ([^>]+)>$";

/// A decimal LAVA's DecimalField(max_digits=30, decimal_places=10) stores.
const DECIMAL: &str = r"^-?[0-9]{1,20}(\.[0-9]{1,10})?$";

/// One test case as LAVA reads it: its parameters by key.
#[derive(Debug)]
struct Case {
    id: String,
    result: String,
    units: Option<String>,
    measurement: Option<String>,
}

/// Checks `stdout` line by line against LAVA's rules and returns the cases.
fn lava_cases(stdout: &str) -> Vec<Case> {
    let signal = regex_lite::Regex::new(SIGNAL).unwrap();
    let decimal = regex_lite::Regex::new(DECIMAL).unwrap();
    let mut cases = Vec::new();
    let mut ids = HashSet::new();
    for line in stdout.lines() {
        let params = signal
            .captures(line)
            .unwrap_or_else(|| panic!("not a LAVA test case: {line:?}"))[1]
            .to_string();
        let mut case = Case {
            id: String::new(),
            result: String::new(),
            units: None,
            measurement: None,
        };
        let mut keys = Vec::new();
        for token in params.split_whitespace() {
            let parts: Vec<&str> = token.split('=').collect();
            assert_eq!(
                parts.len(),
                2,
                "not KEY=VALUE with one '=': {token:?} in {line:?}"
            );
            let (key, value) = (parts[0], parts[1].to_string());
            assert!(!value.is_empty(), "{line:?}");
            keys.push(key);
            match key {
                "TEST_CASE_ID" => case.id = value,
                "RESULT" => case.result = value,
                "UNITS" => case.units = Some(value),
                "MEASUREMENT" => case.measurement = Some(value),
                other => panic!("unexpected key {other} in {line:?}"),
            }
        }
        // lava-test-case's own order.
        let order = ["TEST_CASE_ID", "RESULT", "UNITS", "MEASUREMENT"];
        assert_eq!(keys, order[..keys.len()], "{line:?}");
        assert!(
            ["pass", "fail", "skip", "unknown"].contains(&case.result.as_str()),
            "{line:?}"
        );
        assert!(
            case.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{line:?}"
        );
        assert!(ids.insert(case.id.clone()), "id twice: {line:?}");
        assert_eq!(
            case.units.is_some(),
            case.measurement.is_some(),
            "units only with a measurement: {line:?}"
        );
        if let Some(m) = &case.measurement {
            assert!(decimal.is_match(m), "not a decimal LAVA stores: {line:?}");
            assert!(m.parse::<f64>().unwrap().is_finite());
        }
        if let Some(u) = &case.units {
            assert!(u.len() <= 100, "{line:?}");
        }
        cases.push(case);
    }
    cases
}

fn run_lava<'a>(args: impl IntoIterator<Item = &'a str>) -> (Vec<Case>, String) {
    let out = sbcbench()
        .args(["run", "--no-save", "--format", "lava"])
        .args(args)
        .args(FAST)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (
        lava_cases(&stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verdict<'c>(cases: &'c [Case], id: &str) -> &'c str {
    &cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no {id} case in {cases:?}"))
        .result
}

#[test]
fn every_line_is_a_lava_test_case_with_a_figure_per_row_and_the_verdicts() {
    let (cases, stderr) = run_lava(["--kernels", "sha1", "--threads", "1"]);
    let figures: Vec<&Case> = cases.iter().filter(|c| c.measurement.is_some()).collect();
    assert!(!figures.is_empty(), "{cases:?}");
    for c in &figures {
        assert!(c.id.starts_with("sha1-builtin-1"), "{c:?}");
        assert_eq!(
            (c.result.as_str(), c.units.as_deref()),
            ("pass", Some("MB/s"))
        );
        assert!(c.measurement.as_ref().unwrap().parse::<f64>().unwrap() > 0.0);
    }
    assert_eq!(verdict(&cases, "selftest"), "pass");
    // Passes, or unknown on a machine that cannot tell (a VM without cpufreq).
    assert!(
        ["pass", "fail", "unknown"].contains(&verdict(&cases, "throttling")),
        "{cases:?}"
    );
    // What is said to people stays on stderr.
    assert!(stderr.contains("plan:"), "{stderr}");
}

#[test]
fn a_raspberry_pi_under_voltage_fails_the_throttling_case() {
    let dir = tempfile::tempdir().unwrap();
    let pi = fixture_copy("rpi1", dir.path());
    // The firmware reports under-voltage now and since boot, as in
    // cli::a_raspberry_pi_under_voltage_marks_the_rows_and_says_to_check_the_supply.
    std::fs::write(
        pi.join("sys/devices/platform/soc/soc:firmware/get_throttled"),
        "0x50005\n",
    )
    .unwrap();
    let (cases, stderr) = run_lava([
        "--kernels",
        "sha1",
        "--threads",
        "1",
        "--sysroot",
        pi.to_str().unwrap(),
    ]);
    assert_eq!(verdict(&cases, "throttling"), "fail", "{cases:?}");
    // The row's figure is still recorded, and the why is said on stderr.
    assert_eq!(verdict(&cases, "sha1-builtin-1-arm1176"), "pass");
    assert!(
        stderr.contains("check the power supply and cable"),
        "{stderr}"
    );
    assert_eq!(verdict(&cases, "selftest"), "pass");
}

#[test]
fn report_refuses_lava_as_a_usage_error() {
    sbcbench()
        .args(["report", "--format", "lava"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("'lava'"));
}
