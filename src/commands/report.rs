//! `sbcbench report`: find result files, read them (skipping what is
//! broken, loudly), add the shipped reference boards, aggregate, render,
//! and draw the charts.

use std::path::PathBuf;

use crate::cli::{ReportArgs, ReportThreads};
use crate::compare::report::{Mode, Report, ReportOptions, Runs};
use crate::error::Error;
use crate::export::report::{render, svg};
use crate::export::Format;
use crate::measure::KernelId;
use crate::record::reference::{article_2023, SBCBENCH_SOURCE};
use crate::record::walk::{walk_into, Found};
use crate::record::{read_results_lenient, ResultRow};

/// Walks folders by the rules of [`crate::record::walk`]; a file named on
/// the command line is read whatever its name. A missing path is a usage
/// error, except the default `results`.
fn find_files(paths: &[PathBuf], default: bool) -> Result<Found, Error> {
    let mut found = Found::default();
    for path in paths {
        if path.is_file() {
            found.csv.push(path.clone());
        } else if path.is_dir() {
            walk_into(path, &mut found).map_err(|e| {
                Error::Usage(format!("{}: cannot read this folder ({e})", path.display()))
            })?;
        } else if !default {
            return Err(Error::Usage(format!(
                "{}: no such file or folder; give result files or folders (default: results)",
                path.display()
            )));
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

pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    if args.plot.is_some() {
        // Ctrl-C stops between two charts: none is left half-written.
        crate::interrupt::install();
    }
    let format = Format::default_for_stdout(args.format);
    let default = args.paths.is_empty();
    let paths = if default {
        vec![PathBuf::from("results")]
    } else {
        args.paths.clone()
    };
    let found = find_files(&paths, default)?;
    if let Some(dir) = &args.plot {
        // Fail before printing anything, not after the report.
        crate::options::check_writable("--plot", dir, "")?;
    }
    if let Some(note) = found.outside_note() {
        eprintln!("{note}");
    }
    if !found.ignored.is_empty() {
        let names: Vec<String> = found
            .ignored
            .iter()
            .take(5)
            .map(|p| p.display().to_string())
            .collect();
        let more = found.ignored.len().saturating_sub(names.len());
        eprintln!(
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
        );
    }

    let mut rows = Vec::new();
    let (mut bad_lines, mut bad_files) = (0usize, 0usize);
    for file in &found.csv {
        match read_results_lenient(file) {
            Ok(outcome) => {
                for e in &outcome.skipped {
                    eprintln!("{e}");
                }
                bad_lines += outcome.skipped.len();
                rows.extend(outcome.rows);
            }
            Err(e) => {
                eprintln!("{e}");
                bad_files += 1;
            }
        }
    }
    if args.no_reference {
        rows.retain(is_sbcbench);
    }
    let where_ = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let first_run = "run `sbcbench run` on a board first (it saves results/<board>/<time>.csv), \
                     then `sbcbench report`";
    if found.csv.is_empty() {
        eprintln!("note: no result files in {where_}; {first_run}");
    }
    if !args.no_reference {
        rows.extend(article_2023()?);
    }
    if rows.is_empty() {
        anyhow::bail!(
            "nothing to report: no readable results in {where_} and --no-reference; {first_run}"
        );
    }

    let opts = ReportOptions {
        baseline: args.baseline.clone(),
        runs: if args.all { Runs::All } else { Runs::Latest },
        kernels: if args.kernels.is_empty() {
            KernelId::ALL.to_vec()
        } else {
            args.kernels.clone()
        },
        modes: match args.threads {
            None => Mode::BOTH.to_vec(),
            Some(ReportThreads::One) => vec![Mode::Single],
            Some(ReportThreads::All) => vec![Mode::All],
        },
    };
    let report = Report::build(rows, &opts)?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    super::print(&render(&report, format)?)?;
    if let Some(dir) = &args.plot {
        let written = svg::write_charts(&report, dir)?;
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        eprintln!("charts: {}", names.join(", "));
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
