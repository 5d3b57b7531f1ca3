//! Checks before measuring: conditions that would make the figures describe
//! the machine's configuration or its other work rather than the SoC.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::cpu::{cpufreq_dir, format_cpu_list, parse_cpu_list, Topology};
use super::os::{BusyProcess, Os};
use super::sampler::{is_below, max_temperature};

/// Processes above this share of one CPU over the window disturb results.
pub const BUSY_THRESHOLD_PERCENT: f32 = 10.0;
/// SoCs start throttling around 70–85 °C; starting this warm leaves no headroom.
pub const HOT_START_CELSIUS: f64 = 70.0;

/// One thing that is wrong before measuring.
#[derive(Debug, Clone, PartialEq)]
pub enum Preflight {
    /// The governor lowers clocks when it thinks the CPU is idle.
    GovernorNotPerformance { cpus: Vec<usize>, governor: String },
    /// Other processes compete for the CPUs.
    BusyProcesses(Vec<BusyProcess>),
    /// No cpufreq: clocks and throttling cannot be observed.
    NoCpufreq,
    /// `scaling_max_freq` caps the clock below what the CPU can do.
    FrequencyCapped {
        cpus: Vec<usize>,
        limit_mhz: f64,
        max_mhz: f64,
    },
    /// CPUs present but switched off: the machine is measured incomplete.
    CpusOffline(Vec<usize>),
    /// The SoC is already hot and will throttle sooner.
    Hot { celsius: f64 },
    /// Raspberry Pi firmware reports under-voltage or throttling
    /// (`get_throttled` bits), which cpufreq does not show.
    RaspberryPiThrottled { flags: u32 },
}

impl fmt::Display for Preflight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Preflight::GovernorNotPerformance { cpus, governor } => write!(
                f,
                "{} {} {} the '{governor}' governor: results vary with load; for stable \
                 figures run `echo performance | sudo tee \
                 /sys/devices/system/cpu/cpufreq/policy*/scaling_governor`",
                if cpus.len() == 1 { "CPU" } else { "CPUs" },
                format_cpu_list(cpus),
                if cpus.len() == 1 { "uses" } else { "use" }
            ),
            Preflight::BusyProcesses(procs) => {
                let list = procs
                    .iter()
                    .map(|p| format!("{} (pid {}, {:.0} %)", p.name, p.pid, p.cpu_percent))
                    .collect::<Vec<_>>()
                    .join(", ");
                write!(
                    f,
                    "busy processes compete for the CPUs: {list}; stop them or wait until \
                     they finish, then run again"
                )
            }
            Preflight::NoCpufreq => write!(
                f,
                "no cpufreq interface: clock speeds and throttling cannot be observed \
                 (normal in a VM or container; on a board, enable the SoC's cpufreq driver)"
            ),
            Preflight::FrequencyCapped {
                cpus,
                limit_mhz,
                max_mhz,
            } => write!(
                f,
                "CPU {} are capped at {limit_mhz:.0} MHz of {max_mhz:.0} MHz: results will \
                 be low; lift the cap with `cat cpuinfo_max_freq | sudo tee scaling_max_freq` \
                 in /sys/devices/system/cpu/cpufreq/policy*/",
                format_cpu_list(cpus)
            ),
            Preflight::CpusOffline(cpus) => write!(
                f,
                "CPU {} are offline: the machine is measured without them; bring them \
                 online with `echo 1 | sudo tee /sys/devices/system/cpu/cpuN/online`",
                format_cpu_list(cpus)
            ),
            Preflight::Hot { celsius } => write!(
                f,
                "the SoC is already at {celsius:.1} °C and will throttle sooner: let it \
                 cool down, or add a heatsink or fan"
            ),
            Preflight::RaspberryPiThrottled { flags } => {
                let mut what = Vec::new();
                if flags & 0x1_0001 != 0 {
                    what.push("under-voltage");
                }
                if flags & 0x2_0002 != 0 {
                    what.push("ARM clock capped");
                }
                if flags & 0x4_0004 != 0 {
                    what.push("throttling");
                }
                if flags & 0x8_0008 != 0 {
                    what.push("soft temperature limit");
                }
                write!(
                    f,
                    "the Raspberry Pi firmware reports {} since boot (get_throttled = {flags:#x}): \
                     use a 5 V supply that holds its voltage under load and cool the board, \
                     then reboot and run again",
                    what.join(", ")
                )
            }
        }
    }
}

