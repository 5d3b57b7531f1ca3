//! `--meter PROTOCOL:PATH[,key=value…]`: which meter, where, and how.
//! PATH is a serial port, a hwmon sensor (`hwmon:ina226`), or a host
//! (`tasmota:192.168.1.50[:80]`).

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
    /// A Linux hwmon sensor (INA219/INA226/INA238/INA3221) read in sysfs.
    Hwmon,
    /// A smart plug running Tasmota, over HTTP.
    Tasmota,
}

impl Protocol {
    pub const ALL: [Protocol; 10] = [
        Protocol::Pzem004t,
        Protocol::Pzem017,
        Protocol::Um24c,
        Protocol::Um25c,
        Protocol::Um34c,
        Protocol::Wattsup,
        Protocol::Scpi,
        Protocol::Line,
        Protocol::Hwmon,
        Protocol::Tasmota,
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
            Protocol::Hwmon => "hwmon",
            Protocol::Tasmota => "tasmota",
        }
    }

    /// Keys this protocol accepts after the path.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Protocol::Pzem004t | Protocol::Pzem017 => &["addr"],
            Protocol::Scpi => &["baud", "query", "field"],
            Protocol::Line => &["baud", "regex", "unit"],
            Protocol::Hwmon => &["channel"],
            Protocol::Tasmota => &["user", "password-file"],
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
    /// hwmon: which channel (`in<N>`, `curr<N>`, `power<N>`); the first
    /// one with readings when not given.
    pub channel: Option<u32>,
    /// HTTP meters: the web user, and the file holding the password (never
    /// the password itself: command lines and results are seen by others).
    pub user: Option<String>,
    pub password_file: Option<std::path::PathBuf>,
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
            channel: None,
            user: None,
            password_file: None,
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
                "channel" => {
                    spec.channel = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|c| *c > 0)
                            .ok_or_else(|| bad("a channel number (1, 2, …)"))?,
                    )
                }
                "user" => spec.user = Some(value),
                "password-file" => spec.password_file = Some(value.into()),
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
        let s: MeterSpec = "hwmon:ina3221,channel=2".parse().unwrap();
        assert_eq!(
            (s.protocol, s.path.as_str(), s.channel),
            (Protocol::Hwmon, "ina3221", Some(2))
        );
        let s: MeterSpec = "tasmota:10.0.0.7:8080,user=admin,password-file=/etc/plug"
            .parse()
            .unwrap();
        assert_eq!(
            (
                s.protocol,
                s.path.as_str(),
                s.user.as_deref(),
                s.password_file.as_deref()
            ),
            (
                Protocol::Tasmota,
                "10.0.0.7:8080",
                Some("admin"),
                Some(std::path::Path::new("/etc/plug"))
            )
        );
        // What is shown of a spec never has the password file's contents.
        assert_eq!(s.to_string(), "tasmota:10.0.0.7:8080");
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
            ("hwmon:ina226,channel=0", "channel='0'"),
            ("tasmota:plug,password=hunter2", "unknown key 'password'"),
        ] {
            let err = spec.parse::<MeterSpec>().unwrap_err();
            assert!(err.contains(want), "{spec}: {err}");
        }
    }
}
