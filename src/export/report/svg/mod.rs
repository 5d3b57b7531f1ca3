//! SVG charts of a report, drawn by hand (plain horizontal bars, no
//! scripts, no external fonts):
//!
//! - `speedup-1-core.svg`, `speedup-all-cores.svg`: the speedup of each
//!   kernel per board on a log scale, with the 1× line of the baseline;
//! - `efficiency-<kernel>.svg`: MB/s per W per board, single core and all
//!   cores (the article's extrapolation drawn lighter and marked `*`);
//! - `sweep-<board>-<class>-<core>.svg`: per board and core class that
//!   `sbcbench sweep` measured, MB/s per W against the clock (`sweep.rs`).
//!
//! Every board of the report appears in every chart, grouped by
//! architecture family; a board without the figure says so, and a chart
//! that no board but the baseline has a figure for is left out with a
//! note. Boards measured by sbcbench are in bold, with their samples'
//! min–max as error bars. `charts.rs` chooses, `plot.rs` draws; the
//! HTML report inlines the same charts.

mod charts;
mod plot;
mod sweep;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub use charts::charts;

/// One chart: its file name in `--plot DIR`, its title and its SVG text.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file_name: String,
    pub title: String,
    pub svg: String,
}

/// A report's charts, and why any was left out.
#[derive(Debug, Clone, Default)]
pub struct Charts {
    pub charts: Vec<Chart>,
    /// One sentence per chart not drawn: no board but the baseline has
    /// its figure, so it would be rows of "no figure".
    pub not_drawn: Vec<String>,
}

/// Why [`write_charts`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// `dir` cannot be created, or no file can be made in it.
    #[error("{}: cannot write there ({reason})", dir.display())]
    Unwritable {
        dir: PathBuf,
        reason: std::io::Error,
    },
    /// Writing one chart, or renaming it into place, failed.
    #[error("writing {}", path.display())]
    Chart {
        path: PathBuf,
        #[source]
        reason: std::io::Error,
    },
    /// `stop` was set: the `written` charts in `dir` are whole, no other
    /// was begun.
    #[error("interrupted after {written} chart(s) in {}", dir.display())]
    Interrupted { dir: PathBuf, written: usize },
}

/// Writes `charts` into `dir` (created if needed), each atomically:
/// a temporary file in `dir`, synced, then renamed over the final name.
/// `stop` is checked before each chart.
pub fn write_charts(
    charts: &[Chart],
    dir: &Path,
    stop: &AtomicBool,
) -> Result<Vec<PathBuf>, WriteError> {
    let unwritable = |reason: std::io::Error| WriteError::Unwritable {
        dir: dir.to_path_buf(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let mut written = Vec::new();
    for chart in charts {
        // Ctrl-C or SIGTERM: the charts written so far are whole, the
        // next is not begun, and no temporary file is left.
        if stop.load(Ordering::SeqCst) {
            return Err(WriteError::Interrupted {
                dir: dir.to_path_buf(),
                written: written.len(),
            });
        }
        let path = dir.join(&chart.file_name);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".sbcbench-").suffix(".svg.tmp");
        // Readable as any file the user writes (the umask applies), not
        // the private mode of temporary files.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(dir).map_err(unwritable)?;
        let chart_failed = |reason: std::io::Error| WriteError::Chart {
            path: path.clone(),
            reason,
        };
        tmp.write_all(chart.svg.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(chart_failed)?;
        tmp.persist(&path).map_err(|e| chart_failed(e.error))?;
        written.push(path);
    }
    Ok(written)
}
