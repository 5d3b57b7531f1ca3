//! A terminal table in the shape of the article's.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};

use super::run_table::grid;
use super::width::{stdout_width, wrap};
use super::{footer, notices, power_block, Exporter, RunReport};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        let color = crate::term::color_stdout();
        let width = stdout_width();
        let grid = grid(report);
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        if !color {
            table.force_no_tty();
        } else {
            table.enforce_styling();
        }
        fit(&mut table, width);
        table.set_header(&grid.headers);
        for (cells, ratios) in grid.rows.iter().zip(&grid.ratios) {
            table.add_row(cells.iter().enumerate().map(|(i, text)| {
                let mut cell = Cell::new(text);
                if grid.numeric[i] {
                    cell = cell.set_alignment(CellAlignment::Right);
                }
                if let (true, Some(r)) = (color, ratios[i]) {
                    cell = cell.fg(if r >= 1.0 { Color::Green } else { Color::Red });
                }
                cell
            }));
        }
        let mut out = table.to_string();
        out.push('\n');
        if let Some((headers, rows)) = power_block(report) {
            let mut power = Table::new();
            power.load_style(UTF8_FULL_CONDENSED);
            power.force_no_tty();
            fit(&mut power, width);
            power.set_header(headers);
            for row in rows {
                power.add_row(row);
            }
            out.push_str(&power.to_string());
            out.push('\n');
        }
        for line in footer(report).into_iter().chain(notices(report)) {
            for part in wrap(&line, width) {
                out.push_str(&part);
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// Cells wrap so that the table is no wider than the terminal.
pub(crate) fn fit(table: &mut Table, width: Option<usize>) {
    if let Some(w) = width {
        table.set_content_arrangement(ContentArrangement::Dynamic);
        table.set_width(u16::try_from(w).unwrap_or(u16::MAX));
    }
}
