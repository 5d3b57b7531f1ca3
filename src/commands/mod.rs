//! One file per subcommand; each wires the pipeline stages together.
mod fleet;
mod info;
mod report;
mod run;
mod selftest;

use std::io::Write;
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
        Command::Selftest => selftest::selftest(),
        Command::Info(args) => info::info(args, os),
        Command::Meter(args) => {
            let opts = crate::options::MeterOptions::from_args(args);
            let mut out = std::io::stdout();
            crate::power::meter::live(&opts.spec, opts.count, opts.interval, &mut out).map_err(
                |e| match e {
                    // Nothing was read: a wrong path or permissions, like a bad flag.
                    crate::power::meter::MeterError::Open { .. } => {
                        crate::error::Error::Usage(e.to_string()).into()
                    }
                    e => anyhow::Error::new(e),
                },
            )
        }
        Command::Report(args) => report::report(args),
        Command::Fleet(args) => fleet::fleet(args),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
