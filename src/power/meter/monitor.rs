//! Samples a meter in the background, so that any window of the run can
//! ask what the board drew during it.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{open, Meter, MeterSpec, Reading};
use crate::observe::Os;
use crate::record::WattsMethod;

/// A counter's difference is used when one step of it is at most this
/// share of the difference (1 %: 100 steps at least)…
pub const COUNTER_MAX_STEP: f64 = 0.01;
/// …and it spans at least this many polls, so that not knowing when
/// within a poll the device moved its counter costs little.
pub const COUNTER_MIN_POLLS: usize = 10;

/// Power over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerStats {
    /// The energy counter's difference over the time between its first
    /// and last reading, where [`counter_mean`] trusts it, else the
    /// time-weighted (trapezoidal) mean of the readings.
    pub mean_w: f64,
    pub method: WattsMethod,
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
                        let before = g.readings.back().and_then(|b| b.energy);
                        if let (Some(b), Some(now)) = (before, r.energy) {
                            if now.joules < b.joules && g.warned.insert("counter reset") {
                                g.warnings.push(format!(
                                    "meter {}: its energy counter went back from {:.0} J to {:.0} J \
                                     (reset, or the device restarted); rows across it use the \
                                     polled readings",
                                    meter.protocol(),
                                    b.joules,
                                    now.joules
                                ));
                            }
                        }
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
    let (mean_w, method) = match counter_mean(rs) {
        Some(w) => (w, WattsMethod::EnergyCounter),
        None if rs.len() < 2 || span <= 0.0 => (
            rs.iter().map(|r| r.watts).sum::<f64>() / rs.len() as f64,
            WattsMethod::Samples,
        ),
        None => (
            rs.windows(2)
                .map(|w| (w[0].watts + w[1].watts) / 2.0 * (w[1].at - w[0].at).as_secs_f64())
                .sum::<f64>()
                / span,
            WattsMethod::Samples,
        ),
    };
    Some(PowerStats {
        mean_w,
        method,
        min_w,
        max_w,
        readings: rs.len(),
        energy_j: mean_w * length.as_secs_f64(),
    })
}

/// The mean power from the device's energy counter over `rs`, when every
/// reading has one, it never goes back (a reset or a reboot), one step of
/// it is at most [`COUNTER_MAX_STEP`] of the difference, and the readings
/// are at least [`COUNTER_MIN_POLLS`] polls apart.
pub fn counter_mean(rs: &[Reading]) -> Option<f64> {
    let (first, last) = (rs.first()?, rs.last()?);
    if rs.len() <= COUNTER_MIN_POLLS {
        return None;
    }
    let counters: Vec<_> = rs.iter().map(|r| r.energy).collect::<Option<_>>()?;
    if counters.windows(2).any(|w| w[1].joules < w[0].joules) {
        return None;
    }
    let (a, b) = (counters[0], counters[counters.len() - 1]);
    let joules = b.joules - a.joules;
    let step = a.resolution_j.max(b.resolution_j);
    let seconds = (last.at - first.at).as_secs_f64();
    (joules > 0.0 && step <= COUNTER_MAX_STEP * joules && seconds > 0.0).then(|| joules / seconds)
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
            energy: None,
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
        assert_eq!(s.method, WattsMethod::Samples);
        assert_eq!(stats_of(&[], Duration::from_secs(1)), None);
    }

    /// Readings 1 s apart at `watts`, with a counter of `step` J steps
    /// that counts `true_w` (what the board drew between the polls).
    fn counted(n: usize, watts: f64, true_w: f64, step: f64) -> Vec<Reading> {
        let t0 = Instant::now();
        (0..n)
            .map(|i| Reading {
                at: t0 + Duration::from_secs(i as u64),
                watts,
                volts: None,
                amps: None,
                energy: Some(super::super::Counter {
                    joules: (1000.0 + true_w * i as f64 / step).floor() * step,
                    resolution_j: step,
                }),
            })
            .collect()
    }

    #[test]
    fn a_fine_counter_gives_the_mean_the_polls_missed() {
        // The polls all saw 5 W; the counter saw 6 W between them.
        let rs = counted(21, 5.0, 6.0, 0.001);
        let s = stats_of(&rs, Duration::from_secs(20)).unwrap();
        assert_eq!(s.method, WattsMethod::EnergyCounter);
        assert!((s.mean_w - 6.0).abs() < 1e-3, "{s:?}");
        assert_eq!((s.min_w, s.max_w, s.readings), (5.0, 5.0, 21));
    }

    #[test]
    fn a_coarse_short_or_reset_counter_leaves_the_samples() {
        // 1 Wh steps over 20 s at 6 W: 120 J counted, a step is 3600 J.
        let coarse = counted(21, 5.0, 6.0, 3600.0);
        let s = stats_of(&coarse, Duration::from_secs(20)).unwrap();
        assert_eq!((s.method, s.mean_w), (WattsMethod::Samples, 5.0));
        // Too few polls.
        let short = counted(COUNTER_MIN_POLLS, 5.0, 6.0, 0.001);
        assert_eq!(counter_mean(&short), None);
        // A counter that went back (the plug restarted).
        let mut reset = counted(21, 5.0, 6.0, 0.001);
        if let Some(c) = reset[10].energy.as_mut() {
            c.joules = 0.0;
        }
        assert_eq!(counter_mean(&reset), None);
        // A reading without the counter.
        let mut gap = counted(21, 5.0, 6.0, 0.001);
        gap[3].energy = None;
        assert_eq!(counter_mean(&gap), None);
    }
}
