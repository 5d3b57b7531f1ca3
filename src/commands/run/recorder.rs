//! The run's side of the measuring loop: each measurement becomes a row
//! (compare/row.rs) with its warnings, the run's rows get their watts by
//! the one rule of power/attribute.rs and their efficiency, and the file
//! is saved after every row, so an interrupted run keeps what it measured.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use indicatif::ProgressBar;

use crate::compare::efficiency;
use crate::compare::row::{build_row, pair_engines, RunContext};
use crate::export::progress;
use crate::measure::plan::cpu_list;
use crate::measure::session::{Kernels, Measurement, Observer, StepEnd};
use crate::measure::{Engine, Step};
use crate::observe::Os;
use crate::options::{OpenedMeter, RunOptions};
use crate::power::attribute::{attribute, Given, Metered};
use crate::power::events::PhaseEvents;
use crate::power::meter::{self, Monitor, PowerStats};
use crate::record::{ClockSource, ResultFile, ResultRow};
use crate::warnings::{self, Warning};

/// The caller's side of the measuring loop: progress, phase lines, and
/// each measurement's row, watts and file.
pub(in crate::commands) struct Recorder<'a> {
    pub(in crate::commands) ctx: RunContext<'a>,
    pub(in crate::commands) kernels: &'a Kernels,
    pub(in crate::commands) progress: ProgressBar,
    pub(in crate::commands) events: PhaseEvents,
    pub(in crate::commands) monitor: Option<(&'static str, &'a Monitor)>,
    pub(in crate::commands) meter_idle: Option<f64>,
    pub(in crate::commands) given: Option<Given>,
    /// The first row that `given` and the power profile are for: 0 in a
    /// run; a sweep's typed readings and profile are per clock step.
    pub(in crate::commands) first_row: usize,
    pub(in crate::commands) file: Option<ResultFile>,
    pub(in crate::commands) rows: Vec<ResultRow>,
    /// Per row, every timed sample in MB/s.
    pub(in crate::commands) samples: Vec<Vec<f64>>,
    /// Per row, the meter's figures over its measurement.
    pub(in crate::commands) metered: Vec<Option<PowerStats>>,
    pub(in crate::commands) warnings: Vec<Warning>,
    pub(in crate::commands) save_failure: Option<String>,
    /// `--cooldown`, as the cooling message says it.
    pub(in crate::commands) cooldown: Duration,
    /// What the progress line says of the step under way.
    pub(in crate::commands) live: Live,
}

/// What a run or a sweep gives its [`Recorder`]: the rest starts empty.
pub(in crate::commands) struct Start<'a> {
    pub(in crate::commands) ctx: RunContext<'a>,
    pub(in crate::commands) kernels: &'a Kernels,
    /// Measurements planned: the progress bar counts their rounds.
    pub(in crate::commands) steps: usize,
    pub(in crate::commands) events: PhaseEvents,
    pub(in crate::commands) monitor: Option<(&'static str, &'a Monitor)>,
    pub(in crate::commands) meter_idle: Option<f64>,
    pub(in crate::commands) given: Option<Given>,
    pub(in crate::commands) file: Option<ResultFile>,
    pub(in crate::commands) warnings: Vec<Warning>,
}

impl<'a> Recorder<'a> {
    pub(in crate::commands) fn new(start: Start<'a>, opts: &RunOptions) -> Recorder<'a> {
        let warmup = !opts.timing.warmup.is_zero();
        let rounds_per_step = opts.timing.samples as u64 + u64::from(warmup);
        Recorder {
            ctx: start.ctx,
            kernels: start.kernels,
            progress: progress::bar(start.steps as u64 * rounds_per_step),
            events: start.events,
            monitor: start.monitor,
            meter_idle: start.meter_idle,
            given: start.given,
            first_row: 0,
            file: start.file,
            rows: Vec::new(),
            samples: Vec::new(),
            metered: Vec::new(),
            warnings: start.warnings,
            save_failure: None,
            cooldown: opts.cooldown,
            live: Live::new(opts.timing.samples, warmup),
        }
    }
}

/// When a run starts: its RFC 3339 timestamp for the rows, and the same
/// without `-` and `:` for its file's name.
pub(in crate::commands) fn timestamps() -> (String, String) {
    let timestamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let stamp = timestamp
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    (timestamp, stamp)
}

/// `--meter`'s device, sampled from now on, with its protocol's name.
pub(in crate::commands) fn start_monitor(
    meter: Option<OpenedMeter>,
    os: &Arc<dyn Os>,
) -> Option<(&'static str, Monitor)> {
    meter.map(|(spec, m)| {
        (
            spec.protocol.name(),
            Monitor::start(
                m,
                Some((spec.clone(), Arc::clone(os))),
                spec.protocol.period(),
            ),
        )
    })
}

/// The progress line's account of the step under way: warm-up or which
/// sample, the last sample's MB/s, and the meter's last reading.
#[derive(Debug, Default)]
pub(in crate::commands) struct Live {
    samples: usize,
    /// The run warms up before each step's samples.
    warmup: bool,
    in_warmup: bool,
    label: String,
    done: usize,
    last_mb_per_s: Option<f64>,
}

impl Live {
    pub(in crate::commands) fn new(samples: usize, warmup: bool) -> Live {
        Live {
            samples,
            warmup,
            ..Live::default()
        }
    }

