//! Which watts each row of a run gets, by one rule for every path — a
//! meter read by `run --meter` on the board, one read by the fleet's
//! controller while the board announces its phases, typed readings and
//! `fixed:` figures (docs/results-schema.md, "Power"):
//!
//! - a row's `watts` is the meter's mean over its own measurement, else
//!   the typed reading of its phase, else the `fixed:` figure of its phase;
//!   `watts_source` says which one it got;
//! - the power profile (`idle_watts` … `all_cores_watts`) is the same on
//!   every row of a run, each phase by the same precedence.

use std::time::{Duration, Instant};

use super::events::Span;
use super::meter::{PowerStats, SETTLE};
use super::{Phase, PhaseWatts, WattsSource};
use crate::record::{profile_groups, ResultRow, WattsMethod};

/// `power_load` of a profile a meter read during the measured rows.
pub const BENCHMARK_LOAD: &str = "benchmark";

/// The load phase a result row belongs to.
pub fn phase_of(row: &ResultRow) -> Option<Phase> {
    Phase::for_row(row.thread_mode, row.threads, row.logical_cpus)
}

/// The board's power profile as recorded on a row.
pub fn profile(row: &ResultRow) -> PhaseWatts {
    PhaseWatts {
        idle: row.idle_watts,
        one: row.one_core_watts,
        half: row.half_cores_watts,
        all: row.all_cores_watts,
    }
}

/// Typed readings or `fixed:` figures: one watts figure per phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    pub watts: PhaseWatts,
    /// [`WattsSource::Typed`] or [`WattsSource::Fixed`].
    pub source: WattsSource,
    /// The load that ran while typed readings were taken (`spin`, `xz`…);
    /// empty for `fixed:` figures, whose load nobody knows.
    pub load: String,
}

impl Given {
    /// The typed or fixed figures a board recorded on its rows (a board
    /// measured by a meter elsewhere has no meter of its own).
    pub fn from_rows(rows: &[ResultRow]) -> Option<Given> {
        let mut watts = PhaseWatts::default();
        for row in rows {
            let p = profile(row);
            for phase in Phase::ALL {
                if watts.get(phase).is_none() {
                    watts.set(phase, p.get(phase));
                }
            }
        }
        let source = rows
            .iter()
            .map(|r| r.watts_source.clone())
            .find(|s| matches!(s, WattsSource::Typed | WattsSource::Fixed))
            .unwrap_or(WattsSource::Fixed);
        let load = rows
            .iter()
            .map(|r| r.power_load.as_str())
            .find(|l| !l.is_empty() && *l != BENCHMARK_LOAD)
            .unwrap_or_default()
            .to_string();
        (!watts.is_empty()).then_some(Given {
            watts,
            source,
            load,
        })
    }
}

/// What a meter saw during a run.
#[derive(Debug, Clone, Copy)]
pub struct Metered<'a> {
    pub protocol: &'a str,
    /// Per row, the meter's figures over that row's measurement.
    pub rows: &'a [Option<PowerStats>],
    /// Mean of the idle phase.
    pub idle_w: Option<f64>,
}

/// Gives every row its watts and the run's power profile, by the rule of
/// this module. Idempotent: a run calls it again after each new row.
pub fn attribute(rows: &mut [ResultRow], meter: Option<&Metered>, given: Option<&Given>) {
    let mut measured = PhaseWatts {
        idle: meter.and_then(|m| m.idle_w),
        ..PhaseWatts::default()
    };
    for (i, row) in rows.iter_mut().enumerate() {
        let phase = phase_of(row);
        let stats = meter.and_then(|m| Some((m.protocol, m.rows.get(i).copied().flatten()?)));
        let given_w = given.and_then(|g| Some((phase.and_then(|p| g.watts.get(p))?, &g.source)));
        (
            row.watts_min,
            row.watts_max,
            row.watts_readings,
            row.energy_j,
        ) = (None, None, None, None);
        row.watts_method = WattsMethod::None;
        match (stats, given_w) {
            (Some((protocol, p)), _) => {
                row.watts = Some(p.mean_w);
                row.watts_min = Some(p.min_w);
                row.watts_max = Some(p.max_w);
                row.watts_readings = Some(p.readings);
                row.energy_j = Some(p.energy_j);
                row.watts_source = WattsSource::Meter(protocol.to_string());
                row.watts_method = p.method;
                // A phase's measured figure is its first row's (on
                // big.LITTLE, the first cluster's single core).
                if let Some(phase) = phase.filter(|p| measured.get(*p).is_none()) {
                    measured.set(phase, Some(p.mean_w));
                }
            }
            (None, Some((w, source))) => {
                row.watts = Some(w);
                row.watts_source = source.clone();
            }
            (None, None) => {
                row.watts = None;
                row.watts_source = WattsSource::None;
            }
        }
    }
    let metered_load = [Phase::One, Phase::Half, Phase::All]
        .into_iter()
        .any(|p| measured.get(p).is_some());
    let load = match given {
        _ if metered_load => BENCHMARK_LOAD.to_string(),
        Some(g) => g.load.clone(),
        None => String::new(),
    };
    let given = given.map(|g| g.watts).unwrap_or_default();
    for row in rows.iter_mut() {
        row.power_load.clone_from(&load);
        row.idle_watts = measured.idle.or(given.idle);
        row.one_core_watts = measured.one.or(given.one);
        row.half_cores_watts = measured.half.or(given.half);
        row.all_cores_watts = measured.all.or(given.all);
    }
}

