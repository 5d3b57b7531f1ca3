//! The one seam between sbcbench and the operating system.
//!
//! Every read of procfs, sysfs, `/etc` or the kernel's identity, every
//! pinning of a thread to a CPU and the one kind of write (the sweep's
//! cpufreq locks) goes through [`Os`], so that tests can replay a recorded tree from a real board
//! (`tests/fixtures/sysfs/<board>/`) with [`RecordedOs`] and so that a
//! VisionFive 2 or an RK3399 can be "observed" on an x86 CI machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A process that kept a CPU busy while we wanted the machine quiet.
#[derive(Debug, Clone, PartialEq)]
pub struct BusyProcess {
    pub pid: u32,
    pub name: String,
    /// Share of one CPU, 0–100 × number of CPUs.
    pub cpu_percent: f32,
}

/// What sbcbench may ask of the machine. Paths are absolute Linux paths
/// (`/sys/devices/system/cpu/online`); an implementation maps them.
pub trait Os: Send + Sync {
    /// The file's contents with surrounding white space trimmed, or `None`
    /// when it is absent or unreadable (absent sensors are normal on SBCs).
    fn read(&self, path: &str) -> Option<String>;
    /// Names of the entries of a directory, sorted; empty when absent.
    fn list(&self, dir: &str) -> Vec<String>;
    /// `uname -m`: the running kernel's machine name, which can differ
    /// from the binary's target (an armv6 binary on an aarch64 kernel).
    fn machine(&self) -> String;
    /// Network host name.
    fn hostname(&self) -> String;
    /// Processes other than this one that used more than `threshold`
    /// percent of a CPU during `window`.
    fn busy_processes(&self, window: Duration, threshold: f32) -> Vec<BusyProcess>;
    /// Pins the calling thread to logical CPU `cpu`; false when the OS
    /// refused (a restricted cpuset, a CPU that is not there).
    fn pin_current_thread(&self, cpu: usize) -> bool;

    /// Writes `value` to an existing sysfs file. Only the sweep writes, to
    /// lock a core class's clock (`scaling_min_freq`, `scaling_max_freq`,
    /// `scaling_governor`, `scaling_setspeed`) and to undo that; nothing
    /// else in sbcbench changes the machine, so the default refuses.
    fn write(&self, path: &str, _value: &str) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("{path}: this Os does not write"),
        ))
    }

    /// Where a file that sbcbench opens itself (a meter's `/dev/hidrawN`,
    /// the sweep's journal under `/var/lib/sbcbench`) is: the path itself
    /// on a real machine; in a recorded tree the entry under its root
    /// (`dev/…`, which tests make a symlink to a stand-in such as a
    /// pseudo-terminal).
    fn device_node(&self, path: &str) -> PathBuf {
        PathBuf::from(path)
    }

    /// [`Os::read`] parsed as an unsigned integer.
    fn read_u64(&self, path: &str) -> Option<u64> {
        self.read(path)?.parse().ok()
    }
}

/// The machine we are running on.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostOs;

impl Os for HostOs {
    fn read(&self, path: &str) -> Option<String> {
        read_trimmed(Path::new(path))
    }

    fn list(&self, dir: &str) -> Vec<String> {
        list_sorted(Path::new(dir))
    }

    fn machine(&self) -> String {
        sysinfo::System::cpu_arch()
    }

    fn hostname(&self) -> String {
        sysinfo::System::host_name().unwrap_or_else(|_| "localhost".to_string())
    }

    fn busy_processes(&self, window: Duration, threshold: f32) -> Vec<BusyProcess> {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System};
        let kind = ProcessRefreshKind::nothing().with_cpu();
        let Ok(mut sys) = System::new() else {
            return Vec::new();
        };
        sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        std::thread::sleep(window.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL));
        sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        let me = std::process::id();
        let mut busy: Vec<BusyProcess> = sys
            .processes()
            .iter()
            .filter(|(pid, p)| pid.as_u32() != me && p.cpu_usage() > threshold)
            .map(|(pid, p)| BusyProcess {
                pid: pid.as_u32(),
                name: p.name().to_string_lossy().into_owned(),
                cpu_percent: p.cpu_usage(),
            })
            .collect();
        busy.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
        busy
    }

    fn pin_current_thread(&self, cpu: usize) -> bool {
        pin_for_real(cpu)
    }

    fn write(&self, path: &str, value: &str) -> std::io::Result<()> {
        // sysfs takes the whole value in one write(2); a missing file is
        // an error, never a new file.
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        std::io::Write::write_all(&mut file, value.as_bytes())
    }
}

