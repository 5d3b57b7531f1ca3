//! Everything that makes a figure less trustworthy, each with what to do
//! about it.

use std::fmt;

use crate::measure::around::Reason;
use crate::measure::clock::IMPLAUSIBLE_ABOVE;
use crate::measure::session::Measurement;
use crate::measure::Summary;
use crate::observe::preflight::{self, Preflight};
use crate::observe::{Os, Topology};

#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// Found before measuring (governor, no cpufreq, a hot SoC).
    Preflight(String),
    /// Other processes keep CPUs busy: said before measuring too.
    Busy(String),
    HighVariance {
        what: String,
        cv_percent: f64,
    },
    SlowFirstSample {
        what: String,
    },
    Outliers {
        what: String,
        count: usize,
        samples: usize,
    },
    NotPinned {
        what: String,
    },
    ClockMismatch {
        what: String,
        nominal_mhz: f64,
        measured_mhz: f64,
    },
    NoClock,
    Throttled {
        what: String,
        freq_min_mhz: Option<f64>,
    },
    /// Throttling seen around a step: under-voltage, a firmware cap, a
    /// temperature alarm, a measured clock below the run's start.
    ThrottleSeen {
        what: String,
        reasons: Vec<Reason>,
    },
    /// A measured clock far above cpufreq's maximum, left out of the row.
    ImplausibleClock {
        what: String,
        measured_mhz: f64,
        max_mhz: f64,
    },
    Quick,
    /// Standard input closed before every `--power ask` phase was answered.
    PowerInputClosed,
    /// The meter failed during the run (said once per kind of failure).
    Meter(String),
    /// A system tool is missing or odd: its rows are not measured.
    SystemTool(String),
    /// A sweep's step whose clock did not come: not measured.
    StepNotHeld {
        class: String,
        step_mhz: f64,
        why: NotHeld,
    },
}

/// Why a sweep's step was not measured.
#[derive(Debug, Clone, PartialEq)]
pub enum NotHeld {
    /// A write of the lock failed (the driver's error).
    Refused(String),
    /// Locked, but the clock stayed elsewhere (`None`: unreadable).
    Off(Option<f64>),
}

impl fmt::Display for NotHeld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotHeld::Refused(e) => write!(f, "cpufreq refused the lock ({e})"),
            NotHeld::Off(seen) => write!(
                f,
                "the clock {}, more than 3 % off: the firmware refused or capped the step \
                 (under-voltage, a thermal limit)",
                match seen {
                    Some(mhz) => format!("stayed at {mhz:.0} MHz"),
                    None => "could not be read".to_string(),
                }
            ),
        }
    }
}

/// A coefficient of variation above this makes the figure noisy.
pub const CV_LIMIT_PERCENT: f64 = 2.0;
/// Nominal and measured clocks disagreeing by more than this.
pub const CLOCK_MISMATCH: f64 = 0.10;

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Preflight(s) | Warning::Busy(s) => f.write_str(s),
            Warning::HighVariance { what, cv_percent } => write!(
                f,
                "{what}: samples vary by {cv_percent:.1} % (CV above {CV_LIMIT_PERCENT} %): stop other \
                 programs, set the 'performance' governor, or use a longer --min-time"
            ),
            Warning::SlowFirstSample { what } => write!(
                f,
                "{what}: the first sample was much slower than the rest (clock or caches still \
                 ramping up): use a longer --warmup"
            ),
            Warning::Outliers { what, count, samples } => write!(
                f,
                "{what}: {count} of {samples} samples {} (median/MAD): something else ran \
                 meanwhile; the median is reported, but check the machine is idle",
                if *count == 1 { "is an outlier" } else { "are outliers" }
            ),
            Warning::NotPinned { what } => write!(
                f,
                "{what}: threads could not be pinned to their CPUs (restricted cpuset or \
                 container): the scheduler may move them; run outside the container or cgroup"
            ),
            Warning::ClockMismatch { what, nominal_mhz, measured_mhz } => write!(
                f,
                "{what}: the measured clock ({measured_mhz:.0} MHz) differs from the nominal one \
                 ({nominal_mhz:.0} MHz) by more than {:.0} %: the CPU boosts, throttles or cpufreq \
                 is wrong; cycles/byte uses the nominal clock (override with --clock-mhz)",
                CLOCK_MISMATCH * 100.0
            ),
            Warning::NoClock => f.write_str(
                "no cpufreq maximum clock (a VM, or no cpufreq driver): cycles/byte is left \
                 empty (give the clock with --clock-mhz to get it), and clock speeds and \
                 throttling cannot be observed",
            ),
            Warning::Throttled { what, freq_min_mhz } => {
                write!(f, "{what}: the CPU ran below its maximum clock")?;
                if let Some(m) = freq_min_mhz {
                    write!(f, " (down to {m:.0} MHz)")?;
                }
                f.write_str(": it throttled (heat or power supply): add cooling or a better supply")
            }
            Warning::ThrottleSeen { what, reasons } => {
                let causes: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
                write!(f, "{what}: throttled ({})", causes.join("; "))?;
                for fix in throttle_fixes(reasons) {
                    write!(f, "; {fix}")?;
                }
                Ok(())
            }
            Warning::ImplausibleClock { what, measured_mhz, max_mhz } => write!(
                f,
                "{what}: the measured clock ({measured_mhz:.0} MHz) is more than {:.0} % above \
                 cpuinfo_max_freq ({max_mhz:.0} MHz), which cannot be: it is left out of the row \
                 (the timer misread, or a recorded tree that is not this machine)",
                (IMPLAUSIBLE_ABOVE - 1.0) * 100.0
            ),
            Warning::Meter(s) => f.write_str(s),
            Warning::StepNotHeld {
                class,
                step_mhz,
                why,
            } => write!(
                f,
                "{class} at {step_mhz:.0} MHz: {why}, so it was not measured"
            ),
            Warning::SystemTool(s) => write!(
                f,
                "system engine: {s}: its rows are left out, the built-in ones are measured \
                 (install the tool for like-for-like ratios, or --system-tools off)"
            ),
            Warning::PowerInputClosed => f.write_str(
                "standard input closed before every power phase was answered: the rest were \
                 skipped and their rows have no watts; pipe one answer per phase, or run in a terminal",
            ),
            Warning::Quick => f.write_str(
                "--quick: samples are too short to compare; use it as a smoke test only",
            ),
        }
    }
}

