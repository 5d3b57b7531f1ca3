//! How sbcbench talks to people, set once from the global flags before a
//! command runs: how much (`--quiet`, `--verbose`), in colour or not
//! (`--color`, `NO_COLOR`), and what a closed or full stdout means.
//! Process-wide because every stage prints a note now and then, and
//! threading a flag through all of them would clutter every signature.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, Ordering};

/// How much to say on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors, warnings and the results only: no progress, no notes.
    Quiet = 0,
    Normal = 1,
    /// Also what was chosen and why (baseline, timing, each kernel's code).
    Verbose = 2,
}

/// `--color`: `auto` colours a terminal unless `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Auto = 0,
    Always = 1,
    Never = 2,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);
static COLOR: AtomicU8 = AtomicU8::new(Color::Auto as u8);

pub fn set(verbosity: Verbosity, color: Color) {
    VERBOSITY.store(verbosity as u8, Ordering::Relaxed);
    COLOR.store(color as u8, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    VERBOSITY.load(Ordering::Relaxed) == Verbosity::Quiet as u8
}

pub fn verbose() -> bool {
    VERBOSITY.load(Ordering::Relaxed) == Verbosity::Verbose as u8
}

/// Whether to colour a stream that is (or is not) a terminal.
fn color(is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    wants_color(COLOR.load(Ordering::Relaxed), is_terminal, no_color)
}

/// `--color` (as stored) decides; `auto` colours a terminal without NO_COLOR.
fn wants_color(choice: u8, is_terminal: bool, no_color: bool) -> bool {
    match choice {
        1 => true,
        2 => false,
        _ => is_terminal && !no_color,
    }
}

pub fn color_stdout() -> bool {
    color(std::io::stdout().is_terminal())
}

pub fn color_stderr() -> bool {
    color(std::io::stderr().is_terminal())
}

/// `error:` in bold red on a colour terminal, as clap writes its own.
pub fn error_prefix() -> String {
    paint("error:", "1;31")
}

/// `warning:` in bold yellow on a colour terminal.
pub fn warning_prefix() -> String {
    paint("warning:", "1;33")
}

fn paint(word: &str, sgr: &str) -> String {
    if color_stderr() {
        format!("\x1b[{sgr}m{word}\x1b[0m")
    } else {
        word.to_string()
    }
}

/// A note on stderr (what was skipped, where files went): not with --quiet.
pub fn note(text: &str) {
    if !quiet() {
        eprintln!("{text}");
    }
}

/// A detail on stderr for --verbose only.
pub fn detail(text: &str) {
    if verbose() {
        eprintln!("{text}");
    }
}

/// Text from outside (a board, a meter, an inventory, a results file) as
/// it may reach a terminal: control characters (ESC, CR, BEL, C1) and the
/// bidirectional overrides that reorder what is shown are written as
/// `\x1b`-style escapes, so no title, clipboard write, cursor move or
/// overwritten line can come of it and the reader sees that one was there.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if (c as u32) < 0x100 && hidden(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Stdout was closed (`| head`) or cannot take more (a full disk).
#[derive(Debug, thiserror::Error)]
pub enum StdoutError {
    /// The reader went away: like every Unix tool, stop quietly, exit 0.
    #[error("stdout was closed")]
    Closed,
    #[error("cannot write the output: {0}; make room on the disk or write elsewhere")]
    Failed(std::io::Error),
}

/// Writes all of `text` to stdout.
pub fn print(text: &str) -> Result<(), StdoutError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutError::Closed),
        Err(e) => Err(StdoutError::Failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_outside_reaches_the_terminal_without_its_controls() {
        assert_eq!(clean("pi-4 (rev 1.5)"), "pi-4 (rev 1.5)");
        for (raw, shown) in [
            ("a\x1b]0;owned\x07b", "a\\x1b]0;owned\\x07b"),
            ("\x1b[2J", "\\x1b[2J"),
            ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),
            ("ok\rFAIL", "ok\\x0dFAIL"),
            ("a\u{9b}31m", "a\\x9b31m"),
            ("\u{202e}cod.exe", "\\u{202e}cod.exe"),
        ] {
            assert_eq!(clean(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn always_and_never_win_over_the_terminal_and_no_color() {
        assert!(wants_color(Color::Always as u8, false, true));
        assert!(!wants_color(Color::Never as u8, true, false));
        assert!(wants_color(Color::Auto as u8, true, false));
        assert!(!wants_color(Color::Auto as u8, true, true));
        assert!(!wants_color(Color::Auto as u8, false, false));
    }
}
