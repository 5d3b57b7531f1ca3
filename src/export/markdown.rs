//! A GitHub-flavoured Markdown table, for pasting into issues and posts.

use super::run_table::grid;
use super::{footer, power_block, Exporter, RunReport};

pub struct MarkdownExporter;

use super::safe::markdown_cell as escape;

impl Exporter for MarkdownExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        let grid = grid(report);
        let mut out = format!("| {} |\n", grid.headers.join(" | "));
        let aligns: Vec<&str> = grid
            .numeric
            .iter()
            .map(|n| if *n { "---:" } else { "---" })
            .collect();
        out.push_str(&format!("| {} |\n", aligns.join(" | ")));
        for row in &grid.rows {
            let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
        if let Some((headers, rows)) = power_block(report) {
            out.push_str(&format!("| {} |\n", headers.join(" | ")));
            out.push_str(&format!("|{}\n", " --- |".repeat(headers.len())));
            for row in rows {
                let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
            out.push('\n');
        }
        for line in footer(report) {
            out.push_str(&escape(&line));
            out.push_str("  \n");
        }
        Ok(out)
    }
}