/// The warnings as people read them: one line per cause naming every
/// step it concerns, with what to do said once. A `--quick` run is told
/// nothing about noisy samples: it is a smoke test, and the only cure, a
/// full run, is what its own warning says.
pub fn summary(warnings: &[Warning], quick: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let (mut noisy, mut outliers, mut slow, mut unpinned) = (vec![], vec![], vec![], vec![]);
    let (mut mismatch, mut implausible, mut throttled) = (vec![], vec![], vec![]);
    let mut reasons: Vec<Reason> = Vec::new();
    let mut cpufreq_only = false;
    for w in warnings {
        match w {
            Warning::HighVariance { what, cv_percent } => {
                noisy.push(format!("{what} ({cv_percent:.1} %)"))
            }
            Warning::Outliers {
                what,
                count,
                samples,
            } => outliers.push(format!("{what} ({count} of {samples})")),
            Warning::SlowFirstSample { what } => slow.push(what.clone()),
            Warning::NotPinned { what } => unpinned.push(what.clone()),
            Warning::ClockMismatch {
                what,
                nominal_mhz,
                measured_mhz,
            } => mismatch.push(format!(
                "{what} ({measured_mhz:.0} vs {nominal_mhz:.0} MHz)"
            )),
            Warning::ImplausibleClock {
                what, measured_mhz, ..
            } => implausible.push(format!("{what} ({measured_mhz:.0} MHz)")),
            Warning::ThrottleSeen { what, reasons: r } => {
                let causes: Vec<String> = r.iter().map(|r| r.to_string()).collect();
                throttled.push(format!("{what} ({})", causes.join("; ")));
                for reason in r {
                    if !reasons.contains(reason) {
                        reasons.push(reason.clone());
                    }
                }
            }
            Warning::Throttled { what, freq_min_mhz } => {
                cpufreq_only = true;
                throttled.push(match freq_min_mhz {
                    Some(m) => format!("{what} (down to {m:.0} MHz)"),
                    None => what.clone(),
                });
            }
            other => lines.push(other.to_string()),
        }
    }
    let mut group = |list: &[String], cause: &str, fix: &str| {
        if !list.is_empty() {
            lines.push(format!("{cause}: {}: {fix}", list.join(", ")));
        }
    };
    if !quick {
        group(
            &noisy,
            &format!("noisy samples (CV above {CV_LIMIT_PERCENT} %)"),
            "stop other programs, set the 'performance' governor, or use a longer --min-time",
        );
        group(
            &outliers,
            "outlying samples (median/MAD)",
            "something else ran meanwhile; the median is reported, but check the machine is idle",
        );
        group(
            &slow,
            "a slow first sample",
            "clocks or caches were still ramping up; use a longer --warmup",
        );
    }
    group(
        &unpinned,
        "threads not pinned to their CPUs",
        "a restricted cpuset or container; run outside it",
    );
    group(
        &mismatch,
        &format!(
            "measured clock more than {:.0} % off the nominal one",
            CLOCK_MISMATCH * 100.0
        ),
        "the CPU boosts, throttles or cpufreq is wrong; cycles/byte uses the nominal clock \
         (override with --clock-mhz)",
    );
    group(
        &implausible,
        &format!(
            "measured clock more than {:.0} % above cpuinfo_max_freq",
            (IMPLAUSIBLE_ABOVE - 1.0) * 100.0
        ),
        "left out of the rows (the timer misread, or a recorded tree that is not this machine)",
    );
    let mut fixes = throttle_fixes(&reasons);
    if cpufreq_only && fixes.is_empty() {
        fixes.push("add cooling or a better power supply");
    }
    group(&throttled, "throttled", &fixes.join("; "));
    lines
}

