//! `sbcbench run`: observe the machine, measure every planned step, record
//! each row as soon as it exists, compare with the baseline, render.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::RunArgs;
use crate::compare::{efficiency, Baseline};
use crate::deploy::phase::{phase_line, Edge};
use crate::error::Error;
use crate::export::{exporter, Format, RunReport};
use crate::interrupt::STOP;
use crate::measure::kernels::XzInput;
use crate::measure::load::{Load, LoadKind};
use crate::measure::plan::{cpu_list, cpus_fastest_first, plan};
use crate::measure::{
    clock, kernels, runner, Kernel, KernelError, KernelId, Measured, RunError, Step, Summary,
};
use crate::observe::meter::{self, Monitor};
use crate::observe::power::{ask_phases, is_stopped, Phase, PhaseWatts, PowerMode, StopAwareLines};
use crate::observe::preflight::{self, Preflight};
use crate::observe::{Observation, Os, Sampler, SystemFacts, Topology};
use crate::options::RunOptions;
use crate::record::{ResultFile, ResultRow, SCHEMA_VERSION};
use crate::warnings::{Warning, CLOCK_MISMATCH, CV_LIMIT_PERCENT};

/// Builds a kernel by name: [`kernels::for_id`], except in tests that need a
/// kernel to fail in the middle of a run, which real hardware rarely obliges.
type KernelFactory<'a> =
    &'a dyn Fn(KernelId, Option<&XzInput>) -> Result<Arc<dyn Kernel>, KernelError>;

pub fn run(args: &RunArgs, os: Arc<dyn Os>) -> anyhow::Result<()> {
    run_with(args, os, &kernels::for_id)
}

