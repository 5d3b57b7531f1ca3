//! The system engine of the crypto kernels: the board's own
//! `openssl speed -evp sha1|chacha20-poly1305` at 16 KiB blocks, the
//! article's command. One step is one `openssl speed -bytes 16384
//! -seconds N -mr -elapsed` process, run by the pinned worker (so it runs
//! on that worker's CPU); its machine-readable `+R:` line gives the blocks
//! it did, which the runner times like any other step.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::BLOCK_BYTES;
use crate::measure::kernel::{Engine, Kernel, KernelError, KernelId, Worker};
use crate::measure::tool;

/// A tool gets this long beyond what it was asked to run for.
const GRACE: Duration = Duration::from_secs(30);

/// `openssl speed` through the board's `openssl`.
#[derive(Clone)]
pub struct OpensslSpeed {
    id: KernelId,
    program: PathBuf,
    /// `openssl 3.0.19`, as its `version` says.
    version: String,
    /// `-seconds` of one process: one step.
    seconds: u64,
}

impl OpensslSpeed {
    /// The kernel `id` through `program`, each step lasting `seconds`
    /// (at least 1, openssl's unit). Nothing is run yet: [`Kernel::verify`]
    /// checks the tool.
    pub fn new(id: KernelId, program: &Path, seconds: u64) -> Result<OpensslSpeed, KernelError> {
        if id == KernelId::Xz {
            return Err(KernelError::Tool("openssl does not decompress xz".into()));
        }
        let ran = tool::run_ok(
            Command::new(program).arg("version"),
            "openssl version",
            GRACE,
        )
        .map_err(KernelError::Tool)?;
        Ok(OpensslSpeed {
            id,
            program: program.to_path_buf(),
            version: parse_version(&ran.stdout).ok_or_else(|| {
                KernelError::Tool(format!(
                    "openssl version: '{}' is not a version this reads",
                    ran.stdout.trim()
                ))
            })?,
            seconds: seconds.max(1),
        })
    }

    /// The `-evp` name of the kernel, and the name `+R:` lines give it.
    fn algorithm(&self) -> &'static str {
        match self.id {
            KernelId::Sha1 => "sha1",
            _ => "chacha20-poly1305",
        }
    }

    /// One `openssl speed` run of `seconds`; the bytes it processed.
    fn speed(&self, seconds: u64) -> Result<u64, KernelError> {
        let what = format!("{} speed -evp {}", self.version, self.algorithm());
        let ran = tool::run_ok(
            Command::new(&self.program).args([
                "speed",
                "-evp",
                self.algorithm(),
                "-bytes",
                &BLOCK_BYTES.to_string(),
                "-seconds",
                &seconds.to_string(),
                "-mr",
                "-elapsed",
            ]),
            &what,
            Duration::from_secs(seconds) + GRACE,
        )
        .map_err(KernelError::Tool)?;
        // OpenSSL 3 writes `+R:` to stderr, `+F:` to stdout.
        let output = format!("{}\n{}", ran.stderr, ran.stdout);
        let blocks = parse_blocks(&output, self.algorithm())
            .map_err(|e| KernelError::Tool(format!("{what}: {e}")))?;
        Ok(blocks * BLOCK_BYTES as u64)
    }
}

/// `OpenSSL 3.0.19 27 Jan 2026 (Library: …)` → `openssl 3.0.19`;
/// LibreSSL the same way.
pub fn parse_version(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let name = words.next()?.to_ascii_lowercase();
    let version = words.next()?;
    let known = matches!(name.as_str(), "openssl" | "libressl");
    (known && version.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| format!("{name} {version}"))
}

/// The blocks of a `-mr` run of `algorithm`: its `+R:<count>:<name>:<s>`
/// line (the name as openssl spells it, in any case).
pub fn parse_blocks(output: &str, algorithm: &str) -> Result<u64, String> {
    let mut found = None;
    for line in output.lines() {
        let Some(rest) = line.trim_end().strip_prefix("+R:") else {
            continue;
        };
        let fields: Vec<&str> = rest.split(':').collect();
        let [count, name, seconds] = fields[..] else {
            return Err(format!("'{line}' is not a +R:count:name:seconds line"));
        };
        if !name.eq_ignore_ascii_case(algorithm) {
            return Err(format!("it measured '{name}', not {algorithm}"));
        }
        let count: u64 = count
            .parse()
            .map_err(|_| format!("'{count}' in '{line}' is not a block count"))?;
        if !seconds
            .parse::<f64>()
            .is_ok_and(|s| s.is_finite() && s > 0.0)
        {
            return Err(format!("'{seconds}' in '{line}' is not a duration"));
        }
        if found.replace(count).is_some() {
            return Err("it printed two +R lines for one block size".into());
        }
    }
    match found {
        Some(0) => Err("it did no block at all".into()),
        Some(n) => Ok(n),
        None => {
            Err("no +R: line in its output (an openssl without -mr, -bytes or -elapsed?)".into())
        }
    }
}

impl Kernel for OpensslSpeed {
    fn id(&self) -> KernelId {
        self.id
    }

    fn engine(&self) -> Engine {
        Engine::System
    }

    fn implementation(&self) -> String {
        self.version.clone()
    }

