//! SHA-1 over 16 KiB buffers: the `openssl speed -evp sha1 -bytes 16384`
//! workload, one complete digest per buffer. Every timed digest is
//! compared with the buffer's known digest: 20 bytes against 16 KiB hashed,
//! so checking each costs nothing measurable and a core that errs once is
//! caught, not only one that errs on the last digest.

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
        Ok(Box::new(Sha1Worker::new()))
    }
}

struct Sha1Worker {
    buf: Vec<u8>,
    /// Digest of `buf`, computed before timing; every timed digest must
    /// equal it.
    expected: [u8; 20],
    /// Digests computed and checked.
    digests: u64,
}

impl Sha1Worker {
    fn new() -> Self {
        let mut buf = vec![0u8; BLOCK_BYTES];
        fill_pattern(&mut buf, 1);
        let expected = Hasher::digest(&buf).into();
        Sha1Worker {
            buf,
            expected,
            digests: 0,
        }
    }
}

impl Worker for Sha1Worker {
    fn step(&mut self) -> Result<u64, KernelError> {
        let digest: [u8; 20] = Hasher::digest(black_box(&self.buf)).into();
        if digest != self.expected {
            return Err(KernelError::Corrupted {
                kernel: KernelId::Sha1,
                what: format!(
                    "digest {} of the timed buffer was {}, expected {}",
                    self.digests + 1,
                    hex(&digest),
                    hex(&self.expected)
                ),
            });
        }
        self.digests += 1;
        Ok(BLOCK_BYTES as u64)
    }

    fn finish(&mut self) -> Result<(), KernelError> {
        if self.digests == 0 {
            return Err(KernelError::Corrupted {
                kernel: KernelId::Sha1,
                what: "no digest was computed".to_string(),
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

    /// A digest gone wrong mid-run is caught at once, even when the
    /// digests after it are right again.
    #[test]
    fn every_timed_digest_is_checked() {
        let mut w = Sha1Worker::new();
        w.step().unwrap();
        w.buf[100] ^= 1;
        let wrong = w.step();
        w.buf[100] ^= 1;
        let right_again = w.step();
        assert!(
            wrong.is_err() || right_again.is_err() || w.finish().is_err(),
            "a wrong digest in the middle of the run passed"
        );
        let err = wrong.unwrap_err().to_string();
        assert!(err.contains("digest 2"), "{err}");
    }
}
