//! ChaCha20-Poly1305 AEAD seal (encrypt + tag) of 16 KiB buffers in place:
//! the `openssl speed -evp chacha20-poly1305 -bytes 16384` workload.
//! Each message seals the previous ciphertext, so after timing the last
//! two tags tie the buffer to the work done: see [`ChachaWorker::finish`].

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use sha2::{Digest, Sha256};

use super::BLOCK_BYTES;
use crate::measure::kernel::{hex, Kernel, KernelError, KernelId, Worker};

pub struct Chacha20Poly1305;

/// RFC 8439 §2.8.2: 114 bytes, which only reaches the scalar tail code.
const RFC_KEY: [u8; 32] = {
    let mut k = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        k[i] = 0x80 + i as u8;
        i += 1;
    }
    k
};
const RFC_NONCE: [u8; 12] = [7, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47];
const RFC_AAD: [u8; 12] = [
    0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
];
const RFC_PLAINTEXT: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it.";
const RFC_CIPHERTEXT: &str = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6\
3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee3\
28091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
const RFC_TAG: &str = "1ae10b594f09e26a7e902ecbd0600691";

/// A full 16 KiB block of zeros, key 00..1f, nonce 00..0b, no AAD: this goes
/// through the SIMD paths that the timed loop uses. Expected values were
/// computed with OpenSSL 3.0 (an independent implementation).
const BLOCK_CT_SHA256: &str = "68c2eb1a282bbf99f13f27855b19145ad00ddd90999fa3eea76bf79f2b7fed53";
const BLOCK_TAG: &str = "a0f24b50defa64e927e2495f52ac9a31";

fn seal(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> Result<String, String> {
    let cipher = ChaCha20Poly1305::new(key.into());
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(*nonce), aad, buf.into())
        .map_err(|e| e.to_string())?;
    Ok(hex(&tag))
}

fn check(case: &str, expected: &str, got: String) -> Result<(), KernelError> {
    if got == expected {
        return Ok(());
    }
    Err(KernelError::KnownAnswer {
        kernel: KernelId::Chacha20Poly1305,
        case: case.to_string(),
        expected: expected.to_string(),
        got,
    })
}

impl Kernel for Chacha20Poly1305 {
    fn id(&self) -> KernelId {
        KernelId::Chacha20Poly1305
    }

    fn implementation(&self) -> String {
        format!("rustcrypto-chacha20poly1305 0.11 {}", backend())
    }

    fn verify(&self) -> Result<(), KernelError> {
        let fail = |e: String| check("seal", "success", e);
        let mut buf = RFC_PLAINTEXT.to_vec();
        let tag = seal(&RFC_KEY, &RFC_NONCE, &RFC_AAD, &mut buf)
            .or_else(|e| fail(e).map(|_| String::new()))?;
        check("rfc8439-2.8.2 ciphertext", RFC_CIPHERTEXT, hex(&buf))?;
        check("rfc8439-2.8.2 tag", RFC_TAG, tag)?;

        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let nonce: [u8; 12] = std::array::from_fn(|i| i as u8);
        let mut block = vec![0u8; BLOCK_BYTES];
        let tag =
            seal(&key, &nonce, b"", &mut block).or_else(|e| fail(e).map(|_| String::new()))?;
        check(
            "16KiB ciphertext sha256",
            BLOCK_CT_SHA256,
            hex(&Sha256::digest(&block)),
        )?;
        check("16KiB tag", BLOCK_TAG, tag)
    }

    fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
        Ok(Box::new(ChachaWorker::new()))
    }
}

struct ChachaWorker {
    cipher: ChaCha20Poly1305,
    /// Zeros at first, then each message's ciphertext, sealed again in
    /// place by the next message.
    buf: Vec<u8>,
    /// A fresh nonce per message, as real use requires.
    counter: u64,
    /// The tags of the last message and of the one before it.
    tags: [[u8; 16]; 2],
}

fn nonce_of(counter: u64) -> Nonce {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&counter.to_le_bytes());
    Nonce::from(nonce)
}

impl ChachaWorker {
    fn new() -> Self {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7) as u8);
        ChachaWorker {
            cipher: ChaCha20Poly1305::new(&key.into()),
            buf: vec![0u8; BLOCK_BYTES],
            counter: 0,
            tags: [[0; 16]; 2],
        }
    }

    /// Opens `buf` as message `counter` with `tag` (the crate's decrypt
    /// path: the tag is recomputed over the ciphertext, the keystream
    /// anew), leaving its plaintext in `buf`.
    fn open(&self, counter: u64, tag: &[u8; 16], buf: &mut [u8]) -> Result<(), KernelError> {
        self.cipher
            .decrypt_inout_detached(&nonce_of(counter), b"", buf.into(), &(*tag).into())
            .map_err(|_| KernelError::Corrupted {
                kernel: KernelId::Chacha20Poly1305,
                what: format!(
                    "message {counter} of the run does not open with the tag sealed with it"
                ),
            })
    }
}

