//! Under-voltage and throttling as the board itself reports them. On a
//! Raspberry Pi `scaling_cur_freq` is the clock the kernel asked for, not
//! the one the firmware granted: a cap for heat or a sagging supply shows
//! only in the firmware's `get_throttled` bits (vendor kernels) or the
//! `rpi_volt` hwmon alarm (mainline). Read before and after every step, so
//! that a row says what happened while it ran, not only before the run.

use super::os::Os;

/// Where vendor kernels put the firmware's flags (Pi 1–4; the Pi 5's
/// firmware node sits under its own `soc@…` bus, found by [`firmware_flags`]).
pub const GET_THROTTLED: &str = "/sys/devices/platform/soc/soc:firmware/get_throttled";

/// `get_throttled` bits: 0–3 true now, 16–19 the same since boot.
pub const UNDER_VOLTAGE: u32 = 1 << 0;
pub const ARM_CAPPED: u32 = 1 << 1;
pub const THROTTLED: u32 = 1 << 2;
pub const SOFT_TEMP_LIMIT: u32 = 1 << 3;
const NOW_BITS: u32 = 0xf;
const SINCE_BOOT_SHIFT: u32 = 16;

/// The firmware's flags, or `None` where there is no such file (every
/// board but a Pi on a vendor kernel).
pub fn firmware_flags(os: &dyn Os) -> Option<u32> {
    let parse = |text: String| u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok();
    if let Some(flags) = os.read(GET_THROTTLED).and_then(parse) {
        return Some(flags);
    }
    // Pi 5: /sys/devices/platform/soc@107c000000/soc@107c000000:firmware/.
    let platform = "/sys/devices/platform";
    os.list(platform)
        .into_iter()
        .filter(|bus| bus.starts_with("soc"))
        .find_map(|bus| {
            let dir = format!("{platform}/{bus}");
            os.list(&dir)
                .into_iter()
                .filter(|node| node.ends_with(":firmware"))
                .find_map(|node| os.read(&format!("{dir}/{node}/get_throttled")))
                .and_then(parse)
        })
}

/// One hwmon alarm file that reads 1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Alarm {
    /// The chip's `name` (`rpi_volt`, `nct6775`).
    pub chip: String,
    /// The file (`in0_lcrit_alarm`, `temp1_crit_alarm`).
    pub file: String,
}

impl Alarm {
    /// A supply voltage below its limit: the `rpi_volt` chip, or an `in*`
    /// alarm for a low limit.
    pub fn is_under_voltage(&self) -> bool {
        self.chip == "rpi_volt"
            || (self.file.starts_with("in")
                && (self.file.ends_with("_lcrit_alarm") || self.file.ends_with("_min_alarm")))
    }

    /// A temperature over its limit.
    pub fn is_temperature(&self) -> bool {
        self.file.starts_with("temp")
    }

    /// `rpi_volt/in0_lcrit_alarm`, as a reason names it.
    pub fn label(&self) -> String {
        format!("{}/{}", self.chip, self.file)
    }
}

/// What the board says at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub firmware: Option<u32>,
    /// Every hwmon `*_alarm` that is on, sorted.
    pub alarms: Vec<Alarm>,
}

impl Snapshot {
    pub fn read(os: &dyn Os) -> Snapshot {
        let mut alarms = Vec::new();
        for hwmon in os.list("/sys/class/hwmon") {
            let dir = format!("/sys/class/hwmon/{hwmon}");
            let chip = os.read(&format!("{dir}/name")).unwrap_or(hwmon);
            for file in os.list(&dir) {
                if file.ends_with("_alarm")
                    && os.read(&format!("{dir}/{file}")).as_deref() == Some("1")
                {
                    alarms.push(Alarm {
                        chip: chip.clone(),
                        file,
                    });
                }
            }
        }
        alarms.sort();
        Snapshot {
            firmware: firmware_flags(os),
            alarms,
        }
    }
}

/// What a step saw, from the snapshots at the start of the run and before
/// and after the step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub under_voltage: bool,
    /// The firmware capped the ARM clock or throttled it.
    pub firmware_cap: bool,
    /// The soft temperature limit, or a temperature alarm.
    pub temperature: bool,
    /// Other alarms that came on during the run (`nct6775/fan2_alarm`).
    pub other_alarms: Vec<String>,
}

