//! LAVA test-shell signals, so that a LAVA or KernelCI job records the
//! figures with no glue script: one test case per figure
//! (`<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=sha1-builtin-1-cortex-a76
//! RESULT=pass UNITS=MB/s MEASUREMENT=1849.4>`), a failed or unreached
//! measurement as `fail` or `skip`, and two verdicts: `selftest` (every
//! kernel's output was right) and `throttling` (no row was throttled).
//!
//! The parameters are in the order `lava-test-case` prints them:
//! TEST_CASE_ID, RESULT, then UNITS and MEASUREMENT. LAVA's dispatcher
//! reads `<LAVA_SIGNAL_(\S+) ([^>]+)>` and splits the parameters on
//! whitespace, each `KEY=VALUE` with exactly one `=`, so the order does
//! not matter to it but no value may hold a space, `=` or `>`: ids are
//! sanitised, units are `MB/s`, `W` and `MB/s/W`, and a measurement is a
//! plain decimal its database can store (30 digits, 10 of them decimal).
//! Why a run was throttled is not a case (the causes vary from run to
//! run); the warnings on stderr say it, in the job's log.

use std::collections::HashMap;

use super::{Exporter, NotMeasured, RunReport, Unmeasured};
use crate::measure::{Engine, KernelId, ThreadMode};
use crate::record::ResultRow;

pub struct LavaExporter;

impl Exporter for LavaExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        Ok(cases(report).iter().map(Case::line).collect())
    }
}

/// LAVA's four results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    Skip,
    Unknown,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skip => "skip",
            Verdict::Unknown => "unknown",
        }
    }
}

/// One `lava-test-case`.
#[derive(Debug, Clone, PartialEq)]
struct Case {
    id: String,
    result: Verdict,
    /// Units and the figure, as LAVA stores them: together or not at all.
    measurement: Option<(&'static str, String)>,
}

impl Case {
    fn line(&self) -> String {
        let mut line = format!(
            "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID={} RESULT={}",
            self.id,
            self.result.word()
        );
        if let Some((units, value)) = &self.measurement {
            line.push_str(&format!(" UNITS={units} MEASUREMENT={value}"));
        }
        line.push_str(">\n");
        line
    }

    /// A figure: `pass` with it, or `unknown` without it when it is not a
    /// number LAVA can store (NaN, infinite, beyond 20 integer digits).
    fn figure(id: String, units: &'static str, value: f64) -> Case {
        match decimal(value) {
            Some(v) => Case {
                id,
                result: Verdict::Pass,
                measurement: Some((units, v)),
            },
            None => Case {
                id,
                result: Verdict::Unknown,
                measurement: None,
            },
        }
    }

    fn verdict(id: &str, result: Verdict) -> Case {
        Case {
            id: id.to_string(),
            result,
            measurement: None,
        }
    }
}

/// What names a measurement, row or not.
struct Name<'a> {
    kernel: KernelId,
    engine: Engine,
    mode: ThreadMode,
    cluster: Option<usize>,
    core_name: &'a str,
}

impl<'a> From<&'a ResultRow> for Name<'a> {
    fn from(r: &'a ResultRow) -> Name<'a> {
        Name {
            kernel: r.kernel,
            engine: r.engine,
            mode: r.thread_mode,
            cluster: r.cluster,
            core_name: &r.core_name,
        }
    }
}

impl<'a> From<&'a Unmeasured> for Name<'a> {
    fn from(u: &'a Unmeasured) -> Name<'a> {
        Name {
            kernel: u.kernel,
            engine: u.engine,
            mode: u.thread_mode,
            cluster: u.cluster,
            core_name: &u.core_name,
        }
    }
}

impl Name<'_> {
    /// `sha1-builtin-1-cortex-a76`, `xz-system-all`: kernel, engine,
    /// thread mode and, where one class ran, its core.
    fn base(&self) -> String {
        let mut id = format!("{}-{}-{}", self.kernel, self.engine, self.mode);
        if !self.core_name.is_empty() && self.core_name != "unknown" {
            id.push('-');
            id.push_str(self.core_name);
        }
        sanitise(&id)
    }
}

