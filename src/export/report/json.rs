//! The whole report for scripts: every figure unrounded, each with its
//! standard deviation (`{"value": …, "stddev": …}`, `null` when unknown).

use super::ReportExporter;
use crate::compare::report::Report;

pub struct JsonExporter;

impl ReportExporter for JsonExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut s = serde_json::to_string_pretty(report)?;
        s.push('\n');
        Ok(s)
    }
}