impl Evidence {
    /// A firmware bit counts when it is set "now" before or after the step,
    /// or when its "has occurred" twin appeared during it. The `rpi_volt`
    /// alarm counts whenever it is on; other hwmon alarms only when they
    /// were off at the start of the run, since desktop sensor chips keep
    /// alarms of unconnected inputs on for good.
    pub fn between(run_start: &Snapshot, before: &Snapshot, after: &Snapshot) -> Evidence {
        let mut bits = 0;
        for flags in [before.firmware, after.firmware].into_iter().flatten() {
            bits |= flags & NOW_BITS;
        }
        if let (Some(b), Some(a)) = (before.firmware, after.firmware) {
            bits |= ((a & !b) >> SINCE_BOOT_SHIFT) & NOW_BITS;
        }
        let mut e = Evidence {
            under_voltage: bits & UNDER_VOLTAGE != 0,
            firmware_cap: bits & (ARM_CAPPED | THROTTLED) != 0,
            temperature: bits & SOFT_TEMP_LIMIT != 0,
            other_alarms: Vec::new(),
        };
        for alarm in before.alarms.iter().chain(&after.alarms) {
            if alarm.chip != "rpi_volt" && run_start.alarms.contains(alarm) {
                continue;
            }
            if alarm.is_under_voltage() {
                e.under_voltage = true;
            } else if alarm.is_temperature() {
                e.temperature = true;
            } else if !e.other_alarms.contains(&alarm.label()) {
                e.other_alarms.push(alarm.label());
            }
        }
        e
    }

    pub fn any(&self) -> bool {
        self.under_voltage || self.firmware_cap || self.temperature || !self.other_alarms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::os::testing::tree;
    use crate::observe::RecordedOs;

    fn fw(flags: u32) -> Snapshot {
        Snapshot {
            firmware: Some(flags),
            alarms: Vec::new(),
        }
    }

    #[test]
    fn now_bits_count_and_since_boot_bits_only_when_new() {
        let none = Snapshot::default();
        // Under-voltage now, after the step.
        let e = Evidence::between(&none, &fw(0), &fw(0x1));
        assert!(e.under_voltage && !e.firmware_cap && !e.temperature);
        // Occurred since boot, before this step: not this step's.
        assert!(!Evidence::between(&none, &fw(0x50000), &fw(0x50000)).any());
        // Appeared during the step, gone by its end: this step's.
        let e = Evidence::between(&none, &fw(0x10000), &fw(0x70000 | 0x80000));
        assert!(!e.under_voltage && e.firmware_cap && e.temperature, "{e:?}");
        // Capped before the step started.
        assert!(Evidence::between(&none, &fw(0x2), &fw(0)).firmware_cap);
    }

    #[test]
    fn mainline_rpi_volt_alarm_and_other_alarms_that_come_on() {
        let dir = tree(&[
            ("sys/class/hwmon/hwmon0/name", "cpu_thermal"),
            ("sys/class/hwmon/hwmon0/temp1_input", "48000"),
            ("sys/class/hwmon/hwmon1/name", "rpi_volt"),
            ("sys/class/hwmon/hwmon1/in0_lcrit_alarm", "1"),
            ("sys/class/hwmon/hwmon2/name", "nct6775"),
            ("sys/class/hwmon/hwmon2/in5_alarm", "1"),
            ("sys/class/hwmon/hwmon2/fan2_alarm", "0"),
        ]);
        let os = RecordedOs::new(dir.path());
        let start = Snapshot::read(&os);
        assert_eq!(start.firmware, None);
        assert_eq!(start.alarms.len(), 2, "{start:?}");
        // On from the start: rpi_volt still counts, nct6775's in5 does not.
        let e = Evidence::between(&start, &start, &start);
        assert!(e.under_voltage && e.other_alarms.is_empty(), "{e:?}");
        std::fs::write(dir.path().join("sys/class/hwmon/hwmon2/fan2_alarm"), "1").unwrap();
        let after = Snapshot::read(&os);
        let e = Evidence::between(&start, &start, &after);
        assert_eq!(e.other_alarms, ["nct6775/fan2_alarm"]);
    }

    #[test]
    fn firmware_flags_of_vendor_kernels_and_of_the_pi_5() {
        let dir = tree(&[(
            "sys/devices/platform/soc/soc:firmware/get_throttled",
            "0x50005",
        )]);
        assert_eq!(firmware_flags(&RecordedOs::new(dir.path())), Some(0x50005));
        let dir = tree(&[(
            "sys/devices/platform/soc@107c000000/soc@107c000000:firmware/get_throttled",
            "80000",
        )]);
        assert_eq!(firmware_flags(&RecordedOs::new(dir.path())), Some(0x80000));
        assert_eq!(firmware_flags(&RecordedOs::new("/nonexistent")), None);
    }
}
