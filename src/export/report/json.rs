//! The whole report for scripts: every figure unrounded, each with its
//! standard deviation (`{"value": …, "stddev": …}`, `null` when unknown).
//! Sweeps, where there are any, carry the sentence the tables print.

use super::ReportExporter;
use crate::compare::report::Report;

pub struct JsonExporter;

impl ReportExporter for JsonExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut s = if report.sweeps.is_empty() {
            serde_json::to_string_pretty(report)?
        } else {
            let mut with = report.clone();
            for sweep in &mut with.sweeps {
                sweep.summary = super::sweep::summary(sweep);
            }
            serde_json::to_string_pretty(&with)?
        };
        s.push('\n');
        Ok(s)
    }
}