/// A case id LAVA takes as it is: lower case `[a-z0-9._-]`, anything else
/// (spaces, `/`, `=`, `>`) one `-`, never empty.
fn sanitise(raw: &str) -> String {
    let mut id = String::new();
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && (id.is_empty() || id.ends_with('-'))) {
            id.push(c);
        }
    }
    while id.ends_with('-') {
        id.pop();
    }
    if id.is_empty() {
        id.push_str("unnamed");
    }
    id
}

/// The ids of `names`, in order, unique: two classes with the same core
/// name (two Cortex-A78 clusters) get their cluster index, and anything
/// still alike a count.
fn unique_ids(names: &[Name]) -> Vec<String> {
    let base: Vec<String> = names.iter().map(Name::base).collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for b in &base {
        *count.entry(b.as_str()).or_default() += 1;
    }
    let with_cluster: Vec<String> = names
        .iter()
        .zip(&base)
        .map(|(n, b)| match n.cluster {
            Some(c) if count[b.as_str()] > 1 => format!("{b}-cluster{c}"),
            _ => b.clone(),
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    with_cluster
        .into_iter()
        .map(|id| {
            let n = seen.entry(id.clone()).or_default();
            *n += 1;
            if *n == 1 {
                id
            } else {
                format!("{id}-{n}")
            }
        })
        .collect()
}

/// A plain decimal LAVA's DecimalField(30 digits, 10 decimal) holds: no
/// exponent, four significant digits (the figures repeat to a few per
/// cent: more digits would claim more than was measured), at most 10
/// decimals, trailing zeros dropped; `None` for NaN, infinities and 20 or
/// more integer digits.
fn decimal(x: f64) -> Option<String> {
    if !x.is_finite() || x.abs() >= 1e20 {
        return None;
    }
    let magnitude = if x == 0.0 {
        0
    } else {
        x.abs().log10().floor() as i32
    };
    let places = (3 - magnitude).clamp(0, 10) as usize;
    let s = format!("{x:.places$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    Some(match s {
        "-0" | "" => "0".to_string(),
        s => s.to_string(),
    })
}

/// Every case of the run: each row's figures, each planned measurement
/// without a row, then `selftest` and `throttling`.
fn cases(report: &RunReport) -> Vec<Case> {
    let names: Vec<Name> = report
        .rows
        .iter()
        .map(Name::from)
        .chain(report.unmeasured.iter().map(Name::from))
        .collect();
    let ids = unique_ids(&names);
    let (row_ids, unmeasured_ids) = ids.split_at(report.rows.len());
    let mut out = Vec::new();
    for (row, id) in report.rows.iter().zip(row_ids) {
        out.push(Case::figure(id.clone(), "MB/s", row.mb_per_s));
        // Power is the article's other product: the board's watts during
        // the row and the MB/s they buy.
        if let Some(w) = row.watts {
            out.push(Case::figure(format!("{id}-watts"), "W", w));
        }
        if let Some(e) = row.mb_per_s_per_w {
            out.push(Case::figure(format!("{id}-mb-per-s-per-w"), "MB/s/W", e));
        }
    }
    for (u, id) in report.unmeasured.iter().zip(unmeasured_ids) {
        let result = match u.why {
            NotMeasured::WrongOutput | NotMeasured::Failed => Verdict::Fail,
            NotMeasured::NotReached => Verdict::Skip,
        };
        out.push(Case::verdict(id, result));
    }
    let wrong = report
        .unmeasured
        .iter()
        .any(|u| u.why == NotMeasured::WrongOutput);
    out.push(Case::verdict(
        "selftest",
        if wrong { Verdict::Fail } else { Verdict::Pass },
    ));
    out.push(Case::verdict("throttling", throttling(&report.rows)));
    out
}

/// `fail` when any row was throttled, `pass` when every row is known not
/// to be, `unknown` when the board could not tell for some, `skip` when
/// nothing was measured.
fn throttling(rows: &[ResultRow]) -> Verdict {
    if rows.is_empty() {
        Verdict::Skip
    } else if rows.iter().any(|r| r.throttled == Some(true)) {
        Verdict::Fail
    } else if rows.iter().all(|r| r.throttled == Some(false)) {
        Verdict::Pass
    } else {
        Verdict::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::SystemFacts;

    fn row(kernel: KernelId, mode: ThreadMode, cluster: Option<usize>, core: &str) -> ResultRow {
        ResultRow {
            kernel,
            thread_mode: mode,
            cluster,
            core_name: core.to_string(),
            mb_per_s: 97.5,
            throttled: Some(false),
            ..ResultRow::default()
        }
    }

    fn report(rows: Vec<ResultRow>, unmeasured: Vec<Unmeasured>) -> RunReport {
        RunReport {
            system: SystemFacts {
                board: "Raspberry Pi 4 Model B".into(),
                arch: "aarch64".into(),
                target: String::new(),
                cpu_model: "Cortex-A72".into(),
                logical_cores: 4,
                physical_cores: 4,
                clusters: Vec::new(),
                linux: String::new(),
                os: String::new(),
                memory_bytes: None,
                version: String::new(),
                git_hash: String::new(),
                simd: Vec::new(),
            },
            baseline: "VisionFive 2".into(),
            rows,
            samples_mb_per_s: Vec::new(),
            warnings: Vec::new(),
            saved_to: None,
            quick: false,
            unmeasured,
        }
    }

    fn lines(r: &RunReport) -> Vec<String> {
        LavaExporter
            .render(r)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn a_row_is_a_case_with_its_mb_per_s_in_lava_test_case_order() {
        let r = report(
            vec![row(KernelId::Sha1, ThreadMode::One, Some(1), "Cortex-A76")],
            Vec::new(),
        );
        assert_eq!(
            lines(&r),
            [
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=sha1-builtin-1-cortex-a76 RESULT=pass UNITS=MB/s MEASUREMENT=97.5>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=selftest RESULT=pass>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=throttling RESULT=pass>",
            ]
        );
    }

    #[test]
    fn ids_are_sanitised_and_never_empty() {
        assert_eq!(
            sanitise("xz-system-all-Cortex-A55"),
            "xz-system-all-cortex-a55"
        );
        assert_eq!(
            sanitise("sha1-builtin-1-ARM 1176 / v6=x>y"),
            "sha1-builtin-1-arm-1176-v6-x-y"
        );
        assert_eq!(sanitise("  a  b  "), "a-b");
        assert_eq!(sanitise("Intel(R) Core(TM) i5"), "intel-r-core-tm-i5");
        assert_eq!(sanitise("A.b_c"), "a.b_c");
        assert_eq!(sanitise("é ≥ "), "unnamed");
        assert_eq!(sanitise(""), "unnamed");
        // Rows without a single class (all cores of big.LITTLE) or an
        // unknown core name end with the mode.
        let mut r = row(KernelId::Xz, ThreadMode::All, None, "");
        r.engine = Engine::System;
        assert_eq!(Name::from(&r).base(), "xz-system-all");
        let r = row(
            KernelId::Chacha20Poly1305,
            ThreadMode::Count(3),
            Some(0),
            "unknown",
        );
        assert_eq!(Name::from(&r).base(), "chacha20-poly1305-builtin-3");
    }

    #[test]
    fn two_classes_with_one_core_name_get_their_cluster_index() {
        let rows = [
            row(KernelId::Sha1, ThreadMode::One, Some(0), "Cortex-A55"),
            row(KernelId::Sha1, ThreadMode::One, Some(1), "Cortex-A78"),
            row(KernelId::Sha1, ThreadMode::One, Some(2), "Cortex-A78"),
            row(KernelId::Sha1, ThreadMode::All, None, ""),
            row(KernelId::Sha1, ThreadMode::All, None, ""),
        ];
        let names: Vec<Name> = rows.iter().map(Name::from).collect();
        assert_eq!(
            unique_ids(&names),
            [
                "sha1-builtin-1-cortex-a55",
                "sha1-builtin-1-cortex-a78-cluster1",
                "sha1-builtin-1-cortex-a78-cluster2",
                "sha1-builtin-all",
                "sha1-builtin-all-2",
            ]
        );
    }

    #[test]
    fn measurements_are_plain_decimals_with_at_most_ten_places() {
        for (x, s) in [
            (97.5, "97.5"),
            (1849.0, "1849"),
            (0.0541, "0.0541"),
            (1e-12, "0"),
            (-0.0, "0"),
            (1.0 / 3.0, "0.3333"),
            (95.9038562234, "95.9"),
            (1234.5678, "1235"),
            (2.5e15, "2500000000000000"),
            (0.1 + 0.2, "0.3"),
        ] {
            assert_eq!(decimal(x).as_deref(), Some(s), "{x}");
        }
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e20, 1e300] {
            assert_eq!(decimal(x), None, "{x}");
        }
    }

    #[test]
    fn a_figure_that_is_not_a_number_is_unknown_without_a_measurement() {
        let mut r = row(KernelId::Sha1, ThreadMode::One, Some(0), "Cortex-A53");
        r.mb_per_s = f64::NAN;
        r.watts = Some(f64::INFINITY);
        r.mb_per_s_per_w = Some(f64::NAN);
        let out = lines(&report(vec![r], Vec::new()));
        assert_eq!(
            &out[..3],
            [
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=sha1-builtin-1-cortex-a53 RESULT=unknown>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=sha1-builtin-1-cortex-a53-watts RESULT=unknown>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=sha1-builtin-1-cortex-a53-mb-per-s-per-w RESULT=unknown>",
            ]
        );
        assert!(out.iter().all(|l| !l.contains("NaN") && !l.contains("inf")));
    }

    #[test]
    fn power_gives_watts_and_efficiency_cases() {
        let mut r = row(KernelId::Xz, ThreadMode::All, Some(0), "Cortex-A72");
        r.watts = Some(6.4);
        r.mb_per_s_per_w = Some(97.5 / 6.4);
        let out = lines(&report(vec![r], Vec::new()));
        assert_eq!(
            out[1],
            "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=xz-builtin-all-cortex-a72-watts RESULT=pass UNITS=W MEASUREMENT=6.4>"
        );
        assert_eq!(
            out[2],
            "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=xz-builtin-all-cortex-a72-mb-per-s-per-w RESULT=pass UNITS=MB/s/W MEASUREMENT=15.23>"
        );
    }

    #[test]
    fn any_throttled_row_fails_throttling_and_unknowns_are_not_a_pass() {
        let ok = row(KernelId::Sha1, ThreadMode::One, Some(0), "Cortex-A72");
        let mut hot = ok.clone();
        hot.thread_mode = ThreadMode::All;
        hot.throttled = Some(true);
        hot.throttle_reason = "under-voltage; temperature".into();
        let mut unsure = ok.clone();
        unsure.throttled = None;
        assert_eq!(throttling(&[ok.clone(), hot.clone()]), Verdict::Fail);
        assert_eq!(throttling(&[unsure.clone(), hot.clone()]), Verdict::Fail);
        assert_eq!(throttling(std::slice::from_ref(&ok)), Verdict::Pass);
        assert_eq!(throttling(&[ok.clone(), unsure]), Verdict::Unknown);
        assert_eq!(throttling(&[]), Verdict::Skip);
        let out = lines(&report(vec![ok, hot], Vec::new()));
        assert_eq!(
            out.last().unwrap(),
            "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=throttling RESULT=fail>"
        );
        // The rows' figures still count: they were measured.
        assert!(out[1].contains("RESULT=pass"), "{out:?}");
    }

    #[test]
    fn a_wrong_output_fails_its_case_and_the_self_test() {
        let unmeasured = |mode, why| Unmeasured {
            kernel: KernelId::Xz,
            engine: Engine::Builtin,
            thread_mode: mode,
            cluster: Some(0),
            core_name: "Cortex-A53".into(),
            why,
        };
        let r = report(
            vec![row(KernelId::Sha1, ThreadMode::One, Some(0), "Cortex-A53")],
            vec![
                unmeasured(ThreadMode::One, NotMeasured::WrongOutput),
                unmeasured(ThreadMode::All, NotMeasured::NotReached),
            ],
        );
        assert_eq!(
            &lines(&r)[1..],
            [
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=xz-builtin-1-cortex-a53 RESULT=fail>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=xz-builtin-all-cortex-a53 RESULT=skip>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=selftest RESULT=fail>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=throttling RESULT=pass>",
            ]
        );
        // A tool that failed is the case's failure, not a wrong result.
        let r = report(
            Vec::new(),
            vec![unmeasured(ThreadMode::One, NotMeasured::Failed)],
        );
        assert_eq!(
            lines(&r),
            [
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=xz-builtin-1-cortex-a53 RESULT=fail>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=selftest RESULT=pass>",
                "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=throttling RESULT=skip>",
            ]
        );
    }
}
