//! A PZEM-004T / PZEM-017 Modbus reply: an error or a finite reading.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::observe::meter::pzem_decode;

fuzz_target!(|data: &[u8]| {
    for dc in [false, true] {
        if let Ok(v) = pzem_decode(data, dc) {
            assert!(v.watts.is_finite(), "{v:?}");
            assert!(v.volts.is_none_or(f64::is_finite) && v.amps.is_none_or(f64::is_finite));
        }
    }
});
