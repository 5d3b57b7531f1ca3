//! RDTech UM24C/UM25C/UM34C USB testers over Bluetooth: the driver and
//! the 130-byte frame.

use super::serial::Link;
use super::values::{reading, Values};
use super::{Meter, MeterError, Reading};

/// RDTech UM24C/UM25C/UM34C: 0xF0 asks for a 130-byte frame.
pub(super) struct Um {
    link: Link,
    model: UmModel,
}

impl Um {
    pub(super) fn new(link: Link, model: UmModel) -> Um {
        Um { link, model }
    }
}

impl Meter for Um {
    fn protocol(&self) -> &'static str {
        match self.model {
            UmModel::Um24c => "um24c",
            UmModel::Um25c => "um25c",
            UmModel::Um34c => "um34c",
        }
    }
    fn port(&self) -> &str {
        &self.link.path
    }
    fn read(&mut self) -> Result<Reading, MeterError> {
        self.link.send(&[0xF0])?;
        let id = self.model.id();
        // Resynchronise on the model id: drop junk before it.
        let frame = self.link.until(|p| {
            let start = p.windows(2).position(|w| w == id)?;
            p.drain(..start);
            (p.len() >= UM_FRAME).then_some(UM_FRAME)
        })?;
        um_decode(&frame, self.model)
            .map(reading)
            .map_err(|e| self.link.bad(e))
    }
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
        energy: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::meter::values::test_util::{close, hex};

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
}
