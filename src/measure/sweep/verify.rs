//! Is the class really at the step it was locked to? cpufreq takes a
//! write that firmware then ignores or caps (the Raspberry Pi's firmware
//! under a low voltage or a temperature limit, vendor kernels' thermal
//! caps), so the sweep checks the clock itself before measuring a step.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::ClassPlan;
use crate::measure::clock;
use crate::observe::Os;

/// How far the clock may be from the step: a cycle-counting loop and a
/// PLL's real rate (a 1500 MHz step at 1497 MHz) differ by a few tenths
/// of a percent; a refused step is usually a whole step off.
pub const TOLERANCE: f64 = 0.03;

/// How long a lock may take to show: clock changes take microseconds to
/// a few milliseconds; firmware that is asked through a mailbox, longer.
pub const WAIT: Duration = Duration::from_secs(2);

/// Where the clock is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The dependent-add loop on every CPU of the class at once
    /// (`measure/clock.rs`): what the cores run at, whatever cpufreq or
    /// the firmware say.
    Measured,
    /// cpufreq's own figure, `cpuinfo_cur_freq` (read from the hardware
    /// where the driver can) else `scaling_cur_freq`: only for a recorded
    /// tree, whose CPUs are not here to run the loop, or a CPU the loop
    /// does not support.
    Reported,
}

impl Probe {
    /// How the sweep's notes name it.
    pub fn describe(self) -> &'static str {
        match self {
            Probe::Measured => "the measured clock (a dependent-add loop on the class's CPUs)",
            Probe::Reported => "cpufreq's reported clock (cpuinfo_cur_freq, else scaling_cur_freq)",
        }
    }

    /// The class's clock now, in MHz (the mean over its CPUs or policies).
    pub fn read(self, os: &dyn Os, class: &ClassPlan) -> Option<f64> {
        match self {
            Probe::Measured => clock::measure_mhz_on(os, &class.cpus),
            Probe::Reported => {
                let khz: Vec<u64> = class
                    .policies
                    .iter()
                    .filter_map(|p| {
                        os.read_u64(&p.file("cpuinfo_cur_freq"))
                            .or_else(|| os.read_u64(&p.file("scaling_cur_freq")))
                    })
                    .collect();
                (khz.len() == class.policies.len() && !khz.is_empty())
                    .then(|| khz.iter().sum::<u64>() as f64 / khz.len() as f64 / 1000.0)
            }
        }
    }
}

/// Whether `mhz` is the step `khz` within [`TOLERANCE`].
pub fn matches(mhz: f64, khz: u64) -> bool {
    let step = khz as f64 / 1000.0;
    (mhz - step).abs() <= step * TOLERANCE
}

/// Reads the clock until it is the step, for at most `wait`: the clock
/// read at the step, or the last reading (`None`: nothing could be read)
/// when it never got there or `stop` was set.
pub fn confirm(
    os: &dyn Os,
    probe: Probe,
    class: &ClassPlan,
    khz: u64,
    wait: Duration,
    stop: &AtomicBool,
) -> Result<f64, Option<f64>> {
    let start = Instant::now();
    let mut last = None;
    loop {
        last = probe.read(os, class).or(last);
        match last {
            Some(mhz) if matches(mhz, khz) => return Ok(mhz),
            _ if start.elapsed() >= wait || stop.load(Ordering::Relaxed) => return Err(last),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, lock, plan_classes, Selection};
    use super::*;
    use crate::observe::Topology;

    #[test]
    fn sweep_tolerance_is_three_percent_either_way() {
        assert!(matches(1497.0, 1_500_000));
        assert!(matches(1545.0, 1_500_000));
        assert!(!matches(1546.0, 1_500_000));
        assert!(!matches(1250.0, 1_500_000));
    }

    #[test]
    fn sweep_confirms_a_step_the_firmware_took_and_not_one_it_capped() {
        let (d, os) = fixtures::copy("rpi4");
        let topo = Topology::read(&os);
        let class = &plan_classes(&os, &topo, &[], &Selection::All).unwrap()[0];
        let p = &class.policies[0];
        let stop = AtomicBool::new(false);
        lock::lock(&os, p, lock::Method::MinMax, 1_000_000).unwrap();
        // The firmware followed: cpufreq's clock is the step.
        std::fs::write(
            d.path()
                .join("sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq"),
            "1000000\n",
        )
        .unwrap();
        let wait = Duration::from_millis(100);
        let got = confirm(&os, Probe::Reported, class, 1_000_000, wait, &stop);
        assert_eq!(got, Ok(1000.0));
        // It capped 1500 at 1200 (as a Pi does when under-volted).
        lock::lock(&os, p, lock::Method::MinMax, 1_500_000).unwrap();
        std::fs::write(
            d.path()
                .join("sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq"),
            "1200000\n",
        )
        .unwrap();
        let got = confirm(&os, Probe::Reported, class, 1_500_000, wait, &stop);
        assert_eq!(got, Err(Some(1200.0)));
    }
}
