//! The one trait every benchmark kernel implements.
//!
//! A kernel is split in two: the shared, read-only [`Kernel`] (known-answer
//! tests, which implementation the CPU gets) and a per-thread [`Worker`]
//! holding private buffers, so that all-core runs share nothing mutable.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kernels sbcbench knows, by the names used on the command line and in
/// result files.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum KernelId {
    /// The default only so that a row can start empty.
    #[default]
    #[serde(rename = "sha1")]
    Sha1,
    #[serde(rename = "chacha20-poly1305")]
    Chacha20Poly1305,
    #[serde(rename = "xz")]
    Xz,
}

impl PartialEq<&str> for KernelId {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl std::str::FromStr for KernelId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KernelId::from_name(s).ok_or_else(|| format!("unknown kernel '{s}'"))
    }
}

impl KernelId {
    /// In the article's order.
    pub const ALL: [KernelId; 3] = [KernelId::Sha1, KernelId::Chacha20Poly1305, KernelId::Xz];

    pub fn name(self) -> &'static str {
        match self {
            KernelId::Sha1 => "sha1",
            KernelId::Chacha20Poly1305 => "chacha20-poly1305",
            KernelId::Xz => "xz",
        }
    }

    pub fn from_name(name: &str) -> Option<KernelId> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for KernelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a kernel refused to produce a number.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error(
        "{kernel}: known-answer test '{case}' failed: expected {expected}, got {got}. \
         This build computes wrong results on this CPU (miscompiled or broken \
         hardware); no figure will be reported"
    )]
    KnownAnswer {
        kernel: KernelId,
        case: String,
        expected: String,
        got: String,
    },
    #[error("{kernel}: output check failed during the run: {what}")]
    Corrupted { kernel: KernelId, what: String },
    #[error("{0}")]
    Input(String),
    /// A board's own tool (system engine) is missing, odd or failed.
    #[error("{0}")]
    Tool(String),
}

/// Whose code computes a kernel: sbcbench's own (RustCrypto, liblzma) or
/// the board's tools (`openssl speed`, `xz -d`), as the article measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Engine {
    #[default]
    Builtin,
    System,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Builtin => "builtin",
            Engine::System => "system",
        })
    }
}

impl std::str::FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "builtin" => Ok(Engine::Builtin),
            "system" => Ok(Engine::System),
            _ => Err(format!(
                "'{s}' is not an engine; expected builtin or system"
            )),
        }
    }
}

crate::serde_as_string!(Engine);

/// A benchmark kernel shared by all worker threads.
pub trait Kernel: Send + Sync {
    fn id(&self) -> KernelId;
    /// Whose code it runs.
    fn engine(&self) -> Engine {
        Engine::Builtin
    }
    /// Which code path this CPU runs (e.g. `sha-ni`, `neon`, `liblzma 5.8.1`):
    /// the first thing to look at when two boards differ.
    fn implementation(&self) -> String;
    /// Known-answer tests, run before anything is timed.
    fn verify(&self) -> Result<(), KernelError>;
    /// Fresh per-thread state.
    fn worker(&self) -> Result<Box<dyn Worker>, KernelError>;
}

/// Per-thread state of a kernel.
pub trait Worker: Send {
    /// Processes one unit of work (a 16 KiB block, an xz chunk) and returns
    /// the bytes it counts towards MB/s.
    fn step(&mut self) -> Result<u64, KernelError>;
    /// Whether the work done so far is a whole number of the kernel's
    /// units, so that a sample may end here. The runner steps on past
    /// `--min-time` until it is: an xz sample is whole decodes of its
    /// input, as the article timed them, because the cost per byte differs
    /// along the stream and a slice would depend on where it started.
    fn at_boundary(&self) -> bool {
        true
    }
    /// Checks, after timing, that the work done was the right work.
    fn finish(&mut self) -> Result<(), KernelError> {
        Ok(())
    }
}

/// Renders bytes as lowercase hex for known-answer messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic, incompressible-looking fill for crypto buffers: the
/// content does not change the speed of SHA-1 or ChaCha20, but a fixed one
/// makes the digests checkable.
pub(crate) fn fill_pattern(buf: &mut [u8], seed: u64) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for b in buf {
        // xorshift64
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = (x >> 24) as u8;
    }
}
