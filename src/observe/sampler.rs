//! Watches clocks and temperatures while a kernel runs, the way sbc-bench's
//! monitoring does: a board that throttles produces a figure for its
//! cooling, not for its SoC, and the result has to say so.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::cpu::{self, cpufreq_dir};
use super::os::Os;

/// What the machine did while a kernel ran.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Observation {
    /// Lowest `scaling_cur_freq` seen on the sampled CPUs.
    pub freq_min_mhz: Option<f64>,
    pub freq_max_mhz: Option<f64>,
    /// Highest plausible temperature of any sensor.
    pub temp_max_c: Option<f64>,
    /// `None` without cpufreq: nothing can be said.
    pub throttled: Option<bool>,
    pub samples: usize,
}

/// Samples in a background thread until [`Sampler::stop`]; dropping it
/// stops the thread too.
pub struct Sampler {
    os: Arc<dyn Os>,
    stop_tx: Option<mpsc::Sender<()>>,
    handle: Option<JoinHandle<Tally>>,
    /// One entry per cpufreq policy of the sampled CPUs.
    policies: Vec<PolicyWatch>,
    cpufreq: bool,
}

/// A sampled CPU: where its current clock is and what counts as full speed.
#[derive(Debug, Clone)]
struct CpuWatch {
    cur_path: String,
    reference_khz: Option<u64>,
}

#[derive(Debug, Clone)]
struct PolicyWatch {
    dir: String,
    /// The policy's CPUs, which identify it whichever `cpuN` led to it.
    members: Vec<usize>,
    reference_khz: Option<u64>,
    before: Option<String>,
}

/// The thread's running totals; a few numbers, however long the run.
#[derive(Debug, Default)]
struct Tally {
    samples: usize,
    freq_min_khz: Option<u64>,
    freq_max_khz: Option<u64>,
    temp_max_c: Option<f64>,
    below_seen: bool,
}

impl Sampler {
    /// Starts sampling `cpus` (all online CPUs when empty) every `period`.
    /// The first sample is taken one period in, so that an on-demand
    /// governor has had time to ramp up; start it after any warm-up.
    pub fn start(os: Arc<dyn Os>, cpus: &[usize], period: Duration) -> Sampler {
        let cpus: Vec<usize> = if cpus.is_empty() {
            cpu::Topology::read(os.as_ref()).online
        } else {
            cpus.to_vec()
        };
        let mut watched = Vec::new();
        let mut policies: Vec<PolicyWatch> = Vec::new();
        for &cpu in &cpus {
            let Some(dir) = cpufreq_dir(os.as_ref(), cpu) else {
                continue;
            };
            let reference_khz = reference_khz(os.as_ref(), &dir);
            watched.push(CpuWatch {
                cur_path: format!("{dir}/scaling_cur_freq"),
                reference_khz,
            });
            // CPUs of one policy share one time_in_state; count it once.
            let mut members = cpu::policy_cpus(os.as_ref(), &dir);
            if members.is_empty() {
                members = vec![cpu];
            }
            if !policies.iter().any(|p| p.members == members) {
                policies.push(PolicyWatch {
                    before: os.read(&format!("{dir}/stats/time_in_state")),
                    dir,
                    members,
                    reference_khz,
                });
            }
        }
        let cpufreq = !watched.is_empty();
        let period = period.max(Duration::from_millis(1));
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread_os = Arc::clone(&os);
        let handle = std::thread::Builder::new()
            .name("sbcbench-sampler".into())
            .spawn(move || {
                let mut tally = Tally::default();
                // Any message or a dropped sender ends the loop.
                while let Err(RecvTimeoutError::Timeout) = stop_rx.recv_timeout(period) {
                    sample(thread_os.as_ref(), &watched, &mut tally);
                }
                tally
            })
            .ok();
        Sampler {
            os,
            stop_tx: Some(stop_tx),
            handle,
            policies,
            cpufreq,
        }
    }

