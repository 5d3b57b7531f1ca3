//! `sbcbench sweep`: the run's harness at every clock step of every core
//! class. The options refuse without root or cpufreq before anything is
//! written; then a killed sweep's settings are put back, the policies
//! journaled ([`Guard`]), and each class locked step by step, its clock
//! confirmed, and measured like a run with the meter's (or the typed)
//! watts. The guard restores cpufreq however this ends; rows are saved as
//! a run's are.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::cli::SweepArgs;
use crate::compare::report::{sweeps_of, Mode};
use crate::compare::row::RunContext;
use crate::error::Error;
use crate::export::report::sweep_summary;
use crate::export::width::note;
use crate::export::Format;
use crate::interrupt::STOP;
use crate::measure::around::StepWatch;
use crate::measure::plan::single_core_cpu;
use crate::measure::session::{measure_steps, Ended};
use crate::measure::sweep::verify::{self, Probe};
use crate::measure::sweep::{preflight, restore_pending, ClassPlan, Guard, JOURNAL};
use crate::measure::{kernels, Engine, KernelId, Step, ThreadMode};
use crate::observe::{Cluster, Os, Topology};
use crate::options::SweepOptions;
use crate::power::events::PhaseEvents;
use crate::power::meter::PowerStats;
use crate::power::{idle_phase, PowerMode};
use crate::record::{ClockSource, ResultFile, ResultRow};
use crate::warnings::{self, NotHeld, Warning};

use super::run::recorder::{start_monitor, timestamps, Recorder, Start};
use super::run::{engines, finish, prepare, KernelFactory};

mod typed;
use typed::Typed;

pub fn sweep(args: &SweepArgs, os: Arc<dyn Os>, recorded: bool) -> anyhow::Result<()> {
    sweep_with(args, os, recorded, &kernels::for_id)
}

