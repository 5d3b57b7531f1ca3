//! A Linux hwmon power sensor wired into the board's supply (INA219,
//! INA226, INA238, INA3221…), read in sysfs through the [`Os`] seam so that
//! tests replay recorded trees (`--sysroot`).
//!
//! Units (Documentation/hwmon/sysfs-interface.rst): `power<N>_input` µW,
//! `curr<N>_input` mA, `in<N>_input` mV. Chips without a power file (the
//! INA3221) give P = V × I from the same channel's bus voltage and current.
//! `energy<N>_input` (µJ, INA238-class parts), where the channel has one,
//! is the energy counter, counting in µJ.
//!
//! A sensor is named by its driver (`hwmon:ina226`: the first hwmon whose
//! `name` it is; `hwmonN` numbers change between boots) or by its directory
//! (`hwmon:/sys/class/hwmon/hwmon3`).

use std::sync::Arc;

use super::values::{reading, Counter, Values};
use super::{Meter, MeterError, MeterSpec, Reading};
use crate::observe::Os;

const HWMON: &str = "/sys/class/hwmon";

pub struct Hwmon {
    os: Arc<dyn Os>,
    dir: String,
    channel: u32,
    /// Has `power<N>_input`; else power is volts × amps.
    has_power: bool,
    /// Has `energy<N>_input`.
    has_energy: bool,
    port: String,
}

