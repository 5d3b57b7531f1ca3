//! `--meter PROTOCOL:PATH[,key=value…]`: which meter, where, and how.
//! PATH is a serial port, a hwmon sensor (`hwmon:ina226`), a hidraw node
//! (`fnirsi:/dev/hidraw0`), a host (`tasmota:192.168.1.50[:80]`) or a URL
//! (`homeassistant:http://ha.local:8123`).

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
    /// A Shelly plug or relay, Gen1 (REST) or Gen2+ (JSON-RPC), over HTTP.
    Shelly,
    /// A Netio PDU's socket, over its JSON (or XML) API.
    Netio,
    /// A FNIRSI USB-C tester (FNB48, FNB48S, FNB58, C1) on a hidraw node.
    Fnirsi,
    /// A sensor entity of Home Assistant, over its REST API.
    HomeAssistant,
}

impl Protocol {
    pub const ALL: [Protocol; 14] = [
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
        Protocol::Shelly,
        Protocol::Netio,
        Protocol::Fnirsi,
        Protocol::HomeAssistant,
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
            Protocol::Shelly => "shelly",
            Protocol::Netio => "netio",
            Protocol::Fnirsi => "fnirsi",
            Protocol::HomeAssistant => "homeassistant",
        }
    }

    /// How often the monitor reads this meter: devices on the network are
    /// asked no faster than they refresh (about once a second), the
    /// others at [`super::PERIOD`].
    pub fn period(self) -> std::time::Duration {
        match self {
            Protocol::Tasmota | Protocol::Shelly | Protocol::Netio | Protocol::HomeAssistant => {
                std::time::Duration::from_secs(1)
            }
            _ => super::PERIOD,
        }
    }

    /// Keys this protocol accepts after the path.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Protocol::Pzem004t | Protocol::Pzem017 => &["addr"],
            Protocol::Scpi => &["baud", "query", "field"],
            Protocol::Line => &["baud", "regex", "unit"],
            Protocol::Hwmon => &["channel"],
            Protocol::Tasmota => &["user", "password-file", "password-env"],
            Protocol::Shelly => &["id", "user", "password-file", "password-env"],
            Protocol::Netio => &["output", "user", "password-file", "password-env"],
            Protocol::HomeAssistant => &["entity", "token-file", "token-env"],
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
    /// HTTP meters: the web user, and where the password or token is
    /// (never the secret itself: command lines and results are seen by
    /// others).
    pub user: Option<String>,
    pub secret: Option<SecretSource>,
    /// Shelly: which switch or meter (`id=`, from 0).
    pub id: Option<u32>,
    /// Netio: which socket (`output=`, from 1).
    pub output: Option<u32>,
    /// Home Assistant: the sensor's entity id.
    pub entity: Option<String>,
}

/// Where a meter's password or token is read.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    /// A file only its owner may read (`password-file=`, `token-file=`).
    File(std::path::PathBuf),
    /// An environment variable (`password-env=`, `token-env=`).
    Env(String),
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
            secret: None,
            id: None,
            output: None,
            entity: None,
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
                "password-file" | "token-file" | "password-env" | "token-env" => {
                    if spec.secret.is_some() {
                        return Err(format!(
                            "{}: give the secret once ({key} comes after another)",
                            protocol.name()
                        ));
                    }
                    if value.is_empty() {
                        return Err(bad("a file or variable name"));
                    }
                    spec.secret = Some(if key.ends_with("-file") {
                        SecretSource::File(value.into())
                    } else {
                        SecretSource::Env(value)
                    });
                }
                "id" => spec.id = Some(value.parse().map_err(|_| bad("a number (0, 1, …)"))?),
                "output" => {
                    spec.output = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|o| *o > 0)
                            .ok_or_else(|| bad("a socket number (1, 2, …)"))?,
                    )
                }
                "entity" => {
                    if !value.contains('.') || value.contains(['/', '?', '#', ' ']) {
                        return Err(bad("an entity id such as sensor.plug_power"));
                    }
                    spec.entity = Some(value)
                }
                _ => unreachable!("keys are checked above"),
            }
        }
        let name = protocol.name();
        match protocol {
            Protocol::Netio if spec.output.is_none() => {
                return Err(format!(
                    "netio: say which socket the board is on, e.g. netio:{},output=1",
                    spec.path
                ))
            }
            Protocol::HomeAssistant if spec.entity.is_none() => {
                return Err(format!(
                    "homeassistant: say which sensor, e.g. {name}:{},entity=sensor.plug_power,token-file=~/.ha-token",
                    spec.path
                ))
            }
            Protocol::HomeAssistant if spec.secret.is_none() => {
                return Err(
                    "homeassistant: give the long-lived access token's file (token-file=) \
                     or environment variable (token-env=)"
                        .into(),
                )
            }
            _ => {}
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
                s.secret.clone()
            ),
            (
                Protocol::Tasmota,
                "10.0.0.7:8080",
                Some("admin"),
                Some(SecretSource::File("/etc/plug".into()))
            )
        );
        // What is shown of a spec never has the password file's contents.
        assert_eq!(s.to_string(), "tasmota:10.0.0.7:8080");
        let s: MeterSpec = "shelly:10.0.0.8,id=1,password-env=PLUG_PW".parse().unwrap();
        assert_eq!(
            (s.protocol, s.id, s.secret),
            (
                Protocol::Shelly,
                Some(1),
                Some(SecretSource::Env("PLUG_PW".into()))
            )
        );
        let s: MeterSpec = "netio:pdu.lab:8080,output=3".parse().unwrap();
        assert_eq!((s.path.as_str(), s.output), ("pdu.lab:8080", Some(3)));
        let s: MeterSpec =
            "homeassistant:http://ha.local:8123,entity=sensor.plug_power,token-file=/t"
                .parse()
                .unwrap();
        assert_eq!(
            (s.path.as_str(), s.entity.as_deref()),
            ("http://ha.local:8123", Some("sensor.plug_power"))
        );
        assert_eq!(
            "fnirsi:auto".parse::<MeterSpec>().unwrap().protocol,
            Protocol::Fnirsi
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
            ("hwmon:ina226,channel=0", "channel='0'"),
            ("tasmota:plug,password=hunter2", "unknown key 'password'"),
            ("tasmota:plug,password-file=a,password-env=B", "secret once"),
            ("shelly:plug,id=one", "id='one'"),
            ("netio:pdu", "which socket"),
            ("netio:pdu,output=0", "output='0'"),
            ("homeassistant:http://ha:8123,token-env=T", "which sensor"),
            ("homeassistant:http://ha:8123,entity=plug", "entity='plug'"),
            ("homeassistant:http://ha:8123,entity=sensor.p", "token"),
            ("fnirsi:auto,id=1", "takes no options"),
        ] {
            let err = spec.parse::<MeterSpec>().unwrap_err();
            assert!(err.contains(want), "{spec}: {err}");
        }
    }
}
