//! `sbcbench report`: find result files, read them (skipping what is
//! broken, loudly), add the shipped reference boards, aggregate, render,
//! and draw the charts.

use std::path::PathBuf;

use crate::cli::ReportArgs;
use crate::compare::report::Report;
use crate::error::Error;
use crate::export::report::{render, svg};
use crate::export::width::{eprint_wrapped, note};
use crate::options::{unwritable, ReportOptions};
use crate::record::reference::{article_2023, SBCBENCH_SOURCE};
use crate::record::walk::{walk_into, Found};
use crate::record::{read_results_lenient, ResultRow};

/// Walks folders by the rules of [`crate::record::walk`]; a file named on
/// the command line is read whatever its name. A path that is not there
/// is the default `results` (the options checked the others).
fn find_files(paths: &[PathBuf]) -> Result<Found, Error> {
    let mut found = Found::default();
    for path in paths {
        if path.is_file() {
            found.csv.push(path.clone());
        } else if path.is_dir() {
            walk_into(path, &mut found).map_err(|e| {
                Error::Usage(format!("{}: cannot read this folder ({e})", path.display()))
            })?;
        }
    }
    found.csv.sort();
    found.csv.dedup();
    found.ignored.sort();
    Ok(found)
}

fn is_sbcbench(row: &ResultRow) -> bool {
    row.source.is_empty() || row.source == SBCBENCH_SOURCE
}

/// The chart writer's error as the command reports it: an unwritable
/// directory is a usage error, Ctrl-C says which charts are whole.
fn plot_error(e: svg::WriteError) -> anyhow::Error {
    match e {
        svg::WriteError::Unwritable { dir, reason } => {
            unwritable("--plot", &dir, &reason, "").into()
        }
        svg::WriteError::Interrupted { dir, written } => Error::Interrupted {
            saved: Some(format!("{written} chart(s) in {}", dir.display())),
        }
        .into(),
        svg::WriteError::Chart { path, reason } => {
            anyhow::Error::new(reason).context(format!("writing {}", path.display()))
        }
    }
}

pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let opts = ReportOptions::from_args(args)?;
    if opts.plot.is_some() {
        // Ctrl-C stops between two charts: none is left half-written.
        crate::interrupt::install();
    }
    let found = find_files(&opts.paths)?;
    if let Some(note) = found.outside_note() {
        eprint_wrapped(&note.to_string());
    }
    if !found.ignored.is_empty() {
        let names: Vec<String> = found
            .ignored
            .iter()
            .take(5)
            .map(|p| p.display().to_string())
            .collect();
        let more = found.ignored.len().saturating_sub(names.len());
        note(&format!(
            "note: ignored {} file{} that {} not .csv: {}{}",
            found.ignored.len(),
            if found.ignored.len() == 1 { "" } else { "s" },
            if found.ignored.len() == 1 {
                "is"
            } else {
                "are"
            },
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }

    let mut rows = Vec::new();
    let (mut bad_lines, mut bad_files) = (0usize, 0usize);
    for file in &found.csv {
        match read_results_lenient(file) {
            Ok(outcome) => {
                for e in &outcome.skipped {
                    eprint_wrapped(&e.to_string());
                }
                bad_lines += outcome.skipped.len();
                rows.extend(outcome.rows);
            }
            Err(e) => {
                eprint_wrapped(&e.to_string());
                bad_files += 1;
            }
        }
    }
    if opts.no_reference {
        rows.retain(is_sbcbench);
    }
    let where_ = opts
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let first_run = "run `sbcbench run` on a board first (it saves results/<board>/<time>.csv), \
                     then `sbcbench report`";
    if found.csv.is_empty() {
        note(&format!("note: no result files in {where_}; {first_run}"));
    }
    if !opts.no_reference {
        rows.extend(article_2023()?);
    }
    if rows.is_empty() {
        anyhow::bail!(
            "nothing to report: no readable results in {where_} and --no-reference; {first_run}"
        );
    }

    let report = Report::build(rows, &opts.aggregate)?;
    for line in &report.notes {
        note(&format!("note: {line}"));
    }
    super::print(&render(&report, opts.format)?)?;
    if let Some(dir) = &opts.plot {
        let charts = svg::charts(&report);
        for line in &charts.not_drawn {
            note(&format!("note: {line}"));
        }
        let written =
            svg::write_charts(&charts.charts, dir, &crate::interrupt::STOP).map_err(plot_error)?;
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        note(&format!("charts: {}", names.join(", ")));
    }
    if bad_lines + bad_files > 0 {
        let mut parts = Vec::new();
        if bad_files > 0 {
            parts.push(format!(
                "{bad_files} file{} skipped",
                if bad_files == 1 { "" } else { "s" }
            ));
        }
        if bad_lines > 0 {
            parts.push(format!(
                "{bad_lines} line{} skipped",
                if bad_lines == 1 { "" } else { "s" }
            ));
        }
        anyhow::bail!(
            "{} (see the messages above); the report shows the rest",
            parts.join(", ")
        );
    }
    Ok(())
}
