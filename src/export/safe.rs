//! Cells that come from someone else's results — board names, CPU models,
//! OS strings — are data, never code: a spreadsheet that opens an export
//! must not run `=HYPERLINK(…)` from a board name, and a Markdown table
//! must not be broken open by a `|` or a line break in one.

use std::borrow::Cow;

use serde::Serialize;

/// A cell as a spreadsheet takes it as text: one that would start a
/// formula (`=`, `+`, `-`, `@`, or a tab or carriage return, which some
/// spreadsheets skip first) gets a leading `'`. Numbers such as `-3.5` are
/// not formulas and stay as they are.
pub fn spreadsheet_text(cell: &str) -> Cow<'_, str> {
    let starts_formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    // A lone `-` (no figure) or `+` is text to a spreadsheet already.
    let harmless = cell == "-" || cell == "+" || cell.trim().parse::<f64>().is_ok();
    if starts_formula && !harmless {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A Markdown table cell: `|` escaped, line breaks and other control
/// characters as spaces, `<` as an entity so that no HTML is made. The
/// spreadsheet guard is CSV's: here its `'` would be printed in the post.
pub fn markdown_cell(cell: &str) -> String {
    cell.chars()
        .map(|c| match c {
            '|' => "\\|".to_string(),
            '<' => "&lt;".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Text safe inside SVG and HTML, as element text or a quoted attribute:
/// the five markup characters as entities (`'` as `&#39;`, which both
/// read), control characters as spaces (XML forbids most of them).
pub fn markup_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Rows as CSV with a header, every data cell spreadsheet-safe.
pub fn csv<T: Serialize>(rows: impl IntoIterator<Item = T>) -> anyhow::Result<String> {
    let mut raw = csv::Writer::from_writer(Vec::new());
    for row in rows {
        raw.serialize(row)?;
    }
    guard_csv(&raw.into_inner()?)
}

/// A CSV with a header, every data cell made spreadsheet-safe.
pub fn guard_csv(raw: &[u8]) -> anyhow::Result<String> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(raw);
    let mut out = csv::Writer::from_writer(Vec::new());
    for (i, record) in records.records().enumerate() {
        let record = record?;
        if i == 0 {
            // The header: our own column names.
            out.write_record(&record)?;
        } else {
            out.write_record(record.iter().map(|c| spreadsheet_text(c).into_owned()))?;
        }
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, want) in [
            (
                "=HYPERLINK(\"http://x\",\"Pi\")",
                "'=HYPERLINK(\"http://x\",\"Pi\")",
            ),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("-3.5", "-3.5"),
            ("-", "-"),
            ("+4", "+4"),
            ("Raspberry Pi 4", "Raspberry Pi 4"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_text(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown_cell("a|b\nc<script>"), "a\\|b c&lt;script>");
        // The spreadsheet guard is CSV's: a post shows the text as it is.
        assert_eq!(markdown_cell("=1+1"), "=1+1");
        assert_eq!(markdown_cell("- / -"), "- / -");
    }

    #[test]
    fn csv_guards_every_data_cell_and_reads_back() {
        #[derive(Serialize)]
        struct R<'a> {
            board: &'a str,
            mb_per_s: f64,
        }
        let text = csv([
            R {
                board: "=cmd()",
                mb_per_s: -1.5,
            },
            R {
                board: "Pi, \"4\"",
                mb_per_s: 2.0,
            },
        ])
        .unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap(), vec!["board", "mb_per_s"]);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0], vec!["'=cmd()", "-1.5"]);
        assert_eq!(&rows[1], vec!["Pi, \"4\"", "2.0"]);
    }
}