impl Worker for ChachaWorker {
    fn step(&mut self) -> Result<u64, KernelError> {
        self.counter += 1;
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce_of(self.counter), b"", self.buf.as_mut_slice().into())
            .map_err(|e| KernelError::Corrupted {
                kernel: KernelId::Chacha20Poly1305,
                what: e.to_string(),
            })?;
        // 32 bytes moved per 16 KiB sealed: nothing measurable.
        self.tags = [tag.into(), self.tags[0]];
        Ok(BLOCK_BYTES as u64)
    }

    /// Checks the last message against work done at two other times. Its
    /// ciphertext must open with its tag (caught: a ciphertext or tag
    /// corrupted after sealing), and the plaintext that gives back is the
    /// message before's ciphertext, so it must open with that message's
    /// tag, or be the zeros of the start (caught: a wrong keystream in the
    /// last seal). Wrong code, rather than a faulty core, is what the
    /// known answers of `verify` catch.
    fn finish(&mut self) -> Result<(), KernelError> {
        if self.counter == 0 {
            return Err(KernelError::Corrupted {
                kernel: KernelId::Chacha20Poly1305,
                what: "no message was sealed".to_string(),
            });
        }
        let mut copy = self.buf.clone();
        self.open(self.counter, &self.tags[0], &mut copy)?;
        if self.counter > 1 {
            self.open(self.counter - 1, &self.tags[1], &mut copy)
        } else if copy.iter().any(|&b| b != 0) {
            Err(KernelError::Corrupted {
                kernel: KernelId::Chacha20Poly1305,
                what: "the first message does not decrypt to the zeros it sealed".to_string(),
            })
        } else {
            Ok(())
        }
    }
}

/// Mirrors the run-time dispatch of the `chacha20` and `poly1305` crates.
fn backend() -> &'static str {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            return "chacha20:avx2 poly1305:avx2";
        }
        "chacha20:sse2 poly1305:soft"
    }
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    {
        "chacha20:neon poly1305:soft"
    }
    #[cfg(not(any(
        target_arch = "x86",
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_feature = "neon")
    )))]
    {
        "chacha20:soft poly1305:soft"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_pass() {
        Chacha20Poly1305.verify().unwrap();
    }

    #[test]
    fn worker_encrypts_in_place_and_checks_its_last_message() {
        let mut w = Chacha20Poly1305.worker().unwrap();
        assert!(
            w.finish().is_err(),
            "a worker that sealed nothing must not pass"
        );
        assert_eq!(w.step().unwrap(), BLOCK_BYTES as u64);
        w.finish().unwrap();
        for _ in 0..3 {
            w.step().unwrap();
        }
        w.finish().unwrap();
    }

    /// A ciphertext or a tag corrupted after sealing is caught by
    /// `finish`, after one message or several.
    #[test]
    fn a_corrupted_ciphertext_or_tag_is_caught() {
        for steps in [1, 5] {
            let mut w = ChachaWorker::new();
            for _ in 0..steps {
                w.step().unwrap();
            }
            w.buf[BLOCK_BYTES - 1] ^= 0x10;
            let err = w.finish().unwrap_err().to_string();
            assert!(err.contains(&format!("message {steps}")), "{err}");

            let mut w = ChachaWorker::new();
            for _ in 0..steps {
                w.step().unwrap();
            }
            w.tags[0][0] ^= 1;
            assert!(w.finish().is_err(), "a bad tag passed after {steps}");
        }
    }

    /// A last seal that used a wrong keystream but tagged what it wrote
    /// (a core that erred while encrypting) is caught by the tag of the
    /// message before, or by the zeros of the start.
    #[test]
    fn a_wrong_keystream_in_the_last_seal_is_caught() {
        for steps in [1, 5] {
            let mut w = ChachaWorker::new();
            for _ in 1..steps {
                w.step().unwrap();
            }
            // Flipping a bit of the input of the last seal gives the
            // ciphertext a wrong keystream bit would.
            w.buf[4096] ^= 4;
            w.step().unwrap();
            let err = w.finish().unwrap_err().to_string();
            let wanted = if steps == 1 { "zeros" } else { "message 4" };
            assert!(err.contains(wanted), "{err}");
        }
    }
}
