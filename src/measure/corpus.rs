//! The built-in xz input: a generated tar whose decompression cost per
//! compressed byte matches a real Linux source tarball's (docs/corpus.md),
//! small enough to embed. The .xz bytes are the source of truth (encoders
//! are not promised to be byte-identical across versions); `ci/gen-corpus`
//! shows they come from the documented generator.

use sha2::{Digest, Sha256};

use crate::measure::kernel::hex;

pub const XZ: &[u8] = include_bytes!("corpus/corpus.tar.xz");
pub const XZ_SHA256: [u8; 32] =
    hex32("4069ac7a1ea73a8ebb0e3a6e60e3186d808fa9afe99887cb7474e0ed92e213e9");
pub const DECOMPRESSED_BYTES: u64 = 1_288_895;
pub const DECOMPRESSED_SHA256: [u8; 32] =
    hex32("5af7b95208fdcff454bab3f5eddf567a688a3796c703d4fef91072e38645c062");

/// The `xz_input` label of the built-in corpus: results from different
/// corpus versions must never be compared silently.
pub fn label() -> String {
    format!("built-in:{}", &hex(&XZ_SHA256)[..12])
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
