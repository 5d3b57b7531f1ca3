//! The report as GitHub-flavoured Markdown, for posts and issues: the
//! article's cells, without ± (the CSV and JSON have it), each table with
//! the notes on its marks, the reader's boards in bold.

use super::{footnotes, mark_of, notes_for, sections, sweep, Line, ReportExporter, Section, Style};
use crate::compare::report::Report;

pub struct MarkdownExporter;

use crate::export::safe::markdown_cell as escape;

/// A note as a paragraph line: a leading `*` escaped, so that it is the
/// mark it explains and not a list bullet.
fn note_line(note: &str) -> String {
    let text = escape(note);
    match text.strip_prefix('*') {
        Some(rest) => format!("\\*{rest}  \n"),
        None => format!("{text}  \n"),
    }
}

/// A cell's lines (a board's name, its OS below) joined by `<br>`, the
/// one piece of HTML a table cell takes; the first line bold for the
/// reader's own boards.
fn lines(cell: &str, bold: bool) -> String {
    cell.split('\n')
        .enumerate()
        .map(|(i, part)| {
            if bold && i == 0 {
                format!("**{}**", escape(part))
            } else {
                escape(part)
            }
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

impl ReportExporter for MarkdownExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let style = Style { uncertainty: false };
        let notes = footnotes(report, style);
        let mut out = String::new();
        let sections = sections(report, style);
        let first_sweep = sections.len() + 1;
        for section in &sections {
            push_section(&mut out, section, &notes_for(section, &notes));
        }
        for sweep in sweep::sections(report, first_sweep) {
            let lines: Vec<&String> = sweep.notes.iter().collect();
            push_section(&mut out, &sweep.section, &lines);
        }
        // What concerns the whole report, once at the end.
        for note in notes.iter().filter(|n| mark_of(n).is_none()) {
            out.push_str(&note_line(note));
        }
        Ok(out)
    }
}

/// One table under its heading, and the notes on its marks.
fn push_section(out: &mut String, section: &Section, applies: &[&String]) {
    out.push_str(&format!("### {}\n\n", escape(&section.title)));
    if section.lines.is_empty() {
        if let Some(empty) = &section.empty {
            out.push_str(&format!("_{}_\n\n", escape(empty)));
        }
        return;
    }
    let headers: Vec<String> = section.headers.iter().map(|h| escape(h)).collect();
    out.push_str(&format!("| {} |\n", headers.join(" | ")));
    let aligns: Vec<&str> = section
        .numeric
        .iter()
        .map(|n| if *n { "---:" } else { "---" })
        .collect();
    out.push_str(&format!("| {} |\n", aligns.join(" | ")));
    for line in &section.lines {
        let cells: Vec<String> = match line {
            Line::Group(name) => std::iter::once(format!("**{}**", escape(name)))
                .chain((1..section.headers.len()).map(|_| String::new()))
                .collect(),
            Line::Cells(cells) => cells.iter().map(|c| lines(c, false)).collect(),
            Line::Mine(cells) => cells
                .iter()
                .enumerate()
                .map(|(i, c)| lines(c, i == 0))
                .collect(),
        };
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    if !applies.is_empty() {
        for note in applies {
            out.push_str(&note_line(note));
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::note_line;

    #[test]
    fn a_mark_at_the_start_of_a_note_is_no_bullet() {
        assert_eq!(note_line("* against x"), "\\* against x  \n");
        assert_eq!(note_line("‡ not like"), "‡ not like  \n");
    }
}