/// All warnings for this machine; empty means ready to measure. Takes
/// `busy_window` to watch other processes.
pub fn check(os: &dyn Os, topo: &Topology, busy_window: Duration) -> Vec<Preflight> {
    let mut out = Vec::new();
    let with_cpufreq: Vec<(usize, String)> = topo
        .online
        .iter()
        .filter_map(|&cpu| Some((cpu, cpufreq_dir(os, cpu)?)))
        .collect();
    if with_cpufreq.is_empty() {
        out.push(Preflight::NoCpufreq);
    }

    // Governors other than performance, one warning per governor.
    let mut governors: Vec<(String, Vec<usize>)> = Vec::new();
    for (cpu, dir) in &with_cpufreq {
        let Some(governor) = os.read(&format!("{dir}/scaling_governor")) else {
            continue;
        };
        if governor == "performance" || governor.is_empty() {
            continue;
        }
        match governors.iter_mut().find(|(g, _)| *g == governor) {
            Some((_, cpus)) => cpus.push(*cpu),
            None => governors.push((governor, vec![*cpu])),
        }
    }
    out.extend(
        governors
            .into_iter()
            .map(|(governor, cpus)| Preflight::GovernorNotPerformance { cpus, governor }),
    );

    // Caps, grouped by (limit, max).
    let mut caps: Vec<(u64, u64, Vec<usize>)> = Vec::new();
    for (cpu, dir) in &with_cpufreq {
        let limit = os.read_u64(&format!("{dir}/scaling_max_freq"));
        let max = os.read_u64(&format!("{dir}/cpuinfo_max_freq"));
        if let (Some(limit), Some(max)) = (limit, max) {
            if is_below(limit, max) {
                match caps.iter_mut().find(|c| c.0 == limit && c.1 == max) {
                    Some(c) => c.2.push(*cpu),
                    None => caps.push((limit, max, vec![*cpu])),
                }
            }
        }
    }
    out.extend(
        caps.into_iter()
            .map(|(limit, max, cpus)| Preflight::FrequencyCapped {
                cpus,
                limit_mhz: limit as f64 / 1000.0,
                max_mhz: max as f64 / 1000.0,
            }),
    );

    if let Some(present) = os.read("/sys/devices/system/cpu/present") {
        let offline: Vec<usize> = parse_cpu_list(&present)
            .into_iter()
            .filter(|cpu| !topo.online.contains(cpu))
            .collect();
        if !offline.is_empty() {
            out.push(Preflight::CpusOffline(offline));
        }
    }

    if let Some(celsius) = max_temperature(os) {
        if celsius >= HOT_START_CELSIUS {
            out.push(Preflight::Hot { celsius });
        }
    }

    if let Some(flags) = super::throttle::firmware_flags(os) {
        if flags & 0xf_000f != 0 {
            out.push(Preflight::RaspberryPiThrottled { flags });
        }
    }

    let busy = os.busy_processes(busy_window, BUSY_THRESHOLD_PERCENT);
    if !busy.is_empty() {
        out.push(Preflight::BusyProcesses(busy));
    }
    out
}

/// Waits until no other process keeps a CPU busy, for at most `max`
/// (each look takes a second); `stop` (Ctrl-C) ends the wait. True when
/// the machine became idle.
pub fn wait_until_idle(os: &dyn Os, max: Duration, stop: &AtomicBool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < max && !stop.load(Ordering::Relaxed) {
        let look = std::time::Instant::now();
        if os
            .busy_processes(Duration::from_secs(1), BUSY_THRESHOLD_PERCENT)
            .is_empty()
        {
            return true;
        }
        // A recorded machine answers at once: still one look a second.
        std::thread::sleep(Duration::from_secs(1).saturating_sub(look.elapsed()));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::os::testing::tree;
    use crate::observe::RecordedOs;

    #[test]
    fn policy_dirs_caps_offline_heat_and_firmware_flags() {
        // Only cpufreq/policyN (no cpuN/cpufreq): found through related_cpus.
        let p = "sys/devices/system/cpu/cpufreq/policy0";
        let dir = tree(&[
            ("sys/devices/system/cpu/online", "0-1"),
            ("sys/devices/system/cpu/present", "0-3"),
            (&format!("{p}/related_cpus"), "0 1 2 3"),
            (&format!("{p}/scaling_governor"), "performance"),
            (&format!("{p}/cpuinfo_max_freq"), "1800000"),
            (&format!("{p}/scaling_max_freq"), "1200000"),
            ("sys/class/thermal/thermal_zone0/temp", "81234"),
            (
                "sys/devices/platform/soc/soc:firmware/get_throttled",
                "50005",
            ),
        ]);
        let os = RecordedOs::new(dir.path());
        let topo = Topology::read(&os);
        let warnings = check(&os, &topo, Duration::ZERO);
        assert_eq!(
            warnings,
            vec![
                Preflight::FrequencyCapped {
                    cpus: vec![0, 1],
                    limit_mhz: 1200.0,
                    max_mhz: 1800.0
                },
                Preflight::CpusOffline(vec![2, 3]),
                Preflight::Hot { celsius: 81.234 },
                Preflight::RaspberryPiThrottled { flags: 0x50005 },
            ]
        );
        let text = warnings[3].to_string();
        assert!(text.contains("under-voltage"), "{text}");
        assert!(text.contains("throttling"), "{text}");
        assert!(warnings[1].to_string().starts_with("CPU 2-3 are offline"));
    }

    #[test]
    fn governor_message_says_what_and_how() {
        let w = Preflight::GovernorNotPerformance {
            cpus: vec![0, 1, 2, 3],
            governor: "ondemand".into(),
        };
        let text = w.to_string();
        assert!(
            text.starts_with("CPUs 0-3 use the 'ondemand' governor"),
            "{text}"
        );
        assert!(text.contains("echo performance | sudo tee"), "{text}");
    }
}
