//! What every decoder returns, turned into a [`Reading`] by the drivers.

use std::time::Instant;

use super::Reading;

/// One meter reading, in SI units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Values {
    pub watts: f64,
    pub volts: Option<f64>,
    pub amps: Option<f64>,
    /// The device's energy counter, where it keeps one.
    pub energy: Option<Counter>,
}

/// A device's cumulative energy counter at one reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counter {
    pub joules: f64,
    /// One step of the counter, in joules: how finely it counts (a Shelly
    /// Gen2's 0.001 Wh is 3.6 J, a Tasmota's default 0.001 kWh 3600 J).
    pub resolution_j: f64,
}

/// `v` as a reading that arrived now.
pub(super) fn reading(v: Values) -> Reading {
    Reading {
        at: Instant::now(),
        watts: v.watts,
        volts: v.volts,
        amps: v.amps,
        energy: v.energy,
    }
}

/// How many decimals the first number after `"key":` has in `json`: the
/// step of a device's counter. Tasmota pads its figures with zeros to its
/// `EnergyRes`; a printer that drops trailing zeros (Shelly's may) gives
/// fewer, so its driver bounds the step it takes from this.
pub(super) fn decimals_of(json: &str, key: &str) -> usize {
    let pattern = format!("\"{key}\"");
    let Some(at) = json.find(&pattern) else {
        return 0;
    };
    let rest = json[at + pattern.len()..].trim_start_matches([':', ' ', '\t', '\n', '\r']);
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    number.split_once('.').map_or(0, |(_, d)| d.len())
}

/// Helpers of the decoders' unit tests.
#[cfg(test)]
pub(super) mod test_util {
    pub fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    pub fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }
}