fn run_with(args: &RunArgs, os: Arc<dyn Os>, make: KernelFactory) -> anyhow::Result<()> {
    let topo = Topology::read(&*os);
    let (opts, meter) = RunOptions::from_args(args, &topo)?;
    let facts = SystemFacts::gather(&*os, opts.board.as_deref());
    // Before anything is measured or typed: where the results will go.
    if let Some(dir) = &opts.output {
        ResultFile::new(dir, &facts.board, "check")
            .check()
            .map_err(Error::Usage)?;
    }
    // The runner stops at its next clock check and the rows are saved.
    crate::interrupt::install();

    let mut warnings = Vec::new();
    if opts.quick {
        warnings.push(Warning::Quick);
    }
    let busy_window = if opts.quick {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(1)
    };
    let no_clock = opts.clock_mhz.is_none() && topo.clusters.iter().any(|c| c.max_mhz.is_none());
    for p in preflight::check(&*os, &topo, busy_window) {
        // Said once, with what it means for cycles/byte, by NoClock.
        if no_clock && p == Preflight::NoCpufreq {
            continue;
        }
        warnings.push(Warning::Preflight(p.to_string()));
    }
    if no_clock {
        warnings.push(Warning::NoClock);
    }

    // Known answers before anything is timed: a wrong result never gets a figure.
    let mut by_id: HashMap<KernelId, Arc<dyn Kernel>> = HashMap::new();
    for &id in &opts.kernels {
        let kernel = make(id, opts.xz_input.as_ref())?;
        kernel.verify()?;
        by_id.insert(id, kernel);
    }

    let events = PhaseEvents {
        on: opts.phase_events,
    };
    let phase_watts = match &opts.power {
        PowerMode::None => None,
        PowerMode::Fixed(w) => Some((*w, "fixed")),
        PowerMode::Ask => {
            let (watts, closed) = ask_power(&opts, &topo, &by_id, &events, make)?;
            if closed {
                warnings.push(Warning::PowerInputClosed);
            }
            Some((watts, "typed"))
        }
    };

    // With a meter, here or on the machine that started this run over ssh
    // (--phase-events): idle power first; every measurement is long enough
    // for the meter to see it settle and give enough readings (options).
    let monitor = meter.map(|(spec, m)| {
        (
            spec.protocol.name(),
            Monitor::start(m, Some(spec), meter::PERIOD),
        )
    });
    let mut meter_idle = None;
    if monitor.is_some() || events.on {
        let by = match &monitor {
            Some((protocol, _)) => format!("with {protocol}"),
            None => "with the meter of the controlling machine".to_string(),
        };
        eprintln!(
            "sbcbench: measuring idle power {by} for {:.0} s…",
            opts.idle_time.as_secs_f64()
        );
        let idle = [("power", "idle".to_string()), ("threads", "0".to_string())];
        events.start(&idle);
        let t0 = Instant::now();
        while t0.elapsed() < opts.idle_time && !STOP.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        events.end(&idle, status_word(STOP.load(Ordering::Relaxed), false));
        if let Some((_, monitor)) = &monitor {
            meter_idle = monitor.stats(t0, Instant::now(), Duration::ZERO);
        }
    }

    let steps = plan(&opts.kernels, &opts.modes, &topo);
    let rounds_per_step = opts.timing.samples as u64 + u64::from(!opts.timing.warmup.is_zero());
    let progress = progress_bar(steps.len() as u64 * rounds_per_step);

    let started = SystemTime::now();
    let timestamp = humantime::format_rfc3339_seconds(started).to_string();
    let stamp: String = timestamp
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let mut file = opts
        .output
        .as_ref()
        .map(|dir| ResultFile::new(dir, &facts.board, &stamp));

    let ctx = RowContext {
        facts: &facts,
        topo: &topo,
        opts: &opts,
        timestamp: &timestamp,
    };
    let mut rows = Vec::new();
    let mut samples = Vec::new();
    let mut clocks: HashMap<Vec<usize>, Option<f64>> = HashMap::new();
    // A kernel whose output fails its check mid-run (a board with bad RAM
    // or an undervolted core) is not measured again; the others go on.
    let mut failures: Vec<(KernelId, anyhow::Error)> = Vec::new();
    let mut interrupted = false;
    let mut save_failure = None;
    for step in &steps {
        if failures.iter().any(|(k, _)| *k == step.kernel) {
            continue;
        }
        let kernel = &by_id[&step.kernel];
        progress.set_message(format!("{} on cpu {}", step.kernel, cpu_list(&step.cpus)));
        let measured_clock = *clocks
            .entry(step.cpus.clone())
            .or_insert_with(|| clock::measure_mhz_on(&step.cpus));
        let sampler = Sampler::start(Arc::clone(&os), &step.cpus, Duration::from_millis(250));
        let phase = step_fields(step);
        progress.suspend(|| events.start(&phase));
        let step_start = Instant::now();
        let result = runner::measure(
            kernel.as_ref(),
            &step.cpus,
            &opts.timing,
            &STOP,
            &mut || progress.inc(1),
        );
        let step_end = Instant::now();
        progress.suspend(|| {
            events.end(
                &phase,
                status_word(
                    matches!(result, Err(RunError::Interrupted)),
                    matches!(result, Err(RunError::Kernel(_))),
                ),
            )
        });
        let observed = sampler.stop();
        match result {
            Ok(measured) => {
                let (row, values, row_warnings) =
                    ctx.row(step, kernel.as_ref(), &measured, &observed, measured_clock);
                rows.push(row);
                samples.push(values);
                if let (Some((protocol, monitor)), Some(row)) = (&monitor, rows.last_mut()) {
                    if let Some(p) = monitor.stats(step_start, step_end, meter::SETTLE) {
                        row.watts = Some(p.mean_w);
                        row.watts_min = Some(p.min_w);
                        row.watts_max = Some(p.max_w);
                        row.watts_readings = Some(p.readings);
                        row.energy_j = Some(p.energy_j);
                        row.watts_source = format!("meter:{protocol}");
                    }
                    let profile = efficiency::measured_profile(&rows, meter_idle.map(|s| s.mean_w));
                    efficiency::set_profile(&mut rows, &profile);
                }
                warnings.extend(row_warnings);
                if let Some((watts, source)) = &phase_watts {
                    efficiency::assign_phase_watts(&mut rows, watts, source);
                }
                efficiency::derive(&mut rows, &opts.baseline);
                if let Some(file) = file.as_mut() {
                    // Nothing more is measured that could not be kept; what
                    // was is still printed below.
                    if let Err(e) = file.save(&rows) {
                        save_failure = Some(file.save_error(&e));
                        break;
                    }
                }
            }
            Err(RunError::Interrupted) => {
                interrupted = true;
                break;
            }
            Err(RunError::Kernel(e)) => {
                let what = format!(
                    "{} × {} (cpu {})",
                    step.kernel,
                    step.mode,
                    cpu_list(&step.cpus)
                );
                failures.push((step.kernel, anyhow::Error::new(e).context(what)));
            }
        }
    }
    progress.finish_and_clear();
    if let Some((_, monitor)) = monitor {
        for w in monitor.warnings() {
            warnings.push(Warning::Meter(w));
        }
        monitor.stop();
    }

    let saved_to = file
        .as_ref()
        .and_then(|f| f.path().map(|p| p.to_path_buf()));
    let report = RunReport {
        system: facts.clone(),
        baseline: opts.baseline.name.clone(),
        rows,
        samples_mb_per_s: samples,
        warnings,
        saved_to: saved_to.clone(),
    };
    if !report.rows.is_empty() {
        super::print(&exporter(opts.format).render(&report)?)?;
    }
    // Table and Markdown carry the warnings under the table; for the
    // machine formats they go to stderr, where people still see them.
    if matches!(opts.format, Format::Csv | Format::Json) || report.rows.is_empty() {
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
    }
    if let Some(e) = save_failure {
        anyhow::bail!("{e}; the run stopped, the rows measured are printed above");
    }
    if !failures.is_empty() {
        let what: Vec<String> = failures.iter().map(|(_, e)| format!("{e:#}")).collect();
        anyhow::bail!(
            "{}; {} not measured further{}",
            what.join("; "),
            if failures.len() == 1 {
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
    if interrupted {
        return Err(Error::Interrupted {
            saved: saved_to.map(|p| p.display().to_string()),
        }
        .into());
    }
    Ok(())
}

/// `--phase-events`: each phase announced on stderr as a control line
/// (docs/fleet.md, "Phase events"), so that a meter on the machine that
/// started this run over ssh can tell which power belongs to which row.
struct PhaseEvents {
    on: bool,
}

impl PhaseEvents {
    fn start(&self, fields: &[(&str, String)]) {
        self.print(Edge::Start, fields.to_vec());
    }

    fn end(&self, fields: &[(&str, String)], status: &str) {
        let mut fields = fields.to_vec();
        fields.push(("status", status.to_string()));
        self.print(Edge::End, fields);
    }

    fn print(&self, edge: Edge, mut fields: Vec<(&str, String)>) {
        if !self.on {
            return;
        }
        if let Ok(t) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            fields.push(("t", format!("{:.3}", t.as_secs_f64())));
        }
        // One write of the whole line, under the lock: never interleaved
        // with other output of this process.
        let line = format!("{}\n", phase_line(edge, &fields));
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes()).and_then(|()| err.flush());
    }
}

/// Prints the `end` of a `--power ask` phase when its load stops.
struct PhaseEnd<'a> {
    events: &'a PhaseEvents,
    fields: Vec<(&'static str, String)>,
}

impl Drop for PhaseEnd<'_> {
    fn drop(&mut self) {
        let status = status_word(STOP.load(Ordering::Relaxed), false);
        self.events.end(&self.fields, status);
    }
}

