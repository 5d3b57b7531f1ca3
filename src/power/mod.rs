//! Power: everything about watts. Whole-board power per load phase (idle,
//! one core, half the cores, all cores — the article's four wattmeter
//! readings) comes from a meter (`meter/`, one file per protocol, sampled by
//! `meter/monitor.rs`), a typed reading (`typed.rs`, `ask.rs`) or a `fixed:`
//! figure ([`PowerMode`]). `events.rs` is the phase-line format a run prints
//! for a meter elsewhere, and `attribute.rs` the one rule that gives every
//! row its watts, locally and in the fleet.
mod ask;
pub mod attribute;
pub mod events;
mod idle;
pub mod meter;
mod stdin;
mod typed;

use std::fmt;
use std::str::FromStr;

/// Defined with the row it describes; power decides its value.
pub use crate::record::WattsSource;
pub use ask::{ask_power, ask_power_on, phases_for};
pub use idle::idle_phase;
pub use stdin::{is_stopped, StopAwareLines};
pub use typed::{ask_phases, parse_typed_watts, PromptOutcome};

use crate::measure::ThreadMode;

/// A load level of the power measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    Idle,
    One,
    Half,
    All,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Idle, Phase::One, Phase::Half, Phase::All];

    /// The key in `--power fixed:` and in boards.toml's `power`.
    pub fn key(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::One => "1",
            Phase::Half => "half",
            Phase::All => "all",
        }
    }

    /// The phase whose power applies to a row measured with `mode` on
    /// `threads` threads out of `online` CPUs.
    pub fn for_row(mode: ThreadMode, threads: usize, online: usize) -> Option<Phase> {
        match mode {
            ThreadMode::One => Some(Phase::One),
            ThreadMode::Half => Some(Phase::Half),
            ThreadMode::All => Some(Phase::All),
            ThreadMode::Count(n) if n == online => Some(Phase::All),
            ThreadMode::Count(n) if n == (online / 2).max(1) && n == threads => Some(Phase::Half),
            ThreadMode::Count(_) => None,
        }
    }

    /// Threads busy in this phase on a machine with `online` CPUs.
    pub fn threads(self, online: usize) -> usize {
        match self {
            Phase::Idle => 0,
            Phase::One => 1,
            Phase::Half => (online / 2).max(1),
            Phase::All => online,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Idle => "idle",
            Phase::One => "1 core",
            Phase::Half => "half the cores",
            Phase::All => "all cores",
        })
    }
}

/// Watts per phase; `None` where unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseWatts {
    pub idle: Option<f64>,
    pub one: Option<f64>,
    pub half: Option<f64>,
    pub all: Option<f64>,
}

impl PhaseWatts {
    pub fn get(&self, phase: Phase) -> Option<f64> {
        match phase {
            Phase::Idle => self.idle,
            Phase::One => self.one,
            Phase::Half => self.half,
            Phase::All => self.all,
        }
    }

    pub fn set(&mut self, phase: Phase, watts: Option<f64>) {
        let slot = match phase {
            Phase::Idle => &mut self.idle,
            Phase::One => &mut self.one,
            Phase::Half => &mut self.half,
            Phase::All => &mut self.all,
        };
        *slot = watts;
    }

    pub fn is_empty(&self) -> bool {
        Phase::ALL.iter().all(|p| self.get(*p).is_none())
    }
}

/// The largest whole-board power sbcbench believes: above it, a typo.
pub const MAX_WATTS: f64 = 5000.0;

/// Checks one figure of power: positive, finite, at most [`MAX_WATTS`].
pub fn check_watts(w: f64) -> Result<f64, String> {
    if !w.is_finite() || w <= 0.0 {
        return Err(format!(
            "{w} W is not a power reading; give a positive number of watts"
        ));
    }
    if w > MAX_WATTS {
        return Err(format!(
            "{w} W is more than {MAX_WATTS} W; did you mean mW?"
        ));
    }
    Ok(w)
}

/// `--power`: where the watts of each phase come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PowerMode {
    /// No power figures (unless a meter is given).
    #[default]
    None,
    /// Ask the user for the meter's reading while a load runs.
    Ask,
    /// Given on the command line or in boards.toml.
    Fixed(PhaseWatts),
}

impl FromStr for PowerMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(PowerMode::None),
            "ask" => Ok(PowerMode::Ask),
            _ => {
                let Some(list) = s.strip_prefix("fixed:") else {
                    return Err(format!(
                        "'{s}': use none, ask, or fixed:idle=W,1=W,half=W,all=W (any of the four keys)"
                    ));
                };
                let mut watts = PhaseWatts::default();
                for part in list.split(',').filter(|p| !p.trim().is_empty()) {
                    let (key, value) = part.split_once('=').ok_or_else(|| {
                        format!("fixed: '{part}' is not key=watts, e.g. all=13.1")
                    })?;
                    let phase = Phase::ALL
                        .into_iter()
                        .find(|p| p.key() == key.trim())
                        .ok_or_else(|| {
                            format!(
                                "fixed: unknown phase '{}'; the phases are idle, 1, half, all",
                                key.trim()
                            )
                        })?;
                    if watts.get(phase).is_some() {
                        return Err(format!("fixed: phase '{}' given twice", phase.key()));
                    }
                    let w: f64 = value.trim().parse().map_err(|_| {
                        format!(
                            "fixed: {}='{}' is not a number of watts",
                            phase.key(),
                            value.trim()
                        )
                    })?;
                    watts.set(
                        phase,
                        Some(check_watts(w).map_err(|e| format!("fixed: {}: {e}", phase.key()))?),
                    );
                }
                if watts.is_empty() {
                    return Err(
                        "fixed: give at least one phase, e.g. fixed:1=10.4,all=13.1".to_string()
                    );
                }
                Ok(PowerMode::Fixed(watts))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fixed_power() {
        let PowerMode::Fixed(w) = "fixed:idle=7.4,1=10.4,half=11.2,all=13.1".parse().unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (w.idle, w.one, w.half, w.all),
            (Some(7.4), Some(10.4), Some(11.2), Some(13.1))
        );
        let PowerMode::Fixed(w) = "fixed:all=13.1".parse().unwrap() else {
            panic!()
        };
        assert_eq!((w.one, w.all), (None, Some(13.1)));
        assert_eq!("ask".parse(), Ok(PowerMode::Ask));
        for bad in [
            "fixed:",
            "fixed:two=3",
            "fixed:1=-3",
            "fixed:1=abc",
            "fixed:1=6000",
            "fixed:1=2,1=3",
            "maybe",
        ] {
            assert!(bad.parse::<PowerMode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rows_map_to_phases() {
        assert_eq!(Phase::for_row(ThreadMode::One, 1, 4), Some(Phase::One));
        assert_eq!(Phase::for_row(ThreadMode::Count(4), 4, 4), Some(Phase::All));
        assert_eq!(
            Phase::for_row(ThreadMode::Count(2), 2, 4),
            Some(Phase::Half)
        );
        assert_eq!(Phase::for_row(ThreadMode::Count(3), 3, 4), None);
        assert_eq!(Phase::Half.threads(6), 3);
    }
}