/// What a meter on the fleet's controller gave a fetched file's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributed {
    /// Rows that got their watts from the meter.
    pub metered: usize,
    /// Per row: did the meter give it its watts?
    pub metered_rows: Vec<bool>,
    /// Rows without a matching, completed phase or without readings in it.
    pub without: Vec<String>,
    pub idle_w: Option<f64>,
    /// The rows' baseline has no power figures here: no efficiency speedup.
    pub foreign_baseline: Option<String>,
}

/// The fleet's path into [`attribute`]: each fetched row gets the meter's
/// figures of the announced phase that matches it. `used` marks the spans
/// already given to earlier rows (one per span, in order); `stats` is the
/// meter's power over a window, after a settling time. The board's typed
/// or fixed figures stay where the meter has none. A sweep's phases also
/// name their clock step, which must then be the row's: the same
/// measurement repeats at every step, and a step without its row must not
/// pass its watts on to the next.
pub fn from_phases(
    rows: &mut [ResultRow],
    spans: &[Span],
    used: &mut [bool],
    stats: &dyn Fn(Instant, Instant, Duration) -> Option<PowerStats>,
    protocol: &str,
) -> Attributed {
    let mut out = Attributed {
        // The last completed idle phase: a rerun's would replace the first.
        idle_w: spans
            .iter()
            .filter(|s| s.start.get("power") == Some("idle") && s.status.as_deref() == Some("ok"))
            .filter_map(|s| stats(s.from, s.to?, Duration::ZERO))
            .map(|p| p.mean_w)
            .next_back(),
        ..Attributed::default()
    };

    let mut per_row = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        let key = row.step_key();
        let found = spans.iter().enumerate().position(|(j, s)| {
            !used[j]
                && s.status.as_deref() == Some("ok")
                && s.start.step_key().as_ref() == Some(&key)
                && same_clock(s.start.get("clock"), row.clock_mhz)
        });
        let power = found.and_then(|j| {
            used[j] = true;
            stats(spans[j].from, spans[j].to?, SETTLE)
        });
        if power.is_none() {
            out.without.push(key.to_string());
        }
        per_row.push(power);
    }
    out.metered_rows = per_row.iter().map(Option::is_some).collect();
    out.metered = per_row.iter().flatten().count();
    if out.metered == 0 && out.idle_w.is_none() {
        return out;
    }
    // A sweep's rows get their power profile per class and clock step, as
    // the board's own meter would give it.
    for group in profile_groups(rows) {
        let given = Given::from_rows(&rows[group.clone()]);
        let meter = Metered {
            protocol,
            rows: &per_row[group.clone()],
            idle_w: out.idle_w,
        };
        attribute(&mut rows[group], Some(&meter), given.as_ref());
    }
    out
}

