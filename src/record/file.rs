//! Result files: written atomically, never overwriting another run.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::row::{ResultRow, SCHEMA_VERSION};

/// A result file of this run, rewritten (atomically) after each
/// measurement so that an interrupted run keeps what it measured.
#[derive(Debug)]
pub struct ResultFile {
    dir: PathBuf,
    stem: String,
    path: Option<PathBuf>,
}

impl ResultFile {
    /// `<output>/<board-slug>/<stamp>.csv`, created on the first save.
    pub fn new(output: &Path, board: &str, stamp: &str) -> ResultFile {
        ResultFile {
            dir: output.join(board_slug(board)),
            stem: stamp.to_string(),
            path: None,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes `rows` as the whole content of this run's file.
    pub fn save(&mut self, rows: &[ResultRow]) -> std::io::Result<&Path> {
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".sbcbench-")
            .suffix(".csv.tmp")
            .tempfile_in(&self.dir)?;
        {
            let mut w = csv::Writer::from_writer(tmp.as_file_mut());
            for row in rows {
                w.serialize(row).map_err(std::io::Error::other)?;
            }
            w.flush()?;
        }
        tmp.as_file_mut().flush()?;
        tmp.as_file().sync_all()?;
        match &self.path {
            // Our own file from an earlier save: replace it.
            Some(path) => {
                tmp.persist(path).map_err(|e| e.error)?;
            }
            // First save: take a name no other run has, even one started
            // in the same second.
            None => {
                let mut n = 1;
                loop {
                    let name = if n == 1 {
                        format!("{}.csv", self.stem)
                    } else {
                        format!("{}-{n}.csv", self.stem)
                    };
                    let candidate = self.dir.join(name);
                    match tmp.persist_noclobber(&candidate) {
                        Ok(_) => {
                            self.path = Some(candidate);
                            break;
                        }
                        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                            tmp = e.file;
                            n += 1;
                        }
                        Err(e) => return Err(e.error),
                    }
                }
            }
        }
        Ok(self.path.as_deref().unwrap_or(&self.dir))
    }
}

/// A board name made safe as a directory name: lowercase ASCII letters,
/// digits and single dashes.
pub fn board_slug(board: &str) -> String {
    let mut slug = String::new();
    for c in board.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "board".to_string()
    } else {
        slug
    }
}

/// Why a results file could not be read; always names file and line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {what}")]
pub struct ReadError {
    pub file: String,
    pub line: u64,
    pub what: String,
}

/// Reads a results CSV written by sbcbench.
pub fn read_results(path: &Path) -> Result<Vec<ResultRow>, ReadError> {
    let file = path.display().to_string();
    let err = |line: u64, what: String| ReadError {
        file: file.clone(),
        line,
        what,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, format!("cannot read it: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(1, format!("not a CSV file: {e}")))?
        .clone();
    if !headers.iter().any(|h| h == "schema_version") || !headers.iter().any(|h| h == "mb_per_s") {
        return Err(err(
            1,
            "not an sbcbench results file (no schema_version/mb_per_s columns)".to_string(),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            err(line, e.to_string())
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if let Some(v) = headers
            .iter()
            .position(|h| h == "schema_version")
            .and_then(|i| record.get(i))
        {
            if v.trim() != SCHEMA_VERSION.to_string() {
                return Err(err(
                    line,
                    format!(
                        "schema_version {v} is not one this sbcbench ({}) reads (it reads {SCHEMA_VERSION}); \
                         use a matching sbcbench version",
                        env!("CARGO_PKG_VERSION")
                    ),
                ));
            }
        }
        let row: ResultRow = record
            .deserialize(Some(&headers))
            .map_err(|e| err(line, e.to_string()))?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(err(1, "the file has no result rows".to_string()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_directory_names() {
        assert_eq!(board_slug("VisionFive 2"), "visionfive-2");
        assert_eq!(
            board_slug("Raspberry Pi 4 Model B Rev 1.5"),
            "raspberry-pi-4-model-b-rev-1-5"
        );
        assert_eq!(board_slug("../../etc"), "etc");
        assert_eq!(board_slug("pi'; touch /tmp/x; '"), "pi-touch-tmp-x");
        assert_eq!(board_slug("///"), "board");
    }
}
