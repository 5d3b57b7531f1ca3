//! FNIRSI USB-C testers (FNB48, FNB48S, FNB58, C1) on a Linux hidraw node,
//! with plain reads and writes: no libusb. The wire format is in the
//! protocol notes (`meters-and-labs.md` §6, after FN-BARY's logger and
//! FN-RB's `device.rs`): three 64-byte commands, 64-byte reports of four
//! samples each, 100 samples a second, CRC-8 (poly 0x39, init 0x42).
//!
//! The tester streams: a thread owned by the driver sends the start
//! commands, keeps the tester alive and reads every report; [`Meter::read`]
//! gives the mean of the samples since the previous read. The tester keeps
//! no energy counter: the monitor's time-weighted mean of these means is
//! the method.
//!
//! `fnirsi:auto` looks for the tester in `/sys/class/hidraw/*/device/uevent`
//! through the [`Os`] seam; a node is opened where [`Os::device_node`] says,
//! so under `--sysroot DIR` the node `/dev/hidraw3` is `DIR/dev/hidraw3`
//! (in tests a symlink to a pseudo-terminal that plays the tester).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Meter, MeterError, MeterSpec, Reading};
use crate::observe::Os;

const HIDRAW: &str = "/sys/class/hidraw";
/// One report either way; a hidraw write adds the report number 0 first.
pub const REPORT: usize = 64;
/// Without a new sample for this long, a read fails.
const STALE: Duration = Duration::from_secs(1);
/// How long opening waits for the first measurement after the start
/// commands: a node that gives none is no tester (or a C1 before 0.70).
const FIRST: Duration = Duration::from_secs(2);
/// FN-RB warns that the tester may crash on commands sent back to back.
const INIT_GAP: Duration = Duration::from_millis(25);
/// The reader thread wakes at least this often to see if it must stop.
const POLL: Duration = Duration::from_millis(20);
/// FN-BARY's README: stop reading abruptly and the display may freeze.
const DRAIN: Duration = Duration::from_millis(300);

const CRC8: crc::Algorithm<u8> = crc::Algorithm {
    width: 8,
    poly: 0x39,
    init: 0x42,
    refin: false,
    refout: false,
    xorout: 0x00,
    check: 0x4B,
    residue: 0x00,
};
const CRC: crc::Crc<u8> = crc::Crc::<u8>::new(&CRC8);

/// The CRC of a report, over bytes 1..=62 (stored in byte 63).
pub fn fnirsi_crc(report: &[u8; REPORT]) -> u8 {
    CRC.checksum(&report[1..63])
}

/// A command: `AA code`, zeros, its CRC.
fn command(code: u8) -> [u8; REPORT] {
    let mut c = [0u8; REPORT];
    c[0] = 0xAA;
    c[1] = code;
    c[63] = fnirsi_crc(&c);
    c
}

/// The two protocol families: they differ in the start sequence and in
/// how often the tester wants to hear from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// FNB48, C1.
    Old,
    /// FNB58, FNB48S.
    New,
}

impl Family {
    fn init(self) -> [u8; 3] {
        match self {
            Family::Old => [0x81, 0x82, 0x83],
            Family::New => [0x81, 0x82, 0x82],
        }
    }

    /// The keep-alive (`AA 83`) interval. FN-BARY checks its 3 ms for the
    /// old family after each report it reads, which with a report every
    /// 40 ms is one keep-alive per report: the reader thread does the same.
    fn keepalive(self) -> Duration {
        match self {
            Family::Old => Duration::from_millis(3),
            Family::New => Duration::from_secs(1),
        }
    }
}

/// USB ids: vendor, product, model, family (`None`: the FNB58's
/// bootloader, which must not be sent commands).
const MODELS: [(u32, u32, &str, Option<Family>); 5] = [
    (0x0483, 0x003A, "FNB48", Some(Family::Old)),
    (0x0483, 0x003B, "C1", Some(Family::Old)),
    (0x2E3C, 0x0049, "FNB48S", Some(Family::New)),
    (0x2E3C, 0x5558, "FNB58", Some(Family::New)),
    (0x0483, 0x0038, "FNB58 bootloader (DFU)", None),
];

