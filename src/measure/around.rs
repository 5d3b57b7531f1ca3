//! What happens around each measured step: a bounded wait for the SoC to
//! cool back to its pre-run temperature (so that later steps do not start
//! hotter), the clock measured on the step's CPUs just before and just
//! after it, and the board's own under-voltage and throttling reports read
//! at the same moments. A row then says what its step ran at, not what the
//! first step of its CPUs did.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::clock;
use crate::observe::sampler::max_temperature;
use crate::observe::throttle::Evidence;
use crate::observe::Os;

/// Within this of the pre-run temperature the SoC counts as cooled down:
/// sensors wander by a degree or two at idle.
pub const COOLED_WITHIN_C: f64 = 3.0;
/// How often the wait reads the temperature; also how soon Ctrl-C ends it.
pub const COOLDOWN_POLL: Duration = Duration::from_millis(250);
/// A measured clock this far below the one measured at the start of the
/// run on the same CPUs is throttling.
pub const CLOCK_DROP_PERCENT: f64 = 5.0;

/// The run's settings for the time between steps.
#[derive(Debug, Clone, Copy)]
pub struct StepWatch {
    /// The longest wait for cooling before a step; zero skips it.
    pub cooldown: Duration,
    /// The temperature read at the start of the run, the wait's aim.
    pub idle_temp_c: Option<f64>,
    /// How the wait sleeps: tests pass a no-op and a scripted sensor.
    pub sleep: fn(Duration),
}

impl StepWatch {
    /// No waiting at all.
    pub fn none() -> StepWatch {
        StepWatch {
            cooldown: Duration::ZERO,
            idle_temp_c: None,
            sleep: std::thread::sleep,
        }
    }
}

/// Waits until the hottest sensor is within [`COOLED_WITHIN_C`] of the
/// pre-run temperature, at most `watch.cooldown`, and returns how long it
/// waited. No sensor or no pre-run reading: no wait. `tell` hears the
/// temperature and the aim at every poll of a wait.
pub fn cool_down(
    os: &dyn Os,
    watch: &StepWatch,
    stop: &AtomicBool,
    tell: &mut dyn FnMut(f64, f64, Duration),
) -> Duration {
    let mut waited = Duration::ZERO;
    let Some(idle) = watch.idle_temp_c else {
        return waited;
    };
    let target = idle + COOLED_WITHIN_C;
    while waited < watch.cooldown && !stop.load(Ordering::Relaxed) {
        let Some(now) = max_temperature(os) else {
            break;
        };
        if now <= target {
            break;
        }
        tell(now, target, waited);
        (watch.sleep)(COOLDOWN_POLL);
        waited += COOLDOWN_POLL;
    }
    waited
}

/// What was seen around one step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Around {
    /// The hottest sensor when the step started (after any cooldown).
    pub temp_start_c: Option<f64>,
    /// How long the step waited for the SoC to cool.
    pub cooled: Duration,
    /// The measured clock of the step's CPUs, all busy, before and after.
    pub clock_before_mhz: Option<f64>,
    pub clock_after_mhz: Option<f64>,
    /// The same, measured on these CPUs at the start of the run.
    pub clock_reference_mhz: Option<f64>,
    /// A measured clock dropped as implausible: (measured, cpufreq max).
    pub clock_implausible: Option<(f64, f64)>,
    /// Under-voltage, firmware caps and alarms reported before or after.
    pub evidence: Evidence,
}

impl Around {
    /// The step's measured clock: the mean of before and after.
    pub fn clock_mhz(&self) -> Option<f64> {
        match (self.clock_before_mhz, self.clock_after_mhz) {
            (Some(b), Some(a)) => Some((b + a) / 2.0),
            (b, a) => b.or(a),
        }
    }

    /// How far (%) the lower of the step's clocks fell below the run's
    /// start, when more than [`CLOCK_DROP_PERCENT`].
    pub fn clock_drop_percent(&self) -> Option<f64> {
        let reference = self.clock_reference_mhz.filter(|r| *r > 0.0)?;
        let low = [self.clock_before_mhz, self.clock_after_mhz]
            .into_iter()
            .flatten()
            .reduce(f64::min)?;
        let drop = (reference - low) / reference * 100.0;
        (drop > CLOCK_DROP_PERCENT).then_some(drop)
    }

    /// Why the step counts as throttled by what was seen around it.
    pub fn reasons(&self) -> Vec<Reason> {
        let e = &self.evidence;
        let mut out = Vec::new();
        if e.under_voltage {
            out.push(Reason::UnderVoltage);
        }
        if e.firmware_cap {
            out.push(Reason::FirmwareCap);
        }
        if e.temperature {
            out.push(Reason::Temperature);
        }
        out.extend(e.other_alarms.iter().cloned().map(Reason::Alarm));
        if let Some(drop) = self.clock_drop_percent() {
            out.push(Reason::ClockDrop { percent: drop });
        }
        out
    }
}

