//! The `fnirsi:` meter against a simulated tester on a pseudo-terminal in
//! raw mode, standing in for the hidraw node: it checks the start commands
//! (65-byte writes: report number 0, then `AA 81…` with its CRC), sends a
//! 64-byte report of four samples every 40 ms, split in two writes as a
//! pseudo-terminal may deliver it, with an info packet and a corrupted one
//! now and then, and stops sending when the keep-alive is late, as the
//! tester does.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use sbcbench::power::meter::fnirsi_crc;
use sbcbench::record::WattsMethod;

use crate::common::{run_with_meter, sbcbench};

/// The FNB58 family: started by 81 82 82, kept alive once a second.
const NEW: ([u8; 3], Duration) = ([0x81, 0x82, 0x82], Duration::from_millis(1600));
/// The FNB48 family: started by 81 82 83, kept alive at every report.
const OLD: ([u8; 3], Duration) = ([0x81, 0x82, 0x83], Duration::from_millis(300));

/// The simulated readings: 5.00–5.09 V, 1.0–1.4 A.
const MIN_W: f64 = 5.0 * 1.0;
const MAX_W: f64 = 5.1 * 1.4;

struct Tester {
    /// A symlink to the pseudo-terminal, removed when "unplugged" so
    /// that reopening fails as it would for a vanished `/dev/hidrawN`.
    link: PathBuf,
    _dir: tempfile::TempDir,
    /// Keep-alives received after the start.
    keepalives: Arc<AtomicU64>,
    /// When the tester stopped sending for want of a keep-alive (also
    /// after the program under test has ended).
    starved: Arc<Mutex<Option<Instant>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// A 64-byte report of type `kind`, four samples of report number `k`.
fn report(kind: u8, k: u32) -> [u8; 64] {
    let mut r = [0u8; 64];
    r[0] = 0xAA;
    r[1] = kind;
    for i in 0..4 {
        let s = &mut r[2 + 15 * i..];
        s[..4].copy_from_slice(&(500_000 + 1000 * (k % 10)).to_le_bytes());
        s[4..8].copy_from_slice(&(100_000 + 10_000 * ((k + i as u32) % 5)).to_le_bytes());
        s[8..10].copy_from_slice(&600u16.to_le_bytes());
        s[12] = 1;
        s[13..15].copy_from_slice(&253u16.to_le_bytes());
    }
    r[63] = fnirsi_crc(&r);
    r
}

/// A pseudo-terminal pair in raw mode: the master (non-blocking), the
/// slave, the slave's path. Unlike `TTYPort::pair`, neither end leaks into
/// the programs the tests start (close-on-exec), so closing the master
/// hangs the node up for the program that has it open.
fn pty() -> (File, File, String) {
    let master = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open("/dev/ptmx")
        .unwrap();
    let fd = master.as_raw_fd();
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: calls on a descriptor `master` owns; ptsname_r writes at most
    // `name.len()` bytes into `name`, which outlives the call.
    unsafe {
        assert_eq!(libc::grantpt(fd), 0);
        assert_eq!(libc::unlockpt(fd), 0);
        assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0);
    }
    // SAFETY: ptsname_r returned 0: `name` holds a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    let slave = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&name)
        .unwrap();
    // SAFETY: termios is plain data, filled by tcgetattr before use, on a
    // descriptor `slave` owns.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut t), 0);
        libc::cfmakeraw(&mut t);
        assert_eq!(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t), 0);
    }
    (master, slave, name)
}

