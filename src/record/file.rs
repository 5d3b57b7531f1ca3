//! Result files: written atomically, never overwriting another run.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::owner::{create_dirs, Owner};
use super::row::{ResultRow, SCHEMA_VERSION};

/// A result file of this run, rewritten (atomically) after each
/// measurement so that an interrupted run keeps what it measured.
#[derive(Debug)]
pub struct ResultFile {
    dir: PathBuf,
    stem: String,
    path: Option<PathBuf>,
    /// Who gets the file and the folders it creates: the user behind
    /// `sudo` ([`Owner::behind_sudo`]), not root.
    owner: Option<Owner>,
}

impl ResultFile {
    /// `<output>/<board-slug>/<stamp>.csv`, created on the first save.
    pub fn new(output: &Path, board: &str, stamp: &str) -> ResultFile {
        ResultFile {
            dir: output.join(board_slug(board)),
            stem: stamp.to_string(),
            path: None,
            owner: None,
        }
    }

    /// The same file, given to `owner` (and the folders it creates).
    pub fn owned_by(mut self, owner: Option<Owner>) -> ResultFile {
        self.owner = owner;
        self
    }

    /// What went wrong when [`ResultFile::save`] failed, and what to do.
    /// The earlier files and the earlier saves of this one are untouched.
    pub fn save_error(&self, e: &std::io::Error) -> String {
        let what = match &self.path {
            Some(p) => format!("cannot update {}", p.display()),
            None => format!("cannot save the results file in {}", self.dir.display()),
        };
        let hint = match e.kind() {
            std::io::ErrorKind::StorageFull => {
                ": free some space there or give --output another directory"
            }
            std::io::ErrorKind::FileTooLarge => {
                ": a file size limit is set (`ulimit -f`); raise it"
            }
            std::io::ErrorKind::PermissionDenied => ": give --output a directory you may write to",
            _ => "",
        };
        format!("{what} ({e}){hint}; results files already there are untouched")
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes `rows` as the whole content of this run's file.
    /// Results are written only into real folders under --output: a
    /// board's folder that is a symlink could lead anywhere.
    pub fn check(&self) -> Result<(), String> {
        if std::fs::symlink_metadata(&self.dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!(
                "{} is a symbolic link; sbcbench writes results only into real folders \
                 (replace the link with a folder, or give --output the folder it points to)",
                self.dir.display()
            ));
        }
        Ok(())
    }

    pub fn save(&mut self, rows: &[ResultRow]) -> std::io::Result<&Path> {
        self.check().map_err(std::io::Error::other)?;
        create_dirs(&self.dir, self.owner)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".sbcbench-").suffix(".csv.tmp");
        // Readable as any file the user writes (the umask applies), not
        // the private mode of temporary files: results are to share.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(&self.dir)?;
        {
            let mut w = csv::Writer::from_writer(tmp.as_file_mut());
            for row in rows {
                w.serialize(row).map_err(std::io::Error::other)?;
            }
            w.flush()?;
        }
        tmp.as_file_mut().flush()?;
        tmp.as_file().sync_all()?;
        // Before its name is visible: never a root-owned result.
        if let Some(owner) = self.owner {
            owner.give(tmp.path());
        }
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

/// Reads a results CSV written by sbcbench; the first bad line fails it.
pub fn read_results(path: &Path) -> Result<Vec<ResultRow>, ReadError> {
    let (bytes, file) = read_file(path)?;
    results_from_bytes(&bytes, &file)
}

/// [`read_results`] on bytes already in memory (a file fetched from a
/// board, say); `file` names it in errors.
pub fn results_from_bytes(bytes: &[u8], file: &str) -> Result<Vec<ResultRow>, ReadError> {
    let outcome = results_from_bytes_lenient(bytes, file)?;
    match outcome.skipped.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(outcome.rows),
    }
}

/// The rows of a results file that could be read, and one error for each
/// line that could not (those lines are left out).
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub rows: Vec<ResultRow>,
    pub skipped: Vec<ReadError>,
}

/// Reads a results CSV, skipping bad lines. A file that is unreadable as a
/// whole (not UTF-8, not a results file, a missing column, an unknown
/// `schema_version`) is an `Err`.
pub fn read_results_lenient(path: &Path) -> Result<ReadOutcome, ReadError> {
    let (bytes, file) = read_file(path)?;
    results_from_bytes_lenient(&bytes, &file)
}

/// The bytes of a results file, and its name for errors.
fn read_file(path: &Path) -> Result<(Vec<u8>, String), ReadError> {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((bytes, file)),
        Err(e) => Err(ReadError {
            file,
            line: 0,
            what: format!("cannot read it: {e}"),
        }),
    }
}

/// [`read_results_lenient`] on bytes already in memory.
fn results_from_bytes_lenient(bytes: &[u8], file: &str) -> Result<ReadOutcome, ReadError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        ReadError {
            file: file.to_string(),
            line: 1 + valid.iter().filter(|&&b| b == b'\n').count() as u64,
            what: "not UTF-8 text; save the file as UTF-8 CSV".to_string(),
        }
    })?;
    parse_results(text, file)
}