/// One cause of a `throttled` row, as `throttle_reason` names it.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    UnderVoltage,
    FirmwareCap,
    Temperature,
    /// Another hwmon alarm that came on (`nct6775/fan2_alarm`).
    Alarm(String),
    /// The measured clock fell below the run's start.
    ClockDrop {
        percent: f64,
    },
    /// `scaling_cur_freq` or `time_in_state` below the maximum (the
    /// sampler's verdict).
    CpufreqBelowMax,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::UnderVoltage => f.write_str("under-voltage"),
            Reason::FirmwareCap => f.write_str("firmware cap"),
            Reason::Temperature => f.write_str("temperature"),
            Reason::Alarm(label) => write!(f, "alarm {label}"),
            Reason::ClockDrop { percent } => write!(f, "clock -{percent:.0} %"),
            Reason::CpufreqBelowMax => f.write_str("cpufreq below max"),
        }
    }
}

/// The measured clock of `cpus`, or `None` when it cannot be measured or
/// is implausible (then noted in `implausible`).
pub fn measured_clock(
    os: &dyn Os,
    cpus: &[usize],
    implausible: &mut Option<(f64, f64)>,
) -> Option<f64> {
    let mhz = clock::quick_mhz_on(os, cpus)?;
    match clock::implausible(os, cpus, mhz) {
        Some(ceiling) => {
            *implausible = Some((mhz, ceiling));
            None
        }
        None => Some(mhz),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::observe::os::testing::{tree, Scripted};
    use crate::observe::RecordedOs;

    fn no_sleep(_: Duration) {}

    #[test]
    fn the_wait_ends_when_the_soc_is_back_near_its_start_temperature() {
        let dir = tree(&[("sys/class/thermal/thermal_zone0/temp", "60000")]);
        // 60, 57, 54, 51 °C, then 48 forever.
        let os = Scripted::new(RecordedOs::new(dir.path())).answers(
            "/sys/class/thermal/thermal_zone0/temp",
            &["60000", "57000", "54000", "51000", "48000"],
        );
        let watch = StepWatch {
            cooldown: Duration::from_secs(30),
            idle_temp_c: Some(47.0),
            sleep: no_sleep,
        };
        let mut heard = Vec::new();
        let waited = cool_down(&os, &watch, &AtomicBool::new(false), &mut |t, aim, _| {
            heard.push((t, aim))
        });
        // 51 °C is more than 3 °C above 47; 48 is within.
        assert_eq!(
            heard.iter().map(|h| h.0).collect::<Vec<_>>(),
            [60.0, 57.0, 54.0, 51.0]
        );
        assert_eq!(heard[0].1, 50.0);
        assert_eq!(waited, COOLDOWN_POLL * 4);
    }

    #[test]
    fn the_wait_is_bounded_skipped_without_a_sensor_and_stopped_by_ctrl_c() {
        let dir = tree(&[("sys/class/thermal/thermal_zone0/temp", "80000")]);
        let os = RecordedOs::new(dir.path());
        let mut watch = StepWatch {
            cooldown: Duration::from_secs(2),
            idle_temp_c: Some(40.0),
            sleep: no_sleep,
        };
        let stop = AtomicBool::new(false);
        let waited = cool_down(&os, &watch, &stop, &mut |_, _, _| {});
        assert_eq!(waited, Duration::from_secs(2), "never cools: the bound");
        watch.cooldown = Duration::ZERO;
        assert_eq!(
            cool_down(&os, &watch, &stop, &mut |_, _, _| {}),
            Duration::ZERO
        );
        watch.cooldown = Duration::from_secs(60);
        stop.store(true, Ordering::Relaxed);
        assert_eq!(
            cool_down(&os, &watch, &stop, &mut |_, _, _| {}),
            Duration::ZERO
        );
        // Ctrl-C during the wait: at the next poll.
        let stop = AtomicBool::new(false);
        let polls = AtomicUsize::new(0);
        let waited = cool_down(&os, &watch, &stop, &mut |_, _, _| {
            if polls.fetch_add(1, Ordering::Relaxed) == 2 {
                stop.store(true, Ordering::Relaxed);
            }
        });
        assert_eq!(waited, COOLDOWN_POLL * 3);
        let empty = tree(&[]);
        let watch = StepWatch {
            idle_temp_c: Some(40.0),
            ..watch
        };
        let no_sensor = RecordedOs::new(empty.path());
        assert_eq!(
            cool_down(
                &no_sensor,
                &watch,
                &AtomicBool::new(false),
                &mut |_, _, _| {}
            ),
            Duration::ZERO
        );
    }

    #[test]
    fn a_clock_more_than_five_percent_below_the_start_is_a_reason() {
        let mut a = Around {
            clock_before_mhz: Some(1500.0),
            clock_after_mhz: Some(1300.0),
            clock_reference_mhz: Some(1500.0),
            ..Around::default()
        };
        assert_eq!(a.clock_mhz(), Some(1400.0));
        assert_eq!(a.reasons().len(), 1);
        assert_eq!(a.reasons()[0].to_string(), "clock -13 %");
        a.clock_after_mhz = Some(1440.0);
        assert!(a.reasons().is_empty(), "4 % is noise");
        a.evidence.under_voltage = true;
        a.evidence.temperature = true;
        let text: Vec<String> = a.reasons().iter().map(|r| r.to_string()).collect();
        assert_eq!(text, ["under-voltage", "temperature"]);
    }
}
