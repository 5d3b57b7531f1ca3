//! Wire formats of the meters, as pure functions over bytes and text so
//! that the real captured frames of the protocol notes are unit tests.

use std::sync::LazyLock;

use regex_lite::Regex;

use super::values::Values;

/// A Watts up? record `#d,-,18,<W×10>,<V×10>,<mA>,…;`; `_` is a field the
/// meter was told not to send.
pub fn wattsup_decode(packet: &str) -> Result<Values, String> {
    let fields: Vec<&str> = packet.trim().trim_end_matches(';').split(',').collect();
    if fields.first() != Some(&"#d") || fields.len() < 6 {
        return Err(format!("not a data record: '{packet}'"));
    }
    // Finite numbers only: "1e999" parses, as infinity (found by fuzzing).
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    let watts = num(3).ok_or_else(|| format!("no power field in '{packet}'"))? / 10.0;
    Ok(Values {
        watts,
        volts: num(4).map(|v| v / 10.0),
        amps: num(5).map(|a| a / 1000.0),
    })
}

/// A SCPI NR3 list (`231.96E+00,0.12532E+00,15.40E+00`); `field` is the
/// index of the power. NAN, INF and the 9.9E+37 overrange markers are no
/// reading.
pub fn scpi_decode(reply: &str, field: usize) -> Result<Values, String> {
    let values: Vec<&str> = reply.trim().split(',').map(str::trim).collect();
    let raw = values
        .get(field)
        .ok_or_else(|| format!("reply '{}' has no field {field}", reply.trim()))?;
    let watts: f64 = raw
        .parse()
        .map_err(|_| format!("'{raw}' is not a number"))?;
    if !watts.is_finite() || watts.abs() >= 9.9e37 {
        return Err(format!("no reading ('{raw}': over range or no item)"));
    }
    let other = |i: usize| {
        values
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && v.abs() < 9.9e37)
    };
    // With the default item order U, I, P the other two are known.
    let (volts, amps) = if field == 2 && values.len() >= 3 {
        (other(0), other(1))
    } else {
        (None, None)
    };
    Ok(Values { watts, volts, amps })
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
    fn wattsup_records() {
        let v = wattsup_decode("#d,-,18,124,1191,97,0,_,_,_,124,_,_,_,_,_,100,_,_,_,_;").unwrap();
        assert!(
            close(v.watts, 12.4) && close(v.volts.unwrap(), 119.1) && close(v.amps.unwrap(), 0.097)
        );
        assert!(wattsup_decode("#h,-,18,W,V,A;").is_err());
        // Found by fuzzing: numbers that parse as infinity or NaN are no reading.
        for bad in ["124e1191", "inf", "NaN", "-inf"] {
            let record = format!("#d,-,18,{bad},1191,97,0,_;");
            assert!(wattsup_decode(&record).is_err(), "{record}");
            let v = wattsup_decode(&format!("#d,-,18,124,{bad},{bad},0,_;")).unwrap();
            assert_eq!((v.volts, v.amps), (None, None), "{bad}");
        }
    }

    #[test]
    fn scpi_nr3() {
        let v = scpi_decode("231.96E+00,0.12532E+00,15.40E+00\n", 2).unwrap();
        assert!(close(v.watts, 15.4) && close(v.volts.unwrap(), 231.96));
        assert!(scpi_decode("231.96E+00,0.12532E+00,NAN", 2).is_err());
        assert!(scpi_decode("9.91E+37", 0).is_err());
        assert!(scpi_decode("1.0", 3).is_err());
    }

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
