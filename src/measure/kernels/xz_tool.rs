//! The system engine of the xz kernel: the board's own `xz -T1 -dc`, the
//! article's `time xz -d`, decoding the same input as the built-in kernel.
//! One step is one whole decode of the input by one `xz` process, run by
//! the pinned worker (so on its CPU), the output discarded; it counts the
//! compressed bytes. The input is a file in memory (`/dev/shm` where there
//! is one), so no disk is timed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::XzInput;
use crate::measure::kernel::{hex, Engine, Kernel, KernelError, KernelId, Worker};
use crate::measure::tool;

/// The untimed first decode may take this long: a 25 s decode of
/// linux-5.10.tar.xz on a VisionFive 2, with room for a Pi 1.
const DEADLINE: Duration = Duration::from_secs(600);
/// A timed decode is stopped when it takes this many times the first one
/// (plus [`SLACK`]): a tool that hangs costs a minute, not ten.
const STEP_FACTOR: u32 = 10;
const SLACK: Duration = Duration::from_secs(30);

/// `xz -T1 -dc` through the board's `xz`.
pub struct XzTool {
    program: PathBuf,
    /// `xz-utils 5.4.1`, as `xz --version` says.
    version: String,
    input: XzInput,
    /// The input, written once where reading it costs no disk.
    file: Arc<NamedTempFile>,
    /// How long the untimed decode of `verify` took.
    first: OnceLock<Duration>,
}

impl XzTool {
    pub fn new(program: &Path, input: &XzInput) -> Result<XzTool, KernelError> {
        let ran = tool::run_ok(
            Command::new(program).arg("--version"),
            "xz --version",
            Duration::from_secs(30),
        )
        .map_err(KernelError::Tool)?;
        let version = parse_version(&ran.stdout).ok_or_else(|| {
            KernelError::Tool(format!(
                "xz --version: '{}' is not XZ Utils (a BusyBox xz cannot decode with -T1); \
                 install xz-utils",
                ran.stdout.lines().next().unwrap_or_default().trim()
            ))
        })?;
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let keep = |e: std::io::Error| {
            KernelError::Tool(format!(
                "xz: cannot keep its input in {}: {e}",
                dir.display()
            ))
        };
        let mut file = NamedTempFile::new_in(&dir).map_err(keep)?;
        file.write_all(&input.data)
            .and_then(|()| file.flush())
            .map_err(keep)?;
        Ok(XzTool {
            program: program.to_path_buf(),
            version,
            input: input.clone(),
            file: Arc::new(file),
            first: OnceLock::new(),
        })
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(["-T1", "-dc"]).arg(self.file.path());
        cmd
    }

    fn what(&self) -> String {
        format!("{} -T1 -dc {}", self.version, self.input.label)
    }
}

/// `xz (XZ Utils) 5.4.1` → `xz-utils 5.4.1`.
pub fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    let version = line.strip_prefix("xz (XZ Utils) ")?.trim();
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| format!("xz-utils {version}"))
}

fn size_and_digest(path: &Path) -> std::io::Result<(u64, [u8; 32])> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        match file.read(&mut buf)? {
            0 => return Ok((size, hasher.finalize().into())),
            n => {
                hasher.update(&buf[..n]);
                size += n as u64;
            }
        }
    }
}

impl Kernel for XzTool {
    fn id(&self) -> KernelId {
        KernelId::Xz
    }

    fn engine(&self) -> Engine {
        Engine::System
    }

    fn implementation(&self) -> String {
        self.version.clone()
    }

    /// One untimed decode whose output must have the size and SHA-256 of
    /// the built-in decoder's.
    fn verify(&self) -> Result<(), KernelError> {
        let (want_size, want_digest) = self.input.decoded()?;
        let out = NamedTempFile::new()
            .map_err(|e| KernelError::Tool(format!("a temporary file: {e}")))?;
        let sink = out
            .reopen()
            .map_err(|e| KernelError::Tool(format!("a temporary file: {e}")))?;
        let what = self.what();
        let t0 = Instant::now();
        tool::run_with_stdout(&mut self.command(), &what, DEADLINE, Stdio::from(sink))
            .and_then(|ran| tool::succeeded(ran, &what))
            .map_err(KernelError::Tool)?;
        let _ = self.first.set(t0.elapsed());
        let (size, digest) = size_and_digest(out.path())
            .map_err(|e| KernelError::Tool(format!("{what}: its output: {e}")))?;
        if (size, digest) != (want_size, want_digest) {
            return Err(KernelError::KnownAnswer {
                kernel: KernelId::Xz,
                case: what,
                expected: format!("{want_size} bytes, sha256 {}", hex(&want_digest)),
                got: format!("{size} bytes, sha256 {}", hex(&digest)),
            });
        }
        Ok(())
    }

    fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
        let first = *self.first.get().ok_or_else(|| {
            KernelError::Tool("xz: verify() must run before workers are made".to_string())
        })?;
        Ok(Box::new(XzToolWorker {
            deadline: first * STEP_FACTOR + SLACK,
            command: self.command(),
            what: self.what(),
            bytes: self.input.data.len() as u64,
            _file: Arc::clone(&self.file),
        }))
    }
}

struct XzToolWorker {
    /// A decode taking longer has hung.
    deadline: Duration,
    command: Command,
    what: String,
    bytes: u64,
    /// The input file lives as long as a worker may read it.
    _file: Arc<NamedTempFile>,
}

impl Worker for XzToolWorker {
    fn step(&mut self) -> Result<u64, KernelError> {
        tool::run_with_stdout(&mut self.command, &self.what, self.deadline, Stdio::null())
            .and_then(|ran| tool::succeeded(ran, &self.what))
            .map_err(|e| KernelError::Corrupted {
                kernel: KernelId::Xz,
                what: e,
            })?;
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::tool::testing::script;

    #[test]
    fn versions_are_read_as_xz_utils_says_them() {
        assert_eq!(
            parse_version("xz (XZ Utils) 5.4.1\nliblzma 5.4.1\n"),
            Some("xz-utils 5.4.1".into())
        );
        assert_eq!(parse_version("xz: unrecognized option '--version'"), None);
        assert_eq!(
            parse_version("BusyBox v1.36.1 (2023-11-07) multi-call binary."),
            None
        );
    }

    /// The real xz of this machine (the test command installs it).
    #[test]
    fn the_real_xz_decodes_the_corpus_whole() {
        let program = tool::find_on_path("xz").expect("xz on PATH");
        let input = XzInput::built_in().unwrap();
        let k = XzTool::new(&program, &input).unwrap();
        assert!(
            k.implementation().starts_with("xz-utils "),
            "{}",
            k.implementation()
        );
        assert_eq!((k.id(), k.engine()), (KernelId::Xz, Engine::System));
        k.verify().unwrap();
        assert_eq!(k.worker().unwrap().step().unwrap(), input.data.len() as u64);
    }

    #[test]
    fn odd_xzs_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let input = XzInput::built_in().unwrap();
        let version = "if [ \"$1\" = --version ]; then echo 'xz (XZ Utils) 5.4.1'; exit 0; fi";
        let busybox = script(
            dir.path(),
            "busybox",
            "echo 'BusyBox v1.36.1 multi-call binary.'",
        );
        let err = XzTool::new(&busybox, &input).err().unwrap().to_string();
        assert!(err.contains("a BusyBox xz"), "{err}");
        // Decodes to something else: a wrong answer, not a figure.
        let liar = script(
            dir.path(),
            "liar",
            &format!("{version}\necho not-the-corpus"),
        );
        let err = XzTool::new(&liar, &input).unwrap().verify().unwrap_err();
        assert!(matches!(err, KernelError::KnownAnswer { .. }), "{err}");
        assert!(err.to_string().contains("got 15 bytes"), "{err}");
        let fails = script(
            dir.path(),
            "fails",
            &format!("{version}\necho 'xz: oops' >&2; exit 1"),
        );
        let k = XzTool::new(&fails, &input).unwrap();
        let err = k.worker().err().unwrap().to_string();
        assert!(err.contains("verify() must run before"), "{err}");
        let err = k.verify().unwrap_err().to_string();
        assert!(
            err.contains("exited with exit status: 1 (xz: oops)"),
            "{err}"
        );
    }
}