/// The model of a hidraw node's `device/uevent`, from its line
/// `HID_ID=0003:00002E3C:00005558` (bus, vendor, product): `Err` with the
/// id when it is no FNIRSI tester, `Ok(None)` without an id.
type Model = (u32, u32, &'static str, Option<Family>);
fn model(uevent: &str) -> Result<Option<&'static Model>, String> {
    let Some(id) = uevent
        .lines()
        .find_map(|l| l.trim().strip_prefix("HID_ID="))
    else {
        return Ok(None);
    };
    let mut parts = id.split(':').skip(1).map(|h| u32::from_str_radix(h, 16));
    match (parts.next(), parts.next()) {
        (Some(Ok(v)), Some(Ok(p))) => MODELS
            .iter()
            .find(|m| (m.0, m.1) == (v, p))
            .map(Some)
            .ok_or_else(|| format!("{v:04x}:{p:04x}")),
        _ => Ok(None),
    }
}

/// A permissions rule for udev, for the tester `vid:pid`.
fn udev_rule(vid: u32, pid: u32) -> String {
    format!(
        "/etc/udev/rules.d/90-fnirsi.rules: SUBSYSTEM==\"hidraw\", \
         ATTRS{{idVendor}}==\"{vid:04x}\", ATTRS{{idProduct}}==\"{pid:04x}\", \
         MODE=\"0666\", TAG+=\"uaccess\" (then replug the tester)"
    )
}

/// The node, model and family that `path` names (`auto`: the one tester
/// there is). A node without a uevent (a udev symlink that does not
/// resolve to `hidrawN`) is taken for the FNB58 family, the current one.
fn locate(path: &str, os: &Arc<dyn Os>) -> Result<(String, &'static Model), MeterError> {
    let fail = |reason: String| MeterError::Open {
        port: format!("fnirsi:{path}"),
        reason,
    };
    let uevent = |name: &str| os.read(&format!("{HIDRAW}/{name}/device/uevent"));
    let dfu = |node: &str| {
        fail(format!(
            "{node} is a FNIRSI tester in firmware-update (DFU) mode, 0483:0038; \
             sbcbench does not talk to it: restart the tester normally"
        ))
    };
    if path != "auto" {
        let base = |p: &std::path::Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let mut name = base(std::path::Path::new(path));
        if !name.starts_with("hidraw") {
            if let Ok(real) = std::fs::canonicalize(os.device_node(path)) {
                name = base(&real);
            }
        }
        return match uevent(&name).map(|u| model(&u)) {
            Some(Ok(Some(m))) if m.3.is_none() => Err(dfu(path)),
            Some(Ok(Some(m))) => Ok((path.to_string(), m)),
            Some(Err(id)) => Err(fail(format!(
                "{name} is USB device {id}, not a FNIRSI tester; \
                 give the tester's node, or fnirsi:auto"
            ))),
            None | Some(Ok(None)) => Ok((path.to_string(), &MODELS[3])),
        };
    }
    let mut testers = Vec::new();
    let mut bootloaders = Vec::new();
    for name in os.list(HIDRAW) {
        match uevent(&name).map(|u| model(&u)) {
            Some(Ok(Some(m))) if m.3.is_none() => bootloaders.push(name),
            Some(Ok(Some(m))) => testers.push((format!("/dev/{name}"), m)),
            _ => {}
        }
    }
    match testers.len() {
        1 => Ok(testers.remove(0)),
        0 if !bootloaders.is_empty() => Err(dfu(&bootloaders.join(", "))),
        0 => Err(fail(format!(
            "no FNIRSI tester found: no {HIDRAW}/*/device/uevent has the USB id of an \
             FNB48 (0483:003A), C1 (0483:003B), FNB48S (2E3C:0049) or FNB58 (2E3C:5558). \
             Is it plugged in by its data port? `ls {HIDRAW}` lists the HID nodes; to open \
             one without root, a udev rule such as {}",
            udev_rule(0x2E3C, 0x5558)
        ))),
        _ => {
            let list: Vec<String> = testers
                .iter()
                .map(|(node, m)| format!("{node} ({})", m.2))
                .collect();
            Err(fail(format!(
                "several FNIRSI testers: {}; name one, e.g. fnirsi:{}",
                list.join(", "),
                testers[0].0
            )))
        }
    }
}