/// What to do about each kind of cause, once each.
fn throttle_fixes(reasons: &[Reason]) -> Vec<&'static str> {
    let mut fixes = Vec::new();
    let mut add = |fix| {
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    };
    let heat = reasons
        .iter()
        .any(|r| matches!(r, Reason::FirmwareCap | Reason::Temperature));
    for r in reasons {
        match r {
            Reason::UnderVoltage => add(
                "the supply's voltage sagged under load: check the power supply and cable \
                 (one rated for the board, such as its official supply, and a short, thick cable)",
            ),
            Reason::FirmwareCap | Reason::Temperature => {
                add("the SoC got too hot and was held back: add a heatsink or a fan")
            }
            Reason::ClockDrop { .. } if !heat => add(
                "the cores ran slower than at the start of the run (heat or power): add a \
                 heatsink or a fan, and check the power supply",
            ),
            Reason::Alarm(_) => {
                add("a hardware monitor alarm came on: check what it watches (`sensors`)")
            }
            Reason::ClockDrop { .. } | Reason::CpufreqBelowMax => {}
        }
    }
    fixes
}

/// What makes one measurement's figures less trustworthy: noisy or
/// outlying samples, threads the OS would not pin, a clock that is not the
/// nominal one, throttling. `nominal_mhz` is the clock its cycles/byte use.
pub fn of_measurement(
    m: &Measurement,
    summary: &Summary,
    nominal_mhz: Option<f64>,
) -> Vec<Warning> {
    let what = m.step.key().to_string();
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
    if !m.measured.pinned {
        warnings.push(Warning::NotPinned { what: what.clone() });
    }
    if let (Some(nominal), Some(real)) = (nominal_mhz, m.clock_mhz) {
        if (real - nominal).abs() > CLOCK_MISMATCH * nominal {
            warnings.push(Warning::ClockMismatch {
                what: what.clone(),
                nominal_mhz: nominal,
                measured_mhz: real,
            });
        }
    }
    if let Some((measured_mhz, max_mhz)) = m.around.clock_implausible {
        warnings.push(Warning::ImplausibleClock {
            what: what.clone(),
            measured_mhz,
            max_mhz,
        });
    }
    if !m.around.reasons().is_empty() {
        warnings.push(Warning::ThrottleSeen {
            what,
            reasons: m.throttle_reasons(),
        });
    } else if m.observed.throttled == Some(true) {
        warnings.push(Warning::Throttled {
            what,
            freq_min_mhz: m.observed.freq_min_mhz,
        });
    }
    warnings
}

/// What is known before anything is measured: the preflight checks, and a
/// missing clock for cycles/byte (`clock_given`: --clock-mhz).
pub fn before_run(os: &dyn Os, topo: &Topology, quick: bool, clock_given: bool) -> Vec<Warning> {
    let mut warnings = before(os, topo, quick, clock_given, |_| true);
    // A killed sweep's locks would make this run measure a step, not the
    // board; only root can undo them, so the run says how.
    if let Ok(Some(journal)) = crate::measure::sweep::pending(os) {
        warnings.push(Warning::Preflight(match journal.running_elsewhere(os) {
            true => format!(
                "a sweep (pid {}) is running and holds the CPU clocks at its steps: this run \
                 measures them, not the board; run again when it has finished",
                journal.pid
            ),
            false => format!(
                "a sweep that did not finish (pid {}) left the CPU clocks locked at one of its \
                 steps: run `sudo sbcbench sweep --restore`, then this again",
                journal.pid
            ),
        }));
    }
    warnings
}

