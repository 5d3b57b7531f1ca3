//! A terminal table in the shape of the article's.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, Table};

use super::{footer, headers, human_cells, power_block, Exporter, RunReport};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        let color = crate::term::color_stdout();
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        if !color {
            table.force_no_tty();
        } else {
            table.enforce_styling();
        }
        table.set_header(headers(&report.baseline));
        for row in &report.rows {
            let cells = human_cells(row);
            table.add_row(cells.into_iter().enumerate().map(|(i, text)| {
                let mut cell = Cell::new(&text);
                if (2..=6).contains(&i) {
                    cell = cell.set_alignment(CellAlignment::Right);
                }
                let ratio = match i {
                    4 => row.speedup,
                    6 => row.cycles_speedup,
                    _ => None,
                };
                if let (true, Some(r)) = (color, ratio) {
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
            power.set_header(headers);
            for row in rows {
                power.add_row(row);
            }
            out.push_str(&power.to_string());
            out.push('\n');
        }
        for line in footer(report) {
            out.push_str(&line);
            out.push('\n');
        }
        Ok(out)
    }
}
