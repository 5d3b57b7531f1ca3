//! `sbcbench run`: wiring. The options are checked (options.rs), the
//! machine observed, every kernel checked against known answers, power
//! asked for or a meter started; then the measuring loop
//! (measure/session.rs) runs with a [`Recorder`] that turns each
//! measurement into a row (compare/row.rs), gives the run its watts
//! (power/attribute.rs) and saves the file after every row.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::RunArgs;
use crate::compare::row::RunContext;
use crate::error::Error;
use crate::export::width::{note, stderr_width, wrap};
use crate::export::{exporter, notices, progress, Format, NotMeasured, RunReport, Unmeasured};
use crate::interrupt::STOP;
use crate::measure::around::StepWatch;
use crate::measure::kernels::XzInput;
use crate::measure::plan::plan;
use crate::measure::session::{measure_steps, Ended, Failure};
use crate::measure::{kernels, Engine, Kernel, KernelError, KernelId, Step};
use crate::observe::sampler::max_temperature;
use crate::observe::{preflight, Os, SystemFacts, Topology};
use crate::options::RunOptions;
use crate::power::attribute::Given;
use crate::power::events::PhaseEvents;
use crate::power::meter::PowerStats;
use crate::power::{ask_power, idle_phase, PowerMode, WattsSource};
use crate::record::{ResultFile, ResultRow, RunKind};
use crate::warnings::{self, Warning};

pub(super) mod engines;
pub(super) mod recorder;
use recorder::{start_monitor, timestamps, Recorder, Start};

/// Builds a kernel by name: [`kernels::for_id`], except in tests that need a
/// kernel to fail in the middle of a run, which real hardware rarely obliges.
pub(in crate::commands) type KernelFactory<'a> =
    &'a dyn Fn(KernelId, Option<&XzInput>) -> Result<Arc<dyn Kernel>, KernelError>;

pub fn run(args: &RunArgs, os: Arc<dyn Os>) -> anyhow::Result<()> {
    run_with(args, os, &kernels::for_id)
}

fn run_with(args: &RunArgs, os: Arc<dyn Os>, make: KernelFactory) -> anyhow::Result<()> {
    let topo = Topology::read(&*os);
    let (opts, meter) = RunOptions::from_args(args, &topo, &os)?;
    crate::term::detail(&format!("baseline: {}", opts.baseline.name));
    let (idle_temp_c, facts) = prepare(&*os, &opts)?;
    let mut warnings = warnings::before_run(&*os, &topo, opts.quick, opts.clock_mhz.is_some());
    busy_before_measuring(&*os, &opts, &mut warnings);

    // Known answers before anything is timed: a wrong result never gets a figure.
    let (by_id, order) = match engines::checked(&opts, make, &mut warnings) {
        Ok(checked) => checked,
        Err(e) => {
            if opts.format == Format::Lava {
                if let Some(report) = wrong_before_measuring(&e, &opts, &topo, &facts) {
                    super::print(&exporter(Format::Lava).render(&report)?)?;
                }
            }
            return Err(e);
        }
    };

    let events = PhaseEvents {
        on: opts.phase_events,
        steps: opts.status_lines,
    };
    let given = match &opts.power {
        PowerMode::None => None,
        PowerMode::Fixed(w) => Some(Given {
            watts: *w,
            source: WattsSource::Fixed,
            load: String::new(),
        }),
        PowerMode::Ask => {
            let kernel = engines::load_kernel(&opts, &by_id, make)?;
            let (watts, closed) = ask_power(opts.load, kernel, &topo, &os, &events)?;
            if closed {
                warnings.push(Warning::PowerInputClosed);
            }
            Some(Given {
                watts,
                source: WattsSource::Typed,
                load: opts.load.to_string(),
            })
        }
    };

    // With a meter, here or on the machine that started this run over ssh
    // (--phase-events): idle power first, then every measurement long
    // enough for the meter to see it settle and give enough readings
    // (options/run.rs).
    let monitor = start_monitor(meter, &os);
    let mut meter_idle = None;
    if monitor.is_some() || events.on {
        let here = monitor.as_ref().map(|(p, m)| (*p, m));
        meter_idle = idle_phase(&events, here, opts.idle_time);
    }

    let steps = plan(&order, &opts.modes, &topo);
    note(&plan_summary(&steps, &opts));
    let (timestamp, stamp) = timestamps();
    let start = Start {
        ctx: RunContext {
            facts: &facts,
            topo: &topo,
            baseline: &opts.baseline,
            clock_mhz: opts
                .clock_mhz
                .map(|c| (c, crate::record::ClockSource::User)),
            timestamp: &timestamp,
            xz_input: opts.xz_input.as_ref().map(|i| i.label.as_str()),
            run_kind: opts.run_kind,
        },
        kernels: &by_id,
        steps: steps.len(),
        events,
        monitor: monitor.as_ref().map(|(p, m)| (*p, m)),
        meter_idle: meter_idle.map(|s: PowerStats| s.mean_w),
        given,
        file: opts
            .output
            .as_ref()
            .map(|dir| ResultFile::new(dir, &facts.board, &stamp)),
        warnings,
    };
    let mut recorder = Recorder::new(start, &opts);
    let watch = StepWatch {
        cooldown: opts.cooldown,
        idle_temp_c,
        sleep: std::thread::sleep,
    };
    let ended = measure_steps(
        &steps,
        &by_id,
        &opts.timing,
        &os,
        &watch,
        &STOP,
        &mut recorder,
    );
    recorder.progress.finish_and_clear();
    if let Some((_, monitor)) = &monitor {
        let said = monitor.warnings();
        recorder
            .warnings
            .extend(said.into_iter().map(Warning::Meter));
    }
    let unmeasured = unmeasured(&steps, &recorder.rows, &ended.failures, &topo);
    let result = finish(recorder, ended, unmeasured, &facts, &opts);
    if let Some((_, monitor)) = monitor {
        monitor.stop();
    }
    result
}

