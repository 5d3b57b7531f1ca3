//! A stand-in for a board's firmware under a recorded tree, for the
//! sweep's tests (`sweep.rs`, `fleet_sweep.rs`): it answers the sweep's
//! cpufreq writes as a board does, which this VM (no cpufreq) cannot.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::files_under;

pub const CPUFREQ: &str = "sys/devices/system/cpu/cpufreq";

/// The board's side of cpufreq: every few milliseconds each policy's
/// clock becomes its `scaling_min_freq` (an idle board under `ondemand`
/// sits at its minimum; a locked one has min = max), at most `cap_khz`
/// (firmware that refuses the top steps); the INA226 on the supply reads
/// 1.2 W plus a part growing with the clock's square.
pub struct Firmware {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Firmware {
    pub fn start(root: &Path, cap_khz: Option<u64>) -> Firmware {
        let ina = root.join("sys/class/hwmon/hwmon9");
        std::fs::create_dir_all(&ina).unwrap();
        std::fs::write(ina.join("name"), "ina226\n").unwrap();
        std::fs::write(ina.join("power1_input"), "1200000\n").unwrap();
        let policies: Vec<PathBuf> = std::fs::read_dir(root.join(CPUFREQ))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("policy")
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let mut top = 0u64;
                for p in &policies {
                    let Some(min) = read_khz(&p.join("scaling_min_freq")) else {
                        continue;
                    };
                    let cur = cap_khz.map_or(min, |c| min.min(c));
                    top = top.max(cur);
                    if read_khz(&p.join("scaling_cur_freq")) != Some(cur) {
                        write_atomic(&p.join("scaling_cur_freq"), &format!("{cur}\n"));
                    }
                }
                let ghz = top as f64 / 1e6;
                let micro_w = (1.2 + 2.0 * ghz * ghz) * 1e6;
                write_atomic(&ina.join("power1_input"), &format!("{micro_w:.0}\n"));
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Firmware {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Firmware {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn read_khz(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Readers see the old or the new value, never an empty file.
fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("firmware-tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Every file under the CPU tree with its bytes, but the clock the
/// firmware sets (and its file on the way in, which a running firmware
/// renames away at any moment): the settings as cpufreq keeps them.
pub fn cpufreq_settings(root: &Path) -> Vec<(PathBuf, String)> {
    files_under(&root.join("sys/devices/system/cpu"))
        .into_iter()
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("scaling_cur_freq")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}
