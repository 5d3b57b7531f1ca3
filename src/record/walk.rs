//! The results tree: every result file under a folder, by one set of
//! rules, for `report` and for `run --baseline BOARD`.
//!
//! Hidden entries (`.sbcbench-*.tmp`, `.git`) are not entered, symlinked
//! folders are not entered, and a symlinked file is read only when it
//! stays inside the folder given: a results folder from someone else
//! cannot make sbcbench read `/etc`.

use std::path::{Path, PathBuf};

/// What a walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// `*.csv` files (any case), sorted.
    pub csv: Vec<PathBuf>,
    /// Files that are not `.csv`: ignored, with a notice.
    pub ignored: Vec<PathBuf>,
    /// Symlinks that lead out of the folder given, or nowhere: not followed.
    pub outside: Vec<PathBuf>,
}

impl Found {
    /// The note on stderr about the links not followed, if any.
    pub fn outside_note(&self) -> Option<String> {
        if self.outside.is_empty() {
            return None;
        }
        let names: Vec<String> = self
            .outside
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        Some(format!(
            "note: not followed: symbolic links that lead out of the folder, or nowhere: {}",
            names.join(", ")
        ))
    }
}

/// Every result file under `folder`, recursively, into `found`.
pub fn walk_into(folder: &Path, found: &mut Found) -> std::io::Result<()> {
    let root = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    walk(&root, folder, found)
}

/// Every result file under `folder`, recursively.
pub fn result_files(folder: &Path) -> std::io::Result<Found> {
    let mut found = Found::default();
    walk_into(folder, &mut found)?;
    found.csv.sort();
    found.ignored.sort();
    Ok(found)
}

fn walk(root: &Path, dir: &Path, found: &mut Found) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            let inside = std::fs::canonicalize(&path).is_ok_and(|t| t.starts_with(root));
            if !inside {
                found.outside.push(path);
                continue;
            }
        }
        if kind.is_dir() {
            walk(root, &path, found)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            if path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("csv"))
            {
                found.csv.push(path);
            } else {
                found.ignored.push(path);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn one_set_of_rules_for_the_results_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("results");
        let board = root.join("board");
        std::fs::create_dir_all(&board).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let outside = dir.path().join("secret.csv");
        for f in [
            board.join("1.csv"),
            board.join("2.CSV"),
            board.join("notes.txt"),
            board.join(".3.csv"),
            root.join(".git/4.csv"),
            outside.clone(),
        ] {
            std::fs::write(f, "x").unwrap();
        }
        symlink(&outside, board.join("5.csv")).unwrap();
        symlink(board.join("1.csv"), root.join("6.csv")).unwrap();
        symlink(&board, root.join("again")).unwrap();
        symlink(dir.path().join("nowhere"), root.join("7.csv")).unwrap();

        let found = result_files(&root).unwrap();
        assert_eq!(
            found.csv,
            [root.join("6.csv"), board.join("1.csv"), board.join("2.CSV")]
        );
        assert_eq!(found.ignored, [board.join("notes.txt")]);
        assert_eq!(found.outside, [root.join("7.csv"), board.join("5.csv")]);
        let note = found.outside_note().unwrap();
        assert!(
            note.starts_with("note: not followed: symbolic links"),
            "{note}"
        );
        assert!(result_files(&dir.path().join("missing")).is_err());
        assert!(Found::default().outside_note().is_none());
    }
}
