//! A board's output as it streams in, in arbitrary chunks: the forwarder
//! never loses or invents text, and every control line parses or is
//! refused without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sbcbench::{deploy::forward::{Forwarder, Piece}, power::events::parse_control};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, stream)) = data.split_first() else {
        return;
    };
    let mut f = Forwarder::new(String::new(), cut & 1 == 1);
    let mut pieces = Vec::new();
    let step = (cut as usize >> 1).max(1);
    for chunk in stream.chunks(step) {
        pieces.extend(f.feed(chunk));
    }
    pieces.extend(f.finish());
    let mut text_bytes = 0;
    for p in &pieces {
        match p {
            Piece::Control(line) => {
                let _ = parse_control(line);
            }
            Piece::Text(t) => text_bytes += t.len(),
        }
    }
    // Bounded: what is printed is never more than came in, plus the
    // newlines that end cut-short lines and U+FFFD for invalid bytes.
    assert!(text_bytes <= stream.len() * 3 + 2 * pieces.len() + 1);
});
