//! One file per subcommand; each wires the pipeline stages together.
mod docs;
mod fleet;
mod info;
mod report;
mod run;
mod selftest;
mod sweep;

use std::sync::Arc;

use crate::cli::{Cli, Command};
use crate::observe::{HostOs, Os, RecordedOs};

pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let os: Arc<dyn Os> = match &cli.sysroot {
        Some(root) => Arc::new(RecordedOs::new(root)),
        None => Arc::new(HostOs),
    };
    match &cli.command {
        Command::Run(args) => run::run(args, os),
        Command::Sweep(args) => sweep::sweep(args, os, cli.sysroot.is_some()),
        Command::Selftest => selftest::selftest(),
        Command::Info(args) => info::info(args, os),
        Command::Meter(args) => {
            let opts = crate::options::MeterOptions::from_args(args);
            // Stops at the first line stdout does not take.
            let mut unwritten = None;
            let read = crate::power::meter::live(
                &opts.spec,
                &os,
                opts.count,
                opts.interval,
                &mut |line| match crate::term::print(&format!("{line}\n")) {
                    Ok(()) => true,
                    Err(e) => {
                        unwritten = Some(e);
                        false
                    }
                },
            );
            if let Some(e) = unwritten {
                return Err(e.into());
            }
            read.map_err(|e| match e {
                // Nothing was read: a wrong path or permissions, like a bad flag.
                crate::power::meter::MeterError::Open { .. } => {
                    crate::error::Error::Usage(e.to_string()).into()
                }
                e => anyhow::Error::new(e),
            })
        }
        Command::Report(args) => report::report(args),
        Command::Fleet(args) => fleet::fleet(args, os),
        Command::Completions(args) => docs::completions(args.shell),
        Command::Man => docs::man(),
        Command::Version => info::version(os),
    }
}

/// Writes to stdout. A closed pipe (`| head`) ends the command quietly
/// with exit 0 (see `error::report`); a full disk is an error.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    Ok(crate::term::print(text)?)
}