impl Tester {
    /// A tester of the family `(init, patience)`; `unplug_after` the
    /// start, it closes the node.
    fn start((init, patience): ([u8; 3], Duration), unplug_after: Option<Duration>) -> Tester {
        let (mut master, slave, name) = pty();
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("fnirsi-tester");
        std::os::unix::fs::symlink(name, &link).unwrap();
        let keepalives = Arc::new(AtomicU64::new(0));
        let starved = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (ka, sv, st, ln) = (
            Arc::clone(&keepalives),
            Arc::clone(&starved),
            Arc::clone(&stop),
            link.clone(),
        );
        let thread = std::thread::spawn(move || {
            let _slave = slave;
            let mut got = Vec::new();
            let mut commands = Vec::new();
            // When the start sequence was complete, and the last keep-alive.
            let mut started: Option<Instant> = None;
            let mut heard = Instant::now();
            let mut next = Instant::now();
            let mut k = 0u32;
            let mut buf = [0u8; 256];
            while !st.load(Ordering::Relaxed) {
                match master.read(&mut buf) {
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
                while got.len() >= 65 {
                    let w: Vec<u8> = got.drain(..65).collect();
                    let mut c = [0u8; 64];
                    c.copy_from_slice(&w[1..]);
                    assert_eq!((w[0], c[0]), (0, 0xAA), "a 65-byte command: {w:02x?}");
                    assert_eq!(c[63], fnirsi_crc(&c), "command CRC: {w:02x?}");
                    assert!(c[2..63].iter().all(|b| *b == 0), "{w:02x?}");
                    if c[1] == 0x81 {
                        commands.clear();
                        started = None;
                    }
                    commands.push(c[1]);
                    if commands.len() == 3 {
                        assert_eq!(commands, init, "start sequence");
                        started = Some(Instant::now());
                    } else if commands.len() > 3 {
                        assert_eq!(c[1], 0x83, "only keep-alives after the start");
                        ka.fetch_add(1, Ordering::Relaxed);
                    }
                    heard = Instant::now();
                }
                let Some(t0) = started else { continue };
                if unplug_after.is_some_and(|u| t0.elapsed() >= u) {
                    let _ = std::fs::remove_file(&ln);
                    return; // closes the master: the node's reads fail
                }
                if heard.elapsed() > patience {
                    sv.lock().unwrap().get_or_insert_with(Instant::now);
                    continue;
                }
                if Instant::now() >= next {
                    next += Duration::from_millis(40);
                    k += 1;
                    let r = match k % 25 {
                        7 => report(0x03, k), // an info packet
                        13 => {
                            let mut r = report(0x04, k);
                            r[20] ^= 0xFF; // a bad CRC
                            r
                        }
                        _ => report(0x04, k),
                    };
                    for part in [&r[..37], &r[37..]] {
                        let _ = master.write_all(part);
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        });
        Tester {
            link,
            _dir: dir,
            keepalives,
            starved,
            stop,
            thread: Some(thread),
        }
    }

    fn spec(&self) -> String {
        format!("fnirsi:{}", self.link.display())
    }

    /// Asserts the tester was kept alive until the program under test
    /// stopped reading: `ended` (when it exited) less its last 0.4 s, when
    /// it drains the node without keep-alives as FN-BARY does.
    fn assert_kept_alive(&self, ended: Instant) {
        assert!(self.keepalives.load(Ordering::Relaxed) > 0, "no keep-alive");
        let starved = *self.starved.lock().unwrap();
        if let Some(t) = starved {
            let stopped = ended - Duration::from_millis(400);
            assert!(
                t >= stopped,
                "a keep-alive came late, {:?} before the end",
                ended - t
            );
        }
    }
}

impl Drop for Tester {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // A wrong command is the simulator's assertion: the test's.
            if let Err(e) = t.join() {
                if !std::thread::panicking() {
                    std::panic::resume_unwind(e);
                }
            }
        }
    }
}

/// The watts, volts and amps of a `sbcbench meter` line.
fn numbers(line: &str) -> (f64, f64, f64) {
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!((f[1], f[3], f[5], f[7]), ("s", "W", "V", "A"), "{line}");
    let n = |i: usize| f[i].parse::<f64>().unwrap();
    (n(2), n(4), n(6))
}

fn assert_live_lines(stdout: &[u8], count: usize) {
    let text = String::from_utf8_lossy(stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), count, "{text}");
    for line in lines {
        let (w, v, a) = numbers(line);
        assert!(
            (5.0..=5.1).contains(&v) && (1.0..=1.4).contains(&a),
            "{line}"
        );
        // The mean of V × A per sample: near, not equal to, mean V × mean A.
        assert!(
            (MIN_W..=MAX_W).contains(&w) && (w - v * a).abs() < 0.05,
            "{line}"
        );
    }
}

#[test]
fn meter_prints_watts_volts_and_amps_of_an_fnb58() {
    let tester = Tester::start(NEW, None);
    let out = sbcbench()
        .args(["meter", &tester.spec(), "--count", "3"])
        .assert()
        .success()
        .get_output()
        .clone();
    tester.assert_kept_alive(Instant::now());
    assert_live_lines(&out.stdout, 3);
}

/// A recorded tree with a keyboard on `hidraw0` and, on `hidraw3`, a
/// tester of USB id `id` (or none) whose node is a symlink to `tester`.
fn sysroot(id: Option<&str>, tester: Option<&Tester>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let put = |node: &str, hid_id: &str| {
        let d = dir.path().join(format!("sys/class/hidraw/{node}/device"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("uevent"),
            format!("DRIVER=hid-generic\nHID_ID={hid_id}\nHID_NAME=x\nHID_PHYS=usb-0000:00:14.0-2/input0\n"),
        )
        .unwrap();
    };
    put("hidraw0", "0003:0000046D:0000C31C");
    if let Some(id) = id {
        put("hidraw3", id);
    }
    if let Some(t) = tester {
        std::fs::create_dir_all(dir.path().join("dev")).unwrap();
        std::os::unix::fs::symlink(&t.link, dir.path().join("dev/hidraw3")).unwrap();
    }
    dir
}

#[test]
fn auto_finds_the_tester_in_a_recorded_tree_or_says_how_to_look() {
    // An FNB48: the old family, started with 81 82 83, kept alive at
    // every report; a 300 ms gap stops it.
    let tester = Tester::start(OLD, None);
    let root = sysroot(Some("0003:00000483:0000003A"), Some(&tester));
    let out = sbcbench()
        .arg("--sysroot")
        .arg(root.path())
        .args(["meter", "fnirsi:auto", "--count", "2", "--interval", "0.5"])
        .assert()
        .success()
        .get_output()
        .clone();
    tester.assert_kept_alive(Instant::now());
    assert_live_lines(&out.stdout, 2);

    let empty = sysroot(None, None);
    sbcbench()
        .arg("--sysroot")
        .arg(empty.path())
        .args(["meter", "fnirsi:auto", "--count", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no FNIRSI tester found"))
        .stderr(predicate::str::contains("ls /sys/class/hidraw"))
        .stderr(predicate::str::contains("udev rule"));
}

/// A sha1 run with `--meter spec`, read back from its CSV.

#[test]
fn unplugged_mid_run_is_warned_once_and_no_watts_are_made_up() {
    // Streams through the idle phase (1 s), then goes away for good.
    let tester = Tester::start(NEW, Some(Duration::from_millis(1300)));
    let (rows, stderr) = run_with_meter(&tester.spec());
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts, None, "{r:?}");
        assert!(r.mb_per_s > 0.0);
        if let Some(w) = r.idle_watts {
            assert!((MIN_W..=MAX_W).contains(&w), "{r:?}");
        }
    }
    assert_eq!(
        stderr.matches("unplugged").count(),
        1,
        "warned once: {stderr}"
    );
}

#[test]
fn run_with_an_fnb58_fills_watts_on_every_row() {
    let tester = Tester::start(NEW, None);
    let t = Instant::now();
    let (rows, _) = run_with_meter(&tester.spec());
    tester.assert_kept_alive(Instant::now());
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.watts_source, "meter:fnirsi", "{r:?}");
        assert_eq!(r.watts_method, WattsMethod::Samples, "{r:?}");
        let w = r.watts.unwrap();
        assert!((MIN_W..=MAX_W).contains(&w), "{r:?}");
        assert!(r.watts_readings.unwrap() >= 10, "{r:?}");
    }
    eprintln!("run took {:?}", t.elapsed());
}