/// One sample of a report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub volts: f64,
    pub amps: f64,
    /// The data lines' voltages.
    pub d_plus: f64,
    pub d_minus: f64,
    pub celsius: f64,
}

/// Why a report gave no samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Not `AA 04`: an info packet, or something else.
    NotData,
    BadCrc,
}

/// The four samples of a measurement report, oldest first.
pub fn fnirsi_decode(report: &[u8; REPORT]) -> Result<[Sample; 4], Dropped> {
    if report[..2] != [0xAA, 0x04] {
        return Err(Dropped::NotData);
    }
    if fnirsi_crc(report) != report[63] {
        return Err(Dropped::BadCrc);
    }
    let u32_at =
        |i: usize| u32::from_le_bytes([report[i], report[i + 1], report[i + 2], report[i + 3]]);
    let u16_at = |i: usize| u16::from_le_bytes([report[i], report[i + 1]]);
    Ok(std::array::from_fn(|i| {
        let at = 2 + 15 * i;
        Sample {
            volts: f64::from(u32_at(at)) / 1e5,
            amps: f64::from(u32_at(at + 4)) / 1e5,
            d_plus: f64::from(u16_at(at + 8)) / 1e3,
            d_minus: f64::from(u16_at(at + 10)) / 1e3,
            celsius: f64::from(u16_at(at + 13)) / 10.0,
        }
    }))
}

/// What the reader thread has gathered since the last [`Meter::read`].
#[derive(Default)]
struct Gathered {
    volts: f64,
    amps: f64,
    watts: f64,
    samples: u32,
    /// When the last sample arrived.
    last: Option<Instant>,
    /// Reports with a bad CRC since the last good one.
    bad_crc: u64,
    /// Why the node cannot be read any more.
    gone: Option<String>,
}

type Shared = Arc<(Mutex<Gathered>, Condvar)>;

fn lock(m: &Mutex<Gathered>) -> MutexGuard<'_, Gathered> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct Fnirsi {
    port: String,
    shared: Shared,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Writes one command: report number 0, then its 64 bytes.
fn send(file: &mut File, command: &[u8; REPORT]) -> io::Result<()> {
    let mut out = [0u8; REPORT + 1];
    out[1..].copy_from_slice(command);
    file.write_all(&out)
}

/// Reads what has come into `buf` within `wait`: `None` when nothing has,
/// `Some(0)` at the end of the file (a hung-up node).
fn read_within(file: &mut File, buf: &mut [u8], wait: Duration) -> io::Result<Option<usize>> {
    let mut fd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, valid for the call, on a descriptor `file` owns.
    let n = unsafe { libc::poll(&mut fd, 1, wait.as_millis() as libc::c_int) };
    let r = if n > 0 {
        file.read(buf)
    } else if n == 0 {
        return Ok(None);
    } else {
        Err(io::Error::last_os_error())
    };
    match r {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
            ) =>
        {
            Ok(None)
        }
        r => r.map(Some),
    }
}

