//! The report as GitHub-flavoured Markdown, for posts and issues: the
//! article's cells, without ± (the CSV and JSON have it).

use super::{footnotes, sections, Line, ReportExporter, Style};
use crate::compare::report::Report;

pub struct MarkdownExporter;

use crate::export::safe::markdown_cell as escape;

impl ReportExporter for MarkdownExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let style = Style { uncertainty: false };
        let mut out = String::new();
        for section in sections(report, style) {
            out.push_str(&format!("### {}\n\n", escape(&section.title)));
            if section.lines.is_empty() {
                if let Some(empty) = &section.empty {
                    out.push_str(&format!("_{}_\n\n", escape(empty)));
                }
                continue;
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
                    Line::Cells(cells) => cells.iter().map(|c| escape(c)).collect(),
                };
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
            out.push('\n');
        }
        for line in footnotes(report, style) {
            out.push_str(&escape(&line));
            out.push_str("  \n");
        }
        Ok(out)
    }
}
