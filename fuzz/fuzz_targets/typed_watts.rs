//! What a user types at the `--power ask` prompt: an error, a skip, or a
//! plausible positive number of watts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::power::parse_typed_watts;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(Some(w)) = parse_typed_watts(&text) {
        assert!(w.is_finite() && w > 0.0, "{text:?}: {w}");
    }
});