/// A phase without `clock=` (a run's) matches any row; one with it, the
/// row measured at that clock.
fn same_clock(phase: Option<&str>, row: Option<f64>) -> bool {
    match phase {
        None => true,
        Some(text) => text
            .parse::<f64>()
            .ok()
            .zip(row)
            .is_some_and(|(p, r)| (p - r).abs() < 0.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::efficiency::derive_metered;
    use crate::compare::Baseline;
    use crate::power::events::{parse_control, Control, PhaseLog};
    use crate::power::meter::{stats_of, Reading};

    /// The fleet's whole path: the meter's figures, then the efficiency.
    fn attribute(
        rows: &mut [ResultRow],
        spans: &[Span],
        used: &mut [bool],
        stats: &dyn Fn(Instant, Instant, Duration) -> Option<PowerStats>,
        protocol: &str,
    ) -> Attributed {
        let mut got = from_phases(rows, spans, used, stats, protocol);
        got.foreign_baseline = derive_metered(rows, &got.metered_rows);
        got
    }

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
            kernel: kernel.parse().unwrap(),
            thread_mode: mode.parse().unwrap(),
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
                energy: None,
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
        assert_eq!(
            (failed.watts, failed.watts_source.to_string().as_str()),
            (None, "")
        );
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
            r.watts_source = WattsSource::Fixed;
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
    fn a_sweep_step_without_its_row_passes_no_watts_to_the_next_step() {
        // The 600 MHz step ended ok but its row is missing (say, not
        // saved): the 1500 MHz row must get its own phase, not that one.
        let w = |ms: u64| if ms < 5000 { 2.0 } else { 6.0 };
        let (spans, readings, _) = scenario(
            &[
                (
                    0,
                    "@sbcbench phase start kernel=sha1 mode=1 threads=1 cpus=3 clock=600",
                ),
                (
                    4000,
                    "@sbcbench phase end kernel=sha1 mode=1 threads=1 cpus=3 clock=600 status=ok",
                ),
                (
                    4500,
                    "@sbcbench phase start kernel=sha1 mode=1 threads=1 cpus=3 clock=1500",
                ),
                (
                    9900,
                    "@sbcbench phase end kernel=sha1 mode=1 threads=1 cpus=3 clock=1500 status=ok",
                ),
            ],
            w,
        );
        let mut high = row("sha1", "1", 1, "3", 900.0);
        high.clock_mhz = Some(1500.0);
        let mut unclocked = row("sha1", "1", 1, "3", 900.0);
        unclocked.clock_mhz = None;
        let mut rows = vec![high, unclocked];
        let mut used = vec![false; spans.len()];
        let got = attribute(&mut rows, &spans, &mut used, &stats_from(&readings), "line");
        assert!(close(rows[0].watts, 6.0), "{rows:?}");
        // A row without a clock matches no clocked phase.
        assert_eq!((got.metered, rows[1].watts), (1, None));
        assert_eq!(used, vec![false, true]);
        // A run's phases, without a clock, match whatever clock the row has.
        assert!(same_clock(None, Some(1800.0)) && same_clock(None, None));
        assert!(same_clock(Some("1500"), Some(1500.0)));
        assert!(!same_clock(Some("1500"), Some(600.0)) && !same_clock(Some("x"), Some(1.0)));
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

    /// The measured case of the precedence bug: 2 CPUs, sha1 on one core
    /// and on all, a meter and `--power fixed:` with 9 W for every phase.
    #[test]
    fn a_local_run_and_the_fleet_give_the_same_rows_by_one_precedence() {
        let fixed = Given {
            watts: PhaseWatts {
                idle: Some(9.0),
                one: Some(9.0),
                half: Some(9.0),
                all: Some(9.0),
            },
            source: WattsSource::Fixed,
            load: String::new(),
        };
        let measured = |w: f64| PowerStats {
            mean_w: w,
            min_w: w - 0.1,
            max_w: w + 0.1,
            readings: 12,
            energy_j: w * 6.0,
            method: WattsMethod::Samples,
        };
        let (one_w, all_w, idle_w) = (4.1, 5.2, 3.0);
        let base = || {
            let mut rows = vec![
                row("sha1", "1", 1, "0", 400.0),
                row("sha1", "all", 2, "0-1", 790.0),
            ];
            for r in &mut rows {
                (r.cores, r.logical_cpus) = (2, 2);
            }
            rows
        };
        let baseline = Baseline::article_visionfive2();

        // `run --meter … --power fixed:…`: rows saved one by one.
        let mut local: Vec<ResultRow> = Vec::new();
        let mut metered = Vec::new();
        for (r, w) in base().into_iter().zip([one_w, all_w]) {
            local.push(r);
            metered.push(Some(measured(w)));
            let meter = Metered {
                protocol: "line",
                rows: &metered,
                idle_w: Some(idle_w),
            };
            super::attribute(&mut local, Some(&meter), Some(&fixed));
            crate::compare::efficiency::derive(&mut local, &baseline);
        }

        // The fleet: the board runs with --power fixed:… --phase-events,
        // the controller's meter gives each row its phase's figures.
        let mut fleet: Vec<ResultRow> = Vec::new();
        for r in base() {
            fleet.push(r);
            super::attribute(&mut fleet, None, Some(&fixed));
            crate::compare::efficiency::derive(&mut fleet, &baseline);
        }
        let (spans, _, _) = scenario(
            &[
                (0, "@sbcbench phase start power=idle threads=0"),
                (1000, "@sbcbench phase end power=idle threads=0 status=ok"),
                (
                    1100,
                    "@sbcbench phase start kernel=sha1 mode=1 threads=1 cpus=0",
                ),
                (
                    2000,
                    "@sbcbench phase end kernel=sha1 mode=1 threads=1 cpus=0 status=ok",
                ),
                (
                    2100,
                    "@sbcbench phase start kernel=sha1 mode=all threads=2 cpus=0-1",
                ),
                (
                    3000,
                    "@sbcbench phase end kernel=sha1 mode=all threads=2 cpus=0-1 status=ok",
                ),
            ],
            |_| 0.0,
        );
        let by_start = |from: Instant, _: Instant, _: Duration| {
            let i = spans.iter().position(|s| s.from == from)?;
            Some(measured([idle_w, one_w, all_w][i]))
        };
        let mut used = vec![false; spans.len()];
        let got = attribute(&mut fleet, &spans, &mut used, &by_start, "line");
        assert_eq!(got.metered, 2);

        assert_eq!(local, fleet);
        for r in &local {
            assert_eq!(r.watts_source, "meter:line", "{r:?}");
            // The meter's figure of each phase, on every row alike.
            assert_eq!(
                (
                    r.idle_watts,
                    r.one_core_watts,
                    r.half_cores_watts,
                    r.all_cores_watts
                ),
                (Some(idle_w), Some(one_w), Some(9.0), Some(all_w)),
                "{r:?}"
            );
        }
        assert_eq!(local[0].watts, Some(one_w));
        assert_eq!(local[1].watts, Some(all_w));
    }

    #[test]
    fn typed_or_fixed_figures_fill_what_the_meter_missed() {
        let typed = Given {
            watts: PhaseWatts {
                one: Some(6.5),
                all: Some(11.0),
                ..PhaseWatts::default()
            },
            source: WattsSource::Typed,
            load: "spin".to_string(),
        };
        let mut rows = vec![
            row("xz", "1", 1, "0", 4.0),
            row("xz", "all", 4, "0-3", 14.0),
        ];
        let stats = [None, None];
        let meter = Metered {
            protocol: "pzem004t",
            rows: &stats,
            idle_w: None,
        };
        super::attribute(&mut rows, Some(&meter), Some(&typed));
        assert_eq!(
            (rows[0].watts, rows[0].watts_source.to_string().as_str()),
            (Some(6.5), "typed")
        );
        assert_eq!(
            (rows[1].watts, rows[1].watts_source.to_string().as_str()),
            (Some(11.0), "typed")
        );
        assert_eq!(Given::from_rows(&rows), Some(typed));
        // Typed readings say what load ran under them; a meter's profile
        // came from the measured rows.
        assert!(rows.iter().all(|r| r.power_load == "spin"));
        let stats = [
            Some(PowerStats {
                mean_w: 5.0,
                min_w: 4.9,
                max_w: 5.1,
                readings: 10,
                energy_j: 50.0,
                method: WattsMethod::EnergyCounter,
            }),
            None,
        ];
        let meter = Metered {
            protocol: "pzem004t",
            rows: &stats,
            idle_w: None,
        };
        super::attribute(&mut rows, Some(&meter), None);
        assert!(rows.iter().all(|r| r.power_load == BENCHMARK_LOAD));
        // Each metered row says how its mean was worked out.
        assert_eq!(rows[0].watts_method, "energy-counter");
        // Nothing known: no watts, no source, no method.
        super::attribute(&mut rows, None, None);
        assert!(rows.iter().all(|r| r.watts.is_none()
            && r.watts_source == WattsSource::None
            && r.watts_method == WattsMethod::None));
        assert!(rows.iter().all(|r| profile(r).is_empty()));
    }
}
