//! Samples a meter in the background, so that any window of the run can
//! ask what the board drew during it.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{open, Meter, MeterSpec, Reading};
use crate::observe::Os;

/// Power over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerStats {
    /// Time-weighted (trapezoidal) mean of the readings.
    pub mean_w: f64,
    pub min_w: f64,
    pub max_w: f64,
    pub readings: usize,
    /// mean × the window's length.
    pub energy_j: f64,
}

/// At 2 Hz, a day of readings.
const MAX_READINGS: usize = 200_000;

#[derive(Default)]
struct Shared {
    readings: VecDeque<Reading>,
    warnings: Vec<String>,
    warned: HashSet<&'static str>,
}

pub struct Monitor {
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Monitor {
    /// Polls `meter` every `period`. On failure it warns once per kind of
    /// failure, slows down, and reopens `spec` (when given, with the `Os`
    /// it was opened on) so that an unplugged meter that comes back is used
    /// again.
    pub fn start(
        mut meter: Box<dyn Meter>,
        spec: Option<(MeterSpec, Arc<dyn Os>)>,
        period: Duration,
    ) -> Monitor {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&shared), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut failures = 0u32;
            while !st.load(Ordering::Relaxed) {
                let t = Instant::now();
                match meter.read() {
                    Ok(r) => {
                        failures = 0;
                        let mut g = lock(&s);
                        if g.readings.len() == MAX_READINGS {
                            g.readings.pop_front();
                        }
                        g.readings.push_back(r);
                    }
                    Err(e) => {
                        failures += 1;
                        {
                            let mut g = lock(&s);
                            if g.warned.insert(e.kind()) {
                                g.warnings.push(format!(
                                    "meter {}: {e}; rows measured meanwhile get no watts, the run goes on",
                                    meter.protocol()
                                ));
                            }
                        }
                        if failures >= 3 {
                            if let Some(Ok(m)) = spec.as_ref().map(|(s, os)| open(s, os)) {
                                meter = m;
                            }
                        }
                    }
                }
                let wait = if failures > 0 { period * 2 } else { period };
                let end = t + wait;
                while !st.load(Ordering::Relaxed) && Instant::now() < end {
                    std::thread::sleep(Duration::from_millis(20).min(wait));
                }
            }
        });
        Monitor {
            shared,
            stop,
            thread: Some(thread),
        }
    }

    /// Readings that arrived in `[from, to]`.
    pub fn readings_between(&self, from: Instant, to: Instant) -> Vec<Reading> {
        lock(&self.shared)
            .readings
            .iter()
            .filter(|r| r.at >= from && r.at <= to)
            .copied()
            .collect()
    }

    /// Power during `[from, to]`, ignoring the first `settle` (meters lag a
    /// load change by a second or two). `None` without readings.
    pub fn stats(&self, from: Instant, to: Instant, settle: Duration) -> Option<PowerStats> {
        let rs = self.readings_between(from + settle, to);
        stats_of(&rs, to.saturating_duration_since(from))
    }

    /// Warnings so far, each kind once.
    pub fn warnings(&self) -> Vec<String> {
        lock(&self.shared).warnings.clone()
    }

    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The statistics of readings over a window of `length`.
pub fn stats_of(rs: &[Reading], length: Duration) -> Option<PowerStats> {
    let first = rs.first()?;
    let (mut min_w, mut max_w) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in rs {
        min_w = min_w.min(r.watts);
        max_w = max_w.max(r.watts);
    }
    let span = rs
        .last()
        .map(|l| (l.at - first.at).as_secs_f64())
        .unwrap_or(0.0);
    let mean_w = if rs.len() < 2 || span <= 0.0 {
        rs.iter().map(|r| r.watts).sum::<f64>() / rs.len() as f64
    } else {
        rs.windows(2)
            .map(|w| (w[0].watts + w[1].watts) / 2.0 * (w[1].at - w[0].at).as_secs_f64())
            .sum::<f64>()
            / span
    };
    Some(PowerStats {
        mean_w,
        min_w,
        max_w,
        readings: rs.len(),
        energy_j: mean_w * length.as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trapezoidal_mean_weights_by_time() {
        let t0 = Instant::now();
        let at = |ms: u64, w: f64| Reading {
            at: t0 + Duration::from_millis(ms),
            watts: w,
            volts: None,
            amps: None,
        };
        // 10 W for 1 s, then 20 W for 3 s: the mean is weighted by time.
        let rs = [at(0, 10.0), at(1000, 10.0), at(4000, 20.0)];
        let s = stats_of(&rs, Duration::from_secs(4)).unwrap();
        assert!(
            (s.mean_w - (10.0 * 1.0 + 15.0 * 3.0) / 4.0).abs() < 1e-9,
            "{s:?}"
        );
        assert_eq!((s.min_w, s.max_w, s.readings), (10.0, 20.0, 3));
        assert!((s.energy_j - s.mean_w * 4.0).abs() < 1e-9);
        assert_eq!(stats_of(&[], Duration::from_secs(1)), None);
    }
}
