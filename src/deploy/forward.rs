//! A remote run's output on this terminal: every line prefixed with its
//! board's name, and the `@sbcbench` control lines (power/events.rs) taken
//! out for the session to act on.

use crate::power::events::TAG;

/// Output of a remote command, cut into what to print and control lines.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text to print as is (prefix included).
    Text(String),
    /// A whole control line, without its newline.
    Control(String),
}

/// Prefixes every line of a byte stream with `[board] ` and takes the
/// control lines out. With `partial`, a line is printed before its end
/// arrives (a prompt waiting for an answer); else only whole lines, so that
/// boards running at once never mix inside a line.
#[derive(Debug)]
pub struct Forwarder {
    prefix: String,
    partial: bool,
    pending: Vec<u8>,
    /// Part of the current line was printed already (with the prefix).
    mid_line: bool,
}

/// A line this long without a newline is printed anyway.
const MAX_LINE: usize = 64 * 1024;

impl Forwarder {
    pub fn new(prefix: String, partial: bool) -> Forwarder {
        Forwarder {
            prefix,
            partial,
            pending: Vec::new(),
            mid_line: false,
        }
    }

    pub fn feed(&mut self, data: &[u8]) -> Vec<Piece> {
        self.pending.extend_from_slice(data);
        let mut out = Vec::new();
        while let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            let text = String::from_utf8_lossy(&line[..i]).into_owned();
            let text = text.strip_suffix('\r').unwrap_or(&text);
            if !self.mid_line && text.starts_with(TAG) {
                out.push(Piece::Control(text.to_string()));
            } else {
                out.push(Piece::Text(self.start() + text + "\n"));
            }
            self.mid_line = false;
        }
        if (self.partial || self.pending.len() > MAX_LINE) && !self.pending.is_empty() {
            let maybe_control = !self.mid_line
                && (TAG.as_bytes().starts_with(&self.pending)
                    || self.pending.starts_with(TAG.as_bytes()));
            if !maybe_control || self.pending.len() > MAX_LINE {
                // Keep an incomplete UTF-8 character for the next chunk.
                let keep = match std::str::from_utf8(&self.pending) {
                    Err(e) if e.error_len().is_none() => self.pending.len() - e.valid_up_to(),
                    _ => 0,
                };
                let upto = self.pending.len() - keep;
                if upto > 0 {
                    let text: Vec<u8> = self.pending.drain(..upto).collect();
                    out.push(Piece::Text(self.start() + &String::from_utf8_lossy(&text)));
                    self.mid_line = true;
                }
            }
        }
        out
    }

    /// At the end of the stream: what is left, as a line.
    pub fn finish(&mut self) -> Vec<Piece> {
        if self.pending.is_empty() {
            if self.mid_line {
                self.mid_line = false;
                return vec![Piece::Text("\n".into())];
            }
            return Vec::new();
        }
        self.feed(b"\n")
    }

    fn start(&self) -> String {
        if self.mid_line {
            String::new()
        } else {
            self.prefix.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Control(c) => format!("<{c}>"),
            })
            .collect()
    }

    #[test]
    fn forwarding_prefixes_lines_and_takes_control_lines_out() {
        let mut f = Forwarder::new("[pi] ".into(), false);
        let mut all = Vec::new();
        for chunk in [&b"one\r\ntw"[..], b"o\n@sbc", b"bench pid 7\nlast"] {
            all.extend(f.feed(chunk));
        }
        all.extend(f.finish());
        assert_eq!(
            texts(&all),
            "[pi] one\n[pi] two\n<@sbcbench pid 7>[pi] last\n"
        );
    }

    #[test]
    fn partial_lines_show_at_once_when_asked() {
        let mut f = Forwarder::new("[pi] ".into(), true);
        assert_eq!(texts(&f.feed(b"reading in W: ")), "[pi] reading in W: ");
        assert_eq!(texts(&f.feed(b"ok\n")), "ok\n");
        // Could be a control line: held back until it is known.
        assert_eq!(texts(&f.feed(b"@sbc")), "");
        assert_eq!(
            texts(&f.feed(b"bench phase end\n")),
            "<@sbcbench phase end>"
        );
        assert_eq!(texts(&f.feed(b"@x")), "[pi] @x");
        // Half a UTF-8 character waits for its other half.
        assert_eq!(texts(&f.feed(&"é".as_bytes()[..1])), "");
        assert_eq!(texts(&f.feed(&"é".as_bytes()[1..])), "é");
        assert_eq!(texts(&f.finish()), "\n");
    }
}
