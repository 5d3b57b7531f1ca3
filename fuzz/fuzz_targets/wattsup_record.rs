//! A Watts up? record: an error or a finite reading.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::power::meter::wattsup_decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = wattsup_decode(text) {
            assert!(v.watts.is_finite(), "{text:?}: {v:?}");
            assert!(v.volts.is_none_or(f64::is_finite) && v.amps.is_none_or(f64::is_finite));
        }
    }
});
