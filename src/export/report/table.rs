//! The report in the terminal: the article's tables, with ± compactly.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use super::{footnotes, mark_of, notes_for, sections, sweep, Line, ReportExporter, Section, Style};
use crate::compare::report::Report;
use crate::export::table::fit;
use crate::export::width::{stdout_width, wrap};

pub struct TableExporter;

impl ReportExporter for TableExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let style = Style { uncertainty: true };
        let width = stdout_width();
        let notes = footnotes(report, style);
        let mut out = String::new();
        let sections = sections(report, style);
        let first_sweep = sections.len() + 1;
        for section in &sections {
            push_section(&mut out, section, &notes_for(section, &notes), width);
        }
        for sweep in sweep::sections(report, first_sweep) {
            let lines: Vec<&String> = sweep.notes.iter().collect();
            push_section(&mut out, &sweep.section, &lines, width);
        }
        for line in notes.iter().filter(|n| mark_of(n).is_none()) {
            for part in wrap(line, width) {
                out.push_str(&part);
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// One table, its title wrapped to the terminal, and the notes under it.
fn push_section(out: &mut String, section: &Section, applies: &[&String], width: Option<usize>) {
    for part in wrap(&section.title, width) {
        out.push_str(&part);
        out.push('\n');
    }
    if section.lines.is_empty() {
        if let Some(empty) = &section.empty {
            out.push_str(&format!("  ({empty})\n\n"));
        }
        return;
    }
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.force_no_tty();
    fit(&mut table, width);
    table.set_header(&section.headers);
    for line in &section.lines {
        match line {
            Line::Group(name) => {
                let mut cells = vec![Cell::new(name)];
                cells.extend((1..section.headers.len()).map(|_| Cell::new("")));
                table.add_row(cells);
            }
            Line::Cells(cells) | Line::Mine(cells) => {
                table.add_row(cells.iter().zip(&section.numeric).map(|(text, num)| {
                    let cell = Cell::new(text);
                    if *num {
                        cell.set_alignment(CellAlignment::Right)
                    } else {
                        cell
                    }
                }));
            }
        }
    }
    out.push_str(&table.to_string());
    out.push('\n');
    // The legend of the marks this table shows, with it.
    for note in applies {
        for part in wrap(note, width) {
            out.push_str(&part);
            out.push('\n');
        }
    }
    out.push('\n');
}