    /// Stops the thread and sums up what it saw.
    pub fn stop(mut self) -> Observation {
        self.stop_tx.take();
        let tally = self
            .handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let growth: Vec<(BTreeMap<u64, u64>, u64)> = self
            .policies
            .iter()
            .filter_map(|p| {
                let before = p.before.as_deref()?;
                let after = self.os.read(&format!("{}/stats/time_in_state", p.dir))?;
                Some((time_in_state_growth(before, &after), p.reference_khz?))
            })
            .collect();
        let mhz = |khz: u64| khz as f64 / 1000.0;
        Observation {
            freq_min_mhz: tally.freq_min_khz.map(mhz),
            freq_max_mhz: tally.freq_max_khz.map(mhz),
            temp_max_c: tally.temp_max_c,
            throttled: decide_throttled(self.cpufreq, tally.below_seen, &growth),
            samples: tally.samples,
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop_tx.take();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn sample(os: &dyn Os, watched: &[CpuWatch], tally: &mut Tally) {
    tally.samples += 1;
    for w in watched {
        let Some(cur) = os.read_u64(&w.cur_path) else {
            continue;
        };
        tally.freq_min_khz = Some(tally.freq_min_khz.map_or(cur, |m| m.min(cur)));
        tally.freq_max_khz = Some(tally.freq_max_khz.map_or(cur, |m| m.max(cur)));
        if let Some(reference) = w.reference_khz {
            tally.below_seen |= is_below(cur, reference);
        }
    }
    if let Some(t) = max_temperature(os) {
        tally.temp_max_c = Some(tally.temp_max_c.map_or(t, |m| m.max(t)));
    }
}

/// The clock a loaded CPU should hold. Where `cpuinfo_max_freq` is a
/// turbo/boost ceiling that only one core reaches briefly (intel_pstate,
/// amd-pstate), the guaranteed base clock is the fair reference. Where boost
/// lies above `cpuinfo_max_freq` (acpi-cpufreq), a higher `cur` is simply
/// not below. A policy whose `scaling_min_freq` equals its
/// `scaling_max_freq`, or that the `userspace` governor holds at its
/// `scaling_setspeed`, is locked there (by `sbcbench sweep`, or by hand):
/// the lock is what it should hold, and a lower step is not throttling.
fn reference_khz(os: &dyn Os, dir: &str) -> Option<u64> {
    let limit = |f: &str| os.read_u64(&format!("{dir}/{f}")).filter(|&k| k > 0);
    if let (Some(min), Some(max)) = (limit("scaling_min_freq"), limit("scaling_max_freq")) {
        if min == max {
            return Some(min);
        }
    }
    // The userspace governor's clock is the one it was set to.
    if os.read(&format!("{dir}/scaling_governor")).as_deref() == Some("userspace") {
        if let Some(khz) = limit("scaling_setspeed") {
            return Some(khz);
        }
    }
    [
        "base_frequency",
        "amd_pstate_nominal_freq",
        "cpuinfo_max_freq",
    ]
    .iter()
    .filter_map(|f| os.read_u64(&format!("{dir}/{f}")))
    .find(|&khz| khz > 0)
}

/// Whether `cur_khz` is under `reference_khz` by more than the tolerance
/// (2 %, at least 1 MHz), which absorbs rounding in the drivers' reports.
pub fn is_below(cur_khz: u64, reference_khz: u64) -> bool {
    let tolerance = (reference_khz / 50).max(1000);
    cur_khz.saturating_add(tolerance) < reference_khz
}

/// Parses `cpufreq/stats/time_in_state`: lines "kHz time(10 ms units)".
pub fn parse_time_in_state(text: &str) -> BTreeMap<u64, u64> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let khz = parts.next()?.parse().ok()?;
            let ticks = parts.next()?.parse().ok()?;
            Some((khz, ticks))
        })
        .collect()
}

/// Time spent at each frequency between two readings (only growth; a
/// counter that went backwards was reset and tells nothing).
pub fn time_in_state_growth(before: &str, after: &str) -> BTreeMap<u64, u64> {
    let before = parse_time_in_state(before);
    parse_time_in_state(after)
        .into_iter()
        .filter_map(|(khz, t)| {
            let grown = t.saturating_sub(before.get(&khz).copied().unwrap_or(0));
            (grown > 0).then_some((khz, grown))
        })
        .collect()
}

