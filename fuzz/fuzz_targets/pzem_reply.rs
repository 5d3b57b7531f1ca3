//! A PZEM-004T / PZEM-017 Modbus reply: an error or a finite reading. Each
//! input is also tried with its CRC made right, so that the fuzzer reaches
//! the register decoding behind the CRC check.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::power::meter::{modbus_crc, pzem_decode};

fn check(frame: &[u8]) {
    for dc in [false, true] {
        if let Ok(v) = pzem_decode(frame, dc) {
            assert!(v.watts.is_finite(), "{v:?}");
            assert!(v.volts.is_none_or(f64::is_finite) && v.amps.is_none_or(f64::is_finite));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() >= 5 {
        let mut fixed = data.to_vec();
        let n = fixed.len();
        let crc = modbus_crc(&fixed[..n - 2]).to_le_bytes();
        fixed[n - 2..].copy_from_slice(&crc);
        check(&fixed);
    }
});
