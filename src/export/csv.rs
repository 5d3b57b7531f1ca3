//! The results schema on stdout, exactly as saved to the results file.

use super::{Exporter, RunReport};

pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in &report.rows {
            w.serialize(row)?;
        }
        Ok(String::from_utf8(w.into_inner()?)?)
    }
}
