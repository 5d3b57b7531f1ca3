//! SHA-1 over 16 KiB buffers: the `openssl speed -evp sha1 -bytes 16384`
//! workload, one complete digest per buffer.

use std::hint::black_box;

use sha1::{Digest, Sha1 as Hasher};

use super::BLOCK_BYTES;
use crate::measure::kernel::{fill_pattern, hex, Kernel, KernelError, KernelId, Worker};

pub struct Sha1;

/// FIPS 180-2 appendix A vectors plus the empty message.
const VECTORS: &[(&str, &[u8], usize, &str)] = &[
    ("empty", b"", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("abc", b"abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
    (
        "448-bit",
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        1,
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    ),
    // Many blocks through the accelerated multi-block path.
    (
        "million-a",
        b"a",
        1_000_000,
        "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
    ),
];

impl Kernel for Sha1 {
    fn id(&self) -> KernelId {
        KernelId::Sha1
    }

    fn implementation(&self) -> String {
        format!("rustcrypto-sha1 0.11 {}", backend())
    }

    fn verify(&self) -> Result<(), KernelError> {
        for (case, chunk, repeat, expected) in VECTORS {
            // Fed in 16 KiB slices, as the timed loop does, so that long
            // inputs go through the accelerated multi-block path.
            let message = chunk.repeat(*repeat);
            let mut h = Hasher::new();
            for part in message.chunks(BLOCK_BYTES) {
                h.update(part);
            }
            let got = hex(&h.finalize());
            if got != *expected {
                return Err(KernelError::KnownAnswer {
                    kernel: KernelId::Sha1,
                    case: case.to_string(),
                    expected: expected.to_string(),
                    got,
                });
            }
        }
        Ok(())
    }

    fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
        let mut buf = vec![0u8; BLOCK_BYTES];
        fill_pattern(&mut buf, 1);
        let expected = Hasher::digest(&buf).into();
        Ok(Box::new(Sha1Worker {
            buf,
            expected,
            last: [0; 20],
        }))
    }
}

struct Sha1Worker {
    buf: Vec<u8>,
    /// Digest of `buf`; every timed digest must equal it.
    expected: [u8; 20],
    last: [u8; 20],
}

impl Worker for Sha1Worker {
    fn step(&mut self) -> Result<u64, KernelError> {
        self.last = Hasher::digest(black_box(&self.buf)).into();
        Ok(BLOCK_BYTES as u64)
    }

    fn finish(&mut self) -> Result<(), KernelError> {
        if self.last != self.expected {
            return Err(KernelError::Corrupted {
                kernel: KernelId::Sha1,
                what: format!(
                    "digest of the timed buffer was {}, expected {}",
                    hex(&self.last),
                    hex(&self.expected)
                ),
            });
        }
        Ok(())
    }
}

/// Mirrors the run-time dispatch of the `sha1` crate, so that the label says
/// what actually ran.
fn backend() -> &'static str {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse2")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1")
        {
            return "sha-ni";
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("sha2") {
            return "armv8-sha1";
        }
    }
    "soft"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_pass() {
        Sha1.verify().unwrap();
    }

    #[test]
    fn worker_digest_is_checked() {
        let mut w = Sha1.worker().unwrap();
        assert_eq!(w.step().unwrap(), BLOCK_BYTES as u64);
        w.finish().unwrap();
        let mut never_ran = Sha1.worker().unwrap();
        assert!(
            never_ran.finish().is_err(),
            "a worker that hashed nothing must not pass"
        );
    }
}
