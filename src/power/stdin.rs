//! Standard input for the `--power ask` prompts, read on its own thread.
//!
//! A read blocked on a terminal is restarted after Ctrl-C (the handlers
//! only set a flag), so the first Ctrl-C at a prompt would do nothing
//! visible. Reading on a thread lets the prompt look at the flag while it
//! waits, and leave at once.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How often a waiting prompt looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// Lines from a reader on a background thread; reading fails with
/// [`is_stopped`] once `stop` is set.
pub struct StopAwareLines {
    lines: Receiver<io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    stop: &'static AtomicBool,
}

/// The error a [`StopAwareLines`] read returns once stopped. Not
/// `ErrorKind::Interrupted`, which `read_line` would retry forever.
#[derive(Debug)]
struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted while waiting for input")
    }
}

impl std::error::Error for Stopped {}

/// Whether a read error is the one of a stop request.
pub fn is_stopped(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<Stopped>())
}

impl StopAwareLines {
    /// Starts reading `input`; the thread ends at its end or error. A line
    /// read ahead of a prompt waits in the channel, as in any buffer.
    pub fn new(input: impl BufRead + Send + 'static, stop: &'static AtomicBool) -> Self {
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut input = input;
            loop {
                let mut line = Vec::new();
                match input.read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {
                        if tx.send(Ok(line)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        StopAwareLines {
            lines,
            buf: Vec::new(),
            pos: 0,
            stop,
        }
    }

    /// Standard input.
    pub fn stdin(stop: &'static AtomicBool) -> Self {
        Self::new(io::BufReader::new(io::stdin()), stop)
    }
}

impl Read for StopAwareLines {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for StopAwareLines {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.buf.len() {
            if self.stop.load(Ordering::Relaxed) {
                return Err(io::Error::other(Stopped));
            }
            match self.lines.recv_timeout(POLL) {
                Ok(Ok(line)) => {
                    self.buf = line;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Timeout) => {}
                // The input ended: end of file, as the reader saw it.
                Err(RecvTimeoutError::Disconnected) => return Ok(&[]),
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_the_lines_then_the_end() {
        static STOP: AtomicBool = AtomicBool::new(false);
        let mut lines = StopAwareLines::new("10,4\n\n7".as_bytes(), &STOP);
        let mut got = Vec::new();
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).unwrap() == 0 {
                break;
            }
            got.push(line);
        }
        assert_eq!(got, ["10,4\n", "\n", "7"]);
    }

    #[test]
    fn a_stop_ends_a_blocked_read_and_a_line_typed_before_is_still_given() {
        static STOP: AtomicBool = AtomicBool::new(false);
        // The writing end stays open: reads block, as on a terminal where
        // nobody types.
        let (reader, mut writer) = io::pipe().unwrap();
        let mut lines = StopAwareLines::new(io::BufReader::new(reader), &STOP);
        std::io::Write::write_all(&mut writer, b"12\n").unwrap();
        let mut line = String::new();
        lines.read_line(&mut line).unwrap();
        assert_eq!(line, "12\n");

        let stopper = std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            STOP.store(true, Ordering::Relaxed);
        });
        let mut line = String::new();
        let err = lines.read_line(&mut line).unwrap_err();
        assert!(is_stopped(&err), "{err}");
        assert!(!is_stopped(&io::Error::other("something else")));
        stopper.join().unwrap();
        drop(writer);
    }
}
