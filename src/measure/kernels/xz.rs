//! xz decompression of a stream held in memory: the article's
//! `time xz -d < linux-5.10.tar.xz > /dev/null`. MB/s counts *compressed*
//! input bytes per second of elapsed time.
//!
//! A step decodes a small chunk, restarting the stream when it ends, and a
//! sample is a whole number of decodes ([`Worker::at_boundary`]): the
//! first megabytes of the corpus cost less per compressed byte than the
//! rest, so a slice of the stream would be faster or slower by where it
//! started. Small steps keep Ctrl-C prompt during a long decode.

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
/// An input above this is large: a sample is at least one whole decode,
/// 4 s on a VisionFive 2 and 18 s on a Pi 1 at this size (25 s and 2 min
/// for linux-5.10.tar.xz), so a run takes fewer samples by default. The
/// built-in corpus is 2.5 MB.
pub const LARGE_INPUT_BYTES: usize = 16 << 20;

/// What the xz kernel decompresses.
#[derive(Clone, Debug)]
pub struct XzInput {
    /// For the `xz_input` column: `built-in:<sha256 prefix>`, or
    /// `<file name>:<sha256 prefix>` for a file, so that two files of one
    /// name are never taken for the same input.
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
        let digest = hex(&Sha256::digest(&data));
        Ok(XzInput {
            label: format!("{name}:{}", &digest[..corpus::LABEL_HEX_DIGITS]),
            data: Arc::from(data),
            expected: None,
        })
    }
}

impl XzInput {
    /// Whether one decode takes long enough that fewer samples are taken
    /// by default ([`LARGE_INPUT_BYTES`]).
    pub fn is_large(&self) -> bool {
        self.data.len() > LARGE_INPUT_BYTES
    }

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
    /// At the start of the stream: every decode so far is whole.
    fn at_boundary(&self) -> bool {
        self.pos == 0
    }

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

    /// A 1.2 MB stream and its kernel, checked.
    fn checked_kernel() -> (Vec<u8>, XzKernel) {
        let plain: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let xz = compress(&plain);
        let k = XzKernel::new(input(xz.clone()));
        k.verify().unwrap();
        (xz, k)
    }

    #[test]
    fn counts_compressed_bytes_and_restarts_the_stream() {
        let (xz, k) = checked_kernel();
        let mut w = k.worker().unwrap();
        let mut total = 0u64;
        // Three passes over the stream must count three times its size.
        while total < 3 * xz.len() as u64 {
            total += w.step().unwrap();
        }
        assert_eq!(total, 3 * xz.len() as u64);
    }

    /// A step is a chunk of a decode; the worker is at a boundary only
    /// between whole decodes.
    #[test]
    fn at_a_boundary_only_between_whole_decodes() {
        let (xz, k) = checked_kernel();
        let mut w = k.worker().unwrap();
        assert!(w.at_boundary(), "nothing decoded yet");
        let mut total = 0u64;
        let mut steps = 0;
        for _ in 0..2 {
            loop {
                total += w.step().unwrap();
                steps += 1;
                if w.at_boundary() {
                    break;
                }
            }
            assert_eq!(total % xz.len() as u64, 0);
        }
        assert_eq!(total, 2 * xz.len() as u64);
        assert!(steps > 4, "a decode takes several steps: {steps}");
    }

    /// Every sample of the runner, on one thread or two, is whole decodes:
    /// its bytes are a multiple of the input's size.
    #[test]
    fn every_sample_is_whole_decodes() {
        use crate::measure::runner::{measure, Timing};
        use crate::observe::HostOs;
        use std::sync::atomic::AtomicBool;
        use std::time::Duration;
        let plain: Vec<u8> = (0..600_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 29) as u8)
            .collect();
        let xz = compress(&plain);
        let k = XzKernel::new(input(xz.clone()));
        k.verify().unwrap();
        let timing = Timing {
            warmup: Duration::from_millis(1),
            min_time: Duration::from_millis(3),
            samples: 3,
        };
        let stop = AtomicBool::new(false);
        for cpus in [&[0][..], &[0, 0]] {
            let m = measure(&HostOs, &k, cpus, &timing, &stop, &mut |_| {}).unwrap();
            for s in m.samples.iter().chain(&m.warmup) {
                assert!(s.bytes > 0, "{s:?}");
                assert_eq!(s.bytes % xz.len() as u64, 0, "{s:?} of {} bytes", xz.len());
            }
        }
    }

    #[test]
    fn a_files_label_names_it_and_its_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("linux-5.10.tar.xz");
        let xz = compress(b"hello");
        std::fs::write(&path, &xz).unwrap();
        let inp = XzInput::from_file(&path).unwrap();
        let digest = hex(&Sha256::digest(&xz));
        assert_eq!(inp.label, format!("linux-5.10.tar.xz:{}", &digest[..12]));
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