/// The reader thread: keeps the tester alive, reads whole reports (a
/// hidraw read gives one; a pseudo-terminal may split it), adds their
/// samples up, and on stop drains briefly.
fn pump(mut file: File, family: Family, shared: Shared, stop: Arc<AtomicBool>) {
    let (m, cv) = &*shared;
    let keepalive = command(0x83);
    let mut last_sent = Instant::now();
    let mut buf = [0u8; REPORT];
    let mut filled = 0;
    let gone = |e: io::Error| {
        lock(m).gone = Some(e.to_string());
        cv.notify_all();
    };
    while !stop.load(Ordering::Relaxed) {
        if last_sent.elapsed() >= family.keepalive() {
            if let Err(e) = send(&mut file, &keepalive) {
                return gone(e);
            }
            last_sent = Instant::now();
        }
        let n = match read_within(&mut file, &mut buf[filled..], POLL) {
            Ok(None) => continue,
            Ok(Some(0)) => return gone(io::ErrorKind::UnexpectedEof.into()),
            Ok(Some(n)) => n,
            Err(e) => return gone(e),
        };
        filled += n;
        if filled < REPORT {
            continue;
        }
        filled = 0;
        let decoded = fnirsi_decode(&buf);
        let mut g = lock(m);
        match decoded {
            Ok(samples) => {
                for s in samples {
                    g.volts += s.volts;
                    g.amps += s.amps;
                    g.watts += s.volts * s.amps;
                }
                g.samples += 4;
                g.last = Some(Instant::now());
                g.bad_crc = 0;
                cv.notify_all();
            }
            Err(Dropped::BadCrc) => g.bad_crc += 1,
            Err(Dropped::NotData) => {}
        }
    }
    let end = Instant::now() + DRAIN;
    while Instant::now() < end {
        if !matches!(read_within(&mut file, &mut buf, POLL * 5), Ok(Some(n)) if n > 0) {
            break;
        }
    }
}

impl Fnirsi {
    pub fn open(spec: &MeterSpec, os: &Arc<dyn Os>) -> Result<Fnirsi, MeterError> {
        let (node, &(vid, pid, name, family)) = locate(&spec.path, os)?;
        let family = family.unwrap_or(Family::New);
        let port = format!("{node} ({name})");
        let fail = |reason: String| MeterError::Open {
            port: port.clone(),
            reason,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(os.device_node(&node))
            .map_err(|e| match e.kind() {
                io::ErrorKind::PermissionDenied => fail(format!(
                    "{e}; let users open it with a udev rule, {}",
                    udev_rule(vid, pid)
                )),
                _ => fail(e.to_string()),
            })?;
        for (i, code) in family.init().into_iter().enumerate() {
            if i > 0 {
                std::thread::sleep(INIT_GAP);
            }
            send(&mut file, &command(code)).map_err(|e| fail(format!("start command: {e}")))?;
        }
        let shared: Shared = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st) = (Arc::clone(&shared), Arc::clone(&stop));
        let thread = std::thread::spawn(move || pump(file, family, sh, st));
        let meter = Fnirsi {
            port: port.clone(),
            shared,
            stop,
            thread: Some(thread),
        };
        let g = meter.wait(FIRST);
        if g.samples == 0 {
            let why = match &g.gone {
                Some(e) => e.clone(),
                None => format!(
                    "no measurement within {} s of the start commands: is it a FNIRSI tester \
                     in its normal mode? (a C1 needs firmware 0.70 or later)",
                    FIRST.as_secs()
                ),
            };
            return Err(fail(why));
        }
        drop(g);
        Ok(meter)
    }

    /// What has been gathered, once there is a sample or the node is
    /// gone, or after `at_most`.
    fn wait(&self, at_most: Duration) -> MutexGuard<'_, Gathered> {
        let (m, cv) = &*self.shared;
        cv.wait_timeout_while(lock(m), at_most, |g| g.samples == 0 && g.gone.is_none())
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0)
    }
}

