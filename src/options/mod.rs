//! Typed, validated options, one struct per command: everything the user
//! asked for is checked here, before anything is measured or connected
//! to, so that a typo never costs a long run. Each is built once from the
//! parsed command line and not changed afterwards.

mod fleet;
mod meter;
mod report;
mod run;
mod sweep;

use std::path::Path;

pub use fleet::FleetOptions;
pub use meter::MeterOptions;
pub use report::ReportOptions;
pub use run::{OpenedMeter, RunOptions};
pub use sweep::SweepOptions;

use crate::error::Error;

/// Creates the directory `flag` names if needed and proves we can write
/// there, without leaving anything behind. `or` is the other way out that
/// the message offers, e.g. " or use --no-save".
fn check_writable(flag: &str, dir: &Path, or: &str) -> Result<(), Error> {
    // A file where a folder must be (EEXIST, ENOTDIR): said as such.
    if let Some(file) = dir.ancestors().find(|a| a.is_file()) {
        let what = if file == dir {
            String::new()
        } else {
            format!(" ({} is a file)", file.display())
        };
        return Err(Error::Usage(format!(
            "{flag} {}: is a file, not a folder{what}; give a folder{or}",
            dir.display()
        )));
    }
    let fail = |e: std::io::Error| unwritable(flag, dir, &e, or);
    std::fs::create_dir_all(dir).map_err(fail)?;
    tempfile::tempfile_in(dir).map(drop).map_err(fail)
}

/// `flag DIR` turned out not to be a place to write to (checked here, or
/// found while writing): a usage error that says what to do.
pub fn unwritable(flag: &str, dir: &Path, e: &std::io::Error, or: &str) -> Error {
    Error::Usage(format!(
        "{flag} {}: cannot write there ({e}); choose a writable directory{or}",
        dir.display()
    ))
}

/// For the tests of every builder: the message of a usage error.
#[cfg(test)]
fn usage_message<T>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Usage(m)) => m,
        Err(e) => panic!("not a usage error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_directory_is_created_and_left_empty() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b");
        check_writable("--output", &out, "").unwrap();
        assert!(out.is_dir());
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }

    #[test]
    fn an_unwritable_directory_is_a_usage_error_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "not a folder").unwrap();
        let m = usage_message(check_writable("--plot", &file.join("sub"), " or else"));
        assert!(m.starts_with("--plot "), "{m}");
        assert!(m.contains("is a file, not a folder"), "{m}");
        assert!(m.ends_with("; give a folder or else"), "{m}");
        let m = usage_message(check_writable("--output", &file, ""));
        assert_eq!(
            m,
            format!(
                "--output {}: is a file, not a folder; give a folder",
                file.display()
            )
        );
    }
}
