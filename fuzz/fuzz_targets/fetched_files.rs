//! The framed CSV files a board sends back: split or refused, never a
//! panic, and only safe names come out.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::deploy::framing::parse_files;

fuzz_target!(|data: &[u8]| {
    if let Ok(files) = parse_files(data) {
        for (name, bytes) in files {
            assert!(name.ends_with(".csv") && !name.starts_with('.'));
            assert!(!name.contains('/') && !name.contains('\0'));
            assert!(bytes.len() <= data.len());
        }
    }
});
