//! A boards.toml: parsed and checked, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::deploy::boards;
use sbcbench::power::meter::MeterSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let check = |s: &str| s.parse::<MeterSpec>().map(drop);
    if let Ok(list) = boards::parse(text, &check) {
        for b in list {
            // Slugs are results folder names: a safe alphabet only.
            assert!(!b.slug.is_empty());
            assert!(b
                .slug
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.'));
            assert!(b.slug != "." && b.slug != "..");
        }
    }
});