    fn message(&self, watts: Option<f64>) -> String {
        let mut msg = self.label.clone();
        if self.in_warmup {
            msg.push_str(" · warm-up");
        } else {
            let next = (self.done + 1).min(self.samples);
            msg.push_str(&format!(" · sample {next}/{}", self.samples));
        }
        if let Some(mb) = self.last_mb_per_s {
            msg.push_str(&format!(" · {} MB/s", crate::export::sig3(mb)));
        }
        if let Some(w) = watts {
            msg.push_str(&format!(" · {w:.1} W"));
        }
        msg
    }
}

/// The phase fields of a measurement: what the controller matches rows by.
/// A sweep's also name the clock step (`clock=` MHz), since it repeats
/// each measurement at every step; a run's are unchanged.
fn step_fields(step: &Step, clock: Option<(f64, ClockSource)>) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("kernel", step.kernel.name().to_string()),
        ("mode", step.mode.to_string()),
        ("threads", step.cpus.len().to_string()),
        ("cpus", cpu_list(&step.cpus)),
    ];
    if step.engine == Engine::System {
        fields.push(("engine", step.engine.to_string()));
    }
    if let Some(c) = step.cluster {
        fields.push(("cluster", c.to_string()));
    }
    if let Some((mhz, ClockSource::Sweep)) = clock {
        fields.push(("clock", format!("{mhz}")));
    }
    fields
}

impl Observer for Recorder<'_> {
    fn starting(&mut self, step: &Step) {
        self.live.label = step.key().to_string();
        self.live.done = 0;
        self.live.last_mb_per_s = None;
        self.live.in_warmup = self.live.warmup;
        self.progress.set_message(self.live.message(None));
        self.progress
            .suspend(|| self.events.start(&step_fields(step, self.ctx.clock_mhz)));
    }

    fn round_done(&mut self, mb_per_s: Option<f64>) {
        self.progress.inc(1);
        if let Some(mb) = mb_per_s {
            self.live.done += 1;
            self.live.last_mb_per_s = Some(mb);
        } else {
            // After the warm-up: the first sample is under way.
            self.live.in_warmup = false;
        }
        let now = std::time::Instant::now();
        let watts = self.monitor.and_then(|(_, m)| {
            let from = now
                .checked_sub(std::time::Duration::from_secs(3))
                .unwrap_or(now);
            m.readings_between(from, now).last().map(|r| r.watts)
        });
        self.progress.set_message(self.live.message(watts));
    }

    fn cooling(&mut self, step: &Step, celsius: f64, target: f64, waited: Duration) {
        let what = step.key();
        if waited.is_zero() && !crate::term::quiet() {
            self.progress.suspend(|| {
                eprintln!(
                    "cooling down before {what}: {celsius:.1} °C, waiting for {target:.1} °C \
                     (--cooldown {} s at most)",
                    self.cooldown.as_secs_f64()
                )
            });
        }
        self.progress.set_message(format!(
            "cooling down before {what}: {celsius:.1} °C → {target:.1} °C, {:.0} s",
            waited.as_secs_f64()
        ));
    }

    fn ended(&mut self, step: &Step, end: StepEnd) {
        self.progress.suspend(|| {
            self.events
                .end(&step_fields(step, self.ctx.clock_mhz), end.word())
        });
    }

    fn measured(&mut self, m: Measurement) -> bool {
        let summary = m.summary();
        let implementation = self.kernels[&(m.step.kernel, m.step.engine)].implementation();
        let row = build_row(&self.ctx, &m, &summary, implementation);
        self.warnings
            .extend(warnings::of_measurement(&m, &summary, row.clock_mhz));
        self.rows.push(row);
        self.samples.push(m.values());
        self.metered.push(
            self.monitor
                .and_then(|(_, mon)| mon.stats(m.from, m.to, meter::SETTLE)),
        );
        let from = self.first_row.min(self.rows.len());
        let meter = self.monitor.map(|(protocol, _)| Metered {
            protocol,
            rows: &self.metered[from..],
            idle_w: self.meter_idle,
        });
        attribute(&mut self.rows[from..], meter.as_ref(), self.given.as_ref());
        efficiency::derive(&mut self.rows, self.ctx.baseline);
        pair_engines(&mut self.rows);
        if let Some(file) = self.file.as_mut() {
            // Nothing more is measured that could not be kept; what was is
            // still printed.
            if let Err(e) = file.save(&self.rows) {
                self.save_failure = Some(file.save_error(&e));
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Live;

    #[test]
    fn the_progress_line_tells_the_warm_up_from_the_samples() {
        let mut live = Live::new(5, true);
        live.label = "sha1 × 1 (cpu 1)".into();
        live.in_warmup = true;
        assert_eq!(live.message(None), "sha1 × 1 (cpu 1) · warm-up");
        live.in_warmup = false;
        assert_eq!(live.message(None), "sha1 × 1 (cpu 1) · sample 1/5");
        live.done = 2;
        live.last_mb_per_s = Some(1849.4);
        assert_eq!(
            live.message(Some(5.26)),
            "sha1 × 1 (cpu 1) · sample 3/5 · 1849 MB/s · 5.3 W"
        );
        live.done = 5;
        assert!(live.message(None).contains("sample 5/5"));
    }
}