fn sweep_with(
    args: &SweepArgs,
    os: Arc<dyn Os>,
    recorded: bool,
    make: KernelFactory,
) -> anyhow::Result<()> {
    if args.restore {
        return restore_only(&*os, recorded);
    }
    let topo = Topology::read(&*os);
    let (sweep, meter) = SweepOptions::from_args(args, &topo, &os, recorded)?;
    let opts = &sweep.run;
    let (idle_temp_c, facts) = prepare(&*os, opts)?;
    // Before any lock: the governor and limits as the user left them.
    let mut warnings = warnings::before_sweep(&*os, &topo, opts.quick);
    let (by_id, order) = engines::checked(opts, make, &mut warnings)?;
    let order: Vec<KernelId> = order
        .into_iter()
        .filter(|(_, e)| *e == Engine::Builtin)
        .map(|(k, _)| k)
        .collect();
    let events = PhaseEvents {
        on: opts.phase_events,
        steps: opts.status_lines,
    };
    // The load of typed readings is checked before anything is locked.
    let mut typed = match opts.power {
        PowerMode::Ask => Some(Typed::new(opts, &by_id, make, &os, events)?),
        _ => None,
    };

    if let Some(said) = restore_pending(&*os)? {
        note(&format!("sweep: {said}"));
    }
    let policies: Vec<_> = sweep
        .classes
        .iter()
        .flat_map(|c| c.policies.iter().cloned())
        .collect();
    let guard = Guard::begin(&*os, &policies)?;
    note(&plan_summary(&sweep, &order));

    let monitor = start_monitor(meter, &os);

    // Every swept class waits at its lowest step, while idle power is read
    // and while the others are swept: the board's power then moves with
    // the clock of one class at a time.
    for class in &sweep.classes {
        park(&guard, &*os, sweep.probe, class, &mut warnings);
    }
    let mut meter_idle = None;
    let mut asked = Ok(());
    if monitor.is_some() || events.on || typed.is_some() {
        match typed.as_mut() {
            Some(t) => asked = t.idle(&mut warnings),
            None => {
                let here = monitor.as_ref().map(|(p, m)| (*p, m));
                meter_idle =
                    idle_phase(&events, here, opts.idle_time).map(|s: PowerStats| s.mean_w);
            }
        }
    }

    let (timestamp, stamp) = timestamps();
    let clock_steps: usize = sweep.classes.iter().map(|c| c.steps_khz.len()).sum();
    let per_step = order.len() * opts.modes.len();
    let start = Start {
        ctx: RunContext {
            facts: &facts,
            topo: &topo,
            baseline: &opts.baseline,
            clock_mhz: None,
            timestamp: &timestamp,
            xz_input: opts.xz_input.as_ref().map(|i| i.label.as_str()),
            run_kind: opts.run_kind,
        },
        kernels: &by_id,
        steps: clock_steps * per_step,
        events,
        monitor: monitor.as_ref().map(|(p, m)| (*p, m)),
        meter_idle,
        given: None,
        file: opts
            .output
            .as_ref()
            .map(|dir| ResultFile::new(dir, &facts.board, &stamp).owned_by(sweep.owner)),
        warnings,
    };
    let rounds = opts.timing.samples as u64 + u64::from(!opts.timing.warmup.is_zero());
    let mut recorder = Recorder::new(start, opts);
    let watch = StepWatch {
        cooldown: opts.cooldown,
        idle_temp_c,
        sleep: std::thread::sleep,
    };
    let mut ended = Ended::default();
    if asked.is_ok() {
        asked = 'classes: {
            for class in &sweep.classes {
                let Some(cluster) = topo.clusters.iter().find(|c| c.index == class.cluster) else {
                    continue;
                };
                for &khz in &class.steps_khz {
                    if STOP.load(Ordering::Relaxed) || recorder.save_failure.is_some() {
                        ended.interrupted |= STOP.load(Ordering::Relaxed);
                        break 'classes Ok(());
                    }
                    let mhz = khz as f64 / 1000.0;
                    if let Err(why) = hold(&guard, &*os, sweep.probe, class, khz) {
                        // Ctrl-C cut the wait short: that is no verdict.
                        if STOP.load(Ordering::Relaxed) {
                            ended.interrupted = true;
                            break 'classes Ok(());
                        }
                        recorder.progress.inc(per_step as u64 * rounds);
                        recorder.warnings.push(Warning::StepNotHeld {
                            class: class.label(),
                            step_mhz: mhz,
                            why,
                        });
                        continue;
                    }
                    // Each step's rows get their own power profile.
                    recorder.first_row = recorder.rows.len();
                    if let Some(t) = typed.as_mut() {
                        let at = recorder.progress.suspend(|| {
                            t.at_step(
                                &class.label(),
                                cluster,
                                &opts.modes,
                                mhz,
                                &mut recorder.warnings,
                            )
                        });
                        match at {
                            Ok(given) => recorder.given = Some(given),
                            Err(e) => break 'classes Err(e),
                        }
                    }
                    recorder.ctx.clock_mhz = Some((mhz, ClockSource::Sweep));
                    let failed: Vec<KernelId> =
                        ended.failures.iter().map(|f| f.step.kernel).collect();
                    let steps = class_steps(&order, &opts.modes, cluster, &failed);
                    let got = measure_steps(
                        &steps,
                        &by_id,
                        &opts.timing,
                        &os,
                        &watch,
                        &STOP,
                        &mut recorder,
                    );
                    ended.failures.extend(got.failures);
                    if got.interrupted {
                        ended.interrupted = true;
                        break 'classes Ok(());
                    }
                }
                park(&guard, &*os, sweep.probe, class, &mut recorder.warnings);
            }
            Ok(())
        };
    }
    recorder.progress.finish_and_clear();
    // cpufreq back as it was before anything is printed or returned.
    let restored = guard.restore();
    if let Some((_, monitor)) = &monitor {
        recorder
            .warnings
            .extend(monitor.warnings().into_iter().map(Warning::Meter));
    }
    // Ctrl-C at a prompt: the rows so far are kept, as after a signal.
    let asked = match asked {
        Err(e) if matches!(e.downcast_ref(), Some(Error::Interrupted { .. })) => {
            ended.interrupted = true;
            Ok(())
        }
        other => other,
    };
    let rows = recorder.rows.clone();
    let result = asked.and_then(|()| finish(recorder, ended, Vec::new(), &facts, opts));
    summarise(rows, &order, opts.format);
    if let Some((_, monitor)) = monitor {
        monitor.stop();
    }
    match restored {
        Ok(()) => result,
        Err(e) => {
            if let Err(first) = result {
                eprintln!("{} {first:#}", crate::term::error_prefix());
            }
            Err(e.into())
        }
    }
}

/// The sweep's answer in one sentence per class, as `report` says it:
/// under the table for people, on stderr beside data formats.
fn summarise(rows: Vec<ResultRow>, order: &[KernelId], format: Format) {
    if rows.is_empty() {
        return;
    }
    for sweep in sweeps_of(rows, order, &[Mode::Single, Mode::All], &mut Vec::new()) {
        let sentence = sweep_summary(&sweep);
        match format {
            Format::Table | Format::Markdown => {
                let _ = crate::term::print(&format!("\n{sentence}\n"));
            }
            _ => note(&sentence),
        }
    }
}

/// `sweep --restore`: the journal of a killed sweep put back, nothing
/// measured.
fn restore_only(os: &dyn Os, recorded: bool) -> anyhow::Result<()> {
    if !recorded && preflight::effective_uid() != 0 {
        return Err(Error::Usage(
            "sweep --restore writes cpufreq settings, which needs root: run it with sudo".into(),
        )
        .into());
    }
    match restore_pending(os)? {
        Some(said) => note(&format!("sweep: {said}")),
        None => note(&format!(
            "sweep: nothing to restore ({JOURNAL} is not there: every sweep finished)"
        )),
    }
    Ok(())
}

