//! Results written by root for the user behind `sudo`: `sbcbench sweep`
//! runs as root, and its files and folders belong to whoever asked.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// A user and group, as `chown` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl Owner {
    /// The user who ran `sudo sbcbench …`, from the `SUDO_UID` and
    /// `SUDO_GID` that sudo sets; `None` without sudo. Results written as
    /// root into the user's folders are then theirs to move and delete
    /// (and the fleet's ssh user can fetch them).
    pub fn behind_sudo(vars: impl Fn(&str) -> Option<String>) -> Option<Owner> {
        let id = |name: &str| vars(name)?.trim().parse::<u32>().ok();
        Some(Owner {
            uid: id("SUDO_UID")?,
            gid: id("SUDO_GID")?,
        })
        .filter(|o| o.uid != 0)
    }

    /// Gives `path` (never following a link) to the user. A folder that
    /// cannot take another owner (vfat, exFAT, an NFS mount that squashes
    /// root) keeps root's: said once, and the results are still saved.
    pub(super) fn give(self, path: &Path) {
        if let Err(e) = std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid)) {
            if !SAID.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "{} {}: could not give it to uid {} ({e}); it and the other results stay root's",
                    crate::term::warning_prefix(),
                    path.display(),
                    self.uid
                );
            }
        }
    }
}

/// A failed chown is said once per process.
static SAID: AtomicBool = AtomicBool::new(false);

/// `dir` and those of its parents that do not exist yet, deepest first:
/// the folders that creating `dir` makes.
pub fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect()
}

/// Gives the folders `dirs` that now exist to `owner`.
pub fn give_dirs(dirs: &[PathBuf], owner: Option<Owner>) {
    if let Some(owner) = owner {
        for d in dirs.iter().filter(|d| d.is_dir()) {
            owner.give(d);
        }
    }
}

/// Creates `dir` and its missing parents; those it created go to `owner`.
pub fn create_dirs(dir: &Path, owner: Option<Owner>) -> std::io::Result<()> {
    let missing = missing_dirs(dir);
    std::fs::create_dir_all(dir)?;
    give_dirs(&missing, owner);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn sudo_user_from_its_variables() {
        let vars = |uid: &'static str, gid: &'static str| {
            move |name: &str| match name {
                "SUDO_UID" => Some(uid.to_string()),
                "SUDO_GID" => Some(gid.to_string()),
                _ => None,
            }
        };
        assert_eq!(
            Owner::behind_sudo(vars("1000", "100")),
            Some(Owner {
                uid: 1000,
                gid: 100
            })
        );
        // sudo from root, or garbage: nobody to give the files to.
        assert_eq!(Owner::behind_sudo(vars("0", "0")), None);
        assert_eq!(Owner::behind_sudo(vars("me", "100")), None);
        assert_eq!(Owner::behind_sudo(|_| None), None);
    }

    #[test]
    #[ignore = "chown to another user needs root: ci/test runs it with --ignored as root"]
    fn created_folders_go_to_the_owner_and_existing_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let owner = Owner {
            uid: 4321,
            gid: 4322,
        };
        let made = dir.path().join("results/board");
        create_dirs(&made, Some(owner)).unwrap();
        for d in [dir.path().join("results"), made.clone()] {
            let m = std::fs::metadata(&d).unwrap();
            assert_eq!((m.uid(), m.gid()), (4321, 4322), "{}", d.display());
        }
        assert_eq!(std::fs::metadata(dir.path()).unwrap().uid(), 0);
        let mut file = super::super::ResultFile::new(&dir.path().join("results"), "Board", "t")
            .owned_by(Some(owner));
        let path = file.save(&[]).unwrap().to_path_buf();
        assert_eq!(std::fs::metadata(path).unwrap().uid(), 4321);
    }
}
