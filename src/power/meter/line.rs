//! Devices that print readings as lines of text (INA2xx sketches, ESPHome
//! logs, JSON, CSV, a bare number): the driver with its reader thread, and
//! the line parser.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use regex_lite::Regex;

use super::serial::{Link, REPLY_TIMEOUT};
use super::values::{reading, Values};
use super::{LineUnit, Meter, MeterError, MeterSpec, Reading};

/// A device that prints readings at its own pace. A thread reads every
/// line as it arrives and keeps the newest reading, stamped on arrival:
/// polled more slowly than it prints, the meter would otherwise hand out
/// ever older lines from the port's buffer.
pub(super) struct Line {
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
    /// Compiles `spec`'s regex, if any, and starts the reader thread.
    pub(super) fn open(link: Link, spec: &MeterSpec) -> Result<Line, MeterError> {
        let regex = match &spec.regex {
            Some(r) => Some(regex_lite::Regex::new(r).map_err(|e| MeterError::Open {
                port: spec.path.clone(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        Ok(Line::start(link, regex, spec.unit == LineUnit::MilliW))
    }

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

/// Scales a number by a trailing unit (`W`, `mW`, `uW`/`µW`, `V`, `mV`,
/// `A`, `mA`); returns the base-unit value and the base unit letter.
fn scaled(number: f64, unit: &str) -> (f64, Option<char>) {
    let unit = unit.trim();
    let (prefix, base) = match unit.char_indices().last() {
        Some((i, c)) if matches!(c, 'W' | 'V' | 'A' | 'w') => {
            (&unit[..i], Some(c.to_ascii_uppercase()))
        }
        _ => ("", None),
    };
    let scale = match prefix {
        "m" => 1e-3,
        "u" | "µ" => 1e-6,
        _ => 1.0,
    };
    (number * scale, base)
}

// The patterns of the default line parser, compiled once. They are
// literals, checked by the tests: a failure to compile is a bug here.
#[allow(clippy::unwrap_used, clippy::expect_used)]
static ANSI: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\x1b\[[0-9;]*m").unwrap());
#[allow(clippy::unwrap_used, clippy::expect_used)]
static ESPHOME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"'([^']+)': Sending state (-?[0-9.]+) (\S*)").unwrap());
#[allow(clippy::unwrap_used, clippy::expect_used)]
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)"?([a-z][a-z _]*?)"?\s*[:=]\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*(µW|uW|mW|W|mV|V|mA|A)?\b"#)
        .unwrap()
});

/// A line from a generic device (INA2xx sketches, Arduino plotter, ESPHome
/// logs, JSON, CSV, a bare number). `milli`: bare numbers are mW.
pub fn line_decode(line: &str, regex: Option<&Regex>, milli: bool) -> Result<Values, String> {
    // ANSI colour codes from ESPHome's logger.
    let clean = ANSI.replace_all(line.trim(), "").to_string();
    let bare_scale = if milli { 1e-3 } else { 1.0 };
    if let Some(re) = regex {
        let caps = re
            .captures(&clean)
            .ok_or_else(|| format!("line does not match the regex: '{clean}'"))?;
        let raw = caps.get(1).map(|m| m.as_str()).unwrap_or("");
        let v: f64 = raw
            .parse()
            .map_err(|_| format!("'{raw}' is not a number"))?;
        return finite(v * bare_scale);
    }
    if let Ok(v) = clean.parse::<f64>() {
        return finite(v * bare_scale);
    }
    // ESPHome: 'Name': Sending state 2.58000 W
    if let Some(c) = ESPHOME.captures(&clean) {
        let v: f64 = c[2].parse().map_err(|_| "bad ESPHome number".to_string())?;
        let (v, base) = scaled(v, &c[3]);
        if base == Some('W') {
            return finite(v);
        }
    }
    // key <sep> number [unit] pairs, JSON included.
    let (mut power, mut volts, mut amps) = (None, None, None);
    for c in PAIR.captures_iter(&clean) {
        let key = c[1].trim().to_ascii_lowercase();
        let v: f64 = c[2].parse().unwrap_or(f64::NAN);
        let unit = c.get(3).map(|m| m.as_str()).unwrap_or("");
        let (value, _) = scaled(v, unit);
        match key.as_str() {
            "p" | "power" | "w" | "watts" | "power_w" => {
                power = Some(if unit.is_empty() {
                    v * bare_scale
                } else {
                    value
                })
            }
            "v" | "voltage" | "bus voltage" | "load voltage" | "volts" => {
                volts = volts.or(Some(value));
                if key == "load voltage" {
                    volts = Some(value);
                }
            }
            "i" | "current" | "amps" => amps = Some(value),
            _ => {}
        }
    }
    let watts = match (power, volts, amps) {
        (Some(p), _, _) => p,
        (None, Some(v), Some(i)) => v * i,
        _ => return Err(format!("no power (or voltage and current) in '{clean}'")),
    };
    let mut values = finite(watts)?;
    // "V=1e999" parses, as infinity: that is no voltage.
    values.volts = volts.filter(|v| v.is_finite());
    values.amps = amps.filter(|a| a.is_finite());
    Ok(values)
}

fn finite(watts: f64) -> Result<Values, String> {
    if watts.is_finite() {
        Ok(Values {
            watts,
            volts: None,
            amps: None,
            energy: None,
        })
    } else {
        Err("not a finite number".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::meter::values::test_util::close;

    #[test]
    fn line_variants() {
        let w = |line: &str| line_decode(line, None, false).unwrap().watts;
        assert!(close(w("V:5.04,I:0.512,P:2.58"), 2.58));
        assert!(close(w("Power:         2580.00 mW"), 2.58));
        assert!(close(w("\x1b[0;36m[D][sensor:113]: 'Board Power': Sending state 2.58000 W with 2 decimals of accuracy\x1b[0m"), 2.58));
        assert!(close(
            w(r#"{"Id":40,"Voltage":5.040,"Current":0.512,"Power":2.580}"#),
            2.58
        ));
        assert!(close(w(r#"{"v":5.0,"i":0.5}"#), 2.5));
        assert!(close(w("3.25"), 3.25));
        assert!(close(line_decode("3250", None, true).unwrap().watts, 3.25));
        let re = regex_lite::Regex::new(r"pwr=([0-9.]+)").unwrap();
        assert!(close(
            line_decode("t=1 pwr=4.5 x", Some(&re), false)
                .unwrap()
                .watts,
            4.5
        ));
        assert!(line_decode("hello world", None, false).is_err());
        assert!(line_decode("Current: 512 mA", None, false).is_err());
        // Numbers that overflow to infinity are no reading.
        assert!(line_decode("P=1e999", None, false).is_err());
        assert!(line_decode("V=1e999 I=0.5", None, false).is_err());
        let v = line_decode("P=2.5 V=1e999 I=-1e999", None, false).unwrap();
        assert_eq!((v.watts, v.volts, v.amps), (2.5, None, None));
    }
}
