//! xz decompression of a stream held in memory: the article's
//! `time xz -d < linux-5.10.tar.xz > /dev/null`. MB/s counts *compressed*
//! input bytes per second of elapsed time.
//!
//! A sample decodes in small chunks and looks at the clock between them,
//! restarting the stream when it ends, so that a sample lasts `--min-time`
//! on a Raspberry Pi 1 (under 1 MB/s) as on a desktop.

use std::ffi::CStr;
use std::sync::{Arc, OnceLock};

use liblzma::stream::{Action, Error as LzmaError, Status, Stream, CONCATENATED};
use sha2::{Digest, Sha256};

use crate::measure::corpus;
use crate::measure::kernel::{hex, Kernel, KernelError, KernelId, Worker};

/// A decoder may use at most this much memory. `xz -9` needs 65 MiB; a
/// header asking for more is refused instead of letting every thread of an
/// all-core run allocate it on a 512 MB board.
pub const DECODER_MEMLIMIT_BYTES: u64 = 256 << 20;
/// Output per step, discarded like `> /dev/null`.
const OUT_CHUNK: usize = 64 * 1024;
/// Input offered per step; liblzma stops earlier when the output is full.
const IN_CHUNK: usize = 64 * 1024;
const XZ_MAGIC: &[u8] = b"\xFD7zXZ\x00";

/// What the xz kernel decompresses.
#[derive(Clone, Debug)]
pub struct XzInput {
    /// For the `xz_input` column: `built-in:<sha256 prefix>` or the file name.
    pub label: String,
    pub data: Arc<[u8]>,
    /// Known decompressed size and SHA-256, when we know them (built-in).
    pub expected: Option<(u64, [u8; 32])>,
}

impl XzInput {
    /// The corpus embedded in the binary, after checking it is intact.
    pub fn built_in() -> Result<XzInput, KernelError> {
        corpus::check_embedded().map_err(KernelError::Input)?;
        Ok(XzInput {
            label: corpus::label(),
            data: Arc::from(corpus::XZ),
            expected: Some((corpus::DECOMPRESSED_BYTES, corpus::DECOMPRESSED_SHA256)),
        })
    }

    /// A user's .xz file, read into memory before anything is timed.
    pub fn from_file(path: &std::path::Path) -> Result<XzInput, KernelError> {
        let shown = path.display();
        let data = std::fs::read(path)
            .map_err(|e| KernelError::Input(format!("--xz-input {shown}: cannot read it: {e}")))?;
        if data.is_empty() {
            return Err(KernelError::Input(format!(
                "--xz-input {shown}: the file is empty; give an .xz file such as linux-5.10.tar.xz"
            )));
        }
        if !data.starts_with(XZ_MAGIC) {
            return Err(KernelError::Input(format!(
                "--xz-input {shown}: not an .xz file (no xz magic bytes); compress it with `xz -T1` first"
            )));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.to_string());
        Ok(XzInput {
            label: name,
            data: Arc::from(data),
            expected: None,
        })
    }
}

impl XzInput {
    /// Decompressed size and SHA-256 of one pass: known for the built-in
    /// corpus, decoded once here for a user's file.
    pub fn decoded(&self) -> Result<(u64, [u8; 32]), KernelError> {
        if let Some(known) = self.expected {
            return Ok(known);
        }
        let mut hasher = Sha256::new();
        let size = decode_all(&self.data, |chunk| hasher.update(chunk))
            .map_err(|e| XzKernel::new(self.clone()).input_error(e))?;
        Ok((size, hasher.finalize().into()))
    }
}

pub struct XzKernel {
    input: XzInput,
    /// Decompressed size of one pass, learnt by `verify`; every timed pass
    /// must produce exactly this many bytes.
    decompressed: OnceLock<u64>,
}

impl XzKernel {
    pub fn new(input: XzInput) -> Self {
        Self {
            input,
            decompressed: OnceLock::new(),
        }
    }

    fn input_error(&self, e: LzmaError) -> KernelError {
        let what = match e {
            LzmaError::MemLimit => format!(
                "it needs more than {} MiB of memory to decode (its dictionary is too large); \
                 recompress it with `xz -6`",
                DECODER_MEMLIMIT_BYTES >> 20
            ),
            LzmaError::Data => "the compressed data is corrupt".to_string(),
            LzmaError::Format => "it is not in the .xz format".to_string(),
            LzmaError::Options => "it uses unsupported xz options".to_string(),
            LzmaError::Mem => "out of memory".to_string(),
            other => format!("liblzma error {other:?}"),
        };
        KernelError::Input(format!("xz input {}: {what}", self.input.label))
    }
}

fn new_decoder() -> Result<Stream, LzmaError> {
    Stream::new_stream_decoder(DECODER_MEMLIMIT_BYTES, CONCATENATED)
}

/// Decodes `data` once, feeding every output chunk to `sink`; returns the
/// decompressed size. Truncated input is an error, not a short count.
fn decode_all(data: &[u8], mut sink: impl FnMut(&[u8])) -> Result<u64, LzmaError> {
    let mut stream = new_decoder()?;
    let mut out = vec![0u8; OUT_CHUNK];
    let mut pos = 0usize;
    loop {
        let end = (pos + IN_CHUNK).min(data.len());
        let finishing = end == data.len();
        let action = if finishing {
            Action::Finish
        } else {
            Action::Run
        };
        let (in0, out0) = (stream.total_in(), stream.total_out());
        let status = stream.process(&data[pos..end], &mut out, action)?;
        pos += (stream.total_in() - in0) as usize;
        let produced = (stream.total_out() - out0) as usize;
        sink(&out[..produced]);
        match status {
            Status::StreamEnd => return Ok(stream.total_out()),
            // Finishing with no progress: the input ended mid-stream.
            _ if finishing && produced == 0 && pos == data.len() => return Err(LzmaError::Data),
            _ => {}
        }
    }
}