/// A tree recorded from a real machine: `<root>/sys/...`, `<root>/proc/...`,
/// `<root>/etc/os-release`, plus two files procfs cannot give:
/// `<root>/uname-m` and `<root>/hostname`. Busy processes come from
/// `<root>/busy` (lines `pid name percent`), absent meaning none. Device
/// nodes are `<root>/dev/...` ([`Os::device_node`]).
#[derive(Debug, Clone)]
pub struct RecordedOs {
    root: PathBuf,
}

impl RecordedOs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn map(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }
}

impl Os for RecordedOs {
    fn read(&self, path: &str) -> Option<String> {
        read_trimmed(&self.map(path))
    }

    fn list(&self, dir: &str) -> Vec<String> {
        list_sorted(&self.map(dir))
    }

    fn machine(&self) -> String {
        self.read("/uname-m")
            .unwrap_or_else(|| "unknown".to_string())
    }

    fn hostname(&self) -> String {
        self.read("/hostname")
            .or_else(|| self.read("/proc/sys/kernel/hostname"))
            .unwrap_or_else(|| "localhost".to_string())
    }

    fn busy_processes(&self, _window: Duration, threshold: f32) -> Vec<BusyProcess> {
        let Some(text) = self.read("/busy") else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|line| {
                let mut parts = line.split_whitespace();
                let pid = parts.next()?.parse().ok()?;
                let name = parts.next()?.to_string();
                let cpu_percent: f32 = parts.next()?.parse().ok()?;
                (cpu_percent > threshold).then_some(BusyProcess {
                    pid,
                    name,
                    cpu_percent,
                })
            })
            .collect()
    }

    /// The tree is another machine's, but the threads run on this one:
    /// they are pinned here, as [`HostOs`] pins them.
    fn pin_current_thread(&self, cpu: usize) -> bool {
        pin_for_real(cpu)
    }

    fn device_node(&self, path: &str) -> PathBuf {
        self.map(path)
    }

    /// Writes into the tree, as sysfs shows a value (with a newline), so
    /// that tests read back what the sweep wrote. Like sysfs, only existing
    /// files, and never outside the root.
    fn write(&self, path: &str, value: &str) -> std::io::Result<()> {
        let inside = Path::new(path)
            .components()
            .all(|c| !matches!(c, std::path::Component::ParentDir));
        if !inside {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("{path}: outside the recorded tree"),
            ));
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(self.map(path))?;
        std::io::Write::write_all(&mut file, format!("{value}\n").as_bytes())
    }
}

fn pin_for_real(cpu: usize) -> bool {
    core_affinity::set_for_current(core_affinity::CoreId { id: cpu })
}

fn read_trimmed(path: &Path) -> Option<String> {
    // Device-tree strings end in NUL; sysfs values end in a newline.
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(
        text.trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string(),
    )
}