/// [`read_results_lenient`] on text already read; `file` names it in errors.
pub fn parse_results(text: &str, file: &str) -> Result<ReadOutcome, ReadError> {
    let err = |line: u64, what: String| ReadError {
        file: file.to_string(),
        line,
        what,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(err(
            1,
            "the file is empty; delete it, or run `sbcbench run` again".to_string(),
        ));
    }
    // Line numbers from byte offsets: the csv crate's own line count
    // drifts on CRLF files.
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let bytes = text.as_bytes();
    let line_of = |pos: Option<&csv::Position>| -> u64 {
        pos.map_or(0, |p| {
            // A record's position may be the line end before it.
            let mut start = p.byte() as usize;
            while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                start += 1;
            }
            1 + newlines.partition_point(|&n| n < start) as u64
        })
    };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(1, format!("not a CSV file: {e}")))?
        .clone();
    let has = |name: &str| headers.iter().any(|h| h == name);
    if !has("schema_version") || !has("mb_per_s") {
        return Err(err(
            1,
            "not an sbcbench results file (no schema_version/mb_per_s columns)".to_string(),
        ));
    }
    let version_at = headers.iter().position(|h| h == "schema_version");
    let mut outcome = ReadOutcome::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = line_of(e.position());
                let what = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "this line has {len} fields but the header has {expected_len} \
                         (cut short, or a stray comma); complete or delete the line"
                    ),
                    _ => format!("{e}; correct or delete the line"),
                };
                outcome.skipped.push(err(line, what));
                continue;
            }
        };
        let line = line_of(record.position());
        if let Some(v) = version_at.and_then(|i| record.get(i)) {
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
        match record.deserialize::<ResultRow>(Some(&headers)) {
            Ok(row) if !(row.mb_per_s.is_finite() && row.mb_per_s > 0.0) => {
                outcome.skipped.push(err(
                    line,
                    format!(
                        "column `mb_per_s`: {} is not a throughput above 0; correct or delete the line",
                        row.mb_per_s
                    ),
                ));
            }
            Ok(row) => outcome.rows.push(row),
            Err(e) => {
                let csv::ErrorKind::Deserialize { err: de, .. } = e.kind() else {
                    outcome
                        .skipped
                        .push(err(line, format!("{e}; correct or delete the line")));
                    continue;
                };
                if let csv::DeserializeErrorKind::Message(m) = de.kind() {
                    if let Some(name) = m.strip_prefix("missing field ") {
                        return Err(err(
                            1,
                            format!(
                                "the header has no {name} column, which every row needs; \
                                 add it (see docs/results-schema.md) or write the file with `sbcbench run`"
                            ),
                        ));
                    }
                }
                let column = de.field().and_then(|i| headers.get(i as usize));
                let value = de
                    .field()
                    .and_then(|i| record.get(i as usize))
                    .unwrap_or("");
                let what = describe(de.kind(), column, value);
                outcome.skipped.push(err(line, what));
            }
        }
    }
    if outcome.rows.is_empty() && outcome.skipped.is_empty() {
        return Err(err(
            2,
            "the file has a header but no result rows; delete it, or run `sbcbench run` again"
                .to_string(),
        ));
    }
    Ok(outcome)
}

/// A bad cell, in words, with the fix.
fn describe(kind: &csv::DeserializeErrorKind, column: Option<&str>, value: &str) -> String {
    use csv::DeserializeErrorKind as K;
    let column = column.map_or_else(|| "a column".to_string(), |c| format!("column `{c}`"));
    let problem = match kind {
        _ if value.trim().is_empty() && !matches!(kind, K::UnexpectedEndOfRow) => {
            format!("{column} is empty but needs a value")
        }
        K::ParseFloat(_) => format!("{column}: '{value}' is not a number (e.g. 97.5)"),
        K::ParseInt(_) => format!("{column}: '{value}' is not a whole number"),
        K::ParseBool(_) => format!("{column}: '{value}' is not true or false"),
        K::UnexpectedEndOfRow => format!("the line ends before {column}"),
        K::Message(m) => format!("{column}: '{value}': {m}"),
        other => format!("{column}: '{value}': {other}"),
    };
    format!("{problem}; correct or delete the line")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named_by_line_with_any_line_ends() {
        let good = crate::record::reference::ARTICLE_2023_CSV;
        let mut lines: Vec<String> = good.lines().take(4).map(str::to_string).collect();
        lines[2] = lines[2].replacen(",50.8,", ",fast,", 1);
        for (end, bom) in [("\n", ""), ("\r\n", ""), ("\r\n", "\u{feff}")] {
            let text = format!("{bom}{}{end}", lines.join(end));
            let outcome = parse_results(&text, "f.csv").unwrap();
            assert_eq!(outcome.rows.len(), 2, "{end:?}");
            assert_eq!(outcome.skipped.len(), 1);
            let e = outcome.skipped[0].to_string();
            assert!(
                e.starts_with("f.csv:3: column `mb_per_s`: 'fast' is not a number"),
                "{end:?} {bom:?}: {e}"
            );
        }
    }

    #[test]
    fn whole_file_problems() {
        let err = |text: &str| parse_results(text, "f.csv").unwrap_err().to_string();
        assert!(err("").contains("f.csv:1: the file is empty"));
        assert!(err("a,b\n1,2\n").contains("not an sbcbench results file"));
        let header = crate::record::reference::ARTICLE_2023_CSV
            .lines()
            .next()
            .unwrap();
        assert!(err(&format!("{header}\n"))
            .contains("f.csv:2: the file has a header but no result rows"));
    }

    #[test]
    fn bytes_are_read_as_a_file_would_be() {
        let good = crate::record::reference::ARTICLE_2023_CSV;
        let rows = results_from_bytes(good.as_bytes(), "a.csv").unwrap();
        assert_eq!(rows.len(), good.lines().count() - 1);
        let mut bad = good.as_bytes().to_vec();
        let second = bad.iter().position(|&b| b == b'\n').unwrap() + 1;
        bad[second] = 0xff;
        let e = results_from_bytes(&bad, "a.csv").unwrap_err().to_string();
        assert!(e.starts_with("a.csv:2: not UTF-8 text"), "{e}");
        let text = good.replacen(",50.8,", ",fast,", 1);
        let e = results_from_bytes(text.as_bytes(), "a.csv").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("a.csv", 3), "{e}");
    }

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