/// What a run and a sweep do first: the temperature every step may wait
/// to cool back to (before the known-answer checks and power phases warm
/// the SoC), the machine's facts, a check of where the results will go
/// (before anything is measured or typed), and Ctrl-C and SIGTERM, which
/// stop the runner at its next clock check with the rows saved.
pub(super) fn prepare(os: &dyn Os, opts: &RunOptions) -> Result<(Option<f64>, SystemFacts), Error> {
    let idle_temp_c = max_temperature(os);
    let facts = SystemFacts::gather(os, opts.board.as_deref());
    if let Some(dir) = &opts.output {
        ResultFile::new(dir, &facts.board, "check")
            .check()
            .map_err(Error::Usage)?;
    }
    crate::interrupt::install();
    Ok((idle_temp_c, facts))
}

/// Prints what was measured and says how the run ended.
pub(super) fn finish(
    mut recorder: Recorder,
    ended: Ended,
    unmeasured: Vec<Unmeasured>,
    facts: &SystemFacts,
    opts: &RunOptions,
) -> anyhow::Result<()> {
    // A run cut short says so in its file, so that `report` prefers a
    // whole one.
    if ended.interrupted && !recorder.rows.is_empty() {
        for row in &mut recorder.rows {
            row.run_kind = RunKind::Interrupted;
        }
        if let Some(file) = recorder.file.as_mut() {
            if let Err(e) = file.save(&recorder.rows) {
                recorder.save_failure = Some(file.save_error(&e));
            }
        }
    }
    let saved_to = recorder
        .file
        .as_ref()
        .and_then(|f| f.path().map(|p| p.to_path_buf()));
    let report = RunReport {
        system: facts.clone(),
        baseline: opts.baseline.name.clone(),
        rows: recorder.rows,
        samples_mb_per_s: recorder.samples,
        warnings: recorder.warnings,
        saved_to: saved_to.clone(),
        quick: opts.quick,
        unmeasured,
    };
    // LAVA's cases say what failed even when nothing was measured.
    if !report.rows.is_empty() || opts.format == Format::Lava {
        super::print(&exporter(opts.format).render(&report)?)?;
    }
    // The terminal table carries them under it; every other format's
    // stdout is data to paste or parse, so they go to stderr.
    if opts.format != Format::Table || report.rows.is_empty() {
        // The busy machine was said on stderr before measuring already.
        let mut said = report.clone();
        said.warnings.retain(|w| !matches!(w, Warning::Busy(_)));
        for line in notices(&said) {
            let line = match line.strip_prefix("warning:") {
                Some(rest) => format!("{}{rest}", crate::term::warning_prefix()),
                None => line,
            };
            for part in wrap(&line, stderr_width()) {
                eprintln!("{part}");
            }
        }
    }
    if let Some(e) = recorder.save_failure {
        anyhow::bail!("{e}; the run stopped, the rows measured are printed above");
    }
    if !ended.failures.is_empty() {
        let count = ended.failures.len();
        let what: Vec<String> = ended
            .failures
            .into_iter()
            .map(|f| {
                let what = f.what();
                format!("{:#}", anyhow::Error::new(f.error).context(what))
            })
            .collect();
        anyhow::bail!(
            "{}; {} not measured further{}",
            what.join("; "),
            if count == 1 {
                "that kernel was"
            } else {
                "those kernels were"
            },
            if report.rows.is_empty() {
                ""
            } else {
                "; the other kernels were measured"
            }
        );
    }
    if ended.interrupted {
        return Err(Error::Interrupted {
            saved: saved_to.map(|p| p.display().to_string()),
        }
        .into());
    }
    Ok(())
}

