//! The run's table as the human formats show it: only the columns that
//! say something on this machine (a VM has no clock, a board without
//! sensors no temperature), so that it fits a terminal and a post.

use super::{headers, human_cells, RunReport, HEADERS};

/// The shown columns and their cells.
pub(crate) struct Grid {
    pub headers: Vec<String>,
    /// Right-aligned columns.
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    /// Per row and shown column, the ratio a terminal colours.
    pub ratios: Vec<Vec<Option<f64>>>,
}

/// A cell that says nothing: `-`, `- / -`.
fn placeholder(cell: &str) -> bool {
    cell.chars().all(|c| matches!(c, '-' | '/' | ' '))
}

pub(crate) fn grid(report: &RunReport) -> Grid {
    let with_core = report.system.clusters.len() > 1;
    let all: Vec<[String; 9]> = report
        .rows
        .iter()
        .map(|r| human_cells(r, with_core))
        .collect();
    // Kernel, threads and MB/s always; the others where some row has one.
    let keep: Vec<usize> = (0..HEADERS.len())
        .filter(|&i| i < 3 || all.iter().any(|cells| !placeholder(&cells[i])))
        .collect();
    let names = headers(&report.baseline);
    Grid {
        headers: keep.iter().map(|&i| names[i].clone()).collect(),
        numeric: keep.iter().map(|&i| (2..=6).contains(&i)).collect(),
        rows: all
            .iter()
            .map(|cells| keep.iter().map(|&i| cells[i].clone()).collect())
            .collect(),
        ratios: report
            .rows
            .iter()
            .map(|row| {
                keep.iter()
                    .map(|&i| match i {
                        4 => row.speedup,
                        6 => row.cycles_speedup,
                        _ => None,
                    })
                    .collect()
            })
            .collect(),
    }
}
