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

impl WattsSource {
    /// A recorded source; one this version does not know counts as none.
    pub fn parse(s: &str) -> WattsSource {
        s.parse().unwrap_or_default()
    }
}