/// Holds `class` at its lowest step while the board does something else.
fn park(guard: &Guard, os: &dyn Os, probe: Probe, class: &ClassPlan, warnings: &mut Vec<Warning>) {
    let Some(&khz) = class.steps_khz.first() else {
        return;
    };
    if let Err(why) = hold(guard, os, probe, class, khz) {
        warnings.push(Warning::Preflight(format!(
            "{} could not wait at its lowest step, {:.0} MHz, while idle power was read or \
             other classes were swept: {why}",
            class.label(),
            khz as f64 / 1000.0
        )));
    }
}

/// Locks `class` at `khz` and confirms the clock; why it is not there
/// when it is not.
fn hold(
    guard: &Guard,
    os: &dyn Os,
    probe: Probe,
    class: &ClassPlan,
    khz: u64,
) -> Result<f64, NotHeld> {
    for policy in &class.policies {
        guard
            .lock(policy, khz)
            .map_err(|e| NotHeld::Refused(e.to_string()))?;
    }
    verify::confirm(os, probe, class, khz, verify::WAIT, &STOP).map_err(NotHeld::Off)
}

/// One class's measurements at one step: each kernel with one thread (on
/// the class's last CPU, as a run's single-core row) and with every CPU
/// of the class. Kernels that failed at an earlier step are left out.
fn class_steps(
    order: &[KernelId],
    modes: &[ThreadMode],
    class: &Cluster,
    failed: &[KernelId],
) -> Vec<Step> {
    let mut out = Vec::new();
    for &kernel in order.iter().filter(|k| !failed.contains(k)) {
        for &mode in modes {
            let cpus = match mode {
                ThreadMode::One => single_core_cpu(class).into_iter().collect(),
                _ => class.cpus.clone(),
            };
            out.push(Step {
                kernel,
                engine: Engine::Builtin,
                mode,
                cluster: Some(class.index),
                cpus,
            });
        }
    }
    out
}

/// `sweep: Cortex-A72 (cpu 0-3) at 600, 750, 1000, 1250, 1500 MHz; xz × 1,
/// all; each step confirmed by …; cpufreq saved to … until restored`.
fn plan_summary(sweep: &SweepOptions, order: &[KernelId]) -> String {
    let classes: Vec<String> = sweep
        .classes
        .iter()
        .map(|c| {
            let steps: Vec<String> = c
                .steps_khz
                .iter()
                .map(|k| format!("{:.0}", *k as f64 / 1000.0))
                .collect();
            format!("{} at {} MHz", c.label(), steps.join(", "))
        })
        .collect();
    let kernels: Vec<&str> = order.iter().map(|k| k.name()).collect();
    let modes: Vec<String> = sweep.run.modes.iter().map(|m| m.to_string()).collect();
    format!(
        "sweep: {}; {} × {}; each step confirmed by {}; cpufreq saved to {JOURNAL} until restored",
        classes.join("; "),
        kernels.join(", "),
        modes.join(", "),
        sweep.probe.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::sweep::fixtures::{copy, snapshot};
    use crate::measure::sweep::plan_classes;
    use crate::measure::sweep::steps::Selection;
    use crate::observe::os::testing::Scripted;
    use crate::observe::RecordedOs;

    #[test]
    fn sweep_step_whose_lock_cpufreq_refuses_says_so_and_leaves_nothing_changed() {
        let (dir, _) = copy("rpi4");
        let before = snapshot(dir.path());
        let policy = "/sys/devices/system/cpu/cpufreq/policy0";
        let os = Scripted::new(RecordedOs::new(dir.path()))
            .refuses_writes(&format!("{policy}/scaling_max_freq"));
        let topo = Topology::read(&os);
        let class = &plan_classes(&os, &topo, &[], &Selection::All).unwrap()[0];
        let guard = Guard::begin(&os, &class.policies).unwrap();
        // 1500 MHz is the maximum already: only the minimum is written,
        // and with no firmware to follow, the clock stays at 600 MHz.
        let got = hold(&guard, &os, Probe::Reported, class, 1_500_000);
        assert_eq!(got, Err(NotHeld::Off(Some(600.0))));
        // Lowering writes the maximum, which is refused.
        match hold(&guard, &os, Probe::Reported, class, 600_000) {
            Err(NotHeld::Refused(e)) => assert!(e.contains("scaling_max_freq"), "{e}"),
            other => panic!("{other:?}"),
        }
        guard.restore().unwrap();
        assert_eq!(snapshot(dir.path()), before);
    }
}