fn status_word(interrupted: bool, failed: bool) -> &'static str {
    match (interrupted, failed) {
        (true, _) => "interrupted",
        (_, true) => "failed",
        _ => "ok",
    }
}

/// The phase fields of a measurement: what the controller matches rows by.
fn step_fields(step: &Step) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("kernel", step.kernel.name().to_string()),
        ("mode", step.mode.to_string()),
        ("threads", step.cpus.len().to_string()),
        ("cpus", cpu_list(&step.cpus)),
    ];
    if let Some(c) = step.cluster {
        fields.push(("cluster", c.to_string()));
    }
    fields
}

/// The phases worth asking about on this machine: "half" only where it
/// differs from one core and from all of them.
fn power_phases(online: usize) -> Vec<Phase> {
    Phase::ALL
        .into_iter()
        .filter(|p| match p {
            Phase::Idle | Phase::One => true,
            Phase::Half => online >= 4,
            Phase::All => online > 1,
        })
        .collect()
}

/// `--power ask`: runs each phase's load and asks for the meter's reading
/// on stderr/stdin, so that stdout stays the results.
fn ask_power(
    opts: &RunOptions,
    topo: &Topology,
    by_id: &HashMap<KernelId, Arc<dyn Kernel>>,
    events: &PhaseEvents,
    make: KernelFactory,
) -> anyhow::Result<(PhaseWatts, bool)> {
    let kernel = match opts.load {
        LoadKind::Kernel(id) => match by_id.get(&id) {
            Some(k) => Some(Arc::clone(k)),
            None => {
                let k = make(id, opts.xz_input.as_ref())?;
                k.verify()?;
                Some(k)
            }
        },
        LoadKind::Spin => None,
    };
    let order = cpus_fastest_first(topo);
    let online = order.len();
    let interactive = std::io::stdin().is_terminal();
    // Ctrl-C at a prompt leaves at once: nothing is measured yet.
    let mut input = StopAwareLines::stdin(&STOP);
    let mut output = std::io::stderr();
    let outcome = ask_phases(
        &power_phases(online),
        interactive,
        &mut input,
        &mut output,
        |phase| {
            let cpus = &order[..phase.threads(online)];
            let mut fields = vec![
                ("power", phase.key().to_string()),
                ("threads", cpus.len().to_string()),
            ];
            if !cpus.is_empty() {
                fields.push(("load", opts.load.to_string()));
                fields.push(("cpus", cpu_list(cpus)));
            }
            events.start(&fields);
            // Dropped in this order after the answer: the load stops, then
            // its end is announced.
            let end = PhaseEnd { events, fields };
            if cpus.is_empty() {
                return (
                    "nothing running; give the board a few seconds to settle".to_string(),
                    (None, end),
                );
            }
            let load = Load::start(opts.load, cpus, kernel.clone());
            let what = format!(
                "{} running on cpu {} ({} threads)",
                opts.load,
                cpu_list(cpus),
                load.threads()
            );
            (what, (Some(load), end))
        },
    )
    .map_err(|e| -> anyhow::Error {
        if is_stopped(&e) {
            Error::Interrupted { saved: None }.into()
        } else {
            anyhow::Error::new(e).context("--power ask: reading the answers")
        }
    })?;
    Ok((outcome.watts, outcome.closed_early))
}