/// The planned steps without a row, as `--format lava` reports them: a
/// step whose kernel failed as it failed, the others never reached.
fn unmeasured(
    steps: &[Step],
    rows: &[ResultRow],
    failures: &[Failure],
    topo: &Topology,
) -> Vec<Unmeasured> {
    steps
        .iter()
        .filter(|s| !rows.iter().any(|r| r.step_key() == s.key()))
        .map(|s| {
            let why = match failures.iter().find(|f| f.step == *s).map(|f| &f.error) {
                Some(KernelError::KnownAnswer { .. } | KernelError::Corrupted { .. }) => {
                    NotMeasured::WrongOutput
                }
                Some(_) => NotMeasured::Failed,
                None => NotMeasured::NotReached,
            };
            Unmeasured {
                kernel: s.kernel,
                engine: s.engine,
                thread_mode: s.mode,
                cluster: s.cluster,
                core_name: s
                    .cluster
                    .and_then(|i| topo.clusters.iter().find(|c| c.index == i))
                    .map(|c| c.core_name.clone())
                    .unwrap_or_default(),
                why,
            }
        })
        .collect()
}

/// A kernel that fails its known answers stops the run before anything is
/// timed; with `--format lava` the job still records it: that kernel's
/// planned cases and the self-test fail, the others are skipped. `None`
/// for any other error.
fn wrong_before_measuring(
    error: &anyhow::Error,
    opts: &RunOptions,
    topo: &Topology,
    facts: &SystemFacts,
) -> Option<RunReport> {
    let Some(KernelError::KnownAnswer { kernel, .. }) = error.downcast_ref::<KernelError>() else {
        return None;
    };
    let order: Vec<(KernelId, Engine)> =
        opts.kernels.iter().map(|&k| (k, Engine::Builtin)).collect();
    let steps = plan(&order, &opts.modes, topo);
    let mut unmeasured = unmeasured(&steps, &[], &[], topo);
    for u in &mut unmeasured {
        if u.kernel == *kernel {
            u.why = NotMeasured::WrongOutput;
        }
    }
    Some(RunReport {
        system: facts.clone(),
        baseline: opts.baseline.name.clone(),
        rows: Vec::new(),
        samples_mb_per_s: Vec::new(),
        warnings: Vec::new(),
        saved_to: None,
        quick: opts.quick,
        unmeasured,
    })
}

#[cfg(test)]
mod tests;

/// How long a run on a terminal waits for a busy machine to become idle.
const IDLE_WAIT: Duration = Duration::from_secs(30);

/// A busy machine spoils every figure, so it is said before measuring,
/// not only under the table; on a terminal the run waits a while for the
/// other programs to finish (Ctrl-C stops it), and measures a machine
/// that became idle without the warning.
fn busy_before_measuring(os: &dyn Os, opts: &RunOptions, warnings: &mut Vec<Warning>) {
    let Some(busy) = warnings.iter().find(|w| matches!(w, Warning::Busy(_))) else {
        return;
    };
    for part in wrap(&format!("warning: {busy}"), stderr_width()) {
        eprintln!("{part}");
    }
    if opts.quick || !std::io::stderr().is_terminal() {
        return;
    }
    note(&format!(
        "waiting up to {} s for them to finish (Ctrl-C stops the run)…",
        IDLE_WAIT.as_secs()
    ));
    if preflight::wait_until_idle(os, IDLE_WAIT, &STOP) {
        note("the machine is idle now: measuring");
        warnings.retain(|w| !matches!(w, Warning::Busy(_)));
    }
}

/// `plan: 12 steps (sha1, chacha20-poly1305, xz × 1, all; the system tools
/// too), about 75 s`: what the run will do and how long it should take,
/// each step a warm-up and its samples of at least `--min-time`.
fn plan_summary(steps: &[crate::measure::Step], opts: &RunOptions) -> String {
    let kernels: Vec<&str> = opts.kernels.iter().map(|k| k.name()).collect();
    let modes: Vec<String> = opts.modes.iter().map(|m| m.to_string()).collect();
    let mut what = format!("{} × {}", kernels.join(", "), modes.join(", "));
    if steps.iter().any(|s| s.engine == Engine::System) {
        what.push_str("; the system tools too");
    }
    let t = &opts.timing;
    let per_step = t.warmup.as_secs_f64() + t.samples as f64 * t.min_time.as_secs_f64();
    format!(
        "plan: {}",
        progress::plan_line(steps.len(), &what, steps.len() as f64 * per_step * 1.05)
    )
}
