//! The transport every driver shares: a serial port (or a USB-TMC file)
//! opened with the protocol's settings, and a [`Link`] that sends requests
//! and collects replies within a time limit.

use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use super::{MeterError, MeterSpec, Protocol};

/// Bytes to and from the meter.
pub trait Port: Read + Write + Send {}
impl<T: Read + Write + Send> Port for T {}

/// How long one reply may take.
pub(super) const REPLY_TIMEOUT: Duration = Duration::from_millis(1500);
/// No sane reply is longer; a device that never ends a line is faulty.
const MAX_PENDING: usize = 4096;

pub(super) struct Link {
    port: Box<dyn Port>,
    pub(super) path: String,
    /// Bytes read but not yet used.
    pending: Vec<u8>,
}

impl Link {
    /// Opens the port that `spec` names, set up for its protocol.
    pub(super) fn open(spec: &MeterSpec) -> Result<Link, MeterError> {
        let path = spec.path.clone();
        let port = open_port(spec)?;
        Ok(Link {
            port,
            path,
            pending: Vec::new(),
        })
    }

    fn io(&self, source: std::io::Error) -> MeterError {
        MeterError::Io {
            port: self.path.clone(),
            source,
        }
    }

    pub(super) fn bad(&self, what: impl Into<String>) -> MeterError {
        MeterError::Bad {
            port: self.path.clone(),
            what: what.into(),
        }
    }

    pub(super) fn send(&mut self, bytes: &[u8]) -> Result<(), MeterError> {
        self.pending.clear();
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|e| self.io(e))
    }

    /// Reads more bytes until `done(pending)` says how many form a unit.
    pub(super) fn until(
        &mut self,
        mut done: impl FnMut(&mut Vec<u8>) -> Option<usize>,
    ) -> Result<Vec<u8>, MeterError> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        let mut buf = [0u8; 512];
        loop {
            if let Some(n) = done(&mut self.pending) {
                let unit: Vec<u8> = self.pending.drain(..n).collect();
                return Ok(unit);
            }
            if self.pending.len() > MAX_PENDING {
                self.pending.clear();
                return Err(self.bad(format!(
                    "{MAX_PENDING} bytes without a complete reply: not this meter's protocol"
                )));
            }
            if Instant::now() >= deadline {
                return Err(MeterError::Timeout {
                    port: self.path.clone(),
                    ms: REPLY_TIMEOUT.as_millis(),
                });
            }
            match self.port.read(&mut buf) {
                Ok(0) => std::thread::sleep(Duration::from_millis(10)),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(self.io(e)),
            }
        }
    }

    pub(super) fn line(&mut self) -> Result<String, MeterError> {
        let raw = self.until(|p| p.iter().position(|&b| b == b'\n').map(|i| i + 1))?;
        Ok(String::from_utf8_lossy(&raw)
            .trim_end_matches(['\r', '\n'])
            .to_string())
    }
}

fn open_port(spec: &MeterSpec) -> Result<Box<dyn Port>, MeterError> {
    let fail = |reason: String| MeterError::Open {
        port: spec.path.clone(),
        reason,
    };
    // A SCPI path that is not a terminal (USB-TMC's /dev/usbtmc0) is a
    // file: write a command, read the answer.
    if spec.protocol == Protocol::Scpi {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&spec.path)
            .map_err(|e| fail(explain(&e.to_string(), e.kind())))?;
        if !file.is_terminal() {
            return Ok(Box::new(file));
        }
    }
    let (baud, stop) = match spec.protocol {
        Protocol::Pzem004t => (9600, serialport::StopBits::One),
        Protocol::Pzem017 => (9600, serialport::StopBits::Two),
        Protocol::Wattsup => (115_200, serialport::StopBits::One),
        Protocol::Scpi => (spec.baud.unwrap_or(9600), serialport::StopBits::One),
        Protocol::Line => (spec.baud.unwrap_or(115_200), serialport::StopBits::One),
        // Bluetooth RFCOMM ignores the rate.
        Protocol::Um24c | Protocol::Um25c | Protocol::Um34c => (115_200, serialport::StopBits::One),
        Protocol::Hwmon
        | Protocol::Tasmota
        | Protocol::Shelly
        | Protocol::Netio
        | Protocol::Fnirsi
        | Protocol::HomeAssistant => {
            return Err(fail(format!(
                "{} is not a serial meter",
                spec.protocol.name()
            )))
        }
    };
    let port = serialport::new(&spec.path, baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(stop)
        .timeout(Duration::from_millis(100))
        .open_native()
        .map_err(|e| {
            // /dev/null, a file: opened, then refused the terminal settings.
            let tty = std::fs::File::open(&spec.path).map(|f| f.is_terminal());
            if let Ok(false) = tty {
                return fail(
                    "it is not a serial device (a tty); give the port the meter is plugged \
                     into, e.g. /dev/ttyUSB0 or /dev/ttyACM0 (see `ls /dev/tty* /dev/rfcomm*`)"
                        .to_string(),
                );
            }
            let kind = match e.kind() {
                serialport::ErrorKind::Io(k) => k,
                serialport::ErrorKind::NoDevice => std::io::ErrorKind::NotFound,
                _ => std::io::ErrorKind::Other,
            };
            fail(explain(&e.to_string(), kind))
        })?;
    Ok(Box::new(port))
}

fn explain(what: &str, kind: std::io::ErrorKind) -> String {
    match kind {
        std::io::ErrorKind::NotFound => {
            format!("{what}: no such port; check the cable and `ls /dev/tty* /dev/rfcomm*`")
        }
        std::io::ErrorKind::PermissionDenied => format!(
            "{what}: permission denied; add your user to the 'dialout' group \
             (`sudo usermod -aG dialout $USER`, then log in again)"
        ),
        _ => what.to_string(),
    }
}