fn list_sorted(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Small recorded trees for unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::{BusyProcess, Os};

    /// A machine with nothing to read that refuses to pin any thread and
    /// remembers which CPUs it was asked for.
    #[derive(Debug, Default)]
    pub struct RefusesPins {
        pub asked: Mutex<Vec<usize>>,
    }

    impl Os for RefusesPins {
        fn read(&self, _path: &str) -> Option<String> {
            None
        }
        fn list(&self, _dir: &str) -> Vec<String> {
            Vec::new()
        }
        fn machine(&self) -> String {
            "unknown".to_string()
        }
        fn hostname(&self) -> String {
            "localhost".to_string()
        }
        fn busy_processes(&self, _window: Duration, _threshold: f32) -> Vec<BusyProcess> {
            Vec::new()
        }
        fn pin_current_thread(&self, cpu: usize) -> bool {
            self.asked.lock().expect("pin log").push(cpu);
            false
        }
    }

    /// A recorded tree some of whose files answer a script: each read of
    /// such a file gives its next answer, the last one repeating (a flag
    /// that switches on mid-run, a sensor cooling down). Counts reads, not
    /// time, so nothing depends on how fast the test machine is.
    ///
    /// Writes go to the tree (a written file stops answering its script)
    /// and are logged in order, so tests can check the order of writes.
    pub struct Scripted {
        inner: super::RecordedOs,
        scripts: Mutex<HashMap<String, (Vec<String>, usize)>>,
        writes: Mutex<Vec<(String, String)>>,
        refuse: Mutex<Vec<String>>,
    }

    impl Scripted {
        pub fn new(inner: super::RecordedOs) -> Scripted {
            Scripted {
                inner,
                scripts: Mutex::new(HashMap::new()),
                writes: Mutex::new(Vec::new()),
                refuse: Mutex::new(Vec::new()),
            }
        }

        /// Writes to `path` fail (firmware or a kernel that refuses).
        pub fn refuses_writes(self, path: &str) -> Scripted {
            self.refuse.lock().expect("refuse").push(path.to_string());
            self
        }

        /// The writes so far, in order: (path, value).
        pub fn writes(&self) -> Vec<(String, String)> {
            self.writes.lock().expect("writes").clone()
        }

        /// `path` answers `answers` in turn, then its last one.
        pub fn answers(self, path: &str, answers: &[&str]) -> Scripted {
            let answers = answers.iter().map(|a| a.to_string()).collect();
            self.scripts
                .lock()
                .expect("script")
                .insert(path.to_string(), (answers, 0));
            self
        }
    }

    impl Os for Scripted {
        fn read(&self, path: &str) -> Option<String> {
            let mut scripts = self.scripts.lock().expect("script");
            match scripts.get_mut(path) {
                Some((answers, next)) => {
                    let answer = answers.get(*next).or(answers.last()).cloned();
                    *next += 1;
                    answer
                }
                None => self.inner.read(path),
            }
        }
        fn list(&self, dir: &str) -> Vec<String> {
            self.inner.list(dir)
        }
        fn machine(&self) -> String {
            self.inner.machine()
        }
        fn hostname(&self) -> String {
            self.inner.hostname()
        }
        fn busy_processes(&self, window: Duration, threshold: f32) -> Vec<BusyProcess> {
            self.inner.busy_processes(window, threshold)
        }
        fn pin_current_thread(&self, cpu: usize) -> bool {
            self.inner.pin_current_thread(cpu)
        }
        fn device_node(&self, path: &str) -> std::path::PathBuf {
            self.inner.device_node(path)
        }
        fn write(&self, path: &str, value: &str) -> std::io::Result<()> {
            if self
                .refuse
                .lock()
                .expect("refuse")
                .iter()
                .any(|p| p == path)
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{path}: refused"),
                ));
            }
            self.inner.write(path, value)?;
            self.scripts.lock().expect("script").remove(path);
            self.writes
                .lock()
                .expect("writes")
                .push((path.to_string(), value.to_string()));
            Ok(())
        }
    }

    /// A temporary tree with `files` (relative path, content) in it.
    pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, content) in files {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, content).expect("write");
        }
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_tree_maps_absolute_paths_and_trims() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/device-tree")).unwrap();
        std::fs::write(dir.path().join("proc/device-tree/model"), b"Board X\0").unwrap();
        std::fs::write(dir.path().join("uname-m"), "riscv64\n").unwrap();
        std::fs::write(dir.path().join("busy"), "12 stress 95.0\n13 idle 1.0\n").unwrap();
        let os = RecordedOs::new(dir.path());
        assert_eq!(
            os.read("/proc/device-tree/model").as_deref(),
            Some("Board X")
        );
        assert_eq!(os.machine(), "riscv64");
        assert_eq!(os.list("/proc"), vec!["device-tree".to_string()]);
        assert_eq!(os.read("/proc/missing"), None);
        let busy = os.busy_processes(Duration::ZERO, 10.0);
        assert_eq!(busy.len(), 1);
        assert_eq!(busy[0].name, "stress");
    }

    #[test]
    fn recorded_tree_writes_existing_files_inside_its_root_only() {
        let dir = testing::tree(&[("sys/f/scaling_max_freq", "1800000\n")]);
        let os = RecordedOs::new(dir.path());
        os.write("/sys/f/scaling_max_freq", "600000").unwrap();
        assert_eq!(
            os.read("/sys/f/scaling_max_freq").as_deref(),
            Some("600000")
        );
        let raw = std::fs::read_to_string(dir.path().join("sys/f/scaling_max_freq")).unwrap();
        assert_eq!(raw, "600000\n");
        assert!(os.write("/sys/f/new", "1").is_err());
        assert!(!dir.path().join("sys/f/new").exists());
        let outside = os.write("/sys/../../escape", "1").unwrap_err();
        assert_eq!(outside.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(testing::RefusesPins::default().write("/x", "1").is_err());
    }
}
