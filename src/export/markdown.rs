//! A GitHub-flavoured Markdown table, for pasting into issues and posts.

use super::{footer, headers, human_cells, power_block, Exporter, RunReport};

pub struct MarkdownExporter;

use super::safe::markdown_cell as escape;

impl Exporter for MarkdownExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        let headers = headers(&report.baseline);
        let mut out = format!("| {} |\n", headers.join(" | "));
        let aligns: Vec<&str> = (0..headers.len())
            .map(|i| if (2..=6).contains(&i) { "---:" } else { "---" })
            .collect();
        out.push_str(&format!("| {} |\n", aligns.join(" | ")));
        for row in &report.rows {
            let cells: Vec<String> = human_cells(row).iter().map(|c| escape(c)).collect();
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
