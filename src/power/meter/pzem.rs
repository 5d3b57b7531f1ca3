//! PZEM-004T (AC) and PZEM-017 (DC): the driver and the Modbus-RTU wire
//! format with its CRC.

use super::serial::Link;
use super::values::{reading, Counter, Values};
use super::{Meter, MeterError, Reading};

/// PZEM-004T (AC) and PZEM-017 (DC): Modbus-RTU, polled.
pub(super) struct Pzem {
    link: Link,
    addr: u8,
    dc: bool,
}

impl Pzem {
    pub(super) fn new(link: Link, addr: u8, dc: bool) -> Pzem {
        Pzem { link, addr, dc }
    }
}

impl Meter for Pzem {
    fn protocol(&self) -> &'static str {
        if self.dc {
            "pzem017"
        } else {
            "pzem004t"
        }
    }
    fn port(&self) -> &str {
        &self.link.path
    }
    fn read(&mut self) -> Result<Reading, MeterError> {
        let registers = if self.dc { 8 } else { 10 };
        self.link.send(&pzem_request(self.addr, registers))?;
        let frame = self.link.until(|p| {
            (p.len() >= 2)
                .then(|| pzem_reply_len([p[0], p[1]], registers))
                .filter(|&n| p.len() >= n)
        })?;
        pzem_decode(&frame, self.dc)
            .map(reading)
            .map_err(|e| self.link.bad(e))
    }
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
    // The energy register counts whole Wh.
    let wh = |n: u32| Counter {
        joules: n as f64 * 3600.0,
        resolution_j: 3600.0,
    };
    Ok(if dc {
        Values {
            volts: Some(reg(0) as f64 / 100.0),
            amps: Some(reg(1) as f64 / 100.0),
            watts: pair(2) as f64 / 10.0,
            energy: Some(wh(pair(4))),
        }
    } else {
        Values {
            volts: Some(reg(0) as f64 / 10.0),
            amps: Some(pair(1) as f64 / 1000.0),
            watts: pair(3) as f64 / 10.0,
            energy: Some(wh(pair(5))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::meter::values::test_util::{close, hex};

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
}
