//! Wire formats of the meters, as pure functions over bytes and text so
//! that the real captured frames of the protocol notes are unit tests.

use std::sync::LazyLock;

use regex_lite::Regex;

/// One meter reading, in SI units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Values {
    pub watts: f64,
    pub volts: Option<f64>,
    pub amps: Option<f64>,
}

const MODBUS: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_MODBUS);

/// CRC-16/MODBUS, sent low byte first.
pub fn modbus_crc(data: &[u8]) -> u16 {
    MODBUS.checksum(data)
}

/// PZEM "read input registers" request: function 0x04 from register 0.
pub fn pzem_request(addr: u8, registers: u8) -> [u8; 8] {
    let mut f = [addr, 0x04, 0x00, 0x00, 0x00, registers, 0, 0];
    let crc = modbus_crc(&f[..6]).to_le_bytes();
    f[6] = crc[0];
    f[7] = crc[1];
    f
}

/// Length of a PZEM reply once its first two bytes are known.
pub fn pzem_reply_len(head: [u8; 2], registers: u8) -> usize {
    if head[1] & 0x80 != 0 {
        5
    } else {
        3 + 2 * registers as usize + 2
    }
}

/// Decodes a PZEM-004T (AC, 10 registers) or PZEM-017 (DC, 8 registers)
/// reply. 32-bit values are sent low word first.
pub fn pzem_decode(frame: &[u8], dc: bool) -> Result<Values, String> {
    if frame.len() < 5 {
        return Err(format!("short reply ({} bytes)", frame.len()));
    }
    let (body, crc) = frame.split_at(frame.len() - 2);
    let want = modbus_crc(body);
    let got = u16::from_le_bytes([crc[0], crc[1]]);
    if want != got {
        return Err(format!("CRC mismatch (got {got:04X}, computed {want:04X})"));
    }
    if frame[1] & 0x80 != 0 {
        let what = match frame[2] {
            1 => "illegal function",
            2 => "illegal address",
            3 => "illegal data",
            4 => "slave error",
            _ => "unknown exception",
        };
        return Err(format!("Modbus exception {:#04x} ({what})", frame[2]));
    }
    let registers = if dc { 8 } else { 10 };
    if frame[1] != 0x04 || frame[2] as usize != 2 * registers || frame.len() != 5 + 2 * registers {
        return Err(format!(
            "unexpected reply function {:#04x}, {} data bytes",
            frame[1], frame[2]
        ));
    }
    let reg = |i: usize| u16::from_be_bytes([frame[3 + 2 * i], frame[4 + 2 * i]]) as u32;
    let pair = |i: usize| reg(i) | reg(i + 1) << 16;
    Ok(if dc {
        Values {
            volts: Some(reg(0) as f64 / 100.0),
            amps: Some(reg(1) as f64 / 100.0),
            watts: pair(2) as f64 / 10.0,
        }
    } else {
        Values {
            volts: Some(reg(0) as f64 / 10.0),
            amps: Some(pair(1) as f64 / 1000.0),
            watts: pair(3) as f64 / 10.0,
        }
    })
}

/// RDTech UM models: the id at the start of each 130-byte frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UmModel {
    Um24c,
    Um25c,
    Um34c,
}

pub const UM_FRAME: usize = 130;

impl UmModel {
    pub fn id(self) -> [u8; 2] {
        match self {
            UmModel::Um24c => [0x09, 0x63],
            UmModel::Um25c => [0x09, 0xC9],
            UmModel::Um34c => [0x0D, 0x4C],
        }
    }
}

/// Positions XOR-ed into a UM34C frame's last byte.
const UM34C_SUM: [usize; 32] = [
    1, 3, 7, 9, 15, 17, 19, 23, 31, 39, 41, 45, 49, 53, 55, 57, 59, 63, 67, 69, 73, 79, 83, 89, 97,
    99, 109, 111, 113, 119, 121, 127,
];

pub fn um34c_checksum(frame: &[u8]) -> u8 {
    UM34C_SUM.iter().fold(0, |x, &p| x ^ frame[p])
}

