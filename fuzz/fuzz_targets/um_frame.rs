//! An RDTech UM24C/UM25C/UM34C 130-byte frame: an error or a finite reading.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::observe::meter::{um_decode, UmModel};

fuzz_target!(|data: &[u8]| {
    for model in [UmModel::Um24c, UmModel::Um25c, UmModel::Um34c] {
        if let Ok(v) = um_decode(data, model) {
            assert!(v.watts.is_finite(), "{v:?}");
            assert!(v.volts.is_none_or(f64::is_finite) && v.amps.is_none_or(f64::is_finite));
        }
    }
});
