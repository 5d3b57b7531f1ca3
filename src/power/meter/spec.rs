//! `--meter PROTOCOL:PATH[,key=value…]`: which meter, where, and how.

use std::fmt;
use std::str::FromStr;

/// The meters sbcbench speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Pzem004t,
    Pzem017,
    Um24c,
    Um25c,
    Um34c,
    Wattsup,
    Scpi,
    Line,
}

impl Protocol {
    pub const ALL: [Protocol; 8] = [
        Protocol::Pzem004t,
        Protocol::Pzem017,
        Protocol::Um24c,
        Protocol::Um25c,
        Protocol::Um34c,
        Protocol::Wattsup,
        Protocol::Scpi,
        Protocol::Line,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Pzem004t => "pzem004t",
            Protocol::Pzem017 => "pzem017",
            Protocol::Um24c => "um24c",
            Protocol::Um25c => "um25c",
            Protocol::Um34c => "um34c",
            Protocol::Wattsup => "wattsup",
            Protocol::Scpi => "scpi",
            Protocol::Line => "line",
        }
    }

    /// Keys this protocol accepts after the path.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Protocol::Pzem004t | Protocol::Pzem017 => &["addr"],
            Protocol::Scpi => &["baud", "query", "field"],
            Protocol::Line => &["baud", "regex", "unit"],
            _ => &[],
        }
    }
}

/// Unit of the numbers a line device prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineUnit {
    W,
    MilliW,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeterSpec {
    pub protocol: Protocol,
    pub path: String,
    /// Modbus address of a PZEM (0xF8: the one meter on the bus).
    pub addr: u8,
    pub baud: Option<u32>,
    /// SCPI query that returns the numbers; `field` is the power's index.
    pub query: Option<String>,
    pub field: Option<usize>,
    /// Line devices: a regex whose first group is the number.
    pub regex: Option<String>,
    pub unit: LineUnit,
}

impl FromStr for MeterSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let known = || {
            Protocol::ALL
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (proto, rest) = s.split_once(':').ok_or_else(|| {
            format!(
                "'{s}': give PROTOCOL:PATH, e.g. pzem004t:/dev/ttyUSB0 (protocols: {})",
                known()
            )
        })?;
        let protocol = Protocol::ALL
            .into_iter()
            .find(|p| p.name() == proto.trim())
            .ok_or_else(|| format!("unknown meter protocol '{proto}'; use one of {}", known()))?;
        // The regex may contain commas: everything after `regex=` is its.
        let (head, regex) = match rest.find(",regex=") {
            Some(i) => (&rest[..i], Some(rest[i + ",regex=".len()..].to_string())),
            None => (rest, None),
        };
        let mut parts = head.split(',');
        let path = parts.next().unwrap_or("").trim().to_string();
        if path.is_empty() {
            return Err(format!(
                "{}: missing the port path, e.g. {}:/dev/ttyUSB0",
                protocol.name(),
                protocol.name()
            ));
        }
        let mut spec = MeterSpec {
            protocol,
            path,
            addr: 0xF8,
            baud: None,
            query: None,
            field: None,
            regex: None,
            unit: LineUnit::W,
        };
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in parts.filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{}: '{part}' is not key=value", protocol.name()))?;
            pairs.push((k.trim().to_string(), v.trim().to_string()));
        }
        if let Some(r) = regex {
            pairs.push(("regex".to_string(), r));
        }
        for (key, value) in pairs {
            if !protocol.keys().contains(&key.as_str()) {
                let allowed = protocol.keys();
                return Err(if allowed.is_empty() {
                    format!(
                        "{}: unknown key '{key}'; this meter takes no options",
                        protocol.name()
                    )
                } else {
                    format!(
                        "{}: unknown key '{key}'; use {}",
                        protocol.name(),
                        allowed.join(", ")
                    )
                });
            }
            let bad = |what: &str| format!("{}: {key}='{value}' is not {what}", protocol.name());
            match key.as_str() {
                "addr" => {
                    let n = match value
                        .strip_prefix("0x")
                        .or_else(|| value.strip_prefix("0X"))
                    {
                        Some(hex) => u8::from_str_radix(hex, 16).ok(),
                        None => value.parse().ok(),
                    };
                    spec.addr = n
                        .filter(|a| (1..=0xF8).contains(a))
                        .ok_or_else(|| bad("a Modbus address from 1 to 0xF8"))?;
                }
                "baud" => {
                    spec.baud = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|b| *b > 0)
                            .ok_or_else(|| bad("a baud rate"))?,
                    );
                }
                "query" => spec.query = Some(value),
                "field" => {
                    spec.field = Some(value.parse().map_err(|_| bad("a field index (0, 1, …)"))?)
                }
                "regex" => {
                    let re =
                        regex_lite::Regex::new(&value).map_err(|e| format!("line: regex: {e}"))?;
                    if re.captures_len() < 2 {
                        return Err(
                            "line: regex needs a group around the number, e.g. power=([0-9.]+)"
                                .into(),
                        );
                    }
                    spec.regex = Some(value);
                }
                "unit" => {
                    spec.unit = match value.as_str() {
                        "W" | "w" => LineUnit::W,
                        "mW" | "mw" => LineUnit::MilliW,
                        _ => return Err(bad("W or mW")),
                    }
                }
                _ => unreachable!("keys are checked above"),
            }
        }
        Ok(spec)
    }
}

impl fmt::Display for MeterSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.protocol.name(), self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        let s: MeterSpec = "pzem004t:/dev/ttyUSB0".parse().unwrap();
        assert_eq!(
            (s.protocol, s.path.as_str(), s.addr),
            (Protocol::Pzem004t, "/dev/ttyUSB0", 0xF8)
        );
        let s: MeterSpec = "pzem004t:/dev/ttyUSB0,addr=0x01".parse().unwrap();
        assert_eq!(s.addr, 1);
        let s: MeterSpec = "scpi:/dev/usbtmc0,baud=9600,query=:NUM:VAL?,field=2"
            .parse()
            .unwrap();
        assert_eq!(
            (s.baud, s.query.as_deref(), s.field),
            (Some(9600), Some(":NUM:VAL?"), Some(2))
        );
        let s: MeterSpec = "line:/dev/ttyACM0,unit=mW,regex=P=([0-9.]+),x"
            .parse()
            .unwrap();
        assert_eq!(
            (s.unit, s.regex.as_deref()),
            (LineUnit::MilliW, Some("P=([0-9.]+),x"))
        );
        assert_eq!(
            "um25c:/dev/rfcomm0".parse::<MeterSpec>().unwrap().protocol,
            Protocol::Um25c
        );
    }

    #[test]
    fn mistakes_name_the_part() {
        for (spec, want) in [
            ("pzem:/dev/x", "unknown meter protocol 'pzem'"),
            ("pzem004t", "PROTOCOL:PATH"),
            ("pzem004t:", "missing the port path"),
            ("pzem004t:/dev/x,speed=9600", "unknown key 'speed'"),
            ("pzem004t:/dev/x,addr=0x100", "addr='0x100'"),
            ("um25c:/dev/x,addr=1", "takes no options"),
            ("line:/dev/x,unit=kW", "unit='kW'"),
            ("line:/dev/x,regex=([", "regex"),
            ("line:/dev/x,regex=power", "group"),
        ] {
            let err = spec.parse::<MeterSpec>().unwrap_err();
            assert!(err.contains(want), "{spec}: {err}");
        }
    }
}
