//! Everything, including each sample, for scripts.

use super::{Exporter, RunReport};

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, report: &RunReport) -> anyhow::Result<String> {
        let mut s = serde_json::to_string_pretty(report)?;
        s.push('\n');
        Ok(s)
    }
}
