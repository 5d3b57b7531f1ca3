//! A --meter SPEC (also a board's `meter`): parsed, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::power::meter::MeterSpec;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(spec) = text.parse::<MeterSpec>() {
            assert!(!spec.path.is_empty());
        }
    }
});
