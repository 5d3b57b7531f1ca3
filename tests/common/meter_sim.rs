//! A simulated meter on a pseudo-terminal, speaking whatever its closure
//! answers: the devices of the meter tests, the meter of a fleet run.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use sbcbench::power::meter::MeterSpec;
use serialport::{SerialPort, TTYPort};

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A simulated meter: `answer(request bytes)` gives the bytes to send back
/// (possibly nothing yet). Runs until dropped.
pub struct Sim {
    pub path: String,
    /// Bytes written by a flooding simulator.
    pub sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    // The slave must stay open while the code under test uses it by path.
    _slave: TTYPort,
}

impl Sim {
    /// Sends in 37-byte chunks, 2 ms apart, as RFCOMM and USB serial do.
    pub fn start(answer: impl FnMut(&[u8]) -> Vec<u8> + Send + 'static) -> Sim {
        Sim::start_paced(true, answer)
    }

    /// Sends as fast as the pseudo-terminal takes it.
    pub fn start_flooding(answer: impl FnMut(&[u8]) -> Vec<u8> + Send + 'static) -> Sim {
        Sim::start_paced(false, answer)
    }

    fn start_paced(paced: bool, mut answer: impl FnMut(&[u8]) -> Vec<u8> + Send + 'static) -> Sim {
        let (mut master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
        master.set_timeout(Duration::from_millis(20)).unwrap();
        if !paced {
            use std::os::fd::AsRawFd;
            let fd = master.as_raw_fd();
            // SAFETY: fcntl on a file descriptor this function owns (the
            // master end), with flags it read from that descriptor.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
        }
        let sent = Arc::new(AtomicU64::new(0));
        let path = slave.name().expect("slave path");
        let stop = Arc::new(AtomicBool::new(false));
        let st = Arc::clone(&stop);
        let counter = Arc::clone(&sent);
        let thread = std::thread::spawn(move || {
            let sent = counter;
            let mut buf = [0u8; 256];
            let mut pending = Vec::new();
            while !st.load(Ordering::Relaxed) {
                if let Ok(n) = master.read(&mut buf) {
                    pending.extend_from_slice(&buf[..n]);
                }
                let out = answer(&pending);
                if !out.is_empty() || !pending.is_empty() {
                    pending.clear();
                }
                if !paced {
                    // Non-blocking: a full pty buffer must not block the
                    // simulator once nobody reads the other end.
                    match master.write(&out) {
                        Ok(n) => {
                            sent.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(1)),
                    }
                    continue;
                }
                for chunk in out.chunks(37) {
                    let _ = master.write_all(chunk);
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        });
        Sim {
            path,
            sent,
            stop,
            thread: Some(thread),
            _slave: slave,
        }
    }

    pub fn spec(&self, protocol: &str, options: &str) -> MeterSpec {
        format!("{protocol}:{}{options}", self.path)
            .parse()
            .unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