/// Channels that have readings: `N` of every `power<N>_input` or
/// `curr<N>_input` in `files`, sorted.
fn channels(files: &[String]) -> Vec<u32> {
    let mut out: Vec<u32> = files
        .iter()
        .filter_map(|f| {
            let n = f
                .strip_prefix("power")
                .or_else(|| f.strip_prefix("curr"))?
                .strip_suffix("_input")?;
            n.parse().ok()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Hwmon {
    pub fn open(spec: &MeterSpec, os: &Arc<dyn Os>) -> Result<Hwmon, MeterError> {
        let fail = |port: &str, reason: String| MeterError::Open {
            port: port.to_string(),
            reason,
        };
        let (dir, name) = if spec.path.starts_with('/') {
            let dir = spec.path.trim_end_matches('/').to_string();
            let name = os.read(&format!("{dir}/name")).ok_or_else(|| {
                fail(
                    &spec.path,
                    "not a hwmon directory (it has no `name`)".into(),
                )
            })?;
            (dir, name)
        } else {
            let found: Vec<(String, String)> = os
                .list(HWMON)
                .into_iter()
                .filter_map(|e| {
                    let dir = format!("{HWMON}/{e}");
                    Some((os.read(&format!("{dir}/name"))?, dir))
                })
                .collect();
            match found.iter().find(|(n, _)| *n == spec.path) {
                Some((n, d)) => (d.clone(), n.clone()),
                None => {
                    let names: Vec<String> = found
                        .iter()
                        .map(|(n, d)| format!("{n} ({})", d.rsplit('/').next().unwrap_or(d)))
                        .collect();
                    return Err(fail(
                        &spec.path,
                        if names.is_empty() {
                            format!("no hwmon sensor of that name: {HWMON} has none")
                        } else {
                            format!("no hwmon sensor of that name; found {}", names.join(", "))
                        },
                    ));
                }
            }
        };
        let files = os.list(&dir);
        let have = channels(&files);
        let channel = match spec.channel {
            Some(c) => c,
            None => *have.first().ok_or_else(|| {
                fail(
                    &dir,
                    format!("{name} has no power*_input nor curr*_input: not a power sensor"),
                )
            })?,
        };
        let has = |f: String| files.contains(&f);
        let has_power = has(format!("power{channel}_input"));
        let has_energy = has(format!("energy{channel}_input"));
        let has_volts_amps =
            has(format!("curr{channel}_input")) && has(format!("in{channel}_input"));
        if !has_power && !has_volts_amps {
            let list: Vec<String> = have.iter().map(u32::to_string).collect();
            return Err(fail(
                &dir,
                format!(
                    "{name} channel {channel} has neither power{channel}_input nor \
                     curr{channel}_input with in{channel}_input; channels with readings: {}",
                    if list.is_empty() {
                        "none".to_string()
                    } else {
                        list.join(", ")
                    }
                ),
            ));
        }
        let port = format!("{dir} ({name}, channel {channel})");
        let mut meter = Hwmon {
            os: Arc::clone(os),
            dir,
            channel,
            has_power,
            has_energy,
            port,
        };
        // A sensor whose files exist but cannot be read (a disabled
        // channel answers ENODATA) is a wrong spec, found before measuring.
        meter.read().map_err(|e| MeterError::Open {
            port: meter.port.clone(),
            reason: e.to_string(),
        })?;
        Ok(meter)
    }

    /// An integer attribute of the channel, or why there is none.
    fn value(&self, attr: &str) -> Result<f64, MeterError> {
        let file = format!("{attr}{}_input", self.channel);
        let text = self
            .os
            .read(&format!("{}/{file}", self.dir))
            .ok_or_else(|| MeterError::Bad {
                port: self.port.clone(),
                what: format!("{file} cannot be read (sensor gone or channel disabled?)"),
            })?;
        text.parse::<i64>()
            .map(|v| v as f64)
            .map_err(|_| MeterError::Bad {
                port: self.port.clone(),
                what: format!("{file} holds '{text}', not an integer"),
            })
    }

    fn optional(&self, attr: &str) -> Option<f64> {
        self.value(attr).ok()
    }
}

impl Meter for Hwmon {
    fn protocol(&self) -> &'static str {
        "hwmon"
    }

    fn port(&self) -> &str {
        &self.port
    }

    fn read(&mut self) -> Result<Reading, MeterError> {
        let values = if self.has_power {
            Values {
                watts: self.value("power")? / 1e6,
                volts: self.optional("in").map(|mv| mv / 1e3),
                amps: self.optional("curr").map(|ma| ma / 1e3),
                energy: None,
            }
        } else {
            let volts = self.value("in")? / 1e3;
            let amps = self.value("curr")? / 1e3;
            Values {
                watts: volts * amps,
                volts: Some(volts),
                amps: Some(amps),
                energy: None,
            }
        };
        // A counter file that cannot be read leaves the reading without
        // one: the row falls back to the readings.
        let energy = self
            .has_energy
            .then(|| self.optional("energy"))
            .flatten()
            .map(|uj| Counter {
                joules: uj / 1e6,
                resolution_j: 1e-6,
            });
        Ok(reading(Values { energy, ..values }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::RecordedOs;
    use crate::power::meter::values::test_util::close;

    /// A recorded `/sys/class/hwmon` with a CPU thermal zone, an INA226
    /// (bus 5.104 V, 1.25 A, 6.375 W as the driver rounds it) and an
    /// INA3221 with three channels and no power files.
    fn tree() -> (tempfile::TempDir, Arc<dyn Os>) {
        let dir = tempfile::tempdir().unwrap();
        let put = |path: &str, text: &str| {
            let p = dir.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, format!("{text}\n")).unwrap();
        };
        put("/sys/class/hwmon/hwmon0/name", "cpu_thermal");
        put("/sys/class/hwmon/hwmon0/temp1_input", "45000");
        let ina226 = "/sys/class/hwmon/hwmon1";
        for (f, v) in [
            ("name", "ina226"),
            ("in0_input", "2"),
            ("in1_input", "5104"),
            ("curr1_input", "1250"),
            ("power1_input", "6375000"),
            ("shunt_resistor", "10000"),
            ("update_interval", "35"),
        ] {
            put(&format!("{ina226}/{f}"), v);
        }
        let ina3221 = "/sys/class/hwmon/hwmon2";
        for (f, v) in [
            ("name", "ina3221"),
            ("in1_input", "12000"),
            ("in2_input", "5000"),
            ("in3_input", "3300"),
            ("curr1_input", "500"),
            ("curr2_input", "800"),
            ("curr3_input", "100"),
            ("in4_input", "400"),
            ("shunt1_resistor", "100000"),
        ] {
            put(&format!("{ina3221}/{f}"), v);
        }
        // An INA238, which also counts energy (µJ).
        let ina238 = "/sys/class/hwmon/hwmon3";
        for (f, v) in [
            ("name", "ina238"),
            ("in1_input", "5000"),
            ("curr1_input", "1000"),
            ("power1_input", "5000000"),
            ("energy1_input", "123456789"),
        ] {
            put(&format!("{ina238}/{f}"), v);
        }
        let os: Arc<dyn Os> = Arc::new(RecordedOs::new(dir.path()));
        (dir, os)
    }

    fn open(spec: &str, os: &Arc<dyn Os>) -> Result<Hwmon, MeterError> {
        Hwmon::open(&spec.parse().unwrap(), os)
    }

    #[test]
    fn an_ina226_gives_its_power_file_in_watts() {
        let (_d, os) = tree();
        for spec in ["hwmon:ina226", "hwmon:/sys/class/hwmon/hwmon1/"] {
            let r = open(spec, &os).unwrap().read().unwrap();
            assert!(close(r.watts, 6.375), "{spec}: {r:?}");
            assert_eq!((r.volts, r.amps), (Some(5.104), Some(1.25)), "{spec}");
        }
    }

    #[test]
    fn an_energy_file_is_the_counter_in_microjoules() {
        let (_d, os) = tree();
        let r = open("hwmon:ina238", &os).unwrap().read().unwrap();
        let c = r.energy.unwrap();
        assert!(
            close(c.joules, 123.456789) && close(c.resolution_j, 1e-6),
            "{c:?}"
        );
        // Chips without one give no counter.
        assert_eq!(
            open("hwmon:ina226", &os).unwrap().read().unwrap().energy,
            None
        );
    }

    #[test]
    fn an_ina3221_channel_is_volts_times_amps() {
        let (_d, os) = tree();
        let r = open("hwmon:ina3221,channel=2", &os)
            .unwrap()
            .read()
            .unwrap();
        assert!(close(r.watts, 4.0), "{r:?}");
        assert_eq!((r.volts, r.amps), (Some(5.0), Some(0.8)));
        // Without a channel: the first one.
        let r = open("hwmon:ina3221", &os).unwrap().read().unwrap();
        assert!(close(r.watts, 6.0), "{r:?}");
    }

    #[test]
    fn a_wrong_name_or_channel_says_what_there_is() {
        let (_d, os) = tree();
        let e = open("hwmon:ina219", &os).err().unwrap().to_string();
        assert!(
            e.contains("found cpu_thermal (hwmon0), ina226 (hwmon1), ina3221 (hwmon2)"),
            "{e}"
        );
        let e = open("hwmon:ina3221,channel=4", &os)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("channels with readings: 1, 2, 3"), "{e}");
        let e = open("hwmon:cpu_thermal", &os).err().unwrap().to_string();
        assert!(e.contains("not a power sensor"), "{e}");
        let e = open("hwmon:/sys/class/hwmon/hwmon9", &os)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("not a hwmon directory"), "{e}");
        let empty: Arc<dyn Os> = Arc::new(RecordedOs::new("/nonexistent"));
        let e = open("hwmon:ina226", &empty).err().unwrap().to_string();
        assert!(e.contains("has none"), "{e}");
    }

    #[test]
    fn a_vanished_sensor_file_is_no_reading() {
        let (d, os) = tree();
        let mut m = open("hwmon:ina3221,channel=3", &os).unwrap();
        assert!(close(m.read().unwrap().watts, 0.33));
        std::fs::remove_file(d.path().join("sys/class/hwmon/hwmon2/curr3_input")).unwrap();
        let e = m.read().unwrap_err().to_string();
        assert!(e.contains("curr3_input cannot be read"), "{e}");
    }
}
