//! Power for a remote run from a meter on this machine: the board announces
//! each phase (`@sbcbench phase …`, stamped here on arrival), the meter is
//! sampled here, and each fetched row gets the readings of its own phase —
//! the same figures `sbcbench run --meter` gives a row on the board itself.

use std::time::{Duration, Instant};

use crate::compare::{efficiency, Baseline};
use crate::power::events::Span;
use crate::power::meter::{PowerStats, SETTLE};
use crate::power::PhaseWatts;
use crate::record::ResultRow;

/// What the meter gave a run's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributed {
    /// Rows that got their watts from the meter.
    pub metered: usize,
    /// Rows without a matching, completed phase or without readings in it.
    pub without: Vec<String>,
    pub idle_w: Option<f64>,
    /// The rows' baseline has no power figures here: no efficiency speedup.
    pub foreign_baseline: Option<String>,
}

/// Gives `rows` the power measured during their phases. `used` marks the
/// spans already given to earlier rows (one per span, in order); `stats`
/// is the meter's power over a window, after a settling time.
pub fn attribute(
    rows: &mut [ResultRow],
    spans: &[Span],
    used: &mut [bool],
    stats: &dyn Fn(Instant, Instant, Duration) -> Option<PowerStats>,
    protocol: &str,
) -> Attributed {
    let mut out = Attributed::default();
    let source = format!("meter:{protocol}");
    // The last completed idle phase: a rerun's would replace the first.
    out.idle_w = spans
        .iter()
        .filter(|s| s.start.get("power") == Some("idle") && s.status.as_deref() == Some("ok"))
        .filter_map(|s| stats(s.from, s.to?, Duration::ZERO))
        .map(|p| p.mean_w)
        .next_back();

    let mut metered = vec![false; rows.len()];
    for (i, row) in rows.iter_mut().enumerate() {
        let found = spans.iter().enumerate().position(|(j, s)| {
            !used[j]
                && s.status.as_deref() == Some("ok")
                && s.start.kernel() == Some(row.kernel.as_str())
                && s.start.get("mode") == Some(row.thread_mode.as_str())
                && s.start.get("cpus") == Some(row.cpus.as_str())
        });
        let power = found.and_then(|j| {
            used[j] = true;
            stats(spans[j].from, spans[j].to?, SETTLE)
        });
        let what = format!("{} × {} (cpu {})", row.kernel, row.thread_mode, row.cpus);
        let Some(p) = power else {
            out.without.push(what);
            continue;
        };
        row.watts = Some(p.mean_w);
        row.watts_min = Some(p.min_w);
        row.watts_max = Some(p.max_w);
        row.watts_readings = Some(p.readings);
        row.energy_j = Some(p.energy_j);
        row.watts_source = source.clone();
        metered[i] = true;
        out.metered += 1;
    }
    if out.metered == 0 && out.idle_w.is_none() {
        return out;
    }

    // Measured figures replace typed or fixed ones in the power profile.
    let measured = efficiency::measured_profile(rows, out.idle_w);
    for row in rows.iter_mut() {
        let old = efficiency::profile(row);
        let new = PhaseWatts {
            idle: measured.idle.or(old.idle),
            one: measured.one.or(old.one),
            half: measured.half.or(old.half),
            all: measured.all.or(old.all),
        };
        row.idle_watts = new.idle;
        row.one_core_watts = new.one;
        row.half_cores_watts = new.half;
        row.all_cores_watts = new.all;
    }

    // Efficiency of the metered rows. The built-in baseline's power is
    // known here; a board's own --baseline FILE is not, so its rows keep
    // MB/s/W but get no efficiency speedup.
    let mut baseline = Baseline::article_visionfive2();
    if let Some(other) = rows.iter().find(|r| r.baseline != baseline.name) {
        out.foreign_baseline = Some(other.baseline.clone());
        baseline.power = PhaseWatts::default();
    }
    let mut derived = rows.to_vec();
    for d in &mut derived {
        d.mb_per_s_per_w = None;
        d.mb_per_s_per_w_extrapolated = None;
        d.efficiency_speedup = None;
    }
    efficiency::derive(&mut derived, &baseline);
    for ((row, d), m) in rows.iter_mut().zip(derived).zip(metered) {
        if m {
            row.mb_per_s_per_w = d.mb_per_s_per_w;
            row.mb_per_s_per_w_extrapolated = d.mb_per_s_per_w_extrapolated;
            row.efficiency_speedup = d.efficiency_speedup;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::events::{parse_control, Control, PhaseLog};
    use crate::power::meter::{stats_of, Reading};

    fn close(got: Option<f64>, want: f64) -> bool {
        got.is_some_and(|g| (g - want).abs() < 1e-9)
    }

    fn event(line: &str) -> crate::power::events::PhaseEvent {
        match parse_control(line) {
            Some(Ok(Control::Phase(p))) => p,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn row(kernel: &str, mode: &str, threads: usize, cpus: &str, mb: f64) -> ResultRow {
        ResultRow {
            kernel: kernel.into(),
            thread_mode: mode.into(),
            threads,
            cpus: cpus.into(),
            mb_per_s: mb,
            cores: 4,
            logical_cpus: 4,
            baseline: Baseline::article_visionfive2().name,
            ..ResultRow::default()
        }
    }

    /// A board's run as its phase lines arrive (ms after t0), and a meter
    /// that reads `w(ms)` every 100 ms.
    fn scenario(lines: &[(u64, &str)], w: fn(u64) -> f64) -> (Vec<Span>, Vec<Reading>, Instant) {
        let t0 = Instant::now();
        let mut log = PhaseLog::default();
        for (ms, line) in lines {
            log.push(event(line), t0 + Duration::from_millis(*ms));
        }
        let readings = (0..200)
            .map(|i| Reading {
                at: t0 + Duration::from_millis(i * 100),
                watts: w(i * 100),
                volts: None,
                amps: None,
            })
            .collect();
        (log.spans(), readings, t0)
    }

    fn stats_from(
        readings: &[Reading],
    ) -> impl Fn(Instant, Instant, Duration) -> Option<PowerStats> + '_ {
        move |from, to, settle| {
            let inside: Vec<Reading> = readings
                .iter()
                .filter(|r| r.at >= from + settle && r.at <= to)
                .copied()
                .collect();
            stats_of(&inside, to - from)
        }
    }

    #[test]
    fn each_row_gets_the_power_of_its_own_phase() {
        // Idle 5 W until 3 s, one core 8 W until 9 s, all cores 12 W after.
        let w = |ms: u64| match ms {
            0..=3000 => 5.0,
            3001..=9000 => 8.0,
            _ => 12.0,
        };
        let (spans, readings, _) = scenario(
            &[
                (0, "@sbcbench phase start power=idle threads=0"),
                (3000, "@sbcbench phase end power=idle threads=0 status=ok"),
                (
                    3100,
                    "@sbcbench phase start kernel=xz mode=1 threads=1 cpus=0",
                ),
                (
                    9000,
                    "@sbcbench phase end kernel=xz mode=1 threads=1 cpus=0 status=ok",
                ),
                (
                    9100,
                    "@sbcbench phase start kernel=xz mode=all threads=4 cpus=0-3",
                ),
                (
                    16000,
                    "@sbcbench phase end kernel=xz mode=all threads=4 cpus=0-3 status=ok",
                ),
                (
                    16100,
                    "@sbcbench phase start kernel=sha1 mode=1 threads=1 cpus=0",
                ),
                (
                    17000,
                    "@sbcbench phase end kernel=sha1 mode=1 threads=1 cpus=0 status=failed",
                ),
            ],
            w,
        );
        let mut rows = vec![
            row("xz", "1", 1, "0", 4.0),
            row("xz", "all", 4, "0-3", 14.0),
            row("sha1", "1", 1, "0", 100.0),
        ];
        let mut used = vec![false; spans.len()];
        let stats = stats_from(&readings);
        let got = attribute(&mut rows, &spans, &mut used, &stats, "pzem004t");
        assert_eq!(got.metered, 2);
        assert_eq!(got.without, vec!["sha1 × 1 (cpu 0)".to_string()]);
        assert!(close(got.idle_w, 5.0), "{got:?}");
        assert_eq!(got.foreign_baseline, None);

        let (one, all, failed) = (&rows[0], &rows[1], &rows[2]);
        assert!(close(one.watts, 8.0) && close(all.watts, 12.0), "{rows:?}");
        assert_eq!(one.watts_source, "meter:pzem004t");
        // 2 s of settling dropped: the readings at 5.1, 5.2 … 9.0 s.
        assert_eq!(one.watts_readings, Some(40));
        assert!((one.energy_j.unwrap() - 8.0 * 5.9).abs() < 1e-9);
        assert_eq!((failed.watts, failed.watts_source.as_str()), (None, ""));
        for r in &rows {
            assert!(close(r.idle_watts, 5.0), "{r:?}");
            assert!(close(r.one_core_watts, 8.0), "{r:?}");
            assert!(close(r.all_cores_watts, 12.0), "{r:?}");
        }
        // MB/s/W and the article's arithmetic against the VisionFive 2's
        // 4.66 MB/s ÷ 10.4 W.
        assert!(close(one.mb_per_s_per_w, 0.5), "{one:?}");
        let vf2 = 4.66 / 10.4;
        assert!((one.efficiency_speedup.unwrap() - 0.5 / vf2).abs() < 1e-9);
        assert!((all.mb_per_s_per_w_extrapolated.unwrap() - 4.0 * 4.0 / 12.0).abs() < 1e-9);
        assert_eq!(failed.mb_per_s_per_w, None);
    }

    #[test]
    fn repeated_phases_go_to_their_rows_in_order_and_a_foreign_baseline_has_no_speedup() {
        let w = |ms: u64| if ms < 5000 { 6.0 } else { 9.0 };
        let (spans, readings, _) = scenario(
            &[
                (
                    0,
                    "@sbcbench phase start kernel=sha1 mode=1 threads=1 cpus=4 cluster=1",
                ),
                (
                    4000,
                    "@sbcbench phase end kernel=sha1 mode=1 threads=1 cpus=4 status=ok",
                ),
                (
                    4500,
                    "@sbcbench phase start kernel=sha1 mode=1 threads=1 cpus=0 cluster=0",
                ),
                (
                    9900,
                    "@sbcbench phase end kernel=sha1 mode=1 threads=1 cpus=0 status=ok",
                ),
            ],
            w,
        );
        let mut rows = vec![
            row("sha1", "1", 1, "4", 900.0),
            row("sha1", "1", 1, "0", 300.0),
        ];
        for r in &mut rows {
            r.baseline = "my Pi 4".into();
            r.watts = Some(3.0);
            r.watts_source = "fixed".into();
            r.efficiency_speedup = Some(1.5);
        }
        let mut used = vec![false; spans.len()];
        let got = attribute(&mut rows, &spans, &mut used, &stats_from(&readings), "line");
        assert_eq!(got.metered, 2);
        assert_eq!(got.foreign_baseline.as_deref(), Some("my Pi 4"));
        assert!(
            close(rows[0].watts, 6.0) && close(rows[1].watts, 9.0),
            "{rows:?}"
        );
        assert_eq!(rows[0].watts_source, "meter:line");
        assert!(close(rows[0].mb_per_s_per_w, 150.0), "{rows:?}");
        assert_eq!(rows[0].efficiency_speedup, None);
        assert_eq!(used, vec![true, true]);
        // Nothing left for a second file's rows.
        let mut again = vec![row("sha1", "1", 1, "4", 900.0)];
        let got = attribute(
            &mut again,
            &spans,
            &mut used,
            &stats_from(&readings),
            "line",
        );
        assert_eq!((got.metered, again[0].watts), (0, None));
    }

    #[test]
    fn a_run_that_never_ended_its_phase_gets_no_power() {
        let (spans, readings, _) = scenario(
            &[(0, "@sbcbench phase start kernel=xz mode=1 threads=1 cpus=0")],
            |_| 7.0,
        );
        let mut rows = vec![row("xz", "1", 1, "0", 4.0)];
        let mut used = vec![false; spans.len()];
        let got = attribute(
            &mut rows,
            &spans,
            &mut used,
            &stats_from(&readings),
            "um25c",
        );
        assert_eq!((got.metered, got.idle_w, rows[0].watts), (0, None, None));
    }
}
