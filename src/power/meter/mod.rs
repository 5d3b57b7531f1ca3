//! Wattmeters read over a serial port (or a USB-TMC file): one trait here,
//! the transport in `serial.rs`, and one file per protocol holding its
//! driver and its wire format as pure functions, unit-tested on real
//! captured frames: `pzem.rs`, `um.rs`, `wattsup.rs`, `scpi.rs`, `line.rs`
//! (what they decode to in `values.rs`). Meters that are no serial device:
//! a hwmon sensor in sysfs (`hwmon.rs`, read through the [`Os`] seam), and
//! devices on the LAN over HTTP (`http.rs`, with passwords and tokens from
//! `secret.rs`): Tasmota and Shelly plugs, Netio PDUs, Home Assistant
//! (`tasmota.rs`, `shelly.rs`, `netio.rs`, `homeassistant.rs`); and a
//! FNIRSI USB-C tester on a hidraw node (`fnirsi.rs`, streaming 100
//! samples a second).
//! `spec.rs` parses `--meter` specs; `monitor.rs` samples a meter in the
//! background during a run.
//! What a hobbyist's meter cannot do here — exist — is replaced in tests by
//! a simulator speaking the same bytes on a pseudo-terminal.
mod fnirsi;
mod homeassistant;
mod http;
mod hwmon;
mod line;
mod monitor;
mod netio;
mod pzem;
mod scpi;
mod secret;
mod serial;
mod shelly;
mod spec;
mod tasmota;
mod um;
mod values;
mod wattsup;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use fnirsi::{fnirsi_crc, fnirsi_decode};
pub use homeassistant::homeassistant_decode;
pub use line::line_decode;
pub use monitor::{stats_of, Monitor, PowerStats};
pub use netio::{netio_json_decode, netio_xml_decode};
pub use pzem::{modbus_crc, pzem_decode};
pub use scpi::scpi_decode;
pub use serial::Port;
pub use spec::{LineUnit, MeterSpec, Protocol, SecretSource};
pub use tasmota::tasmota_decode;
pub use um::{um34c_checksum, um_decode, UmModel, UM_FRAME};
pub use values::{Counter, Values};
pub use wattsup::wattsup_decode;

use fnirsi::Fnirsi;
use homeassistant::HomeAssistant;
use hwmon::Hwmon;
use line::Line;
use netio::Netio;
use pzem::Pzem;
use scpi::Scpi;
use serial::Link;
use shelly::Shelly;
use tasmota::Tasmota;
use um::Um;
use wattsup::Wattsup;

use crate::observe::Os;

/// How often a meter is read during a run: meters update once or twice a
/// second.
pub const PERIOD: Duration = Duration::from_millis(500);
/// Readings after a load change that are dropped: meters lag it.
pub const SETTLE: Duration = Duration::from_secs(2);
/// Readings a measured row needs at least.
pub const MIN_READINGS: u32 = 10;

/// The longest of the protocols' [`Protocol::period`]s: a meter on
/// another machine may be read this seldom.
pub const SLOWEST_PERIOD: Duration = Duration::from_secs(1);

/// The shortest sample, out of `samples`, that gives a metered measurement
/// [`MIN_READINGS`] readings after [`SETTLE`] from a meter read every
/// `period`.
pub fn min_sample_time(samples: usize, period: Duration) -> Duration {
    // One period spare: a window of N periods can catch N − 1 readings.
    let wanted = SETTLE + period * (MIN_READINGS + 1);
    wanted.div_f64(samples.max(1) as f64)
}

/// One reading, stamped when it arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: Instant,
    pub watts: f64,
    pub volts: Option<f64>,
    pub amps: Option<f64>,
    /// The device's energy counter, where it keeps one.
    pub energy: Option<Counter>,
}

#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    #[error("{port}: cannot open it: {reason}")]
    Open { port: String, reason: String },
    #[error("{port}: no answer within {ms} ms (is the meter on and the cable right?)")]
    Timeout { port: String, ms: u128 },
    #[error("{port}: {what}")]
    Bad { port: String, what: String },
    #[error("{port}: {source}")]
    Io {
        port: String,
        source: std::io::Error,
    },
}