impl Meter for Fnirsi {
    fn protocol(&self) -> &'static str {
        "fnirsi"
    }

    fn port(&self) -> &str {
        &self.port
    }

    /// The mean of the samples since the last read (100 a second), stamped
    /// when the last of them arrived; waits up to [`STALE`] for one.
    fn read(&mut self) -> Result<Reading, MeterError> {
        let mut g = self.wait(STALE);
        if g.samples > 0 {
            let n = f64::from(g.samples);
            let r = Reading {
                at: g.last.unwrap_or_else(Instant::now),
                watts: g.watts / n,
                volts: Some(g.volts / n),
                amps: Some(g.amps / n),
                energy: None,
            };
            let gone = g.gone.take();
            *g = Gathered {
                gone,
                ..Gathered::default()
            };
            return Ok(r);
        }
        let port = self.port.clone();
        Err(match &g.gone {
            Some(e) => MeterError::Bad {
                port,
                what: format!("the tester was unplugged ({e})"),
            },
            None if g.bad_crc > 0 => MeterError::Bad {
                port,
                what: format!(
                    "only reports with a bad CRC for {} ms ({} of them): a bad cable?",
                    STALE.as_millis(),
                    g.bad_crc
                ),
            },
            None => MeterError::Timeout {
                port,
                ms: STALE.as_millis(),
            },
        })
    }
}