impl Kernel for XzKernel {
    fn id(&self) -> KernelId {
        KernelId::Xz
    }

    fn implementation(&self) -> String {
        format!("liblzma {}", liblzma_version())
    }

    fn verify(&self) -> Result<(), KernelError> {
        let mut hasher = Sha256::new();
        let size = decode_all(&self.input.data, |chunk| {
            if self.input.expected.is_some() {
                hasher.update(chunk)
            }
        })
        .map_err(|e| self.input_error(e))?;
        if let Some((want_size, want_digest)) = self.input.expected {
            let digest: [u8; 32] = hasher.finalize().into();
            if size != want_size || digest != want_digest {
                return Err(KernelError::KnownAnswer {
                    kernel: KernelId::Xz,
                    case: self.input.label.clone(),
                    expected: format!("{want_size} bytes, sha256 {}", hex(&want_digest)),
                    got: format!("{size} bytes, sha256 {}", hex(&digest)),
                });
            }
        }
        let _ = self.decompressed.set(size);
        Ok(())
    }

    fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
        let expected_out = *self.decompressed.get().ok_or_else(|| {
            KernelError::Input("xz: verify() must run before workers are made".to_string())
        })?;
        Ok(Box::new(XzWorker {
            data: Arc::clone(&self.input.data),
            stream: new_decoder().map_err(|e| self.input_error(e))?,
            out: vec![0u8; OUT_CHUNK],
            pos: 0,
            expected_out,
        }))
    }
}

struct XzWorker {
    data: Arc<[u8]>,
    stream: Stream,
    out: Vec<u8>,
    pos: usize,
    expected_out: u64,
}

impl Worker for XzWorker {
    fn step(&mut self) -> Result<u64, KernelError> {
        let end = (self.pos + IN_CHUNK).min(self.data.len());
        let action = if end == self.data.len() {
            Action::Finish
        } else {
            Action::Run
        };
        let before = self.stream.total_in();
        let corrupted = |what: String| KernelError::Corrupted {
            kernel: KernelId::Xz,
            what,
        };
        let status = self
            .stream
            .process(&self.data[self.pos..end], &mut self.out, action)
            .map_err(|e| corrupted(format!("liblzma error {e:?} at input byte {}", self.pos)))?;
        let consumed = self.stream.total_in() - before;
        self.pos += consumed as usize;
        if status == Status::StreamEnd {
            let out = self.stream.total_out();
            if out != self.expected_out || self.pos != self.data.len() {
                return Err(corrupted(format!(
                    "a pass produced {out} bytes from {} input bytes, expected {} from {}",
                    self.pos,
                    self.expected_out,
                    self.data.len()
                )));
            }
            self.stream = new_decoder().map_err(|e| corrupted(format!("{e:?}")))?;
            self.pos = 0;
        }
        Ok(consumed)
    }
}

/// The liblzma that is linked in, as it reports itself at run time.
pub fn liblzma_version() -> String {
    // SAFETY: lzma_version_string takes no arguments and returns a pointer to
    // a static NUL-terminated string owned by liblzma.
    let ptr = unsafe { liblzma_sys::lzma_version_string() };
    if ptr.is_null() {
        return "unknown".to_string();
    }
    // SAFETY: non-null, static and NUL-terminated, as documented by liblzma.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use liblzma::write::XzEncoder;
    use std::io::Write;

    fn compress(data: &[u8]) -> Vec<u8> {
        let mut enc = XzEncoder::new(Vec::new(), 6);
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn input(data: Vec<u8>) -> XzInput {
        XzInput {
            label: "test".into(),
            data: Arc::from(data),
            expected: None,
        }
    }

    #[test]
    fn counts_compressed_bytes_and_restarts_the_stream() {
        let plain: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let xz = compress(&plain);
        let k = XzKernel::new(input(xz.clone()));
        k.verify().unwrap();
        let mut w = k.worker().unwrap();
        let mut total = 0u64;
        // Three passes over the stream must count three times its size.
        while total < 3 * xz.len() as u64 {
            total += w.step().unwrap();
        }
        assert_eq!(total, 3 * xz.len() as u64);
    }

    #[test]
    fn truncated_stream_is_refused_before_timing() {
        let plain = vec![7u8; 100_000];
        let mut xz = compress(&plain);
        xz.truncate(xz.len() - 10);
        let k = XzKernel::new(input(xz));
        let err = k.verify().unwrap_err().to_string();
        assert!(err.contains("corrupt"), "{err}");
    }

    #[test]
    fn wrong_digest_is_a_known_answer_failure() {
        let xz = compress(b"hello");
        let mut inp = input(xz);
        inp.expected = Some((5, [0u8; 32]));
        let err = XzKernel::new(inp).verify().unwrap_err();
        assert!(matches!(err, KernelError::KnownAnswer { .. }), "{err}");
    }
}
