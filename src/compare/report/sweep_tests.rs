//! The sweep model on hand-made rows: a Raspberry Pi 4-like board (one
//! class, five steps, power rising faster than MB/s so that a middle step
//! is the most efficient) and an RK3399-like one (two classes).

use super::*;
use crate::compare::report::{Report, ReportOptions};
use crate::record::ClockSource;

pub(crate) struct Point {
    pub kernel: KernelId,
    pub mode: ThreadMode,
    pub mhz: f64,
    pub mb: f64,
    pub watts: Option<f64>,
}

/// A sweep row of `board`'s class `cluster`.
pub(crate) fn row(
    board: &str,
    ts: &str,
    cluster: usize,
    core: &str,
    cpus: &str,
    p: Point,
) -> ResultRow {
    let threads = match p.mode {
        ThreadMode::All => crate::observe::cpu::parse_cpu_list(cpus).len(),
        _ => 1,
    };
    ResultRow {
        schema_version: 1,
        timestamp: ts.to_string(),
        board: board.to_string(),
        arch: "aarch64".to_string(),
        cores: 4,
        kernel: p.kernel,
        threads,
        cpus: if threads == 1 {
            cpus.rsplit(['-', ',']).next().unwrap_or(cpus).to_string()
        } else {
            cpus.to_string()
        },
        cluster: Some(cluster),
        mb_per_s: p.mb,
        samples: 3,
        clock_mhz: Some(p.mhz),
        clock_source: ClockSource::Sweep,
        watts: p.watts,
        idle_watts: p.watts.map(|_| 2.7),
        mb_per_s_per_w: p.watts.map(|w| p.mb / w),
        thread_mode: p.mode,
        core_name: core.to_string(),
        source: "sbcbench".to_string(),
        ..ResultRow::default()
    }
}

pub(crate) const PI4: &str = "Raspberry Pi 4 Model B";
pub(crate) const PI4_TS: &str = "2026-12-04T10:00:00Z";

/// xz at five steps, one core and all four: MB/s/W peaks at 1000 MHz.
pub(crate) fn pi4_rows(with_watts: bool) -> Vec<ResultRow> {
    let steps = [600.0, 750.0, 1000.0, 1250.0, 1500.0];
    let one_w = [4.0, 4.4, 5.0, 6.6, 8.5];
    let all_w = [5.5, 6.0, 6.8, 8.8, 11.5];
    let mut rows = Vec::new();
    for (i, mhz) in steps.into_iter().enumerate() {
        for (mode, mb, w) in [
            (ThreadMode::One, mhz / 100.0, one_w[i]),
            (ThreadMode::All, mhz * 4.0 / 100.0, all_w[i]),
        ] {
            rows.push(row(
                PI4,
                PI4_TS,
                0,
                "Cortex-A72",
                "0-3",
                Point {
                    kernel: KernelId::Xz,
                    mode,
                    mhz,
                    mb,
                    watts: with_watts.then_some(w),
                },
            ));
        }
    }
    rows
}

/// Two classes; on the A72s xz and sha1 disagree on the best step.
fn rk3399_rows() -> Vec<ResultRow> {
    let ts = "2026-12-03T09:00:00Z";
    let mut rows = Vec::new();
    for (mhz, mb, w) in [(408.0, 4.0, 3.0), (816.0, 8.0, 3.5), (1416.0, 12.0, 6.5)] {
        let p = Point {
            kernel: KernelId::Xz,
            mode: ThreadMode::One,
            mhz,
            mb,
            watts: Some(w),
        };
        rows.push(row("RK3399", ts, 0, "Cortex-A53", "0-3", p));
    }
    for (kernel, w) in [
        (KernelId::Xz, [4.0, 5.0, 9.0]),
        (KernelId::Sha1, [4.0, 6.0, 6.5]),
    ] {
        for (i, mhz) in [408.0, 1008.0, 1800.0].into_iter().enumerate() {
            let p = Point {
                kernel,
                mode: ThreadMode::One,
                mhz,
                mb: mhz / 100.0,
                watts: Some(w[i]),
            };
            rows.push(row("RK3399", ts, 1, "Cortex-A72", "4-5", p));
        }
    }
    rows
}

fn build_all(rows: Vec<ResultRow>) -> (Vec<Sweep>, Vec<String>) {
    let mut notes = Vec::new();
    let s = build(rows, &KernelId::ALL, &Mode::BOTH, &mut notes);
    (s, notes)
}

#[test]
fn a_middle_step_is_the_most_efficient_when_power_rises_faster_than_speed() {
    let (sweeps, notes) = build_all(pi4_rows(true));
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(sweeps.len(), 1);
    let s = &sweeps[0];
    assert_eq!(s.heading(), "Raspberry Pi 4 Model B, Cortex-A72 (cpu 0-3)");
    assert_eq!(s.idle_watts, Some(2.7));
    let labels: Vec<String> = s.curves.iter().map(SweepCurve::label).collect();
    assert_eq!(labels, ["xz × 1", "xz × all"]);
    let all = &s.curves[1];
    assert_eq!(all.threads, 4);
    let mhz: Vec<f64> = all.points.iter().map(|p| p.clock_mhz).collect();
    assert_eq!(mhz, [600.0, 750.0, 1000.0, 1250.0, 1500.0]);
    assert_eq!(all.top().unwrap().clock_mhz, 1500.0);
    for c in &s.curves {
        assert_eq!(c.most_efficient_mhz, Some(1000.0), "{}", c.label());
    }
    let steps = s.efficient_steps();
    assert_eq!(steps.len(), 1);
    assert_eq!((steps[0].0, steps[0].1.len()), (1000.0, 2));
}