impl MeterError {
    /// A short name of the kind of failure, so a monitor warns once per kind.
    /// This failure as one when opening: the meter was never read.
    pub fn at_open(self) -> MeterError {
        match self {
            MeterError::Open { .. } => self,
            MeterError::Bad { port, what } => MeterError::Open { port, reason: what },
            MeterError::Timeout { port, ms } => MeterError::Open {
                port,
                reason: format!("no answer within {ms} ms (is it on, and connected?)"),
            },
            MeterError::Io { port, source } => MeterError::Open {
                port,
                reason: source.to_string(),
            },
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            MeterError::Open { .. } => "open",
            MeterError::Timeout { .. } => "timeout",
            MeterError::Bad { .. } => "bad reply",
            MeterError::Io { .. } => "i/o",
        }
    }
}

/// A wattmeter.
pub trait Meter: Send {
    fn protocol(&self) -> &'static str;
    fn port(&self) -> &str;
    /// One reading; bounded in time.
    fn read(&mut self) -> Result<Reading, MeterError>;
}

/// Opens the meter that `spec` names, ready to read. `os` is where sysfs
/// meters are read (the recorded tree of `--sysroot` in tests).
pub fn open(spec: &MeterSpec, os: &Arc<dyn Os>) -> Result<Box<dyn Meter>, MeterError> {
    match spec.protocol {
        Protocol::Hwmon => return Ok(Box::new(Hwmon::open(spec, os)?)),
        Protocol::Tasmota => return Ok(Box::new(Tasmota::open(spec)?)),
        Protocol::Fnirsi => return Ok(Box::new(Fnirsi::open(spec, os)?)),
        Protocol::Netio => return Ok(Box::new(Netio::open(spec)?)),
        Protocol::HomeAssistant => return Ok(Box::new(HomeAssistant::open(spec)?)),
        Protocol::Shelly => return Ok(Box::new(Shelly::open(spec)?)),
        _ => {}
    }
    let link = Link::open(spec)?;
    Ok(match spec.protocol {
        Protocol::Pzem004t | Protocol::Pzem017 => Box::new(Pzem::new(
            link,
            spec.addr,
            spec.protocol == Protocol::Pzem017,
        )),
        Protocol::Um24c => Box::new(Um::new(link, UmModel::Um24c)),
        Protocol::Um25c => Box::new(Um::new(link, UmModel::Um25c)),
        Protocol::Um34c => Box::new(Um::new(link, UmModel::Um34c)),
        Protocol::Wattsup => Box::new(Wattsup::start(link)?),
        Protocol::Scpi => Box::new(Scpi::start(link, spec)?),
        Protocol::Line => Box::new(Line::open(link, spec)?),
        Protocol::Hwmon
        | Protocol::Tasmota
        | Protocol::Shelly
        | Protocol::Netio
        | Protocol::Fnirsi
        | Protocol::HomeAssistant => unreachable!("opened above"),
    })
}

/// `sbcbench meter`: gives `count` readings (or until stopped), one a
/// line, to `out`, which returns false when no more are wanted.
pub fn live(
    spec: &MeterSpec,
    os: &Arc<dyn Os>,
    count: Option<u64>,
    interval: Duration,
    out: &mut dyn FnMut(&str) -> bool,
) -> Result<(), MeterError> {
    let mut meter = open(spec, os)?;
    // Network devices are asked no faster than they refresh.
    let interval = if spec.protocol.period() > PERIOD {
        interval.max(spec.protocol.period())
    } else {
        interval
    };
    let started = Instant::now();
    let mut n = 0u64;
    while count.is_none_or(|c| n < c) {
        let t = Instant::now();
        let r = meter.read()?;
        let mut line = format!(
            "{:8.1} s  {:9.3} W",
            (r.at - started).as_secs_f64(),
            r.watts
        );
        if let Some(v) = r.volts {
            line.push_str(&format!("  {v:8.3} V"));
        }
        if let Some(a) = r.amps {
            line.push_str(&format!("  {a:7.4} A"));
        }
        if !out(&line) {
            return Ok(());
        }
        n += 1;
        if count.is_none_or(|c| n < c) {
            std::thread::sleep(interval.saturating_sub(t.elapsed()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_at_open_names_the_meter_once() {
        let port = || "shelly 10.0.0.8".to_string();
        for e in [
            MeterError::Timeout {
                port: port(),
                ms: 2000,
            },
            MeterError::Bad {
                port: port(),
                what: "HTTP 500".into(),
            },
            MeterError::Io {
                port: port(),
                source: std::io::Error::other("gone"),
            },
        ] {
            let text = e.at_open().to_string();
            assert_eq!(text.matches("shelly 10.0.0.8").count(), 1, "{text}");
            assert!(text.contains("cannot open it"), "{text}");
        }
    }
}
