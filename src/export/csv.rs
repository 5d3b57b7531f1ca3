//! The results schema on stdout, as saved to the results file but with
//! every cell spreadsheet-safe (`safe.rs`): this is what gets opened in a
//! spreadsheet.

use super::{Exporter, RunReport};

pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        super::safe::csv(&report.rows)
    }
}