/// Whether a policy spent a meaningful share of the run below full speed.
/// A governor ramping up at the start costs a tick or two, so time below
/// the reference counts only beyond 2 % of the run.
pub fn time_in_state_throttled(growth: &BTreeMap<u64, u64>, reference_khz: u64) -> bool {
    let total: u64 = growth.values().sum();
    let below: u64 = growth
        .iter()
        .filter(|(&khz, _)| is_below(khz, reference_khz))
        .map(|(_, &t)| t)
        .sum();
    below > 0 && below * 50 > total
}

/// The throttling verdict: `None` when cpufreq is absent (nothing can be
/// known), otherwise whether a sample was below full speed or a policy's
/// `time_in_state` grew below it.
pub fn decide_throttled(
    cpufreq: bool,
    samples_below: bool,
    growth: &[(BTreeMap<u64, u64>, u64)],
) -> Option<bool> {
    if !cpufreq {
        return None;
    }
    Some(
        samples_below
            || growth
                .iter()
                .any(|(g, reference)| time_in_state_throttled(g, *reference)),
    )
}

/// The hottest plausible reading in °C: thermal zones first, hwmon
/// `temp*_input` when there are none (desktops without ACPI zones).
pub fn max_temperature(os: &dyn Os) -> Option<f64> {
    let zones = os
        .list("/sys/class/thermal")
        .into_iter()
        .filter(|name| name.starts_with("thermal_zone"))
        .filter_map(|zone| read_millicelsius(os, &format!("/sys/class/thermal/{zone}/temp")));
    if let Some(t) = zones.reduce(f64::max) {
        return Some(t);
    }
    // Prefer CPU sensors: boards expose disks and fan controllers too.
    const CPU_SENSORS: &[&str] = &[
        "coretemp",
        "k10temp",
        "zenpower",
        "cpu_thermal",
        "soc_thermal",
        "sfctemp",
    ];
    let hwmons: Vec<(String, String)> = os
        .list("/sys/class/hwmon")
        .into_iter()
        .map(|h| {
            let dir = format!("/sys/class/hwmon/{h}");
            let name = os.read(&format!("{dir}/name")).unwrap_or_default();
            (dir, name)
        })
        .collect();
    let readings = |only_cpu: bool| {
        hwmons
            .iter()
            .filter(|(_, name)| !only_cpu || CPU_SENSORS.contains(&name.as_str()))
            .flat_map(|(dir, _)| {
                os.list(dir)
                    .into_iter()
                    .filter(|f| f.starts_with("temp") && f.ends_with("_input"))
                    .filter_map(|f| read_millicelsius(os, &format!("{dir}/{f}")))
                    .collect::<Vec<_>>()
            })
            .reduce(f64::max)
    };
    readings(true).or_else(|| readings(false))
}