fn progress_bar(len: u64) -> ProgressBar {
    // Hidden by indicatif itself when stderr is not a terminal.
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{wide_bar}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

struct RowContext<'a> {
    facts: &'a SystemFacts,
    topo: &'a Topology,
    opts: &'a RunOptions,
    timestamp: &'a str,
}

impl RowContext<'_> {
    /// The nominal clock of one CPU for cycles/byte, and where it came from.
    fn nominal_clock(&self, cpu: usize) -> (Option<f64>, &'static str) {
        match self.opts.clock_mhz {
            Some(mhz) => (Some(mhz), "user"),
            None => match self.topo.cluster_of(cpu).and_then(|c| c.max_mhz) {
                Some(mhz) => (Some(mhz), "cpufreq-max"),
                None => (None, ""),
            },
        }
    }

    fn row(
        &self,
        step: &Step,
        kernel: &dyn Kernel,
        measured: &Measured,
        observed: &Observation,
        measured_clock: Option<f64>,
    ) -> (ResultRow, Vec<f64>, Vec<Warning>) {
        let values: Vec<f64> = measured.samples.iter().map(|s| s.mb_per_s()).collect();
        let summary = Summary::of(&values).unwrap_or_default();
        let threads = step.cpus.len();
        // Cycles/byte of a multi-thread row counts the cycles of every
        // core used: Σ clock ÷ MB/s (one core: the article's clock ÷ MB/s).
        let clocks: Vec<(Option<f64>, &str)> =
            step.cpus.iter().map(|&c| self.nominal_clock(c)).collect();
        let clock_sum: Option<f64> = clocks.iter().map(|(c, _)| *c).sum();
        let clock_mhz = clocks
            .iter()
            .filter_map(|(c, _)| *c)
            .reduce(f64::max)
            .filter(|_| clock_sum.is_some());
        let clock_source = if clock_mhz.is_some() { clocks[0].1 } else { "" };
        let cycles_per_byte = clock_sum
            .filter(|_| summary.median > 0.0)
            .map(|c| c / summary.median);

        let baseline: &Baseline = &self.opts.baseline;
        let reference = baseline.reference(step.kernel, baseline.threads_for(step.mode, threads));
        let speedup = reference.map(|r| summary.median / r.mb_per_s);
        let cycles_speedup = match (reference.and_then(|r| r.cycles_per_byte), cycles_per_byte) {
            (Some(b), Some(ours)) if ours > 0.0 => Some(b / ours),
            _ => None,
        };
        let cluster = step
            .cluster
            .and_then(|i| self.topo.clusters.iter().find(|c| c.index == i));

        let what = format!(
            "{} × {} (cpu {})",
            step.kernel,
            step.mode,
            cpu_list(&step.cpus)
        );
        let mut warnings = Vec::new();
        if summary.cv_percent > CV_LIMIT_PERCENT {
            warnings.push(Warning::HighVariance {
                what: what.clone(),
                cv_percent: summary.cv_percent,
            });
        }
        if summary.slow_first {
            warnings.push(Warning::SlowFirstSample { what: what.clone() });
        } else if !summary.outliers.is_empty() {
            warnings.push(Warning::Outliers {
                what: what.clone(),
                count: summary.outliers.len(),
                samples: summary.n,
            });
        }
        if !measured.pinned {
            warnings.push(Warning::NotPinned { what: what.clone() });
        }
        if let (Some(nominal), Some(real)) = (clock_mhz, measured_clock) {
            if (real - nominal).abs() > CLOCK_MISMATCH * nominal {
                warnings.push(Warning::ClockMismatch {
                    what: what.clone(),
                    nominal_mhz: nominal,
                    measured_mhz: real,
                });
            }
        }
        if observed.throttled == Some(true) {
            warnings.push(Warning::Throttled {
                what,
                freq_min_mhz: observed.freq_min_mhz,
            });
        }

        let facts = self.facts;
        let row = ResultRow {
            schema_version: SCHEMA_VERSION,
            timestamp: self.timestamp.to_string(),
            board: facts.board.clone(),
            arch: facts.arch.clone(),
            target: facts.target.clone(),
            cpu_model: facts.cpu_model.clone(),
            cores: facts.physical_cores,
            kernel: step.kernel.name().to_string(),
            implementation: kernel.implementation(),
            threads,
            cpus: cpu_list(&step.cpus),
            cluster: step.cluster,
            mb_per_s: summary.median,
            mb_per_s_stddev: summary.stddev,
            mb_per_s_min: summary.min,
            mb_per_s_max: summary.max,
            cv_percent: summary.cv_percent,
            samples: summary.n,
            clock_mhz,
            clock_source: clock_source.to_string(),
            clock_measured_mhz: measured_clock,
            cycles_per_byte,
            baseline: baseline.name.clone(),
            speedup,
            cycles_speedup,
            baseline_extrapolated: reference.map(|r| r.extrapolated),
            freq_min_mhz: observed.freq_min_mhz,
            temp_max_c: observed.temp_max_c,
            throttled: observed.throttled,
            watts: None,
            watts_min: None,
            watts_max: None,
            watts_readings: None,
            watts_source: String::new(),
            idle_watts: None,
            one_core_watts: None,
            half_cores_watts: None,
            all_cores_watts: None,
            energy_j: None,
            mb_per_s_per_w: None,
            mb_per_s_per_w_extrapolated: None,
            efficiency_speedup: None,
            xz_input: match (step.kernel, &self.opts.xz_input) {
                (KernelId::Xz, Some(input)) => input.label.clone(),
                _ => String::new(),
            },
            os: facts.os.clone(),
            linux: facts.linux.clone(),
            version: crate::build_info::version(),
            thread_mode: step.mode.to_string(),
            logical_cpus: facts.logical_cores,
            core_name: cluster.map(|c| c.core_name.clone()).unwrap_or_default(),
            mb_per_s_mean: summary.mean,
            outliers: summary.outliers.len(),
            source: "sbcbench".to_string(),
            memory_mib: facts.memory_bytes.map(|b| b >> 20),
            simd: facts.simd.join(" "),
        };
        (row, values, warnings)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::measure::Worker;
    use crate::observe::HostOs;
    use crate::record::read_results;

    /// The real xz kernel, except that its output stops matching after a
    /// number of chunks: what a board with flaky RAM does mid-run, which
    /// verified inputs never do here.
    struct FailsMidRun {
        inner: Arc<dyn Kernel>,
        steps_left: Arc<AtomicU64>,
    }

    impl Kernel for FailsMidRun {
        fn id(&self) -> KernelId {
            self.inner.id()
        }
        fn implementation(&self) -> String {
            self.inner.implementation()
        }
        fn verify(&self) -> Result<(), KernelError> {
            self.inner.verify()
        }
        fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
            Ok(Box::new(FailingWorker {
                inner: self.inner.worker()?,
                steps_left: Arc::clone(&self.steps_left),
            }))
        }
    }

    struct FailingWorker {
        inner: Box<dyn Worker>,
        steps_left: Arc<AtomicU64>,
    }

    impl Worker for FailingWorker {
        fn step(&mut self) -> Result<u64, KernelError> {
            let left = self.steps_left.fetch_sub(1, Ordering::Relaxed);
            if left == 0 || left > u64::MAX / 2 {
                self.steps_left.store(0, Ordering::Relaxed);
                return Err(KernelError::Corrupted {
                    kernel: KernelId::Xz,
                    what: "a pass produced 3 bytes too few".to_string(),
                });
            }
            self.inner.step()
        }
    }

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
            .map(|r| (r.kernel.clone(), r.thread_mode.clone()))
            .collect();
        let clusters = Topology::read(&HostOs).clusters.len();
        let mut expected = vec![("sha1".to_string(), "1".to_string()); clusters];
        expected.push(("sha1".to_string(), "all".to_string()));
        assert_eq!(kinds, expected);
        assert!(rows.iter().all(|r| r.mb_per_s > 0.0));
    }
}
