//! Wattmeters read over a serial port (or a USB-TMC file): one trait, one
//! decoder per wire format (`decode.rs`), one small driver per meter here.
//! What a hobbyist's meter cannot do here — exist — is replaced in tests by
//! a simulator speaking the same bytes on a pseudo-terminal.
mod decode;
mod monitor;
mod pzem;
mod serial;
mod spec;
mod um;
mod values;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use decode::{line_decode, scpi_decode, wattsup_decode};
pub use monitor::{stats_of, Monitor, PowerStats};
pub use pzem::{modbus_crc, pzem_decode};
pub use serial::Port;
pub use spec::{LineUnit, MeterSpec, Protocol};
pub use um::{um34c_checksum, um_decode, UmModel, UM_FRAME};
pub use values::Values;

use pzem::Pzem;
use serial::{Link, REPLY_TIMEOUT};
use um::Um;
use values::reading;

/// How often a meter is read during a run: meters update once or twice a
/// second.
pub const PERIOD: Duration = Duration::from_millis(500);
/// Readings after a load change that are dropped: meters lag it.
pub const SETTLE: Duration = Duration::from_secs(2);
/// Readings a measured row needs at least.
pub const MIN_READINGS: u32 = 10;

/// The shortest sample, out of `samples`, that gives a metered measurement
/// [`MIN_READINGS`] readings after [`SETTLE`].
pub fn min_sample_time(samples: usize) -> Duration {
    // One period spare: a window of N periods can catch N − 1 readings.
    let wanted = SETTLE + PERIOD * (MIN_READINGS + 1);
    wanted.div_f64(samples.max(1) as f64)
}

/// One reading, stamped when it arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: Instant,
    pub watts: f64,
    pub volts: Option<f64>,
    pub amps: Option<f64>,
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

/// Watts up? PRO: told once to stream a record per second.
struct Wattsup {
    link: Link,
}

impl Meter for Wattsup {
    fn protocol(&self) -> &'static str {
        "wattsup"
    }
    fn port(&self) -> &str {
        &self.link.path
    }
    fn read(&mut self) -> Result<Reading, MeterError> {
        loop {
            let packet = self.link.until(|p| {
                let start = p.iter().position(|&b| b == b'#');
                match start {
                    None => {
                        p.clear();
                        None
                    }
                    Some(s) => {
                        p.drain(..s);
                        p.iter().position(|&b| b == b';').map(|e| e + 1)
                    }
                }
            })?;
            let text = String::from_utf8_lossy(&packet).to_string();
            if text.starts_with("#d") {
                return wattsup_decode(&text)
                    .map(reading)
                    .map_err(|e| self.link.bad(e));
            }
        }
    }
}

/// SCPI analysers (Yokogawa WT300 by default): query, then one reply line.
struct Scpi {
    link: Link,
    query: String,
    field: usize,
}

impl Meter for Scpi {
    fn protocol(&self) -> &'static str {
        "scpi"
    }
    fn port(&self) -> &str {
        &self.link.path
    }
    fn read(&mut self) -> Result<Reading, MeterError> {
        let q = format!("{}\n", self.query);
        self.link.send(q.as_bytes())?;
        let line = self.link.line()?;
        scpi_decode(&line, self.field)
            .map(reading)
            .map_err(|e| self.link.bad(e))
    }
}

/// Devices that print one reading per line.
/// A device that prints readings at its own pace. A thread reads every
/// line as it arrives and keeps the newest reading, stamped on arrival:
/// polled more slowly than it prints, the meter would otherwise hand out
/// ever older lines from the port's buffer.
struct Line {
    path: String,
    shared: Arc<Mutex<LineState>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Readings handed out so far.
    seen: u64,
}

#[derive(Default)]
struct LineState {
    newest: Option<Reading>,
    count: u64,
    fault: Option<MeterError>,
    /// Why the last line without a reading was not one.
    last_bad: String,
}

