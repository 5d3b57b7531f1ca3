//! `sbcbench report`: where the results are, what to aggregate, how to
//! print it and where the charts go.

use std::path::PathBuf;

use super::check_writable;
use crate::cli::ReportArgs;
use crate::compare::report::{self as aggregate, Mode, Runs};
use crate::error::Error;
use crate::export::report::ReportFormat;
use crate::measure::KernelId;

pub struct ReportOptions {
    /// Result files and folders, each there; `results` when none was
    /// given, which may be missing.
    pub paths: Vec<PathBuf>,
    pub format: ReportFormat,
    pub no_reference: bool,
    /// Created and writable.
    pub plot: Option<PathBuf>,
    /// The runs, kernels and modes to aggregate, and the baseline.
    pub aggregate: aggregate::ReportOptions,
}

impl ReportOptions {
    pub fn from_args(args: &ReportArgs) -> Result<ReportOptions, Error> {
        let format = ReportFormat::default_for_stdout(args.format);
        let default_paths = args.paths.is_empty();
        let paths = if default_paths {
            vec![PathBuf::from("results")]
        } else {
            args.paths.clone()
        };
        if !default_paths {
            if let Some(path) = paths.iter().find(|p| !p.is_file() && !p.is_dir()) {
                return Err(Error::Usage(format!(
                    "{}: no such file or folder; give result files or folders (default: results)",
                    path.display()
                )));
            }
        }
        if let Some(dir) = &args.plot {
            // Fail before printing anything, not after the report.
            check_writable("--plot", dir, "")?;
        }
        let aggregate = aggregate::ReportOptions {
            baseline: args.baseline.clone(),
            runs: if args.all { Runs::All } else { Runs::Latest },
            kernels: if args.kernels.is_empty() {
                KernelId::ALL.to_vec()
            } else {
                args.kernels.clone()
            },
            modes: match args.threads {
                None => Mode::BOTH.to_vec(),
                Some(mode) => vec![mode],
            },
        };
        Ok(ReportOptions {
            paths,
            format,
            no_reference: args.no_reference,
            plot: args.plot.clone(),
            aggregate,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::options::usage_message;

    fn build(extra: &[&str]) -> Result<ReportOptions, Error> {
        let cli = Cli::try_parse_from(["sbcbench", "report"].iter().chain(extra)).unwrap();
        match cli.command {
            Command::Report(args) => ReportOptions::from_args(&args),
            _ => unreachable!("not a report"),
        }
    }

    #[test]
    fn a_bad_path_or_plot_folder_is_a_usage_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.csv");
        std::fs::write(&file, "x").unwrap();
        let file = file.to_str().unwrap();
        let missing = dir.path().join("missing");
        let missing = missing.to_str().unwrap();

        let m = usage_message(build(&[file, missing]));
        assert!(
            m.starts_with(&format!("{missing}: no such file or folder")),
            "{m}"
        );
        let under_a_file = format!("{file}/charts");
        let m = usage_message(build(&[file, "--plot", &under_a_file]));
        assert!(
            m.starts_with(&format!("--plot {under_a_file}: is a file, not a folder")),
            "{m}"
        );
    }

    #[test]
    fn defaults_and_choices() {
        let dir = tempfile::tempdir().unwrap();
        let here = dir.path().to_str().unwrap();
        let plot = dir.path().join("charts");
        let o = build(&[here, "--plot", plot.to_str().unwrap()]).unwrap();
        assert_eq!(o.paths, vec![dir.path().to_path_buf()]);
        assert!(plot.is_dir(), "created before anything is printed");
        assert_eq!(o.aggregate.runs, Runs::Latest);
        assert_eq!(o.aggregate.kernels, KernelId::ALL.to_vec());
        assert_eq!(o.aggregate.modes, Mode::BOTH.to_vec());

        let o = build(&[
            "--all",
            "--threads",
            "1",
            "--kernels",
            "xz",
            "--format",
            "json",
        ])
        .unwrap();
        assert_eq!(o.paths, vec![PathBuf::from("results")]);
        assert_eq!(o.format, ReportFormat::Json);
        assert_eq!(o.aggregate.runs, Runs::All);
        assert_eq!(o.aggregate.kernels, vec![KernelId::Xz]);
        assert_eq!(o.aggregate.modes, vec![Mode::Single]);
    }
}