pub fn um_decode(frame: &[u8], model: UmModel) -> Result<Values, String> {
    if frame.len() != UM_FRAME {
        return Err(format!(
            "frame of {} bytes, expected {UM_FRAME}",
            frame.len()
        ));
    }
    if frame[..2] != model.id() {
        return Err(format!(
            "model id {:02X}{:02X} is not a {model:?}",
            frame[0], frame[1]
        ));
    }
    let ok = match model {
        UmModel::Um34c => frame[129] == um34c_checksum(frame),
        _ => frame[128..130] == [0xFF, 0xF1],
    };
    if !ok {
        return Err("end marker or checksum mismatch".to_string());
    }
    let u16be = |i: usize| u16::from_be_bytes([frame[i], frame[i + 1]]) as f64;
    // Divisors, not factors: 2603 / 1000 is exactly the nearest double to 2.603.
    let (v_div, i_div) = match model {
        UmModel::Um25c => (1000.0, 10000.0),
        _ => (100.0, 1000.0),
    };
    Ok(Values {
        volts: Some(u16be(2) / v_div),
        amps: Some(u16be(4) / i_div),
        watts: u32::from_be_bytes([frame[6], frame[7], frame[8], frame[9]]) as f64 / 1000.0,
    })
}

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

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn modbus_crc_check_value_and_requests() {
        assert_eq!(modbus_crc(b"123456789"), 0x4B37);
        assert_eq!(
            pzem_request(0x01, 10).to_vec(),
            hex("01 04 00 00 00 0A 70 0D")
        );
        assert_eq!(
            pzem_request(0xF8, 10).to_vec(),
            hex("F8 04 00 00 00 0A 64 64")
        );
        assert_eq!(
            pzem_request(0x01, 8).to_vec(),
            hex("01 04 00 00 00 08 F1 CC")
        );
    }

    #[test]
    fn pzem_real_captures() {
        let esphome =
            hex("01 04 14 08 D1 00 6C 00 00 00 F4 00 00 00 26 00 00 01 F4 00 64 00 00 51 34");
        let v = pzem_decode(&esphome, false).unwrap();
        assert!(
            close(v.watts, 24.4) && close(v.volts.unwrap(), 225.7) && close(v.amps.unwrap(), 0.108)
        );
        let datasheet =
            hex("01 04 14 08 98 03 E8 00 00 08 98 00 00 00 00 00 00 01 F4 00 64 00 00 63 CE");
        let v = pzem_decode(&datasheet, false).unwrap();
        assert!(close(v.watts, 220.0) && close(v.amps.unwrap(), 1.0));
        let dc = hex("01 04 10 05 40 00 0A 00 0D 00 00 00 02 00 00 00 00 00 00 D6 29");
        let v = pzem_decode(&dc, true).unwrap();
        assert!(
            close(v.watts, 1.3) && close(v.volts.unwrap(), 13.44) && close(v.amps.unwrap(), 0.10)
        );
        let err = pzem_decode(&hex("01 84 02 C2 C1"), false).unwrap_err();
        assert!(err.contains("exception 0x02"), "{err}");
        let mut bad = esphome.clone();
        bad[10] ^= 1;
        assert!(pzem_decode(&bad, false).unwrap_err().contains("CRC"));
        assert_eq!(pzem_reply_len([1, 0x84], 10), 5);
        assert_eq!(pzem_reply_len([1, 0x04], 10), 25);
    }

    fn um25c_frame() -> Vec<u8> {
        let mut f = hex("09c913d9140300000a2b001f00570000");
        f.resize(96, 0);
        f.extend(hex("003c003c"));
        f.resize(122, 0);
        f.extend(hex("00000063"));
        f.extend(hex("0000fff1"));
        f
    }

    #[test]
    fn um_frames() {
        let f = um25c_frame();
        assert_eq!(f.len(), 130);
        let v = um_decode(&f, UmModel::Um25c).unwrap();
        assert!(
            close(v.watts, 2.603)
                && close(v.volts.unwrap(), 5.081)
                && close(v.amps.unwrap(), 0.5123)
        );
        assert!(um_decode(&f, UmModel::Um24c)
            .unwrap_err()
            .contains("model id"));
        let mut f24 = f.clone();
        f24[..10].copy_from_slice(&hex("096301fc020000000a29"));
        let v = um_decode(&f24, UmModel::Um24c).unwrap();
        assert!(
            close(v.watts, 2.601) && close(v.volts.unwrap(), 5.08) && close(v.amps.unwrap(), 0.512)
        );
        let mut f34 = f24.clone();
        f34[..2].copy_from_slice(&[0x0D, 0x4C]);
        f34[128] = 0xFF;
        f34[129] = um34c_checksum(&f34);
        assert_eq!(f34[129], 0x99);
        assert!(um_decode(&f34, UmModel::Um34c).is_ok());
        f34[7] ^= 0xFF;
        assert!(um_decode(&f34, UmModel::Um34c).is_err());
    }

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