impl Drop for Fnirsi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::os::testing::Scripted;
    use crate::observe::RecordedOs;
    use crate::power::meter::values::test_util::close;

    #[test]
    fn crc_of_the_three_commands_and_the_check_value() {
        assert_eq!(CRC.checksum(b"123456789"), 0x4B);
        for (code, crc) in [(0x81, 0x8E), (0x82, 0x96), (0x83, 0x9E)] {
            assert_eq!(command(code)[63], crc, "{code:02x}");
        }
    }

    /// A report of four samples: 5.1 V + i mV, 1.25 A, D+ 0.6 V, D− 5 mV,
    /// 25.3 °C.
    fn report() -> [u8; REPORT] {
        let mut r = [0u8; REPORT];
        r[..2].copy_from_slice(&[0xAA, 0x04]);
        for i in 0..4 {
            let s = &mut r[2 + 15 * i..2 + 15 * (i + 1)];
            s[..4].copy_from_slice(&(510_000 + 100 * i as u32).to_le_bytes());
            s[4..8].copy_from_slice(&125_000u32.to_le_bytes());
            s[8..10].copy_from_slice(&600u16.to_le_bytes());
            s[10..12].copy_from_slice(&5u16.to_le_bytes());
            s[12] = 1;
            s[13..15].copy_from_slice(&253u16.to_le_bytes());
        }
        r[62] = 0x5A;
        r[63] = fnirsi_crc(&r);
        r
    }

    #[test]
    fn a_report_gives_four_samples_in_si_units() {
        let samples = fnirsi_decode(&report()).unwrap();
        for (i, s) in samples.iter().enumerate() {
            assert!(close(s.volts, 5.1 + 0.001 * i as f64), "{i}: {s:?}");
            assert!(close(s.amps, 1.25) && close(s.d_plus, 0.6), "{s:?}");
            assert!(close(s.d_minus, 0.005) && close(s.celsius, 25.3), "{s:?}");
        }
    }

    #[test]
    fn bad_crc_and_other_packets_are_dropped() {
        let mut bad = report();
        bad[5] ^= 1;
        assert_eq!(fnirsi_decode(&bad), Err(Dropped::BadCrc));
        let mut info = report();
        info[1] = 0x03;
        info[63] = fnirsi_crc(&info);
        assert_eq!(fnirsi_decode(&info), Err(Dropped::NotData));
        assert_eq!(fnirsi_decode(&[0; REPORT]), Err(Dropped::NotData));
    }

    /// A recorded tree with these hidraw nodes: name, USB vendor, product.
    fn os_with(nodes: &[(&str, u32, u32)]) -> (tempfile::TempDir, Arc<dyn Os>) {
        let dir = tempfile::tempdir().unwrap();
        for (node, vid, pid) in nodes {
            let d = dir.path().join(format!("sys/class/hidraw/{node}/device"));
            std::fs::create_dir_all(&d).unwrap();
            let uevent = format!(
                "DRIVER=hid-generic\nHID_ID=0003:{vid:08X}:{pid:08X}\nHID_NAME=x\n\
                 HID_PHYS=usb-0000:00:14.0-2/input0\n"
            );
            std::fs::write(d.join("uevent"), uevent).unwrap();
        }
        let os: Arc<dyn Os> = Arc::new(RecordedOs::new(dir.path()));
        (dir, os)
    }

    #[test]
    fn auto_finds_the_one_tester_and_its_family() {
        let keyboard = ("hidraw0", 0x046D, 0xC31C);
        let (_d, os) = os_with(&[keyboard, ("hidraw3", 0x2E3C, 0x5558)]);
        let (node, m) = locate("auto", &os).unwrap();
        assert_eq!(
            (node.as_str(), m.2, m.3),
            ("/dev/hidraw3", "FNB58", Some(Family::New))
        );
        let (_d, os) = os_with(&[keyboard, ("hidraw5", 0x0483, 0x003B)]);
        let (_, m) = locate("/dev/hidraw5", &os).unwrap();
        assert_eq!((m.2, m.3), ("C1", Some(Family::Old)));
        assert_eq!(Family::Old.init(), [0x81, 0x82, 0x83]);
        // A node without a uevent: the FNB58 family.
        let (_, m) = locate("/dev/ttyACM0", &os).unwrap();
        assert_eq!(m.3, Some(Family::New));
    }

    #[test]
    fn auto_with_none_several_or_a_bootloader_says_what_to_do() {
        let err = |nodes: &[(&str, u32, u32)], path: &str| {
            let (_d, os) = os_with(nodes);
            locate(path, &os).unwrap_err().to_string()
        };
        let e = err(&[("hidraw0", 0x046D, 0xC31C)], "auto");
        assert!(
            e.contains("no FNIRSI tester found") && e.contains("ls /sys/class/hidraw"),
            "{e}"
        );
        assert!(e.contains("SUBSYSTEM==\"hidraw\""), "{e}");
        let e = err(
            &[("hidraw1", 0x2E3C, 0x5558), ("hidraw2", 0x0483, 0x003A)],
            "auto",
        );
        assert!(
            e.contains("/dev/hidraw1 (FNB58), /dev/hidraw2 (FNB48)"),
            "{e}"
        );
        assert!(e.contains("fnirsi:/dev/hidraw1"), "{e}");
        let e = err(&[("hidraw1", 0x0483, 0x0038)], "auto");
        assert!(e.contains("DFU") && e.contains("hidraw1"), "{e}");
        let e = err(&[("hidraw1", 0x0483, 0x0038)], "/dev/hidraw1");
        assert!(e.contains("DFU"), "{e}");
        let e = err(&[("hidraw0", 0x046D, 0xC31C)], "/dev/hidraw0");
        assert!(e.contains("046d:c31c, not a FNIRSI tester"), "{e}");
    }

    /// The monitor reopens a lost meter with the same spec: `auto` looks
    /// again, so a tester plugged back in (here a node that was a keyboard
    /// and then is a tester) is found.
    #[test]
    fn auto_looks_again_at_every_open() {
        let (d, _) = os_with(&[("hidraw2", 0x046D, 0xC31C)]);
        let uevent = "/sys/class/hidraw/hidraw2/device/uevent";
        let os: Arc<dyn Os> = Arc::new(Scripted::new(RecordedOs::new(d.path())).answers(
            uevent,
            &[
                "HID_ID=0003:0000046D:0000C31C",
                "HID_ID=0003:00002E3C:00000049",
            ],
        ));
        assert!(locate("auto", &os).is_err());
        let (node, m) = locate("auto", &os).unwrap();
        assert_eq!((node.as_str(), m.2), ("/dev/hidraw2", "FNB48S"));
    }
}
