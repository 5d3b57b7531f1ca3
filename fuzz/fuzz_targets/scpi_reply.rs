//! A SCPI NR3 reply, with the power in field 0–3: an error or a finite reading.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::power::meter::scpi_decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for field in 0..4 {
            if let Ok(v) = scpi_decode(text, field) {
                assert!(v.watts.is_finite(), "{text:?}: {v:?}");
                assert!(v.volts.is_none_or(f64::is_finite) && v.amps.is_none_or(f64::is_finite));
            }
        }
    }
});