/// [`before_run`] for a sweep, which sets the governor's limits itself:
/// neither the governor nor a lowered `scaling_max_freq` is a warning.
pub fn before_sweep(os: &dyn Os, topo: &Topology, quick: bool) -> Vec<Warning> {
    before(os, topo, quick, true, |p| {
        !matches!(
            p,
            Preflight::GovernorNotPerformance { .. } | Preflight::FrequencyCapped { .. }
        )
    })
}

fn before(
    os: &dyn Os,
    topo: &Topology,
    quick: bool,
    clock_given: bool,
    keep: impl Fn(&Preflight) -> bool,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if quick {
        warnings.push(Warning::Quick);
    }
    let busy_window = if quick {
        std::time::Duration::from_millis(200)
    } else {
        std::time::Duration::from_secs(1)
    };
    let no_clock = !clock_given && topo.clusters.iter().any(|c| c.max_mhz.is_none());
    for p in preflight::check(os, topo, busy_window) {
        // Said once, with what it means for cycles/byte, by NoClock.
        if (no_clock && p == Preflight::NoCpufreq) || !keep(&p) {
            continue;
        }
        warnings.push(match p {
            Preflight::BusyProcesses(_) => Warning::Busy(p.to_string()),
            _ => Warning::Preflight(p.to_string()),
        });
    }
    if no_clock {
        warnings.push(Warning::NoClock);
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(what: &str, cv: f64) -> Warning {
        Warning::HighVariance {
            what: what.into(),
            cv_percent: cv,
        }
    }

    #[test]
    fn one_line_per_cause_naming_every_step() {
        let warnings = vec![
            Warning::Quick,
            noisy("sha1 × 1 (cpu 1)", 6.9),
            Warning::Outliers {
                what: "sha1 × 1 (cpu 1)".into(),
                count: 1,
                samples: 3,
            },
            noisy("xz × all (cpu 0-1)", 24.8),
            Warning::ThrottleSeen {
                what: "xz × all (cpu 0-1)".into(),
                reasons: vec![Reason::UnderVoltage],
            },
            Warning::ThrottleSeen {
                what: "sha1 × all (cpu 0-1)".into(),
                reasons: vec![Reason::UnderVoltage, Reason::Temperature],
            },
        ];
        let full = summary(&warnings, false);
        assert_eq!(full.len(), 4, "{full:#?}");
        assert_eq!(
            full[1],
            "noisy samples (CV above 2 %): sha1 × 1 (cpu 1) (6.9 %), xz × all (cpu 0-1) (24.8 %): \
             stop other programs, set the 'performance' governor, or use a longer --min-time"
        );
        assert!(full[2].starts_with("outlying samples (median/MAD): sha1 × 1 (cpu 1) (1 of 3)"));
        // Each fix once, for every cause seen.
        assert!(full[3].starts_with("throttled: xz × all (cpu 0-1) (under-voltage), sha1 × all"));
        assert_eq!(
            full[3].matches("check the power supply and cable").count(),
            1
        );
        assert!(full[3].contains("heatsink"), "{}", full[3]);
        // A smoke test is not told to measure longer.
        let quick = summary(&warnings, true);
        assert_eq!(quick.len(), 2, "{quick:#?}");
        assert!(
            quick.iter().all(|l| !l.contains("--min-time")),
            "{quick:#?}"
        );
    }

    /// What a `--quick` run on a busy VM without cpufreq says: every step
    /// noisy, some with outliers, one with a clock drop.
    #[test]
    fn a_quick_run_on_a_noisy_machine_says_at_most_five_things() {
        let mut warnings = vec![
            Warning::Quick,
            Warning::Busy("busy processes compete for the CPUs: rustc (pid 1, 98 %)".into()),
            Warning::NoClock,
        ];
        for (i, step) in ["sha1 × 1", "xz × 1", "sha1 × all", "xz × all"]
            .into_iter()
            .enumerate()
        {
            warnings.push(noisy(step, 10.0 + i as f64));
            warnings.push(Warning::Outliers {
                what: step.into(),
                count: 1,
                samples: 3,
            });
            warnings.push(Warning::SlowFirstSample { what: step.into() });
        }
        warnings.push(Warning::ThrottleSeen {
            what: "sha1 × 1".into(),
            reasons: vec![Reason::ClockDrop { percent: 6.0 }],
        });
        let said = summary(&warnings, true);
        assert!(said.len() <= 5, "{said:#?}");
        assert_eq!(said.len(), 4, "{said:#?}");
    }

    #[test]
    fn one_outlier_is_said_in_the_singular() {
        let one = Warning::Outliers {
            what: "x".into(),
            count: 1,
            samples: 3,
        };
        assert!(one.to_string().contains("1 of 3 samples is an outlier"));
    }
}