    /// The digest of a known input through `openssl dgst` (sha1), and one
    /// short run that parses: an openssl lacking the algorithm, `-bytes` or
    /// `-mr` says so here, before anything is timed.
    fn verify(&self) -> Result<(), KernelError> {
        if self.id == KernelId::Sha1 {
            let dir = tempfile::tempdir()
                .map_err(|e| KernelError::Tool(format!("a temporary folder: {e}")))?;
            let input = dir.path().join("abc");
            std::fs::write(&input, b"abc")
                .map_err(|e| KernelError::Tool(format!("a temporary file: {e}")))?;
            let ran = tool::run_ok(
                Command::new(&self.program)
                    .args(["dgst", "-sha1", "-r"])
                    .arg(&input),
                "openssl dgst -sha1",
                GRACE,
            )
            .map_err(KernelError::Tool)?;
            // FIPS 180 "abc".
            let want = "a9993e364706816aba3e25717850c26c9cd0d89d";
            let got = ran.stdout.split_whitespace().next().unwrap_or_default();
            if got != want {
                return Err(KernelError::KnownAnswer {
                    kernel: KernelId::Sha1,
                    case: format!("{} dgst -sha1 'abc'", self.version),
                    expected: want.into(),
                    got: got.to_string(),
                });
            }
        }
        self.speed(1).map(drop)
    }

    fn worker(&self) -> Result<Box<dyn Worker>, KernelError> {
        Ok(Box::new(SpeedWorker {
            kernel: self.clone(),
        }))
    }
}

struct SpeedWorker {
    kernel: OpensslSpeed,
}

impl Worker for SpeedWorker {
    fn step(&mut self) -> Result<u64, KernelError> {
        self.kernel.speed(self.kernel.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::tool::testing::script;

    /// OpenSSL 3.0.19's `speed -evp sha1 -bytes 16384 -seconds 1 -mr -elapsed`,
    /// stderr then stdout.
    const SHA1_MR: &str =
        "+DT:sha1:1:16384\n+R:118009:sha1:1.000000\n+H:16384\n+F:25:sha1:1933459456.00\n";

    #[test]
    fn machine_readable_lines_give_the_blocks() {
        assert_eq!(parse_blocks(SHA1_MR, "sha1"), Ok(118_009));
        let chacha = "+DT:ChaCha20-Poly1305:1:16384\n+R:229086:ChaCha20-Poly1305:1.000000\n";
        assert_eq!(parse_blocks(chacha, "chacha20-poly1305"), Ok(229_086));
        for (bad, why) in [
            ("", "no +R: line"),
            ("+R:12:md5:1.0", "measured 'md5'"),
            ("+R:x:sha1:1.0", "not a block count"),
            ("+R:12:sha1:nan", "not a duration"),
            ("+R:12:sha1", "not a +R:count:name:seconds line"),
            ("+R:0:sha1:1.0", "no block at all"),
            ("+R:1:sha1:1.0\n+R:1:sha1:1.0", "two +R lines"),
        ] {
            let err = parse_blocks(bad, "sha1").unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn versions_are_read_as_the_tool_says_them() {
        assert_eq!(
            parse_version("OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)\n"),
            Some("openssl 3.0.19".into())
        );
        assert_eq!(
            parse_version("LibreSSL 3.8.2"),
            Some("libressl 3.8.2".into())
        );
        assert_eq!(parse_version("BusyBox v1.36"), None);
        assert_eq!(parse_version(""), None);
    }

    /// The real openssl of this machine (the test command installs it).
    #[test]
    fn the_real_openssl_measures_both_crypto_kernels() {
        let program = tool::find_on_path("openssl").expect("openssl on PATH");
        for id in [KernelId::Sha1, KernelId::Chacha20Poly1305] {
            let k = OpensslSpeed::new(id, &program, 1).unwrap();
            assert!(
                k.implementation().starts_with("openssl "),
                "{}",
                k.implementation()
            );
            assert_eq!((k.id(), k.engine()), (id, Engine::System));
            k.verify().unwrap();
            let bytes = k.worker().unwrap().step().unwrap();
            assert_eq!(bytes % BLOCK_BYTES as u64, 0);
            assert!(bytes > 100 * BLOCK_BYTES as u64, "{bytes}");
        }
    }

    #[test]
    fn odd_openssls_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let version = "if [ \"$1\" = version ]; then echo 'OpenSSL 1.0.2u 20 Dec 2019'; exit 0; fi";
        for (name, body, why) in [
            ("garbage", "echo 'hello'", "'hello' is not a version"),
            (
                "fails",
                "echo broken >&2; exit 1",
                "exited with exit status: 1 (broken)",
            ),
            (
                "old",
                &format!("{version}\necho 'speed: Unknown option -bytes' >&2; exit 1")[..],
                "openssl 1.0.2u speed -evp sha1: exited",
            ),
            (
                "liar",
                &format!("{version}\necho '+R:12:md5:1.0'")[..],
                "measured 'md5'",
            ),
            ("silent", &format!("{version}\nexit 0")[..], "no +R: line"),
        ] {
            let program = script(dir.path(), name, body);
            let err = OpensslSpeed::new(KernelId::Sha1, &program, 1)
                .and_then(|k| k.speed(1))
                .unwrap_err();
            assert!(err.to_string().contains(why), "{name}: {err}");
        }
    }

    /// The system engine through the same runner as the built-in kernels.
    #[test]
    fn openssl_runs_through_the_runner_like_a_builtin_kernel() {
        use crate::measure::runner::{measure, Timing};
        use std::sync::atomic::AtomicBool;
        let program = tool::find_on_path("openssl").expect("openssl on PATH");
        let k = OpensslSpeed::new(KernelId::Sha1, &program, 1).unwrap();
        k.verify().unwrap();
        let timing = Timing {
            warmup: Duration::ZERO,
            min_time: Duration::from_millis(500),
            samples: 2,
        };
        let m = measure(
            &crate::observe::HostOs,
            &k,
            &[0],
            &timing,
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap();
        assert!(m.pinned);
        assert_eq!(m.samples.len(), 2);
        // One process of one second per sample: its blocks over its time.
        for s in &m.samples {
            assert!(s.elapsed_ns >= 1_000_000_000, "{s:?}");
            assert!(s.mb_per_s() > 1.0, "{s:?}");
        }
    }
}
