//! The terminal's width, and text wrapped to it: tables and notes fit the
//! window they are printed in, as hyperfine's do.

use std::io::IsTerminal;

/// Columns of the terminal on stdout; `None` when stdout is not one
/// (a pipe or a file takes lines as long as they are).
pub fn stdout_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, _)| usize::from(w.0))
        .filter(|w| *w > 0)
}

/// Columns of the terminal on stderr, likewise.
pub fn stderr_width() -> Option<usize> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(std::io::stderr())
        .map(|(w, _)| usize::from(w.0))
        .filter(|w| *w > 0)
}

/// `line` in lines of at most `width` characters, broken at spaces; the
/// lines after the first indented by two. A word longer than a line (a
/// path) is cut, so that no line is wider than `width`.
pub fn wrap(line: &str, width: Option<usize>) -> Vec<String> {
    let Some(width) = width.filter(|w| *w >= 20) else {
        return vec![line.to_string()];
    };
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        let indent = if out.is_empty() { 0 } else { 2 };
        let len = current.chars().count();
        let word_len = word.chars().count();
        if len > 0 && indent + len + 1 + word_len > width {
            out.push(std::mem::take(&mut current));
        }
        let indent = if out.is_empty() { 0 } else { 2 };
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while indent + current.chars().count() > width {
            let cut: String = current.chars().take(width - indent).collect();
            let rest: String = current.chars().skip(width - indent).collect();
            out.push(cut);
            current = rest;
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out.iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { l.clone() } else { format!("  {l}") })
        .collect()
}

/// A note on stderr (what was skipped, where files went), wrapped to its
/// terminal; nothing with `--quiet`.
pub fn note(line: &str) {
    if !crate::term::quiet() {
        eprint_wrapped(line);
    }
}

/// Prints a message on stderr, wrapped to its terminal.
pub fn eprint_wrapped(line: &str) {
    for part in wrap(line, stderr_width()) {
        eprintln!("{part}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fit_and_keep_every_word() {
        let text = "warning: noisy samples (CV above 2 %): sha1 × 1 (cpu 1) (6.9 %), \
                    xz × all (cpu 0-1) (24.8 %): stop other programs, or use a longer --min-time";
        let lines = wrap(text, Some(40));
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:#?}");
        assert!(lines[1].starts_with("  "));
        let joined: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(joined, text.split_whitespace().collect::<Vec<_>>());
        assert_eq!(wrap(text, None), vec![text.to_string()]);
        let long = wrap(&format!("saved: /{}", "x".repeat(100)), Some(30));
        assert!(long.iter().all(|l| l.chars().count() <= 30), "{long:#?}");
    }
}