fn lock_line(m: &Mutex<LineState>) -> std::sync::MutexGuard<'_, LineState> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Line {
    fn start(mut link: Link, regex: Option<regex_lite::Regex>, milli: bool) -> Line {
        let path = link.path.clone();
        let shared = Arc::new(Mutex::new(LineState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st) = (Arc::clone(&shared), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match link.line() {
                    Ok(line) if line.trim().is_empty() => {}
                    // Multi-line blocks (INA219 examples) carry power on
                    // one line of several: the others are skipped.
                    Ok(line) => {
                        let mut g = lock_line(&sh);
                        match line_decode(&line, regex.as_ref(), milli) {
                            Ok(v) => {
                                g.newest = Some(reading(v));
                                g.count += 1;
                            }
                            Err(e) => g.last_bad = e,
                        }
                    }
                    Err(MeterError::Timeout { .. }) => {}
                    Err(e) => {
                        let io = matches!(e, MeterError::Io { .. });
                        lock_line(&sh).fault = Some(e);
                        if io {
                            // An unplugged device fails at once: not a busy loop.
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    }
                }
            }
        });
        Line {
            path,
            shared,
            stop,
            thread: Some(thread),
            seen: 0,
        }
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Meter for Line {
    fn protocol(&self) -> &'static str {
        "line"
    }
    fn port(&self) -> &str {
        &self.path
    }
    /// The newest reading not handed out yet, waiting for one within the
    /// reply timeout.
    fn read(&mut self) -> Result<Reading, MeterError> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            {
                let mut g = lock_line(&self.shared);
                if let Some(fault) = g.fault.take() {
                    return Err(fault);
                }
                if let (Some(r), true) = (g.newest, g.count > self.seen) {
                    self.seen = g.count;
                    return Ok(r);
                }
                if Instant::now() >= deadline {
                    return Err(if g.last_bad.is_empty() {
                        MeterError::Timeout {
                            port: self.path.clone(),
                            ms: REPLY_TIMEOUT.as_millis(),
                        }
                    } else {
                        MeterError::Bad {
                            port: self.path.clone(),
                            what: format!("no reading in the lines it printed ({})", g.last_bad),
                        }
                    });
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The default WT300 setup: items U, I, P of element 1, values in ASCII.
const WT300_SETUP: &[&str] = &[
    ":COMM:HEAD OFF",
    ":NUM:FORM ASC",
    ":NUM:NORM:NUM 3",
    ":NUM:NORM:ITEM1 U,1",
    ":NUM:NORM:ITEM2 I,1",
    ":NUM:NORM:ITEM3 P,1",
];

/// Opens the meter that `spec` names, ready to read.
pub fn open(spec: &MeterSpec) -> Result<Box<dyn Meter>, MeterError> {
    let mut link = Link::open(spec)?;
    Ok(match spec.protocol {
        Protocol::Pzem004t | Protocol::Pzem017 => Box::new(Pzem::new(
            link,
            spec.addr,
            spec.protocol == Protocol::Pzem017,
        )),
        Protocol::Um24c => Box::new(Um::new(link, UmModel::Um24c)),
        Protocol::Um25c => Box::new(Um::new(link, UmModel::Um25c)),
        Protocol::Um34c => Box::new(Um::new(link, UmModel::Um34c)),
        Protocol::Wattsup => {
            // External logging, one record per second.
            link.send(b"#L,W,3,E,,1;")?;
            Box::new(Wattsup { link })
        }
        Protocol::Scpi => {
            let query = match &spec.query {
                Some(q) => q.clone(),
                None => {
                    for cmd in WT300_SETUP {
                        link.send(format!("{cmd}\n").as_bytes())?;
                    }
                    ":NUM:NORM:VAL?".to_string()
                }
            };
            Box::new(Scpi {
                link,
                query,
                field: spec.field.unwrap_or(2),
            })
        }
        Protocol::Line => {
            let regex = match &spec.regex {
                Some(r) => Some(regex_lite::Regex::new(r).map_err(|e| MeterError::Open {
                    port: spec.path.clone(),
                    reason: e.to_string(),
                })?),
                None => None,
            };
            Box::new(Line::start(link, regex, spec.unit == LineUnit::MilliW))
        }
    })
}

/// `sbcbench meter`: prints `count` readings (or until stopped), one a line.
pub fn live(
    spec: &MeterSpec,
    count: Option<u64>,
    interval: Duration,
    out: &mut dyn Write,
) -> Result<(), MeterError> {
    let mut meter = open(spec)?;
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
        let _ = writeln!(out, "{line}");
        n += 1;
        if count.is_none_or(|c| n < c) {
            std::thread::sleep(interval.saturating_sub(t.elapsed()));
        }
    }
    Ok(())
}