#[test]
fn without_watts_no_step_is_named() {
    let (sweeps, _) = build_all(pi4_rows(false));
    let s = &sweeps[0];
    assert!(!s.has_watts());
    assert!(s.efficient_steps().is_empty());
    assert!(s
        .curves
        .iter()
        .all(|c| c.points.iter().all(|p| p.mb_per_s_per_w.is_none())));
    assert_eq!(s.idle_watts, None);
}

#[test]
fn each_class_is_its_own_sweep_and_disagreeing_curves_are_kept_apart() {
    let (sweeps, _) = build_all(rk3399_rows());
    let heads: Vec<String> = sweeps.iter().map(Sweep::heading).collect();
    assert_eq!(
        heads,
        // Single-core rows name one CPU, not the class's.
        ["RK3399, Cortex-A53", "RK3399, Cortex-A72"]
    );
    assert_eq!(sweeps[0].curves[0].most_efficient_mhz, Some(816.0));
    let a72 = &sweeps[1];
    let best: Vec<(String, Option<f64>)> = a72
        .curves
        .iter()
        .map(|c| (c.label(), c.most_efficient_mhz))
        .collect();
    assert_eq!(
        best,
        [
            ("sha1 × 1".to_string(), Some(1800.0)),
            ("xz × 1".to_string(), Some(1008.0))
        ]
    );
    // A tie in curves: the lower clock leads.
    let steps = a72.efficient_steps();
    assert_eq!(
        steps.iter().map(|s| s.0).collect::<Vec<_>>(),
        [1008.0, 1800.0]
    );
}

#[test]
fn the_newest_sweep_of_a_board_wins_with_a_note() {
    let mut rows = pi4_rows(true);
    let older: Vec<ResultRow> = pi4_rows(false)
        .into_iter()
        .map(|mut r| {
            r.timestamp = "2026-11-01T00:00:00Z".to_string();
            r
        })
        .collect();
    rows.extend(older);
    let (sweeps, notes) = build_all(rows);
    assert_eq!(sweeps.len(), 1);
    assert_eq!(sweeps[0].timestamp, PI4_TS);
    assert!(sweeps[0].has_watts());
    assert_eq!(
        notes,
        [format!(
            "{PI4}: 2 sweep runs; the newest ({PI4_TS}) is shown"
        )]
    );
}

#[test]
fn equal_efficiency_picks_the_lower_clock() {
    let points = [800.0, 1200.0].map(|mhz| SweepPoint {
        clock_mhz: mhz,
        mb_per_s: mhz,
        watts: Some(mhz),
        mb_per_s_per_w: Some(1.0),
    });
    assert_eq!(most_efficient(&points), Some(800.0));
}

#[test]
fn kernels_and_modes_not_asked_for_are_left_out() {
    let mut notes = Vec::new();
    let s = build(pi4_rows(true), &[KernelId::Xz], &[Mode::All], &mut notes);
    assert_eq!(s[0].curves.len(), 1);
    assert_eq!(s[0].curves[0].mode, Mode::All);
    assert!(build(pi4_rows(true), &[KernelId::Sha1], &Mode::BOTH, &mut notes).is_empty());
}

#[test]
fn sweep_rows_never_become_a_boards_figures() {
    // A board with only a sweep is not in the comparison at all.
    let report = Report::build(pi4_rows(true), &ReportOptions::default()).unwrap();
    assert!(report.entries.is_empty());
    assert_eq!(report.sweeps.len(), 1);

    // A board with a run and a sweep: its figures are the run's.
    let mut run: Vec<ResultRow> = pi4_rows(true)
        .into_iter()
        .filter(|r| r.clock_mhz == Some(1500.0))
        .map(|mut r| {
            r.clock_source = ClockSource::CpufreqMax;
            r.clock_mhz = Some(1800.0);
            r.mb_per_s *= 1.2;
            r.timestamp = "2026-12-05T00:00:00Z".to_string();
            r
        })
        .collect();
    run.extend(pi4_rows(true));
    let report = Report::build(run, &ReportOptions::default()).unwrap();
    assert_eq!(report.entries.len(), 1);
    let e = &report.entries[0];
    for mode in Mode::BOTH {
        let f = e.mode(mode).get(KernelId::Xz).unwrap();
        assert_eq!(f.clock_mhz, Some(1800.0));
        assert_eq!(f.clock_source, "cpufreq-max");
    }
    assert_eq!(e.runs_of_board, 1, "the sweep is no run of the board");
}
