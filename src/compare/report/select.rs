//! Which runs the report uses: the baseline run named by `--baseline`, and
//! the runs shown of each board.

use std::collections::BTreeMap;

use super::runs::Run;
use super::Runs;
use crate::compare::board_name::{self, Found};
use crate::error::Error;
use crate::record::reference::SBCBENCH_SOURCE;

/// `NAME` or `NAME (SOURCE)`.
fn split_source(spec: &str) -> (&str, Option<&str>) {
    let spec = spec.trim();
    if let Some(open) = spec.rfind(" (") {
        if let Some(inner) = spec[open + 2..].strip_suffix(')') {
            return (&spec[..open], Some(inner));
        }
    }
    (spec, None)
}

/// Runs whose board is `name`, matched loosely (see `board_name`), and
/// what the match found.
fn matching<'a>(runs: &'a [Run], name: &str) -> (Vec<&'a Run>, Found<'a>) {
    let found = board_name::find(&boards(runs), name);
    let of = match &found {
        Found::One(board) => runs.iter().filter(|r| r.key.1 == *board).collect(),
        _ => Vec::new(),
    };
    (of, found)
}

/// The boards of the runs, sorted, once each.
fn boards(runs: &[Run]) -> Vec<&str> {
    let mut boards: Vec<&str> = runs.iter().map(|r| r.key.1.as_str()).collect();
    boards.sort();
    boards.dedup();
    boards
}

/// The baseline run: the newest of the named board, preferring sbcbench's
/// own measurements over references when both exist.
pub(super) fn pick_baseline<'a>(
    runs: &'a [Run],
    spec: &str,
    notes: &mut Vec<String>,
) -> Result<Option<&'a Run>, Error> {
    let (name, source) = split_source(spec);
    let (mut found, mut how) = matching(runs, name);
    if let Some(source) = source {
        let with_source: Vec<&Run> = found
            .iter()
            .copied()
            .filter(|r| r.key.0 == source)
            .collect();
        if with_source.is_empty() {
            // Maybe the parenthesis is part of the board's name.
            (found, how) = matching(runs, spec);
        } else {
            found = with_source;
        }
    }
    let newest_of = |source: &str| {
        found
            .iter()
            .copied()
            .filter(|r| r.key.0 == source)
            .max_by(|a, b| a.key.2.cmp(&b.key.2))
    };
    let mut sources: Vec<&str> = found.iter().map(|r| r.key.0.as_str()).collect();
    sources.sort();
    sources.dedup();
    let chosen = match sources.as_slice() {
        [] => None,
        [only] => newest_of(only),
        several => {
            let pick = if several.contains(&SBCBENCH_SOURCE) {
                SBCBENCH_SOURCE
            } else {
                several[0]
            };
            let run = newest_of(pick);
            if let Some(run) = run {
                let others: Vec<String> = several
                    .iter()
                    .filter(|s| **s != pick)
                    .map(|s| format!("--baseline '{} ({s})'", run.key.1))
                    .collect();
                notes.push(format!(
                    "baseline: {} as measured by {pick} ({}); {} compares with the other figures",
                    run.key.1,
                    run.key.2,
                    others.join(" or ")
                ));
            }
            run
        }
    };
    let default = matches!(how, Found::One(_) | Found::None { .. })
        && board_name::normalise(name) == board_name::normalise("VisionFive 2");
    if chosen.is_none() && !default {
        return Err(Error::Usage(format!(
            "--baseline {spec}: {} (or leave --baseline out to compare with the VisionFive 2)",
            board_name::explain(&how, &boards(runs))
        )));
    }
    Ok(chosen)
}

/// The runs of each board and source, oldest first: one group per board
/// (`--latest`, whose entry is composed from them, see [`super::compose`]),
/// or one group per run (`--all`). Each with the board's number of runs.
pub(super) fn shown(runs: &[Run], which: Runs) -> Vec<(Vec<&Run>, usize)> {
    let mut per_board: BTreeMap<(&str, &str), Vec<&Run>> = BTreeMap::new();
    for run in runs {
        per_board
            .entry((&run.key.0, &run.key.1))
            .or_default()
            .push(run);
    }
    let mut shown = Vec::new();
    for (_, mut list) in per_board {
        list.sort_by(|a, b| a.key.2.cmp(&b.key.2));
        let n = list.len();
        match which {
            Runs::Latest => shown.push((list, n)),
            Runs::All => shown.extend(list.into_iter().map(|r| (vec![r], n))),
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::report::{Report, ReportOptions};
    use crate::compare::uncertainty::Value;
    use crate::measure::KernelId;
    use crate::record::reference::article_2023;

    #[test]
    fn unknown_baseline_names_the_boards() {
        let opts = ReportOptions {
            baseline: "Banana Pi".to_string(),
            ..ReportOptions::default()
        };
        let err = Report::build(article_2023().unwrap(), &opts).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("--baseline Banana Pi"), "{text}");
        assert!(text.contains("Raspberry Pi 4B"), "{text}");
    }

    #[test]
    fn baseline_by_other_name_and_case() {
        let opts = ReportOptions {
            baseline: "raspberry pi 4b".to_string(),
            ..ReportOptions::default()
        };
        let report = Report::build(article_2023().unwrap(), &opts).unwrap();
        assert_eq!(report.baseline.board, "Raspberry Pi 4B");
        let pi4 = report.entries.iter().find(|e| e.is_baseline).unwrap();
        assert_eq!(pi4.board, "Raspberry Pi 4B");
        let sha1 = pi4.single_core.get(KernelId::Sha1).unwrap();
        assert_eq!(sha1.speedup, Some(Value::bare(1.0)));
    }

    #[test]
    fn split_source_of_a_baseline_name() {
        assert_eq!(
            split_source("VisionFive 2 (article-2023)"),
            ("VisionFive 2", Some("article-2023"))
        );
        assert_eq!(split_source("VisionFive 2"), ("VisionFive 2", None));
    }
}