/// A millidegree file in °C; 0 (unimplemented sensors), values below
/// -40 °C or above 150 °C (disconnected probes, error codes) are dropped.
fn read_millicelsius(os: &dyn Os, path: &str) -> Option<f64> {
    let milli: i64 = os.read(path)?.parse().ok()?;
    let c = milli as f64 / 1000.0;
    (milli != 0 && c > -40.0 && c < 150.0).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::RecordedOs;

    #[test]
    fn hwmon_prefers_cpu_sensors_and_skips_absurd_values() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |path: &str, text: &str| {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, text).expect("write");
        };
        // A hot NVMe drive and a fan controller's unconnected probe.
        write("sys/class/hwmon/hwmon0/name", "nvme\n");
        write("sys/class/hwmon/hwmon0/temp1_input", "72850\n");
        write("sys/class/hwmon/hwmon1/name", "k10temp\n");
        write("sys/class/hwmon/hwmon1/temp1_input", "55125\n");
        write("sys/class/hwmon/hwmon1/temp3_input", "0\n");
        write("sys/class/hwmon/hwmon2/name", "nct6775\n");
        write("sys/class/hwmon/hwmon2/temp7_input", "-62000\n");
        let os = RecordedOs::new(dir.path());
        assert_eq!(max_temperature(&os), Some(55.125));
        // Thermal zones win over hwmon; 255 °C error codes are dropped.
        write("sys/class/thermal/thermal_zone0/temp", "41000\n");
        write("sys/class/thermal/thermal_zone1/temp", "255000\n");
        assert_eq!(max_temperature(&os), Some(41.0));
    }

    #[test]
    fn a_locked_policy_is_measured_against_its_lock() {
        let p = "sys/devices/system/cpu/cpufreq/policy0";
        let dir = crate::observe::os::testing::tree(&[
            (&format!("{p}/cpuinfo_max_freq"), "1500000\n"),
            (&format!("{p}/scaling_min_freq"), "600000\n"),
            (&format!("{p}/scaling_max_freq"), "1500000\n"),
        ]);
        let os = RecordedOs::new(dir.path());
        let dir_of = "/sys/devices/system/cpu/cpufreq/policy0";
        assert_eq!(reference_khz(&os, dir_of), Some(1_500_000));
        // A sweep's lock at 1000 MHz: 1000 MHz is what it should hold.
        os.write(&format!("/{p}/scaling_max_freq"), "1000000")
            .unwrap();
        os.write(&format!("/{p}/scaling_min_freq"), "1000000")
            .unwrap();
        assert_eq!(reference_khz(&os, dir_of), Some(1_000_000));
        // The userspace governor at 700 MHz, limits left wide.
        os.write(&format!("/{p}/scaling_min_freq"), "600000")
            .unwrap();
        os.write(&format!("/{p}/scaling_max_freq"), "1500000")
            .unwrap();
        std::fs::write(dir.path().join(p).join("scaling_governor"), "userspace\n").unwrap();
        std::fs::write(dir.path().join(p).join("scaling_setspeed"), "700000\n").unwrap();
        assert_eq!(reference_khz(&os, dir_of), Some(700_000));
    }

    #[test]
    fn below_honours_tolerance() {
        assert!(!is_below(1_500_000, 1_500_000));
        assert!(!is_below(1_480_000, 1_500_000)); // within 2 %
        assert!(is_below(1_400_000, 1_500_000));
        assert!(!is_below(4_400_000, 4_000_000)); // turbo above base
                                                  // Tiny clocks: the 1 MHz floor applies.
        assert!(!is_below(49_500, 50_000));
        assert!(is_below(48_000, 50_000));
    }

    #[test]
    fn time_in_state_diff_counts_growth_only() {
        let before = "408000 100\n1416000 500\n1800000 20\n";
        let after = "408000 130\n1416000 500\n1800000 920\n2016000 5\n";
        let growth = time_in_state_growth(before, after);
        assert_eq!(
            growth,
            BTreeMap::from([(408_000, 30), (1_800_000, 900), (2_016_000, 5)])
        );
        // 30 of 935 ticks below 1.8 GHz: 3 %, more than ramp-up noise.
        assert!(time_in_state_throttled(&growth, 1_800_000));
        // A reset counter (after < before) is no growth.
        assert!(time_in_state_growth("700000 50\n", "700000 10\n").is_empty());
    }

    #[test]
    fn ramp_up_tick_is_not_throttling() {
        let growth = BTreeMap::from([(600_000, 1), (1_500_000, 999)]);
        assert!(!time_in_state_throttled(&growth, 1_500_000));
        let growth = BTreeMap::from([(1_500_000, 1000)]);
        assert!(!time_in_state_throttled(&growth, 1_500_000));
    }

    #[test]
    fn verdict_combines_samples_and_time_in_state() {
        assert_eq!(decide_throttled(false, true, &[]), None);
        assert_eq!(decide_throttled(true, false, &[]), Some(false));
        assert_eq!(decide_throttled(true, true, &[]), Some(true));
        let slow = BTreeMap::from([(1_200_000, 400), (1_800_000, 600)]);
        assert_eq!(
            decide_throttled(true, false, &[(slow, 1_800_000)]),
            Some(true)
        );
    }
}
