//! The report as one self-contained HTML page, to send or publish as a
//! file: the tables of the other human formats with their legend beside
//! each, every board's facts, the method in short, and the charts inline
//! as SVG. Inline CSS, no script, no external resource: it reads the same
//! offline, from a mail attachment or in a sandboxed viewer.
//!
//! The markup is also well-formed XML (void elements closed, every text
//! escaped), so that tests can parse it with an XML parser, and so that
//! nothing from a results file (board names, OS strings) can become markup.

use std::fmt::Write as _;

use super::svg::{self, Charts};
use super::{
    facts::facts, footnotes, mark_of, notes_for, sections, sweep, Line, ReportExporter, Section,
    Style,
};
use crate::compare::report::Report;
use crate::export::safe::markup_text as escape;

pub struct HtmlExporter;

const CSS: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;\
max-width:1180px;margin:2em auto;padding:0 1em;line-height:1.45}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em}\
table{border-collapse:collapse;margin:.5em 0;font-size:.88em}\
th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}\
thead th{border-bottom:2px solid #888;white-space:nowrap}\
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\
tr.group th{background:#eef2f6;padding-top:.4em}\
.notes,.empty,.lead{color:#444;font-size:.9em}.notes p{margin:.2em 0}\
.scroll{overflow-x:auto}figure{margin:1.5em 0}svg{max-width:100%;height:auto}\
code{background:#f3f3f3;padding:0 .2em}";

/// One table, with its title, or its sentence when it is empty, and the
/// notes under it.
fn table(out: &mut String, section: &Section, applies: &[&String]) {
    let _ = writeln!(out, "<section>\n<h2>{}</h2>", escape(&section.title));
    if section.lines.is_empty() {
        if let Some(empty) = &section.empty {
            let _ = writeln!(out, r#"<p class="empty">{}</p>"#, escape(empty));
        }
        out.push_str("</section>\n");
        return;
    }
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for (h, numeric) in section.headers.iter().zip(&section.numeric) {
        let class = if *numeric { r#" class="num""# } else { "" };
        let _ = write!(out, r#"<th scope="col"{class}>{}</th>"#, escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for line in &section.lines {
        match line {
            Line::Group(name) => {
                let _ = writeln!(
                    out,
                    r#"<tr class="group"><th colspan="{}" scope="colgroup">{}</th></tr>"#,
                    section.headers.len(),
                    escape(name)
                );
            }
            Line::Cells(cells) | Line::Mine(cells) => {
                let mine = matches!(line, Line::Mine(_));
                out.push_str(if mine { r#"<tr class="mine">"# } else { "<tr>" });
                for (cell, numeric) in cells.iter().zip(&section.numeric) {
                    // A board's OS on a line of its own below its name.
                    let text: Vec<String> = cell.split('\n').map(escape).collect();
                    let text = text.join("<br/>");
                    if *numeric {
                        let _ = write!(out, r#"<td class="num">{text}</td>"#);
                    } else {
                        let _ = write!(out, "<td>{text}</td>");
                    }
                }
                out.push_str("</tr>\n");
            }
        }
    }
    out.push_str("</tbody>\n</table></div>\n");
    if !applies.is_empty() {
        out.push_str(r#"<div class="notes">"#);
        for n in applies {
            let _ = write!(out, "<p>{}</p>", escape(n));
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

/// What the figures are, in a few sentences.
fn method(out: &mut String, report: &Report) {
    let base = escape(&report.baseline.board);
    let _ = writeln!(
        out,
        "<section id=\"method\">\n<h2>Method</h2>\n\
<p>Each kernel runs on data in memory. <strong>sha1</strong> hashes and \
<strong>chacha20-poly1305</strong> encrypts 16 KiB blocks, as \
<code>openssl speed -evp</code> does; <strong>xz</strong> decompresses a whole \
.xz stream again and again, and its MB/s counts compressed bytes per second of \
whole decodes. 1 MB is 10<sup>6</sup> bytes. A figure is the median of one run's \
back-to-back samples, on one core or on all cores (a thread per core).</p>\n\
<p>Ratios are a board's figure ÷ {base}'s, so above 1 is better; cycles per byte \
is the clock × the threads ÷ MB/s, and its ratio is {base}'s ÷ the board's. Power \
is the whole board's, at the wall; MB/s per W divides by it.</p>\n\
<p>± is repeatability: one standard deviation of one run's samples, not how far \
another run or board would differ. † marks boards not measured by sbcbench (other \
implementations, such as the article's openssl and xz-utils); ‡ a ratio across \
engines (sbcbench's built-in kernel against openssl / xz-utils); * a ratio to an \
extrapolated baseline ({base}'s single-core figure × its cores), or the article's \
extrapolated efficiency.</p>\n</section>"
    );
}

/// The charts inline, and a sentence for each one left out.
fn charts(out: &mut String, charts: &Charts) {
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for chart in &charts.charts {
        let _ = writeln!(
            out,
            "<figure aria-label=\"{}\">\n{}</figure>",
            escape(&chart.title),
            chart.svg
        );
    }
    for note in &charts.not_drawn {
        let _ = writeln!(out, r#"<p class="empty">{}.</p>"#, escape(note));
    }
    out.push_str("</section>\n");
}

impl ReportExporter for HtmlExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let style = Style { uncertainty: true };
        let notes = footnotes(report, style);
        let base = escape(&report.baseline.board);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
<title>sbcbench report: single-board computers against {base}</title>\n\
<style>{CSS}</style>\n</head>\n<body>\n\
<h1>Single-board computers against {base}</h1>"
        );
        // The lines about the whole report lead; the marks' lines go with
        // the tables that show the marks.
        let _ = writeln!(out, r#"<div class="lead">"#);
        for n in notes.iter().filter(|n| mark_of(n).is_none()) {
            let _ = writeln!(out, "<p>{}</p>", escape(n));
        }
        out.push_str("</div>\n");
        method(&mut out, report);
        let sections = sections(report, style);
        for section in &sections {
            table(&mut out, section, &notes_for(section, &notes));
        }
        for sweep in sweep::sections(report, sections.len() + 1) {
            let lines: Vec<&String> = sweep.notes.iter().collect();
            table(&mut out, &sweep.section, &lines);
        }
        let facts = facts(report);
        table(&mut out, &facts, &notes_for(&facts, &notes));
        charts(&mut out, &svg::charts(report));
        out.push_str("<section id=\"legend\">\n<h2>Legend</h2>\n");
        for n in &notes {
            let _ = writeln!(out, "<p>{}</p>", escape(n));
        }
        out.push_str("</section>\n</body>\n</html>\n");
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_footnote_goes_with_the_tables_showing_its_mark() {
        let section = Section {
            title: "t".to_string(),
            headers: vec!["board".to_string(), "sha1".to_string()],
            numeric: vec![false, true],
            lines: vec![Line::Cells(vec![
                "Pi †".to_string(),
                "10 MB/s (2.00x*)".to_string(),
            ])],
            empty: None,
        };
        let notes: Vec<String> = [
            "Ratios are relative to X.",
            "† measured by article-2023.",
            "‡ not like for like.",
            "* all cores: extrapolated.",
            "geomean: of like-for-like ratios.",
        ]
        .map(str::to_string)
        .to_vec();
        let shown: Vec<&str> = notes_for(&section, &notes)
            .into_iter()
            .map(String::as_str)
            .collect();
        assert_eq!(
            shown,
            ["† measured by article-2023.", "* all cores: extrapolated."]
        );
    }
}
