//! A line from a line device, with the default parser and with a
//! user's regex: an error or a finite reading.
#![no_main]
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use regex_lite::Regex;
use sbcbench::power::meter::line_decode;

static USER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"P=([-0-9.eE+]+)").expect("a literal pattern"));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (regex, milli) in [(None, false), (None, true), (Some(&*USER), false)] {
        if let Ok(v) = line_decode(&text, regex, milli) {
            assert!(v.watts.is_finite(), "{text:?}: {v:?}");
            assert!(v.volts.is_none_or(f64::is_finite) && v.amps.is_none_or(f64::is_finite));
        }
    }
});
