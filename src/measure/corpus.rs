//! The built-in xz input: a generated tar whose decompression cost per
//! compressed byte matches a real Linux source tarball's (docs/corpus.md),
//! small enough to embed. The .xz bytes are the source of truth (encoders
//! are not promised to be byte-identical across versions); `ci/gen-corpus`
//! shows they come from the documented generator.

use sha2::{Digest, Sha256};

use crate::measure::kernel::hex;

pub const XZ: &[u8] = include_bytes!("corpus/corpus.tar.xz");
pub const XZ_SHA256: [u8; 32] =
    hex32("b0ac749d7cd28b12c298948e38294d0185334201dc59f83d802536a2e653a011");
pub const DECOMPRESSED_BYTES: u64 = 25_165_824;
pub const DECOMPRESSED_SHA256: [u8; 32] =
    hex32("d216002a6334994848ac8d295ed1ced2118108f3e1595a5f7b50b3cf838ae8ad");

/// How much of an input's SHA-256 its `xz_input` label shows.
pub const LABEL_HEX_DIGITS: usize = 12;

/// The `xz_input` label of the built-in corpus: results from different
/// corpus versions must never be compared silently.
pub fn label() -> String {
    format!("built-in:{}", &hex(&XZ_SHA256)[..LABEL_HEX_DIGITS])
}

/// Checks that the embedded bytes are the ones the constants describe: a
/// damaged binary (bad copy, bad flash card) must not produce figures.
pub fn check_embedded() -> Result<(), String> {
    let got: [u8; 32] = Sha256::digest(XZ).into();
    if got != XZ_SHA256 {
        return Err(format!(
            "the built-in xz corpus is damaged (sha256 {} instead of {}): \
             this sbcbench binary is corrupt, copy it again",
            hex(&got),
            hex(&XZ_SHA256)
        ));
    }
    Ok(())
}

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    assert!(b.len() == 64);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not a lowercase hex digit"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_corpus_is_intact() {
        super::check_embedded().unwrap();
    }
}
