//! The typed values of the results columns that are words, each written
//! as exactly the string the schema (docs/results-schema.md) gives.

use std::fmt;
use std::str::FromStr;

/// Where a row's watts came from (`watts_source`): precedence is a meter
/// over a typed reading over a `fixed:` figure (`power::attribute`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WattsSource {
    /// No power figure.
    #[default]
    None,
    /// `--power fixed:` or boards.toml's `power`.
    Fixed,
    /// Typed at a `--power ask` prompt.
    Typed,
    /// Read from a meter of this protocol.
    Meter(String),
}

impl fmt::Display for WattsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WattsSource::None => Ok(()),
            WattsSource::Fixed => f.write_str("fixed"),
            WattsSource::Typed => f.write_str("typed"),
            WattsSource::Meter(protocol) => write!(f, "meter:{protocol}"),
        }
    }
}

impl FromStr for WattsSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" => Ok(WattsSource::None),
            "fixed" => Ok(WattsSource::Fixed),
            "typed" => Ok(WattsSource::Typed),
            _ => match s.strip_prefix("meter:") {
                Some(p) if !p.is_empty() => Ok(WattsSource::Meter(p.to_string())),
                _ => Err(format!(
                    "'{s}' is not a watts source; expected fixed, typed, meter:<protocol> or nothing"
                )),
            },
        }
    }
}

crate::serde_as_string!(WattsSource);

/// How a metered row's mean power was worked out (`watts_method`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WattsMethod {
    /// Not from a meter.
    #[default]
    None,
    /// The device's energy counter: its difference over the row's span.
    EnergyCounter,
    /// The polled readings, weighted by the time between them.
    Samples,
}

impl fmt::Display for WattsMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WattsMethod::None => "",
            WattsMethod::EnergyCounter => "energy-counter",
            WattsMethod::Samples => "samples",
        })
    }
}

impl FromStr for WattsMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" => Ok(WattsMethod::None),
            "energy-counter" => Ok(WattsMethod::EnergyCounter),
            "samples" => Ok(WattsMethod::Samples),
            _ => Err(format!(
                "'{s}' is not a watts method; expected energy-counter, samples or nothing"
            )),
        }
    }
}

crate::serde_as_string!(WattsMethod);

/// Where `clock_mhz`, the clock of cycles/byte, came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClockSource {
    /// No clock known.
    #[default]
    None,
    /// The cpufreq maximum of the CPUs used.
    CpufreqMax,
    /// `--clock-mhz`.
    User,
    /// The article's stated clock (the shipped reference rows).
    Article,
    /// `sbcbench sweep` locked the class's clock to this step and checked
    /// that it ran there: the row belongs to an efficiency curve, not to
    /// the board's comparison at its top clock.
    Sweep,
}

impl ClockSource {
    /// The word in the `clock_source` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockSource::None => "",
            ClockSource::CpufreqMax => "cpufreq-max",
            ClockSource::User => "user",
            ClockSource::Article => "article",
            ClockSource::Sweep => "sweep",
        }
    }
}

impl fmt::Display for ClockSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClockSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" => Ok(ClockSource::None),
            "cpufreq-max" => Ok(ClockSource::CpufreqMax),
            "user" => Ok(ClockSource::User),
            "article" => Ok(ClockSource::Article),
            "sweep" => Ok(ClockSource::Sweep),
            _ => Err(format!(
                "'{s}' is not a clock source; expected cpufreq-max, user, article, sweep or nothing"
            )),
        }
    }
}

crate::serde_as_string!(ClockSource);

/// How the run that measured a row went (`run_kind`): `report` prefers a
/// full run's figure over a smoke test's or a cut-short run's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunKind {
    /// Default timing to the end. Files from before the column read so.
    #[default]
    Full,
    /// `--quick`, or a `--min-time` below the default: a smoke test.
    Quick,
    /// Stopped by Ctrl-C or SIGTERM before its last step.
    Interrupted,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Full => "full",
            RunKind::Quick => "quick",
            RunKind::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "full" => Ok(RunKind::Full),
            "quick" => Ok(RunKind::Quick),
            "interrupted" => Ok(RunKind::Interrupted),
            _ => Err(format!(
                "'{s}' is not a run kind; expected full, quick or interrupted"
            )),
        }
    }
}

crate::serde_as_string!(RunKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_written_as_the_schema_string_and_read_back() {
        for (source, text) in [
            (WattsSource::None, ""),
            (WattsSource::Fixed, "fixed"),
            (WattsSource::Typed, "typed"),
            (WattsSource::Meter("pzem004t".into()), "meter:pzem004t"),
        ] {
            assert_eq!(source.to_string(), text);
            assert_eq!(text.parse::<WattsSource>(), Ok(source));
        }
        for (source, text) in [
            (ClockSource::None, ""),
            (ClockSource::CpufreqMax, "cpufreq-max"),
            (ClockSource::User, "user"),
            (ClockSource::Article, "article"),
            (ClockSource::Sweep, "sweep"),
        ] {
            assert_eq!(source.to_string(), text);
            assert_eq!(text.parse::<ClockSource>(), Ok(source));
        }
        for kind in [RunKind::Full, RunKind::Quick, RunKind::Interrupted] {
            assert_eq!(kind.to_string().parse::<RunKind>(), Ok(kind));
        }
        assert_eq!("".parse::<RunKind>(), Ok(RunKind::Full));
        assert!("meter:".parse::<WattsSource>().is_err());
        assert!("bios".parse::<ClockSource>().is_err());
    }
}
